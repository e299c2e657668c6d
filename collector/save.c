/* vmcore-save's run: source → bitmaps (filters) → pages (zero check, codec) → kdump file. */
#include "collector/collector-priv.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CYCLIC_KIB 64u	/* bitmap bytes per window: 512Ki pfns (2 GiB of 4 KiB pages) */

struct save_ctx {
	const struct col_options *opt;
	struct col_stats *stats;
	struct col_source src;
	struct col_filter *filter;
	struct col_sink sink;
	struct col_kdump_out out;
	bool out_open;
	uint64_t window;	/* pfns per window, a multiple of 64 */
	int level;		/* effective dump level (a re-filtered dump keeps its old bits) */
	uint64_t *present;
	uint64_t *keep;
};

static bool stopped(const struct save_ctx *c)
{
	return c->opt->stop && *c->opt->stop;
}

static void fill_info(struct save_ctx *c, struct fmt_kdump_info *info)
{
	const struct col_source *src = &c->src;
	int64_t v;

	memset(info, 0, sizeof(*info));
	info->block_size = (uint32_t)src->page_size;
	info->max_mapnr = src->max_pfn;
	info->nr_cpus = src->nr_cpus;
	info->dump_level = c->opt->dump_level;
	info->codec = c->opt->codec;
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
		return;
	}
	col_fill_utsname(&c->src, info->utsname);
	if (src->vi) {
		info->crashtime = fmt_vmci_crashtime(src->vi);
		if (fmt_vmci_number(src->vi, "phys_base", &v))
			info->phys_base = (uint64_t)v;
	}
}

static size_t window_words(const struct save_ctx *c, uint64_t start)
{
	uint64_t n = c->src.max_pfn - start;

	if (n > c->window)
		n = c->window;
	return (size_t)((n + 63) / 64);
}

/* Pass 1: which pages exist and which are kept; both bitmaps go to the file. */
static enum kd_status build_bitmaps(struct save_ctx *c, uint64_t *ret_dumpable, struct kd_err *err)
{
	uint64_t total = 0;

	for (uint64_t start = 0; start < c->src.max_pfn; start += c->window) {
		size_t nw = window_words(c, start);
		enum kd_status st;

		if (stopped(c))
			return kd_err_set(err, KD_ERR_SYSTEM, "interrupted by a signal");
		col_source_present(&c->src, start, c->present, nw);
		col_source_dumpable(&c->src, start, c->keep, nw);
		for (size_t i = 0; i < nw; i++)
			c->stats->pages_present += (uint64_t)__builtin_popcountll(c->present[i]);
		if (c->filter) {
			st = col_filter_window(c->filter, start, nw * 64, c->keep, c->stats, err);
			if (st != KD_OK)
				return st;
		}
		for (size_t i = 0; i < nw; i++)
			total += (uint64_t)__builtin_popcountll(c->keep[i]);
		st = col_kdump_write_bitmaps(&c->out, start, c->present, c->keep, nw, err);
		if (st != KD_OK)
			return st;
	}
	*ret_dumpable = total;
	return KD_OK;
}

static unsigned choose_threads(const struct col_options *opt)
{
	long cpus;

	if (opt->num_threads)
		return opt->num_threads;
	if (opt->codec == FMT_CODEC_NONE)
		return 1;	/* copying is bound by I/O, not by the CPU */
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus < 1 ? 1 : cpus > 16 ? 16 : (unsigned)cpus;
}

