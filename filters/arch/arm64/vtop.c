/* arm64 translation-table walk over the dead kernel's memory, with the linear map as a fallback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters.h"
#include "filters/arch/arm64/arm64.h"

#define DESC_VALID 0x1ull
#define DESC_TABLE 0x2ull	/* at a non-last level: table (1) or block (0); last level: page */
#define TOP_BYTE 0xff00000000000000ull
#define VA_BIT55 (1ull << 55)

/* Address bits of a descriptor: [47:page_shift], plus [51:48] in [15:12] (64 KiB,
 * FEAT_LPA) or [51:50] in [9:8] with [49:48] in place (FEAT_LPA2). */
static uint64_t desc_addr(const struct flt_arm64 *a, uint64_t desc)
{
	uint64_t low = ~((1ull << a->page_shift) - 1);

	if (a->lpa2)
		return (desc & ((1ull << 50) - 1) & low) | ((desc >> 8) & 3) << 50;
	if (a->page_shift == 16)
		return (desc & ((1ull << 48) - 1) & low) | ((desc >> 12) & 0xf) << 48;
	return desc & ((1ull << 48) - 1) & low;
}

static int levels_for(unsigned va_bits, unsigned page_shift)
{
	unsigned per = page_shift - 3;

	return (int)((va_bits - page_shift + per - 1) / per);
}

/* "5.4" or later from OSRELEASE; true when unknown (today's kernels). */
static bool release_at_least_5_4(const struct fmt_vmcoreinfo *vi)
{
	const char *rel = fmt_vmci_str(vi, "OSRELEASE");
	unsigned major = 0, minor = 0;

	if (!rel || sscanf(rel, "%u.%u", &major, &minor) != 2)
		return true;
	return major > 5 || (major == 5 && minor >= 4);
}

static enum kd_status layout(struct flt_arm64 *a, const struct fmt_vmcoreinfo *vi, char *why,
			     size_t why_len)
{
	uint64_t ps = fmt_vmci_pagesize(vi), sym = 0;
	int64_t num;
	bool have_sym = fmt_vmci_symbol(vi, "swapper_pg_dir", &sym);

	if (ps != 4096 && ps != 16384 && ps != 65536) {
		snprintf(why, why_len, "PAGESIZE %llu is not an arm64 granule", (unsigned long long)ps);
		return KD_ERR_NODATA;
	}
	a->page_shift = (unsigned)__builtin_ctzll(ps);
	if (!fmt_vmci_number(vi, "VA_BITS", &num)) {
		snprintf(why, why_len, "missing NUMBER(VA_BITS)");
		return KD_ERR_NODATA;
	}
	if (num < 36 || num > 52) {
		snprintf(why, why_len, "NUMBER(VA_BITS)=%lld is implausible", (long long)num);
		return KD_ERR_NODATA;
	}
	a->va_bits = (unsigned)num;
	a->va_bits_hw = a->va_bits;
	/* the size the MMU really uses: 48 when a 52-bit kernel runs on a CPU without LVA/LPA2 */
	if (fmt_vmci_number(vi, "TCR_EL1_T1SZ", &num) && num >= 12 && num <= 28 &&
	    64 - num <= (int64_t)a->va_bits)
		a->va_bits_hw = (unsigned)(64 - num);
	/* 64 KiB: the kernel indexes its 52-bit PGD and offsets TTBR1 into it for 48 bits;
	 * 4/16 KiB (LPA2): the root level itself changes, so walk as the MMU does */
	a->walk_bits = a->page_shift == 16 ? a->va_bits : a->va_bits_hw;
	a->levels = levels_for(a->walk_bits, a->page_shift);
	if (a->levels < 2 || a->levels > FLT_ARM64_MAX_LEVELS) {
		snprintf(why, why_len, "%u-bit VA with %llu-byte pages is not an arm64 layout",
			 a->walk_bits, (unsigned long long)ps);
		return KD_ERR_NODATA;
	}
	a->lpa2 = a->page_shift != 16 && a->va_bits_hw == 52;
	if (!fmt_vmci_number(vi, "PHYS_OFFSET", &num)) {
		snprintf(why, why_len, "missing NUMBER(PHYS_OFFSET)");
		return KD_ERR_NODATA;
	}
	a->phys_offset = (uint64_t)num;
	a->have_voffset = fmt_vmci_number(vi, "kimage_voffset", &num);
	a->kimage_voffset = (uint64_t)num;
	if (!a->have_voffset)
		a->kimage_voffset = 0;
	a->pac_mask = fmt_vmci_number(vi, "KERNELPACMASK", &num) ? (uint64_t)num : 0;

	/* 5.4 put the linear map in the lower half and the kernel image in the upper one */
	unsigned va_min = a->va_bits > 48 ? 48 : a->va_bits;
	uint64_t upper_half = 0ull - (1ull << (va_min - 1));

	a->flipped = have_sym ? sym >= upper_half : release_at_least_5_4(vi);
	if (a->flipped) {
		a->page_offset = 0ull - (1ull << a->va_bits);
		a->linear_end = upper_half;
	} else {
		a->page_offset = 0ull - (1ull << (a->va_bits - 1));
		a->linear_end = 0;
	}
	a->ok = true;
	if (!have_sym)
		return KD_OK;
	/* swapper_pg_dir is in the kernel image: kimage_voffset (4.6+), else the linear map */
	if (a->have_voffset)
		a->pgd_paddr = sym - a->kimage_voffset;
	else if (!flt_arm64_linear(a, sym, &a->pgd_paddr))
		return KD_OK;
	a->have_tables = (a->pgd_paddr & (ps - 1)) == 0;
	return KD_OK;
}

