/* bzImage setup header parsing (x86 boot protocol 2.x). */
#include "loader/arch/x86_64/x86_64.h"

#include <string.h>

#include "formats/bytes.h"

/* Offsets in the file (== offsets in boot_params). */
enum {
	BZ_SETUP_SECTS = 0x1f1,
	BZ_SYSSIZE = 0x1f4,
	BZ_BOOT_FLAG = 0x1fe,
	BZ_JUMP = 0x200,
	BZ_HEADER = 0x202,
	BZ_VERSION = 0x206,
	BZ_LOADFLAGS = 0x211,
	BZ_INITRD_ADDR_MAX = 0x22c,
	BZ_KERNEL_ALIGNMENT = 0x230,
	BZ_RELOCATABLE = 0x234,
	BZ_XLOADFLAGS = 0x236,
	BZ_CMDLINE_SIZE = 0x238,
	BZ_PAYLOAD_OFFSET = 0x248,
	BZ_PAYLOAD_LENGTH = 0x24c,
	BZ_PREF_ADDRESS = 0x258,
	BZ_INIT_SIZE = 0x260,
	BZ_MIN_HEADER_END = 0x264,	/* through init_size: all of 2.12's fields we read */
};

enum kd_status ldr_bzimage_parse(const void *image, size_t size, struct ldr_bzimage *ret,
				 struct kd_err *err)
{
	const uint8_t *b = image;
	struct ldr_bzimage bz;
	uint64_t syssize;

	if (size < BZ_VERSION + 2 || memcmp(b + BZ_HEADER, "HdrS", 4) != 0 ||
	    get_le16(b + BZ_BOOT_FLAG) != 0xaa55)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "not a bzImage (no boot flag 0xaa55 and \"HdrS\" at 0x202)");
	memset(&bz, 0, sizeof(bz));
	bz.version = get_le16(b + BZ_VERSION);
	if (bz.version < LDR_BZ_MIN_VERSION)
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "boot protocol %u.%02u is too old (need 2.12 for the 64-bit entry)",
				  bz.version >> 8, bz.version & 0xff);
	bz.header_end = BZ_HEADER + (size_t)b[BZ_JUMP + 1];
	if (bz.header_end < BZ_MIN_HEADER_END)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "setup header ends at 0x%zx, before init_size (protocol %u.%02u)",
				  bz.header_end, bz.version >> 8, bz.version & 0xff);
	if (size < bz.header_end)
		return kd_err_set(err, KD_ERR_CORRUPT, "truncated bzImage: %zu bytes, setup header "
				  "needs 0x%zx", size, bz.header_end);
	bz.setup_sects = b[BZ_SETUP_SECTS] ? b[BZ_SETUP_SECTS] : 4;
	bz.setup_size = ((size_t)bz.setup_sects + 1) * 512;
	bz.loadflags = b[BZ_LOADFLAGS];
	bz.initrd_addr_max = get_le32(b + BZ_INITRD_ADDR_MAX);
	bz.kernel_alignment = get_le32(b + BZ_KERNEL_ALIGNMENT);
	bz.relocatable = b[BZ_RELOCATABLE] != 0;
	bz.xloadflags = get_le16(b + BZ_XLOADFLAGS);
	bz.cmdline_size = get_le32(b + BZ_CMDLINE_SIZE);
	bz.payload_offset = get_le32(b + BZ_PAYLOAD_OFFSET);
	bz.payload_length = get_le32(b + BZ_PAYLOAD_LENGTH);
	bz.pref_address = get_le64(b + BZ_PREF_ADDRESS);
	bz.init_size = get_le32(b + BZ_INIT_SIZE);
	if (!(bz.xloadflags & LDR_XLF_KERNEL_64))
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "kernel has no 64-bit entry point (xloadflags 0x%x)", bz.xloadflags);
	if (bz.kernel_alignment == 0 || (bz.kernel_alignment & (bz.kernel_alignment - 1)))
		return kd_err_set(err, KD_ERR_CORRUPT, "kernel_alignment 0x%x is not a power of two",
				  bz.kernel_alignment);
	if (bz.init_size == 0)
		return kd_err_set(err, KD_ERR_CORRUPT, "init_size is 0");
	if (size <= bz.setup_size)
		return kd_err_set(err, KD_ERR_CORRUPT, "truncated bzImage: %zu bytes, setup code "
				  "alone needs %zu", size, bz.setup_size);
	bz.kernel = b + bz.setup_size;
	bz.kernel_size = size - bz.setup_size;
	syssize = (uint64_t)get_le32(b + BZ_SYSSIZE) * 16;
	if (syssize > bz.kernel_size)
		return kd_err_set(err, KD_ERR_CORRUPT, "truncated bzImage: %zu bytes of kernel, "
				  "syssize says %llu", bz.kernel_size, (unsigned long long)syssize);
	if ((uint64_t)bz.payload_offset + bz.payload_length > bz.kernel_size)
		return kd_err_set(err, KD_ERR_CORRUPT, "truncated bzImage: payload ends at "
				  "0x%llx, past the kernel's %zu bytes",
				  (unsigned long long)bz.payload_offset + bz.payload_length,
				  bz.kernel_size);
	if (bz.init_size < bz.kernel_size)
		return kd_err_set(err, KD_ERR_CORRUPT, "init_size 0x%x is smaller than the kernel",
				  bz.init_size);
	bz.image = b;
	bz.image_size = size;
	*ret = bz;
	return KD_OK;
}
