/* The capture kernel's e820 memory map: crash ranges as RAM plus firmware ranges. */
#include "loader/arch/x86_64/x86_64.h"

#include <stdlib.h>

enum { LOW_MEM_END = 1 << 20 };

struct e820_vec {
	struct ldr_e820 *v;
	size_t n, cap;
};

static enum kd_status vec_add(struct e820_vec *vec, uint64_t start, uint64_t end, uint32_t type,
			      struct kd_err *err)
{
	if (start >= end)
		return KD_OK;
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 32;
		struct ldr_e820 *v = realloc(vec->v, cap * sizeof(*v));

		if (!v)
			return kd_err_set(err, KD_ERR_NOMEM, "e820: out of memory");
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = (struct ldr_e820){ start, end, type };
	return KD_OK;
}

/* Add [start, end) minus every hole (holes may be in any order). */
static enum kd_status add_minus_holes(struct e820_vec *vec, uint64_t start, uint64_t end,
				      uint32_t type, const struct ldr_e820 *holes, size_t nr_holes,
				      struct kd_err *err)
{
	for (size_t i = 0; i < nr_holes; i++) {
		const struct ldr_e820 *h = &holes[i];

		if (h->end <= start || h->start >= end)
			continue;
		if (h->start > start) {
			enum kd_status st = add_minus_holes(vec, start, h->start, type, holes,
							    nr_holes, err);
			if (st)
				return st;
		}
		if (h->end < end)
			return add_minus_holes(vec, h->end, end, type, holes, nr_holes, err);
		return KD_OK;
	}
	return vec_add(vec, start, end, type, err);
}

static int e820_cmp(const void *a, const void *b)
{
	const struct ldr_e820 *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* RAM first, so a firmware entry starting at the same place is the one clipped */
	return (x->type != LDR_E820_RAM) - (y->type != LDR_E820_RAM);
}

static uint32_t firmware_type(enum ldr_range_kind kind)
{
	switch (kind) {
	case LDR_RANGE_ACPI_TABLES: return LDR_E820_ACPI;
	case LDR_RANGE_ACPI_NVS: return LDR_E820_NVS;
	case LDR_RANGE_RESERVED: return LDR_E820_RESERVED;
	case LDR_RANGE_PMEM: return LDR_E820_PMEM;
	case LDR_RANGE_PMEM_LEGACY: return LDR_E820_PRAM;
	default: return 0;
	}
}

/* Sort, then clip each firmware entry so it overlaps nothing before it; RAM never overlaps RAM. */
static void sort_and_clip(struct e820_vec *vec)
{
	size_t out = 0;
	uint64_t covered = 0;

	qsort(vec->v, vec->n, sizeof(*vec->v), e820_cmp);
	for (size_t i = 0; i < vec->n; i++) {
		struct ldr_e820 e = vec->v[i];

		if (out && e.start < covered)
			e.start = covered;
		if (e.start >= e.end)
			continue;
		if (out && vec->v[out - 1].end == e.start && vec->v[out - 1].type == e.type)
			vec->v[out - 1].end = e.end;	/* merge touching entries of one type */
		else
			vec->v[out++] = e;
		covered = e.end;
	}
	vec->n = out;
}

enum kd_status ldr_e820_build(const struct ldr_range *ram, size_t nr_ram,
			      const struct ldr_range *crash, size_t nr_crash,
			      const struct ldr_range *firmware, size_t nr_firmware,
			      const struct ldr_e820 *holes, size_t nr_holes,
			      struct ldr_e820 **ret, size_t *nr_ret, struct kd_err *err)
{
	struct e820_vec vec = { 0 };
	enum kd_status st = KD_OK;
	/* RAM entries (low 1 MiB, crash ranges) are holes for the firmware entries */
	struct e820_vec ramv = { 0 };

	for (size_t i = 0; i < nr_ram && !st; i++)
		if (ram[i].start < LOW_MEM_END)
			st = vec_add(&ramv, ram[i].start,
				     ram[i].end + 1 < LOW_MEM_END ? ram[i].end + 1 : LOW_MEM_END,
				     LDR_E820_RAM, err);
	for (size_t i = 0; i < nr_crash && !st; i++)
		st = vec_add(&ramv, crash[i].start, crash[i].end + 1, LDR_E820_RAM, err);
	for (size_t i = 0; i < ramv.n && !st; i++)
		st = add_minus_holes(&vec, ramv.v[i].start, ramv.v[i].end, LDR_E820_RAM, holes,
				     nr_holes, err);
	for (size_t i = 0; i < nr_firmware && !st; i++) {
		uint32_t type = firmware_type(firmware[i].kind);

		if (type)
			st = add_minus_holes(&vec, firmware[i].start, firmware[i].end + 1, type,
					     ramv.v, ramv.n, err);
	}
	free(ramv.v);
	if (st) {
		free(vec.v);
		return st;
	}
	sort_and_clip(&vec);
	*ret = vec.v;
	*nr_ret = vec.n;
	return KD_OK;
}
