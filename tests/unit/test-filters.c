/* Unit tests for filters/: a fake x86_64 kernel (page tables, mem_section, struct pages) in a sparse memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters.h"
#include "formats/formats.h"
#include "tests/unit/tap.h"

#define PAGE 4096ull
#define SEC_PFNS 32768ull		/* SECTION_SIZE_BITS 27 */
#define MAX_PFN (4 * SEC_PFNS)		/* sections 0..3 */
#define WORDS (MAX_PFN / 64)
#define KMAP 0xffffffff80000000ull
#define PHYS_BASE 0x200000ull
#define TOP_SYM 0xffffffff81010000ull	/* init_top_pgt: phys 0x1210000 */
#define TABLES 0x1300000ull		/* bump allocator for page-table pages */
#define MS_ROOTS 0x1400000ull		/* mem_section root array (phys) */
#define MS_BLOCK 0x1600000ull		/* root[0]: 256 mem_section entries */
#define SEC0_PHYS 0x2000000ull		/* section 0 struct pages: one 2 MiB page */
#define SEC1_PHYS 0x2200000ull		/* section 1: 512 4 KiB pages, reversed */
#define HOLE_START 1000
#define HOLE_END 1100
#define SEC3_PRESENT 100
#define BAD_PFN (SEC_PFNS + 6400)	/* its struct-page page cannot be read */

/* ------------------------------------------------------------------ */
/* Sparse physical memory */

struct fake {
	uint8_t *pg[MAX_PFN];
	bool bad[MAX_PFN];
	uint64_t next_table;
	bool l5;
	int v612;
	uint64_t page_offset, vmemmap;
	const struct fmt_vmcoreinfo *vi;
	/* layout, read back from the parsed VMCOREINFO */
	uint64_t o_flags, o_mapping, o_private, o_mapcount, o_head, o_order, o_dtor;
	int pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison;
	uint64_t head_mask;
	uint32_t t_buddy, t_offline, t_slab, t_hugetlb;
};

static uint8_t *at(struct fake *f, uint64_t paddr)
{
	uint64_t pfn = paddr / PAGE;

	if (pfn >= MAX_PFN)
		abort();
	if (!f->pg[pfn] && !(f->pg[pfn] = calloc(1, PAGE)))
		abort();
	return f->pg[pfn] + paddr % PAGE;
}

static void w64(struct fake *f, uint64_t paddr, uint64_t v)
{
	put_le64(at(f, paddr), v);
}

static void w32(struct fake *f, uint64_t paddr, uint32_t v)
{
	put_le32(at(f, paddr), v);
}

static enum kd_status fake_read(void *ctx, uint64_t paddr, void *buf, size_t len,
				struct kd_err *err)
{
	struct fake *f = ctx;
	uint8_t *out = buf;

	while (len) {
		uint64_t pfn = paddr / PAGE, off = paddr % PAGE;
		size_t n = PAGE - off < len ? (size_t)(PAGE - off) : len;

		if (pfn >= MAX_PFN || f->bad[pfn])
			return kd_err_set(err, KD_ERR_NODATA, "no page at 0x%llx",
					  (unsigned long long)paddr);
		if (f->pg[pfn])
			memcpy(out, f->pg[pfn] + off, n);
		else
			memset(out, 0, n);
		out += n;
		paddr += n;
		len -= n;
	}
	return KD_OK;
}

static void fake_free(struct fake *f)
{
	for (uint64_t i = 0; i < MAX_PFN; i++)
		free(f->pg[i]);
	free(f);
}

/* Map @vaddr to @paddr with a page of @size (4 KiB, 2 MiB or 1 GiB). */
static void map(struct fake *f, uint64_t vaddr, uint64_t paddr, uint64_t size)
{
	uint64_t table = PHYS_BASE + TOP_SYM - KMAP;
	int level = f->l5 ? 5 : 4;
	int leaf = size == PAGE ? 1 : size == (2ull << 20) ? 2 : 3;

	for (; level > leaf; level--) {
		uint64_t slot = table + 8 * ((vaddr >> (12 + 9 * (level - 1))) & 511);
		uint64_t e = get_le64(at(f, slot));

		if (!(e & 1)) {
			e = f->next_table | 0x63;
			f->next_table += PAGE;
			w64(f, slot, e);
		}
		table = e & 0x000ffffffffff000ull;
	}
	w64(f, table + 8 * ((vaddr >> (12 + 9 * (leaf - 1))) & 511),
	    paddr | 0x63 | (leaf > 1 ? 0x80 : 0));
}

