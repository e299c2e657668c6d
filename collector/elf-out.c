/* -E: an ELF core file of the kept pages. Runs of 256 or more excluded pages split a PT_LOAD;
 * shorter runs stay inside it as zero pages; excluded tails give p_filesz < p_memsz. */
#include "collector/collector-priv.h"
#include "collector/erase-priv.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ELF_GAP_PAGES 256u	/* an excluded run this long starts a new segment */
#define ELF_OUT_BUF (4u << 20)

struct elf_seg {
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t offset;
	size_t load;		/* the input PT_LOAD it comes from */
};

struct elf_ctx {
	struct col_run run;
	struct col_sink sink;
	bool sink_open;
	int bits_fd;		/* work file: the keep bitmap, one bit per pfn */
	uint64_t bits_cache_start;	/* pfn of the first cached bit (multiple of 64) */
	uint64_t bits_cache[512];
	bool bits_cache_valid;
	struct elf_seg *segs;
	size_t nsegs;
	size_t cap;
	uint8_t *buf;
	size_t buf_len;
	uint64_t buf_off;
	uint8_t *erased;	/* --config: one page with its erased bytes poisoned */
	uint8_t *enote;		/* --config: the ERASEINFO note after the input's notes */
	size_t enote_len;
};

static enum kd_status bits_write(struct elf_ctx *e, uint64_t start, const uint64_t *w, size_t nw,
				 struct kd_err *err)
{
	uint8_t tmp[4096];

	for (size_t i = 0; i < nw;) {
		size_t n = 0;

		for (; n < sizeof(tmp) / 8 && i < nw; n++, i++)
			put_le64(tmp + 8 * n, w[i]);
		off_t at = (off_t)((start / 64 + i - n) * 8);

		if (pwrite(e->bits_fd, tmp, n * 8, at) != (ssize_t)(n * 8))
			return kd_err_sys(err, errno ? errno : ENOSPC, "cannot write the work file");
	}
	return KD_OK;
}

static bool bit_kept(struct elf_ctx *e, uint64_t pfn)
{
	uint64_t span = 64 * (sizeof(e->bits_cache) / 8);
	uint64_t base = pfn / span * span;

	if (!e->bits_cache_valid || base != e->bits_cache_start) {
		uint8_t tmp[sizeof(e->bits_cache)];
		ssize_t n = pread(e->bits_fd, tmp, sizeof(tmp), (off_t)(base / 8));

		if (n < 0)
			n = 0;
		memset(tmp + n, 0, sizeof(tmp) - (size_t)n);
		for (size_t i = 0; i < sizeof(e->bits_cache) / 8; i++)
			e->bits_cache[i] = get_le64(tmp + 8 * i);
		e->bits_cache_start = base;
		e->bits_cache_valid = true;
	}
	return (e->bits_cache[(pfn - base) / 64] >> ((pfn - base) % 64)) & 1;
}

/* Pass 1: the keep bitmap, with zero pages taken out at level 1 (so each is read twice). */
static enum kd_status elf_pass1(struct elf_ctx *e, struct kd_err *err)
{
	struct col_run *r = &e->run;

	for (uint64_t start = 0; start < r->src.max_pfn; start += r->window) {
		size_t nw = col_run_words(r, start);
		enum kd_status st = col_run_keep_window(r, start, nw, err);

		if (st != KD_OK)
			return st;
		for (size_t w = 0; w < nw && (r->level & 1); w++) {
			for (uint64_t bits = r->keep[w]; bits; bits &= bits - 1) {
				uint64_t pfn = start + 64 * w + (uint64_t)__builtin_ctzll(bits);
				const uint8_t *page;

				st = col_source_page(&r->src, pfn, &page, err);
				if (st != KD_OK && col_read_failure(st, err)) {
					/* kept: pass 2 reads it again and reports it */
					kd_err_clear(err);
					continue;
				}
				if (st != KD_OK)
					return st;
				if (col_page_is_zero(page, r->src.page_size)) {
					r->keep[w] &= ~(1ull << (pfn - start - 64 * w));
					r->stats->pages_zero++;
				}
			}
		}
		for (size_t i = 0; i < nw; i++)
			r->stats->pages_dumpable += (uint64_t)__builtin_popcountll(r->keep[i]);
		st = bits_write(e, start, r->keep, nw, err);
		if (st != KD_OK)
			return st;
	}
	return KD_OK;
}

