/* Unit tests for filters/arch/arm64: synthetic arm64 translation tables (4/16/64 KiB granules,
 * 39- to 52-bit VA, LPA/LPA2 addresses), the linear map, dispatch, and struct pages found
 * through mem_section and vmemmap on top of them. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters.h"
#include "formats/formats.h"
#include "tests/unit/tap.h"

#define CHUNK 4096ull
#define MAX_CHUNKS 8192

/* ------------------------------------------------------------------ */
/* Sparse physical memory in 4 KiB chunks */

struct fake {
	uint64_t base[MAX_CHUNKS];
	uint8_t *buf[MAX_CHUNKS];
	size_t n;
	/* the layout being built */
	unsigned page_shift, walk_bits;
	int levels;
	bool lpa2;
	uint64_t pgd;		/* physical address of swapper_pg_dir */
	uint64_t next_table;	/* bump allocator for table pages */
};

static uint8_t *chunk(struct fake *f, uint64_t paddr, bool create)
{
	uint64_t b = paddr & ~(CHUNK - 1);

	for (size_t i = 0; i < f->n; i++)
		if (f->base[i] == b)
			return f->buf[i] + (paddr - b);
	if (!create)
		return NULL;
	if (f->n == MAX_CHUNKS || !(f->buf[f->n] = calloc(1, CHUNK)))
		abort();
	f->base[f->n] = b;
	return f->buf[f->n++] + (paddr - b);
}

static void w64(struct fake *f, uint64_t paddr, uint64_t v)
{
	put_le64(chunk(f, paddr, true), v);
}

static uint64_t r64(struct fake *f, uint64_t paddr)
{
	const uint8_t *p = chunk(f, paddr, false);

	return p ? get_le64(p) : 0;
}

static enum kd_status fake_read(void *ctx, uint64_t paddr, void *buf, size_t len,
				struct kd_err *err)
{
	struct fake *f = ctx;
	uint8_t *out = buf;

