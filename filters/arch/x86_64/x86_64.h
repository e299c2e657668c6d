/* x86_64 virtual-to-physical translation for the dead kernel (4- and 5-level page tables). */
#ifndef KD_FILTERS_X86_64_H
#define KD_FILTERS_X86_64_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/formats.h"

struct flt_mem;

/** One cached page-table page per level, so walks over adjacent addresses read each table once. */
struct flt_x86_64_table {
	uint64_t paddr;
	bool valid;
	uint64_t entry[512];
};

struct flt_x86_64 {
	bool ok;
	bool l5;		/* NUMBER(pgtable_l5_enabled) */
	uint64_t top_paddr;	/* physical address of init_top_pgt / swapper_pg_dir */
	uint64_t phys_base;	/* NUMBER(phys_base) */
	uint64_t sme_mask;	/* NUMBER(sme_mask): memory-encryption bit in entries */
	uint64_t image_size;	/* NUMBER(KERNEL_IMAGE_SIZE) or 512 MiB */
	struct flt_x86_64_table *tables; /* 5 levels, heap */
};

/**
 * Set up translation from VMCOREINFO. KD_ERR_NODATA when a needed key is
 * missing: @why names it. KD_ERR_NOMEM.
 */
enum kd_status flt_x86_64_init(struct flt_x86_64 *x, const struct fmt_vmcoreinfo *vi, char *why,
			       size_t why_len);
void flt_x86_64_deinit(struct flt_x86_64 *x);
/** Forget cached table pages (memory may have changed between passes; cheap). */
void flt_x86_64_flush(struct flt_x86_64 *x);

/**
 * Translate @vaddr. *ret_len = bytes from @vaddr to the end of its mapping
 * (page, large page or kernel image). KD_ERR_NODATA for an address that is
 * not canonical or not mapped; read errors are passed through.
 */
enum kd_status flt_x86_64_vtop(struct flt_x86_64 *x, const struct flt_mem *mem, uint64_t vaddr,
			       uint64_t *ret_paddr, uint64_t *ret_len, struct kd_err *err);

#endif
