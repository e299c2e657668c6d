/* The vmcore being saved: ELF parsing, VMCOREINFO, and page access by pfn. */
#include "collector/collector-priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum kd_status source_vmcoreinfo(struct col_source *src, bool need, struct kd_err *err)
{
	const char *name = fmt_input_name(src->in);
	const char *text = (const char *)src->notes + src->vmcoreinfo_off;
	enum kd_status st;

	if (!src->vmcoreinfo_size) {
		if (need)
			return kd_err_set(err, KD_ERR_NODATA,
					  "'%s' has no VMCOREINFO note, which this dump level needs", name);
		if (!src->page_size)
			src->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
		return KD_OK;
	}
	st = fmt_vmcoreinfo_parse(text, src->vmcoreinfo_size, &src->vi, err);
	if (st != KD_OK && !need) {
		/* Levels 0 and 1 need no kernel knowledge: save the dump anyway. */
		kd_err_prefix(err, "'%s'", name);
		memcpy(src->warning, err->msg, sizeof(src->warning));
		kd_err_clear(err);
		if (!src->page_size)
			src->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
		return KD_OK;
	}
	if (st != KD_OK)
		return kd_err_prefix(err, "'%s'", name);
	src->page_size = fmt_vmci_pagesize(src->vi);
	if (!src->page_size)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': VMCOREINFO has no PAGESIZE", name);
	return KD_OK;
}

static enum kd_status source_buffers(struct col_source *src, struct kd_err *err)
{
	src->bounce = malloc(src->page_size);
	src->zero = calloc(1, src->page_size);
	src->pcache = malloc(src->page_size);
	src->pcache_pfn = UINT64_MAX;
	if (!src->bounce || !src->zero || !src->pcache)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	return KD_OK;
}

/* The memory must fit the dead kernel's own physical address width. */
static enum kd_status check_phys_bits(const struct col_source *src, const char *path,
				      struct kd_err *err)
{
	int64_t bits;

	if (!src->vi || !fmt_vmci_number(src->vi, "MAX_PHYSMEM_BITS", &bits) || bits < 20 ||
	    bits > 52)
		return KD_OK;
	if (src->pm.max_paddr > (1ull << bits))
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "'%s': memory up to %#llx lies beyond the kernel's MAX_PHYSMEM_BITS (%lld)",
				  path, (unsigned long long)src->pm.max_paddr, (long long)bits);
	return KD_OK;
}

static bool is_flattened(struct fmt_input *in)
{
	const void *p;

	return fmt_input_size(in) >= 16 && fmt_input_get(in, 0, 16, &p, NULL) == KD_OK &&
	       memcmp(p, "makedumpfile\0\0\0\0", 16) == 0;
}

static enum kd_status source_open_elf(struct col_source *src, struct kd_err *err)
{
	enum kd_status st = fmt_vmcore_open(src->in, &src->vc, err);
	const struct fmt_vmcore *vc = src->vc;

	if (st != KD_OK)
		return st;
	src->notes = vc->notes;
	src->notes_size = vc->notes_size;
	if (vc->vmcoreinfo) {
		src->vmcoreinfo_off = (uint64_t)(vc->vmcoreinfo->desc - vc->notes);
		src->vmcoreinfo_size = vc->vmcoreinfo->desc_size;
	}
	src->nr_cpus = (int32_t)vc->nr_prstatus;
	src->machine = vc->machine;
	return KD_OK;
}

static uint16_t machine_from_uts(const char *m)
{
	if (!strcmp(m, "x86_64"))
		return 62;	/* EM_X86_64 */
	if (!strcmp(m, "aarch64"))
		return 183;	/* EM_AARCH64 */
	return 0;
}

static enum kd_status source_open_kdump(struct col_source *src, struct kd_err *err)
{
	const struct fmt_kdump_info *ki;
	enum kd_status st = fmt_kdump_open(src->in, &src->kd, err);