	(void)err;
	while (len) {
		uint64_t off = paddr % CHUNK;
		size_t n = CHUNK - off < len ? (size_t)(CHUNK - off) : len;
		const uint8_t *p = chunk(f, paddr, false);

		if (p)
			memcpy(out, p, n);
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
	for (size_t i = 0; i < f->n; i++)
		free(f->buf[i]);
	free(f);
}

/* Output-address bits of a descriptor for @pa in the layout's format. */
static uint64_t enc(const struct fake *f, uint64_t pa)
{
	if (f->lpa2)
		return (pa & ((1ull << 50) - 1)) | ((pa >> 50) & 3) << 8;
	if (f->page_shift == 16)
		return (pa & ((1ull << 48) - 1)) | ((pa >> 48) & 0xf) << 12;
	return pa;
}

/* Attribute bits: AF, inner shareable (not with LPA2: bits 8-9 are address bits), PXN/UXN. */
static uint64_t attrs(const struct fake *f)
{
	return 0x400 | (f->lpa2 ? 0 : 0x300) | (3ull << 53);
}

/* Map @vaddr to @pa with a mapping of 2^@shift bytes (a page or a block). */
static void map(struct fake *f, uint64_t vaddr, uint64_t pa, unsigned shift)
{
	unsigned per = f->page_shift - 3;
	uint64_t table = f->pgd;

	for (int i = 0; i < f->levels; i++) {
		unsigned s = f->page_shift + per * (unsigned)(f->levels - 1 - i);
		unsigned bits = i == 0 ? f->walk_bits - s : per;
		uint64_t slot = table + 8 * ((vaddr >> s) & ((1ull << bits) - 1));

		if (s == shift) {
			bool last = i == f->levels - 1;

			w64(f, slot, enc(f, pa) | attrs(f) | (last ? 3 : 1));
			return;
		}
		uint64_t e = r64(f, slot);

		if (!(e & 1)) {
			uint64_t t = f->next_table;

			f->next_table += 1ull << f->page_shift;
			chunk(f, t, true);
			e = enc(f, t) | 3;
			w64(f, slot, e);
		}
		/* decode as the kernel would */
		if (f->lpa2)
			table = (e & ((1ull << 50) - 1) & ~((1ull << f->page_shift) - 1)) |
				((e >> 8) & 3) << 50;
		else if (f->page_shift == 16)
			table = (e & ((1ull << 48) - 1) & ~0xffffull) | ((e >> 12) & 0xf) << 48;
		else
			table = e & ((1ull << 48) - 1) & ~((1ull << f->page_shift) - 1);
	}
	abort();
}

/* ------------------------------------------------------------------ */
/* Layouts */

struct layout {
	const char *name;
	const char *release;
	unsigned page_shift, va_bits, t1sz;	/* t1sz 0: not exported */
	unsigned walk_bits;			/* what the kernel's tables are built for */
	int levels;
	bool lpa2;
	uint64_t phys_offset;
	uint64_t swapper;			/* SYMBOL(swapper_pg_dir) */
	uint64_t swapper_pa;
	uint64_t page_offset;			/* expected linear-map start */
	uint64_t pac;				/* KERNELPACMASK */
};

static const struct layout layouts[] = {
	{ "4k-48 (Debian 12)", "6.1.0-56-cloud-arm64", 12, 48, 16, 48, 4, false, 0x40000000ull,
	  0xffff80000a5f0000ull, 0x425f0000ull, 0xffff000000000000ull, 0xff7f000000000000ull },
	{ "4k-39 (4.19, old layout)", "4.19.0-test", 12, 39, 0, 39, 3, false, 0x80000000ull,
	  0xffffff8009990000ull, 0x81990000ull, 0xffffffc000000000ull, 0 },
	{ "16k-47", "6.6.0-test", 14, 47, 17, 47, 3, false, 0x40000000ull,
	  0xffffc0000a5f0000ull, 0x425f0000ull, 0xffff800000000000ull, 0 },
	{ "64k-42", "6.1.0-test", 16, 42, 22, 42, 2, false, 0x40000000ull,
	  0xfffffe000a5f0000ull, 0x425f0000ull, 0xfffffc0000000000ull, 0 },
	{ "64k-52 on a 48-bit CPU", "6.1.0-test", 16, 52, 16, 52, 3, false, 0x40000000ull,
	  0xffff80000a5f0000ull, 0x425f0000ull, 0xfff0000000000000ull, 0 },
	{ "64k-52 on a 52-bit CPU", "6.1.0-test", 16, 52, 12, 52, 3, false, 0x40000000ull,
	  0xffff80000a5f0000ull, 0x425f0000ull, 0xfff0000000000000ull, 0 },
	{ "4k-52 LPA2", "6.9.0-test", 12, 52, 12, 52, 5, true, 0x40000000ull,
	  0xffff80000a5f0000ull, 0x425f0000ull, 0xfff0000000000000ull, 0 },
	{ "4k-52 kernel on a 48-bit CPU", "6.9.0-test", 12, 52, 16, 48, 4, false, 0x40000000ull,
	  0xffff80000a5f0000ull, 0x425f0000ull, 0xfff0000000000000ull, 0 },
};

#define STRUCT_PAGES_PA 0x43000000ull	/* vmemmap backing page */
#define MS_ROOTS_PA 0x43100000ull	/* mem_section root pointer array */
#define MS_BLOCK_PA 0x43200000ull	/* root[0]: 256 mem_section entries */
#define VMEMMAP_START 0xfffffc0000000000ull
#define RAM_PFNS 0x4000ull		/* 64 MiB of 4 KiB pages */

static size_t vmci_text(const struct layout *l, char *buf, size_t cap, const char *drop)
{
	char lines[4000];
	size_t len = 0;
	uint64_t voffset = l->swapper - l->swapper_pa;
	uint64_t ms_roots = l->page_offset + (MS_ROOTS_PA - l->phys_offset);
	int n = snprintf(lines, sizeof(lines),
			 "OSRELEASE=%s\nPAGESIZE=%u\nSYMBOL(swapper_pg_dir)=%llx\n"
			 "NUMBER(VA_BITS)=%u\nNUMBER(kimage_voffset)=0x%llx\n"
			 "NUMBER(PHYS_OFFSET)=0x%llx\nKERNELOFFSET=2400000\n"
			 "NUMBER(KERNELPACMASK)=0x%llx\n",
			 l->release, 1u << l->page_shift, (unsigned long long)l->swapper, l->va_bits,
			 (unsigned long long)voffset, (unsigned long long)l->phys_offset,
			 (unsigned long long)l->pac);

	if (l->t1sz)
		n += snprintf(lines + n, sizeof(lines) - (size_t)n, "NUMBER(TCR_EL1_T1SZ)=0x%x\n",
			      l->t1sz);
	/* struct page keys as Debian 12's arm64 6.1 kernel exports them */
	snprintf(lines + n, sizeof(lines) - (size_t)n,
		 "SYMBOL(mem_section)=%llx\nLENGTH(mem_section)=8192\nSIZE(mem_section)=16\n"
		 "OFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\n"
		 "NUMBER(MAX_PHYSMEM_BITS)=48\n"
		 "SIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
		 "OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\n"
		 "OFFSET(page.private)=40\nOFFSET(page.compound_dtor)=16\n"
		 "OFFSET(page.compound_order)=17\nOFFSET(page.compound_head)=8\n"
		 "LENGTH(zone.free_area)=11\n"
		 "NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
		 "NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_head_mask)=65536\n"
		 "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
		 "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\nCRASHTIME=1795376315\n",
		 (unsigned long long)ms_roots);
	for (char *line = lines; *line;) {
		char *nl = strchr(line, '\n');
		size_t ll = (size_t)(nl - line) + 1;

		if (!drop || strncmp(line, drop, strlen(drop)) != 0)
			len += (size_t)snprintf(buf + len, cap - len, "%.*s", (int)ll, line);
		line += ll;
	}
	return len;
}

static struct fake *make_fake(const struct layout *l)
{
	struct fake *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->page_shift = l->page_shift;
	f->walk_bits = l->walk_bits;
	f->levels = l->levels;
	f->lpa2 = l->lpa2;
	f->pgd = l->swapper_pa;
	f->next_table = 0x43800000ull;
	chunk(f, f->pgd, true);
	return f;
}

static struct fmt_vmcoreinfo *parse(const struct layout *l, const char *drop)
{
	char text[8000];
	size_t len = vmci_text(l, text, sizeof(text), drop);
	struct fmt_vmcoreinfo *vi = NULL;
	struct kd_err err;

