/* fmt_deflate_page: every stream decodes with zlib's uncompress to the input; cap respected. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "formats/deflate.h"
#include "tests/unit/tap.h"

#define MAXLEN FMT_DEFLATE_MAX_INPUT
#define GUARD 64
#define GUARD_BYTE 0xa5

/* Deterministic xorshift bytes. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct bufs {
	struct fmt_deflate *d;
	uint8_t *out;		/* MAXLEN + 1024 bytes, then GUARD guard bytes */
	uint8_t *back;
};

/* Compress with @cap, check the guard after @cap, and (when it fit) the round trip. */
static int round_trip(struct bufs *b, const uint8_t *in, size_t len, size_t cap, size_t *ret)
{
	size_t n;
	uLongf blen = MAXLEN;

	memset(b->out, GUARD_BYTE, cap + GUARD);
	n = fmt_deflate_page(b->d, in, len, b->out, cap);
	for (size_t i = cap; i < cap + GUARD; i++) {
		if (b->out[i] != GUARD_BYTE)
			return 0;
	}
	*ret = n;
	if (n == 0)
		return 1;
	if (n > cap || n < 6 || b->out[0] != 0x78 || b->out[1] != 0x01)
		return 0;
	if (uncompress(b->back, &blen, b->out, n) != Z_OK || blen != len ||
	    memcmp(b->back, in, len) != 0)
		return 0;
	return 1;
}

static int round_trip_full(struct bufs *b, const uint8_t *in, size_t len, size_t *ret)
{
	return round_trip(b, in, len, len + 1024, ret);
}

enum kind { K_ZERO, K_RANDOM, K_TEXT, K_PATTERN, K_BYTES, K_POINTERS, K_HALF, K_NKIND };
static const char *const kind_names[K_NKIND] = {
	"zero", "random", "text", "pattern", "all-bytes", "pointers", "half-random",
};

static void fill(uint8_t *p, size_t len, enum kind k, uint64_t seed)
{
	static const char words[] = "the quick brown fox jumps over the lazy dog; kernel page "
				    "cache slab struct task_struct mm_struct vm_area_struct\n";
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i++) {
		switch (k) {
		case K_ZERO:
			p[i] = 0;
			break;
		case K_RANDOM:
			p[i] = (uint8_t)rnd(&s);
			break;
		case K_TEXT:
			p[i] = (uint8_t)words[(i * 7 + (rnd(&s) & 3 ? 0 : rnd(&s))) % (sizeof(words) - 1)];
			break;
		case K_PATTERN:
			p[i] = (uint8_t)(i % (3 + seed % 61));
			break;
		case K_BYTES:
			p[i] = (uint8_t)i;
			break;
		case K_POINTERS:
			/* 64-bit kernel pointers and small integers, as in struct pages */
			p[i] = (i & 7) >= 5 ? 0xff : (i & 7) == 4 ? 0x88 : (uint8_t)(rnd(&s) & 0x3f);
			break;
		default:
			p[i] = i < len / 2 ? (uint8_t)rnd(&s) : (uint8_t)(i >> 4);
			break;
		}
	}
}

static void test_kinds(struct tap *t, struct bufs *b, uint8_t *in)
{
	static const size_t lens[] = { 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 100, 255,
				       256, 257, 258, 259, 1000, 4095, 4096, 4097, 8191, 16384,
				       32767, 32768, 32769, 40000, 65534, 65535, 65536 };

	for (int k = 0; k < K_NKIND; k++) {
		int good = 1;
		size_t at = 0;

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			size_t n;

			fill(in, lens[i], (enum kind)k, i);
			if (!round_trip_full(b, in, lens[i], &n) || n == 0) {
				good = 0;
				at = lens[i];
				break;
			}
		}
		TAP_CHECK(t, good, "%s pages of 1..65536 bytes round-trip (failed length: %zu, 0 = none)",
			  kind_names[k], at);
	}
}

static void test_sizes(struct tap *t, struct bufs *b, uint8_t *in)
{
	size_t n;

	memset(in, 0, 4096);
	TAP_CHECK(t, round_trip_full(b, in, 4096, &n) && n > 0 && n < 40,
		  "a zero page compresses to %zu bytes", n);
	fill(in, 4096, K_RANDOM, 1);
	TAP_CHECK(t, round_trip_full(b, in, 4096, &n) && n == 2 + 5 + 4096 + 4,
		  "a random page is one stored block (%zu bytes)", n);
	fill(in, 65536, K_RANDOM, 2);
	TAP_CHECK(t, round_trip_full(b, in, 65536, &n) && n == 2 + 10 + 65536 + 4,
		  "65536 random bytes are two stored blocks (%zu bytes)", n);
	fill(in, 4096, K_BYTES, 0);
	TAP_CHECK(t, round_trip_full(b, in, 4096, &n) && n > 0 && n < 600,
		  "all 256 byte values repeated: %zu bytes", n);
	TAP_CHECK(t, fmt_deflate_page(b->d, in, 0, b->out, 100) == 0, "length 0 is refused");
	TAP_CHECK(t, fmt_deflate_page(b->d, in, MAXLEN + 1, b->out, 2 * MAXLEN) == 0,
		  "length 65537 is refused");
}