	if (st != KD_OK)
		return st;
	ki = fmt_kdump_get_info(src->kd);
	src->notes = ki->notes;
	src->notes_size = ki->notes_size;
	src->vmcoreinfo_off = ki->vmcoreinfo_off;
	src->vmcoreinfo_size = ki->vmcoreinfo_size;
	src->nr_cpus = ki->nr_cpus;
	src->machine = machine_from_uts(ki->utsname[4]);
	src->page_size = ki->block_size;
	return KD_OK;
}

enum kd_status col_source_open(struct col_source *src, const char *path, unsigned flags,
			       struct kd_err *err)
{
	bool need_vmcoreinfo = flags & COL_SRC_NEED_VMCOREINFO;
	enum kd_status st;

	memset(src, 0, sizeof(*src));
	st = fmt_input_open(path, &src->in, err);
	if (st != KD_OK)
		return st;
	if (flags & COL_SRC_NO_MMAP)
		fmt_input_set_window(src->in, 0);	/* before the headers are read */
	if (is_flattened(src->in))
		st = kd_err_set(err, KD_ERR_NOTIMPL,
				"'%s' is a flattened dump: rebuild it first (vmcore-save -R FILE < '%s')",
				path, path);
	else if (fmt_kdump_probe(src->in))
		st = source_open_kdump(src, err);
	else
		st = source_open_elf(src, err);
	if (st == KD_OK)
		st = source_vmcoreinfo(src, need_vmcoreinfo, err);
	if (st == KD_OK && src->kd && src->page_size != fmt_kdump_get_info(src->kd)->block_size)
		st = kd_err_set(err, KD_ERR_CORRUPT, "'%s': VMCOREINFO PAGESIZE differs from the block size",
				path);
	if (st == KD_OK && !src->kd) {
		st = fmt_physmap_from_vmcore(src->vc, &src->pm, err);
		if (st != KD_OK)
			kd_err_prefix(err, "'%s'", path);
	}
	if (st == KD_OK && !src->kd)
		st = check_phys_bits(src, path, err);
	if (st != KD_OK) {
		col_source_close(src);
		return st;
	}
	if (src->kd)
		src->max_pfn = fmt_kdump_get_info(src->kd)->max_mapnr;
	else
		src->max_pfn = (src->pm.max_paddr + src->page_size - 1) / src->page_size;
	st = source_buffers(src, err);
	if (st != KD_OK)
		col_source_close(src);
	return st;
}

/* Open the other files of a split set (from paths, or sharing descriptors with @from). */
static enum kd_status open_part(struct col_source *src, size_t i, const char *path,
				const struct fmt_input *from, struct kd_err *err)
{
	enum kd_status st;

	if (from)
		st = fmt_input_from_fd(fmt_input_fd(from), fmt_input_name(from), &src->xin[i], err);
	else
		st = fmt_input_open(path, &src->xin[i], err);
	if (st == KD_OK)
		st = fmt_kdump_open(src->xin[i], &src->xkd[i], err);
	return st;
}

static enum kd_status open_parts(struct col_source *src, struct fmt_input *const *from, size_t n,
				 struct kd_err *err)
{
	enum kd_status st = KD_OK;

	src->xin = calloc(n, sizeof(*src->xin));
	src->xkd = calloc(n, sizeof(*src->xkd));
	if (!src->xin || !src->xkd)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	src->nx = n;
	for (size_t i = 0; i < n && st == KD_OK; i++)
		st = open_part(src, i, NULL, from[i], err);
	return st;
}

static bool in_split_range(const struct fmt_kdump *kd, uint64_t pfn)
{
	const struct fmt_kdump_info *ki = fmt_kdump_get_info(kd);

	return !ki->split || (pfn >= ki->start_pfn && pfn < ki->end_pfn);
}

/* The file of a split set that holds @pfn (the only file otherwise). */
static struct fmt_kdump *kd_for_pfn(const struct col_source *src, uint64_t pfn)
{
	for (size_t i = 0; i < src->nx; i++) {
		if (in_split_range(src->xkd[i], pfn))
			return src->xkd[i];
	}
	return src->kd;
}

enum kd_status col_source_open_set(struct col_source *src, char *const *paths, size_t n,
				   struct kd_err *err)
{
	const struct fmt_kdump_info *first;
	enum kd_status st = col_source_open(src, paths[0], 0, err);

