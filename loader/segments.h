/* Segment placement and digests shared by every architecture's kexec_load plan. */
#ifndef LDR_SEGMENTS_H
#define LDR_SEGMENTS_H

#include <stdio.h>
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

/** One "segment WHAT START-END (N bytes, M from the file)" line per segment, for plan dumps. */
void ldr_segments_print(const struct ldr_kexec_segment *seg, size_t n, FILE *out);

struct ldr_purgatory;

/**
 * Open the purgatory object @image, take its memory (page-aligned, and at least
 * its own alignment) from the top of @pl and relocate it there. Returns the
 * object, its load address, its page-rounded size and its entry point; the
 * caller destroys the object, also on failure.
 */
enum kd_status ldr_purgatory_place(const void *image, size_t size, struct ldr_placer *pl,
				   uint64_t page, struct ldr_purgatory **ret, uint64_t *addr_ret,
				   uint64_t *memsz_ret, uint64_t *entry_ret, struct kd_err *err);

/**
 * What purgatory checks: SHA-256 over every segment with bytes except the one
 * named "purgatory", in order, into @digest; that digest and the (mem, bufsz)
 * pairs go into purgatory's variables. KD_ERR_INVALID when there are more
 * segments than purgatory has room for.
 */
enum kd_status ldr_purgatory_seal(struct ldr_purgatory *p, const struct ldr_kexec_segment *seg,
				  size_t nr, uint8_t digest[32], struct kd_err *err);

#endif
