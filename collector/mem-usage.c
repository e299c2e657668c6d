/* --mem-usage: how many pages of each class a dump would hold, in makedumpfile's table. */
#include "collector/collector-priv.h"

#include <string.h>

/* Zero pages among the pages the filters keep in this window. */
static enum kd_status count_zero(struct col_run *r, uint64_t start, size_t nw, uint64_t *zero,
				 struct kd_err *err)
{
	for (size_t i = 0; i < nw; i++) {
		uint64_t w = r->keep[i];

		while (w) {
			uint64_t pfn = start + 64 * i + (uint64_t)__builtin_ctzll(w);
			const uint8_t *p;
			enum kd_status st;

			w &= w - 1;
			if (pfn >= r->src.max_pfn)
				break;
			st = col_source_page(&r->src, pfn, &p, err);
			if (st != KD_OK) {
				if (!col_read_failure(st, err))
					return st;
				kd_err_clear(err);	/* unreadable: counted as kernel data */
				continue;
			}
			if (col_page_is_zero(p, r->src.page_size))
				(*zero)++;
		}
	}
	return KD_OK;
}

static void row(FILE *out, const char *type, uint64_t pages, const char *excl, const char *what)
{
	fprintf(out, "%-15s %-23llu %-15s %s\n", type, (unsigned long long)pages, excl, what);
}

static void print_table(FILE *out, const struct col_stats *s, uint64_t page_size)
{
	uint64_t excl = s->pages_zero + s->pages_cache + s->pages_cache_private + s->pages_user +
			s->pages_free + s->pages_hwpoison + s->pages_offline;
	uint64_t kern = s->pages_present > excl ? s->pages_present - excl : 0;

	fprintf(out, "%-15s %-23s %-15s %s\n", "TYPE", "PAGES", "EXCLUDABLE", "DESCRIPTION");
	fprintf(out, "----------------------------------------------------------------------\n");
	row(out, "ZERO", s->pages_zero, "yes", "Pages filled with zero");
	row(out, "NON_PRI_CACHE", s->pages_cache, "yes", "Cache pages without private flag");
	row(out, "PRI_CACHE", s->pages_cache_private, "yes", "Cache pages with private flag");
	row(out, "USER", s->pages_user, "yes", "User process pages");
	row(out, "FREE", s->pages_free, "yes", "Free pages");
	if (s->pages_hwpoison)
		row(out, "HWPOISON", s->pages_hwpoison, "yes", "Hardware-poisoned pages");
	if (s->pages_offline)
		row(out, "OFFLINE", s->pages_offline, "yes", "Logically offline pages");
	row(out, "KERN_DATA", kern, "no", "Dumpable kernel data");
	fprintf(out, "\npage size:              %llu\n", (unsigned long long)page_size);
	fprintf(out, "Total pages on system:  %llu\n", (unsigned long long)s->pages_present);
	fprintf(out, "Total size on system:   %llu Byte\n",
		(unsigned long long)(s->pages_present * page_size));
}

enum kd_status col_mem_usage(const struct col_options *opt, FILE *out, struct kd_err *err)
{
	struct col_options o = *opt;
	struct col_stats stats;
	struct col_run r;
	enum kd_status st;

	o.dump_level = 31;	/* every class is counted */
	o.nr_levels = 0;
	st = col_run_setup(&r, &o, &stats, err);
	if (st == KD_OK && !r.src.kd && col_is_live_kcore(opt->input))
		st = col_cut_crash_kernel(&r.src.pm, "/proc/iomem", err);
	for (uint64_t start = 0; st == KD_OK && start < r.src.max_pfn; start += r.window) {
		size_t nw = col_run_words(&r, start);

		st = col_run_keep_window(&r, start, nw, err);
		if (st == KD_OK)
			st = count_zero(&r, start, nw, &stats.pages_zero, err);
	}
	if (st == KD_OK) {
		if (r.filter)
			col_filter_report(r.filter);
		print_table(out, &stats, r.src.page_size);
	}
	col_run_teardown(&r);
	return st;
}
