/* arm64 Image header: load offset, memory size and flags of the kernel to load. */
#include <string.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"

enum {
	IMG_TEXT_OFFSET = 8,
	IMG_IMAGE_SIZE = 16,
	IMG_FLAGS = 24,
	IMG_MAGIC = 56,
	IMG_PE_OFFSET = 60,
	FLAG_BE = 1 << 0,
	FLAG_PAGE_SHIFT = 1,
	FLAG_PAGE_MASK = 3,
	FLAG_PHYS_ANYWHERE = 1 << 3,
};

static const uint32_t image_magic = 0x644d5241; /* "ARM\x64" */

enum kd_status ldr_arm64_image_parse(const void *image, size_t size, struct ldr_arm64_image *ret,
				     struct kd_err *err)
{
	static const uint32_t page_sizes[4] = { 0, 4096, 16384, 65536 };
	const uint8_t *h = image;
	struct ldr_arm64_image img;

	if (size < LDR_ARM64_IMAGE_HEADER || get_le32(h + IMG_MAGIC) != image_magic)
		return kd_err_set(err, KD_ERR_CORRUPT, "not an arm64 Image (no \"ARM\\x64\" magic)");
	memset(&img, 0, sizeof(img));
	img.image = h;
	img.size = size;
	img.text_offset = get_le64(h + IMG_TEXT_OFFSET);
	img.image_size = get_le64(h + IMG_IMAGE_SIZE);
	img.flags = get_le64(h + IMG_FLAGS);
	if (img.image_size == 0) {
		/* before 3.17: no size, the offset was fixed */
		img.text_offset = LDR_ARM64_DEFAULT_TEXT_OFFSET;
		img.image_size = size;
		img.flags = 0;
	}
	img.big_endian = img.flags & FLAG_BE;
	img.page_size = page_sizes[(img.flags >> FLAG_PAGE_SHIFT) & FLAG_PAGE_MASK];
	img.phys_anywhere = img.flags & FLAG_PHYS_ANYWHERE;
	img.has_pe = h[0] == 'M' && h[1] == 'Z' && get_le32(h + IMG_PE_OFFSET) != 0;
	if (img.image_size < size)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "arm64 Image: image_size 0x%llx is smaller than the file (%zu bytes)",
				  (unsigned long long)img.image_size, size);
	if (img.text_offset >= LDR_ARM64_IMAGE_ALIGN || img.text_offset % 4096)
		return kd_err_set(err, KD_ERR_CORRUPT, "arm64 Image: text_offset 0x%llx is implausible",
				  (unsigned long long)img.text_offset);
	if (img.big_endian)
		return kd_err_set(err, KD_ERR_NOTIMPL, "arm64 Image: big-endian kernels are not supported");
	*ret = img;
	return KD_OK;
}
