/* Writing a kdump-compressed file so that an interrupted run stays readable. */
#include "collector/collector-priv.h"
#include "formats/bigmem.h"

#include <stdlib.h>
#include <string.h>

#define OUT_DATA_BUF (4u << 20)
#define OUT_DESC_BUF 8192u	/* descriptors per flush */

static enum kd_status write_header(struct col_kdump_out *out, uint32_t status, struct kd_err *err)
{
	uint8_t h[FMT_KDUMP_HEADER_SIZE];

	fmt_kdump_encode_header(&out->info, &out->lay, status, h);
	return col_sink_pwrite(out->sink, h, sizeof(h), 0, err);
}

enum kd_status col_kdump_create(struct col_kdump_out *out, struct col_sink *sink,
				const struct fmt_kdump_info *info, struct kd_err *err)
{
	uint8_t sub[FMT_KDUMP_SUBHDR_SIZE];
	enum kd_status st;

	memset(out, 0, sizeof(*out));
	out->sink = sink;
	out->info = *info;
	fmt_kdump_layout(info, &out->lay);
	out->dbuf_cap = OUT_DATA_BUF;
	out->dbuf = kd_big_alloc(out->dbuf_cap);
	out->desc_cap = OUT_DESC_BUF * FMT_KDUMP_DESC_SIZE;
	out->descs = malloc(out->desc_cap);
	if (!out->dbuf || !out->descs)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for output buffers");
	/*
	 * A file's header says "incomplete" until the very end. A flattened stream
	 * gets one header record only (readers sort records by offset); a stream
	 * cut short has no end record, and `vmcore-save -R` then marks it.
	 */
	st = write_header(out, sink->flat ? 0 : FMT_KDUMP_STATUS_INCOMPLETE, err);
	if (st != KD_OK)
		return st;
	fmt_kdump_encode_subhdr(info, &out->lay, sub);
	st = col_sink_pwrite(sink, sub, sizeof(sub), out->lay.block_size, err);
	if (st == KD_OK && info->notes_size)
		st = col_sink_pwrite(sink, info->notes, info->notes_size,
				     (uint64_t)out->lay.block_size + FMT_KDUMP_SUBHDR_SIZE, err);
	return st;
}

/* Bitmap bytes are LSB-first per byte: a little-endian 64-bit word is exactly 8 of them. */
static void words_to_bytes(const uint64_t *w, uint8_t *b, size_t nwords)
{
	for (size_t i = 0; i < nwords; i++)
		put_le64(b + 8 * i, w[i]);
}

static bool all_zero(const uint64_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (w[i])
			return false;
	}
	return true;
}

enum kd_status col_kdump_write_bitmaps(struct col_kdump_out *out, uint64_t start_pfn,
				       const uint64_t *present, const uint64_t *dumpable,
				       size_t nwords, struct kd_err *err)
{
	uint64_t byte_off = start_pfn / 8;
	size_t len = nwords * 8;
	enum kd_status st;
	uint8_t *tmp;

	if (byte_off >= out->lay.bitmap_bytes)
		return KD_OK;
	if (byte_off + len > out->lay.bitmap_bytes)
		len = (size_t)(out->lay.bitmap_bytes - byte_off);
	tmp = calloc(nwords ? nwords : 1, 8);
	if (!tmp)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the bitmap");
	/*
	 * All-zero windows (holes in the address space) stay holes in a file. A flattened stream
	 * carries them, as makedumpfile's does: -R bounds how far past the bytes a stream has
	 * carried its records may land (formats/flat.c), and memory at high physical addresses
	 * would otherwise put the first bitmap record GiBs past a few KiB of stream.
	 */
	if (!all_zero(present, nwords) || out->sink->flat) {
		words_to_bytes(present, tmp, nwords);
		st = col_sink_pwrite(out->sink, tmp, len, out->lay.bitmap1_off + byte_off, err);
	} else {
		st = KD_OK;
	}
	if (st == KD_OK && (!all_zero(dumpable, nwords) || out->sink->flat)) {
		words_to_bytes(dumpable, tmp, nwords);
		st = col_sink_pwrite_keep(out->sink, tmp, len, out->lay.bitmap2_off + byte_off, err);
	}
	free(tmp);
	return st;
}

