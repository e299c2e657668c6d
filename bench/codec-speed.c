/* codec-speed: the machine's single-core limits on the pages of one ELF64 vmcore.
 *
 *   codec-speed [--max-mib N] [--window-mib N] VMCORE
 *
 * Walks every PT_LOAD in mmap windows (64 MiB by default) and measures, on one core:
 *   zero-scan-cold  zero test of every page of a freshly mapped window (page faults included:
 *                   what a reader that maps the file pays)
 *   zero-scan-hot   the same test again on the same mapping (CPU and memory bandwidth only)
 *   read-mmap-4m    mmap 4 MiB windows, zero test, munmap (what a 4 MiB-window reader pays)
 *   read-populate-4m  the same with MAP_POPULATE (page tables filled in one call, no faults)
 *   read-pread-4m   pread 4 MiB chunks into one reused buffer, zero test
 *   zlib1 / lzo1x_1 / zstd1  compression of every non-zero page, one page per call, each
 *                   codec timed alone on the same staged pages (zlib level 1 with one stream
 *                   reset per page: compress2(level 1)'s bytes without its per-call malloc,
 *                   lzo1x_1_compress, ZSTD_compressCCtx at level 1)
 *   deflate         kdumpkit's own zlib-stream encoder (formats/deflate.c, fmt_deflate_page),
 *                   on the same pages; its streams are zlib-compatible (same column as zlib1)
 * Each result is one line of key=value pairs; rates are GB/s (1e9 bytes) of input, computed
 * from this thread's CPU time (cpu) and from wall time (wall). With --max-mib the codecs stop
 * after that many MiB of non-zero pages (the zero scans still cover the whole file).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lzo/lzo1x.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "clock.h"
#include "formats/deflate.h"

#define PAGE 4096u

enum { C_ZLIB, C_LZO, C_ZSTD, C_DEFLATE, C_N };
static const char *const codec_names[C_N] = { "zlib1", "lzo1x_1", "zstd1", "deflate" };

struct meter {
	double cpu, wall;
	uint64_t in, out, pages, raw;	/* raw: pages that did not shrink */
};

struct ctx {
	int fd;
	size_t window;
	uint64_t max_bytes;
	uint8_t *stage;			/* non-zero pages of the current window */
	uint8_t *dst;
	size_t dst_cap;
	void *lzo_wrk;
	ZSTD_CCtx *zc;
	z_stream zs;
	struct fmt_deflate *deflate;
	struct meter cold, hot, codec[C_N];
	struct meter rd_mmap, rd_populate, rd_pread;
	uint8_t *rdbuf;
	uint64_t zero_pages, nonzero_pages, staged_total;
};

/* Word-at-a-time zero test: OR eight words per step, test once per 64 bytes. */
static int page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;

	for (size_t i = 0; i < PAGE / 8; i += 8) {
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			return 0;
	}
	return 1;
}

static size_t scan(const uint8_t *p, size_t len, uint8_t *stage, struct ctx *c, int count)
{
	size_t staged = 0;

	for (size_t off = 0; off + PAGE <= len; off += PAGE) {
		if (page_is_zero(p + off)) {
			c->zero_pages += (uint64_t)count;
			continue;
		}
		c->nonzero_pages += (uint64_t)count;
		if (stage) {
			memcpy(stage + staged, p + off, PAGE);
			staged += PAGE;
		}
	}
	return staged;
}

static size_t compress_one(struct ctx *c, int codec, const uint8_t *page)
{
	switch (codec) {
	case C_ZLIB: {
		/* The bytes compress2(level 1) makes, without its per-call allocation. */
		z_stream *z = &c->zs;

		if (deflateReset(z) != Z_OK)
			return PAGE;
		z->next_in = (Bytef *)(uintptr_t)page;
		z->avail_in = PAGE;
		z->next_out = c->dst;
		z->avail_out = (uInt)c->dst_cap;
		if (deflate(z, Z_FINISH) != Z_STREAM_END)
			return PAGE;
		return (size_t)z->total_out;
	}
	case C_LZO: {
		lzo_uint n = 0;

		if (lzo1x_1_compress(page, PAGE, c->dst, &n, c->lzo_wrk) != LZO_E_OK)
			return PAGE;
		return (size_t)n;
	}
	case C_DEFLATE: {
		size_t n = fmt_deflate_page(c->deflate, page, PAGE, c->dst, PAGE);

		return n ? n : PAGE;
	}
	default: {
		size_t n = ZSTD_compressCCtx(c->zc, c->dst, c->dst_cap, page, PAGE, 1);

		return ZSTD_isError(n) ? PAGE : n;
	}
	}
}

