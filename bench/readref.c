/* readref: the read floor of a filtered dump: read exactly the struct page array and the pages
 * that pass it, and time only that.
 *
 *   readref VMCORE PAGES_DUMP [COPY_OUT]
 *
 * PAGES_DUMP is a kdump file that vmcore-save wrote from VMCORE: pages set in its first bitmap
 * are the ones whose struct pages the filter reads; pages set in its second bitmap are the pages
 * read and saved. bench/run passes a `-d 30` dump (every filter class but the zero test, so the
 * second bitmap is every page the zero test has to read at `-d 31`).
 *
 * First (not timed) the byte ranges of VMCORE are worked out: each present page's 64-byte (SIZE
 * (page)) struct page, found through the dead kernel's mem_section and page tables, and each
 * kept page; ranges are sorted by file offset and merged. Then they are read with pread into one
 * 1 MiB buffer, timed. Prints one line:
 *   readref struct_bytes=N page_bytes=N ranges=N reads=N cpu_s=S wall_s=S gbps_cpu=X
 * With COPY_OUT (a new file, on the tmpfs the dumps go to) the same loop also writes every
 * non-zero page it read to COPY_OUT, one after another, as a filtered dump has to: the copy
 * floor (no filtering, no headers, no compression). It then adds
 *   copy_bytes=N copy_cpu_s=S copy_wall_s=S
 * (a second, separately timed pass, after the read-only one).
 * Page cache hot or cold is the caller's business (bench/run reads the file once before).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "filters/filters.h"
#include "formats/formats.h"

#define READ_PIECE (1u << 20)
#define WORDS 4096u	/* bitmap words per step: 256 Ki pfns */

struct range {
	uint64_t off;
	uint64_t len;
};

struct ctx {
	struct fmt_input *in;
	struct fmt_vmcore *vc;
	struct fmt_vmcoreinfo *vi;
	struct fmt_physmap pm;
	uint64_t page_size;
	struct range *r;
	size_t nr, cap;
	uint64_t struct_bytes, page_bytes;
};

