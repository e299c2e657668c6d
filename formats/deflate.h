/* A fast one-shot zlib (RFC 1950/1951) encoder for single memory pages. */
#ifndef KD_DEFLATE_H
#define KD_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "formats/error.h"

/** Largest input fmt_deflate_page() accepts (an arm64 64 KiB page). */
#define FMT_DEFLATE_MAX_INPUT 65536u

/** Encoder state: hash table, token buffer, code tables. One per thread, reused per page. */
struct fmt_deflate;

/**
 * Allocate an encoder. All memory is taken here: fmt_deflate_page() never allocates.
 * Returns KD_ERR_NOMEM (with a message in @err) if the allocation fails.
 */
enum kd_status fmt_deflate_create(struct fmt_deflate **ret, struct kd_err *err);

/** Free an encoder; NULL is a no-op. */
void fmt_deflate_destroy(struct fmt_deflate *d);

/**
 * Compress @len bytes of @in (1..FMT_DEFLATE_MAX_INPUT) into one complete zlib stream
 * (header 0x78 0x01, one or more deflate blocks, big-endian Adler-32) that zlib's
 * uncompress() decodes to exactly @in.
 *
 * Returns the stream's length, or 0 when it would take more than @cap bytes (the caller
 * then keeps the page uncompressed) or @len is out of range. Never writes past
 * @out + @cap; the bytes of @out past the returned length are unspecified.
 * The output depends only on the input bytes (deterministic).
 */
size_t fmt_deflate_page(struct fmt_deflate *d, const uint8_t *in, size_t len, uint8_t *out,
			size_t cap);

/** Adler-32 of @len bytes of @p, continuing from @adler (1 for a fresh checksum). */
uint32_t fmt_deflate_adler32(uint32_t adler, const uint8_t *p, size_t len);

#endif
