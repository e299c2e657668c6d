/* loader/arch/arm64: the capture kernel's device tree (/chosen edited from the running kernel's). */
#ifndef LDR_ARCH_ARM64_H
#define LDR_ARCH_ARM64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/error.h"
#include "loader/kexec-load.h"
#include "loader/loader.h"

/* ------------------------------------------------------------------ */
/* arm64 Image header (Documentation/arch/arm64/booting.rst) */

enum {
	LDR_ARM64_IMAGE_HEADER = 64,
	LDR_ARM64_DEFAULT_TEXT_OFFSET = 0x80000,	/* image_size 0: before Linux 3.17 */
	LDR_ARM64_IMAGE_ALIGN = 2 << 20,		/* load at a 2 MiB-aligned base + text_offset */
};

/** The Image header fields kdump-load uses; pointers borrow the caller's image. */
struct ldr_arm64_image {
	uint64_t text_offset;	/* 8: image load offset from a 2 MiB-aligned base */
	uint64_t image_size;	/* 16: memory the kernel needs (file size if the header says 0) */
	uint64_t flags;		/* 24 */
	bool big_endian;	/* flags bit 0 */
	uint32_t page_size;	/* flags bits 1-2: 4096, 16384, 65536, or 0 unspecified */
	bool phys_anywhere;	/* flags bit 3: any 2 MiB-aligned base, not only near DRAM start */
	bool has_pe;		/* "MZ" and a PE header offset (EFI stub) */
	const uint8_t *image;
	size_t size;
};

/**
 * Parse the arm64 Image header of @image (borrowed). KD_ERR_CORRUPT for a file
 * shorter than the header or without the "ARM\x64" magic, or an image_size
 * smaller than the file; KD_ERR_NOTIMPL for a big-endian kernel.
 */
enum kd_status ldr_arm64_image_parse(const void *image, size_t size, struct ldr_arm64_image *ret,
				     struct kd_err *err);

/* ------------------------------------------------------------------ */
/* The running kernel's virtual layout, for the ELF core header's p_vaddr */

/** Where the kernel maps physical memory, from /proc/kcore (no symbol needed). */
struct ldr_arm64_layout {
	uint64_t linear_offset;	/* linear map: vaddr = paddr + linear_offset */
	uint64_t text_vaddr;	/* kernel image mapping (_text) */
	uint64_t text_paddr;
	uint64_t text_size;
	uint64_t kimage_voffset; /* text_vaddr - text_paddr */
	bool have_vmcoreinfo;	/* the kcore VMCOREINFO note was read and agrees */
	uint64_t phys_offset;	/* NUMBER(PHYS_OFFSET), if have_vmcoreinfo */
	unsigned va_bits;	/* NUMBER(VA_BITS), if have_vmcoreinfo */
};

/**
 * Read the layout from the start of /proc/kcore (@hdr, @len bytes: the ELF header,
 * program headers and notes; 16 KiB is plenty). The linear map is the offset
 * (p_vaddr - p_paddr) shared by the loads with a physical address that cover the most
 * bytes; the kernel text is the other one. When the kcore's VMCOREINFO note is
 * complete, -(1 << VA_BITS) - PHYS_OFFSET and kimage_voffset must agree with them.
 * Errors: KD_ERR_CORRUPT (not an ELF64 little-endian core, headers past @len, no
 * linear or text load, disagreement with VMCOREINFO), KD_ERR_NOMEM.
 */
enum kd_status ldr_arm64_layout_from_kcore(const void *hdr, size_t len,
					   struct ldr_arm64_layout *ret, struct kd_err *err);

/* ------------------------------------------------------------------ */
/* Purgatory relocations (loader/purgatory-reloc.c dispatches EM_AARCH64 objects here) */

/**
 * Apply the AArch64 relocation @type at @loc (@room bytes left in its section) for
 * place @pc and value @sa (S + A). Range-checked types give KD_ERR_INVALID on
 * overflow; an unknown type KD_ERR_NOTIMPL. The message does not name the offset.
 */