static void compress_staged(struct ctx *c, size_t staged)
{
	for (int k = 0; k < C_N; k++) {
		struct meter *m = &c->codec[k];
		double t0 = bench_clock(CLOCK_THREAD_CPUTIME_ID), w0 = bench_clock(CLOCK_MONOTONIC);

		for (size_t off = 0; off < staged; off += PAGE) {
			size_t n = compress_one(c, k, c->stage + off);

			if (n >= PAGE) {
				n = PAGE;
				m->raw++;
			}
			m->out += n;
		}
		m->cpu += bench_clock(CLOCK_THREAD_CPUTIME_ID) - t0;
		m->wall += bench_clock(CLOCK_MONOTONIC) - w0;
		m->in += staged;
		m->pages += staged / PAGE;
	}
}

static void timed_scan(struct ctx *c, struct meter *m, const uint8_t *p, size_t len, int count)
{
	double t0 = bench_clock(CLOCK_THREAD_CPUTIME_ID), w0 = bench_clock(CLOCK_MONOTONIC);

	scan(p, len, NULL, c, count);
	m->cpu += bench_clock(CLOCK_THREAD_CPUTIME_ID) - t0;
	m->wall += bench_clock(CLOCK_MONOTONIC) - w0;
	m->in += len;
}

#define RD_CHUNK (4u << 20)

/* mmap @len bytes at file offset @off (any alignment: ELF files written by vmcore-save -E
 * or arm64 vmcores have unaligned PT_LOADs): the data pointer; the mapping goes in @base and @maplen. */
static uint8_t *map_at(int fd, uint64_t off, size_t len, int flags, uint8_t **base, size_t *maplen)
{
	const uint64_t delta = off % (uint64_t)sysconf(_SC_PAGESIZE);
	uint8_t *m = mmap(NULL, len + delta, PROT_READ, flags, fd, (off_t)(off - delta));

	if (m == MAP_FAILED)
		return MAP_FAILED;
	*base = m;
	*maplen = len + delta;
	return m + delta;
}

/* The three ways to read one range of the file, each timed alone, each with a zero test. */
static int read_modes(struct ctx *c, uint64_t off, size_t n)
{
	static const int flags[2] = { MAP_SHARED, MAP_SHARED | MAP_POPULATE };
	struct meter *ms[2] = { &c->rd_mmap, &c->rd_populate };

	for (int k = 0; k < 2; k++) {
		double t0 = bench_clock(CLOCK_THREAD_CPUTIME_ID), w0 = bench_clock(CLOCK_MONOTONIC);

		for (size_t done = 0; done < n; done += RD_CHUNK) {
			size_t len = n - done < RD_CHUNK ? n - done : RD_CHUNK;
			uint8_t *base;
			size_t maplen;
			uint8_t *p = map_at(c->fd, off + done, len, flags[k], &base, &maplen);

			if (p == MAP_FAILED)
				return -1;
			scan(p, len, NULL, c, 0);
			munmap(base, maplen);
		}
		ms[k]->cpu += bench_clock(CLOCK_THREAD_CPUTIME_ID) - t0;
		ms[k]->wall += bench_clock(CLOCK_MONOTONIC) - w0;
		ms[k]->in += n;
	}
	double t0 = bench_clock(CLOCK_THREAD_CPUTIME_ID), w0 = bench_clock(CLOCK_MONOTONIC);

	for (size_t done = 0; done < n; done += RD_CHUNK) {
		size_t len = n - done < RD_CHUNK ? n - done : RD_CHUNK;

		if (pread(c->fd, c->rdbuf, len, (off_t)(off + done)) != (ssize_t)len)
			return -1;
		scan(c->rdbuf, len, NULL, c, 0);
	}
	c->rd_pread.cpu += bench_clock(CLOCK_THREAD_CPUTIME_ID) - t0;
	c->rd_pread.wall += bench_clock(CLOCK_MONOTONIC) - w0;
	c->rd_pread.in += n;
	return 0;
}

static int do_range(struct ctx *c, uint64_t off, uint64_t len)
{
	/* mmap offsets must be page aligned: map_at() maps from the page boundary below. */
	while (len >= PAGE) {
		size_t n = len < c->window ? (size_t)(len & ~(uint64_t)(PAGE - 1)) : c->window;
		uint8_t *base;
		size_t maplen;
		uint8_t *p = map_at(c->fd, off, n, MAP_SHARED, &base, &maplen);

		if (p == MAP_FAILED) {
			fprintf(stderr, "codec-speed: mmap at %llu: %s\n", (unsigned long long)off,
				strerror(errno));
			return -1;
		}
		madvise(base, maplen, MADV_SEQUENTIAL);
		timed_scan(c, &c->cold, p, n, 1);
		timed_scan(c, &c->hot, p, n, 0);
		if (c->staged_total < c->max_bytes) {
			size_t staged = scan(p, n, c->stage, c, 0);

			c->staged_total += staged;
			compress_staged(c, staged);
		}
		munmap(base, maplen);
		if (read_modes(c, off, n) != 0) {
			fprintf(stderr, "codec-speed: reading at %llu: %s\n", (unsigned long long)off,
				strerror(errno));
			return -1;
		}
		off += n;
		len -= n;
	}
	return 0;
}