	if (st != KD_OK)
		return st;
	if (!src->kd || !fmt_kdump_get_info(src->kd)->split) {
		st = kd_err_set(err, KD_ERR_INVALID, "'%s' is not a file of a --split set", paths[0]);
		goto fail;
	}
	first = fmt_kdump_get_info(src->kd);
	src->xin = calloc(n - 1, sizeof(*src->xin));
	src->xkd = calloc(n - 1, sizeof(*src->xkd));
	if (!src->xin || !src->xkd) {
		st = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		goto fail;
	}
	src->nx = n - 1;
	for (size_t i = 1; i < n && st == KD_OK; i++) {
		const struct fmt_kdump_info *ki;

		st = open_part(src, i - 1, paths[i], NULL, err);
		if (st != KD_OK)
			break;
		ki = fmt_kdump_get_info(src->xkd[i - 1]);
		if (!ki->split || ki->max_mapnr != first->max_mapnr ||
		    ki->block_size != first->block_size)
			st = kd_err_set(err, KD_ERR_INVALID,
					"'%s' does not belong to the split set of '%s'", paths[i],
					paths[0]);
	}
	if (st == KD_OK)
		return KD_OK;
fail:
	col_source_close(src);
	return st;
}

enum kd_status col_source_clone(const struct col_source *parent, struct col_source *child,
				struct kd_err *err)
{
	enum kd_status st;

	memset(child, 0, sizeof(*child));
	*child = *parent;
	child->borrowed = true;
	child->in = NULL;
	child->kd = NULL;
	child->bounce = NULL;
	child->zero = NULL;
	child->pcache = NULL;
	child->hint = 0;
	st = fmt_input_from_fd(fmt_input_fd(parent->in), fmt_input_name(parent->in), &child->in, err);
	if (st == KD_OK && !fmt_input_window(parent->in))
		fmt_input_set_window(child->in, 0);	/* --non-mmap, or mapping failed */
	if (st == KD_OK && parent->kd)
		st = fmt_kdump_open(child->in, &child->kd, err);	/* its own codec state */
	child->xin = NULL;
	child->xkd = NULL;
	child->nx = 0;
	if (st == KD_OK && parent->nx)
		st = open_parts(child, parent->xin, parent->nx, err);
	if (st == KD_OK)
		st = source_buffers(child, err);
	if (st != KD_OK)
		col_source_close(child);
	return st;
}

void col_source_close(struct col_source *src)
{
	if (!src->borrowed) {
		fmt_physmap_deinit(&src->pm);
		fmt_vmcoreinfo_destroy(src->vi);
		fmt_vmcore_destroy(src->vc);
	}
	fmt_kdump_destroy(src->kd);
	for (size_t i = 0; i < src->nx; i++) {
		fmt_kdump_destroy(src->xkd ? src->xkd[i] : NULL);
		fmt_input_destroy(src->xin ? src->xin[i] : NULL);
	}
	free(src->xkd);
	free(src->xin);
	fmt_input_destroy(src->in);
	free(src->bounce);
	free(src->zero);
	free(src->pcache);
	memset(src, 0, sizeof(*src));
}

static ssize_t source_find(struct col_source *src, uint64_t paddr)
{
	const struct fmt_phys_range *r;

	if (src->hint < src->pm.nr) {
		r = &src->pm.ranges[src->hint];
		if (paddr >= r->paddr && paddr - r->paddr < r->size)
			return (ssize_t)src->hint;
	}
	ssize_t i = fmt_physmap_find(&src->pm, paddr);

	if (i >= 0)
		src->hint = (size_t)i;
	return i;
}

/* Reads this large skip the input's read-ahead buffer (one copy instead of two). */
#define SOURCE_DIRECT_READ (64u << 10)