enum kd_status flt_arm64_init(struct flt_arm64 *a, const struct fmt_vmcoreinfo *vi, char *why,
			      size_t why_len)
{
	enum kd_status st;

	memset(a, 0, sizeof(*a));
	st = layout(a, vi, why, why_len);
	if (st != KD_OK) {
		a->ok = false;
		return st;
	}
	if (!a->have_tables)
		return KD_OK;
	for (int i = 0; i < a->levels; i++) {
		a->tables[i].entry = malloc((size_t)1 << a->page_shift);
		if (!a->tables[i].entry) {
			flt_arm64_deinit(a);
			return KD_ERR_NOMEM;
		}
	}
	return KD_OK;
}

void flt_arm64_deinit(struct flt_arm64 *a)
{
	for (int i = 0; i < FLT_ARM64_MAX_LEVELS; i++) {
		free(a->tables[i].entry);
		a->tables[i].entry = NULL;
		a->tables[i].valid = false;
	}
	a->ok = false;
	a->have_tables = false;
}

void flt_arm64_flush(struct flt_arm64 *a)
{
	for (int i = 0; i < FLT_ARM64_MAX_LEVELS; i++)
		a->tables[i].valid = false;
}

bool flt_arm64_linear(const struct flt_arm64 *a, uint64_t vaddr, uint64_t *ret_paddr)
{
	if (!a->ok || vaddr < a->page_offset || (a->linear_end && vaddr >= a->linear_end))
		return false;
	*ret_paddr = vaddr - a->page_offset + a->phys_offset;
	return true;
}

/* Read entry @idx of the table at @paddr through the cache slot of @level. */
static enum kd_status table_entry(struct flt_arm64 *a, const struct flt_mem *mem, int level,
				  uint64_t paddr, uint64_t idx, uint64_t *ret, struct kd_err *err)
{
	struct flt_arm64_table *t = &a->tables[level];
	size_t size = (size_t)1 << a->page_shift;
	enum kd_status st;

	if (!t->valid || t->paddr != paddr) {
		uint8_t *raw = (uint8_t *)t->entry;

		t->valid = false;
		if ((paddr >> a->page_shift) >= mem->max_pfn)
			return kd_err_set(err, KD_ERR_NODATA,
					  "page table at 0x%llx is beyond the end of memory",
					  (unsigned long long)paddr);
		st = mem->read_phys(mem->ctx, paddr, raw, size, err);
		if (st != KD_OK)
			return kd_err_prefix(err, "reading page table at 0x%llx",
					     (unsigned long long)paddr);
		/* in place: entry i is decoded from the bytes it occupies */
		for (size_t i = 0; i < size / 8; i++)
			t->entry[i] = get_le64(raw + 8 * i);
		t->paddr = paddr;
		t->valid = true;
	}
	*ret = t->entry[idx];
	return KD_OK;
}

