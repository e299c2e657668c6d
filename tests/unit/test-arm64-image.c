/* Unit tests for loader/arch/arm64/image.c: the arm64 Image header. */
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"
#include "tests/unit/tap.h"

#define FILE_SIZE 65536

/* The first 64 bytes of Debian 12's vmlinuz-6.1.0-56-cloud-arm64 (an EFI-stub Image). */
static const uint8_t debian_head[64] = {
	0x4d, 0x5a, 0x40, 0xfa, 0x46, 0x63, 0x4e, 0x14, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0xab, 0x01, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0x52, 0x4d, 0x64, 0x40, 0, 0, 0,
};

static uint8_t *image(uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	uint8_t *p = calloc(1, FILE_SIZE);

	if (!p)
		abort();
	memcpy(p, debian_head, sizeof(debian_head));
	put_le64(p + 8, text_offset);
	put_le64(p + 16, image_size);
	put_le64(p + 24, flags);
	return p;
}

int main(void)
{
	struct tap t = { 0 };
	struct ldr_arm64_image img;
	struct kd_err err;
	uint8_t *p = image(0, 0x1ab0000, 0xa);

	TAP_CHECK(&t, ldr_arm64_image_parse(p, FILE_SIZE, &img, &err) == KD_OK &&
		     img.text_offset == 0 && img.image_size == 0x1ab0000 && img.page_size == 4096 &&
		     img.phys_anywhere && !img.big_endian && img.has_pe,
		  "image: Debian 12 arm64 header (4 KiB pages, anywhere, EFI stub)");
	free(p);
	p = image(0x80000, 0, 0xf);
	TAP_CHECK(&t, ldr_arm64_image_parse(p, FILE_SIZE, &img, &err) == KD_OK &&
		     img.text_offset == 0x80000 && img.image_size == FILE_SIZE && img.flags == 0 &&
		     img.page_size == 0 && !img.phys_anywhere,
		  "image: before 3.17 (image_size 0): text_offset 0x80000, the file size");
	free(p);
	p = image(0, 0x1000000, 6);
	TAP_CHECK(&t, ldr_arm64_image_parse(p, FILE_SIZE, &img, &err) == KD_OK &&
		     img.page_size == 65536 && !img.phys_anywhere,
		  "image: 64 KiB pages, near the start of DRAM");
	free(p);
	p = image(0, 0x1000000, 1);
	TAP_CHECK(&t, ldr_arm64_image_parse(p, FILE_SIZE, &img, &err) == KD_ERR_NOTIMPL,
		  "image: big-endian refused");
	free(p);
	p = image(0, 0x1000, 2);
	TAP_CHECK(&t, ldr_arm64_image_parse(p, FILE_SIZE, &img, &err) == KD_ERR_CORRUPT,
		  "image: image_size smaller than the file");
	free(p);
	p = image(0x123, 0x1000000, 2);
	TAP_CHECK(&t, ldr_arm64_image_parse(p, FILE_SIZE, &img, &err) == KD_ERR_CORRUPT,
		  "image: unaligned text_offset");
	p[56] = 'X';
	TAP_CHECK(&t, ldr_arm64_image_parse(p, FILE_SIZE, &img, &err) == KD_ERR_CORRUPT,
		  "image: no magic");
	TAP_CHECK(&t, ldr_arm64_image_parse(debian_head, 63, &img, &err) == KD_ERR_CORRUPT,
		  "image: shorter than the header");
	free(p);
	return tap_finish(&t);
}
