/* vmcore-save's run: source → bitmaps (filters) → pages (zero check, codec) → kdump file. */
#include "collector/collector-priv.h"
#include "collector/erase-priv.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct save_ctx {
	struct col_run run;
	struct col_sink sink;
	struct col_kdump_out out;
	bool out_open;
};

static void fill_info(struct save_ctx *c, struct fmt_kdump_info *info)
{
	const struct col_source *src = &c->run.src;
	int64_t v;

	memset(info, 0, sizeof(*info));
	info->block_size = (uint32_t)src->page_size;
	info->max_mapnr = src->max_pfn;
	info->nr_cpus = src->nr_cpus;
	info->dump_level = c->run.opt->dump_level;
	info->codec = c->run.opt->codec;
	info->notes = src->notes;
	info->notes_size = src->notes_size;
	info->vmcoreinfo_off = src->vmcoreinfo_off;
	info->vmcoreinfo_size = src->vmcoreinfo_size;
	if (src->kd) {
		/* re-filtering: the dead kernel's identity comes from the input dump */
		const struct fmt_kdump_info *in = fmt_kdump_get_info(src->kd);

		memcpy(info->utsname, in->utsname, sizeof(info->utsname));
		info->crashtime = in->crashtime;
		info->phys_base = in->phys_base;
		info->dump_level |= in->dump_level;
		if (c->run.opt->nr_reassemble && info->codec == FMT_CODEC_NONE)
			info->codec = in->codec;	/* keep the set's compression */
		return;
	}
	col_fill_utsname(&c->run.src, info->utsname);
	if (src->vi) {
		info->crashtime = fmt_vmci_crashtime(src->vi);
		if (fmt_vmci_number(src->vi, "phys_base", &v))
			info->phys_base = (uint64_t)v;
		/* arm64: crash takes the linear map's PHYS_OFFSET from this field */
		else if (fmt_vmci_number(src->vi, "PHYS_OFFSET", &v))
			info->phys_base = (uint64_t)v;
	}
}

/* Pass 1: which pages exist and which are kept; both bitmaps go to the file. */
static enum kd_status build_bitmaps(struct save_ctx *c, uint64_t *ret_dumpable, struct kd_err *err)
{
	struct col_run *r = &c->run;
	uint64_t total = 0;

	for (uint64_t start = 0; start < r->src.max_pfn; start += r->window) {
		size_t nw = col_run_words(r, start);
		enum kd_status st = col_run_keep_window(r, start, nw, err);

		if (st != KD_OK)
			return st;
		for (size_t i = 0; i < nw; i++)
			total += (uint64_t)__builtin_popcountll(r->keep[i]);
		st = col_kdump_write_bitmaps(&c->out, start, r->present, r->keep, nw, err);
		if (st != KD_OK)
			return st;
	}
	*ret_dumpable = total;
	return KD_OK;
}

static unsigned choose_threads(const struct col_options *opt, enum fmt_codec_id codec)
{
	long cpus;

	if (opt->num_threads)
		return opt->num_threads;
	if (codec == FMT_CODEC_NONE)
		return 1;	/* copying is bound by I/O, not by the CPU */
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus < 1 ? 1 : cpus > 16 ? 16 : (unsigned)cpus;
}

/* Pass 2: page data in pfn order, driven by the 2nd bitmap read back from the file. */
static enum kd_status write_pages(struct save_ctx *c, struct kd_err *err)
{
	struct col_pages_params pp = {
		.src = &c->run.src,
		.out = &c->out,
		.stats = c->run.stats,
		.codec = c->run.codec,
		.zero_pages = c->run.level & 1,
		.system_zlib = c->run.opt->zlib_compat,
		.threads = choose_threads(c->run.opt, c->run.codec),
		.erase = c->run.erase,
	};
	uint64_t pfns[256];
	size_t batch = col_pages_batch_size(), n = 0;
	struct col_progress prog;
	struct col_pages *cp;
	uint64_t done = 0;
	enum kd_status st;

