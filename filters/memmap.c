/* Where the struct page of a PFN lives: SPARSEMEM mem_section (EXTREME or not), vmemmap, FLATMEM mem_map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters-priv.h"

#define SECTION_MARKED_PRESENT 0x1ull
#define SECTION_HAS_MEM_MAP 0x2ull
/* flag bits kept in the low bits of section_mem_map (5 up to 6.1, 6 on some later configs) */
#define SECTION_MAP_MASK (~0x3full)

static bool sym(const struct fmt_vmcoreinfo *vi, const char *name, uint64_t *ret)
{
	return fmt_vmci_symbol(vi, name, ret);
}

static bool num(const struct fmt_vmcoreinfo *vi, const char *name, int64_t *ret)
{
	return fmt_vmci_number(vi, name, ret);
}

static enum kd_status init_sparse(struct flt_model *m, struct kd_err *err)
{
	const struct fmt_vmcoreinfo *vi = m->vi;
	struct flt_memmap *mm = &m->mm;
	int64_t sbits = 0, pbits = 0;
	char miss[200] = "";

	if (!fmt_vmci_length(vi, "mem_section", &mm->nr_roots))
		strcat(miss, "LENGTH(mem_section) ");
	if (!fmt_vmci_size(vi, "mem_section", &mm->sec_size))
		strcat(miss, "SIZE(mem_section) ");
	if (!fmt_vmci_offset(vi, "mem_section.section_mem_map", &mm->sec_map_off))
		strcat(miss, "OFFSET(mem_section.section_mem_map) ");
	if (!num(vi, "SECTION_SIZE_BITS", &sbits))
		strcat(miss, "NUMBER(SECTION_SIZE_BITS) ");
	if (!num(vi, "MAX_PHYSMEM_BITS", &pbits))
		strcat(miss, "NUMBER(MAX_PHYSMEM_BITS) ");
	if (miss[0]) {
		miss[strlen(miss) - 1] = 0;
		flt_warn(m, FLT_ALWAYS, "VMCOREINFO lacks %s: cannot find struct pages, no page is "
			 "excluded by its type", miss);
		return KD_OK;
	}
	if (sbits <= (int64_t)m->page_shift || pbits > 64 || pbits < sbits || pbits - sbits > 40 ||
	    mm->sec_size < 8 || mm->sec_size > m->page_size ||
	    mm->sec_map_off + 8 > mm->sec_size || mm->nr_roots == 0) {
		flt_warn(m, FLT_ALWAYS, "implausible mem_section keys (SECTION_SIZE_BITS=%lld, "
			 "MAX_PHYSMEM_BITS=%lld, SIZE(mem_section)=%llu): no page is excluded by its type",
			 (long long)sbits, (long long)pbits, (unsigned long long)mm->sec_size);
		return KD_OK;
	}
	uint64_t nr_sections = 1ull << (pbits - sbits);
	uint64_t per_root = m->page_size / mm->sec_size;

	mm->pfn_section_shift = (unsigned)(sbits - (int64_t)m->page_shift);
	if (mm->nr_roots == nr_sections) {
		mm->extreme = false;
		mm->per_root = 1;
	} else if (mm->nr_roots == (nr_sections + per_root - 1) / per_root) {
		mm->extreme = true;
		mm->per_root = per_root;
		mm->root_block = malloc(per_root * mm->sec_size);
		if (!mm->root_block)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	} else {
		flt_warn(m, FLT_ALWAYS, "LENGTH(mem_section)=%llu fits neither SPARSEMEM layout "
			 "(%llu sections): no page is excluded by its type",
			 (unsigned long long)mm->nr_roots, (unsigned long long)nr_sections);
		return KD_OK;
	}
	mm->kind = FLT_MEMMAP_SPARSE;
	return KD_OK;
}

enum kd_status flt_memmap_init(struct flt_model *m, struct kd_err *err)
{
	const struct fmt_vmcoreinfo *vi = m->vi;
	struct flt_memmap *mm = &m->mm;
	struct kd_err sub;
	uint64_t addr;

