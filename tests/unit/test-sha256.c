/* SHA-256 against the FIPS 180-2 vectors, one-shot and in odd-sized pieces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/sha256.h"
#include "tests/unit/tap.h"

static void to_hex(const uint8_t *d, char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

struct vector {
	const char *name;
	const char *msg;
	size_t repeat;		/* msg is repeated this many times */
	const char *hex;
};

static const struct vector vectors[] = {
	{ "empty", "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "448-bit", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "million a", "a", 1000000,
	  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
};

int main(void)
{
	struct tap t = { 0 };

	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		const struct vector *vec = &vectors[v];
		size_t mlen = strlen(vec->msg), len = mlen * vec->repeat;
		uint8_t *buf = malloc(len + 1), d[32];
		char hex[65];

		if (!buf)
			return 2;
		for (size_t i = 0; i < vec->repeat; i++)
			memcpy(buf + i * mlen, vec->msg, mlen);
		ldr_sha256(buf, len, d);
		to_hex(d, hex);
		TAP_CHECK(&t, strcmp(hex, vec->hex) == 0, "sha256 one-shot %s", vec->name);

		/* the same bytes fed in pieces of 1, 3, 63, 64, 65, 1000 bytes */
		static const size_t steps[] = { 1, 3, 63, 64, 65, 1000 };
		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			struct ldr_sha256 st;

			ldr_sha256_init(&st);
			for (size_t off = 0; off < len; off += steps[s])
				ldr_sha256_update(&st, buf + off,
						  len - off < steps[s] ? len - off : steps[s]);
			ldr_sha256_final(&st, d);
			to_hex(d, hex);
			TAP_CHECK(&t, strcmp(hex, vec->hex) == 0, "sha256 %s in %zu-byte pieces",
				  vec->name, steps[s]);
		}
		free(buf);
	}
	return tap_finish(&t);
}
