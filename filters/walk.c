/* The window walker: reads struct pages in bounded chunks and clears excluded pages in 64-bit words. */
#include <stdio.h>
#include <string.h>

#include "filters/filters-priv.h"

/* A window's bitmap: bit (pfn - start) of words. */
struct win {
	uint64_t start;
	uint64_t end;
	uint64_t *bits;
};

/* First present PFN in [pfn, limit), or limit. */
static uint64_t next_present(const struct win *w, uint64_t pfn, uint64_t limit)
{
	while (pfn < limit) {
		uint64_t i = pfn - w->start;
		uint64_t word = w->bits[i / 64] >> (i % 64);

		if (word)
			pfn += (uint64_t)__builtin_ctzll(word);
		else
			pfn += 64 - i % 64;
		if (word)
			return pfn < limit ? pfn : limit;
	}
	return limit;
}

/* Mask of bits [lo, hi) within one word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(unsigned lo, unsigned hi)
{
	uint64_t m = hi == 64 ? ~0ull : (1ull << hi) - 1;

	return m & ~((1ull << lo) - 1);
}

/* Count (and with @clear, clear) the present pages in [from, to). */
static uint64_t win_range(struct win *w, uint64_t from, uint64_t to, bool clear)
{
	uint64_t count = 0;

	while (from < to) {
		uint64_t i = from - w->start;
		unsigned lo = (unsigned)(i % 64);
		uint64_t left = to - from;
		unsigned hi = left >= 64 - lo ? 64 : lo + (unsigned)left;
		uint64_t mask = word_mask(lo, hi);

		count += (uint64_t)__builtin_popcountll(w->bits[i / 64] & mask);
		if (clear)
			w->bits[i / 64] &= ~mask;
		from += hi - lo;
	}
	return count;
}

static uint64_t *class_counter(struct flt_stats *st, enum flt_class cls)
{
	switch (cls) {
	case FLT_CACHE: return &st->cache;
	case FLT_CACHE_PRIVATE: return &st->cache_private;
	case FLT_USER: return &st->user;
	case FLT_FREE: return &st->free;
	case FLT_HWPOISON: return &st->hwpoison;
	case FLT_OFFLINE: return &st->offline;
	case FLT_KEEP: break;
	}
	return NULL;
}

/* Exclude [pfn, pfn+nr) of class @cls: clear what lies in the window, carry the rest. */
static void exclude(struct flt_model *m, struct win *w, struct flt_stats *st, uint64_t pfn,
		    uint64_t nr, enum flt_class cls)
{
	uint64_t *counter = class_counter(st, cls);
	uint64_t stop = pfn + nr;

	if (stop < pfn)
		stop = UINT64_MAX;
	if (stop > w->end) {
		m->carry_end = stop;
		m->carry_class = cls;
		stop = w->end;
	}
	*counter += win_range(w, pfn, stop, true);
}

/* Mark struct pages overlapping bytes [b0, b1) of the chunk unreadable. */
static void mark_invalid(struct flt_model *m, uint64_t b0, uint64_t b1)
{
	uint64_t size = m->pk.size;

	for (uint64_t i = b0 / size; i <= (b1 - 1) / size; i++)
		m->chunk_valid[i / 64] &= ~(1ull << (i % 64));
}

static bool chunk_valid(const struct flt_model *m, uint64_t i)
{
	return (m->chunk_valid[i / 64] >> (i % 64)) & 1;
}

/*
 * Read @count struct pages at @vaddr into m->chunk, one read_phys call per
 * physically contiguous run. Unreadable parts are marked in m->chunk_valid
 * and the first reason goes to @why.
 */
static void read_struct_pages(struct flt_model *m, uint64_t vaddr, uint64_t count, char *why,
			      size_t why_len)
{
	uint64_t total = count * m->pk.size, off = 0;
	uint64_t run_paddr = 0, run_off = 0, run_len = 0;
	struct kd_err err;

	memset(m->chunk_valid, 0xff, (count + 63) / 64 * sizeof(uint64_t));
	while (off <= total) {
		uint64_t paddr = 0, len = 0;
		bool ok = false;

		if (off < total) {
			kd_err_clear(&err);
			ok = flt_vtop_len(m, vaddr + off, &paddr, &len, &err) == KD_OK;
			if (ok && len > total - off)
				len = total - off;
			if (!ok) {
				len = 4096 - ((vaddr + off) & 4095);
				if (len > total - off)
					len = total - off;
				mark_invalid(m, off, off + len);
				if (!why[0])
					snprintf(why, why_len, "%.150s", err.msg);
			}
		}
		/* flush the pending run when this piece does not extend it */
		if (run_len && (!ok || off == total || paddr != run_paddr + run_len)) {
			kd_err_clear(&err);
			if (flt_read_phys(m, run_paddr, m->chunk + run_off, run_len, &err) != KD_OK) {
				mark_invalid(m, run_off, run_off + run_len);
				if (!why[0])
					snprintf(why, why_len, "%.150s", err.msg);
			}
			run_len = 0;
		}
		if (off == total)
			break;
		if (ok) {
			if (!run_len) {
				run_paddr = paddr;
				run_off = off;
			}
			run_len += len;
		}
		off += len;
	}
}