/* Copy [paddr, paddr+len) into @dst, zero where no range has file bytes. */
static enum kd_status source_copy(struct col_source *src, uint64_t paddr, uint8_t *dst, size_t len,
				  struct kd_err *err)
{
	while (len) {
		ssize_t i = source_find(src, paddr);
		size_t chunk = len;

		if (i < 0) {
			/* a hole: zero up to the next range start */
			size_t j = 0;

			while (j < src->pm.nr && src->pm.ranges[j].paddr <= paddr)
				j++;
			if (j < src->pm.nr && src->pm.ranges[j].paddr - paddr < chunk)
				chunk = (size_t)(src->pm.ranges[j].paddr - paddr);
			memset(dst, 0, chunk);
		} else {
			const struct fmt_phys_range *r = &src->pm.ranges[i];
			uint64_t rel = paddr - r->paddr;

			if (r->size - rel < chunk)
				chunk = (size_t)(r->size - rel);
			if (rel >= r->filesz) {
				memset(dst, 0, chunk);
			} else {
				size_t in_file = chunk;
				const void *p;
				enum kd_status st;

				if (r->filesz - rel < in_file)
					in_file = (size_t)(r->filesz - rel);
				if (in_file >= SOURCE_DIRECT_READ) {
					/* bulk (struct page arrays): straight into @dst */
					st = fmt_input_read(src->in, r->offset + rel, dst, in_file, err);
					if (st != KD_OK)
						return st;
				} else {
					st = fmt_input_get(src->in, r->offset + rel, in_file, &p, err);
					if (st != KD_OK)
						return st;
					memcpy(dst, p, in_file);
				}
				memset(dst + in_file, 0, chunk - in_file);
			}
		}
		dst += chunk;
		paddr += chunk;
		len -= chunk;
	}
	return KD_OK;
}

/*
 * The file bytes of pages [pfn, pfn + n) of an ELF input: their offset, and how many of
 * them the one range holding @pfn has in the file (up to n pages). False when @pfn has none.
 */
static bool file_span(struct col_source *src, uint64_t pfn, size_t n, uint64_t *ret_off,
		      uint64_t *ret_len)
{
	uint64_t paddr = pfn * src->page_size, rel;
	const struct fmt_phys_range *r;
	ssize_t i;

	if (src->kd || n < 1)
		return false;
	i = source_find(src, paddr);
	if (i < 0)
		return false;
	r = &src->pm.ranges[i];
	rel = paddr - r->paddr;
	if (rel >= r->filesz)
		return false;
	*ret_off = r->offset + rel;
	*ret_len = (uint64_t)n * src->page_size;
	if (*ret_len > r->filesz - rel)
		*ret_len = r->filesz - rel;
	return true;
}

void col_source_prefetch(struct col_source *src, uint64_t pfn, size_t n)
{
	uint64_t off, len;
	struct kd_err err;

	if (!file_span(src, pfn, n, &off, &len) || fmt_input_hole(src->in, off, len))
		return;
	kd_err_clear(&err);
	/* a failure is left to col_source_page(), which reads (and reports) page by page */
	fmt_input_prefetch(src->in, off, (size_t)len, &err);
}

bool col_source_zero_run(struct col_source *src, uint64_t pfn, size_t n)
{
	uint64_t off, len;

	if (!n)
		return false;
	while (n) {
		/* the file bytes of the pages from pfn on, in the one range holding pfn: a page
		 * across the end of those bytes, or bytes that are data, must be read */
		if (!file_span(src, pfn, n, &off, &len) || len % src->page_size ||
		    !fmt_input_hole(src->in, off, len))
			return false;
		pfn += len / src->page_size;
		n -= (size_t)(len / src->page_size);
	}
	return true;
}

enum kd_status col_source_read_run(struct col_source *src, uint64_t pfn, size_t n, uint8_t *dst,
				   struct kd_err *err)
{
	uint64_t off, len;

	if (!file_span(src, pfn, n, &off, &len) || len != (uint64_t)n * src->page_size)
		return kd_err_set(err, KD_ERR_NODATA, "not a run of ELF file pages");
	if (fmt_input_hole(src->in, off, len)) {
		memset(dst, 0, (size_t)len);
		return KD_OK;
	}
	return fmt_input_read(src->in, off, dst, (size_t)len, err);
}

enum kd_status col_source_page(struct col_source *src, uint64_t pfn, const uint8_t **ret,
			       struct kd_err *err)
{
	uint64_t paddr = pfn * src->page_size;
	ssize_t i;