static enum kd_status walk(struct flt_arm64 *a, const struct flt_mem *mem, uint64_t vaddr,
			   uint64_t *ret_paddr, uint64_t *ret_len, struct kd_err *err)
{
	unsigned per = a->page_shift - 3;
	uint64_t table = a->pgd_paddr, entry = 0;
	enum kd_status st;

	if (vaddr >> a->walk_bits != ~0ull >> a->walk_bits)
		return kd_err_set(err, KD_ERR_NODATA, "0x%llx is outside the %u-bit kernel range",
				  (unsigned long long)vaddr, a->walk_bits);
	for (int i = 0; i < a->levels; i++) {
		unsigned shift = a->page_shift + per * (unsigned)(a->levels - 1 - i);
		unsigned bits = i == 0 ? a->walk_bits - shift : per;
		uint64_t idx = (vaddr >> shift) & ((1ull << bits) - 1);
		uint64_t span = 1ull << shift;
		bool last = i == a->levels - 1;

		st = table_entry(a, mem, i, table, idx, &entry, err);
		if (st != KD_OK)
			return kd_err_prefix(err, "translating 0x%llx", (unsigned long long)vaddr);
		if (!(entry & DESC_VALID))
			return kd_err_set(err, KD_ERR_NODATA, "0x%llx is not mapped (level %d of %d)",
					  (unsigned long long)vaddr, i, a->levels);
		if (last && !(entry & DESC_TABLE))
			return kd_err_set(err, KD_ERR_NODATA,
					  "0x%llx: reserved page descriptor 0x%llx",
					  (unsigned long long)vaddr, (unsigned long long)entry);
		if (last || !(entry & DESC_TABLE)) {
			/* a page, or a block (1 GiB/2 MiB, 32 MiB, 512 MiB, ...) */
			uint64_t off = vaddr & (span - 1);

			if (i == 0 && a->levels > 3)
				return kd_err_set(err, KD_ERR_NODATA,
						  "0x%llx: block descriptor at the root",
						  (unsigned long long)vaddr);
			*ret_paddr = (desc_addr(a, entry) & ~(span - 1)) + off;
			*ret_len = span - off;
			return KD_OK;
		}
		table = desc_addr(a, entry);
	}
	return kd_err_set(err, KD_ERR_NODATA, "0x%llx is not mapped", (unsigned long long)vaddr);
}

enum kd_status flt_arm64_vtop(struct flt_arm64 *a, const struct flt_mem *mem, uint64_t vaddr,
			      uint64_t *ret_paddr, uint64_t *ret_len, struct kd_err *err)
{
	enum kd_status st = KD_ERR_NODATA;
	uint64_t page = 1ull << a->page_shift;

	if (!a->ok)
		return kd_err_set(err, KD_ERR_NOTIMPL, "no arm64 translation");
	if (!(vaddr & VA_BIT55))
		return kd_err_set(err, KD_ERR_NODATA, "0x%llx is a user address",
				  (unsigned long long)vaddr);
	/* drop a pointer-authentication code and an MTE tag: kernel pointers are all ones there */
	vaddr |= a->pac_mask | TOP_BYTE;
	if (a->have_tables) {
		st = walk(a, mem, vaddr, ret_paddr, ret_len, err);
		if (st != KD_ERR_NODATA)
			return st;
	}
	/* linear addresses the tables do not map (nomap regions, unmapped for debugging) */
	if (flt_arm64_linear(a, vaddr, ret_paddr)) {
		*ret_len = page - (vaddr & (page - 1));
		kd_err_clear(err);
		return KD_OK;
	}
	if (!a->have_tables)
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "0x%llx is not in the linear map and swapper_pg_dir is unknown",
				  (unsigned long long)vaddr);
	return st;
}
