/* Shared helpers for the libkdumpfile-based test referees (kdcompare, kdpageset). */
#ifndef KD_TOOL_H
#define KD_TOOL_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libkdumpfile/kdumpfile.h>

/* One dump opened with libkdumpfile. */
struct kt_dump {
	const char *path;
	int fd;
	kdump_ctx_t *ctx;
	uint64_t page_size;
	uint64_t max_pfn;     /* attr "max_pfn": one past the highest pfn */
	uint8_t *present;     /* bit per pfn (LSB first): file.pagemap, or probed reads */
	const char *format;   /* attr "file.format" */
	bool ostype_ok;       /* addrxlat.ostype = "linux" was accepted */
	uint64_t truncated;   /* ELF: PT_LOADs whose file data runs past the end of the file */
};

static inline bool kt_test_bit(const uint8_t *map, uint64_t bit)
{
	return (map[bit >> 3] >> (bit & 7)) & 1;
}

static inline void kt_set_bit(uint8_t *map, uint64_t bit)
{
	map[bit >> 3] |= (uint8_t)(1u << (bit & 7));
}

/* Print "TOOL: message" to stderr; returns false so callers can `return kt_fail(...)`. */
static inline bool kt_fail(const char *tool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline bool kt_fail(const char *tool, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

/*
 * Read one page at pfn. Returns KDUMP_OK, KDUMP_ERR_NODATA for a page the file does
 * not hold (excluded or a hole), or another status for a real error.
 */
static inline kdump_status kt_read_page(struct kt_dump *d, uint64_t pfn, void *buf)
{
	size_t len = d->page_size;
	kdump_status st = kdump_read(d->ctx, KDUMP_MACHPHYSADDR, pfn * d->page_size, buf, &len);

	if (st == KDUMP_OK && len != d->page_size)
		st = KDUMP_ERR_EOF;
	return st;
}

static inline bool kt_page_is_zero(const void *buf, size_t len)
{
	const uint64_t *w = buf;

	for (size_t i = 0; i < len / 8; i++)
		if (w[i])
			return false;
	return true;
}

/* Fill d->present from the file.pagemap bitmap attribute (libkdumpfile >= 0.4). */
static inline bool kt_load_pagemap(const char *tool, struct kt_dump *d)
{
	kdump_attr_t attr = { .type = KDUMP_BITMAP };
	const uint64_t chunk = 1u << 20; /* bits per kdump_bmp_get_bits call */
	kdump_status st = kdump_get_typed_attr(d->ctx, KDUMP_ATTR_FILE_PAGEMAP, &attr);

	if (st != KDUMP_OK)
		return kt_fail(tool, "'%s': no %s attribute: %s", d->path, KDUMP_ATTR_FILE_PAGEMAP,
			       kdump_get_err(d->ctx));
	for (uint64_t first = 0; first < d->max_pfn; first += chunk) {
		uint64_t last = first + chunk - 1;

		if (last >= d->max_pfn)
			last = d->max_pfn - 1;
		/* kdump_bmp_get_bits(bmp, first, last, raw): last is inclusive, bit i of the
		 * result is raw[i/8] >> (i%8), relative to first (first is a multiple of 8). */
		st = kdump_bmp_get_bits(attr.val.bitmap, first, last, d->present + first / 8);
		if (st != KDUMP_OK)
			return kt_fail(tool, "'%s': reading file.pagemap bits %#" PRIx64 "-%#" PRIx64
				       ": %s", d->path, first, last,
				       kdump_bmp_get_err(attr.val.bitmap));
	}
	return true;
}

/* Probe every pfn below max_pfn with a read (fallback when there is no pagemap). */
static inline bool kt_probe_pages(const char *tool, struct kt_dump *d)
{
	void *buf = malloc(d->page_size);

	if (!buf)
		return kt_fail(tool, "out of memory");
	for (uint64_t pfn = 0; pfn < d->max_pfn; pfn++) {
		kdump_status st = kt_read_page(d, pfn, buf);

		if (st == KDUMP_OK)
			kt_set_bit(d->present, pfn);
	}
	free(buf);
	return true;
}

static inline uint64_t kt_get(const uint8_t *p, int size, bool big)
{
	uint64_t v = 0;

	for (int i = 0; i < size; i++)
		v |= (uint64_t)p[big ? size - 1 - i : i] << (8 * i);
	return v;
}

/*
 * Presence map of an ELF file from its own program headers: every page that a PT_LOAD
 * holds file data for (p_filesz; a partial page counts). Used instead of libkdumpfile
 * 0.5.1's file.pagemap for ELF, which is wrong after overlapping PT_LOADs (the
 * kernel-text duplicate) and which also lets the page just below each PT_LOAD read as
 * zeros. Returns false if the headers cannot be read (then the caller probes).
 */
static inline bool kt_elf_pagemap(const char *tool, struct kt_dump *d)
{
	uint8_t eh[64], ph[56];
	bool is64, big;
	uint64_t phoff, phnum, phentsize;
	off_t fsize = lseek(d->fd, 0, SEEK_END);

	if (pread(d->fd, eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh, "\177ELF", 4))
		return kt_fail(tool, "'%s': cannot read the ELF header", d->path);
	is64 = eh[4] == 2;
	big = eh[5] == 2;
	phoff = is64 ? kt_get(eh + 32, 8, big) : kt_get(eh + 28, 4, big);
	phentsize = kt_get(eh + (is64 ? 54 : 42), 2, big);
	phnum = kt_get(eh + (is64 ? 56 : 44), 2, big);
	if (phentsize < (is64 ? 56u : 32u) || phentsize > sizeof(ph) * 4)
		return kt_fail(tool, "'%s': bad e_phentsize %" PRIu64, d->path, phentsize);
	for (uint64_t i = 0; i < phnum; i++) {
		uint64_t type, paddr, filesz, first, end;

		if (pread(d->fd, ph, is64 ? 56 : 32, (off_t)(phoff + i * phentsize)) !=
		    (is64 ? 56 : 32))
			return kt_fail(tool, "'%s': cannot read program header %" PRIu64, d->path, i);
		type = kt_get(ph, 4, big);
		if (type != 1)
			continue;
		paddr = is64 ? kt_get(ph + 24, 8, big) : kt_get(ph + 12, 4, big);
		filesz = is64 ? kt_get(ph + 32, 8, big) : kt_get(ph + 16, 4, big);
		if (!filesz)
			continue;
		if ((is64 ? kt_get(ph + 8, 8, big) : kt_get(ph + 4, 4, big)) + filesz > (uint64_t)fsize)
			d->truncated++;
		first = paddr / d->page_size;
		end = (paddr + filesz + d->page_size - 1) / d->page_size;
		for (uint64_t pfn = first; pfn < end && pfn < d->max_pfn; pfn++)
			kt_set_bit(d->present, pfn);
	}
	return true;
}

static inline void kt_close(struct kt_dump *d)
{
	if (d->ctx)
		kdump_free(d->ctx);
	if (d->fd >= 0)
		close(d->fd);
	free(d->present);
	d->ctx = NULL;
	d->fd = -1;
	d->present = NULL;
}

/*
 * Open path with libkdumpfile (format detected by the library: ELF, KDUMP, ...),
 * read page size and max_pfn and build the presence bitmap.
 */
static inline bool kt_open(const char *tool, struct kt_dump *d, const char *path)
{
	kdump_num_t num;
	kdump_status st;

	memset(d, 0, sizeof(*d));
	d->path = path;
	d->fd = open(path, O_RDONLY);
	if (d->fd < 0)
		return kt_fail(tool, "cannot open '%s': %s", path, strerror(errno));
	d->ctx = kdump_new();
	if (!d->ctx) {
		kt_close(d);
		return kt_fail(tool, "kdump_new failed");
	}
	st = kdump_set_number_attr(d->ctx, KDUMP_ATTR_FILE_FD, d->fd);
	if (st != KDUMP_OK) {
		kt_fail(tool, "libkdumpfile cannot open '%s': %s", path, kdump_get_err(d->ctx));
		/* 0.5.1 can crash in kdump_free() on a context whose open failed: leak it, the
		 * tool is about to exit */
		d->ctx = NULL;
		kt_close(d);
		return false;
	}
	if (kdump_get_string_attr(d->ctx, KDUMP_ATTR_FILE_FORMAT, &d->format) != KDUMP_OK)
		d->format = "?";
	/* Without an OS type, 0.5.1 does not expose VMCOREINFO of ELF files ("OS type is not
	 * set"); drgn sets it the same way. A dump without VMCOREINFO still opens. */
	d->ostype_ok = kdump_set_string_attr(d->ctx, KDUMP_ATTR_OSTYPE, "linux") == KDUMP_OK;
	if (kdump_get_number_attr(d->ctx, KDUMP_ATTR_PAGE_SIZE, &num) != KDUMP_OK || num == 0 ||
	    (num & (num - 1))) {
		kt_fail(tool, "'%s': no valid %s: %s", path, KDUMP_ATTR_PAGE_SIZE,
			kdump_get_err(d->ctx));
		kt_close(d);
		return false;
	}
	d->page_size = num;
	if (kdump_get_number_attr(d->ctx, "max_pfn", &num) != KDUMP_OK) {
		kt_fail(tool, "'%s': no max_pfn: %s", path, kdump_get_err(d->ctx));
		kt_close(d);
		return false;
	}
	d->max_pfn = num;
	d->present = calloc(d->max_pfn / 8 + 8, 1);
	if (!d->present) {
		kt_close(d);
		return kt_fail(tool, "out of memory for a %" PRIu64 "-bit map", d->max_pfn);
	}
	if (!strcmp(d->format, "elf")) {
		if (kt_elf_pagemap(tool, d))
			return true;
	} else if (kt_load_pagemap(tool, d)) {
		return true;
	}
	{
		fprintf(stderr, "%s: '%s': falling back to probing every page\n", tool, path);
		memset(d->present, 0, d->max_pfn / 8 + 8);
		if (!kt_probe_pages(tool, d)) {
			kt_close(d);
			return false;
		}
	}
	return true;
}

static inline int kt_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Read a PFN list: one hex number per line (optional 0x), '#' starts a comment,
 * blank lines ignored. The result is sorted and de-duplicated.
 */
static inline bool kt_read_pfn_list(const char *tool, const char *path, uint64_t **ret,
				    size_t *nret)
{
	FILE *f = fopen(path, "r");
	char line[256];
	uint64_t *v = NULL;
	size_t n = 0, cap = 0, lineno = 0;

	if (!f)
		return kt_fail(tool, "cannot open '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		uint64_t pfn;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		errno = 0;
		pfn = strtoull(p, &end, 16);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (errno || end == p || (*end && *end != '#')) {
			fclose(f);
			free(v);
			return kt_fail(tool, "'%s':%zu: not a hex pfn", path, lineno);
		}
		if (n == cap) {
			uint64_t *nv;

			cap = cap ? cap * 2 : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				fclose(f);
				free(v);
				return kt_fail(tool, "out of memory");
			}
			v = nv;
		}
		v[n++] = pfn;
	}
	fclose(f);
	if (n)
		qsort(v, n, sizeof(*v), kt_cmp_u64);
	size_t out = 0;

	for (size_t i = 0; i < n; i++)
		if (out == 0 || v[out - 1] != v[i])
			v[out++] = v[i];
	*ret = v;
	*nret = out;
	return true;
}

#endif
