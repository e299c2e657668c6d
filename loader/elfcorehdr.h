/* The ELF core header handed to the capture kernel (elfcorehdr=): what it maps. */
#ifndef LDR_ELFCOREHDR_H
#define LDR_ELFCOREHDR_H

#include <stddef.h>
#include <stdint.h>

#include "formats/error.h"
#include "loader/loader.h"

/** A physical note buffer in the first kernel (crash_notes, vmcoreinfo). */
struct ldr_note_buf {
	uint64_t addr;
	uint64_t size;
};

/** Everything the header describes, as plain data (tests build it by hand). */
struct ldr_elfcore_input {
	const struct ldr_note_buf *cpu_notes;	/* one per possible CPU, in CPU order */
	size_t nr_cpu_notes;
	struct ldr_note_buf vmcoreinfo;		/* size 0: none */
	uint64_t text_vaddr;			/* kernel text mapping (_text); size 0: none */
	uint64_t text_paddr;
	uint64_t text_size;
	const struct ldr_range *ram;		/* System RAM, /proc/iomem form (inclusive ends) */
	size_t nr_ram;
	const struct ldr_range *crash;		/* every Crash kernel range */
	size_t nr_crash;
	uint64_t page_offset;			/* direct map base: p_vaddr = page_offset + paddr */
	uint64_t low_exclude;			/* RAM below this is left out (1 MiB, see below) */
	uint16_t machine;			/* e_machine; 0 means EM_X86_64 */
};

/** LDR_ELFCORE_LOW_EXCLUDE: like the kernel's own kexec_file_load path, the
 * first 1 MiB is not described (the capture kernel uses it as RAM; the first
 * kernel keeps it reserved, so nothing of value is lost), so no backup copy
 * of low memory is needed, unlike kexec-tools. */
#define LDR_ELFCORE_LOW_EXCLUDE (1ull << 20)
/** Header buffers are padded to this (elfcorehdr= is given in KiB). */
#define LDR_ELFCORE_ALIGN 1024

/**
 * Build the ELF64 ET_CORE header: PT_NOTE per CPU, PT_NOTE for VMCOREINFO,
 * the kernel-text PT_LOAD, then one PT_LOAD per System RAM range minus every
 * crash range and minus [0, low_exclude). p_offset = p_paddr (the capture
 * kernel reads old memory by physical address). *@buf_ret is malloc'd, its
 * size a multiple of LDR_ELFCORE_ALIGN (zero padded).
 */
enum kd_status ldr_elfcorehdr_build(const struct ldr_elfcore_input *in, uint8_t **buf_ret,
				    size_t *size_ret, struct kd_err *err);

/** What ldr_elfcore_read_system() found; free with ldr_elfcore_sys_deinit(). */
struct ldr_elfcore_sys {
	struct ldr_note_buf *cpu_notes;
	size_t nr_cpu_notes;
	struct ldr_note_buf vmcoreinfo;
	uint64_t page_offset;
	uint64_t text_vaddr, text_paddr, text_size;
};

/**
 * Read the running kernel's values below @root ("" or "/" for the live
 * system, a fixture folder in tests): sys/devices/system/cpu/possible and
 * cpuN/crash_notes{,_size}, sys/kernel/vmcoreinfo, and the program headers of
 * proc/kcore (page_offset from a direct-map PT_LOAD, the kernel text from the
 * one at or above 0xffffffff80000000).
 */
enum kd_status ldr_elfcore_read_system(const char *root, struct ldr_elfcore_sys *ret,
				       struct kd_err *err);
void ldr_elfcore_sys_deinit(struct ldr_elfcore_sys *sys);

/**
 * The architecture-neutral part of ldr_elfcore_read_system(): the CPU notes and
 * VMCOREINFO only (page_offset and the text fields stay 0), for architectures
 * that read the kernel layout their own way.
 */
enum kd_status ldr_elfcore_read_notes(const char *root, struct ldr_elfcore_sys *ret,
				      struct kd_err *err);

#endif