static enum kd_status add_seg(struct elf_ctx *e, const struct elf_seg *s, struct kd_err *err)
{
	if (e->nsegs == e->cap) {
		size_t ncap = e->cap ? 2 * e->cap : 64;
		struct elf_seg *n = realloc(e->segs, ncap * sizeof(*n));

		if (!n)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory for ELF segments");
		e->segs = n;
		e->cap = ncap;
	}
	e->segs[e->nsegs++] = *s;
	return KD_OK;
}

/* Split input PT_LOAD @li into output segments by the keep bitmap. */
static enum kd_status split_load(struct elf_ctx *e, size_t li, struct kd_err *err)
{
	const struct fmt_load *l = &e->run.src.vc->loads[li];
	uint64_t ps = e->run.src.page_size;
	uint64_t first = l->paddr / ps, end = (l->paddr + l->memsz + ps - 1) / ps;
	struct elf_seg cur = {
		.paddr = first * ps, .vaddr = l->vaddr - (l->paddr - first * ps), .load = li,
	};
	uint64_t last_kept = UINT64_MAX, gap = 0;
	enum kd_status st;

	for (uint64_t pfn = first; pfn < end; pfn++) {
		if (!bit_kept(e, pfn)) {
			gap++;
			continue;
		}
		if (gap >= ELF_GAP_PAGES && last_kept != UINT64_MAX) {
			cur.memsz = pfn * ps - cur.paddr;
			st = add_seg(e, &cur, err);
			if (st != KD_OK)
				return st;
			cur.vaddr += pfn * ps - cur.paddr;
			cur.paddr = pfn * ps;
			cur.filesz = 0;
		} else if (gap >= ELF_GAP_PAGES && last_kept == UINT64_MAX && cur.paddr != pfn * ps) {
			/* nothing kept before: an empty segment covers the leading gap */
			cur.memsz = pfn * ps - cur.paddr;
			st = add_seg(e, &cur, err);
			if (st != KD_OK)
				return st;
			cur.vaddr += pfn * ps - cur.paddr;
			cur.paddr = pfn * ps;
		}
		gap = 0;
		last_kept = pfn;
		cur.filesz = (pfn + 1) * ps - cur.paddr;
	}
	cur.memsz = end * ps - cur.paddr;
	return add_seg(e, &cur, err);
}

static enum kd_status out_flush(struct elf_ctx *e, struct kd_err *err)
{
	enum kd_status st = col_sink_pwrite(&e->sink, e->buf, e->buf_len, e->buf_off, err);

	if (st == KD_OK) {
		e->buf_off += e->buf_len;
		e->buf_len = 0;
	}
	return st;
}

static enum kd_status out_add(struct elf_ctx *e, const void *p, size_t len, struct kd_err *err)
{
	while (len) {
		size_t n = ELF_OUT_BUF - e->buf_len;

		if (n > len)
			n = len;
		if (p)
			memcpy(e->buf + e->buf_len, p, n);
		else
			memset(e->buf + e->buf_len, 0, n);
		e->buf_len += n;
		if (p)
			p = (const uint8_t *)p + n;
		len -= n;
		if (e->buf_len == ELF_OUT_BUF) {
			enum kd_status st = out_flush(e, err);

			if (st != KD_OK)
				return st;
		}
	}
	return KD_OK;
}

static enum kd_status write_headers(struct elf_ctx *e, uint32_t flags, struct kd_err *err)
{
	const struct fmt_vmcore *vc = e->run.src.vc;
	size_t eh = fmt_elf_ehdr_size(vc->elf_class), ph = fmt_elf_phdr_size(vc->elf_class);
	size_t len = eh + ph * (e->nsegs + 1);
	uint8_t *h = calloc(1, len);
	/* p_memsz leaves the ERASEINFO note out, as makedumpfile 1.7.2 writes it */
	struct fmt_elf_phdr note = {
		.type = PT_NOTE, .offset = len, .filesz = vc->notes_size + e->enote_len,
		.memsz = vc->notes_size,
	};
	enum kd_status st;

	if (!h)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for ELF headers");
	fmt_elf_encode_ehdr(h, vc->elf_class, vc->big_endian, vc->machine, flags,
			    (uint16_t)(e->nsegs + 1));
	fmt_elf_encode_phdr(h + eh, vc->elf_class, vc->big_endian, &note);
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct elf_seg *s = &e->segs[i];
		struct fmt_elf_phdr p = {
			.type = PT_LOAD, .flags = PF_R | PF_W | PF_X, .offset = s->offset,
			.vaddr = s->vaddr, .paddr = s->paddr, .filesz = s->filesz, .memsz = s->memsz,
		};