	if (src->kd) {
		enum kd_status st = fmt_kdump_read_page(kd_for_pfn(src, pfn), pfn, src->bounce, err);

		if (st != KD_OK)
			return st;
		*ret = src->bounce;
		return KD_OK;
	}
	i = source_find(src, paddr);

	if (i >= 0) {
		const struct fmt_phys_range *r = &src->pm.ranges[i];
		uint64_t rel = paddr - r->paddr;

		if (rel + src->page_size <= r->filesz) {
			if (fmt_input_hole(src->in, r->offset + rel, src->page_size)) {
				*ret = src->zero;
				return KD_OK;
			}
			enum kd_status st = fmt_input_get(src->in, r->offset + rel, src->page_size,
							  (const void **)ret, err);

			if (st != KD_OK)
				return kd_err_prefix(err, "reading page %#llx", (unsigned long long)pfn);
			return KD_OK;
		}
		if (rel >= r->filesz && rel + src->page_size <= r->size) {
			*ret = src->zero;
			return KD_OK;
		}
	}
	enum kd_status st = source_copy(src, paddr, src->bounce, src->page_size, err);

	if (st != KD_OK)
		return kd_err_prefix(err, "reading page %#llx", (unsigned long long)pfn);
	*ret = src->bounce;
	return KD_OK;
}

/* Physical reads from a kdump input, page by page; excluded pages are absent. */
static enum kd_status kdump_read_phys(struct col_source *src, uint64_t paddr, uint8_t *buf,
				      size_t len, struct kd_err *err)
{
	while (len) {
		uint64_t pfn = paddr / src->page_size, in = paddr % src->page_size;
		size_t chunk = src->page_size - in < len ? (size_t)(src->page_size - in) : len;
		enum kd_status st;

		struct fmt_kdump *kd = kd_for_pfn(src, pfn);

		if (!fmt_kdump_pfn_dumpable(kd, pfn) || !in_split_range(kd, pfn))
			return kd_err_set(err, KD_ERR_NODATA, "physical address %#llx is not in the dump",
					  (unsigned long long)paddr);
		if (pfn != src->pcache_pfn) {
			src->pcache_pfn = UINT64_MAX;
			st = fmt_kdump_read_page(kd, pfn, src->pcache, err);
			if (st != KD_OK)
				return st;
			src->pcache_pfn = pfn;
		}
		memcpy(buf, src->pcache + in, chunk);
		buf += chunk;
		paddr += chunk;
		len -= chunk;
	}
	return KD_OK;
}

enum kd_status col_source_read_phys(void *ctx, uint64_t paddr, void *buf, size_t len,
				    struct kd_err *err)
{
	struct col_source *src = ctx;

	if (src->kd)
		return kdump_read_phys(src, paddr, buf, len, err);
	if (source_find(src, paddr) < 0)
		return kd_err_set(err, KD_ERR_NODATA, "physical address %#llx is not in the vmcore",
				  (unsigned long long)paddr);
	return source_copy(src, paddr, buf, len, err);
}

static void ranges_to_bits(const struct col_source *src, uint64_t start, uint64_t *bits,
			   size_t nwords, bool file_only);

/* A split set: each file's 2nd bitmap counts only inside its own range. */
static void split_dumpable(const struct col_source *src, uint64_t start, uint64_t *bits,
			   size_t nwords)
{
	uint64_t w[64];

	memset(bits, 0, nwords * sizeof(*bits));
	for (size_t f = 0; f <= src->nx; f++) {
		const struct fmt_kdump *kd = f ? src->xkd[f - 1] : src->kd;
		const struct fmt_kdump_info *ki = fmt_kdump_get_info(kd);

		for (size_t i = 0; i < nwords; i += 64) {
			size_t n = nwords - i < 64 ? nwords - i : 64;

			fmt_kdump_bitmap_words(kd, true, start + 64 * i, w, n);
			for (size_t k = 0; k < n; k++) {
				uint64_t lo = start + 64 * (i + k);

				for (uint64_t b = w[k]; b; b &= b - 1) {
					uint64_t pfn = lo + (uint64_t)__builtin_ctzll(b);

					if (pfn >= ki->start_pfn && pfn < ki->end_pfn)
						bits[i + k] |= 1ull << (pfn - lo);
				}
			}
		}
	}
}