enum kd_status ldr_arm64_reloc_apply(uint8_t *loc, uint64_t room, uint64_t pc, uint64_t sa,
				     unsigned type, struct kd_err *err);
/** "R_AARCH64_CALL26", ..., "unknown". */
const char *ldr_arm64_reloc_name(unsigned type);

/* ------------------------------------------------------------------ */
/* Device tree */

/** What /chosen of the capture kernel's device tree gets; ranges are inclusive (ldr_range). */
struct ldr_arm64_chosen {
	uint64_t elfcorehdr_start;	/* linux,elfcorehdr = <start size> */
	uint64_t elfcorehdr_size;
	const struct ldr_range *crash;	/* linux,usable-memory-range: every range, any order; */
	size_t nr_crash;		/* written highest first, lowest last */
	const char *bootargs;		/* bootargs; NULL keeps the old one */
	bool set_kaslr_seed;		/* kaslr-seed = <u64> (a fresh one: 0 disables KASLR) */
	uint64_t kaslr_seed;
	const uint8_t *rng_seed;	/* rng-seed bytes replacing the old one; NULL/0 keeps it */
	size_t rng_seed_len;
	bool set_initrd;		/* linux,initrd-start / -end (u64, end exclusive) */
	uint64_t initrd_start;
	uint64_t initrd_end;
};

/**
 * Copy the flattened device tree @fdt (@len bytes, e.g. /sys/firmware/fdt) to a new
 * blob (*ret, malloc'd, *ret_len bytes) whose /chosen has the properties of @c,
 * replacing earlier ones of the same names (and linux,initrd-* when set_initrd is
 * false, so an old initrd is not reused); /chosen is created if missing. Address and
 * size cells come from the root's #address-cells and #size-cells (2 and 1 if absent).
 * Errors: KD_ERR_CORRUPT (not an FDT, truncated, bad tokens), KD_ERR_NOTIMPL (more than
 * two cells, FDT version < 16), KD_ERR_INVALID (a value does not fit one cell, no crash
 * range), KD_ERR_NOMEM.
 */
enum kd_status ldr_arm64_dt_edit(const void *fdt, size_t len, const struct ldr_arm64_chosen *c,
				 uint8_t **ret, size_t *ret_len, struct kd_err *err);

/* ------------------------------------------------------------------ */
/* kexec_load: the segments of an arm64 crash load */

/** KEXEC_ARCH_AARCH64: EM_AARCH64 << 16, the kexec_load flag for arm64 segments. */
#define LDR_KEXEC_ARCH_ARM64 (183ul << 16)
/** ldr_arm64_plan_from_system(): take purgatory's UART from the device tree. */
#define LDR_ARM64_UART_FROM_DT UINT64_MAX
/** Bytes of rng-seed the capture kernel gets (as the kernel's own kexec_file_load). */
#define LDR_ARM64_RNG_SEED_SIZE 128

/** Everything an arm64 crash load needs; all pointers are borrowed for the call. */
struct ldr_arm64_kexec_input {
	const void *kernel;		/* Image file bytes */
	size_t kernel_size;
	const void *initrd;		/* NULL/0: none */
	size_t initrd_size;
	const char *cmdline;		/* bootargs of the capture kernel */
	const struct ldr_range *crash;	/* every "Crash kernel" range, any order */
	size_t nr_crash;
	long target;			/* index in crash[] of crashk_res; -1: the highest */
	const void *fdt;		/* the running kernel's device tree (/sys/firmware/fdt) */
	size_t fdt_size;
	const void *elfcorehdr;		/* from ldr_elfcorehdr_build() */
	size_t elfcorehdr_size;
	bool set_kaslr_seed;
	uint64_t kaslr_seed;
	const uint8_t *rng_seed;	/* NULL/0: none */
	size_t rng_seed_size;
	uint64_t uart_base;		/* PL011 for purgatory's mismatch message, 0: none */
	const void *purgatory;		/* NULL: the built-in one (must be an arm64 build) */
	size_t purgatory_size;
	uint64_t page_size;		/* the running kernel's; segments are aligned to it (0: 4 KiB) */
};

