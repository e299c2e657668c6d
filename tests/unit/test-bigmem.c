/* kd_big_alloc: 2 MiB-aligned blocks of any size that can be written to the last byte, and
 * kd_big_free gives back exactly what was mapped (the address space does not grow). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bigmem.h"
#include "tests/unit/tap.h"

#define MIB ((size_t)1 << 20)

#ifndef KD_BIGMEM_MALLOC
#define HUGE_BLOCKS 1	/* sanitizer builds get malloc() (see bigmem.h) */
#endif

#ifdef HUGE_BLOCKS
/*
 * The bytes of all the process's mappings, from /proc/self/maps, or -1. (Not VmSize from
 * /proc/self/status: under qemu-user that is qemu's own, which grows as it translates code;
 * qemu shows the guest's mappings in /proc/self/maps.)
 */
static long long mapped_bytes(void)
{
	char line[512];
	unsigned long long lo, hi;
	long long sum = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2)
			sum += (long long)(hi - lo);
	}
	fclose(f);
	return sum;
}
#endif

int main(void)
{
	static const size_t sizes[] = { 1, 4096, MIB, 5 * 1212416, 4 * MIB, 4 * MIB + 1 };
	struct tap t = { 0 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uint8_t *p = kd_big_alloc(n);
		bool ok = p != NULL;

		if (ok) {
			memset(p, 0xa5, n);
			ok = p[0] == 0xa5 && p[n - 1] == 0xa5;
		}
		TAP_CHECK(&t, ok, "%zu bytes: allocated and writable to the last byte", n);
#ifdef HUGE_BLOCKS
		TAP_CHECK(&t, ((uintptr_t)p & (2 * MIB - 1)) == 0, "%zu bytes: aligned to 2 MiB", n);
#endif
		kd_big_free(p, n);
	}
	kd_big_free(NULL, MIB);	/* allowed, does nothing */

#ifdef HUGE_BLOCKS
	/* the trimmed head and tail of each mapping, and the block itself, are given back */
	void *warm = kd_big_alloc(3 * MIB);

	kd_big_free(warm, 3 * MIB);
	long long before = mapped_bytes();

	for (int k = 0; k < 64; k++) {
		void *p = kd_big_alloc(3 * MIB + (size_t)k * 4096);

		kd_big_free(p, 3 * MIB + (size_t)k * 4096);
	}
	long long after = mapped_bytes();

	TAP_CHECK(&t, before > 0 && after == before,
		  "64 blocks allocated and freed: the mappings are as before (%lld -> %lld bytes)",
		  before, after);
#endif
	return tap_finish(&t);
}
