/* Physical memory map of a vmcore: sorted, disjoint ranges from the PT_LOADs. */
#include "formats/formats.h"

#include <stdlib.h>
#include <string.h>

static int load_cmp(const void *a, const void *b)
{
	const struct fmt_phys_range *x = a, *y = b;

	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	/* Longer range first, so a shorter duplicate at the same address is dropped. */
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return 0;
}

enum kd_status fmt_physmap_from_vmcore(const struct fmt_vmcore *vc, struct fmt_physmap *ret,
				       struct kd_err *err)
{
	struct fmt_phys_range *r;
	size_t n = 0, out = 0;
	uint64_t covered = 0;

	r = calloc(vc->nr_loads ? vc->nr_loads : 1, sizeof(*r));
	if (!r)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the memory map");
	for (size_t i = 0; i < vc->nr_loads; i++) {
		const struct fmt_load *l = &vc->loads[i];

		if (!l->memsz)
			continue;
		/* no machine addresses more than 52 bits (x86_64 and arm64 at most) */
		if (l->paddr >= FMT_MAX_PHYS_ADDR || l->memsz > FMT_MAX_PHYS_ADDR - l->paddr) {
			free(r);
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "PT_LOAD at physical %#llx (%#llx bytes) lies beyond the 52-bit physical address space",
					  (unsigned long long)l->paddr, (unsigned long long)l->memsz);
		}
		r[n].paddr = l->paddr;
		r[n].size = l->memsz;
		r[n].offset = l->offset;
		r[n].filesz = l->filesz;
		n++;
	}
	qsort(r, n, sizeof(*r), load_cmp);
	/* Trim overlaps: the kernel-text PT_LOAD maps memory a RAM PT_LOAD also maps. */
	for (size_t i = 0; i < n; i++) {
		struct fmt_phys_range cur = r[i];
		uint64_t end = cur.paddr + cur.size;

		if (out && end <= covered)
			continue;
		if (out && cur.paddr < covered) {
			uint64_t cut = covered - cur.paddr;

			cur.paddr = covered;
			cur.size -= cut;
			cur.offset += cut;
			cur.filesz = cur.filesz > cut ? cur.filesz - cut : 0;
		}
		r[out++] = cur;
		covered = end;
	}
	ret->ranges = r;
	ret->nr = out;
	ret->max_paddr = out ? r[out - 1].paddr + r[out - 1].size : 0;
	return KD_OK;
}

void fmt_physmap_deinit(struct fmt_physmap *pm)
{
	if (!pm)
		return;
	free(pm->ranges);
	pm->ranges = NULL;
	pm->nr = 0;
}

ssize_t fmt_physmap_find(const struct fmt_physmap *pm, uint64_t paddr)
{
	size_t lo = 0, hi = pm->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct fmt_phys_range *r = &pm->ranges[mid];

		if (paddr < r->paddr)
			hi = mid;
		else if (paddr - r->paddr >= r->size)
			lo = mid + 1;
		else
			return (ssize_t)mid;
	}
	return -1;
}

enum kd_status fmt_physmap_cut(struct fmt_physmap *pm, uint64_t paddr, uint64_t size,
			       struct kd_err *err)
{
	uint64_t end = size > UINT64_MAX - paddr ? UINT64_MAX : paddr + size;

	for (size_t i = 0; i < pm->nr && size; i++) {
		struct fmt_phys_range *r = &pm->ranges[i];
		uint64_t r_end = r->paddr + r->size, head, tail;

		if (end <= r->paddr || paddr >= r_end)
			continue;
		head = paddr > r->paddr ? paddr - r->paddr : 0;	/* bytes kept before the cut */
		tail = end < r_end ? r_end - end : 0;		/* bytes kept after it */
		if (head && tail) {
			struct fmt_phys_range *n = realloc(pm->ranges, (pm->nr + 1) * sizeof(*n));

			if (!n)
				return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the memory map");
			pm->ranges = n;
			r = &pm->ranges[i];
			memmove(r + 2, r + 1, (pm->nr - i - 1) * sizeof(*r));
			pm->nr++;
			r[1] = r[0];
			r[1].paddr = end;
			r[1].size = tail;
			r[1].offset = r->offset + (end - r->paddr);
			r[1].filesz = r->filesz > end - r->paddr ? r->filesz - (end - r->paddr) : 0;
			r->size = head;
			r->filesz = r->filesz < head ? r->filesz : head;
			i++;
		} else if (head) {
			r->size = head;
			r->filesz = r->filesz < head ? r->filesz : head;
		} else if (tail) {
			uint64_t cut = r->size - tail;

			r->paddr = end;
			r->size = tail;
			r->offset += cut;
			r->filesz = r->filesz > cut ? r->filesz - cut : 0;
		} else {
			memmove(r, r + 1, (pm->nr - i - 1) * sizeof(*r));
			pm->nr--;
			i--;
		}
	}
	return KD_OK;
}
