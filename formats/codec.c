/* Page codecs (none, zlib, lzo, zstd) behind one table, with per-thread state. */
#include "formats/formats.h"
#include "formats/deflate.h"

#include <lzo/lzo1x.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

struct fmt_codec {
	enum fmt_codec_id id;
	size_t page_size;
	size_t bound;
	z_stream zc;		/* deflate state (zlib) */
	z_stream zd;		/* inflate state (zlib) */
	bool zc_ready;
	bool zd_ready;
	bool system_zlib;	/* compress with zlib's deflate, not fmt_deflate */
	struct fmt_deflate *fast;
	void *lzo_wrk;
	ZSTD_CCtx *zstd_c;
	ZSTD_DCtx *zstd_d;
};

const char *fmt_codec_name(enum fmt_codec_id id)
{
	switch (id) {
	case FMT_CODEC_NONE:
		return "none";
	case FMT_CODEC_ZLIB:
		return "zlib";
	case FMT_CODEC_LZO:
		return "lzo";
	case FMT_CODEC_SNAPPY:
		return "snappy";
	case FMT_CODEC_ZSTD:
		return "zstd";
	}
	return "unknown";
}

enum kd_status fmt_codec_create(enum fmt_codec_id id, size_t page_size, struct fmt_codec **ret,
				struct kd_err *err)
{
	struct fmt_codec *c;

	if (id == FMT_CODEC_SNAPPY)
		return kd_err_set(err, KD_ERR_NOTIMPL, "snappy compression is not supported");
	if (id != FMT_CODEC_NONE && id != FMT_CODEC_ZLIB && id != FMT_CODEC_LZO &&
	    id != FMT_CODEC_ZSTD)
		return kd_err_set(err, KD_ERR_NOTIMPL, "unknown compression %#x", (unsigned)id);
	c = calloc(1, sizeof(*c));
	if (!c)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the codec");
	c->id = id;
	c->page_size = page_size;
	switch (id) {
	case FMT_CODEC_ZLIB:
		c->bound = compressBound(page_size);
		break;
	case FMT_CODEC_LZO:
		if (lzo_init() != LZO_E_OK) {
			free(c);
			return kd_err_set(err, KD_ERR_SYSTEM, "lzo_init failed");
		}
		c->lzo_wrk = malloc(LZO1X_1_MEM_COMPRESS);
		c->bound = page_size + page_size / 16 + 64 + 3;
		break;
	case FMT_CODEC_ZSTD:
		c->zstd_c = ZSTD_createCCtx();
		c->zstd_d = ZSTD_createDCtx();
		c->bound = ZSTD_compressBound(page_size);
		break;
	default:
		c->bound = page_size;
		break;
	}
	if ((id == FMT_CODEC_LZO && !c->lzo_wrk) ||
	    (id == FMT_CODEC_ZSTD && (!c->zstd_c || !c->zstd_d))) {
		fmt_codec_destroy(c);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the codec");
	}
	*ret = c;
	return KD_OK;
}

void fmt_codec_destroy(struct fmt_codec *c)
{
	if (!c)
		return;
	if (c->zc_ready)
		deflateEnd(&c->zc);
	if (c->zd_ready)
		inflateEnd(&c->zd);
	fmt_deflate_destroy(c->fast);
	free(c->lzo_wrk);
	ZSTD_freeCCtx(c->zstd_c);
	ZSTD_freeDCtx(c->zstd_d);
	free(c);
}

size_t fmt_codec_bound(const struct fmt_codec *c)
{
	return c->bound;
}

void fmt_codec_set_system_zlib(struct fmt_codec *c, bool on)
{
	c->system_zlib = on;
}

/* One zlib stream per page from formats/deflate.c; too big for @cap: stored raw. */
static enum kd_status fast_compress(struct fmt_codec *c, const void *page, void *dst, size_t cap,
				    size_t *ret_len, struct kd_err *err)
{
	size_t n;

	if (!c->fast) {
		enum kd_status st = fmt_deflate_create(&c->fast, err);

		if (st != KD_OK)
			return st;
	}
	n = fmt_deflate_page(c->fast, page, c->page_size, dst, cap);
	if (!n)
		return KD_ERR_NODATA;
	*ret_len = n;
	return KD_OK;
}

