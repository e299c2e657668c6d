/* Growable, heap-only arrays of physical address ranges. */
#include "loader/loader-priv.h"

#include <stdlib.h>
#include <string.h>

enum { RANGE_VEC_FIRST_CAP = 16 };

enum kd_status ldr_range_vec_push(struct ldr_range_vec *vec, const struct ldr_range *r,
				  struct kd_err *err)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : RANGE_VEC_FIRST_CAP;
		struct ldr_range *v;

		if (cap < vec->cap || cap > SIZE_MAX / sizeof(*v))
			return kd_err_set(err, KD_ERR_NOMEM, "too many ranges");
		v = realloc(vec->v, cap * sizeof(*v));
		if (!v)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory for %zu ranges", cap);
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = *r;
	return KD_OK;
}

static int range_cmp(const void *a, const void *b)
{
	const struct ldr_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

void ldr_range_vec_sort(struct ldr_range_vec *vec)
{
	if (vec->n > 1)
		qsort(vec->v, vec->n, sizeof(*vec->v), range_cmp);
}

void ldr_range_vec_deinit(struct ldr_range_vec *vec)
{
	free(vec->v);
	memset(vec, 0, sizeof(*vec));
}
