/* kdump-compressed header, sub-header and page_desc encoding (LP64 layout, version 6). */
#include "formats/formats.h"

#include <string.h>

/* Offsets in struct disk_dump_header (LP64), see doc/formats/kdump.md. */
enum {
	DH_SIGNATURE = 0,
	DH_VERSION = 8,
	DH_UTSNAME = 12,
	DH_TV_SEC = 408,
	DH_TV_USEC = 416,
	DH_STATUS = 424,
	DH_BLOCK_SIZE = 428,
	DH_SUB_HDR_SIZE = 432,
	DH_BITMAP_BLOCKS = 436,
	DH_MAX_MAPNR = 440,
	DH_TOTAL_RAM_BLOCKS = 444,
	DH_DEVICE_BLOCKS = 448,
	DH_WRITTEN_BLOCKS = 452,
	DH_CURRENT_CPU = 456,
	DH_NR_CPUS = 460,
};

/* Offsets in struct kdump_sub_header (LP64). */
enum {
	SH_PHYS_BASE = 0,
	SH_DUMP_LEVEL = 8,
	SH_SPLIT = 12,
	SH_START_PFN = 16,
	SH_END_PFN = 24,
	SH_OFFSET_VMCOREINFO = 32,
	SH_SIZE_VMCOREINFO = 40,
	SH_OFFSET_NOTE = 48,
	SH_SIZE_NOTE = 56,
	SH_OFFSET_ERASEINFO = 64,
	SH_SIZE_ERASEINFO = 72,
	SH_START_PFN_64 = 80,
	SH_END_PFN_64 = 88,
	SH_MAX_MAPNR_64 = 96,
};

_Static_assert(DH_NR_CPUS + 4 == FMT_KDUMP_HEADER_SIZE, "disk_dump_header is 464 bytes");
_Static_assert(SH_MAX_MAPNR_64 + 8 == FMT_KDUMP_SUBHDR_SIZE, "kdump_sub_header is 104 bytes");

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

void fmt_kdump_layout(const struct fmt_kdump_info *info, struct fmt_kdump_layout *ret)
{
	uint64_t bs = info->block_size;

	ret->block_size = info->block_size;
	ret->sub_hdr_blocks = (uint32_t)div_up(FMT_KDUMP_SUBHDR_SIZE + info->notes_size, bs);
	ret->bitmap_bytes = div_up(div_up(info->max_mapnr, 8), bs) * bs;
	ret->bitmap1_off = bs * (1 + ret->sub_hdr_blocks);
	ret->bitmap2_off = ret->bitmap1_off + ret->bitmap_bytes;
	ret->desc_off = ret->bitmap2_off + ret->bitmap_bytes;
}

void fmt_kdump_encode_header(const struct fmt_kdump_info *info, const struct fmt_kdump_layout *lay,
			     uint32_t status, uint8_t buf[FMT_KDUMP_HEADER_SIZE])
{
	uint64_t mapnr32 = info->max_mapnr > UINT32_MAX ? UINT32_MAX : info->max_mapnr;

	memset(buf, 0, FMT_KDUMP_HEADER_SIZE);
	memcpy(buf + DH_SIGNATURE, "KDUMP   ", 8);
	put_le32(buf + DH_VERSION, 6);
	for (int i = 0; i < 6; i++) {
		size_t n = strnlen(info->utsname[i], FMT_KDUMP_UTS_LEN - 1);

		memcpy(buf + DH_UTSNAME + i * FMT_KDUMP_UTS_LEN, info->utsname[i], n);
	}
	put_le64(buf + DH_TV_SEC, (uint64_t)info->crashtime);
	put_le64(buf + DH_TV_USEC, 0);	/* non-zero confuses libkdumpfile's layout probe */
	put_le32(buf + DH_STATUS, status | (uint32_t)info->codec);
	put_le32(buf + DH_BLOCK_SIZE, info->block_size);
	put_le32(buf + DH_SUB_HDR_SIZE, lay->sub_hdr_blocks);
	put_le32(buf + DH_BITMAP_BLOCKS, (uint32_t)(2 * lay->bitmap_bytes / info->block_size));
	put_le32(buf + DH_MAX_MAPNR, (uint32_t)mapnr32);
	put_le32(buf + DH_NR_CPUS, (uint32_t)(info->nr_cpus > 0 ? info->nr_cpus : 1));
}

void fmt_kdump_encode_subhdr(const struct fmt_kdump_info *info, const struct fmt_kdump_layout *lay,
			     uint8_t buf[FMT_KDUMP_SUBHDR_SIZE])
{
	uint64_t note_off = (uint64_t)lay->block_size + FMT_KDUMP_SUBHDR_SIZE;
	/* Like makedumpfile: the pfn range fields are only filled for split files. */
	uint64_t start = info->split ? info->start_pfn : 0;
	uint64_t end = info->split ? info->end_pfn : 0;

	memset(buf, 0, FMT_KDUMP_SUBHDR_SIZE);
	put_le64(buf + SH_PHYS_BASE, info->phys_base);
	put_le32(buf + SH_DUMP_LEVEL, (uint32_t)info->dump_level);
	put_le32(buf + SH_SPLIT, info->split ? 1 : 0);
	put_le64(buf + SH_START_PFN, start > UINT32_MAX ? UINT32_MAX : start);
	put_le64(buf + SH_END_PFN, end > UINT32_MAX ? UINT32_MAX : end);
	if (info->vmcoreinfo_size) {
		put_le64(buf + SH_OFFSET_VMCOREINFO, note_off + info->vmcoreinfo_off);
		put_le64(buf + SH_SIZE_VMCOREINFO, info->vmcoreinfo_size);
	}
	if (info->notes_size) {
		put_le64(buf + SH_OFFSET_NOTE, note_off);
		put_le64(buf + SH_SIZE_NOTE, info->notes_size);
	}
	if (info->eraseinfo_size) {
		put_le64(buf + SH_OFFSET_ERASEINFO, info->eraseinfo_off);
		put_le64(buf + SH_SIZE_ERASEINFO, info->eraseinfo_size);
	}
	put_le64(buf + SH_START_PFN_64, start);
	put_le64(buf + SH_END_PFN_64, end);
	put_le64(buf + SH_MAX_MAPNR_64, info->max_mapnr);
}

void fmt_kdump_encode_desc(uint64_t offset, uint32_t size, uint32_t flags, uint8_t buf[24])
{
	put_le64(buf, offset);
	put_le32(buf + 8, size);
	put_le32(buf + 12, flags);
	put_le64(buf + 16, 0);
}

bool fmt_kdump_block_size_ok(uint64_t block_size)
{
	return block_size >= 4096 && block_size <= 262144 && !(block_size & (block_size - 1));
}

bool fmt_kdump_bitmaps_oversized(uint64_t bitmap_bytes, uint64_t max_mapnr, uint64_t block_size)
{
	return bitmap_bytes > ((max_mapnr + 7) / 8 + block_size - 1) / block_size * block_size +
				      block_size;
}
