/* kexec_load (x86_64): place every segment of a crash kernel and make the syscall. */
#ifndef LDR_KEXEC_LOAD_H
#define LDR_KEXEC_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "formats/error.h"
#include "loader/arch/x86_64/x86_64.h"
#include "loader/loader.h"
#include "loader/purgatory-reloc.h"
#include "loader/segments.h"

/** Everything a crash load needs; all pointers are borrowed for the call. */
struct ldr_kexec_input {
	const void *kernel;		/* bzImage file bytes */
	size_t kernel_size;
	const void *initrd;		/* NULL/0: none */
	size_t initrd_size;
	const char *cmdline;		/* capture command line, without elfcorehdr= */
	/* /proc/iomem entries (inclusive ends), each array sorted by start: */
	const struct ldr_range *crash;	/* every "Crash kernel" range */
	size_t nr_crash;
	const struct ldr_range *ram;	/* "System RAM" (only its part below 1 MiB is used) */
	size_t nr_ram;
	const struct ldr_range *firmware; /* ACPI tables/NVS, reserved, persistent memory */
	size_t nr_firmware;
	const void *elfcorehdr;		/* from ldr_elfcorehdr_build() */
	size_t elfcorehdr_size;
	uint64_t acpi_rsdp;		/* 0: none */
	uint16_t serial_base;		/* purgatory's UART for the mismatch message, 0: none */
	const void *purgatory;		/* NULL: the built-in one */
	size_t purgatory_size;
};

enum { LDR_KEXEC_MAX_SEGMENTS = 8 };

/** A computed load: segments point into the input and into buffers the plan owns. */
struct ldr_kexec_plan {
	struct ldr_kexec_segment seg[LDR_KEXEC_MAX_SEGMENTS];
	size_t nr_seg;
	uint64_t entry;			/* purgatory_start: the syscall's entry */
	uint64_t kernel_entry;		/* startup_64 of the capture kernel */
	uint64_t bootparams_addr;
	uint64_t elfcorehdr_addr;
	char *cmdline;			/* final command line, with " elfcorehdr=<N>K" */
	uint8_t digest[32];		/* what purgatory will check */
	struct ldr_e820 *e820;		/* the capture kernel's memory map */
	size_t nr_e820;
	struct ldr_bzimage bz;
	uint8_t *bootparams;		/* owned buffers */
	struct ldr_purgatory *purgatory;
	uint8_t *elfcorehdr;		/* set by ldr_kexec_plan_from_system() only */
};

/**
 * Compute a crash load without side effects. Every segment goes in the
 * highest crash range (the kernel refuses kexec_load segments outside
 * crashk_res, the high one with ",high"+",low"); lower ranges only become RAM
 * in the capture kernel's e820. The kernel sits at the bottom aligned to
 * kernel_alignment with init_size bytes; the others are stacked from the top
 * down: elfcorehdr, boot_params + setup_data + command line, purgatory, initrd.
 * KD_ERR_NOSPC when they do not fit. Free with ldr_kexec_plan_deinit().
 */
enum kd_status ldr_kexec_plan_build(const struct ldr_kexec_input *in, struct ldr_kexec_plan *ret,
				    struct kd_err *err);
void ldr_kexec_plan_deinit(struct ldr_kexec_plan *plan);

/**
 * Overwrite the digest purgatory checks (tests: a wrong one must stop the
 * boot in purgatory). The purgatory segment's bytes change in place.
 */
enum kd_status ldr_kexec_plan_set_digest(struct ldr_kexec_plan *plan, const uint8_t digest[32],
					 struct kd_err *err);

/**
 * The whole kexec_load preparation on the running system: the crash, System
 * RAM and firmware (ACPI tables/NVS, reserved, persistent memory) ranges from
 * @io, the CPU notes, VMCOREINFO and kernel layout below @sysroot (NULL or ""
 * for /; see ldr_elfcore_read_system()), the ELF core header (owned by the
 * plan), the ACPI RSDP on EFI machines (sys/firmware/efi/systab), then
 * ldr_kexec_plan_build(). @kernel/@initrd are the file bytes
 * (borrowed: keep them until the plan is loaded), @cmdline the capture
 * command line without elfcorehdr=, @serial_base purgatory's UART (0x3f8 for
 * ttyS0, 0 for none).
 */
enum kd_status ldr_kexec_plan_from_system(const struct ldr_iomem *io, const char *sysroot,
					  const void *kernel, size_t kernel_size,
					  const void *initrd, size_t initrd_size,
					  const char *cmdline, uint16_t serial_base,
					  struct ldr_kexec_plan *ret, struct kd_err *err);

/** Print the segments, entry points, command line and e820 map, one item a line. */
void ldr_kexec_plan_print(const struct ldr_kexec_plan *plan, FILE *out);

/**
 * kexec_load(@entry, @nr segments, KEXEC_ON_CRASH | @arch) with @arch a KEXEC_ARCH_*
 * value (the ELF machine << 16); any architecture's plan loads through this.
 */
enum kd_status ldr_kexec_load_segments(uint64_t entry, const struct ldr_kexec_segment *seg,
				       size_t nr, unsigned long arch, struct kd_err *err);

/** kexec_load(entry, segments, KEXEC_ON_CRASH | KEXEC_ARCH_X86_64). */
enum kd_status ldr_kexec_load_crash(const struct ldr_kexec_plan *plan, struct kd_err *err);
/** kexec_load with no segments: unload the crash kernel. */
enum kd_status ldr_kexec_unload_crash(struct kd_err *err);

#endif
