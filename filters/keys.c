/* struct page layout, flag numbers and page types from VMCOREINFO, and the classes they make possible. */
#include <stdio.h>
#include <string.h>

#include "filters/filters-priv.h"

static int64_t key_offset(const struct fmt_vmcoreinfo *vi, const char *name)
{
	uint64_t v;

	return fmt_vmci_offset(vi, name, &v) && v < (1ull << 20) ? (int64_t)v : -1;
}

static int key_bit(const struct fmt_vmcoreinfo *vi, const char *name)
{
	int64_t v;

	return fmt_vmci_number(vi, name, &v) && v >= 0 && v < 64 ? (int)v : -1;
}

static void key_ptype(const struct fmt_vmcoreinfo *vi, const char *name, struct flt_ptype *t)
{
	int64_t v;

	memset(t, 0, sizeof(*t));
	if (!fmt_vmci_number(vi, name, &v))
		return;
	t->known = true;
	t->value = (uint32_t)v;
	/* since 6.12 the type is the top byte and the low 24 bits belong to the owner */
	t->mask = (t->value & 0x00ffffffu) == 0 ? 0xff000000u : 0xffffffffu;
}

/* Append " KEY," to a list of missing keys. */
static void need(char *list, size_t len, bool present, const char *key)
{
	size_t used = strlen(list);

	if (present || used + 1 >= len)
		return;
	snprintf(list + used, len - used, "%s%s", used ? ", " : "", key);
}

static void load_layout(struct flt_page_keys *pk, const struct fmt_vmcoreinfo *vi)
{
	if (!fmt_vmci_size(vi, "page", &pk->size) || pk->size < 8 || pk->size > 4096)
		pk->size = 0;
	pk->off_flags = key_offset(vi, "page.flags");
	pk->off_mapping = key_offset(vi, "page.mapping");
	pk->off_private = key_offset(vi, "page.private");
	pk->off_mapcount = key_offset(vi, "page._mapcount");
	pk->off_head = key_offset(vi, "page.compound_head");
	if (pk->off_head < 0)
		pk->off_head = key_offset(vi, "page.compound_info");
	/* every field must lie inside struct page */
	int64_t *offs[] = { &pk->off_flags, &pk->off_mapping, &pk->off_private,
			    &pk->off_head };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (*offs[i] >= 0 && (uint64_t)*offs[i] + 8 > pk->size)
			*offs[i] = -1;
	if (pk->off_mapcount >= 0 && (uint64_t)pk->off_mapcount + 4 > pk->size)
		pk->off_mapcount = -1;

	pk->pg_lru = key_bit(vi, "PG_lru");
	pk->pg_private = key_bit(vi, "PG_private");
	pk->pg_swapcache = key_bit(vi, "PG_swapcache");
	pk->pg_swapbacked = key_bit(vi, "PG_swapbacked");
	pk->pg_slab = key_bit(vi, "PG_slab");
	pk->pg_hwpoison = key_bit(vi, "PG_hwpoison");
	pk->pg_buddy = key_bit(vi, "PG_buddy");
	pk->pg_hugetlb = key_bit(vi, "PG_hugetlb");
	int64_t v;
	pk->head_mask = fmt_vmci_number(vi, "PG_head_mask", &v) && v > 0 ? (uint64_t)v : 0;
	if (pk->off_mapcount >= 0) {
		key_ptype(vi, "PAGE_BUDDY_MAPCOUNT_VALUE", &pk->buddy);
		key_ptype(vi, "PAGE_OFFLINE_MAPCOUNT_VALUE", &pk->offline);
		key_ptype(vi, "PAGE_SLAB_MAPCOUNT_VALUE", &pk->slab);
		key_ptype(vi, "PAGE_HUGETLB_MAPCOUNT_VALUE", &pk->hugetlb);
		key_ptype(vi, "PAGE_UNACCEPTED_MAPCOUNT_VALUE", &pk->unaccepted);
	}
	uint64_t len;
	pk->max_order = fmt_vmci_length(vi, "zone.free_area", &len) && len > 0 && len < 64 ? len : 0;
}

