/* loader/arch/arm64: the capture kernel's device tree (/chosen edited from the running kernel's). */
#ifndef LDR_ARCH_ARM64_H
#define LDR_ARCH_ARM64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/error.h"
#include "loader/loader.h"

/* ------------------------------------------------------------------ */
/* arm64 Image header (Documentation/arch/arm64/booting.rst) */

enum {
	LDR_ARM64_IMAGE_HEADER = 64,
	LDR_ARM64_DEFAULT_TEXT_OFFSET = 0x80000,	/* image_size 0: before Linux 3.17 */
	LDR_ARM64_IMAGE_ALIGN = 2 << 20,		/* load at a 2 MiB-aligned base + text_offset */
};

/** The Image header fields kdump-load uses; pointers borrow the caller's image. */
struct ldr_arm64_image {
	uint64_t text_offset;	/* 8: image load offset from a 2 MiB-aligned base */
	uint64_t image_size;	/* 16: memory the kernel needs (file size if the header says 0) */
	uint64_t flags;		/* 24 */
	bool big_endian;	/* flags bit 0 */
	uint32_t page_size;	/* flags bits 1-2: 4096, 16384, 65536, or 0 unspecified */
	bool phys_anywhere;	/* flags bit 3: any 2 MiB-aligned base, not only near DRAM start */
	bool has_pe;		/* "MZ" and a PE header offset (EFI stub) */
	const uint8_t *image;
	size_t size;
};

/**
 * Parse the arm64 Image header of @image (borrowed). KD_ERR_CORRUPT for a file
 * shorter than the header or without the "ARM\x64" magic, or an image_size
 * smaller than the file; KD_ERR_NOTIMPL for a big-endian kernel.
 */
enum kd_status ldr_arm64_image_parse(const void *image, size_t size, struct ldr_arm64_image *ret,
				     struct kd_err *err);

/* ------------------------------------------------------------------ */
/* The running kernel's virtual layout, for the ELF core header's p_vaddr */

/** Where the kernel maps physical memory, from /proc/kcore (no symbol needed). */
struct ldr_arm64_layout {
	uint64_t linear_offset;	/* linear map: vaddr = paddr + linear_offset */
	uint64_t text_vaddr;	/* kernel image mapping (_text) */
	uint64_t text_paddr;
	uint64_t text_size;
	uint64_t kimage_voffset; /* text_vaddr - text_paddr */
	bool have_vmcoreinfo;	/* the kcore VMCOREINFO note was read and agrees */
	uint64_t phys_offset;	/* NUMBER(PHYS_OFFSET), if have_vmcoreinfo */
	unsigned va_bits;	/* NUMBER(VA_BITS), if have_vmcoreinfo */
};

/**
 * Read the layout from the start of /proc/kcore (@hdr, @len bytes: the ELF header,
 * program headers and notes; 16 KiB is plenty). The linear map is the offset
 * (p_vaddr - p_paddr) shared by the loads with a physical address that cover the most
 * bytes; the kernel text is the other one. When the kcore's VMCOREINFO note is
 * complete, -(1 << VA_BITS) - PHYS_OFFSET and kimage_voffset must agree with them.
 * Errors: KD_ERR_CORRUPT (not an ELF64 little-endian core, headers past @len, no
 * linear or text load, disagreement with VMCOREINFO), KD_ERR_NOMEM.
 */
enum kd_status ldr_arm64_layout_from_kcore(const void *hdr, size_t len,
					   struct ldr_arm64_layout *ret, struct kd_err *err);

/* ------------------------------------------------------------------ */
/* Device tree */

/** What /chosen of the capture kernel's device tree gets; ranges are inclusive (ldr_range). */
struct ldr_arm64_chosen {
	uint64_t elfcorehdr_start;	/* linux,elfcorehdr = <start size> */
	uint64_t elfcorehdr_size;
	const struct ldr_range *crash;	/* linux,usable-memory-range: every range, any order; */
	size_t nr_crash;		/* written highest first, lowest last */
	const char *bootargs;		/* bootargs; NULL keeps the old one */
	bool set_kaslr_seed;		/* kaslr-seed = <u64> (a fresh one: 0 disables KASLR) */
	uint64_t kaslr_seed;
	bool set_initrd;		/* linux,initrd-start / -end (u64, end exclusive) */
	uint64_t initrd_start;
	uint64_t initrd_end;
};

/**
 * Copy the flattened device tree @fdt (@len bytes, e.g. /sys/firmware/fdt) to a new
 * blob (*ret, malloc'd, *ret_len bytes) whose /chosen has the properties of @c,
 * replacing earlier ones of the same names (and linux,initrd-* when set_initrd is
 * false, so an old initrd is not reused); /chosen is created if missing. Address and
 * size cells come from the root's #address-cells and #size-cells (2 and 1 if absent).
 * Errors: KD_ERR_CORRUPT (not an FDT, truncated, bad tokens), KD_ERR_NOTIMPL (more than
 * two cells, FDT version < 16), KD_ERR_INVALID (a value does not fit one cell, no crash
 * range), KD_ERR_NOMEM.
 */
enum kd_status ldr_arm64_dt_edit(const void *fdt, size_t len, const struct ldr_arm64_chosen *c,
				 uint8_t **ret, size_t *ret_len, struct kd_err *err);

#endif
