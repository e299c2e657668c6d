/* Page classification from struct page (VMCOREINFO only) and PFN-set differences, shared by
 * kdpageset and kdcompare --diff-sets. Header only: each .c file in tests/tools is its own program. */
#ifndef KD_CLASS_H
#define KD_CLASS_H

#include "kdtool.h"

/* Kernel facts read from the source's VMCOREINFO (negative = unknown). */
struct kmodel {
	uint64_t mem_section, nr_roots, section_size, section_mem_map_off;
	unsigned section_shift;   /* SECTION_SIZE_BITS - PAGE_SHIFT */
	bool extreme;
	int64_t page_size_struct, off_flags, off_mapping, off_mapcount, off_private, off_head;
	int64_t pg_lru, pg_slab, pg_private, pg_swapcache, pg_swapbacked, pg_head_mask, pg_hwpoison;
	int64_t buddy_value, offline_value, slab_value, max_order;
};

struct pageinfo {
	uint64_t flags, mapping, private_, head;
	uint32_t mapcount;
};

enum klass { K_ZERO, K_FREE, K_CACHE, K_CACHE_PRIVATE, K_USER, K_SLAB, K_OFFLINE, K_HWPOISON,
	     K_KERNEL, K_UNKNOWN, K_NR };
static const char *const class_names[K_NR] = {
	"zero-content", "free(buddy)", "cache", "cache-private", "user(anon)", "slab", "offline",
	"hwpoison", "other(kernel)", "unknown(no struct page)",
};

static inline int64_t vmci_num(struct kt_dump *d, const char *key)
{
	char *val = NULL;
	int64_t v = -1;

	if (kdump_vmcoreinfo_line(d->ctx, key, &val) == KDUMP_OK && val) {
		char *end;

		errno = 0;
		v = strtoll(val, &end, 10);
		if (errno || end == val)
			v = -1;
	}
	free(val);
	return v;
}

/* Numbers that may legitimately be negative (PAGE_*_MAPCOUNT_VALUE); INT64_MIN = unknown. */
static inline int64_t vmci_signed(struct kt_dump *d, const char *key)
{
	char *val = NULL;
	int64_t v = INT64_MIN;

	if (kdump_vmcoreinfo_line(d->ctx, key, &val) == KDUMP_OK && val)
		v = strtoll(val, NULL, 10);
	free(val);
	return v;
}

