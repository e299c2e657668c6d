/* boot_params (the "zero page") for the capture kernel's 64-bit entry. */
#include "loader/arch/x86_64/x86_64.h"

#include <string.h>

#include "formats/bytes.h"

/* Offsets in struct boot_params (arch/x86/include/uapi/asm/bootparam.h). */
enum {
	BP_ACPI_RSDP_ADDR = 0x070,
	BP_EXT_RAMDISK_IMAGE = 0x0c0,
	BP_EXT_RAMDISK_SIZE = 0x0c4,
	BP_EXT_CMD_LINE_PTR = 0x0c8,
	BP_E820_ENTRIES = 0x1e8,
	BP_SETUP_HEADER = 0x1f1,
	BP_TYPE_OF_LOADER = 0x210,
	BP_LOADFLAGS = 0x211,
	BP_RAMDISK_IMAGE = 0x218,
	BP_RAMDISK_SIZE = 0x21c,
	BP_HEAP_END_PTR = 0x224,
	BP_CMD_LINE_PTR = 0x228,
	BP_SETUP_DATA = 0x250,
	BP_E820_TABLE = 0x2d0,
	E820_ENTRY_SIZE = 20,
	SETUP_DATA_HDR = 16,	/* u64 next, u32 type, u32 len */
	LOADER_UNDEFINED = 0xff,
	LOADFLAG_LOADED_HIGH = 1 << 0,
	LOADFLAG_CAN_USE_HEAP = 1 << 7,
};

static const uint64_t four_gib = 1ull << 32;

size_t ldr_bootparams_size(size_t nr_e820)
{
	if (nr_e820 <= LDR_E820_MAX_ZEROPAGE)
		return LDR_BOOT_PARAMS_SIZE;
	return LDR_BOOT_PARAMS_SIZE + SETUP_DATA_HDR +
	       (nr_e820 - LDR_E820_MAX_ZEROPAGE) * E820_ENTRY_SIZE;
}

static void put_e820(uint8_t *p, const struct ldr_e820 *e)
{
	put_le64(p, e->start);
	put_le64(p + 8, e->end - e->start);
	put_le32(p + 16, e->type);
}

enum kd_status ldr_bootparams_build(const struct ldr_bootparams_input *in, uint8_t *buf,
				    size_t bufsz, struct kd_err *err)
{
	const struct ldr_bzimage *bz = in->bz;
	size_t need = ldr_bootparams_size(in->nr_e820), hdr_len;
	bool high_ok = bz->xloadflags & LDR_XLF_CAN_BE_LOADED_ABOVE_4G;
	size_t n_zp;

	if (bufsz < need)
		return kd_err_set(err, KD_ERR_INVALID, "boot_params: buffer of %zu bytes, need %zu",
				  bufsz, need);
	if (!high_ok && (in->cmdline_addr >= four_gib || in->params_addr >= four_gib ||
			 in->initrd_addr + in->initrd_size > four_gib))
		return kd_err_set(err, KD_ERR_INVALID,
				  "kernel cannot be given addresses above 4 GiB (no "
				  "XLF_CAN_BE_LOADED_ABOVE_4G)");
	if (in->initrd_size && !high_ok &&
	    in->initrd_addr + in->initrd_size - 1 > bz->initrd_addr_max)
		return kd_err_set(err, KD_ERR_INVALID,
				  "initrd ends above the kernel's initrd_addr_max 0x%x",
				  bz->initrd_addr_max);
	memset(buf, 0, need);

	/* the setup header exactly as the bzImage has it, then our changes */
	hdr_len = bz->header_end - BP_SETUP_HEADER;
	memcpy(buf + BP_SETUP_HEADER, bz->image + BP_SETUP_HEADER, hdr_len);
	buf[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	buf[BP_LOADFLAGS] = (uint8_t)((bz->loadflags | LOADFLAG_LOADED_HIGH) & ~LOADFLAG_CAN_USE_HEAP);
	put_le16(buf + BP_HEAP_END_PTR, 0);
	put_le32(buf + BP_CMD_LINE_PTR, (uint32_t)in->cmdline_addr);
	put_le32(buf + BP_EXT_CMD_LINE_PTR, (uint32_t)(in->cmdline_addr >> 32));
	put_le32(buf + BP_RAMDISK_IMAGE, (uint32_t)in->initrd_addr);
	put_le32(buf + BP_EXT_RAMDISK_IMAGE, (uint32_t)(in->initrd_addr >> 32));
	put_le32(buf + BP_RAMDISK_SIZE, (uint32_t)in->initrd_size);
	put_le32(buf + BP_EXT_RAMDISK_SIZE, (uint32_t)(in->initrd_size >> 32));
	put_le64(buf + BP_ACPI_RSDP_ADDR, in->acpi_rsdp);
	put_le64(buf + BP_SETUP_DATA, 0);

	n_zp = in->nr_e820 < LDR_E820_MAX_ZEROPAGE ? in->nr_e820 : LDR_E820_MAX_ZEROPAGE;
	buf[BP_E820_ENTRIES] = (uint8_t)n_zp;
	for (size_t i = 0; i < n_zp; i++)
		put_e820(buf + BP_E820_TABLE + i * E820_ENTRY_SIZE, &in->e820[i]);
	if (in->nr_e820 > n_zp) {
		uint8_t *sd = buf + LDR_BOOT_PARAMS_SIZE;
		size_t rest = in->nr_e820 - n_zp;

		put_le64(buf + BP_SETUP_DATA, in->params_addr + LDR_BOOT_PARAMS_SIZE);
		put_le64(sd, 0);
		put_le32(sd + 8, LDR_SETUP_E820_EXT);
		put_le32(sd + 12, (uint32_t)(rest * E820_ENTRY_SIZE));
		for (size_t i = 0; i < rest; i++)
			put_e820(sd + SETUP_DATA_HDR + i * E820_ENTRY_SIZE, &in->e820[n_zp + i]);
	}
	return KD_OK;
}