/** A computed arm64 load: segments point into the input and into buffers it owns. */
struct ldr_arm64_kexec_plan {
	struct ldr_kexec_segment seg[LDR_KEXEC_MAX_SEGMENTS];
	size_t nr_seg;
	uint64_t entry;			/* purgatory_start: the syscall's entry */
	uint64_t kernel_entry;		/* the Image's load address (base + text_offset) */
	uint64_t dtb_addr;
	uint64_t elfcorehdr_addr;
	uint64_t elfcorehdr_size;
	uint64_t initrd_addr;		/* 0 without an initrd */
	struct ldr_range usable[LDR_KEXEC_MAX_SEGMENTS]; /* linux,usable-memory-range, DT order */
	size_t nr_usable;
	uint8_t digest[32];		/* what purgatory will check */
	struct ldr_arm64_image img;
	uint8_t *dtb;			/* owned */
	size_t dtb_size;
	struct ldr_purgatory *purgatory;
	uint8_t *elfcorehdr;		/* set by ldr_arm64_plan_from_system() only */
};

/**
 * Compute an arm64 crash load without side effects. Every segment goes in the
 * target crash range (kexec_load refuses segments outside crashk_res), aligned to
 * the running kernel's page size: the
 * Image at its bottom (2 MiB-aligned base + text_offset, image_size bytes), the
 * others stacked from the top down: ELF core header, initrd, device tree (never
 * across a 2 MiB boundary), purgatory. The device tree is the running one with
 * /chosen rewritten (ldr_arm64_dt_edit(): every crash range as usable memory).
 * KD_ERR_NOSPC when they do not fit. Free with ldr_arm64_kexec_plan_deinit().
 */
enum kd_status ldr_arm64_kexec_plan_build(const struct ldr_arm64_kexec_input *in,
					  struct ldr_arm64_kexec_plan *ret, struct kd_err *err);
void ldr_arm64_kexec_plan_deinit(struct ldr_arm64_kexec_plan *plan);

/**
 * The whole arm64 kexec_load preparation below @sysroot (NULL or "" for /): crash
 * and System RAM ranges from @io, CPU notes and VMCOREINFO (sysfs), the layout from
 * proc/kcore (ldr_arm64_layout_from_kcore()), the ELF core header (linear map at
 * paddr + linear_offset, the kernel image at kimage_voffset, crash ranges left out),
 * sys/firmware/fdt, fresh kaslr-seed and rng-seed (getrandom), then
 * ldr_arm64_kexec_plan_build(). @target is the crash range index as
 * ldr_iomem_target_crash_range() gives it (-1: the highest). @uart_base: purgatory's
 * PL011, 0 for none, LDR_ARM64_UART_FROM_DT for the one /chosen stdout-path names.
 * @purgatory: an arm64 purgatory object, NULL for the built-in one.
 */
enum kd_status ldr_arm64_plan_from_system(const struct ldr_iomem *io, long target,
					  const char *sysroot, const void *kernel,
					  size_t kernel_size, const void *initrd,
					  size_t initrd_size, const char *cmdline,
					  uint64_t uart_base, const void *purgatory,
					  size_t purgatory_size, struct ldr_arm64_kexec_plan *ret,
					  struct kd_err *err);

/** Print the segments, entry points, usable-memory-range and digest, one item a line. */
void ldr_arm64_kexec_plan_print(const struct ldr_arm64_kexec_plan *plan, FILE *out);

/**
 * The PL011 UART the device tree's /chosen stdout-path names ("/pl011@9000000"
 * on QEMU virt), from the node's unit address; 0 if there is none.
 */
uint64_t ldr_arm64_dt_pl011(const void *fdt, size_t len);

#endif
