/* The memory a capture kernel dumps: System RAM minus the Crash kernel ranges. */
#include "loader/loader-priv.h"

#include <stdlib.h>

/* Merge sorted, possibly nested or overlapping RAM entries into disjoint ones. */
static enum kd_status merge_ram(const struct ldr_range *ram, size_t n, struct ldr_range_vec *out,
				struct kd_err *err)
{
	struct ldr_range cur;
	size_t i;

	if (n == 0)
		return KD_OK;
	cur = ram[0];
	for (i = 1; i < n; i++) {
		bool touches = cur.end == UINT64_MAX || ram[i].start <= cur.end + 1;

		if (touches) {
			if (ram[i].end > cur.end)
				cur.end = ram[i].end;
			continue;
		}
		if (ldr_range_vec_push(out, &cur, err))
			return KD_ERR_NOMEM;
		cur = ram[i];
	}
	return ldr_range_vec_push(out, &cur, err);
}

static enum kd_status cut_crash(const struct ldr_range *span, const struct ldr_range *crash,
				size_t n_crash, struct ldr_range_vec *out, struct kd_err *err)
{
	struct ldr_range piece = *span;
	uint64_t s = span->start;
	size_t i;

	for (i = 0; i < n_crash; i++) {
		const struct ldr_range *c = &crash[i];

		if (c->end < s || c->start > span->end)
			continue;
		if (c->start > s) {
			piece.start = s;
			piece.end = c->start - 1;
			if (ldr_range_vec_push(out, &piece, err))
				return KD_ERR_NOMEM;
		}
		if (c->end >= span->end)
			return KD_OK;
		s = c->end + 1;
	}
	piece.start = s;
	piece.end = span->end;
	return ldr_range_vec_push(out, &piece, err);
}

enum kd_status ldr_iomem_dump_ranges(const struct ldr_iomem *io, struct ldr_range **ret,
				     size_t *count_ret, struct kd_err *err)
{
	struct ldr_range_vec merged = { 0 }, out = { 0 };
	const struct ldr_range *ram, *crash;
	size_t n_ram, n_crash, i;
	enum kd_status st;

	ram = ldr_iomem_ranges(io, LDR_RANGE_SYSTEM_RAM, &n_ram);
	crash = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &n_crash);
	st = merge_ram(ram, n_ram, &merged, err);
	for (i = 0; !st && i < merged.n; i++) {
		merged.v[i].depth = 0;
		merged.v[i].kind = LDR_RANGE_SYSTEM_RAM;
		st = cut_crash(&merged.v[i], crash, n_crash, &out, err);
	}
	ldr_range_vec_deinit(&merged);
	if (st) {
		ldr_range_vec_deinit(&out);
		return st;
	}
	*ret = out.v;
	*count_ret = out.n;
	return KD_OK;
}
