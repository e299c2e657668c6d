/* libFuzzer target: fmt_deflate_page on any bytes (up to 64 KiB) with a chosen output cap.
 * Input: 2 control bytes (the cap: bit 0 of the first set = room for any stream, else the
 * 16-bit value modulo len + 32), then the page. Checks: the stream decodes with zlib's
 * uncompress to exactly the page, the cap is never exceeded (the output buffer is exactly
 * cap bytes, so ASan sees any overrun), 0 is returned only when the stream would not fit,
 * and the same page gives the same bytes with a larger cap. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "formats/deflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt_deflate *d = NULL;
	struct kd_err err;
	const uint8_t *page;
	size_t len, cap, full_cap, n, full;
	uint8_t *out, *full_out, *back;
	uLongf blen;

	if (size < 3)
		return 0;
	page = data + 2;
	len = size - 2;
	if (len > FMT_DEFLATE_MAX_INPUT)
		len = FMT_DEFLATE_MAX_INPUT;
	full_cap = len + len / 64 + 64;
	cap = (data[0] & 1) ? full_cap : ((size_t)data[0] << 8 | data[1]) % (len + 32);
	kd_err_clear(&err);
	if (fmt_deflate_create(&d, &err) != KD_OK)
		abort();
	out = malloc(cap ? cap : 1);
	full_out = malloc(full_cap);
	back = malloc(len);
	if (!out || !full_out || !back)
		abort();
	n = fmt_deflate_page(d, page, len, out, cap);
	full = fmt_deflate_page(d, page, len, full_out, full_cap);
	if (full == 0 || full > full_cap)
		abort();	/* with room for a stored block, a stream always fits */
	if (n != 0 && (n != full || memcmp(out, full_out, n) != 0))
		abort();	/* a smaller cap changes nothing but whether it fits */
	if (n == 0 && cap >= full)
		abort();	/* refused although it fits */
	blen = len;
	if (uncompress(back, &blen, full_out, full) != Z_OK || blen != len ||
	    memcmp(back, page, len) != 0)
		abort();
	free(back);
	free(full_out);
	free(out);
	fmt_deflate_destroy(d);
	return 0;
}