/* Physical address of the struct page of @pfn (sections 0 and 1 only). */
static uint64_t sp(uint64_t pfn)
{
	if (pfn < SEC_PFNS)
		return SEC0_PHYS + pfn * 64;
	uint64_t off = (pfn - SEC_PFNS) * 64;
	return SEC1_PHYS + (511 - off / PAGE) * PAGE + off % PAGE;
}

/* ------------------------------------------------------------------ */
/* VMCOREINFO text like Debian's 6.1 (FORMATS.md §3.7) and 6.12 (§3.8) */

static size_t vmci_text(char *buf, size_t cap, int v612, bool l5, const char *drop)
{
	uint64_t po = l5 ? 0xff11000000000000ull : 0xffff888000000000ull;
	uint64_t vm = l5 ? 0xffd4000000000000ull : 0xffffea0000000000ull;
	char lines[3000];
	size_t len = 0;

	snprintf(lines, sizeof(lines),
		 "OSRELEASE=%s\nPAGESIZE=4096\n"
		 "SYMBOL(swapper_pg_dir)=%llx\nSYMBOL(init_top_pgt)=%llx\n"
		 "SYMBOL(mem_section)=%llx\nLENGTH(mem_section)=%u\nSIZE(mem_section)=16\n"
		 "OFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\n"
		 "NUMBER(MAX_PHYSMEM_BITS)=%u\n%s"
		 "SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
		 "OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\n"
		 "OFFSET(page.private)=40\n%sOFFSET(page.compound_head)=8\n"
		 "LENGTH(zone.free_area)=11\n%s"
		 "NUMBER(phys_base)=%llu\nNUMBER(pgtable_l5_enabled)=%d\nKERNELOFFSET=0\n"
		 "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\nNUMBER(sme_mask)=0\nCRASHTIME=1795376315\n",
		 v612 ? "6.12.0-test" : "6.1.0-test", TOP_SYM, TOP_SYM,
		 (unsigned long long)(po + MS_ROOTS), l5 ? 131072u : 2048u, l5 ? 52u : 46u,
		 v612 ? "SYMBOL(vmemmap)=\n" : "",
		 v612 ? "" : "OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n",
		 v612 ? "NUMBER(PG_lru)=5\nNUMBER(PG_private)=14\nNUMBER(PG_swapcache)=10\n"
			"NUMBER(PG_swapbacked)=17\nNUMBER(PG_hwpoison)=20\nNUMBER(PG_head_mask)=64\n"
			"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"
			"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n"
			"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\n"
			"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n"
			/* 6.16+ with CONFIG_UNACCEPTED_MEMORY; here to test it */
			"NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944\n"
		      : "NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
			"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_head_mask)=65536\n"
			"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
			"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
		 (unsigned long long)PHYS_BASE, l5 ? 1 : 0);
	/* fill in SYMBOL(vmemmap)'s value, then drop the unwanted key */
	for (char *line = lines; *line;) {
		char *nl = strchr(line, '\n');
		size_t ll = (size_t)(nl - line) + 1;

		if (drop && strncmp(line, drop, strlen(drop)) == 0) {
			line += ll;
			continue;
		}
		if (strncmp(line, "SYMBOL(vmemmap)=", 16) == 0)
			len += (size_t)snprintf(buf + len, cap - len, "SYMBOL(vmemmap)=%llx\n",
						(unsigned long long)vm);
		else
			len += (size_t)snprintf(buf + len, cap - len, "%.*s", (int)ll, line);
		line += ll;
	}
	return len;
}

static int bit_of(const struct fmt_vmcoreinfo *vi, const char *name)
{
	int64_t v = -1;

	return fmt_vmci_number(vi, name, &v) ? (int)v : -1;
}

/* ------------------------------------------------------------------ */
/* The fake kernel: page tables, mem_section, struct pages, and what we expect */

