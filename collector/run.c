/* What every vmcore-save run shares: opening the source and the filters, and pass 1's windows. */
#include "collector/collector-priv.h"
#include "collector/erase-priv.h"
#include "collector/vmlinux-priv.h"

#include <stdlib.h>
#include <string.h>

#include "filters/filters.h"

#define DEFAULT_CYCLIC_KIB 64u	/* bitmap bytes per window: 512Ki pfns (2 GiB of 4 KiB pages) */

/*
 * Memory above the dead kernel's struct page array (a PT_LOAD that kernel never knew) is
 * left out of the dump, as makedumpfile 1.7.2 cuts max_mapnr there at every level: the
 * same bytes, and no time spent reading it. Without a usable model nothing is cut.
 */
static void trim_to_memmap(struct col_source *src)
{
	struct flt_mem mem = {
		.read_phys = col_source_read_phys,
		.ctx = src,
		.max_pfn = src->max_pfn,
	};
	struct flt_model *m;
	struct kd_err err;

	if (src->kd || !src->vi || !src->max_pfn)
		return;
	kd_err_clear(&err);
	if (flt_model_create_machine(src->vi, &mem, src->machine, col_source_page_offset(src), &m,
				     &err) != KD_OK)
		return;
	src->max_pfn = flt_model_memmap_end(m, src->max_pfn);
	flt_model_destroy(m);
}

enum kd_status col_run_setup(struct col_run *r, const struct col_options *opt,
			     struct col_stats *stats, struct kd_err *err)
{
	uint64_t kib = opt->cyclic_buffer_kib ? opt->cyclic_buffer_kib : DEFAULT_CYCLIC_KIB;
	enum kd_status st;

	memset(r, 0, sizeof(*r));
	memset(stats, 0, sizeof(*stats));
	r->opt = opt;
	r->stats = stats;
	r->level = opt->dump_level;
	r->range_end = UINT64_MAX;
	if (opt->erase_config) {
		/* a bad filter file fails before anything is read */
		st = col_erase_cfg_read(opt->erase_config, &r->erase_cfg, err);
		if (st != KD_OK)
			return st;
	}
	if (opt->nr_reassemble)
		st = col_source_open_set(&r->src, opt->reassemble_files, opt->nr_reassemble, err);
	else
		st = col_source_open(&r->src, opt->input,
				     (opt->dump_level > 1 && !opt->vmcoreinfo_in ? COL_SRC_NEED_VMCOREINFO : 0) |
				     (opt->non_mmap ? COL_SRC_NO_MMAP : 0), err);
	if (st == KD_OK)
		st = col_vmci_apply(&r->src, opt, opt->warn, err);	/* -i, -x */
	if (st != KD_OK)
		return st;
	if (r->src.warning[0] && opt->warn)
		fprintf(opt->warn, "vmcore-save: warning: %s; ignoring VMCOREINFO\n", r->src.warning);
	if (opt->dump_level & ~1) {
		st = col_filter_create(&r->src, opt->dump_level, opt->warn, &r->filter, err);
		if (st != KD_OK)
			return st;
	}
	trim_to_memmap(&r->src);	/* after the filter: its model may read all memory */
	st = col_erase_create(&r->src, opt, &r->erase_cfg, opt->warn, &r->erase, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "--config '%s'", opt->erase_config);
	stats->max_mapnr = r->src.max_pfn;
	r->window = kib * 1024 * 8;
	r->present = calloc(r->window / 64, sizeof(uint64_t));
	r->keep = calloc(r->window / 64, sizeof(uint64_t));
	if (!r->present || !r->keep)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the bitmap window");
	return KD_OK;
}

void col_run_teardown(struct col_run *r)
{
	free(r->present);
	free(r->keep);
	col_filter_destroy(r->filter);
	col_erase_destroy(r->erase);
	col_erase_cfg_free(r->erase_cfg);
	col_source_close(&r->src);
	r->present = r->keep = NULL;
	r->filter = NULL;
	r->erase = NULL;
	r->erase_cfg = NULL;
}

bool col_run_stopped(const struct col_run *r)
{
	return r->opt->stop && *r->opt->stop;
}

size_t col_run_words(const struct col_run *r, uint64_t start)
{
	uint64_t n = r->src.max_pfn - start;

	if (n > r->window)
		n = r->window;
	return (size_t)((n + 63) / 64);
}

enum kd_status col_run_keep_window(struct col_run *r, uint64_t start, size_t nw, struct kd_err *err)
{
	if (col_run_stopped(r))
		return kd_err_set(err, KD_ERR_SYSTEM, "interrupted by a signal");
	col_source_present(&r->src, start, r->present, nw);
	col_source_dumpable(&r->src, start, r->keep, nw);
	for (size_t i = 0; i < nw; i++)
		r->stats->pages_present += (uint64_t)__builtin_popcountll(r->present[i]);
	if (r->filter) {
		enum kd_status st = col_filter_window(r->filter, start, nw * 64, r->keep, r->stats, err);

		if (st != KD_OK)
			return st;
	}
	for (size_t i = 0; i < nw; i++) {
		uint64_t lo = start + 64 * i;

		if (lo + 64 <= r->range_start || lo >= r->range_end)
			r->keep[i] = 0;
		else {
			if (lo < r->range_start)
				r->keep[i] &= ~0ull << (r->range_start - lo);
			if (lo + 64 > r->range_end)
				r->keep[i] &= (1ull << (r->range_end - lo)) - 1;
		}
	}
	return KD_OK;
}