	if (batch > sizeof(pfns) / sizeof(pfns[0]))
		batch = sizeof(pfns) / sizeof(pfns[0]);
	st = col_pages_create(&pp, &cp, err);
	if (st != KD_OK)
		return st;
	/* this file's pages (a --split set's later files count their own) */
	col_progress_start(&prog, stderr, c->run.opt->show_progress, "Copying data",
			   c->out.nr_dumpable);
	for (uint64_t start = 0; start < c->run.src.max_pfn && st == KD_OK; start += c->run.window) {
		size_t nw = col_run_words(&c->run, start);

		st = col_kdump_read_bitmap2(&c->out, start, c->run.keep, nw, err);
		for (size_t w = 0; w < nw && st == KD_OK; w++) {
			uint64_t bits = c->run.keep[w];

			while (bits && st == KD_OK) {
				pfns[n++] = start + w * 64 + (uint64_t)__builtin_ctzll(bits);
				bits &= bits - 1;
				if (n == batch) {
					st = col_pages_submit(cp, pfns, n, err);
					done += n;
					n = 0;
				}
			}
			if (col_run_stopped(&c->run) && st == KD_OK)
				st = kd_err_set(err, KD_ERR_SYSTEM, "interrupted by a signal");
		}
		col_progress_update(&prog, done);
	}
	if (st == KD_OK && n)
		st = col_pages_submit(cp, pfns, n, err);
	if (st == KD_OK)
		st = col_pages_flush(cp, err);
	col_pages_destroy(cp);
	c->run.stats->pages_written += c->out.desc_next - c->out.unwritten;
	if (st == KD_OK)
		col_progress_end(&prog, c->out.desc_next);
	return st;
}

/* The erase info: a re-filtered dump's own, then the lines of this run's --config. */
static enum kd_status write_eraseinfo(struct save_ctx *c, struct kd_err *err)
{
	char *old = NULL, *text = NULL, *both;
	size_t old_len = 0, len = 0;
	enum kd_status st;

	st = col_source_eraseinfo(&c->run.src, &old, &old_len, err);
	if (st == KD_OK)
		st = col_erase_info(c->run.erase, &text, &len, err);
	if (st == KD_OK && old_len + len) {
		both = malloc(old_len + len);
		if (!both) {
			st = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		} else {
			if (old_len)
				memcpy(both, old, old_len);
			if (len)
				memcpy(both + old_len, text, len);
			st = col_kdump_add_eraseinfo(&c->out, both, old_len + len, err);
			free(both);
		}
	}
	free(old);
	free(text);
	return st;
}

/* One kdump file: pass 1 (bitmaps), pass 2 (pages); on failure it stays, marked incomplete. */
static enum kd_status save_file(struct save_ctx *c, const char *path,
				const struct fmt_kdump_info *info, struct kd_err *err)
{
	const struct col_options *opt = c->run.opt;
	struct col_stats *stats = c->run.stats;
	enum kd_status st;

	memset(&c->out, 0, sizeof(c->out));
	st = col_sink_open_for(&c->sink, opt, path, err);
	c->out_open = c->sink.is_open;
	if (st == KD_OK)
		st = col_kdump_create(&c->out, &c->sink, info, err);
	if (st != KD_OK)
		return st;
	uint64_t dumpable = 0;

	st = build_bitmaps(c, &dumpable, err);
	stats->pages_dumpable += dumpable;
	if (st == KD_OK)
		st = col_kdump_begin_pages(&c->out, dumpable, c->run.level & 1, err);
	col_erase_reset_marks(c->run.erase);
	if (st == KD_OK)
		st = write_pages(c, err);
	if (st == KD_OK)
		st = write_eraseinfo(c, err);
	if (st == KD_OK) {
		st = col_kdump_finish(&c->out, true, err);
	} else {
		/* keep what was written: flush it, the header stays marked incomplete */
		col_kdump_finish(&c->out, false, NULL);
		kd_err_prefix(err, "'%s' is incomplete (%llu of %llu pages written)", c->sink.path,
			      (unsigned long long)c->out.written_descs, (unsigned long long)dumpable);
	}
	return st;
}

static void close_file(struct save_ctx *c)
{
	col_kdump_release(&c->out);
	if (c->out_open)
		c->run.stats->bytes_written += col_sink_close(&c->sink);
	c->out_open = false;
}