enum kind {
	K_CACHE, K_CACHE_PRIV, K_SWAPCACHE, K_ANON, K_THP, K_HUGETLB, K_BUDDY, K_OFFLINE,
	K_HWPOISON, K_BADHEAD,
};

struct obj {
	uint64_t pfn, nr;
	enum kind kind;
};

static struct obj objs[64];
static size_t nr_objs;

static void set_page(struct fake *f, uint64_t pfn, uint64_t flags, uint64_t mapping,
		     uint64_t private, uint32_t mapcount, uint64_t head)
{
	uint64_t p = sp(pfn);

	w64(f, p + f->o_flags, flags);
	w64(f, p + f->o_mapping, mapping);
	w64(f, p + f->o_private, private);
	w32(f, p + f->o_mapcount, mapcount);
	w64(f, p + f->o_head, head);
}

static uint64_t bit(int nr)
{
	return nr >= 0 ? 1ull << nr : 0;
}

/* A compound page: head at @pfn, @order, first tail carries the order (and the 6.1 dtor). */
static void compound(struct fake *f, uint64_t pfn, unsigned order, uint64_t flags,
		     uint64_t mapping, uint32_t mapcount, unsigned dtor)
{
	uint64_t head_vaddr = f->vmemmap + pfn * 64;

	set_page(f, pfn, flags | f->head_mask, mapping, 0, mapcount, 0);
	for (uint64_t i = 1; i < (1ull << order); i++)
		set_page(f, pfn + i, 0, 0x400, 0, 0xffffffffu, head_vaddr | 1);
	if (f->v612) {
		w64(f, sp(pfn + 1) + f->o_flags, order);
	} else {
		*at(f, sp(pfn + 1) + f->o_order) = (uint8_t)order;
		*at(f, sp(pfn + 1) + f->o_dtor) = (uint8_t)dtor;
	}
}

static void add(uint64_t pfn, uint64_t nr, enum kind k)
{
	objs[nr_objs++] = (struct obj){ pfn, nr, k };
}