enum kd_status col_kdump_read_bitmap2(struct col_kdump_out *out, uint64_t start_pfn,
				      uint64_t *bits, size_t nwords, struct kd_err *err)
{
	uint64_t byte_off = start_pfn / 8;
	size_t len = nwords * 8;
	uint8_t *tmp = calloc(nwords ? nwords : 1, 8);
	enum kd_status st = KD_OK;

	if (!tmp)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the bitmap");
	if (byte_off + len > out->lay.bitmap_bytes)
		len = byte_off < out->lay.bitmap_bytes ? (size_t)(out->lay.bitmap_bytes - byte_off) : 0;
	if (len)
		st = col_sink_read_back(out->sink, tmp, len, out->lay.bitmap2_off + byte_off, err);
	for (size_t i = 0; i < nwords && st == KD_OK; i++)
		bits[i] = get_le64(tmp + 8 * i);
	free(tmp);
	return st;
}

static enum kd_status flush_data(struct col_kdump_out *out, struct kd_err *err)
{
	enum kd_status st;

	if (!out->dbuf_len)
		return KD_OK;
	st = col_sink_pwrite(out->sink, out->dbuf, out->dbuf_len, out->dbuf_off, err);
	if (st != KD_OK)
		return st;
	out->dbuf_off += out->dbuf_len;
	out->dbuf_len = 0;
	return KD_OK;
}

/* Descriptors go out only after the data they point at. */
static enum kd_status flush_all(struct col_kdump_out *out, struct kd_err *err)
{
	enum kd_status st = flush_data(out, err);

	if (st != KD_OK || !out->desc_len)
		return st;
	st = col_sink_pwrite(out->sink, out->descs, out->desc_len,
			     out->lay.desc_off + out->desc_first * FMT_KDUMP_DESC_SIZE, err);
	if (st != KD_OK)
		return st;
	out->desc_first += out->desc_len / FMT_KDUMP_DESC_SIZE;
	out->written_descs = out->desc_first;
	out->desc_len = 0;
	return KD_OK;
}

enum kd_status col_kdump_begin_pages(struct col_kdump_out *out, uint64_t nr_dumpable,
				     bool zero_page, struct kd_err *err)
{
	enum kd_status st;

	out->nr_dumpable = nr_dumpable;
	out->data_start = out->lay.desc_off + nr_dumpable * FMT_KDUMP_DESC_SIZE;
	out->data_pos = out->data_start;
	out->dbuf_off = out->data_start;
	/* A sparse descriptor table: unwritten descriptors read as offset 0 ("not written"). */
	st = col_sink_extend(out->sink, out->data_start, err);
	if (st != KD_OK || !zero_page)
		return st;
	memset(out->dbuf, 0, out->lay.block_size);
	out->dbuf_len = out->lay.block_size;
	out->zero_off = out->data_pos;
	out->data_pos += out->lay.block_size;
	return flush_data(out, err);
}

enum kd_status col_kdump_add_run(struct col_kdump_out *out, uint64_t base, const uint64_t *off,
				 const uint32_t *size, const uint32_t *flags, size_t n,
				 struct kd_err *err)
{
	size_t left = (size_t)(out->nr_dumpable - out->desc_next);
	bool too_many = n > left;

	if (too_many)
		n = left;	/* the pages before the first one too many go in */
	while (n) {
		size_t room = (out->desc_cap - out->desc_len) / FMT_KDUMP_DESC_SIZE;
		size_t k = n < room ? n : room;
		uint8_t *d = out->descs + out->desc_len;

		if (!room) {
			enum kd_status st = flush_all(out, err);

			if (st != KD_OK)
				return st;
			continue;
		}
		for (size_t i = 0; i < k; i++, d += FMT_KDUMP_DESC_SIZE) {
			if (flags[i] == COL_PAGE_UNREADABLE) {
				/*
				 * Offset 0 is the header, never page data: readers of an incomplete
				 * dump (crash's "page incomplete", libkdumpfile) take an all-zero
				 * descriptor as a page not written. The bitmaps still list the page:
				 * it was meant to be kept, not filtered out.
				 */
				fmt_kdump_encode_desc(0, 0, 0, d);
				out->unwritten++;
			} else if (size[i]) {
				fmt_kdump_encode_desc(base + off[i], size[i], flags[i], d);
			} else {
				fmt_kdump_encode_desc(out->zero_off, out->lay.block_size, 0, d);
			}
		}
		out->desc_len += k * FMT_KDUMP_DESC_SIZE;
		out->desc_next += k;
		off += k;
		size += k;
		flags += k;
		n -= k;
	}
	if (too_many)
		return kd_err_set(err, KD_ERR_INVALID, "more pages than the bitmap counts");
	return KD_OK;
}

