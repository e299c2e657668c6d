/* x86_64 page-table walk over the dead kernel's memory, with one cached table page per level. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters.h"
#include "filters/arch/x86_64/x86_64.h"

#define START_KERNEL_MAP 0xffffffff80000000ull
#define DEFAULT_IMAGE_SIZE (512ull << 20)
#define PTE_PRESENT 0x1ull
#define PTE_PSE 0x80ull
#define PTE_ADDR_MASK 0x000ffffffffff000ull
#define PAGE_SHIFT_4K 12
#define LEVEL_BITS 9

enum kd_status flt_x86_64_init(struct flt_x86_64 *x, const struct fmt_vmcoreinfo *vi, char *why,
			       size_t why_len)
{
	uint64_t top, size;
	int64_t num;

	memset(x, 0, sizeof(*x));
	if (!fmt_vmci_symbol(vi, "init_top_pgt", &top) &&
	    !fmt_vmci_symbol(vi, "init_level4_pgt", &top) &&
	    !fmt_vmci_symbol(vi, "swapper_pg_dir", &top)) {
		snprintf(why, why_len, "missing SYMBOL(init_top_pgt)");
		return KD_ERR_NODATA;
	}
	if (!fmt_vmci_number(vi, "phys_base", &num)) {
		snprintf(why, why_len, "missing NUMBER(phys_base)");
		return KD_ERR_NODATA;
	}
	if (top < START_KERNEL_MAP) {
		snprintf(why, why_len, "SYMBOL(init_top_pgt) is not a kernel-image address");
		return KD_ERR_NODATA;
	}
	x->phys_base = (uint64_t)num;
	x->top_paddr = top - START_KERNEL_MAP + x->phys_base;
	if (x->top_paddr & 0xfff) {
		snprintf(why, why_len, "SYMBOL(init_top_pgt) is not page aligned");
		return KD_ERR_NODATA;
	}
	x->l5 = fmt_vmci_number(vi, "pgtable_l5_enabled", &num) && num != 0;
	x->sme_mask = fmt_vmci_number(vi, "sme_mask", &num) ? (uint64_t)num : 0;
	x->image_size = DEFAULT_IMAGE_SIZE;
	if (fmt_vmci_number(vi, "KERNEL_IMAGE_SIZE", &num) && num > 0 &&
	    (uint64_t)num <= 0ull - START_KERNEL_MAP)
		x->image_size = (uint64_t)num;
	else if (fmt_vmci_size(vi, "KERNEL_IMAGE_SIZE", &size) && size > 0)
		x->image_size = size;
	x->tables = calloc(5, sizeof(*x->tables));
	if (!x->tables)
		return KD_ERR_NOMEM;
	x->ok = true;
	return KD_OK;
}

void flt_x86_64_deinit(struct flt_x86_64 *x)
{
	free(x->tables);
	x->tables = NULL;
	x->ok = false;
}

void flt_x86_64_flush(struct flt_x86_64 *x)
{
	if (!x->tables)
		return;
	for (int i = 0; i < 5; i++)
		x->tables[i].valid = false;
}

static bool canonical(const struct flt_x86_64 *x, uint64_t vaddr)
{
	unsigned bits = x->l5 ? 57 : 48;
	uint64_t top = vaddr >> (bits - 1);

	return top == 0 || top == (~0ull >> (bits - 1));
}

/* Read entry @idx of the table at @paddr through the cache slot of @level. */
static enum kd_status table_entry(struct flt_x86_64 *x, const struct flt_mem *mem, int level,
				  uint64_t paddr, unsigned idx, uint64_t *ret, struct kd_err *err)
{
	struct flt_x86_64_table *t = &x->tables[level];
	uint8_t raw[8 * 512];
	enum kd_status st;

	if (!t->valid || t->paddr != paddr) {
		if ((paddr >> PAGE_SHIFT_4K) >= mem->max_pfn)
			return kd_err_set(err, KD_ERR_NODATA,
					  "page table at 0x%llx is beyond the end of memory",
					  (unsigned long long)paddr);
		st = mem->read_phys(mem->ctx, paddr, raw, sizeof(raw), err);
		if (st != KD_OK)
			return kd_err_prefix(err, "reading page table at 0x%llx",
					     (unsigned long long)paddr);
		for (unsigned i = 0; i < 512; i++)
			t->entry[i] = get_le64(raw + 8 * i);
		t->paddr = paddr;
		t->valid = true;
	}
	*ret = t->entry[idx];
	return KD_OK;
}

enum kd_status flt_x86_64_vtop(struct flt_x86_64 *x, const struct flt_mem *mem, uint64_t vaddr,
			       uint64_t *ret_paddr, uint64_t *ret_len, struct kd_err *err)
{
	uint64_t mask = PTE_ADDR_MASK & ~x->sme_mask;
	uint64_t table, entry = 0;
	int levels = x->l5 ? 5 : 4;
	enum kd_status st;

	if (!x->ok)
		return kd_err_set(err, KD_ERR_NOTIMPL, "no x86_64 page tables");
	if (vaddr >= START_KERNEL_MAP && vaddr - START_KERNEL_MAP < x->image_size) {
		*ret_paddr = vaddr - START_KERNEL_MAP + x->phys_base;
		*ret_len = x->image_size - (vaddr - START_KERNEL_MAP);
		return KD_OK;
	}
	if (!canonical(x, vaddr))
		return kd_err_set(err, KD_ERR_NODATA, "0x%llx is not a canonical address",
				  (unsigned long long)vaddr);
	table = x->top_paddr;
	for (int level = levels; level >= 1; level--) {
		unsigned shift = PAGE_SHIFT_4K + LEVEL_BITS * (unsigned)(level - 1);
		unsigned idx = (unsigned)(vaddr >> shift) & 511;
		uint64_t span = 1ull << shift;

		st = table_entry(x, mem, level - 1, table, idx, &entry, err);
		if (st != KD_OK)
			return kd_err_prefix(err, "translating 0x%llx", (unsigned long long)vaddr);
		if (!(entry & PTE_PRESENT))
			return kd_err_set(err, KD_ERR_NODATA, "0x%llx is not mapped (level %d)",
					  (unsigned long long)vaddr, level);
		/* 1 GiB (level 3) and 2 MiB (level 2) pages; level 1 entries are pages */
		if (level == 1 || ((level == 2 || level == 3) && (entry & PTE_PSE))) {
			uint64_t off = vaddr & (span - 1);

			*ret_paddr = ((entry & mask) & ~(span - 1)) + off;
			*ret_len = span - off;
			return KD_OK;
		}
		table = entry & mask;
	}
	return kd_err_set(err, KD_ERR_NODATA, "0x%llx is not mapped", (unsigned long long)vaddr);
}
