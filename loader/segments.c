/* Segment placement and digests shared by every architecture's kexec_load plan. */
#include "loader/segments.h"

#include <inttypes.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/purgatory-reloc.h"
#include "loader/sha256.h"
#include "purgatory/abi.h"

enum kd_status ldr_place(struct ldr_placer *pl, uint64_t memsz, uint64_t align, const char *what,
			 uint64_t *ret, struct kd_err *err)
{
	uint64_t addr;

	if (memsz > pl->top - pl->lo)
		goto nospc;
	addr = (pl->top - memsz) & ~(align - 1);
	if (addr < pl->lo)
		goto nospc;
	pl->top = addr;
	*ret = addr;
	return KD_OK;
nospc:
	return kd_err_set(err, KD_ERR_NOSPC,
			  "%s (0x%" PRIx64 " bytes) does not fit in the crash range above the "
			  "kernel (0x%" PRIx64 "-0x%" PRIx64 " left)", what, memsz, pl->lo, pl->top);
}

int ldr_segment_cmp(const void *a, const void *b)
{
	const struct ldr_kexec_segment *x = a, *y = b;

	return x->mem < y->mem ? -1 : x->mem > y->mem;
}

void ldr_segments_print(const struct ldr_kexec_segment *seg, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "segment %-12s 0x%09" PRIx64 "-0x%09" PRIx64 " (%" PRIu64
			" bytes, %zu from the file)\n", seg[i].what, seg[i].mem,
			seg[i].mem + seg[i].memsz - 1, seg[i].memsz, seg[i].bufsz);
}

enum kd_status ldr_purgatory_place(const void *image, size_t size, struct ldr_placer *pl,
				   uint64_t page, struct ldr_purgatory **ret, uint64_t *addr_ret,
				   uint64_t *memsz_ret, uint64_t *entry_ret, struct kd_err *err)
{
	uint64_t align, memsz;
	enum kd_status st;

	if ((st = ldr_purgatory_open(image, size, ret, err)))
		return st;
	align = ldr_purgatory_align(*ret);
	memsz = ldr_align_up(ldr_purgatory_memsz(*ret), page);
	if ((st = ldr_place(pl, memsz, align > page ? align : page, "purgatory", addr_ret, err)) ||
	    (st = ldr_purgatory_relocate(*ret, *addr_ret, err)) ||
	    (st = ldr_purgatory_symbol_addr(*ret, PURGATORY_SYM_ENTRY, entry_ret, err)))
		return st;
	*memsz_ret = memsz;
	return KD_OK;
}

enum kd_status ldr_purgatory_seal(struct ldr_purgatory *p, const struct ldr_kexec_segment *seg,
				  size_t nr, uint8_t digest[32], struct kd_err *err)
{
	uint8_t regions[PURGATORY_SHA256_REGIONS * 16] = { 0 };
	struct ldr_sha256 sha;
	size_t n = 0;
	enum kd_status st;

	ldr_sha256_init(&sha);
	for (size_t i = 0; i < nr; i++) {
		const struct ldr_kexec_segment *s = &seg[i];

		if (s->bufsz == 0 || !strcmp(s->what, "purgatory"))
			continue;
		if (n == PURGATORY_SHA256_REGIONS)
			return kd_err_set(err, KD_ERR_INVALID, "more segments than purgatory checks");
		put_le64(regions + n * 16, s->mem);
		put_le64(regions + n * 16 + 8, s->bufsz);
		n++;
		ldr_sha256_update(&sha, s->buf, s->bufsz);
	}
	ldr_sha256_final(&sha, digest);
	st = ldr_purgatory_set_symbol(p, PURGATORY_SYM_REGIONS, regions, sizeof(regions), err);
	if (!st)
		st = ldr_purgatory_set_symbol(p, PURGATORY_SYM_DIGEST, digest, 32, err);
	return st;
}