static void build_pages(struct fake *f)
{
	uint64_t anon = 0xffff888003000001ull, file = 0xffff888004000000ull;
	uint64_t lru = bit(f->pg_lru);
	uint32_t none = 0xffffffffu;

	nr_objs = 0;
	for (uint64_t pfn = 0; pfn < 2 * SEC_PFNS; pfn++)
		set_page(f, pfn, 0, 0, 0, none, 0xffff888005000000ull);

	set_page(f, 2000, lru, file, 0, 0, 0);
	add(2000, 1, K_CACHE);
	set_page(f, 2001, lru | bit(f->pg_private), file, 0xffff888006000000ull, 0, 0);
	add(2001, 1, K_CACHE_PRIV);
	set_page(f, 2002, lru | bit(f->pg_swapbacked), anon, 0, 0, 0);
	add(2002, 1, K_ANON);
	set_page(f, 2003, bit(f->pg_swapcache) | bit(f->pg_swapbacked), 0, 0, none, 0);
	add(2003, 1, K_SWAPCACHE);
	/* slab page whose mapping word is odd (struct slab overlays it): kept */
	if (f->v612)
		set_page(f, 2004, 0, 0xffff888007000001ull, 0, f->t_slab, 0);
	else
		set_page(f, 2004, bit(f->pg_slab), 0xffff888007000001ull, 0, none, 0);
	/* offline; on 6.12 with owner bits in the low 24 bits of page_type */
	set_page(f, 2005, 0, 0, 0, f->t_offline | (f->v612 ? 5 : 0), 0);
	add(2005, 1, K_OFFLINE);
	set_page(f, 2006, 1ull << 20, 0, 0, none, 0);
	if (f->pg_hwpoison == 20)
		add(2006, 1, K_HWPOISON);
	/* buddy block of order 3 */
	set_page(f, 2048, 0, 0, 3, f->t_buddy, 0);
	add(2048, 8, K_BUDDY);
	/* buddy order 8 over the hole [1000, 1100): only present pages count */
	set_page(f, 768, 0, 0, 8, f->t_buddy, 0);
	add(768, 256, K_BUDDY);
	/* buddy head inside the hole: never classified */
	set_page(f, 1088, 0, 0, 4, f->t_buddy, 0);
	/* buddy with an impossible order: kept */
	set_page(f, 7100, 0, 0, 40, f->t_buddy, 0);
	/* anonymous THP, order 9 */
	compound(f, 4096, 9, lru | bit(f->pg_swapbacked), anon, 0, 3);
	add(4096, 512, K_THP);
	/* hugetlb folio, order 9 */
	compound(f, 5120, 9, 0, 0xffff888008000000ull, f->v612 ? f->t_hugetlb : none, 2);
	add(5120, 512, K_HUGETLB);
	/* compound slab of order 1 with an odd mapping: kept */
	if (f->v612)
		compound(f, 6000, 1, 0, 0xffff888007000001ull, f->t_slab, 0);
	else
		compound(f, 6000, 1, bit(f->pg_slab), 0xffff888007000001ull, none, 0);
	/* anon head whose order does not fit its alignment: one page */
	compound(f, 7001, 3, lru | bit(f->pg_swapbacked), anon, 0, 3);
	add(7001, 1, K_BADHEAD);
	/* garbage struct pages (issue 9): an "anonymous" page and a "cache" page whose mapping
	 * is not a kernel pointer are implausible: kept (and counted), never dropped */
	set_page(f, 2010, lru | bit(f->pg_swapbacked), 0x3b26dca365798cd7ull, 0, 0, 0);
	set_page(f, 2011, lru, 0x1234567890abcde0ull, 0, 0, 0);
	/* unaccepted memory (6.16+): a block of order LENGTH(zone.free_area) - 1 */
	if (f->v612) {
		set_page(f, 8192, 0, 0, 0, 0xf7000000u, 0);
		add(8192, 1024, K_BUDDY);
	}
	/* buddy of order 10 ending at the section end */
	set_page(f, 31744, 0, 0, 10, f->t_buddy, 0);
	add(31744, 1024, K_BUDDY);
	/* section 1 (4 KiB vmemmap pages, physically scattered) */
	compound(f, SEC_PFNS + 512, 9, lru | bit(f->pg_swapbacked), anon, 0, 3);
	add(SEC_PFNS + 512, 512, K_THP);
	set_page(f, SEC_PFNS + 7000, lru, file, 0, 0, 0);
	add(SEC_PFNS + 7000, 1, K_CACHE);
	/* an unreadable struct-page page in section 1 */
	f->bad[sp(BAD_PFN) / PAGE] = true;
}

static void build_kernel(struct fake *f)
{
	const struct fmt_vmcoreinfo *vi = f->vi;

	/* the layout of both kernels (what the VMCOREINFO says, even when a test drops a key) */
	f->o_flags = 0;
	f->o_mapping = 24;
	f->o_private = 40;
	f->o_mapcount = 48;
	f->o_head = 8;
	f->o_order = 17;
	f->o_dtor = 16;
	f->pg_hwpoison = bit_of(vi, "PG_hwpoison");
	if (f->v612) {
		f->head_mask = 64;
		f->pg_lru = 5, f->pg_private = 14, f->pg_swapcache = 10, f->pg_swapbacked = 17;
		f->t_buddy = 0xf0000000u, f->t_offline = 0xf1000000u;
		f->t_hugetlb = 0xf4000000u, f->t_slab = 0xf5000000u;
	} else {
		f->head_mask = 65536;
		f->pg_lru = 4, f->pg_private = 13, f->pg_swapcache = 10, f->pg_swapbacked = 19;
		f->pg_slab = 9;
		f->t_buddy = (uint32_t)-129, f->t_offline = (uint32_t)-257;
	}
	f->next_table = TABLES;
	/* direct map: one 1 GiB page; vmemmap: section 0 in a 2 MiB page, section 1 in 4 KiB pages */
	map(f, f->page_offset, 0, 1ull << 30);
	map(f, f->vmemmap, SEC0_PHYS, 2ull << 20);
	for (uint64_t i = 0; i < 512; i++)
		map(f, f->vmemmap + (2ull << 20) + i * PAGE, SEC1_PHYS + (511 - i) * PAGE, PAGE);
	/* mem_section: root[0] -> 256 entries; 0,1 present; 2 garbage; 3 absent */
	w64(f, MS_ROOTS, f->page_offset + MS_BLOCK);
	uint64_t flags = 0x1 | 0x2 | 0x4 | 0x8;
	w64(f, MS_BLOCK + 0 * 16, f->vmemmap | flags);
	w64(f, MS_BLOCK + 1 * 16, f->vmemmap | flags);
	w64(f, MS_BLOCK + 2 * 16, (f->vmemmap + 0x4000000000ull) | flags);
	w64(f, MS_BLOCK + 3 * 16, 0);
	build_pages(f);
}