	if (fmt_vmcoreinfo_parse(text, len, &vi, &err) != KD_OK) {
		printf("# vmcoreinfo: %s\n", err.msg);
		abort();
	}
	return vi;
}

static bool has_warning(struct flt_model *m, const char *needle)
{
	char msgs[16][FLT_WARN_LEN];
	size_t n = flt_model_warnings(m, 31, msgs, 16);

	for (size_t i = 0; i < n && i < 16; i++)
		if (strstr(msgs[i], needle))
			return true;
	return false;
}

static bool vtop_is(struct flt_model *m, uint64_t va, uint64_t want)
{
	struct kd_err err;
	uint64_t pa = 0;
	enum kd_status st = flt_model_vtop(m, va, &pa, &err);

	if (st != KD_OK || pa != want)
		printf("# 0x%llx -> %d 0x%llx (want 0x%llx) %s\n", (unsigned long long)va, st,
		       (unsigned long long)pa, (unsigned long long)want,
		       st != KD_OK ? err.msg : "");
	return st == KD_OK && pa == want;
}

static enum kd_status vtop_status(struct flt_model *m, uint64_t va)
{
	struct kd_err err;
	uint64_t pa;

	return flt_model_vtop(m, va, &pa, &err);
}

/* ------------------------------------------------------------------ */
/* Translation in every layout */

static void test_layout(struct tap *t, const struct layout *l)
{
	struct fake *f = make_fake(l);
	struct fmt_vmcoreinfo *vi = parse(l, NULL);
	unsigned ps = l->page_shift, per = ps - 3;
	uint64_t page = 1ull << ps;
	uint64_t voffset = l->swapper - l->swapper_pa;
	uint64_t block = 1ull << (ps + per);	/* 2 MiB, 32 MiB, 512 MiB */
	uint64_t lin = l->page_offset;		/* linear address of phys_offset */
	uint64_t vmalloc = l->swapper + (64ull << 30) - ((l->swapper + (64ull << 30)) % block);
	uint64_t img = l->swapper & ~(page - 1);
	uint64_t high_pa = l->page_shift == 16 || l->lpa2 ? 0xa000000000000ull : 0x9000000000ull;
	struct flt_mem mem = { fake_read, f, (1ull << 52) >> ps };
	struct flt_model *m = NULL;
	struct kd_err err;

	/* the kernel image: pages; the linear map: one block, then pages; vmalloc: a block
	 * and pages, one of them far up in physical memory */
	map(f, img, l->swapper_pa, ps);
	map(f, img + page, l->swapper_pa + page, ps);
	map(f, lin, l->phys_offset, ps + per);
	map(f, lin + block, l->phys_offset + block, ps);
	map(f, lin + block + 2 * page, l->phys_offset + block + 2 * page, ps);
	map(f, vmalloc, 0x48000000ull & ~(block - 1), ps + per);
	map(f, vmalloc + block, 0x47000000ull, ps);
	map(f, vmalloc + block + page, high_pa, ps);

	TAP_CHECK(t, flt_model_create(vi, &mem, 0, &m, &err) == KD_OK, "%s: model created",
		  l->name);
	if (!m)
		goto out;
	TAP_CHECK(t, !has_warning(m, "page tables"), "%s: no translation warning", l->name);
	TAP_CHECK(t, vtop_is(m, img + 0x123, l->swapper_pa + 0x123) &&
		     vtop_is(m, img + page + 8, l->swapper - voffset + page + 8),
		  "%s: kernel image", l->name);
	TAP_CHECK(t, vtop_is(m, lin + 0x1238, l->phys_offset + 0x1238) &&
		     vtop_is(m, lin + block - 8, l->phys_offset + block - 8),
		  "%s: linear map, block", l->name);
	TAP_CHECK(t, vtop_is(m, lin + block + 2 * page + 0x10, l->phys_offset + block + 2 * page + 0x10),
		  "%s: linear map, page", l->name);
	/* not in the tables (a hole made for debugging, nomap memory): the linear formula */
	TAP_CHECK(t, vtop_is(m, lin + block + page + 0x20, l->phys_offset + block + page + 0x20),
		  "%s: unmapped linear address by formula", l->name);
	TAP_CHECK(t, vtop_is(m, vmalloc + 0x12345, (0x48000000ull & ~(block - 1)) + 0x12345),
		  "%s: vmalloc block", l->name);
	TAP_CHECK(t, vtop_is(m, vmalloc + block + 0x18, 0x47000018ull),
		  "%s: vmalloc page", l->name);
	TAP_CHECK(t, vtop_is(m, vmalloc + block + page + 0x40, high_pa + 0x40),
		  "%s: physical address 0x%llx", l->name, (unsigned long long)high_pa);
	TAP_CHECK(t, vtop_status(m, vmalloc + block + 5 * page) == KD_ERR_NODATA,
		  "%s: unmapped vmalloc address", l->name);
	TAP_CHECK(t, vtop_status(m, 0x0000ffff12345000ull) == KD_ERR_NODATA,
		  "%s: user address refused", l->name);
	if (l->pac) {
		/* a signed pointer: the PAC field is not all ones */
		uint64_t signed_va = (img + 0x40) & ~(0x0035000000000000ull & l->pac);

		TAP_CHECK(t, vtop_is(m, signed_va, l->swapper_pa + 0x40),
			  "%s: pointer-authentication code stripped", l->name);
	}
	/* an MTE/KASAN tag in the top byte */
	TAP_CHECK(t, vtop_is(m, (lin + 0x1238) & ~(0x0full << 56), l->phys_offset + 0x1238),
		  "%s: top-byte tag ignored", l->name);
	flt_model_destroy(m);
out:
	fmt_vmcoreinfo_destroy(vi);
	fake_free(f);
}

/* ------------------------------------------------------------------ */
/* Dispatch and missing keys */

static void test_dispatch(struct tap *t)
{
	const struct layout *l = &layouts[0];
	struct fake *f = make_fake(l);
	struct fmt_vmcoreinfo *vi = parse(l, NULL);
	struct flt_mem mem = { fake_read, f, 0x50000 };
	struct flt_model *m = NULL;
	struct kd_err err;

	map(f, l->page_offset, l->phys_offset, 21);
	TAP_CHECK(t, flt_model_create_machine(vi, &mem, EM_AARCH64, 0, &m, &err) == KD_OK &&
		     vtop_is(m, l->page_offset + 0x5000, l->phys_offset + 0x5000),
		  "dispatch: EM_AARCH64");
	flt_model_destroy(m);
	m = NULL;
	TAP_CHECK(t, flt_model_create_machine(vi, &mem, EM_X86_64, 0, &m, &err) == KD_OK &&
		     has_warning(m, "no x86_64 page tables") &&
		     vtop_status(m, l->page_offset + 0x5000) == KD_ERR_NOTIMPL,
		  "dispatch: arm64 VMCOREINFO read as x86_64 has no translation");
	flt_model_destroy(m);
	m = NULL;
	TAP_CHECK(t, flt_model_create_machine(vi, &mem, EM_RISCV, 0, &m, &err) == KD_OK &&
		     has_warning(m, "ELF machine 243 is not supported"),
		  "dispatch: another machine is named in a warning");
	flt_model_destroy(m);
	fmt_vmcoreinfo_destroy(vi);

	vi = parse(l, "NUMBER(VA_BITS)");
	m = NULL;
	TAP_CHECK(t, flt_model_create_machine(vi, &mem, EM_AARCH64, 0, &m, &err) == KD_OK &&
		     has_warning(m, "NUMBER(VA_BITS)"),
		  "missing VA_BITS is named in a warning");
	flt_model_destroy(m);
	fmt_vmcoreinfo_destroy(vi);

	/* without swapper_pg_dir only the linear map can be translated */
	vi = parse(l, "SYMBOL(swapper_pg_dir)");
	m = NULL;
	TAP_CHECK(t, flt_model_create(vi, &mem, 0, &m, &err) == KD_OK &&
		     vtop_is(m, l->page_offset + 0x7008, l->phys_offset + 0x7008) &&
		     vtop_status(m, l->swapper) == KD_ERR_NOTIMPL,
		  "no swapper_pg_dir: linear map only");
	flt_model_destroy(m);
	fmt_vmcoreinfo_destroy(vi);
	fake_free(f);
}

/* ------------------------------------------------------------------ */
/* Struct pages through mem_section and vmemmap, classified by the shared code */

static void test_classify(struct tap *t)
{
	const struct layout *l = &layouts[0];
	struct fake *f = make_fake(l);
	struct fmt_vmcoreinfo *vi = parse(l, NULL);
	uint64_t first_pfn = l->phys_offset >> 12, max_pfn = first_pfn + RAM_PFNS;
	struct flt_mem mem = { fake_read, f, max_pfn };
	uint64_t vmemmap = VMEMMAP_START - first_pfn * 64;	/* struct page of PFN 0 */
	uint64_t sec = first_pfn >> 15;				/* SECTION_SIZE_BITS 27 */
	struct flt_model *m = NULL;
	struct flt_stats st = { 0 };
	struct kd_err err;
	uint64_t bits = ~0ull;

	/* the linear map covers the mem_section arrays; vmemmap maps the first 64 struct pages */
	map(f, l->page_offset, l->phys_offset, 30);
	map(f, VMEMMAP_START, STRUCT_PAGES_PA, 12);
	w64(f, MS_ROOTS_PA, l->page_offset + (MS_BLOCK_PA - l->phys_offset));
	w64(f, MS_BLOCK_PA + 16 * sec, vmemmap | 3);
	/* pfn +5 anonymous, +6 free (order 1: +6 and +7), +9 page cache, +10 slab */
	w64(f, STRUCT_PAGES_PA + 5 * 64 + 24, 0xffff000012345001ull);
	put_le32(chunk(f, STRUCT_PAGES_PA + 6 * 64 + 48, true), (uint32_t)-129);
	w64(f, STRUCT_PAGES_PA + 6 * 64 + 40, 1);
	w64(f, STRUCT_PAGES_PA + 9 * 64, 1ull << 4);
	w64(f, STRUCT_PAGES_PA + 9 * 64 + 24, 0xffff000012346000ull);
	w64(f, STRUCT_PAGES_PA + 10 * 64, 1ull << 9);
	w64(f, STRUCT_PAGES_PA + 10 * 64 + 24, 0xffff000012347000ull);

	TAP_CHECK(t, flt_model_create(vi, &mem, 0, &m, &err) == KD_OK, "classify: model created");
	if (!m)
		goto out;
	TAP_CHECK(t, flt_model_effective_level(m, 31) == 30, "classify: levels 2, 4, 8, 16 available");
	TAP_CHECK(t, flt_exclude_window(m, 31, first_pfn, 64, &bits, &st, &err) == KD_OK,
		  "classify: window walked");
	TAP_CHECK(t, bits == ~((1ull << 5) | (1ull << 6) | (1ull << 7) | (1ull << 9)),
		  "classify: anon, free pair and cache page excluded, slab kept (bits %016llx)",
		  (unsigned long long)bits);
	TAP_CHECK(t, st.user == 1 && st.free == 2 && st.cache == 1 && st.unreadable == 0,
		  "classify: counts user %llu free %llu cache %llu unreadable %llu",
		  (unsigned long long)st.user, (unsigned long long)st.free,
		  (unsigned long long)st.cache, (unsigned long long)st.unreadable);
	flt_model_destroy(m);
out:
	fmt_vmcoreinfo_destroy(vi);
	fake_free(f);
}

int main(void)
{
	struct tap t = { 0 };

	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		test_layout(&t, &layouts[i]);
	test_dispatch(&t);
	test_classify(&t);
	return tap_finish(&t);
}
