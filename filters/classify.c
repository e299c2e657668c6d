/* The page classifier: one struct page (and its first tail) to a makedumpfile class. */
#include "filters/filters-priv.h"

void flt_page_decode(const struct flt_page_keys *pk, const uint8_t *raw, struct flt_page *ret)
{
	ret->flags = get_le64(raw + pk->off_flags);
	ret->mapping = pk->off_mapping >= 0 ? get_le64(raw + pk->off_mapping) : 0;
	ret->private = pk->off_private >= 0 ? get_le64(raw + pk->off_private) : 0;
	ret->head = pk->off_head >= 0 ? get_le64(raw + pk->off_head) : 0;
	ret->mapcount = pk->off_mapcount >= 0 ? get_le32(raw + pk->off_mapcount) : 0xffffffffu;
}

static bool bit_set(uint64_t flags, int bit)
{
	return bit >= 0 && ((flags >> bit) & 1);
}

static bool is_slab(const struct flt_page_keys *pk, const struct flt_page *pg)
{
	return flt_ptype_is(&pk->slab, pg->mapcount) || bit_set(pg->flags, pk->pg_slab);
}

static bool is_cache(const struct flt_page_keys *pk, uint64_t flags)
{
	if (bit_set(flags, pk->pg_lru))
		return true;
	return bit_set(flags, pk->pg_swapcache) &&
	       (pk->pg_swapbacked < 0 || bit_set(flags, pk->pg_swapbacked));
}

static bool is_buddy(const struct flt_page_keys *pk, const struct flt_page *pg)
{
	if (is_slab(pk, pg))
		return false;
	if (pk->buddy.known)
		return flt_ptype_is(&pk->buddy, pg->mapcount);
	return bit_set(pg->flags, pk->pg_buddy);
}

/*
 * Whether @v can be a kernel pointer: top byte 0xff on x86_64 (4- and 5-level), so garbage
 * passes with p = 1/256. arm64 ignores the top byte (KASAN and MTE tags live there), but bits
 * 52..55 are set for VA_BITS <= 52 (p = 1/16).
 */
static bool kernel_ptr(const struct flt_model *m, uint64_t v)
{
	if (m->arch == FLT_ARCH_ARM64)
		return ((v >> 52) & 0xf) == 0xf;
	return (v >> 56) == 0xff;
}

/*
 * Largest compound order a kernel builds: a PUD-sized hugetlb page, 2 * (page_shift - 3)
 * (1 GiB for 4 KiB pages, 64 GiB for 16 KiB).
 */
static uint64_t max_compound_order(const struct flt_model *m)
{
	return 2 * ((uint64_t)m->page_shift - 3);
}

/*
 * Whether an excluded class fits the struct page: an anonymous page's mapping is an anon_vma
 * pointer, a cache or hugetlb page's one is NULL or an address_space pointer. Garbage that
 * fails is kept and counted, not dropped.
 */
static bool mapping_plausible(const struct flt_model *m, const struct flt_page *pg, bool anon)
{
	uint64_t ptr = pg->mapping & ~3ull;

	return kernel_ptr(m, ptr) || (!anon && ptr == 0);
}

/* Order and hugetlb-ness of a compound head from its first tail; false if the order is unknown. */
static bool compound_info(const struct flt_page_keys *pk, uint64_t pfn, const struct flt_page *pg,
			  const uint8_t *next, uint64_t *ret_order, bool *ret_hugetlb)
{
	uint64_t order = 0, dtor;
	bool hugetlb = false;

	if (!next)
		return false;
	switch (pk->order_src) {
	case FLT_ORDER_PAGE1_BYTE:
		order = next[pk->order_off];
		break;
	case FLT_ORDER_PAGE1_FLAGS:
		order = get_le64(next + pk->off_flags) & 0xff;
		break;
	case FLT_ORDER_NONE:
		return false;
	}
	switch (pk->hugetlb_src) {
	case FLT_HUGETLB_TYPE:
		hugetlb = flt_ptype_is(&pk->hugetlb, pg->mapcount);
		break;
	case FLT_HUGETLB_FLAG1:
		hugetlb = bit_set(get_le64(next + pk->off_flags), pk->pg_hugetlb);
		break;
	case FLT_HUGETLB_DTOR:
		dtor = pk->dtor_width == 8 ? get_le64(next + pk->dtor_off) : next[pk->dtor_off];
		hugetlb = dtor == pk->dtor_value;
		break;
	case FLT_HUGETLB_NONE:
		break;
	}
	/* like makedumpfile: an impossible order counts as a single page */
	if (order >= 64 || (pfn & ((1ull << order) - 1)) != 0)
		order = 0;
	*ret_order = order;
	*ret_hugetlb = hugetlb;
	return true;
}

