/* loader/: kdump-load's library: /proc/iomem, load plans, kexec_file_load. One public header. */
#ifndef KD_LOADER_H
#define KD_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "formats/error.h"

/* ------------------------------------------------------------------ */
/* /proc/iomem */

/** What an /proc/iomem entry is, from its name. */
enum ldr_range_kind {
	LDR_RANGE_OTHER = 0,	/* anything else (PCI, ROM, device names...) */
	LDR_RANGE_SYSTEM_RAM,	/* "System RAM", also "System RAM (kmem)" etc. at any depth */
	LDR_RANGE_CRASH,	/* "Crash kernel" (crashk_res and crashk_low_res) */
	LDR_RANGE_KERNEL_CODE,	/* "Kernel code" */
	LDR_RANGE_KERNEL_RODATA,/* "Kernel rodata" */
	LDR_RANGE_KERNEL_DATA,	/* "Kernel data" */
	LDR_RANGE_KERNEL_BSS,	/* "Kernel bss" */
	LDR_RANGE_ACPI_TABLES,	/* "ACPI Tables" */
	LDR_RANGE_ACPI_NVS,	/* "ACPI Non-volatile Storage" */
	LDR_RANGE_RESERVED,	/* "Reserved" or "reserved" */
	LDR_RANGE_PMEM,		/* "Persistent Memory" */
	LDR_RANGE_PMEM_LEGACY,	/* "Persistent Memory (legacy)" */
	LDR_RANGE_KINDS
};

/** One /proc/iomem entry. Addresses are physical; @end is inclusive, as printed. */
struct ldr_range {
	uint64_t start;
	uint64_t end;
	enum ldr_range_kind kind;
	unsigned int depth;	/* nesting level, 0 for top-level entries */
	unsigned int line;	/* 1-based line number in the parsed text */
};

/** Bytes in @r (end - start + 1), saturated at UINT64_MAX for the full 2^64 span. */
static inline uint64_t ldr_range_size(const struct ldr_range *r)
{
	uint64_t n = r->end - r->start;

	return n == UINT64_MAX ? UINT64_MAX : n + 1;
}

/** Parsed /proc/iomem: per-kind growable arrays, each sorted by start address. Opaque. */
struct ldr_iomem;

/**
 * Parse the /proc/iomem-format file at @path (tests pass captured copies).
 * Every entry is checked: a malformed line, a value over 64 bits, end < start,
 * a child outside its parent or two overlapping "Crash kernel" ranges give
 * KD_ERR_CORRUPT with "'PATH' line N: ..." in @err. A file whose addresses are
 * all zero (what an unprivileged reader sees) gives KD_ERR_SYSTEM with
 * err->sys_errno == EPERM and a "run as root" message.
 * On success *@ret owns a new object to free with ldr_iomem_destroy().
 */
enum kd_status ldr_iomem_parse_file(const char *path, struct ldr_iomem **ret, struct kd_err *err);

/** Same as ldr_iomem_parse_file() on @len bytes of text; @name is used in messages. */
enum kd_status ldr_iomem_parse_buf(const char *name, const char *buf, size_t len,
				   struct ldr_iomem **ret, struct kd_err *err);

/** Free @io; NULL is a no-op. */
void ldr_iomem_destroy(struct ldr_iomem *io);

/**
 * The entries of one kind, sorted by start address (nested and top-level ones
 * alike). Sets *@count_ret; the array is owned by @io (NULL when empty).
 */
const struct ldr_range *ldr_iomem_ranges(const struct ldr_iomem *io, enum ldr_range_kind kind,
					 size_t *count_ret);

/** Number of entries (lines) parsed, of every kind. */
size_t ldr_iomem_entry_count(const struct ldr_iomem *io);

/** Stable lowercase name of a kind ("system-ram", "crash-kernel", ...). */
const char *ldr_range_kind_name(enum ldr_range_kind kind);

/**
 * Memory the capture kernel should find in /proc/vmcore: the union of every
 * System RAM entry minus every Crash kernel range, merged and sorted, with
 * kind LDR_RANGE_SYSTEM_RAM and depth 0. *@ret is a new array for free().
 */
enum kd_status ldr_iomem_dump_ranges(const struct ldr_iomem *io, struct ldr_range **ret,
				     size_t *count_ret, struct kd_err *err);

/**
 * Index (in the LDR_RANGE_CRASH array) of the range the capture kernel image
 * goes into: the one whose size equals @crash_size (the kernel's crashk_res as
 * /sys/kernel/kexec_crash_size reports it) when exactly one does, else the
 * highest one. Returns -1 when there is no crash range. Pass 0 for an unknown size.
 */
