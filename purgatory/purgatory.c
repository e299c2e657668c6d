/* purgatory: verify the SHA-256 of the loaded segments, or stop forever. */
#include "purgatory/abi.h"
#include "purgatory/purgatory.h"
#include "loader/sha256.h"

/*
 * Initialised (not zero) so they land in .data: the loader patches them by name.
 * The entry registers and the console are per architecture (purgatory/arch/).
 */
struct purgatory_region sha256_regions[PURGATORY_SHA256_REGIONS] = { { 0, 0 } };
uint8_t sha256_digest[32] = { 0 };

static void print_hex(const uint8_t *d, unsigned n)
{
	static const char digits[] = "0123456789abcdef";
	char s[2 * 32 + 1];
	unsigned i;

	for (i = 0; i < n && i < 32; i++) {
		s[2 * i] = digits[d[i] >> 4];
		s[2 * i + 1] = digits[d[i] & 15];
	}
	s[2 * i] = '\0';
	pg_puts(s);
}

static int digest_matches(uint8_t actual[32])
{
	struct ldr_sha256 s;

	ldr_sha256_init(&s);
	for (unsigned i = 0; i < PURGATORY_SHA256_REGIONS; i++) {
		const struct purgatory_region *r = &sha256_regions[i];

		if (r->len)
			ldr_sha256_update(&s, (const void *)(uintptr_t)r->start, r->len);
	}
	ldr_sha256_final(&s, actual);
	return memcmp(actual, sha256_digest, sizeof(sha256_digest)) == 0;
}

void purgatory_main(void)
{
	uint8_t actual[32];

	if (digest_matches(actual))
		return;
	pg_puts("purgatory: sha256 digest mismatch, not booting the capture kernel\r\n"
			     "purgatory: expected ");
	print_hex(sha256_digest, 32);
	pg_puts("\r\npurgatory: actual   ");
	print_hex(actual, 32);
	pg_puts("\r\n");
	pg_halt();
}