enum flt_class flt_classify(struct flt_model *m, int level, uint64_t pfn,
			    const struct flt_page *pg, const uint8_t *next, uint64_t *ret_nr)
{
	const struct flt_page_keys *pk = &m->pk;
	uint64_t order = 0, nr = 1;
	bool hugetlb = false, head;
	enum flt_class cls;

	*ret_nr = 1;
	/* a tail page goes with its head */
	if (pk->off_head >= 0 && (pg->head & 1))
		return FLT_KEEP;
	if (pk->head_mask)
		head = (pg->flags & pk->head_mask) != 0;
	else
		head = next && pk->off_head >= 0 && (get_le64(next + pk->off_head) & 1);
	if (head) {
		/* nr == 0: a compound page of unknown size, kept whole */
		nr = compound_info(pk, pfn, pg, next, &order, &hugetlb) ? 1ull << order : 0;
	}

	if ((level & FLT_DL_FREE) && is_buddy(pk, pg)) {
		uint64_t bo = pg->private;
		uint64_t limit = pk->max_order ? pk->max_order : 64 - m->page_shift;

		if (bo >= limit || (pfn & ((1ull << bo) - 1)) != 0) {
			flt_problem(m, FLT_PROB_ORDER, pfn, 1,
				    "free page at pfn 0x%llx has order %llu, kept",
				    (unsigned long long)pfn, (unsigned long long)bo);
			return FLT_KEEP;
		}
		*ret_nr = 1ull << bo;
		return FLT_FREE;
	}
	/* unaccepted memory (6.16+, TDX/SEV-SNP guests): free blocks of the largest order */
	if ((level & FLT_DL_FREE) && pk->max_order && flt_ptype_is(&pk->unaccepted, pg->mapcount)) {
		uint64_t uo = pk->max_order - 1;

		if ((pfn & ((1ull << uo) - 1)) != 0) {
			flt_problem(m, FLT_PROB_ORDER, pfn, 1,
				    "unaccepted page at pfn 0x%llx is not aligned to order %llu, kept",
				    (unsigned long long)pfn, (unsigned long long)uo);
			return FLT_KEEP;
		}
		*ret_nr = 1ull << uo;
		return FLT_FREE;
	}

	bool slab = is_slab(pk, pg);
	bool anon = (pg->mapping & 1) && !slab;
	bool cache = is_cache(pk, pg->flags);
	bool priv = bit_set(pg->flags, pk->pg_private);

	if ((level & FLT_DL_CACHE) && cache && !priv && !anon)
		cls = FLT_CACHE;
	else if ((level & FLT_DL_CACHE_PRIVATE) && cache && !anon)
		cls = priv ? FLT_CACHE_PRIVATE : FLT_CACHE;
	else if ((level & FLT_DL_USER) && (anon || hugetlb))
		cls = FLT_USER;
	else if (bit_set(pg->flags, pk->pg_hwpoison))
		cls = FLT_HWPOISON;
	else if (!slab && flt_ptype_is(&pk->offline, pg->mapcount))
		cls = FLT_OFFLINE;
	else
		return FLT_KEEP;

	if ((cls == FLT_CACHE || cls == FLT_CACHE_PRIVATE || cls == FLT_USER) &&
	    !mapping_plausible(m, pg, anon)) {
		flt_problem(m, FLT_PROB_IMPLAUSIBLE, pfn, 1,
			    "%s page with mapping 0x%llx", anon ? "anonymous" : "cache or hugetlb",
			    (unsigned long long)pg->mapping);
		return FLT_KEEP;
	}
	if (nr > 1 && order > max_compound_order(m)) {
		if (cls != FLT_HWPOISON && cls != FLT_OFFLINE) {
			flt_problem(m, FLT_PROB_IMPLAUSIBLE, pfn, 1, "compound page of order %llu",
				    (unsigned long long)order);
			return FLT_KEEP;
		}
		nr = 1;
	}
	if (nr == 0) {
		if (cls != FLT_HWPOISON && cls != FLT_OFFLINE)
			return FLT_KEEP;
		nr = 1;
	}
	*ret_nr = nr;
	return cls;
}