/* --split: pfn ranges holding about the same number of kept pages each. */
static enum kd_status split_points(struct save_ctx *c, size_t n, uint64_t *points,
				   struct kd_err *err)
{
	struct col_run *r = &c->run;
	struct col_stats saved = *r->stats;
	uint64_t total = 0, seen = 0;
	size_t next = 1;
	enum kd_status st = KD_OK;

	for (uint64_t start = 0; start < r->src.max_pfn && st == KD_OK; start += r->window) {
		size_t nw = col_run_words(r, start);

		st = col_run_keep_window(r, start, nw, err);
		for (size_t i = 0; i < nw; i++)
			total += (uint64_t)__builtin_popcountll(r->keep[i]);
	}
	points[0] = 0;
	for (uint64_t start = 0; start < r->src.max_pfn && st == KD_OK && next < n; start += r->window) {
		size_t nw = col_run_words(r, start);

		st = col_run_keep_window(r, start, nw, err);
		for (size_t w = 0; w < nw && next < n; w++) {
			for (uint64_t bits = r->keep[w]; bits && next < n; bits &= bits - 1) {
				/* crash indexes a split file's bitmap in 64-bit words from
				 * start_pfn: ranges must start on a multiple of 64 */
				if (seen++ == total * next / n)
					points[next++] = start + 64 * w;
			}
		}
	}
	while (next < n)
		points[next++] = r->src.max_pfn;
	points[n] = r->src.max_pfn;
	*r->stats = saved;
	return st;
}

static enum kd_status save_split(struct save_ctx *c, struct fmt_kdump_info *info,
				 struct kd_err *err)
{
	const struct col_options *opt = c->run.opt;
	size_t n = opt->nr_split;
	uint64_t *points = calloc(n + 1, sizeof(*points));
	struct col_stats first = { 0 };
	enum kd_status st;

	if (!points)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	st = split_points(c, n, points, err);
	for (size_t i = 0; i < n && st == KD_OK; i++) {
		info->split = true;
		info->start_pfn = points[i];
		info->end_pfn = points[i + 1];
		c->run.range_start = points[i];
		/*
		 * crash routes a pfn to the first file with start <= pfn <= end
		 * (inclusive), so each file also holds the first page of the next
		 * range; libkdumpfile reads [start, end) and ignores that copy.
		 */
		c->run.range_end = points[i + 1] + (i + 1 < n ? 1 : 0);
		if (i == 1)
			first = *c->run.stats;
		st = save_file(c, opt->split_files[i], info, err);
		close_file(c);
		if (i > 0) {
			/* page classes are counted once, in the first file's pass */
			struct col_stats *s = c->run.stats;

			s->pages_present = first.pages_present;
			s->pages_cache = first.pages_cache;
			s->pages_cache_private = first.pages_cache_private;
			s->pages_user = first.pages_user;
			s->pages_free = first.pages_free;
			s->pages_hwpoison = first.pages_hwpoison;
			s->pages_offline = first.pages_offline;
			s->pages_unreadable = first.pages_unreadable;
		}
	}
	free(points);
	return st;
}

enum kd_status col_save(const struct col_options *opt, struct col_stats *stats, struct kd_err *err)
{
	struct save_ctx c = { .out_open = false };
	struct fmt_kdump_info info;
	struct timespec t0;
	enum kd_status st;

	if (opt->format == COL_FORMAT_ELF)
		return col_save_elf(opt, stats, err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = col_run_setup(&c.run, opt, stats, err);
	if (st == KD_OK) {
		fill_info(&c, &info);
		c.run.level = info.dump_level;
		c.run.codec = info.codec;
		if (opt->nr_split)
			st = save_split(&c, &info, err);
		else
			st = save_file(&c, opt->output, &info, err);
		if (st == KD_OK && stats->pages_read_failed)
			st = col_unreadable_error(err, opt->nr_split ? opt->split_files[0] : opt->output,
						  stats, "listed as not written");
		stats->complete = st == KD_OK;
		if (c.run.filter)
			col_filter_report(c.run.filter);
		col_report_unreadable(opt->warn, stats, "listed in the dump as not written");
	}
	close_file(&c);
	col_run_teardown(&c.run);
	stats->seconds = col_elapsed(&t0);
	return st;
}
