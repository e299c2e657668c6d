/* vmcore-save's run: source → bitmaps (filters) → pages (zero check, codec) → kdump file. */
#include "collector/collector-priv.h"

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
		return;
	}
	col_fill_utsname(&c->run.src, info->utsname);
	if (src->vi) {
		info->crashtime = fmt_vmci_crashtime(src->vi);
		if (fmt_vmci_number(src->vi, "phys_base", &v))
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
		.src = &c->run.src,
		.out = &c->out,
		.stats = c->run.stats,
		.codec = c->run.opt->codec,
		.zero_pages = c->run.level & 1,
		.threads = choose_threads(c->run.opt),
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
	col_progress_start(&prog, stderr, c->run.opt->show_progress, "Copying data",
			   c->run.stats->pages_dumpable);
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
	c->run.stats->pages_written = c->out.desc_next;
	if (st == KD_OK)
		col_progress_end(&prog, c->out.desc_next);
	return st;
}

static void save_teardown(struct save_ctx *c)
{
	col_kdump_release(&c->out);
	if (c->out_open)
		c->run.stats->bytes_written = col_sink_close(&c->sink);
	col_run_teardown(&c->run);
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
	if (st != KD_OK)
		goto out;
	fill_info(&c, &info);
	c.run.level = info.dump_level;
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
	if (c.run.filter)
		col_filter_report(c.run.filter);
	if (st == KD_OK)
		st = col_kdump_begin_pages(&c.out, stats->pages_dumpable, c.run.level & 1, err);
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