static inline bool model_init(const char *tool, struct kt_dump *d, struct kmodel *m)
{
	kdump_addr_t sym;
	int64_t len, size, bits, maxbits, psize = (int64_t)d->page_size;
	unsigned page_shift = 0;

	memset(m, 0, sizeof(*m));
	while ((1ull << page_shift) < d->page_size)
		page_shift++;
	if (kdump_vmcoreinfo_symbol(d->ctx, "mem_section", &sym) != KDUMP_OK)
		return kt_fail(tool, "'%s': no SYMBOL(mem_section) (only SPARSEMEM is supported)",
			       d->path);
	m->mem_section = sym;
	len = vmci_num(d, "LENGTH(mem_section)");
	size = vmci_num(d, "SIZE(mem_section)");
	bits = vmci_num(d, "NUMBER(SECTION_SIZE_BITS)");
	maxbits = vmci_num(d, "NUMBER(MAX_PHYSMEM_BITS)");
	m->off_flags = vmci_num(d, "OFFSET(page.flags)");
	m->off_mapping = vmci_num(d, "OFFSET(page.mapping)");
	m->off_mapcount = vmci_num(d, "OFFSET(page._mapcount)");
	m->off_private = vmci_num(d, "OFFSET(page.private)");
	m->off_head = vmci_num(d, "OFFSET(page.compound_head)");
	m->page_size_struct = vmci_num(d, "SIZE(page)");
	m->section_mem_map_off = (uint64_t)vmci_num(d, "OFFSET(mem_section.section_mem_map)");
	if (len <= 0 || size <= 0 || bits <= (int64_t)page_shift || maxbits <= bits ||
	    m->page_size_struct <= 0 || m->off_flags < 0 || m->off_mapping < 0 ||
	    m->off_mapcount < 0)
		return kt_fail(tool, "'%s': VMCOREINFO lacks the mem_section/page layout", d->path);
	m->section_size = (uint64_t)size;
	m->section_shift = (unsigned)bits - page_shift;
	/* SPARSEMEM_EXTREME: LENGTH is the number of roots of PAGESIZE/SIZE sections each */
	m->extreme = (uint64_t)len == (1ull << (maxbits - bits)) / (uint64_t)(psize / size);
	m->nr_roots = (uint64_t)len;
	m->pg_lru = vmci_num(d, "NUMBER(PG_lru)");
	m->pg_slab = vmci_num(d, "NUMBER(PG_slab)");
	m->pg_private = vmci_num(d, "NUMBER(PG_private)");
	m->pg_swapcache = vmci_num(d, "NUMBER(PG_swapcache)");
	m->pg_swapbacked = vmci_num(d, "NUMBER(PG_swapbacked)");
	m->pg_head_mask = vmci_num(d, "NUMBER(PG_head_mask)");
	m->pg_hwpoison = vmci_num(d, "NUMBER(PG_hwpoison)");
	m->buddy_value = vmci_signed(d, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
	m->offline_value = vmci_signed(d, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)");
	m->slab_value = vmci_signed(d, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
	m->max_order = vmci_num(d, "LENGTH(zone.free_area)");
	if (m->max_order <= 0)
		m->max_order = 11;
	return true;
}

static inline bool kv_read(struct kt_dump *d, uint64_t addr, void *buf, size_t len)
{
	size_t got = len;

	return kdump_read(d->ctx, KDUMP_KVADDR, addr, buf, &got) == KDUMP_OK && got == len;
}

/* Virtual address of pfn's struct page, or 0. */
static inline uint64_t page_addr(struct kt_dump *d, const struct kmodel *m, uint64_t pfn)
{
	uint64_t nr = pfn >> m->section_shift, sec, map;
	uint64_t per_root = d->page_size / m->section_size;

	if (m->extreme) {
		uint64_t root;

		if (nr / per_root >= m->nr_roots ||
		    !kv_read(d, m->mem_section + nr / per_root * 8, &root, 8) || !root)
			return 0;
		sec = root + nr % per_root * m->section_size;
	} else {
		if (nr >= m->nr_roots)
			return 0;
		sec = m->mem_section + nr * m->section_size;
	}
	if (!kv_read(d, sec + m->section_mem_map_off, &map, 8) || !(map & 1))
		return 0;
	map &= ~(uint64_t)0x1f; /* SECTION_MAP_MASK: low flag bits */
	return map + pfn * (uint64_t)m->page_size_struct;
}

static inline bool read_page_struct(struct kt_dump *d, const struct kmodel *m, uint64_t pfn,
			     struct pageinfo *pi)
{
	uint8_t buf[256];
	uint64_t addr = page_addr(d, m, pfn);

	if (!addr || m->page_size_struct > (int64_t)sizeof(buf) ||
	    !kv_read(d, addr, buf, (size_t)m->page_size_struct))
		return false;
	memset(pi, 0, sizeof(*pi));
	memcpy(&pi->flags, buf + m->off_flags, 8);
	memcpy(&pi->mapping, buf + m->off_mapping, 8);
	memcpy(&pi->mapcount, buf + m->off_mapcount, 4);
	if (m->off_private >= 0)
		memcpy(&pi->private_, buf + m->off_private, 8);
	if (m->off_head >= 0)
		memcpy(&pi->head, buf + m->off_head, 8);
	return true;
}

static inline bool has_bit(uint64_t flags, int64_t bit)
{
	return bit >= 0 && bit < 64 && ((flags >> bit) & 1);
}

static inline bool is_type(uint32_t mapcount, int64_t value)
{
	return value != INT64_MIN && (int32_t)mapcount == (int32_t)value;
}

static inline enum klass classify_struct(const struct kmodel *m, const struct pageinfo *pi)
{
	bool slab = has_bit(pi->flags, m->pg_slab) || is_type(pi->mapcount, m->slab_value);

	if (is_type(pi->mapcount, m->buddy_value) && !slab)
		return K_FREE;
	if (slab)
		return K_SLAB;
	if ((pi->mapping & 1) && !slab)
		return K_USER;
	if (has_bit(pi->flags, m->pg_lru) ||
	    (has_bit(pi->flags, m->pg_swapcache) &&
	     (m->pg_swapbacked < 0 || has_bit(pi->flags, m->pg_swapbacked))))
		return has_bit(pi->flags, m->pg_private) ? K_CACHE_PRIVATE : K_CACHE;
	if (has_bit(pi->flags, m->pg_hwpoison))
		return K_HWPOISON;
	if (is_type(pi->mapcount, m->offline_value))
		return K_OFFLINE;
	return K_KERNEL;
}

/* Class of pfn: content first (zero), then free-block membership, compound head, own flags. */
static inline enum klass classify(struct kt_dump *d, const struct kmodel *m, uint64_t pfn, void *buf,
			   struct pageinfo *ret)
{
	struct pageinfo pi, head;

	/* Read only pages the file holds: in libkdumpfile 0.5.1 a failed physical read of an
	 * excluded page followed by kernel-virtual reads can corrupt its cache and crash. */
	if (pfn < d->max_pfn && kt_test_bit(d->present, pfn) &&
	    kt_read_page(d, pfn, buf) == KDUMP_OK && kt_page_is_zero(buf, d->page_size))
		return K_ZERO;
	if (!read_page_struct(d, m, pfn, &pi))
		return K_UNKNOWN;
	*ret = pi;
	/* inside a free buddy block whose head is at a lower, aligned pfn */
	for (int64_t order = 0; order < m->max_order; order++) {
		uint64_t h = pfn & ~((1ull << order) - 1);

		if (!read_page_struct(d, m, h, &head))
			break;
		if (is_type(head.mapcount, m->buddy_value) && head.private_ < 64 &&
		    h + (1ull << head.private_) > pfn)
			return K_FREE;
	}
	if (pi.head & 1) { /* tail page: classify by its head */
		uint8_t b[256];
		uint64_t haddr = pi.head - 1;

		if (m->page_size_struct <= (int64_t)sizeof(b) &&
		    kv_read(d, haddr, b, (size_t)m->page_size_struct)) {
			memcpy(&head.flags, b + m->off_flags, 8);
			memcpy(&head.mapping, b + m->off_mapping, 8);
			memcpy(&head.mapcount, b + m->off_mapcount, 4);
			return classify_struct(m, &head);
		}
	}
	return classify_struct(m, &pi);
}

struct side {
	const char *label;
	uint64_t *pfns;
	size_t n;
	uint64_t counts[K_NR];
};

static inline void report_side(struct side *s, struct kt_dump *src, const struct kmodel *m,
			unsigned show, void *buf)
{
	printf("only in %s: %zu page(s)\n", s->label, s->n);
	for (size_t i = 0; i < s->n; i++) {
		struct pageinfo pi = { 0 };
		enum klass k = src ? classify(src, m, s->pfns[i], buf, &pi) : K_UNKNOWN;

		s->counts[k]++;
		if (i < show) {
			printf("  %#" PRIx64, s->pfns[i]);
			if (src)
				printf("  %-14s flags=%#" PRIx64 " mapping=%#" PRIx64
				       " mapcount=%d", class_names[k], pi.flags, pi.mapping,
				       (int32_t)pi.mapcount);
			printf("\n");
		}
	}
	if (s->n > show)
		printf("  ...\n");
	if (src && s->n) {
		printf("  by class:");
		for (int k = 0; k < K_NR; k++)
			if (s->counts[k])
				printf(" %s=%" PRIu64, class_names[k], s->counts[k]);
		printf("\n");
	}
}

/* A page set: a PFN list file, or the pages a dump holds (then the dump stays open). */
struct kt_set {
	const char *path;
	uint64_t *pfns;
	size_t n;
	bool is_dump;
	struct kt_dump dump;
};

static inline bool kt_looks_like_dump(const char *path)
{
	char magic[16] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t got;

	if (!f)
		return false;
	got = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	return got >= 8 && (!memcmp(magic, "\177ELF", 4) || !memcmp(magic, "KDUMP   ", 8) ||
			    !memcmp(magic, "DISKDUMP", 8) || !memcmp(magic, "makedumpfile", 12));
}

static inline bool kt_set_load(const char *tool, struct kt_set *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->path = path;
	if (!kt_looks_like_dump(path))
		return kt_read_pfn_list(tool, path, &s->pfns, &s->n);
	if (!kt_open(tool, &s->dump, path))
		return false;
	s->is_dump = true;
	s->pfns = malloc((s->dump.max_pfn + 1) * sizeof(uint64_t));
	if (!s->pfns) {
		kt_close(&s->dump);
		return kt_fail(tool, "out of memory");
	}
	for (uint64_t pfn = 0; pfn < s->dump.max_pfn; pfn++)
		if (kt_test_bit(s->dump.present, pfn))
			s->pfns[s->n++] = pfn;
	return true;
}

static inline void kt_set_free(struct kt_set *s)
{
	if (s->is_dump)
		kt_close(&s->dump);
	free(s->pfns);
	s->pfns = NULL;
}

/*
 * Print the pfns in only one of A and B (each a PFN list or a dump), classified from
 * source (a dump path; NULL: the first of A, B that is a dump), and, when both are dumps,
 * the common pages whose contents differ. Returns 0 if the sets (and contents) are the
 * same, 1 if not, 2 on an input error.
 */
static inline int kt_diff_sets(const char *tool, const char *path_a, const char *path_b,
			       const char *source, unsigned show)
{
	struct kt_set a, b;
	struct side sa = { 0 }, sb = { 0 };
	struct kt_dump srcd, *src = NULL;
	struct kmodel model = { 0 };
	bool have_model = false;
	uint64_t both = 0, differ = 0, first_diff[16];
	void *buf = NULL, *buf2 = NULL;
	size_t i = 0, j = 0;
	int rc = 2;

	if (!kt_set_load(tool, &a, path_a))
		return 2;
	if (!kt_set_load(tool, &b, path_b)) {
		kt_set_free(&a);
		return 2;
	}
	sa.label = path_a;
	sb.label = path_b;
	sa.pfns = malloc((a.n + 1) * sizeof(uint64_t));
	sb.pfns = malloc((b.n + 1) * sizeof(uint64_t));
	if (!sa.pfns || !sb.pfns) {
		kt_fail(tool, "out of memory");
		goto out;
	}
	if (source) {
		if (!kt_open(tool, &srcd, source))
			goto out;
		src = &srcd;
	} else if (a.is_dump) {
		src = &a.dump;
	} else if (b.is_dump) {
		src = &b.dump;
	}
	if (src) {
		have_model = model_init(tool, src, &model);
		if (!have_model)
			fprintf(stderr, "%s: cannot classify pages from '%s'; listing pfns only\n",
				tool, src->path);
		buf = malloc(src->page_size);
		buf2 = malloc(src->page_size);
		if (!buf || !buf2) {
			kt_fail(tool, "out of memory");
			goto out_src;
		}
	}
	while (i < a.n || j < b.n) {
		if (j >= b.n || (i < a.n && a.pfns[i] < b.pfns[j])) {
			sa.pfns[sa.n++] = a.pfns[i++];
		} else if (i >= a.n || b.pfns[j] < a.pfns[i]) {
			sb.pfns[sb.n++] = b.pfns[j++];
		} else {
			uint64_t pfn = a.pfns[i];

			both++;
			i++;
			j++;
			if (a.is_dump && b.is_dump && buf && a.dump.page_size == b.dump.page_size &&
			    a.dump.page_size == src->page_size) {
				bool ra = kt_read_page(&a.dump, pfn, buf) == KDUMP_OK;
				bool rb = kt_read_page(&b.dump, pfn, buf2) == KDUMP_OK;

				if (ra != rb || (ra && memcmp(buf, buf2, a.dump.page_size))) {
					if (differ < 16)
						first_diff[differ] = pfn;
					differ++;
				}
			}
		}
	}
	printf("A: %s: %zu pfn(s)%s\nB: %s: %zu pfn(s)%s\nin both: %" PRIu64 "\n", path_a, a.n,
	       a.is_dump ? " (pages the dump holds)" : "", path_b, b.n,
	       b.is_dump ? " (pages the dump holds)" : "", both);
	if (have_model)
		printf("classified from: %s\n", src->path);
	report_side(&sa, have_model ? src : NULL, &model, show, buf);
	report_side(&sb, have_model ? src : NULL, &model, show, buf);
	if (a.is_dump && b.is_dump) {
		printf("in both but different content: %" PRIu64, differ);
		for (uint64_t k = 0; k < differ && k < 16 && k < show; k++)
			printf("%s%#" PRIx64, k ? " " : ", first pfns: ", first_diff[k]);
		printf("\n");
	}
	rc = sa.n || sb.n || differ ? 1 : 0;
	printf("%s: %s only-A=%zu only-B=%zu both=%" PRIu64 " different=%" PRIu64 "\n", tool,
	       rc ? "DIFFER" : "SAME", sa.n, sb.n, both, differ);
out_src:
	if (source && src)
		kt_close(&srcd);
out:
	free(buf);
	free(buf2);
	free(sa.pfns);
	free(sb.pfns);
	kt_set_free(&a);
	kt_set_free(&b);
	return rc;
}

#endif