/* ------------------------------------------------------------------ */
/* Expectations */

struct scenario {
	const char *name;
	int v612;
	bool l5;
	const char *drop;		/* VMCOREINFO line prefix removed */
	int lost;			/* dump-level classes the kernel cannot filter */
	bool compound_kept;		/* THP and hugetlb not excluded */
	const char *warn_key;		/* expected in a warning at -d 31 */
};

static int kind_level(enum kind k)
{
	switch (k) {
	case K_CACHE: case K_SWAPCACHE: return FLT_DL_CACHE | FLT_DL_CACHE_PRIVATE;
	case K_CACHE_PRIV: return FLT_DL_CACHE_PRIVATE;
	case K_ANON: case K_THP: case K_HUGETLB: case K_BADHEAD: return FLT_DL_USER;
	case K_BUDDY: return FLT_DL_FREE;
	case K_OFFLINE: case K_HWPOISON: return 0;
	}
	return 0;
}

static uint64_t *kind_counter(struct flt_stats *st, enum kind k)
{
	switch (k) {
	case K_CACHE: case K_SWAPCACHE: return &st->cache;
	case K_CACHE_PRIV: return &st->cache_private;
	case K_ANON: case K_THP: case K_HUGETLB: case K_BADHEAD: return &st->user;
	case K_BUDDY: return &st->free;
	case K_OFFLINE: return &st->offline;
	case K_HWPOISON: return &st->hwpoison;
	}
	return NULL;
}

static bool present(uint64_t pfn, uint64_t limit)
{
	if (pfn >= limit || (pfn >= HOLE_START && pfn < HOLE_END))
		return false;
	return pfn < 3 * SEC_PFNS + SEC3_PRESENT;
}

static void present_bits(uint64_t *bits, uint64_t limit)
{
	memset(bits, 0, WORDS * 8);
	for (uint64_t p = 0; p < MAX_PFN; p++)
		if (present(p, limit))
			bits[p / 64] |= 1ull << (p % 64);
}

static void expect(const struct scenario *sc, int level, uint64_t limit, uint64_t *bits,
		   struct flt_stats *st)
{
	present_bits(bits, limit);
	memset(st, 0, sizeof(*st));
	for (uint64_t p = 0; p < limit; p++)
		st->present += present(p, limit);
	for (uint64_t p = 2 * SEC_PFNS; p < limit; p++)
		st->unreadable += present(p, limit);
	for (uint64_t p = BAD_PFN & ~63ull; p < (BAD_PFN & ~63ull) + 64; p++)
		st->unreadable++;
	for (size_t i = 0; i < nr_objs; i++) {
		const struct obj *o = &objs[i];
		int need = kind_level(o->kind);

		if (need && !(level & need & ~sc->lost))
			continue;
		if (sc->compound_kept && (o->kind == K_THP || o->kind == K_HUGETLB || o->kind == K_BADHEAD))
			continue;
		/* private cache at level 2|4 is counted as private; plain cache at 4 too */
		for (uint64_t p = o->pfn; p < o->pfn + o->nr; p++) {
			if (!present(p, limit))
				continue;
			bits[p / 64] &= ~(1ull << (p % 64));
			(*kind_counter(st, o->kind))++;
		}
	}
}

static struct fake *make_fake(const struct scenario *sc, struct fmt_vmcoreinfo **ret_vi)
{
	static char text[8192];
	struct fake *f = calloc(1, sizeof(*f));
	struct kd_err err;
	size_t len = vmci_text(text, sizeof(text), sc->v612, sc->l5, sc->drop);

