/*
 * Buffers of a MiB and more (page batches, read-ahead, output data), on transparent huge
 * pages where the kernel gives them. Shared by every module, like error.h.
 */
#ifndef KD_BIGMEM_H
#define KD_BIGMEM_H

#include <stddef.h>

/* Defined when blocks come from malloc() (sanitizer builds, gcc or clang), not huge pages. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KD_BIGMEM_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define KD_BIGMEM_MALLOC 1
#endif
#endif

/**
 * @len bytes, uninitialised, or NULL when out of memory. The block is aligned to 2 MiB and
 * advised MADV_HUGEPAGE: one page fault maps 2 MiB instead of 4 KiB. Under a virtual
 * machine a fault can cost 20 us (measured on this project's machines), and the pipeline's
 * 11 MiB of buffers took 2,300 of them. Free with kd_big_free() and the same @len.
 * Sanitizer builds get malloc(), so that out-of-bounds accesses are still caught.
 */
void *kd_big_alloc(size_t len);

/** Release a block of kd_big_alloc() (NULL is allowed). */
void kd_big_free(void *p, size_t len);

#endif
