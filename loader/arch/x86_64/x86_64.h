/* loader/arch/x86_64: bzImage setup header, boot_params (zero page), capture e820 map. */
#ifndef LDR_ARCH_X86_64_H
#define LDR_ARCH_X86_64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/error.h"
#include "loader/loader.h"

/* ------------------------------------------------------------------ */
/* bzImage (Documentation/arch/x86/boot.rst, boot protocol 2.x) */

enum {
	LDR_BZ_MIN_VERSION = 0x020c,	/* 2.12: xloadflags, 64-bit entry */
	LDR_XLF_KERNEL_64 = 1 << 0,
	LDR_XLF_CAN_BE_LOADED_ABOVE_4G = 1 << 1,
	LDR_BZ_ENTRY64_OFFSET = 0x200,	/* startup_64 from the protected-mode start */
};

/** The setup header fields kdump-load uses; pointers borrow the caller's image. */
struct ldr_bzimage {
	const uint8_t *image;	/* the whole file */
	size_t image_size;
	uint16_t version;	/* 0x206, e.g. 0x020f for 2.15 */
	uint8_t setup_sects;	/* 0x1f1, 0 already replaced by 4 */
	size_t setup_size;	/* (setup_sects + 1) * 512: real-mode part incl. boot sector */
	size_t header_end;	/* 0x202 + byte at 0x201: end of the setup header */
	uint8_t loadflags;	/* 0x211 */
	uint32_t initrd_addr_max; /* 0x22c */
	uint32_t kernel_alignment; /* 0x230 */
	bool relocatable;	/* 0x234 */
	uint16_t xloadflags;	/* 0x236 */
	uint32_t cmdline_size;	/* 0x238, without the NUL */
	uint32_t payload_offset; /* 0x248, from the protected-mode start */
	uint32_t payload_length; /* 0x24c */
	uint64_t pref_address;	/* 0x258 */
	uint32_t init_size;	/* 0x260: memory the kernel needs from its load address */
	const uint8_t *kernel;	/* protected-mode part: image + setup_size */
	size_t kernel_size;
};

/**
 * Parse the setup header of the bzImage in @image (borrowed; must outlive
 * @ret). KD_ERR_CORRUPT for "not a bzImage" and truncated files,
 * KD_ERR_NOTIMPL for a boot protocol older than 2.12 or no 64-bit entry.
 */
enum kd_status ldr_bzimage_parse(const void *image, size_t size, struct ldr_bzimage *ret,
				 struct kd_err *err);

/* ------------------------------------------------------------------ */
/* e820 map for the capture kernel */

enum ldr_e820_type {
	LDR_E820_RAM = 1,
	LDR_E820_RESERVED = 2,
	LDR_E820_ACPI = 3,
	LDR_E820_NVS = 4,
	LDR_E820_UNUSABLE = 5,
	LDR_E820_PMEM = 7,
	LDR_E820_PRAM = 12,
};

/** One e820 entry; @end is exclusive here (e820 stores addr + size). */
struct ldr_e820 {
	uint64_t start;
	uint64_t end;
	uint32_t type;
};

/**
 * The capture kernel's memory map, the way the kernel's own kexec_file_load
 * path builds it (arch/x86/kernel/crash.c): System RAM below 1 MiB as RAM
 * (the first kernel keeps that memory reserved since 5.13, so no backup copy
 * is needed), every crash range as RAM except the @nr_holes ranges in @holes
 * (the ELF core header: it must stay out of the capture kernel's RAM), and
 * ACPI tables, ACPI NVS, reserved and persistent memory with their types
 * (clipped so no entry overlaps a RAM entry). @ram, @crash and @firmware are
 * /proc/iomem entries (inclusive ends); @firmware entries of other kinds are
 * ignored. Sorted by address; *@ret is malloc'd (free it).
 */
enum kd_status ldr_e820_build(const struct ldr_range *ram, size_t nr_ram,
			      const struct ldr_range *crash, size_t nr_crash,
			      const struct ldr_range *firmware, size_t nr_firmware,
			      const struct ldr_e820 *holes, size_t nr_holes,
			      struct ldr_e820 **ret, size_t *nr_ret, struct kd_err *err);

/* ------------------------------------------------------------------ */
/* boot_params (the zero page) */

enum {
	LDR_BOOT_PARAMS_SIZE = 4096,
	LDR_E820_MAX_ZEROPAGE = 128,	/* entries in boot_params.e820_table */
	LDR_SETUP_E820_EXT = 1,		/* setup_data type for the rest */
};

struct ldr_bootparams_input {
	const struct ldr_bzimage *bz;
	uint64_t params_addr;		/* physical address of the zero page */
	uint64_t cmdline_addr;		/* physical address of the NUL-terminated command line */
	uint64_t initrd_addr, initrd_size; /* 0/0: none */
	const struct ldr_e820 *e820;
	size_t nr_e820;
	uint64_t acpi_rsdp;		/* 0: let the kernel find it */
};

/**
 * Bytes ldr_bootparams_build() writes for @nr_e820 entries: the zero page plus,
 * beyond 128 entries, one SETUP_E820_EXT setup_data right after it.
 */
size_t ldr_bootparams_size(size_t nr_e820);

/**
 * Fill @buf (ldr_bootparams_size() bytes, placed at in->params_addr) with the
 * zero page: the bzImage's setup header, type_of_loader 0xff, command line
 * and initrd pointers (ext_ fields for addresses above 4 GiB), the e820 table
 * and its SETUP_E820_EXT overflow. KD_ERR_INVALID if the kernel cannot take
 * an address above 4 GiB that it is given.
 */
enum kd_status ldr_bootparams_build(const struct ldr_bootparams_input *in, uint8_t *buf,
				    size_t bufsz, struct kd_err *err);

#endif