/* Order of compound pages: page[1] byte (<= 6.5) or page[1].flags low byte (6.6+). */
static void load_order(struct flt_page_keys *pk, const struct fmt_vmcoreinfo *vi)
{
	int64_t off;

	pk->order_src = FLT_ORDER_NONE;
	if ((off = key_offset(vi, "page.compound_order")) >= 0 && (uint64_t)off < pk->size) {
		pk->order_src = FLT_ORDER_PAGE1_BYTE;
		pk->order_off = off;
	} else if ((off = key_offset(vi, "folio._folio_order")) >= 0 &&
		   (uint64_t)off >= pk->size && (uint64_t)off < 2 * pk->size) {
		pk->order_src = FLT_ORDER_PAGE1_BYTE;
		pk->order_off = off - (int64_t)pk->size;
	} else if (pk->pg_hugetlb >= 0 || pk->hugetlb.known || pk->slab.known) {
		/* keys that only 6.6+ kernels export, where the order moved into flags */
		pk->order_src = FLT_ORDER_PAGE1_FLAGS;
	}
}

static void load_hugetlb(struct flt_page_keys *pk, const struct fmt_vmcoreinfo *vi)
{
	int64_t dtor_off = key_offset(vi, "page.compound_dtor");
	int64_t folio_off = key_offset(vi, "folio._folio_dtor");
	int64_t num;
	uint64_t sym;

	if (dtor_off < 0 && folio_off >= 0 && (uint64_t)folio_off >= pk->size)
		dtor_off = folio_off - (int64_t)pk->size;
	pk->hugetlb_src = FLT_HUGETLB_NONE;
	if (pk->hugetlb.known) {
		pk->hugetlb_src = FLT_HUGETLB_TYPE;
	} else if (pk->pg_hugetlb >= 0) {
		pk->hugetlb_src = FLT_HUGETLB_FLAG1;
	} else if (dtor_off >= 0 && fmt_vmci_number(vi, "HUGETLB_PAGE_DTOR", &num)) {
		pk->hugetlb_src = FLT_HUGETLB_DTOR;
		pk->dtor_off = dtor_off;
		pk->dtor_width = 1;
		pk->dtor_value = (uint64_t)num;
	} else if (dtor_off >= 0 && fmt_vmci_symbol(vi, "free_huge_page", &sym)) {
		pk->hugetlb_src = FLT_HUGETLB_DTOR;	/* before 4.4 the destructor was a pointer */
		pk->dtor_off = dtor_off;
		pk->dtor_width = 8;
		pk->dtor_value = sym;
	}
	if (pk->hugetlb_src == FLT_HUGETLB_DTOR && (uint64_t)pk->dtor_off + pk->dtor_width > pk->size)
		pk->hugetlb_src = FLT_HUGETLB_NONE;
}

static const char *class_name(int bit)
{
	switch (bit) {
	case FLT_DL_CACHE: return "2 (non-private cache)";
	case FLT_DL_CACHE_PRIVATE: return "4 (private cache)";
	case FLT_DL_USER: return "8 (user data)";
	default: return "16 (free pages)";
	}
}

/* Disable @bit when @missing is not empty, with a warning. */
static void require(struct flt_model *m, int bit, const char *missing)
{
	if (!missing[0])
		return;
	m->avail &= ~bit;
	flt_warn(m, bit, "dump level %s: VMCOREINFO lacks %s; these pages are kept",
		 class_name(bit), missing);
}