/* Classify the present pages of [pos, chunk_end); returns where to continue. */
static uint64_t walk_chunk(struct flt_model *m, int level, struct win *w, struct flt_stats *st,
			   uint64_t pos, uint64_t chunk_end, uint64_t nread, const char *why)
{
	uint64_t size = m->pk.size;
	uint64_t p = next_present(w, pos, chunk_end);

	while (p < chunk_end) {
		uint64_t i = p - pos, nr;
		struct flt_page pg;
		const uint8_t *next = NULL;
		enum flt_class cls;

		if (!chunk_valid(m, i)) {
			st->unreadable++;
			flt_problem(m, FLT_PROB_READ, p, 1, "%s", why);
			p = next_present(w, p + 1, chunk_end);
			continue;
		}
		flt_page_decode(&m->pk, m->chunk + i * size, &pg);
		if (i + 1 < nread && chunk_valid(m, i + 1))
			next = m->chunk + (i + 1) * size;
		cls = flt_classify(m, level, p, &pg, next, &nr);
		if (cls == FLT_KEEP) {
			p = next_present(w, p + 1, chunk_end);
			continue;
		}
		exclude(m, w, st, p, nr, cls);
		if (nr >= chunk_end - p)
			return p + nr < p ? UINT64_MAX : p + nr;
		p = next_present(w, p + nr, chunk_end);
	}
	return chunk_end;
}

static void walk(struct flt_model *m, int level, struct win *w, struct flt_stats *st,
		 uint64_t pos)
{
	struct kd_err err;

	while (pos < w->end) {
		uint64_t vaddr = 0, sec_end = 0, chunk_end, nread;
		char why[160] = "";
		enum kd_status s;

		pos = next_present(w, pos, w->end);
		if (pos >= w->end)
			break;
		kd_err_clear(&err);
		s = flt_memmap_lookup(m, pos, &vaddr, &sec_end, &err);
		if (sec_end <= pos)
			sec_end = w->end;
		chunk_end = sec_end < w->end ? sec_end : w->end;
		if (s != KD_OK) {
			uint64_t cnt = win_range(w, pos, chunk_end, false);

			st->unreadable += cnt;
			flt_problem(m, s == KD_ERR_NODATA ? FLT_PROB_NO_MEMMAP : FLT_PROB_SECTION, pos,
				    cnt, "%s", err.msg);
			pos = chunk_end;
			continue;
		}
		if (chunk_end - pos > m->chunk_pages)
			chunk_end = pos + m->chunk_pages;
		/* one more struct page: the first tail of a head at the chunk's end */
		nread = chunk_end - pos + (chunk_end < sec_end && chunk_end < m->mem.max_pfn ? 1 : 0);
		read_struct_pages(m, vaddr, nread, why, sizeof(why));
		pos = walk_chunk(m, level, w, st, pos, chunk_end, nread, why);
	}
}

enum kd_status flt_exclude_window(struct flt_model *m, int dump_level, uint64_t start,
				  uint64_t n, uint64_t *bits, struct flt_stats *stats,
				  struct kd_err *err)
{
	struct flt_stats scratch;
	struct win w = { start, start + n, bits };
	int level = dump_level & m->avail;
	uint64_t pos = start;

	if (start % 64 || w.end < start || (n && !bits))
		return kd_err_set(err, KD_ERR_INVALID, "bad filter window at pfn 0x%llx+%llu",
				  (unsigned long long)start, (unsigned long long)n);
	if (!stats) {
		memset(&scratch, 0, sizeof(scratch));
		stats = &scratch;
	}
	if (n == 0)
		return KD_OK;
	if (start < m->last_end) {
		/* a new pass over the memory */
		m->carry_end = 0;
		m->mm.last_sec = UINT64_MAX;
		m->mm.cached_root = UINT64_MAX;
		flt_arch_flush(m);
	}
	m->last_end = w.end;
	stats->present += win_range(&w, start, w.end, false);

	if (m->carry_end > pos) {
		uint64_t stop = m->carry_end < w.end ? m->carry_end : w.end;

		*class_counter(stats, m->carry_class) += win_range(&w, pos, stop, true);
		if (m->carry_end <= w.end)
			m->carry_end = 0;
		pos = stop;
	}
	if (!level && !m->want_always)
		return KD_OK;
	walk(m, level, &w, stats, pos);
	return KD_OK;
}