/* Pass 2: page data in pfn order, driven by the 2nd bitmap read back from the file. */
static enum kd_status write_pages(struct save_ctx *c, struct kd_err *err)
{
	struct col_pages_params pp = {
		.src = &c->src,
		.out = &c->out,
		.stats = c->stats,
		.codec = c->opt->codec,
		.zero_pages = c->level & 1,
		.threads = choose_threads(c->opt),
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
	col_progress_start(&prog, stderr, c->opt->show_progress, "Copying data",
			   c->stats->pages_dumpable);
	for (uint64_t start = 0; start < c->src.max_pfn && st == KD_OK; start += c->window) {
		size_t nw = window_words(c, start);

		st = col_kdump_read_bitmap2(&c->out, start, c->keep, nw, err);
		for (size_t w = 0; w < nw && st == KD_OK; w++) {
			uint64_t bits = c->keep[w];

			while (bits && st == KD_OK) {
				pfns[n++] = start + w * 64 + (uint64_t)__builtin_ctzll(bits);
				bits &= bits - 1;
				if (n == batch) {
					st = col_pages_submit(cp, pfns, n, err);
					done += n;
					n = 0;
				}
			}
			if (stopped(c) && st == KD_OK)
				st = kd_err_set(err, KD_ERR_SYSTEM, "interrupted by a signal");
		}
		col_progress_update(&prog, done);
	}
	if (st == KD_OK && n)
		st = col_pages_submit(cp, pfns, n, err);
	if (st == KD_OK)
		st = col_pages_flush(cp, err);
	col_pages_destroy(cp);
	c->stats->pages_written = c->out.desc_next;
	if (st == KD_OK)
		col_progress_end(&prog, c->out.desc_next);
	return st;
}

static enum kd_status save_setup(struct save_ctx *c, struct kd_err *err)
{
	const struct col_options *opt = c->opt;
	uint64_t kib = opt->cyclic_buffer_kib ? opt->cyclic_buffer_kib : DEFAULT_CYCLIC_KIB;
	enum kd_status st;

	st = col_source_open(&c->src, opt->input, opt->dump_level > 1, err);
	if (st != KD_OK)
		return st;
	c->stats->max_mapnr = c->src.max_pfn;
	if (c->src.warning[0] && opt->warn)
		fprintf(opt->warn, "vmcore-save: warning: %s; ignoring VMCOREINFO\n", c->src.warning);
	if (opt->dump_level & ~1) {
		st = col_filter_create(&c->src, opt->dump_level, opt->warn, &c->filter, err);
		if (st != KD_OK)
			return st;
	}
	c->window = kib * 1024 * 8;
	c->present = calloc(c->window / 64, sizeof(uint64_t));
	c->keep = calloc(c->window / 64, sizeof(uint64_t));
	if (!c->present || !c->keep)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the bitmap window");
	return KD_OK;
}

static void save_teardown(struct save_ctx *c)
{
	col_kdump_release(&c->out);
	if (c->out_open)
		c->stats->bytes_written = col_sink_close(&c->sink);
	free(c->present);
	free(c->keep);
	col_filter_destroy(c->filter);
	col_source_close(&c->src);
}

enum kd_status col_save(const struct col_options *opt, struct col_stats *stats, struct kd_err *err)
{
	struct save_ctx c = { .opt = opt, .stats = stats };
	struct fmt_kdump_info info;
	struct timespec t0;
	enum kd_status st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(stats, 0, sizeof(*stats));
	st = save_setup(&c, err);
	if (st != KD_OK)
		goto out;
	fill_info(&c, &info);
	c.level = info.dump_level;
	if (opt->format == COL_FORMAT_FLAT)
		st = col_sink_open_flat(&c.sink, 1, "standard output", opt->work_dir, err);
	else
		st = col_sink_open_file(&c.sink, opt->output, opt->force, err);
	c.out_open = c.sink.fd >= 0;
	if (st == KD_OK)
		st = col_kdump_create(&c.out, &c.sink, &info, err);
	if (st != KD_OK)
		goto out;
	st = build_bitmaps(&c, &stats->pages_dumpable, err);
	if (c.filter)
		col_filter_report(c.filter);
	if (st == KD_OK)
		st = col_kdump_begin_pages(&c.out, stats->pages_dumpable, c.level & 1, err);
	if (st == KD_OK)
		st = write_pages(&c, err);
	if (st == KD_OK) {
		st = col_kdump_finish(&c.out, true, err);
		stats->complete = st == KD_OK;
	} else {
		/* keep what was written: flush it, the header stays marked incomplete */
		col_kdump_finish(&c.out, false, NULL);
		kd_err_prefix(err, "'%s' is incomplete (%llu of %llu pages written)", c.sink.path,
			      (unsigned long long)c.out.written_descs,
			      (unsigned long long)stats->pages_dumpable);
	}
out:
	save_teardown(&c);
	stats->seconds = col_elapsed(&t0);
	return st;
}