static void die(const char *what, const struct kd_err *err)
{
	fprintf(stderr, "readref: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
	exit(1);
}

/* File offset of physical address @paddr, with how many bytes follow it in the same range. */
static bool file_offset(const struct ctx *c, uint64_t paddr, uint64_t *off, uint64_t *avail)
{
	ssize_t i = fmt_physmap_find(&c->pm, paddr);
	const struct fmt_phys_range *r;
	uint64_t rel;

	if (i < 0)
		return false;
	r = &c->pm.ranges[i];
	rel = paddr - r->paddr;
	if (rel >= r->filesz)
		return false;
	*off = r->offset + rel;
	*avail = r->filesz - rel;
	return true;
}

static enum kd_status read_phys(void *ctx, uint64_t paddr, void *buf, size_t len,
				struct kd_err *err)
{
	struct ctx *c = ctx;
	uint8_t *dst = buf;

	while (len) {
		uint64_t off, avail;
		size_t n;

		if (!file_offset(c, paddr, &off, &avail))
			return kd_err_set(err, KD_ERR_NODATA, "%#llx is not in the vmcore",
					  (unsigned long long)paddr);
		n = avail < len ? (size_t)avail : len;
		if (fmt_input_read(c->in, off, dst, n, err) != KD_OK)
			return err->status;
		dst += n;
		paddr += n;
		len -= n;
	}
	return KD_OK;
}

static void add_range(struct ctx *c, uint64_t off, uint64_t len)
{
	if (c->nr && c->r[c->nr - 1].off + c->r[c->nr - 1].len == off) {
		c->r[c->nr - 1].len += len;
		return;
	}
	if (c->nr == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4096;
		c->r = realloc(c->r, c->cap * sizeof(*c->r));
		if (!c->r)
			die("out of memory", NULL);
	}
	c->r[c->nr].off = off;
	c->r[c->nr].len = len;
	c->nr++;
}

/* The file bytes of physical [paddr, paddr+len). */
static void add_phys(struct ctx *c, uint64_t paddr, uint64_t len)
{
	while (len) {
		uint64_t off, avail;

		if (!file_offset(c, paddr, &off, &avail))
			return;
		if (avail > len)
			avail = len;
		add_range(c, off, avail);
		paddr += avail;
		len -= avail;
	}
}

/* The struct pages of pfns [a, b), through their kernel virtual addresses. */
static void add_struct_pages(struct ctx *c, struct flt_model *m, uint64_t a, uint64_t b,
			     uint64_t size)
{
	while (a < b) {
		uint64_t va, sec_end, stop, end_va;
		struct kd_err err;

		kd_err_clear(&err);
		if (flt_model_memmap_vaddr(m, a, &va, &sec_end, &err) != KD_OK || sec_end <= a) {
			a = sec_end > a ? sec_end : b;	/* no struct pages: nothing read */
			continue;
		}
		stop = sec_end < b ? sec_end : b;
		end_va = va + (stop - a) * size;
		while (va < end_va) {
			uint64_t pa, n = 4096 - (va & 4095);

			if (n > end_va - va)
				n = end_va - va;
			kd_err_clear(&err);
			if (flt_model_vtop(m, va, &pa, &err) == KD_OK) {
				add_phys(c, pa, n);
				c->struct_bytes += n;
			}
			va += n;
		}
		a = stop;
	}
}

static int range_cmp(const void *x, const void *y)
{
	const struct range *a = x, *b = y;

	return a->off < b->off ? -1 : a->off > b->off;
}

static void merge_ranges(struct ctx *c)
{
	size_t out = 0;

	qsort(c->r, c->nr, sizeof(*c->r), range_cmp);
	for (size_t i = 0; i < c->nr; i++) {
		struct range *p = out ? &c->r[out - 1] : NULL;

		if (p && c->r[i].off <= p->off + p->len) {
			uint64_t end = c->r[i].off + c->r[i].len;

			if (end > p->off + p->len)
				p->len = end - p->off;
		} else {
			c->r[out++] = c->r[i];
		}
	}
	c->nr = out;
}

static uint64_t page_offset_of(const struct fmt_vmcore *vc)
{
	uint64_t off = 0;

	for (size_t i = 0; i < vc->nr_loads; i++) {
		const struct fmt_load *l = &vc->loads[i];

		if (vc->machine == 62 && l->vaddr >= 0xffff800000000000ull &&
		    l->vaddr < 0xffffffff80000000ull)
			off = l->vaddr - l->paddr;
	}
	return off;
}

static void plan(struct ctx *c, const char *vmcore, const char *dump)
{
	struct kd_err err;
	struct fmt_input *din;
	struct fmt_kdump *kd;
	struct flt_model *m;
	uint64_t *b1 = calloc(WORDS, 8), *b2 = calloc(WORDS, 8), max;
	uint64_t spage = 64;

	kd_err_clear(&err);
	if (!b1 || !b2)
		die("out of memory", NULL);
	if (fmt_input_open(vmcore, &c->in, &err) || fmt_vmcore_open(c->in, &c->vc, &err))
		die(vmcore, &err);
	if (!c->vc->vmcoreinfo)
		die("the vmcore has no VMCOREINFO", NULL);
	if (fmt_vmcoreinfo_parse((const char *)c->vc->vmcoreinfo->desc, c->vc->vmcoreinfo->desc_size,
				 &c->vi, &err) ||
	    fmt_physmap_from_vmcore(c->vc, &c->pm, &err))
		die(vmcore, &err);
	c->page_size = fmt_vmci_pagesize(c->vi);
	fmt_vmci_size(c->vi, "page", &spage);
	struct flt_mem mem = { read_phys, c, (c->pm.max_paddr + c->page_size - 1) / c->page_size };

	if (flt_model_create_machine(c->vi, &mem, c->vc->machine, page_offset_of(c->vc), &m, &err))
		die("kernel model", &err);
	if (fmt_input_open(dump, &din, &err) || fmt_kdump_open(din, &kd, &err))
		die(dump, &err);
	max = fmt_kdump_get_info(kd)->max_mapnr;
	for (uint64_t start = 0; start < max; start += 64 * WORDS) {
		size_t nw = (size_t)((max - start + 63) / 64 < WORDS ? (max - start + 63) / 64 : WORDS);

		fmt_kdump_bitmap_words(kd, false, start, b1, nw);
		fmt_kdump_bitmap_words(kd, true, start, b2, nw);
		for (size_t w = 0; w < nw; w++) {
			for (uint64_t bits = b2[w]; bits; bits &= bits - 1) {
				uint64_t pfn = start + 64 * w + (uint64_t)__builtin_ctzll(bits);

				add_phys(c, pfn * c->page_size, c->page_size);
				c->page_bytes += c->page_size;
			}
		}
		/* runs of present pages: their struct pages */
		for (uint64_t i = 0; i < 64 * (uint64_t)nw;) {
			uint64_t j;

			if (!((b1[i / 64] >> (i % 64)) & 1)) {
				i++;
				continue;
			}
			for (j = i; j < 64 * (uint64_t)nw && ((b1[j / 64] >> (j % 64)) & 1); j++)
				;
			add_struct_pages(c, m, start + i, start + j, spage);
			i = j;
		}
	}
	fmt_kdump_destroy(kd);
	fmt_input_destroy(din);
	flt_model_destroy(m);
	free(b1);
	free(b2);
	merge_ranges(c);
}

static bool page_zero(const uint8_t *p)
{
	for (size_t i = 0; i < 4096; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (w)
			return false;
	}
	return true;
}

/* Write the non-zero 4 KiB pages of buf[0, n) at *pos onwards (contiguous spans, one pwrite each). */
static int copy_out(int out, const uint8_t *buf, size_t n, uint64_t *pos, uint64_t *bytes)
{
	size_t span = 0, start = 0;

	for (size_t o = 0; o + 4096 <= n; o += 4096) {
		if (!page_zero(buf + o)) {
			if (!span)
				start = o;
			span += 4096;
			if (o + 4096 + 4096 <= n)
				continue;
		}
		if (span && pwrite(out, buf + start, span, (off_t)*pos) != (ssize_t)span)
			return -1;
		*pos += span;
		*bytes += span;
		span = 0;
	}
	return 0;
}

/* One timed pass over the planned ranges; with out >= 0 the non-zero pages are written too. */
static int pass(const struct ctx *c, int fd, uint8_t *buf, int out, uint64_t *reads,
		uint64_t *total, uint64_t *copied, double *cpu, double *wall)
{
	struct rusage r0, r1;
	uint64_t pos = 0;
	double w0;

	getrusage(RUSAGE_SELF, &r0);
	w0 = bench_clock(CLOCK_MONOTONIC);
	for (size_t i = 0; i < c->nr; i++) {
		for (uint64_t done = 0; done < c->r[i].len;) {
			size_t n = c->r[i].len - done < READ_PIECE ? (size_t)(c->r[i].len - done) : READ_PIECE;
			ssize_t got = pread(fd, buf, n, (off_t)(c->r[i].off + done));

			if (got <= 0) {
				fprintf(stderr, "readref: read at %#llx: %s\n",
					(unsigned long long)(c->r[i].off + done),
					got < 0 ? strerror(errno) : "end of file");
				return -1;
			}
			if (out >= 0 && copy_out(out, buf, (size_t)got, &pos, copied) < 0) {
				fprintf(stderr, "readref: write: %s\n", strerror(errno));
				return -1;
			}
			done += (uint64_t)got;
			(*reads)++;
		}
		*total += c->r[i].len;
	}
	*wall = bench_clock(CLOCK_MONOTONIC) - w0;
	getrusage(RUSAGE_SELF, &r1);
	*cpu = bench_tv(r1.ru_utime) - bench_tv(r0.ru_utime) + bench_tv(r1.ru_stime) - bench_tv(r0.ru_stime);
	return 0;
}

int main(int argc, char **argv)
{
	struct ctx c;
	uint8_t *buf = malloc(READ_PIECE);
	uint64_t reads = 0, total = 0, copied = 0, creads = 0, ctotal = 0;
	double wall, cpu, ccpu = 0, cwall = 0;
	int fd, out = -1;

	if ((argc != 3 && argc != 4) || !buf) {
		fprintf(stderr, "usage: readref VMCORE PAGES_DUMP [COPY_OUT]\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	plan(&c, argv[1], argv[2]);
	fd = fmt_input_fd(c.in);
	memset(buf, 0, READ_PIECE);	/* the buffer's page faults are not part of the measure */
	if (pass(&c, fd, buf, -1, &reads, &total, &copied, &cpu, &wall) < 0)
		return 1;
	printf("readref struct_bytes=%llu page_bytes=%llu file_bytes=%llu ranges=%zu reads=%llu "
	       "cpu_s=%.4f wall_s=%.4f gbps_cpu=%.3f",
	       (unsigned long long)c.struct_bytes, (unsigned long long)c.page_bytes,
	       (unsigned long long)total, c.nr, (unsigned long long)reads, cpu, wall,
	       cpu > 0 ? (double)total / cpu / 1e9 : 0.0);
	if (argc == 4) {
		out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out < 0 || pass(&c, fd, buf, out, &creads, &ctotal, &copied, &ccpu, &cwall) < 0) {
			fprintf(stderr, "\nreadref: %s: %s\n", argv[3], strerror(errno));
			return 1;
		}
		close(out);
		unlink(argv[3]);
		printf(" copy_bytes=%llu copy_cpu_s=%.4f copy_wall_s=%.4f", (unsigned long long)copied,
		       ccpu, cwall);
	}
	printf("\n");
	free(buf);
	free(c.r);
	fmt_physmap_deinit(&c.pm);
	fmt_vmcoreinfo_destroy(c.vi);
	fmt_vmcore_destroy(c.vc);
	fmt_input_destroy(c.in);
	return 0;
}