void col_source_dumpable(const struct col_source *src, uint64_t start, uint64_t *bits,
			 size_t nwords)
{
	if (src->kd && src->nx)
		split_dumpable(src, start, bits, nwords);
	else if (src->kd)
		fmt_kdump_bitmap_words(src->kd, true, start, bits, nwords);
	else
		ranges_to_bits(src, start, bits, nwords, true);
}

void col_source_present(const struct col_source *src, uint64_t start, uint64_t *bits,
			size_t nwords)
{
	if (src->kd)
		fmt_kdump_bitmap_words(src->kd, false, start, bits, nwords);
	else
		ranges_to_bits(src, start, bits, nwords, true);
}

/*
 * Bits for the pages of the ELF ranges: the whole of each PT_LOAD, or only the
 * pages with file bytes. A p_memsz past p_filesz is memory the writer left out
 * (makedumpfile -E excluded tails), not content: both bitmaps leave it out, so
 * a corrupt p_memsz cannot make a few KiB of input claim TiBs of pages.
 * A range that ends inside a page (kexec-tools' kexec_load headers end the low
 * PT_LOAD at 0x9fc00) does not make that page present, as in makedumpfile: the
 * dump holds whole pages only.
 */
static void ranges_to_bits(const struct col_source *src, uint64_t start, uint64_t *bits,
			   size_t nwords, bool file_only)
{
	uint64_t end = start + 64 * (uint64_t)nwords;

	memset(bits, 0, nwords * sizeof(*bits));
	for (size_t i = 0; i < src->pm.nr; i++) {
		const struct fmt_phys_range *r = &src->pm.ranges[i];
		uint64_t len = file_only ? r->filesz : r->size;
		uint64_t first = r->paddr / src->page_size;
		uint64_t last = (r->paddr + len) / src->page_size;

		if (!len || last <= first)
			continue;

		if (last <= start || first >= end)
			continue;
		if (first < start)
			first = start;
		if (last > end)
			last = end;
		for (uint64_t p = first; p < last;) {
			uint64_t w = (p - start) / 64, b = (p - start) % 64;
			uint64_t n = 64 - b;

			if (n > last - p)
				n = last - p;
			bits[w] |= (n == 64 ? ~0ull : ((1ull << n) - 1)) << b;
			p += n;
		}
	}
}

uint64_t col_source_page_offset(const struct col_source *src)
{
	uint64_t off = 0;

	for (size_t i = 0; src->vc && i < src->vc->nr_loads; i++) {
		const struct fmt_load *l = &src->vc->loads[i];

		/* x86_64 direct map: below the kernel-text mapping, above the user half */
		if (src->vc->machine == 62 && l->vaddr >= 0xffff800000000000ull &&
		    l->vaddr < 0xffffffff80000000ull)
			off = l->vaddr - l->paddr;
	}
	return off;
}

enum kd_status col_source_eraseinfo(const struct col_source *src, char **ret, size_t *len,
				    struct kd_err *err)
{
	char *buf = NULL;
	size_t n = 0;

	*ret = NULL;
	*len = 0;
	for (size_t f = 0; src->kd && f <= src->nx; f++) {
		const struct fmt_kdump *kd = f ? src->xkd[f - 1] : src->kd;
		struct fmt_input *in = f ? src->xin[f - 1] : src->in;
		const struct fmt_kdump_info *ki = fmt_kdump_get_info(kd);
		char *nb;
		enum kd_status st;

		if (!ki->eraseinfo_size)
			continue;
		nb = realloc(buf, n + ki->eraseinfo_size);
		if (!nb) {
			free(buf);
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		}
		buf = nb;
		st = fmt_input_read(in, ki->eraseinfo_off, buf + n, ki->eraseinfo_size, err);
		if (st != KD_OK) {
			free(buf);
			return kd_err_prefix(err, "reading the erase info of '%s'", fmt_input_name(in));
		}
		n += ki->eraseinfo_size;
	}
	*ret = buf;
	*len = n;
	return KD_OK;
}