	if (!f || fmt_vmcoreinfo_parse(text, len, ret_vi, &err) != KD_OK) {
		fprintf(stderr, "setup: %s\n", err.msg);
		abort();
	}
	f->vi = *ret_vi;
	f->v612 = sc->v612;
	f->l5 = sc->l5;
	f->page_offset = sc->l5 ? 0xff11000000000000ull : 0xffff888000000000ull;
	f->vmemmap = sc->l5 ? 0xffd4000000000000ull : 0xffffea0000000000ull;
	build_kernel(f);
	return f;
}

/* Walk [0, limit) in windows of @win pages; returns the first differing PFN or UINT64_MAX. */
static uint64_t run(struct flt_model *m, int level, uint64_t win, uint64_t limit, uint64_t *bits,
		    struct flt_stats *st, enum kd_status *ret_st)
{
	struct kd_err err;

	memset(st, 0, sizeof(*st));
	*ret_st = KD_OK;
	for (uint64_t start = 0; start < limit; start += win) {
		uint64_t n = limit - start < win ? limit - start : win;
		uint64_t *w = bits + start / 64;

		*ret_st = flt_exclude_window(m, level, start, n, w, st, &err);
		if (*ret_st != KD_OK) {
			printf("# %s\n", err.msg);
			return start;
		}
	}
	return UINT64_MAX;
}

static bool stats_equal(const struct flt_stats *a, const struct flt_stats *b)
{
	return a->present == b->present && a->cache == b->cache &&
	       a->cache_private == b->cache_private && a->user == b->user && a->free == b->free &&
	       a->hwpoison == b->hwpoison && a->offline == b->offline &&
	       a->unreadable == b->unreadable;
}

static void print_stats(const char *what, const struct flt_stats *s)
{
	printf("#   %s: present %llu cache %llu private %llu user %llu free %llu hwpoison %llu "
	       "offline %llu unreadable %llu\n", what, (unsigned long long)s->present,
	       (unsigned long long)s->cache, (unsigned long long)s->cache_private,
	       (unsigned long long)s->user, (unsigned long long)s->free,
	       (unsigned long long)s->hwpoison, (unsigned long long)s->offline,
	       (unsigned long long)s->unreadable);
}

static const struct scenario scenarios[] = {
	{ "6.1", 0, false, NULL, 0, false, NULL },
	{ "6.12", 1, false, NULL, 0, false, NULL },
	{ "6.12 5-level", 1, true, NULL, 0, false, NULL },
	{ "6.1 without PG_lru", 0, false, "NUMBER(PG_lru)", FLT_DL_CACHE | FLT_DL_CACHE_PRIVATE,
	  false, "NUMBER(PG_lru)" },
	{ "6.1 without PAGE_BUDDY_MAPCOUNT_VALUE", 0, false, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)",
	  FLT_DL_FREE, false, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)" },
	{ "6.1 without compound_order", 0, false, "OFFSET(page.compound_order)", 0, true,
	  "OFFSET(page.compound_order)" },
	{ "6.12 without PAGE_SLAB_MAPCOUNT_VALUE", 1, false, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)",
	  FLT_DL_CACHE | FLT_DL_CACHE_PRIVATE | FLT_DL_USER, false, "PAGE_SLAB_MAPCOUNT_VALUE" },
	{ "6.12 without page.mapping", 1, false, "OFFSET(page.mapping)",
	  FLT_DL_CACHE | FLT_DL_CACHE_PRIVATE | FLT_DL_USER, false, "OFFSET(page.mapping)" },
};

static const uint64_t windows[] = { 64, 320, 4096, MAX_PFN };

static bool has_warning(struct flt_model *m, int level, const char *needle)
{
	char msgs[16][FLT_WARN_LEN];
	size_t n = flt_model_warnings(m, level, msgs, 16);

	for (size_t i = 0; i < n && i < 16; i++) {
		if (strstr(msgs[i], needle))
			return true;
	}
	return false;
}

