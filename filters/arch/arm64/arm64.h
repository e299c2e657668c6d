/* arm64 virtual-to-physical translation for the dead kernel (4/16/64 KiB granules, 39-52-bit VA). */
#ifndef KD_FILTERS_ARM64_H
#define KD_FILTERS_ARM64_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/formats.h"

struct flt_mem;

#define FLT_ARM64_MAX_LEVELS 5

/** One cached translation-table page per level (up to 8192 entries for 64 KiB granules). */
struct flt_arm64_table {
	uint64_t paddr;
	bool valid;
	uint64_t *entry;	/* heap, 1 << (page_shift - 3) entries */
};

struct flt_arm64 {
	bool ok;		/* translation set up (page tables or linear map) */
	bool have_tables;	/* swapper_pg_dir located: page-table walks possible */
	unsigned page_shift;	/* 12, 14 or 16 (PAGESIZE) */
	unsigned va_bits;	/* NUMBER(VA_BITS), the configured size */
	unsigned va_bits_hw;	/* 64 - NUMBER(TCR_EL1_T1SZ), else va_bits */
	unsigned walk_bits;	/* VA bits the software walk indexes with */
	int levels;		/* translation levels walked */
	bool lpa2;		/* FEAT_LPA2 descriptors (52-bit PA with 4/16 KiB granules) */
	bool flipped;		/* 5.4+ layout: linear map in the lower half of the kernel range */
	uint64_t page_offset;	/* start of the linear map (PAGE_OFFSET) */
	uint64_t linear_end;	/* end of the linear map (exclusive; 0 = top of the address space) */
	uint64_t phys_offset;	/* NUMBER(PHYS_OFFSET) (memstart_addr) */
	bool have_voffset;
	uint64_t kimage_voffset; /* NUMBER(kimage_voffset): image vaddr - paddr */
	uint64_t pac_mask;	/* NUMBER(KERNELPACMASK) */
	uint64_t pgd_paddr;	/* physical address of swapper_pg_dir */
	struct flt_arm64_table tables[FLT_ARM64_MAX_LEVELS];
};

/**
 * Set up translation from VMCOREINFO (NUMBER(VA_BITS), NUMBER(PHYS_OFFSET),
 * NUMBER(kimage_voffset), NUMBER(TCR_EL1_T1SZ), NUMBER(KERNELPACMASK),
 * SYMBOL(swapper_pg_dir), PAGESIZE). KD_ERR_NODATA when a needed key is
 * missing or implausible: @why says which. KD_ERR_NOMEM.
 */
enum kd_status flt_arm64_init(struct flt_arm64 *a, const struct fmt_vmcoreinfo *vi, char *why,
			      size_t why_len);
void flt_arm64_deinit(struct flt_arm64 *a);
/** Forget cached table pages. */
void flt_arm64_flush(struct flt_arm64 *a);

/**
 * Translate @vaddr: page-table walk from swapper_pg_dir (blocks and
 * contiguous pages as plain blocks), with the linear-map formula as a
 * fallback for linear addresses that the tables do not map. *ret_len =
 * bytes from @vaddr to the end of its mapping. KD_ERR_NODATA for an address
 * outside the kernel's range or not mapped; read errors are passed through.
 */
enum kd_status flt_arm64_vtop(struct flt_arm64 *a, const struct flt_mem *mem, uint64_t vaddr,
			      uint64_t *ret_paddr, uint64_t *ret_len, struct kd_err *err);

/** Linear-map translation only (PAGE_OFFSET/PHYS_OFFSET); false if @vaddr is not linear. */
bool flt_arm64_linear(const struct flt_arm64 *a, uint64_t vaddr, uint64_t *ret_paddr);

#endif