	memset(mm, 0, sizeof(*mm));
	mm->cached_root = UINT64_MAX;
	mm->last_sec = UINT64_MAX;
	if (!m->have_vtop) {
		flt_warn(m, FLT_ALWAYS, "no address translation: no page is excluded by its type");
		return KD_OK;
	}
	if (sym(vi, "mem_section", &mm->root))
		return init_sparse(m, err);
	if (sym(vi, "vmemmap", &mm->base)) {
		mm->kind = FLT_MEMMAP_VMEMMAP;
		return KD_OK;
	}
	if (sym(vi, "mem_map", &addr)) {
		/* FLATMEM: SYMBOL(mem_map) is the address of the pointer variable */
		kd_err_clear(&sub);
		if (flt_read_virt_u64(m, addr, &mm->base, &sub) != KD_OK || !mm->base) {
			flt_warn(m, FLT_ALWAYS, "cannot read mem_map: %s; no page is excluded by its type",
				 sub.msg);
			return KD_OK;
		}
		mm->kind = FLT_MEMMAP_FLAT;
		return KD_OK;
	}
	flt_warn(m, FLT_ALWAYS, "VMCOREINFO lacks SYMBOL(mem_section), SYMBOL(vmemmap) and "
		 "SYMBOL(mem_map): cannot find struct pages, no page is excluded by its type");
	return KD_OK;
}

void flt_memmap_deinit(struct flt_memmap *mm)
{
	free(mm->root_block);
	mm->root_block = NULL;
}

/* section_mem_map of section @nr, or an error. */
static enum kd_status section_map(struct flt_model *m, uint64_t nr, uint64_t *ret,
				  struct kd_err *err)
{
	struct flt_memmap *mm = &m->mm;
	enum kd_status st;

	if (!mm->extreme) {
		if (nr >= mm->nr_roots)
			return kd_err_set(err, KD_ERR_NODATA, "section %llu is beyond mem_section",
					  (unsigned long long)nr);
		st = flt_read_virt_u64(m, mm->root + nr * mm->sec_size + mm->sec_map_off, ret, err);
		return st == KD_OK ? KD_OK : kd_err_prefix(err, "reading mem_section[%llu]",
							   (unsigned long long)nr);
	}
	uint64_t root = nr / mm->per_root;

	if (root >= mm->nr_roots)
		return kd_err_set(err, KD_ERR_NODATA, "section %llu is beyond mem_section",
				  (unsigned long long)nr);
	if (mm->cached_root != root) {
		mm->cached_root = root;
		mm->root_block_ok = false;
		st = flt_read_virt_u64(m, mm->root + 8 * root, &mm->cached_root_ptr, err);
		if (st != KD_OK) {
			mm->cached_root = UINT64_MAX;
			return kd_err_prefix(err, "reading mem_section root %llu",
					     (unsigned long long)root);
		}
		if (mm->cached_root_ptr) {
			st = flt_read_virt(m, mm->cached_root_ptr, mm->root_block,
					   mm->per_root * mm->sec_size, err);
			if (st != KD_OK) {
				mm->cached_root = UINT64_MAX;
				return kd_err_prefix(err, "reading mem_section root %llu at 0x%llx",
						     (unsigned long long)root,
						     (unsigned long long)mm->cached_root_ptr);
			}
			mm->root_block_ok = true;
		}
	}
	if (!mm->root_block_ok)
		return kd_err_set(err, KD_ERR_NODATA, "section %llu has no mem_section root",
				  (unsigned long long)nr);
	*ret = get_le64(mm->root_block + (nr % mm->per_root) * mm->sec_size + mm->sec_map_off);
	return KD_OK;
}

static enum kd_status lookup_section(struct flt_model *m, uint64_t nr, struct kd_err *err)
{
	struct flt_memmap *mm = &m->mm;
	uint64_t map = 0;
	enum kd_status st;

