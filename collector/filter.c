/* Adapter between the collector and filters/: kernel-aware exclusion by dump level. */
#include "collector/collector-priv.h"

#include <stdlib.h>

#include "filters/filters.h"

#define FILTER_MAX_WARNINGS 32

struct col_filter {
	struct flt_model *model;
	int dump_level;
	FILE *warn;
	struct flt_stats st;
};

static void print_warnings(const struct col_filter *f)
{
	char lines[FILTER_MAX_WARNINGS][FLT_WARN_LEN];
	size_t n;

	if (!f->warn)
		return;
	n = flt_model_warnings(f->model, f->dump_level, lines, FILTER_MAX_WARNINGS);
	for (size_t i = 0; i < n && i < FILTER_MAX_WARNINGS; i++)
		fprintf(f->warn, "vmcore-save: warning: %s\n", lines[i]);
	if (n > FILTER_MAX_WARNINGS)
		fprintf(f->warn, "vmcore-save: warning: %zu more warnings not shown\n",
			n - FILTER_MAX_WARNINGS);
}

enum kd_status col_filter_create(struct col_source *src, int dump_level, FILE *warn,
				 struct col_filter **ret, struct kd_err *err)
{
	struct flt_mem mem = {
		.read_phys = col_source_read_phys,
		.ctx = src,
		.max_pfn = src->max_pfn,
	};
	struct col_filter *f = calloc(1, sizeof(*f));
	enum kd_status st;

	if (!f)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	f->dump_level = dump_level;
	f->warn = warn;
	st = flt_model_create_machine(src->vi, &mem, src->machine, col_source_page_offset(src),
				      &f->model, err);
	if (st != KD_OK) {
		free(f);
		return kd_err_prefix(err, "kernel model");
	}
	*ret = f;
	return KD_OK;
}

void col_filter_destroy(struct col_filter *f)
{
	if (!f)
		return;
	flt_model_destroy(f->model);
	free(f);
}

enum kd_status col_filter_window(struct col_filter *f, uint64_t start, uint64_t npfn,
				 uint64_t *bits, struct col_stats *stats, struct kd_err *err)
{
	struct flt_stats st = { 0 };
	enum kd_status rc = flt_exclude_window(f->model, f->dump_level, start, npfn, bits, &st, err);

	stats->pages_cache += st.cache;
	stats->pages_cache_private += st.cache_private;
	stats->pages_user += st.user;
	stats->pages_free += st.free;
	stats->pages_hwpoison += st.hwpoison;
	stats->pages_offline += st.offline;
	stats->pages_unreadable += st.unreadable;
	return rc;
}

void col_filter_report(const struct col_filter *f)
{
	/* after the walk: missing keys and the struct page reads that failed */
	print_warnings(f);
}