static void test_scenario(struct tap *t, const struct scenario *sc)
{
	struct fmt_vmcoreinfo *vi = NULL;
	struct fake *f = make_fake(sc, &vi);
	struct flt_mem mem = { fake_read, f, MAX_PFN };
	struct flt_model *m = NULL;
	struct kd_err err;
	uint64_t *bits = malloc(WORDS * 8), *want = malloc(WORDS * 8);
	struct flt_stats st, wst;

	enum kd_status cs = flt_model_create(vi, &mem, 0, &m, &err);

	TAP_CHECK(t, cs == KD_OK, "%s: model created", sc->name);
	if (!m)
		goto out;
	TAP_CHECK(t, flt_model_effective_level(m, 31) == (31 & ~1 & ~sc->lost),
		  "%s: effective level %d", sc->name, flt_model_effective_level(m, 31));
	if (sc->warn_key)
		TAP_CHECK(t, has_warning(m, 31, sc->warn_key), "%s: warning names %s", sc->name,
			  sc->warn_key);
	else
		TAP_CHECK(t, flt_model_warnings(m, 31, NULL, 0) == 0, "%s: no warning before walking",
			  sc->name);
	for (size_t wi = 0; wi < sizeof(windows) / sizeof(windows[0]); wi++) {
		int bad_level = -1;
		uint64_t bad_pfn = 0;

		for (int level = 0; level < 32 && bad_level < 0; level++) {
			enum kd_status s;

			expect(sc, level, MAX_PFN, want, &wst);
			present_bits(bits, MAX_PFN);
			run(m, level, windows[wi], MAX_PFN, bits, &st, &s);
			if (s != KD_OK || !stats_equal(&st, &wst) ||
			    memcmp(bits, want, WORDS * 8) != 0) {
				bad_level = level;
				for (uint64_t p = 0; p < MAX_PFN; p++)
					if (((bits[p / 64] ^ want[p / 64]) >> (p % 64)) & 1) {
						bad_pfn = p;
						break;
					}
				print_stats("got ", &st);
				print_stats("want", &wst);
			}
		}
		TAP_CHECK(t, bad_level < 0, "%s: levels 0-31 with windows of %llu pages%s", sc->name,
			  (unsigned long long)windows[wi], bad_level < 0 ? "" : " (see below)");
		if (bad_level >= 0)
			printf("#   first failure at -d %d, pfn %llu\n", bad_level,
			       (unsigned long long)bad_pfn);
	}
	/* a last window that is not a multiple of 64 */
	{
		uint64_t limit = 3 * SEC_PFNS + 50;
		enum kd_status s;

		expect(sc, 31, limit, want, &wst);
		present_bits(bits, limit);
		run(m, 31, 4096, limit, bits, &st, &s);
		TAP_CHECK(t, s == KD_OK && stats_equal(&st, &wst) &&
			     memcmp(bits, want, WORDS * 8) == 0,
			  "%s: -d 31 over a partial last window", sc->name);
	}
	TAP_CHECK(t, has_warning(m, 31, "struct page unreadable") &&
		     has_warning(m, 31, "section 3 is not present"),
		  "%s: unreadable struct pages are reported", sc->name);
	flt_model_destroy(m);
out:
	free(bits);
	free(want);
	fmt_vmcoreinfo_destroy(vi);
	fake_free(f);
}

/* ------------------------------------------------------------------ */

