/* The flattened format (makedumpfile -F): a 4 KiB header, then big-endian
 * {offset, size} records each followed by its bytes, ended by {-1, -1}. */
#include "formats/formats.h"

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