/* Every cap from 0 up to the full size: 0 below it, the same stream at and above it. */
static void test_caps(struct tap *t, struct bufs *b, uint8_t *in)
{
	for (int k = 0; k < K_NKIND; k++) {
		size_t full, n;
		int good;

		fill(in, 4096, (enum kind)k, 7);
		good = round_trip_full(b, in, 4096, &full) && full > 0;
		for (size_t cap = 0; good && cap <= full + 16; cap++) {
			good = round_trip(b, in, 4096, cap, &n) &&
			       (cap < full ? n == 0 : n == full);
		}
		TAP_CHECK(t, good, "%s page: every cap 0..%zu respected (guard intact)",
			  kind_names[k], full + 16);
	}
}

/* Mixed random pages: random lengths, random data kinds spliced together. */
static void test_random_mix(struct tap *t, struct bufs *b, uint8_t *in)
{
	uint64_t s = 12345;
	int good = 1;
	int i;

	for (i = 0; i < 400 && good; i++) {
		size_t len = 1 + rnd(&s) % (i < 300 ? 4096 : MAXLEN), n;

		for (size_t off = 0; off < len;) {
			size_t piece = 1 + rnd(&s) % 700;

			if (piece > len - off)
				piece = len - off;
			fill(in + off, piece, (enum kind)(rnd(&s) % K_NKIND), rnd(&s));
			if (rnd(&s) % 3 == 0 && off >= piece)
				memcpy(in + off, in + off - piece + rnd(&s) % piece / 2, piece / 2);
			off += piece;
		}
		good = round_trip_full(b, in, len, &n) && n > 0;
	}
	TAP_CHECK(t, good, "400 mixed inputs round-trip (stopped after %d)", i);
}

/* Every non-zero page of the first 64 MiB of a real vmcore's PT_LOAD data. */
static void test_real(struct tap *t, struct bufs *b)
{
	const char *path = "/var/cache/kdumpkit/vmcore-6.1-1g/vmcore";
	const uint64_t limit = 64ull << 20;
	uint64_t done = 0, pages = 0, bytes_out = 0, failed = 0;
	uint8_t page[4096];
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("skip - %s not present: real pages not tested\n", path);
		return;
	}
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh)) {
		TAP_CHECK(t, 0, "read the ELF header of %s", path);
		close(fd);
		return;
	}
	for (unsigned i = 0; i < eh.e_phnum && done < limit; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
			break;
		if (ph.p_type != PT_LOAD)
			continue;
		for (uint64_t off = 0; off + 4096 <= ph.p_filesz && done < limit; off += 4096) {
			size_t n;
			int zero = 1;

			if (pread(fd, page, 4096, (off_t)(ph.p_offset + off)) != 4096)
				break;
			done += 4096;
			for (int k = 0; k < 4096 && zero; k++)
				zero = page[k] == 0;
			if (zero)
				continue;
			pages++;
			if (!round_trip(b, page, 4096, 4096, &n))
				failed++;
			bytes_out += n ? n : 4096;
		}
	}
	close(fd);
	TAP_CHECK(t, pages > 0 && failed == 0,
		  "real 6.1 vmcore: %llu non-zero pages of the first 64 MiB round-trip (%llu failed, %llu bytes out)",
		  (unsigned long long)pages, (unsigned long long)failed,
		  (unsigned long long)bytes_out);
}

static void test_adler(struct tap *t, uint8_t *in)
{
	int good = 1;

	fill(in, MAXLEN, K_RANDOM, 9);
	for (size_t len = 0; len <= MAXLEN && good; len = len * 3 + 1) {
		good = fmt_deflate_adler32(1, in, len) == adler32(1, in, (uInt)len);
	}
	memset(in, 0xff, MAXLEN);
	good = good && fmt_deflate_adler32(1, in, MAXLEN) == adler32(1, in, MAXLEN);
	TAP_CHECK(t, good, "adler32 matches zlib's (random and 0xff bytes, 0..65536)");
}

int main(void)
{
	struct tap t = { 0 };
	struct kd_err err;
	struct bufs b = { 0 };
	uint8_t *in = malloc(MAXLEN + 1);

	b.out = malloc(MAXLEN + 1024 + GUARD);
	b.back = malloc(MAXLEN);
	kd_err_clear(&err);
	if (!in || !b.out || !b.back || fmt_deflate_create(&b.d, &err) != KD_OK) {
		printf("not ok - setup: %s\n", err.msg);
		return 1;
	}
	test_adler(&t, in);
	test_sizes(&t, &b, in);
	test_kinds(&t, &b, in);
	test_caps(&t, &b, in);
	test_random_mix(&t, &b, in);
	test_real(&t, &b);
	fmt_deflate_destroy(b.d);
	fmt_deflate_destroy(NULL);
	free(in);
	free(b.out);
	free(b.back);
	return tap_finish(&t);
}