static void test_vtop(struct tap *t)
{
	static const struct {
		const char *name;
		bool l5;
		uint64_t vaddr;
		enum kd_status st;
		uint64_t paddr;
	} cases[] = {
		{ "kernel image", false, TOP_SYM + 0x18, KD_OK, 0x1210018 },
		{ "direct map 1 GiB page", false, 0xffff888001234567ull, KD_OK, 0x1234567 },
		{ "vmemmap 2 MiB page", false, 0xffffea0000001040ull, KD_OK, SEC0_PHYS + 0x1040 },
		{ "vmemmap 4 KiB page", false, 0xffffea0000200010ull, KD_OK, SEC1_PHYS + 511 * PAGE + 0x10 },
		{ "unmapped", false, 0xffffea4000000000ull, KD_ERR_NODATA, 0 },
		{ "non-canonical", false, 0x0000900000000000ull, KD_ERR_NODATA, 0 },
		{ "5-level direct map", true, 0xff11000000abc000ull, KD_OK, 0xabc000 },
		{ "5-level vmemmap 4 KiB page", true, 0xffd4000000201008ull, KD_OK, SEC1_PHYS + 510 * PAGE + 8 },
		{ "5-level unmapped", true, 0xff12000000000000ull, KD_ERR_NODATA, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct scenario sc = { "vtop", 1, cases[i].l5, NULL, 0, false, NULL };
		struct fmt_vmcoreinfo *vi = NULL;
		struct fake *f = make_fake(&sc, &vi);
		struct flt_mem mem = { fake_read, f, MAX_PFN };
		struct flt_model *m = NULL;
		struct kd_err err;
		uint64_t pa = 0;
		enum kd_status st = KD_ERR_INVALID;

		if (flt_model_create(vi, &mem, 0, &m, &err) == KD_OK)
			st = flt_model_vtop(m, cases[i].vaddr, &pa, &err);
		TAP_CHECK(t, st == cases[i].st && (st != KD_OK || pa == cases[i].paddr),
			  "vtop: %s (0x%llx)", cases[i].name, (unsigned long long)pa);
		flt_model_destroy(m);
		fmt_vmcoreinfo_destroy(vi);
		fake_free(f);
	}
}

static void test_no_memmap(struct tap *t)
{
	struct scenario sc = { "no mem_section", 0, false, "SYMBOL(mem_section)", 0, false, NULL };
	struct fmt_vmcoreinfo *vi = NULL;
	struct fake *f = make_fake(&sc, &vi);
	struct flt_mem mem = { fake_read, f, MAX_PFN };
	struct flt_model *m = NULL;
	struct kd_err err;
	uint64_t *bits = malloc(WORDS * 8), *want = malloc(WORDS * 8);
	struct flt_stats st;
	enum kd_status s;

	enum kd_status cs = flt_model_create(vi, &mem, 0, &m, &err);

	TAP_CHECK(t, cs == KD_OK, "no mem_section: model created");
	if (m) {
		TAP_CHECK(t, flt_model_effective_level(m, 31) == 0 &&
			     has_warning(m, 0, "SYMBOL(mem_section)"),
			  "no mem_section: nothing filtered, warning names SYMBOL(mem_section)");
		present_bits(bits, MAX_PFN);
		present_bits(want, MAX_PFN);
		run(m, 31, 4096, MAX_PFN, bits, &st, &s);
		TAP_CHECK(t, s == KD_OK && memcmp(bits, want, WORDS * 8) == 0 &&
			     flt_stats_excluded(&st) == 0,
			  "no mem_section: -d 31 keeps every page");
	}
	flt_model_destroy(m);
	free(bits);
	free(want);
	fmt_vmcoreinfo_destroy(vi);
	fake_free(f);
}

static void test_args(struct tap *t)
{
	struct scenario sc = { "args", 0, false, NULL, 0, false, NULL };
	struct fmt_vmcoreinfo *vi = NULL;
	struct fake *f = make_fake(&sc, &vi);
	struct flt_mem mem = { fake_read, f, MAX_PFN }, nomem = { NULL, NULL, MAX_PFN };
	struct flt_model *m = NULL, *m2 = NULL;
	struct kd_err err;
	uint64_t word = ~0ull;

	enum kd_status cs = flt_model_create(vi, &nomem, 0, &m2, &err);

	TAP_CHECK(t, cs == KD_ERR_INVALID && !m2,
		  "args: no reader is KD_ERR_INVALID");
	if (flt_model_create(vi, &mem, 0, &m, &err) == KD_OK) {
		TAP_CHECK(t, flt_exclude_window(m, 31, 32, 64, &word, NULL, &err) == KD_ERR_INVALID,
			  "args: unaligned window start is KD_ERR_INVALID");
		TAP_CHECK(t, flt_exclude_window(m, 31, 0, 0, NULL, NULL, &err) == KD_OK,
			  "args: empty window");
		TAP_CHECK(t, flt_model_page_size(m) == 4096, "args: page size");
	}
	flt_model_destroy(m);
	flt_model_destroy(NULL);
	fmt_vmcoreinfo_destroy(vi);
	fake_free(f);
}

int main(void)
{
	struct tap t = { 0, 0 };

	test_args(&t);
	test_vtop(&t);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		test_scenario(&t, &scenarios[i]);
	test_no_memmap(&t);
	return tap_finish(&t);
}