long ldr_iomem_target_crash_range(const struct ldr_iomem *io, uint64_t crash_size);

/* ------------------------------------------------------------------ */
/* Kernel image probe: just enough to say "is a kernel" and how big it gets. */

enum ldr_image_kind {
	LDR_IMAGE_UNKNOWN = 0,
	LDR_IMAGE_BZIMAGE,	/* x86 boot protocol: "HdrS" at 0x202 */
	LDR_IMAGE_ARM64,	/* arm64 Image: "ARM\x64" at 0x38 */
};

struct ldr_image_info {
	enum ldr_image_kind kind;
	uint64_t file_size;
	uint64_t mem_size;	/* memory the kernel needs once loaded (bzImage init_size, arm64 image_size) */
	uint64_t align;		/* load alignment (bzImage kernel_alignment, 2 MiB on arm64) */
	uint32_t cmdline_max;	/* longest command line in bytes without the NUL, 0 if unknown */
	uint16_t protocol;	/* bzImage boot protocol version (0x020f = 2.15), 0 otherwise */
	bool has_64bit_entry;	/* bzImage XLF_KERNEL_64 */
};

/** Human name of a kind ("bzImage", "arm64 Image", "unknown"). */
const char *ldr_image_kind_name(enum ldr_image_kind kind);

/**
 * Identify the kernel image whose first @len bytes are @head (@file_size is the
 * whole file's size). An unrecognised image is not an error: kind is
 * LDR_IMAGE_UNKNOWN and mem_size is the file size. A recognised header with
 * impossible fields gives KD_ERR_CORRUPT.
 */
enum kd_status ldr_image_probe(const void *head, size_t len, uint64_t file_size,
			       struct ldr_image_info *ret, struct kd_err *err);

/** ldr_image_probe() on a file; KD_ERR_SYSTEM if it cannot be opened or read. */
enum kd_status ldr_image_probe_file(const char *path, struct ldr_image_info *ret,
				    struct kd_err *err);

/** The image kind kexec_file_load accepts on the machine kdump-load was built for. */
enum ldr_image_kind ldr_image_native_kind(void);

/* ------------------------------------------------------------------ */
/* Capture kernel command line. */

/** Parameters added unless already present (by name): "irqpoll nr_cpus=1 reset_devices". */
extern const char ldr_default_params[];

/**
 * Build the capture kernel's command line: the words of @reuse (the running
 * kernel's /proc/cmdline, or NULL) minus crashkernel= and BOOT_IMAGE=, then
 * @append (NULL for none), then the default parameters missing from both
 * unless @no_defaults. Arguments after a "--" (for init) stay at the end.
 * Double-quoted values are kept whole. *@ret is a new string for free().
 */
enum kd_status ldr_cmdline_build(const char *reuse, const char *append, bool no_defaults,
				 char **ret, struct kd_err *err);

/* ------------------------------------------------------------------ */
/* Kernel state in sysfs. Paths are under @sysroot ("" or NULL for /). */

/**
 * Read /sys/kernel/kexec_crash_loaded (0/1) and kexec_crash_size (bytes).
 * A missing file (kernel without kexec) gives -1 for that value, not an error.
 */
enum kd_status ldr_sysfs_crash_state(const char *sysroot, int *loaded_ret, int64_t *size_ret,
				     struct kd_err *err);

/** Allocate "@sysroot/@rel" (@rel without leading slash). NULL on out of memory. */
char *ldr_sysroot_path(const char *sysroot, const char *rel);

/** Read a whole small text file (at most @max bytes) into a new NUL-terminated string. */
enum kd_status ldr_read_text_file(const char *path, size_t max, char **ret, size_t *len_ret,
				  struct kd_err *err);

/* ------------------------------------------------------------------ */
/* Plan: everything a load would do, computed without side effects. */

enum ldr_syscall {
	LDR_SYSCALL_KEXEC_FILE_LOAD = 0,
	LDR_SYSCALL_KEXEC_LOAD,		/* -c: segments built in user space (loader/kexec-load*) */
};

