/* kdump-compressed layout and encoding against the real 6.1 dump's numbers, codec round trips. */
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"
#include "tests/unit/tap.h"

static void test_layout(struct tap *t)
{
	struct fmt_kdump_info info = { 0 };
	struct fmt_kdump_layout lay;
	uint8_t h[FMT_KDUMP_HEADER_SIZE], sub[FMT_KDUMP_SUBHDR_SIZE], d[24];

	/* FORMATS.md 2.6: a real makedumpfile dump of a 1 GiB 6.1 guest */
	info.block_size = 4096;
	info.max_mapnr = 262112;
	info.notes_size = 0xfb4;
	info.vmcoreinfo_off = 0x1348 - 0x1068;
	info.vmcoreinfo_size = 0xcd1;
	info.nr_cpus = 2;
	info.dump_level = 31;
	info.codec = FMT_CODEC_ZLIB;
	info.phys_base = 0x5c00000;
	info.crashtime = 1795376315;
	strcpy(info.utsname[0], "Linux");
	strcpy(info.utsname[4], "x86_64");
	fmt_kdump_layout(&info, &lay);
	TAP_CHECK(t, lay.sub_hdr_blocks == 2, "sub_hdr_size is 2 blocks");
	TAP_CHECK(t, lay.bitmap1_off == 12288, "bitmaps start at 12288");
	TAP_CHECK(t, lay.desc_off == 77824, "descriptors start at 77824");
	fmt_kdump_encode_header(&info, &lay, FMT_KDUMP_STATUS_INCOMPLETE, h);
	TAP_CHECK(t, memcmp(h, "KDUMP   ", 8) == 0, "signature");
	TAP_CHECK(t, get_le32(h + 8) == 6, "header version 6");
	TAP_CHECK(t, strcmp((char *)h + 12, "Linux") == 0, "utsname.sysname at 12");
	TAP_CHECK(t, strcmp((char *)h + 12 + 4 * 65, "x86_64") == 0, "utsname.machine");
	TAP_CHECK(t, get_le64(h + 408) == 1795376315 && get_le64(h + 416) == 0,
		  "timestamp with tv_usec 0");
	TAP_CHECK(t, get_le32(h + 424) == (0x8u | 0x1u), "status: incomplete + zlib");
	TAP_CHECK(t, get_le32(h + 436) == 16, "bitmap_blocks counts both bitmaps");
	TAP_CHECK(t, get_le32(h + 440) == 262112 && get_le32(h + 460) == 2, "max_mapnr, nr_cpus");
	fmt_kdump_encode_subhdr(&info, &lay, sub);
	TAP_CHECK(t, get_le64(sub) == 0x5c00000 && get_le32(sub + 8) == 31, "phys_base, dump_level");
	TAP_CHECK(t, get_le64(sub + 48) == 0x1068 && get_le64(sub + 56) == 0xfb4,
		  "offset_note 0x1068, size_note");
	TAP_CHECK(t, get_le64(sub + 32) == 0x1348 && get_le64(sub + 40) == 0xcd1,
		  "offset_vmcoreinfo inside the notes");
	TAP_CHECK(t, get_le64(sub + 96) == 262112, "max_mapnr_64");
	fmt_kdump_encode_desc(765256, 4096, 0, d);
	TAP_CHECK(t, get_le64(d) == 765256 && get_le32(d + 8) == 4096 && get_le64(d + 16) == 0,
		  "page_desc encoding");
}

static void test_codecs(struct tap *t)
{
	static const enum fmt_codec_id ids[] = { FMT_CODEC_ZLIB, FMT_CODEC_LZO, FMT_CODEC_ZSTD };
	uint8_t page[4096], back[4096], noise[4096];
	struct kd_err err;
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(page); i++)
		page[i] = (uint8_t)(i % 7 == 0 ? i : 0);
	for (size_t i = 0; i < sizeof(noise); i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (uint8_t)(x >> 16);
	}
	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		struct fmt_codec *c = NULL;
		size_t len = 0;
		uint8_t *dst;

		kd_err_clear(&err);
		TAP_CHECK(t, fmt_codec_create(ids[k], 4096, &c, &err) == KD_OK, "create %s",
			  fmt_codec_name(ids[k]));
		if (!c)
			continue;
		dst = malloc(fmt_codec_bound(c));
		TAP_CHECK(t, fmt_codec_compress(c, page, dst, fmt_codec_bound(c), &len, &err) == KD_OK &&
			     len < 4096,
			  "%s compresses a sparse page", fmt_codec_name(ids[k]));
		memset(back, 0xaa, sizeof(back));
		TAP_CHECK(t, fmt_codec_decompress(c, dst, len, back, &err) == KD_OK &&
			     memcmp(back, page, 4096) == 0,
			  "%s round trip", fmt_codec_name(ids[k]));
		TAP_CHECK(t, fmt_codec_compress(c, noise, dst, fmt_codec_bound(c), &len, &err) ==
			     KD_ERR_NODATA,
			  "%s: incompressible page is stored raw", fmt_codec_name(ids[k]));
		dst[0] ^= 0xff;
		dst[1] ^= 0x5a;
		TAP_CHECK(t, fmt_codec_decompress(c, dst, 40, back, &err) == KD_ERR_CORRUPT,
			  "%s: corrupt input is an error", fmt_codec_name(ids[k]));
		free(dst);
		fmt_codec_destroy(c);
	}
	struct fmt_codec *c = NULL;

	TAP_CHECK(t, fmt_codec_create(FMT_CODEC_SNAPPY, 4096, &c, &err) == KD_ERR_NOTIMPL && !c,
		  "snappy is refused clearly: %s", err.msg);
}

int main(void)
{
	struct tap t = { 0 };

	test_layout(&t);
	test_codecs(&t);
	return tap_finish(&t);
}