/* One zlib stream per page at level 1, as zlib's compress2(Z_BEST_SPEED) makes. */
static enum kd_status zlib_compress(struct fmt_codec *c, const void *page, void *dst,
				    size_t cap, size_t *ret_len, struct kd_err *err)
{
	int rc;

	if (!c->zc_ready) {
		if (deflateInit(&c->zc, Z_BEST_SPEED) != Z_OK)
			return kd_err_set(err, KD_ERR_NOMEM, "zlib: deflateInit failed");
		c->zc_ready = true;
	} else if (deflateReset(&c->zc) != Z_OK) {
		return kd_err_set(err, KD_ERR_SYSTEM, "zlib: deflateReset failed");
	}
	c->zc.next_in = (Bytef *)page;
	c->zc.avail_in = (uInt)c->page_size;
	c->zc.next_out = dst;
	c->zc.avail_out = (uInt)cap;
	rc = deflate(&c->zc, Z_FINISH);
	if (rc != Z_STREAM_END)
		return kd_err_set(err, KD_ERR_SYSTEM, "zlib: deflate failed (%d)", rc);
	*ret_len = cap - c->zc.avail_out;
	return KD_OK;
}

static enum kd_status zlib_decompress(struct fmt_codec *c, const void *src, size_t len,
				      void *page, struct kd_err *err)
{
	int rc;

	if (!c->zd_ready) {
		if (inflateInit(&c->zd) != Z_OK)
			return kd_err_set(err, KD_ERR_NOMEM, "zlib: inflateInit failed");
		c->zd_ready = true;
	} else if (inflateReset(&c->zd) != Z_OK) {
		return kd_err_set(err, KD_ERR_SYSTEM, "zlib: inflateReset failed");
	}
	c->zd.next_in = (Bytef *)src;
	c->zd.avail_in = (uInt)len;
	c->zd.next_out = page;
	c->zd.avail_out = (uInt)c->page_size;
	rc = inflate(&c->zd, Z_FINISH);
	if (rc != Z_STREAM_END || c->zd.avail_out != 0)
		return kd_err_set(err, KD_ERR_CORRUPT, "zlib: corrupt compressed page");
	return KD_OK;
}

enum kd_status fmt_codec_compress(struct fmt_codec *c, const void *page, void *dst, size_t cap,
				  size_t *ret_len, struct kd_err *err)
{
	enum kd_status st = KD_OK;
	size_t out = 0;

	switch (c->id) {
	case FMT_CODEC_ZLIB:
		if (c->system_zlib || c->page_size > FMT_DEFLATE_MAX_INPUT)
			st = zlib_compress(c, page, dst, cap, &out, err);
		else
			st = fast_compress(c, page, dst, cap, &out, err);
		break;
	case FMT_CODEC_LZO: {
		lzo_uint lo = cap;

		if (lzo1x_1_compress(page, c->page_size, dst, &lo, c->lzo_wrk) != LZO_E_OK)
			return kd_err_set(err, KD_ERR_SYSTEM, "lzo: compression failed");
		out = lo;
		break;
	}
	case FMT_CODEC_ZSTD: {
		size_t r = ZSTD_compressCCtx(c->zstd_c, dst, cap, page, c->page_size, 1);

		if (ZSTD_isError(r))
			return kd_err_set(err, KD_ERR_SYSTEM, "zstd: %s", ZSTD_getErrorName(r));
		out = r;
		break;
	}
	default:
		return KD_ERR_NODATA;
	}
	if (st != KD_OK)
		return st;
	if (out >= c->page_size)
		return KD_ERR_NODATA;
	*ret_len = out;
	return KD_OK;
}

enum kd_status fmt_codec_decompress(struct fmt_codec *c, const void *src, size_t len, void *page,
				    struct kd_err *err)
{
	switch (c->id) {
	case FMT_CODEC_ZLIB:
		return zlib_decompress(c, src, len, page, err);
	case FMT_CODEC_LZO: {
		lzo_uint out = c->page_size;

		if (lzo1x_decompress_safe(src, len, page, &out, NULL) != LZO_E_OK ||
		    out != c->page_size)
			return kd_err_set(err, KD_ERR_CORRUPT, "lzo: corrupt compressed page");
		return KD_OK;
	}
	case FMT_CODEC_ZSTD: {
		size_t r = ZSTD_decompressDCtx(c->zstd_d, page, c->page_size, src, len);

		if (ZSTD_isError(r) || r != c->page_size)
			return kd_err_set(err, KD_ERR_CORRUPT, "zstd: corrupt compressed page");
		return KD_OK;
	}
	default:
		if (len != c->page_size)
			return kd_err_set(err, KD_ERR_CORRUPT, "raw page has size %zu", len);
		memcpy(page, src, len);
		return KD_OK;
	}
}