/** What the caller asked for. Strings are borrowed for the duration of the call. */
struct ldr_options {
	const char *kernel;		/* capture kernel image (required for a plan) */
	const char *initrd;		/* initramfs, NULL for none */
	const char *append;		/* --append / --command-line, NULL for none */
	bool reuse_cmdline;		/* start from /proc/cmdline */
	bool no_defaults;		/* do not add irqpoll nr_cpus=1 reset_devices */
	enum ldr_syscall syscall;
	const char *sysroot;		/* prefix for /proc and /sys, NULL or "" for / */
	const char *iomem_path;		/* instead of SYSROOT/proc/iomem */
	enum ldr_image_kind arch;	/* the kernel's kind to load: LDR_IMAGE_UNKNOWN for this
					   machine's (ldr_image_native_kind()); --arch */
	const char *purgatory_path;	/* arm64 kexec_load: this purgatory object instead of
					   the built-in one (--purgatory; planning on another
					   machine) */
};

/** Reasons a plan cannot be loaded as it is (each recorded at most once). */
enum ldr_problem {
	LDR_PROBLEM_NO_CRASH_MEMORY = 0,	/* no Crash kernel range reserved */
	LDR_PROBLEM_TOO_SMALL,			/* kernel + initrd + setup do not fit the target range */
	LDR_PROBLEM_NOT_KERNEL,			/* not an image this machine's kernel loads */
	LDR_PROBLEM_CMDLINE_TOO_LONG,		/* longer than the image accepts */
	LDR_PROBLEM_ADDRESSES_HIDDEN,		/* /proc/iomem shows zeros: not root */
	LDR_PROBLEM_KINDS
};

/** Short stable name of a problem ("no-crash-memory", ...). */
const char *ldr_problem_name(enum ldr_problem p);

struct ldr_plan_range {
	uint64_t start;
	uint64_t end;		/* inclusive */
	bool target;		/* the range the kernel image and initrd go into */
	bool fits;		/* kernel, initrd and setup data would fit in this range alone */
};

/** Bytes added to kernel + initrd for boot params, command line, purgatory and elfcorehdr. */
#define LDR_SETUP_RESERVE (1024 * 1024)
/** Lowest address kexec_file_load places an x86_64 kernel at (MIN_KERNEL_LOAD_ADDR). */
#define LDR_X86_MIN_KERNEL_ADDR (16ULL * 1024 * 1024)

enum { LDR_PLAN_MAX_SEGMENTS = 8 };

/** One kexec_load segment as a plan shows it. */
struct ldr_plan_segment {
	uint64_t mem;
	uint64_t memsz;
	uint64_t bufsz;
	const char *what;	/* static string: "kernel", "initrd", "dtb", ... */
};

/** The kexec_load layout of a plan (arm64), filled by ldr_plan_layout(). */
struct ldr_plan_layout {
	bool computed;
	char error[KD_ERR_MSG_MAX];	/* why not, "" when nothing was tried (x86_64, file load) */
	struct ldr_plan_segment seg[LDR_PLAN_MAX_SEGMENTS];
	size_t nr_seg;
	struct ldr_range usable[LDR_PLAN_MAX_SEGMENTS];	/* linux,usable-memory-range, DT order */
	size_t nr_usable;
	uint64_t entry, kernel_entry, dtb, elfcorehdr;
};

struct ldr_plan {
	enum ldr_syscall syscall;
	unsigned long flags;		/* KEXEC_FILE_* flags the load passes */
	char *kernel;
	struct ldr_image_info image;
	char *initrd;			/* NULL when none */
	uint64_t initrd_size;
	char *cmdline;			/* capture kernel command line */
	struct ldr_plan_range *ranges;	/* every Crash kernel range, by address */
	size_t n_ranges;
	long target;			/* index in ranges, -1 when none */
	uint64_t crash_total;		/* sum of the range sizes */
	uint64_t need;			/* bytes the load needs in the target range */
	int sys_crash_loaded;		/* /sys/kernel/kexec_crash_loaded, -1 unknown */
	int64_t sys_crash_size;		/* /sys/kernel/kexec_crash_size, -1 unknown */
	bool addresses_hidden;		/* iomem unreadable as non-root: ranges unknown */
	bool problem[LDR_PROBLEM_KINDS];
	char problem_msg[LDR_PROBLEM_KINDS][256];
	struct ldr_plan_layout layout;	/* empty unless ldr_plan_layout() filled it */
};

/**
 * Compute the plan for @opts: reads /proc/iomem, /proc/cmdline (with
 * reuse_cmdline), sysfs, and the headers and sizes of the kernel and initrd.
 * Files that cannot be read or a corrupt iomem are errors; conditions that
 * only stop a load (no crash memory, too small, not a kernel...) are recorded
 * in plan->problem[] so the plan can still be shown. Free with ldr_plan_destroy().
 */
