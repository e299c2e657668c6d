/* The flattened format (makedumpfile -F): a 4 KiB header, then big-endian
 * {offset, size} records each followed by its bytes, ended by {-1, -1}. */
#include "formats/formats.h"

#include <stdlib.h>
#include <string.h>

void fmt_flat_encode_header(uint8_t buf[FMT_FLAT_HEADER_SIZE])
{
	memset(buf, 0, FMT_FLAT_HEADER_SIZE);
	memcpy(buf, "makedumpfile", 12);	/* NUL-padded to 16 bytes */
	put_be64(buf + 16, 1);			/* type: flat header */
	put_be64(buf + 24, 1);			/* version */
}

enum kd_status fmt_flat_check_header(const uint8_t buf[FMT_FLAT_HEADER_SIZE], struct kd_err *err)
{
	static const char sig[16] = "makedumpfile";

	if (memcmp(buf, sig, sizeof(sig)) != 0)
		return kd_err_set(err, KD_ERR_CORRUPT, "not a flattened dump (bad signature)");
	if (get_be64(buf + 16) != 1)
		return kd_err_set(err, KD_ERR_CORRUPT, "flattened dump has an unknown type %llu",
				  (unsigned long long)get_be64(buf + 16));
	if (get_be64(buf + 24) != 1)
		return kd_err_set(err, KD_ERR_NOTIMPL, "flattened dump version %llu is not supported",
				  (unsigned long long)get_be64(buf + 24));
	return KD_OK;
}

void fmt_flat_encode_record(uint64_t offset, uint64_t size, uint8_t buf[FMT_FLAT_RECORD_SIZE])
{
	put_be64(buf, offset);
	put_be64(buf + 8, size);
}

void fmt_flat_encode_end(uint8_t buf[FMT_FLAT_RECORD_SIZE])
{
	memset(buf, 0xff, FMT_FLAT_RECORD_SIZE);
}

enum kd_status fmt_flat_decode_record(const uint8_t buf[FMT_FLAT_RECORD_SIZE], uint64_t *ret_offset,
				      uint64_t *ret_size, bool *ret_end, struct kd_err *err)
{
	int64_t off = (int64_t)get_be64(buf);
	int64_t size = (int64_t)get_be64(buf + 8);

	if (off == -1 && size == -1) {
		*ret_end = true;
		return KD_OK;
	}
	if (off < 0 || size < 0 || (uint64_t)size > FMT_FLAT_MAX_RECORD ||
	    (uint64_t)off + (uint64_t)size < (uint64_t)off)
		return kd_err_set(err, KD_ERR_CORRUPT, "flattened record has a bad offset %lld or size %lld",
				  (long long)off, (long long)size);
	*ret_end = false;
	*ret_offset = (uint64_t)off;
	*ret_size = (uint64_t)size;
	return KD_OK;
}

/* ---- how far a rebuilt file may reach (vmcore-save -R) ---- */

/* Bytes kept from the start of the rebuilt file: a kdump sub-header at the largest block
 * size ends here. */
#define LIMIT_WINDOW (262144u + FMT_KDUMP_SUBHDR_SIZE)

struct fmt_flat_limit {
	uint64_t carried;	/* record data read so far */
	uint64_t bound;		/* once settled: the file ends here at most */
	bool settled;		/* the header has been judged: bound, and kind or why, hold */
	const char *kind;	/* "kdump file" when bound comes from a header */
	const char *why;	/* settled without a header bound: the reason */
	uint8_t head[LIMIT_WINDOW];
	uint8_t have[LIMIT_WINDOW / 8 + 1];	/* one bit per byte of head that has arrived */
};

enum kd_status fmt_flat_limit_create(struct fmt_flat_limit **ret, struct kd_err *err)
{
	struct fmt_flat_limit *lim = calloc(1, sizeof(*lim));

	if (!lim)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	*ret = lim;
	return KD_OK;
}

void fmt_flat_limit_destroy(struct fmt_flat_limit *lim)
{
	free(lim);
}

static bool head_has(const struct fmt_flat_limit *lim, uint64_t lo, uint64_t hi)
{
	if (hi > LIMIT_WINDOW)
		return false;
	for (uint64_t i = lo; i < hi; i++)
		if (!(lim->have[i / 8] & (1u << (i % 8))))
			return false;
	return true;
}

static void settle(struct fmt_flat_limit *lim, uint64_t bound, const char *kind, const char *why)
{
	lim->settled = true;
	lim->bound = bound;
	lim->kind = kind;
	lim->why = why;
}

/* The largest file a kdump header describes: header blocks, both bitmaps, a descriptor and
 * a block of data (never more: compressed data is kept only if smaller) per pfn, the shared
 * zero page, eraseinfo. NULL, or why the header gives no bound. */
