/* fmt_physmap_cut: ranges taken out of a physical memory map (--mem-usage /proc/kcore). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
#include "tests/unit/tap.h"

/* Two ranges: [0x1000, 0x9f000) all in the file at 0x10000, [0x100000, 0x40000000) with the
 * file bytes ending 0x1000 before its end. */
static void make_map(struct fmt_physmap *pm)
{
	static const struct fmt_phys_range init[2] = {
		{ .paddr = 0x1000, .size = 0x9e000, .offset = 0x10000, .filesz = 0x9e000 },
		{ .paddr = 0x100000, .size = 0x3ff00000, .offset = 0x200000, .filesz = 0x3feff000 },
	};

	pm->ranges = malloc(sizeof(init));
	memcpy(pm->ranges, init, sizeof(init));
	pm->nr = 2;
	pm->max_paddr = 0x40000000;
}

static int range_is(const struct fmt_physmap *pm, size_t i, uint64_t paddr, uint64_t size,
		    uint64_t offset, uint64_t filesz)
{
	const struct fmt_phys_range *r;

	if (i >= pm->nr) {
		printf("# no range %zu (%zu ranges)\n", i, pm->nr);
		return 0;
	}
	r = &pm->ranges[i];
	if (r->paddr != paddr || r->size != size || r->offset != offset ||
	    r->filesz != filesz) {
		printf("# range %zu: %#llx+%#llx at %#llx (%#llx in file)\n", i,
		       (unsigned long long)r->paddr, (unsigned long long)r->size,
		       (unsigned long long)r->offset, (unsigned long long)r->filesz);
		return 0;
	}
	return 1;
}

int main(void)
{
	struct tap t = { 0 };
	struct kd_err err;
	struct fmt_physmap pm;

	kd_err_clear(&err);
	make_map(&pm);
	TAP_CHECK(&t, fmt_physmap_cut(&pm, 0x2c000000, 0x10000000, &err) == KD_OK &&
		  pm.nr == 3 && range_is(&pm, 0, 0x1000, 0x9e000, 0x10000, 0x9e000) &&
		  range_is(&pm, 1, 0x100000, 0x2bf00000, 0x200000, 0x2bf00000) &&
		  range_is(&pm, 2, 0x3c000000, 0x4000000, 0x200000 + 0x3bf00000, 0x3fff000) &&
		  pm.max_paddr == 0x40000000,
		  "a cut in the middle of a range splits it (offsets and file sizes follow)");
	fmt_physmap_deinit(&pm);

	make_map(&pm);
	TAP_CHECK(&t, fmt_physmap_cut(&pm, 0x3ff00000, 0x200000, &err) == KD_OK && pm.nr == 2 &&
		  range_is(&pm, 1, 0x100000, 0x3fe00000, 0x200000, 0x3fe00000),
		  "a cut past a range's end shortens it (and its file bytes)");
	fmt_physmap_deinit(&pm);

	make_map(&pm);
	TAP_CHECK(&t, fmt_physmap_cut(&pm, 0, 0x100000 + 0x1000, &err) == KD_OK && pm.nr == 1 &&
		  range_is(&pm, 0, 0x101000, 0x3feff000, 0x201000, 0x3fefe000),
		  "a cut over a whole range and the head of the next removes one, trims the other");
	fmt_physmap_deinit(&pm);

	make_map(&pm);
	TAP_CHECK(&t, fmt_physmap_cut(&pm, 0x9f000, 0x61000, &err) == KD_OK && pm.nr == 2 &&
		  range_is(&pm, 0, 0x1000, 0x9e000, 0x10000, 0x9e000) &&
		  range_is(&pm, 1, 0x100000, 0x3ff00000, 0x200000, 0x3feff000),
		  "a cut in a hole changes nothing");
	TAP_CHECK(&t, fmt_physmap_cut(&pm, 0, UINT64_MAX, &err) == KD_OK && pm.nr == 0,
		  "a cut of everything (size to the end of the address space) empties the map");
	fmt_physmap_deinit(&pm);

	make_map(&pm);
	TAP_CHECK(&t, fmt_physmap_cut(&pm, 0x2000, 0x1000, &err) == KD_OK &&
		  fmt_physmap_cut(&pm, 0x20000000, 0x1000, &err) == KD_OK && pm.nr == 4 &&
		  range_is(&pm, 0, 0x1000, 0x1000, 0x10000, 0x1000) &&
		  range_is(&pm, 1, 0x3000, 0x9c000, 0x12000, 0x9c000) &&
		  fmt_physmap_find(&pm, 0x2000) == -1 && fmt_physmap_find(&pm, 0x20000fff) == -1 &&
		  fmt_physmap_find(&pm, 0x20001000) == 3,
		  "two cuts: four ranges, fmt_physmap_find skips the holes");
	fmt_physmap_deinit(&pm);
	return tap_finish(&t);
}