		fmt_elf_encode_phdr(h + eh + ph * (i + 1), vc->elf_class, vc->big_endian, &p);
	}
	st = col_sink_pwrite(&e->sink, h, len, 0, err);
	free(h);
	return st;
}

/* Whether [paddr, paddr + len) meets an input PT_LOAD before @li. */
static bool meets_earlier_load(const struct fmt_vmcore *vc, size_t li, uint64_t paddr,
			       uint64_t len)
{
	for (size_t j = 0; j < li; j++) {
		const struct fmt_load *l = &vc->loads[j];

		if (paddr < l->paddr + l->memsz && l->paddr < paddr + len)
			return true;
	}
	return false;
}

/*
 * One page of a segment from input PT_LOAD @li into the output: a kept page's bytes (zeros
 * when it cannot be read: an ELF file has no mark for a missing page), else zeros. @again: the
 * segment meets an earlier load, whose pages are counted and reported already.
 */
static enum kd_status copy_page(struct elf_ctx *e, size_t li, bool again, uint64_t pfn,
				uint64_t *done, struct kd_err *err)
{
	uint64_t ps = e->run.src.page_size;
	const uint8_t *page = NULL;
	enum kd_status st;
	bool first;

	if (!bit_kept(e, pfn))
		return out_add(e, NULL, ps, err);
	first = !again || !meets_earlier_load(e->run.src.vc, li, pfn * ps, ps);
	st = col_source_page(&e->run.src, pfn, &page, err);
	if (st != KD_OK && col_read_failure(st, err)) {
		/* an I/O error on this page only: the dump goes on (see col_save_elf) */
		if (first)
			col_note_unreadable(e->run.stats, pfn, err);
		kd_err_clear(err);
		page = NULL;
	} else if (st != KD_OK) {
		return st;
	} else if (first) {
		(*done)++;
	}
	if (page && col_erase_touches(e->run.erase, pfn)) {
		memcpy(e->erased, page, ps);
		col_erase_apply(e->run.erase, pfn, e->erased);
		page = e->erased;
	}
	return out_add(e, page, ps, err);
}

/* Pass 2: headers, notes, then each segment's pages (excluded ones inside it as zeros). */
static enum kd_status elf_pass2(struct elf_ctx *e, struct kd_err *err)
{
	const struct fmt_vmcore *vc = e->run.src.vc;
	uint64_t ps = e->run.src.page_size;
	uint64_t pos = fmt_elf_ehdr_size(vc->elf_class) +
		       fmt_elf_phdr_size(vc->elf_class) * (e->nsegs + 1) + vc->notes_size +
		       e->enote_len;
	struct col_progress prog;
	uint64_t done = 0;
	enum kd_status st;

	for (size_t i = 0; i < e->nsegs; i++) {
		e->segs[i].offset = e->segs[i].filesz ? pos : 0;
		pos += e->segs[i].filesz;
	}
	st = write_headers(e, FMT_ELF_DUMP_INCOMPLETE, err);
	if (st != KD_OK)
		return st;
	e->buf_off = fmt_elf_ehdr_size(vc->elf_class) + fmt_elf_phdr_size(vc->elf_class) * (e->nsegs + 1);
	st = out_add(e, vc->notes, vc->notes_size, err);
	if (st == KD_OK && e->enote_len)
		st = out_add(e, e->enote, e->enote_len, err);
	col_progress_start(&prog, stderr, e->run.opt->show_progress, "Copying data",
			   e->run.stats->pages_dumpable);
	for (size_t i = 0; i < e->nsegs && st == KD_OK; i++) {
		const struct elf_seg *s = &e->segs[i];
		/* x86_64's kernel text PT_LOAD repeats pages of the direct map: those are
		 * written again but counted (and reported) once */
		bool again = meets_earlier_load(vc, s->load, s->paddr, s->filesz);

		for (uint64_t pfn = s->paddr / ps; pfn < (s->paddr + s->filesz) / ps && st == KD_OK; pfn++)
			st = copy_page(e, s->load, again, pfn, &done, err);
		if (col_run_stopped(&e->run) && st == KD_OK)
			st = kd_err_set(err, KD_ERR_SYSTEM, "interrupted by a signal");
		col_progress_update(&prog, done + e->run.stats->pages_read_failed);
	}
	if (st == KD_OK)
		st = out_flush(e, err);
	e->run.stats->pages_written = done;
	if (st == KD_OK)
		col_progress_end(&prog, done + e->run.stats->pages_read_failed);
	return st;
}

