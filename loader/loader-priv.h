/* loader/ internals shared between its files: a growable range array. */
#ifndef KD_LOADER_PRIV_H
#define KD_LOADER_PRIV_H

#include "loader/loader.h"

/**
 * A heap-only growable array of ranges. It starts empty (all zero) and only
 * ever points at memory it allocated itself, so growing it with realloc is
 * always valid (the kexec-tools bug was a static array handed to realloc).
 */
struct ldr_range_vec {
	struct ldr_range *v;
	size_t n;
	size_t cap;
};

/** Append a copy of @r; KD_ERR_NOMEM on failure (the vector is unchanged). */
enum kd_status ldr_range_vec_push(struct ldr_range_vec *vec, const struct ldr_range *r,
				  struct kd_err *err);
/** Sort by start, then by end. */
void ldr_range_vec_sort(struct ldr_range_vec *vec);
/** Free the storage and reset to empty. */
void ldr_range_vec_deinit(struct ldr_range_vec *vec);

#endif