	kd_err_clear(err);
	st = section_map(m, nr, &map, err);
	if (st == KD_OK && (!(map & SECTION_MARKED_PRESENT) || !(map & SECTION_HAS_MEM_MAP)))
		st = kd_err_set(err, KD_ERR_NODATA, "section %llu is not present",
				(unsigned long long)nr);
	if (st == KD_OK && (map & SECTION_MAP_MASK) == 0)
		st = kd_err_set(err, KD_ERR_CORRUPT, "section %llu has a null mem_map",
				(unsigned long long)nr);
	mm->last_sec = nr;
	mm->last_st = st;
	mm->last_coded = map & SECTION_MAP_MASK;
	snprintf(mm->last_msg, sizeof(mm->last_msg), "%.150s", st == KD_OK ? "" : err->msg);
	return st;
}

enum kd_status flt_memmap_lookup(struct flt_model *m, uint64_t pfn, uint64_t *ret_vaddr,
				 uint64_t *ret_end, struct kd_err *err)
{
	struct flt_memmap *mm = &m->mm;
	uint64_t size = m->pk.size;

	switch (mm->kind) {
	case FLT_MEMMAP_SPARSE: {
		uint64_t nr = pfn >> mm->pfn_section_shift;

		*ret_end = (nr + 1) << mm->pfn_section_shift;
		if (mm->last_sec != nr)
			lookup_section(m, nr, err);
		if (mm->last_st != KD_OK)
			return kd_err_set(err, mm->last_st, "%s", mm->last_msg);
		*ret_vaddr = mm->last_coded + pfn * size;
		return KD_OK;
	}
	case FLT_MEMMAP_VMEMMAP:
	case FLT_MEMMAP_FLAT:
		*ret_vaddr = mm->base + pfn * size;
		*ret_end = m->mem.max_pfn;
		return KD_OK;
	case FLT_MEMMAP_NONE:
		break;
	}
	*ret_end = m->mem.max_pfn;
	return kd_err_set(err, KD_ERR_NOTIMPL, "no struct page array");
}

/* Whether section @nr has a struct page array: 1 yes, 0 no (the kernel says so), -1 unknown. */
static int section_has_map(struct flt_model *m, uint64_t nr)
{
	struct flt_memmap *mm = &m->mm;
	uint64_t map = 0;
	struct kd_err err;

	if (nr / mm->per_root >= mm->nr_roots)
		return 0;
	kd_err_clear(&err);
	if (section_map(m, nr, &map, &err) != KD_OK) {
		/* a null root pointer is an answer; a read that failed is not */
		bool null_root = mm->extreme && mm->cached_root == nr / mm->per_root &&
				 !mm->cached_root_ptr;

		return null_root ? 0 : -1;
	}
	return (map & SECTION_MARKED_PRESENT) && (map & SECTION_HAS_MEM_MAP) &&
	       (map & SECTION_MAP_MASK);
}

uint64_t flt_model_memmap_end(struct flt_model *m, uint64_t limit)
{
	const struct flt_memmap *mm = &m->mm;
	uint64_t nr, end;

	if (mm->kind != FLT_MEMMAP_SPARSE || !limit)
		return limit;
	/* from the top down: the first section with a mem_map ends the array */
	for (nr = (limit - 1) >> mm->pfn_section_shift;; nr--) {
		int has = section_has_map(m, nr);

		if (has < 0)
			return limit;
		if (has) {
			end = (nr + 1) << mm->pfn_section_shift;
			return end < limit ? end : limit;
		}
		if (nr == 0)
			return limit;	/* no section at all: nothing to go by */
	}
}

enum kd_status flt_model_memmap_vaddr(struct flt_model *m, uint64_t pfn, uint64_t *ret_vaddr,
				      uint64_t *ret_end, struct kd_err *err)
{
	uint64_t vaddr = 0, end = 0;
	enum kd_status st = flt_memmap_lookup(m, pfn, &vaddr, &end, err);

	if (st != KD_OK)
		return st;
	*ret_vaddr = vaddr;
	*ret_end = end;
	return KD_OK;
}