static void print_meter(const char *name, const struct meter *m)
{
	printf("%s in_bytes=%llu cpu_s=%.3f wall_s=%.3f gbps_cpu=%.3f gbps_wall=%.3f", name,
	       (unsigned long long)m->in, m->cpu, m->wall, m->cpu > 0 ? (double)m->in / m->cpu / 1e9 : 0,
	       m->wall > 0 ? (double)m->in / m->wall / 1e9 : 0);
	if (m->pages)
		printf(" pages=%llu out_bytes=%llu ratio=%.3f raw_pages=%llu",
		       (unsigned long long)m->pages, (unsigned long long)m->out,
		       (double)m->out / (double)m->in, (unsigned long long)m->raw);
	printf("\n");
}

static int usage(void)
{
	fprintf(stderr, "usage: codec-speed [--max-mib N] [--window-mib N] VMCORE\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ctx c = { .window = 64u << 20, .max_bytes = UINT64_MAX };
	const char *path = NULL;
	Elf64_Ehdr eh;
	struct stat st;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--max-mib") == 0 && i + 1 < argc)
			c.max_bytes = strtoull(argv[++i], NULL, 0) << 20;
		else if (strcmp(argv[i], "--window-mib") == 0 && i + 1 < argc)
			c.window = (size_t)strtoull(argv[++i], NULL, 0) << 20;
		else if (argv[i][0] == '-' || path)
			return usage();
		else
			path = argv[i];
	}
	if (!path || c.window < PAGE)
		return usage();
	c.fd = open(path, O_RDONLY);
	if (c.fd < 0 || fstat(c.fd, &st) != 0) {
		perror(path);
		return 1;
	}
	if (pread(c.fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr)) {
		fprintf(stderr, "codec-speed: %s: not an ELF64 vmcore\n", path);
		return 1;
	}
	if (lzo_init() != LZO_E_OK) {
		fprintf(stderr, "codec-speed: lzo_init failed\n");
		return 1;
	}
	c.dst_cap = compressBound(PAGE);
	if (ZSTD_compressBound(PAGE) > c.dst_cap)
		c.dst_cap = ZSTD_compressBound(PAGE);
	if (PAGE + PAGE / 16 + 64 + 3 > c.dst_cap)
		c.dst_cap = PAGE + PAGE / 16 + 64 + 3;	/* lzo's worst case */
	c.stage = malloc(c.window);
	c.dst = malloc(c.dst_cap);
	c.lzo_wrk = malloc(LZO1X_1_MEM_COMPRESS);
	c.zc = ZSTD_createCCtx();
	c.rdbuf = malloc(RD_CHUNK);
	if (!c.rdbuf || !c.stage || !c.dst || !c.lzo_wrk || !c.zc || deflateInit(&c.zs, 1) != Z_OK ||
	    fmt_deflate_create(&c.deflate, NULL) != KD_OK) {
		fprintf(stderr, "codec-speed: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(c.fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph)) {
			fprintf(stderr, "codec-speed: %s: short program header table\n", path);
			return 1;
		}
		if (ph.p_type != PT_LOAD || ph.p_filesz == 0)
			continue;
		if (ph.p_offset + ph.p_filesz > (uint64_t)st.st_size) {
			fprintf(stderr, "codec-speed: %s: PT_LOAD %u past the end of the file\n", path, i);
			return 1;
		}
		if (do_range(&c, ph.p_offset, ph.p_filesz) != 0)
			return 1;
	}
	printf("pages zero=%llu nonzero=%llu staged_bytes=%llu\n", (unsigned long long)c.zero_pages,
	       (unsigned long long)c.nonzero_pages, (unsigned long long)c.staged_total);
	print_meter("zero-scan-cold", &c.cold);
	print_meter("zero-scan-hot", &c.hot);
	print_meter("read-mmap-4m", &c.rd_mmap);
	print_meter("read-populate-4m", &c.rd_populate);
	print_meter("read-pread-4m", &c.rd_pread);
	for (int k = 0; k < C_N; k++)
		print_meter(codec_names[k], &c.codec[k]);
	deflateEnd(&c.zs);
	ZSTD_freeCCtx(c.zc);
	fmt_deflate_destroy(c.deflate);
	free(c.lzo_wrk);
	free(c.dst);
	free(c.stage);
	free(c.rdbuf);
	close(c.fd);
	return 0;
}