static const char *kdump_bound(const uint8_t *h, const uint8_t *sub, uint64_t *ret)
{
	uint32_t version = get_le32(h + 8), bs = get_le32(h + 428);
	uint64_t sub_blocks = get_le32(h + 432), bitmap_blocks = get_le32(h + 436);
	uint64_t mapnr = version >= 6 ? get_le64(sub + 96) : get_le32(h + 440);
	uint64_t each = bitmap_blocks / 2 * bs, erase = version >= 5 ? get_le64(sub + 72) : 0;

	if (sub_blocks == 0)
		return "its sub-header size is zero";
	if (bitmap_blocks < 2 || (bitmap_blocks & 1))
		return "its bitmap block count is not even";
	if (mapnr > (1ull << 56) / bs)
		return "its max_mapnr is past 64 PiB of memory";
	if (mapnr > each * 8)
		return "its max_mapnr exceeds the bitmap size";
	if (fmt_kdump_bitmaps_oversized(each, mapnr, bs))
		return "its bitmaps are larger than max_mapnr needs";
	*ret = (1 + sub_blocks + bitmap_blocks) * bs + mapnr * FMT_KDUMP_DESC_SIZE +
	       (mapnr + 1) * bs + (erase < FMT_FLAT_MAX_RECORD ? erase : FMT_FLAT_MAX_RECORD);
	return NULL;
}

static void settle_kdump(struct fmt_flat_limit *lim)
{
	uint32_t bs;
	uint64_t bound;
	const char *why;

	if (!head_has(lim, 0, FMT_KDUMP_HEADER_SIZE))
		return;
	bs = get_le32(lim->head + 428);
	if (!fmt_kdump_block_size_ok(bs)) {
		settle(lim, FMT_FLAT_HEADLESS_LIMIT, NULL,
		       "its block size is not a power of two between 4 KiB and 256 KiB");
		return;
	}
	if (!head_has(lim, bs, bs + FMT_KDUMP_SUBHDR_SIZE))
		return;
	why = kdump_bound(lim->head, lim->head + bs, &bound);
	settle(lim, why ? FMT_FLAT_HEADLESS_LIMIT : bound, why ? NULL : "kdump file", why);
}

static void try_settle(struct fmt_flat_limit *lim)
{
	if (!head_has(lim, 0, 8))
		return;
	if (memcmp(lim->head, "KDUMP   ", 8) == 0 || memcmp(lim->head, "DISKDUMP", 8) == 0)
		settle_kdump(lim);
	else if (memcmp(lim->head, "\177ELF", 4) == 0)
		settle(lim, UINT64_MAX, NULL, NULL);	/* its program headers may come late: lead rule */
	else
		settle(lim, FMT_FLAT_HEADLESS_LIMIT, NULL, "offset 0 holds no kdump or ELF signature");
}

enum kd_status fmt_flat_limit_record(const struct fmt_flat_limit *lim, uint64_t offset,
				     uint64_t size, struct kd_err *err)
{
	const uint64_t end = offset + size;	/* fmt_flat_decode_record checked the sum */

	if (lim->settled && lim->kind && end > lim->bound)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "a record at offset %#llx (%llu bytes) ends past %#llx, the most a %s "
				  "with this header needs",
				  (unsigned long long)offset, (unsigned long long)size,
				  (unsigned long long)lim->bound, lim->kind);
	if (lim->settled && lim->why && end > lim->bound)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "a record at offset %#llx (%llu bytes) ends past %llu MiB, and the "
				  "dump header gives no bound: %s",
				  (unsigned long long)offset, (unsigned long long)size,
				  (unsigned long long)(lim->bound >> 20), lim->why);
	if (!lim->settled && end > FMT_FLAT_HEADLESS_LIMIT)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "a record at offset %#llx (%llu bytes) ends past %llu MiB before "
				  "the stream has given the dump header",
				  (unsigned long long)offset, (unsigned long long)size,
				  (unsigned long long)(FMT_FLAT_HEADLESS_LIMIT >> 20));
	return KD_OK;
}

enum kd_status fmt_flat_limit_data(struct fmt_flat_limit *lim, uint64_t offset, const void *buf,
				   size_t len, struct kd_err *err)
{
	const uint64_t carried = lim->carried + len;

	if (carried <= (UINT64_MAX - FMT_FLAT_LEAD_SLACK) / FMT_FLAT_LEAD_RATIO &&
	    offset + len > carried * FMT_FLAT_LEAD_RATIO + FMT_FLAT_LEAD_SLACK)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "data at offset %#llx lies more than %u times past the %llu bytes "
				  "the stream has carried",
				  (unsigned long long)offset, FMT_FLAT_LEAD_RATIO,
				  (unsigned long long)carried);
	lim->carried = carried;
	if (offset >= LIMIT_WINDOW)
		return KD_OK;	/* a header rewritten later (a writer's final status) is judged again */
	for (uint64_t i = offset; i < offset + len && i < LIMIT_WINDOW; i++) {
		lim->head[i] = ((const uint8_t *)buf)[i - offset];
		lim->have[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	try_settle(lim);
	return KD_OK;
}
