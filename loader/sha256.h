/* SHA-256 (FIPS 180-4): one implementation shared by the loader and purgatory. */
#ifndef LDR_SHA256_H
#define LDR_SHA256_H

/*
 * Freestanding-clean: this header and sha256.c include only <stdint.h> and
 * <stddef.h>, so purgatory compiles the same source without libc.
 */
#include <stddef.h>
#include <stdint.h>

#define LDR_SHA256_DIGEST_SIZE 32
#define LDR_SHA256_BLOCK_SIZE 64

/** Running hash state; caller-allocated, initialise with ldr_sha256_init(). */
struct ldr_sha256 {
	uint32_t h[8];
	uint64_t total;		/* bytes hashed so far */
	uint8_t block[LDR_SHA256_BLOCK_SIZE];
	size_t fill;		/* bytes waiting in block[] */
};

void ldr_sha256_init(struct ldr_sha256 *s);
void ldr_sha256_update(struct ldr_sha256 *s, const void *data, size_t len);
/** Write the digest to @out (32 bytes); @s must be re-initialised before reuse. */
void ldr_sha256_final(struct ldr_sha256 *s, uint8_t out[LDR_SHA256_DIGEST_SIZE]);
/** One-shot helper. */
void ldr_sha256(const void *data, size_t len, uint8_t out[LDR_SHA256_DIGEST_SIZE]);

#endif
