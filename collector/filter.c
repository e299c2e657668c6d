/* Adapter between the collector and filters/: kernel-aware exclusion by dump level. */
#include "collector/collector-priv.h"

#include <stdlib.h>

struct col_filter {
	int dump_level;
};

enum kd_status col_filter_create(struct col_source *src, int dump_level, FILE *warn,
				 struct col_filter **ret, struct kd_err *err)
{
	(void)src;
	(void)warn;
	(void)ret;
	return kd_err_set(err, KD_ERR_NOTIMPL,
			  "dump level %d needs the kernel page filters, which are not built yet (use -d 0 or -d 1)",
			  dump_level);
}

void col_filter_destroy(struct col_filter *f)
{
	free(f);
}

enum kd_status col_filter_window(struct col_filter *f, uint64_t start, uint64_t npfn,
				 uint64_t *bits, struct col_stats *stats, struct kd_err *err)
{
	(void)f;
	(void)start;
	(void)npfn;
	(void)bits;
	(void)stats;
	return kd_err_set(err, KD_ERR_NOTIMPL, "filters are not built yet");
}