/* Runs of page data at least this long go to the file as they are, not through dbuf. */
#define OUT_DIRECT_MIN (64u << 10)

enum kd_status col_kdump_add_data(struct col_kdump_out *out, const void *data, size_t len,
				  uint64_t *ret_off, struct kd_err *err)
{
	enum kd_status st;

	*ret_off = out->data_pos;
	if (len < OUT_DIRECT_MIN) {
		if (out->dbuf_len + len > out->dbuf_cap) {
			st = flush_data(out, err);
			if (st != KD_OK)
				return st;
		}
		memcpy(out->dbuf + out->dbuf_len, data, len);
		out->dbuf_len += len;
		out->data_pos += len;
		return KD_OK;
	}
	/* one copy less: the caller's buffer is written in place, after what dbuf holds */
	st = flush_data(out, err);
	if (st == KD_OK)
		st = col_sink_pwrite(out->sink, data, len, out->dbuf_off, err);
	if (st != KD_OK)
		return st;
	out->dbuf_off += len;
	out->data_pos += len;
	return KD_OK;
}

/*
 * The data write failed part way (full disk, -L): write the pending descriptors
 * whose page data did reach the file, so every page on disk stays readable.
 */
static void salvage_descs(struct col_kdump_out *out)
{
	uint64_t ok_end = out->sink->last_end;
	size_t n = 0;

	if (out->dbuf_len == 0 || ok_end <= out->dbuf_off)
		ok_end = out->dbuf_off;
	while (n * FMT_KDUMP_DESC_SIZE < out->desc_len) {
		const uint8_t *d = out->descs + n * FMT_KDUMP_DESC_SIZE;

		if (get_le64(d) + get_le32(d + 8) > ok_end)
			break;
		n++;
	}
	if (n && col_sink_pwrite(out->sink, out->descs, n * FMT_KDUMP_DESC_SIZE,
				 out->lay.desc_off + out->desc_first * FMT_KDUMP_DESC_SIZE, NULL) == KD_OK)
		out->written_descs = out->desc_first + n;
}

enum kd_status col_kdump_add_eraseinfo(struct col_kdump_out *out, const char *text, size_t len,
				       struct kd_err *err)
{
	uint8_t sub[FMT_KDUMP_SUBHDR_SIZE];
	uint64_t off;
	enum kd_status st;

	if (!len)
		return KD_OK;
	st = col_kdump_add_data(out, text, len, &off, err);
	if (st != KD_OK)
		return st;
	out->info.eraseinfo_off = off;
	out->info.eraseinfo_size = len;
	fmt_kdump_encode_subhdr(&out->info, &out->lay, sub);
	return col_sink_pwrite(out->sink, sub, sizeof(sub), out->lay.block_size, err);
}

enum kd_status col_kdump_finish(struct col_kdump_out *out, bool complete, struct kd_err *err)
{
	enum kd_status st = flush_all(out, err);

	if (st != KD_OK && !complete)
		salvage_descs(out);

	if (st == KD_OK)
		st = col_sink_sync(out->sink, err);
	if (st != KD_OK || !complete || out->written_descs != out->nr_dumpable)
		return st;
	if (out->sink->flat) {
		/* a second header record, after the first: -R applies records in order */
		if (out->unwritten)
			st = write_header(out, FMT_KDUMP_STATUS_INCOMPLETE, err);
		return st == KD_OK ? col_sink_finish(out->sink, err) : st;
	}
	if (out->unwritten)
		return KD_OK;	/* pages could not be read: the header stays "incomplete" */
	st = write_header(out, 0, err);
	if (st == KD_OK)
		st = col_sink_sync(out->sink, err);
	return st;
}

void col_kdump_release(struct col_kdump_out *out)
{
	kd_big_free(out->dbuf, out->dbuf_cap);
	free(out->descs);
	out->dbuf = NULL;
	out->descs = NULL;
}
