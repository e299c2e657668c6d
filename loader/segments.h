/* Segment placement and digests shared by every architecture's kexec_load plan. */
#ifndef LDR_SEGMENTS_H
#define LDR_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "formats/error.h"

/** One segment, as the kexec_load syscall takes it (mem/memsz page-aligned). */
struct ldr_kexec_segment {
	const void *buf;
	size_t bufsz;
	uint64_t mem;
	uint64_t memsz;
	const char *what;		/* "kernel", "initrd", "dtb", "elfcorehdr", "purgatory"... */
};

/** A top-down allocator inside [lo, top). */
struct ldr_placer {
	uint64_t lo, top;
};

static inline uint64_t ldr_align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/**
 * Take @memsz bytes aligned to @align (a power of two) from the top of @pl.
 * KD_ERR_NOSPC naming @what when they do not fit.
 */
enum kd_status ldr_place(struct ldr_placer *pl, uint64_t memsz, uint64_t align, const char *what,
			 uint64_t *ret, struct kd_err *err);

/** qsort() order of segments by load address. */
int ldr_segment_cmp(const void *a, const void *b);

/**
 * The SHA-256 purgatory checks: over every segment with bytes except the one
 * named "purgatory", in order; @regions gets (mem, bufsz) pairs as 2 LE64 each,
 * @nr_regions entries at most (KD_ERR_INVALID when there are more segments).
 */
enum kd_status ldr_segments_digest(const struct ldr_kexec_segment *seg, size_t nr, uint8_t *regions,
				   size_t nr_regions, uint8_t digest[32], struct kd_err *err);

#endif