enum kd_status ldr_plan_create(const struct ldr_options *opts, struct ldr_plan **ret,
			       struct kd_err *err);

void ldr_plan_destroy(struct ldr_plan *plan);

/** KD_OK if the plan has no problem, else the first problem's status and message. */
enum kd_status ldr_plan_check(const struct ldr_plan *plan, enum ldr_problem *which_ret,
			      struct kd_err *err);

/** Print @plan for people (@json false) or as one JSON object (@json true). */
void ldr_plan_print(const struct ldr_plan *plan, bool json, FILE *out);

/* ------------------------------------------------------------------ */
/* Loaded state, as `kdump-load status` shows it. */

struct ldr_state {
	int loaded;			/* kexec_crash_loaded, -1 unknown */
	int64_t crash_size;		/* kexec_crash_size, -1 unknown */
	struct ldr_range *ranges;	/* Crash kernel ranges (own copy), NULL if unknown */
	size_t n_ranges;
	bool addresses_hidden;		/* not root: iomem shows zeros */
	char iomem_error[KD_ERR_MSG_MAX];	/* why ranges are unknown, "" otherwise */
};

/** Fill @st from sysfs and iomem; iomem trouble is recorded, not returned. */
enum kd_status ldr_state_read(const char *sysroot, const char *iomem_path, struct ldr_state *st,
			      struct kd_err *err);
void ldr_state_deinit(struct ldr_state *st);
void ldr_state_print(const struct ldr_state *st, bool json, FILE *out);

/* ------------------------------------------------------------------ */
/* kexec_file_load. */

/** kexec_file_load's number on this machine, -1 if unknown. */
long ldr_kexec_file_syscall_nr(void);

/**
 * Load the plan's kernel as the crash kernel with kexec_file_load
 * (KEXEC_FILE_ON_CRASH). Does not check the plan: call ldr_plan_check() first.
 * Each errno the kernel returns is explained in @err (err->sys_errno kept);
 * @sysroot is used only to read lockdown/kexec_load_disabled for EPERM.
 */
enum kd_status ldr_kexec_file_load(const struct ldr_plan *plan, const char *sysroot,
				   struct kd_err *err);

/**
 * Whether the running kernel has kexec_file_load: probed with invalid flags, which
 * the system call refuses (EINVAL, or EPERM without privilege) before doing anything
 * when it exists, and answers ENOSYS when it does not (CONFIG_KEXEC_FILE unset, as on
 * Debian 12's arm64 kernels). No side effect.
 */
bool ldr_kexec_file_available(void);

/** Unload the crash kernel (KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH). */
enum kd_status ldr_kexec_file_unload(const char *sysroot, struct kd_err *err);

/**
 * One line saying what @errnum from the kexec system call @sc means for a
 * crash load (or unload). For EPERM it reads @sysroot's
 * sys/kernel/security/lockdown and proc/sys/kernel/kexec_load_disabled to say
 * which refusal it was. Returns a constant string or @buf.
 */
const char *ldr_kexec_explain(int errnum, enum ldr_syscall sc, bool unload, const char *sysroot,
			      char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* kexec_load (-c; x86_64 and arm64): segments, ELF core header and purgatory built here. */

/**
 * Load the plan's kernel with kexec_load: reads kernel and initrd into memory,
 * parses iomem (@opts->iomem_path or SYSROOT/proc/iomem), builds the segments
 * with loader/kexec-load.h and calls the system. With @dry_run nothing is
 * loaded. When @segments_out is not NULL the segment layout is printed there.
 * Call ldr_plan_check() first.
 */
enum kd_status ldr_kexec_load_plan(const struct ldr_plan *plan, const struct ldr_options *opts,
				   bool dry_run, FILE *segments_out, struct kd_err *err);

/**
 * For an arm64 kexec_load plan without problems: lay out the segments (a dry run of
 * ldr_kexec_load_plan(); reads /proc/kcore, sysfs and the device tree, so it needs
 * root on a live system) into plan->layout, which ldr_plan_print() then shows. A
 * failure is recorded in plan->layout.error, not returned. Other plans: nothing.
 */
void ldr_plan_layout(struct ldr_plan *plan, const struct ldr_options *opts);

/** Unload the crash kernel with kexec_load (no segments); @sysroot as for ldr_kexec_explain(). */
enum kd_status ldr_kexec_load_unload(const char *sysroot, struct kd_err *err);

/** Format a byte count as "128 MiB" / "1.5 GiB" / "4096 bytes" into @buf. */
const char *ldr_size_str(uint64_t bytes, char *buf, size_t len);

#endif