void flt_keys_load(struct flt_model *m)
{
	struct flt_page_keys *pk = &m->pk;
	const struct fmt_vmcoreinfo *vi = m->vi;
	char miss[200];

	load_layout(pk, vi);
	load_order(pk, vi);
	load_hugetlb(pk, vi);

	if (m->mm.kind == FLT_MEMMAP_NONE) {
		m->avail = 0;	/* memmap.c has said why */
		return;
	}
	miss[0] = 0;
	need(miss, sizeof(miss), pk->size != 0, "SIZE(page)");
	need(miss, sizeof(miss), pk->off_flags >= 0, "OFFSET(page.flags)");
	if (miss[0]) {
		m->avail = 0;
		m->mm.kind = FLT_MEMMAP_NONE;
		flt_warn(m, FLT_ALWAYS, "VMCOREINFO lacks %s: no page is excluded by its type", miss);
		return;
	}
	m->avail = FLT_CLASS_BITS;
	m->want_always = pk->pg_hwpoison >= 0 || pk->offline.known;

	bool slab_test = pk->slab.known || pk->pg_slab >= 0;
	const char *slab_key = pk->off_mapcount >= 0 ? "NUMBER(PG_slab) or NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)"
						      : "NUMBER(PG_slab) or OFFSET(page._mapcount)";
	const char *head_key = "OFFSET(page.compound_head)";

	/* page cache: LRU or swap cache, and not anonymous */
	static const int cache_bits[] = { FLT_DL_CACHE, FLT_DL_CACHE_PRIVATE };
	for (size_t i = 0; i < 2; i++) {
		miss[0] = 0;
		need(miss, sizeof(miss), pk->pg_lru >= 0, "NUMBER(PG_lru)");
		need(miss, sizeof(miss), pk->pg_swapcache >= 0, "NUMBER(PG_swapcache)");
		if (cache_bits[i] == FLT_DL_CACHE)
			need(miss, sizeof(miss), pk->pg_private >= 0, "NUMBER(PG_private)");
		need(miss, sizeof(miss), pk->off_mapping >= 0, "OFFSET(page.mapping)");
		need(miss, sizeof(miss), slab_test, slab_key);
		need(miss, sizeof(miss), pk->off_head >= 0, head_key);
		require(m, cache_bits[i], miss);
	}
	/* user data: anonymous (and hugetlbfs) */
	miss[0] = 0;
	need(miss, sizeof(miss), pk->off_mapping >= 0, "OFFSET(page.mapping)");
	need(miss, sizeof(miss), slab_test, slab_key);
	need(miss, sizeof(miss), pk->off_head >= 0, head_key);
	require(m, FLT_DL_USER, miss);
	if ((m->avail & FLT_DL_USER) && pk->hugetlb_src == FLT_HUGETLB_NONE)
		flt_warn(m, FLT_DL_USER,
			 "dump level 8 (user data): VMCOREINFO lacks NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE), "
			 "NUMBER(PG_hugetlb) and NUMBER(HUGETLB_PAGE_DTOR); hugetlbfs pages are kept");
	/* free pages: buddy page type (or PG_buddy) and the order in page.private */
	miss[0] = 0;
	need(miss, sizeof(miss), pk->buddy.known || pk->pg_buddy >= 0,
	     pk->off_mapcount >= 0 ? "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)"
				   : "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE) with OFFSET(page._mapcount)");
	need(miss, sizeof(miss), pk->off_private >= 0, "OFFSET(page.private)");
	require(m, FLT_DL_FREE, miss);

	/* compound pages are excluded whole only if heads and their order are known */
	int compound_classes = m->avail & (FLT_DL_CACHE | FLT_DL_CACHE_PRIVATE | FLT_DL_USER);
	/* without PG_head_mask a head is recognised by its first tail (classify.c) */
	if (compound_classes && pk->order_src == FLT_ORDER_NONE)
		flt_warn(m, compound_classes,
			 "VMCOREINFO lacks OFFSET(page.compound_order), OFFSET(folio._folio_order) and "
			 "the 6.6+ keys (NUMBER(PG_hugetlb), NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)): the order "
			 "of compound pages is unknown, they are kept whole at dump levels 2, 4 and 8");
}