static bool kept_cb(void *ctx, uint64_t pfn)
{
	return bit_kept(ctx, pfn);
}

/*
 * --config: the commands with bytes in a kept page, as an ELF note "ERASEINFO" (type 0) whose
 * text is the kdump eraseinfo's; known before pass 2, as the headers come first.
 */
static enum kd_status erase_note(struct elf_ctx *e, struct kd_err *err)
{
	size_t len;
	char *text;
	enum kd_status st;

	col_erase_mark_kept(e->run.erase, kept_cb, e);
	st = col_erase_info(e->run.erase, &text, &len, err);
	if (st != KD_OK || !len)
		return st;
	e->enote_len = fmt_elf_note_size("ERASEINFO", len);
	e->enote = malloc(e->enote_len);
	if (e->enote)
		fmt_elf_encode_note(e->enote, e->run.src.vc->big_endian, "ERASEINFO", 0, text, len);
	else
		e->enote_len = 0;
	free(text);
	return e->enote ? KD_OK : kd_err_set(err, KD_ERR_NOMEM, "out of memory");
}

static enum kd_status elf_prepare(struct elf_ctx *e, const struct col_options *opt,
				  struct kd_err *err)
{
	const char *dir = opt->work_dir ? opt->work_dir : "/tmp";
	enum kd_status st;

	if (!e->run.src.vc)
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "-E from a kdump-compressed input is not supported yet");
	if (e->run.src.vc->nr_loads + 1 > 0xfffe)
		return kd_err_set(err, KD_ERR_NOTIMPL, "too many PT_LOAD segments for -E");
	e->bits_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (e->bits_fd < 0)
		return kd_err_sys(err, errno, "cannot create a work file in '%s' (see --work-dir)", dir);
	e->buf = malloc(ELF_OUT_BUF);
	e->erased = malloc(e->run.src.page_size);
	if (!e->buf || !e->erased)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	st = elf_pass1(e, err);
	if (e->run.filter)
		col_filter_report(e->run.filter);
	for (size_t i = 0; i < e->run.src.vc->nr_loads && st == KD_OK; i++)
		st = split_load(e, i, err);
	if (st == KD_OK && e->nsegs + 1 > 0xfffe)
		st = kd_err_set(err, KD_ERR_NOTIMPL, "too many ELF segments (%zu) for -E", e->nsegs);
	if (st == KD_OK && e->run.erase)
		st = erase_note(e, err);
	return st;
}

enum kd_status col_save_elf(const struct col_options *opt, struct col_stats *stats,
			    struct kd_err *err)
{
	struct elf_ctx e = { .bits_fd = -1 };
	struct timespec t0;
	enum kd_status st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = col_run_setup(&e.run, opt, stats, err);
	if (st == KD_OK)
		st = elf_prepare(&e, opt, err);
	if (st == KD_OK) {
		st = col_sink_open_for(&e.sink, opt, opt->output, err);
		e.sink_open = e.sink.is_open;
	}
	if (st == KD_OK)
		st = elf_pass2(&e, err);
	if (st == KD_OK)
		st = col_sink_sync(&e.sink, err);
	/* the incomplete flag set by pass 2 stays when a kept page could not be read */
	if (st == KD_OK && !stats->pages_read_failed)
		st = write_headers(&e, 0, err);
	if (st == KD_OK)
		st = col_sink_sync(&e.sink, err);
	if (st == KD_OK && stats->pages_read_failed)
		st = col_unreadable_error(err, opt->output, stats, "zero-filled");
	else if (st != KD_OK && e.sink_open) {
		if (e.buf_len)
			out_flush(&e, NULL);
		kd_err_prefix(err, "'%s' is incomplete", opt->output);
	}
	stats->complete = st == KD_OK;
	col_report_unreadable(opt->warn, stats, "zero-filled in the dump");
	if (e.sink_open)
		stats->bytes_written = col_sink_close(&e.sink);
	if (e.bits_fd >= 0)
		close(e.bits_fd);
	free(e.segs);
	free(e.buf);
	free(e.erased);
	free(e.enote);
	col_run_teardown(&e.run);
	stats->seconds = col_elapsed(&t0);
	return st;
}
