/* formats/: the bytes of every file kdumpkit reads or writes. One public header. */
#ifndef KD_FORMATS_H
#define KD_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "formats/bytes.h"
#include "formats/error.h"

/* ------------------------------------------------------------------ */
/* Input files: one read interface, mmap windows with a pread fallback. */

/**
 * A read-only input file. fmt_input_get() returns a pointer to @len bytes at
 * @off, valid until the next call on the same handle. Large windows are
 * mapped with mmap; files that cannot be mapped (pipes, some /proc files)
 * are read with pread into an internal buffer.
 */
struct fmt_input;

enum kd_status fmt_input_open(const char *path, struct fmt_input **ret, struct kd_err *err);
/** Wrap an already open descriptor (not closed by fmt_input_destroy). */
enum kd_status fmt_input_from_fd(int fd, const char *name, struct fmt_input **ret,
				 struct kd_err *err);
void fmt_input_destroy(struct fmt_input *in);
uint64_t fmt_input_size(const struct fmt_input *in);
const char *fmt_input_name(const struct fmt_input *in);
/** The underlying descriptor (to open a second handle with its own window). */
int fmt_input_fd(const struct fmt_input *in);
/** Bytes at [off, off+len); KD_ERR_CORRUPT if the file is shorter ("truncated"). */
enum kd_status fmt_input_get(struct fmt_input *in, uint64_t off, size_t len, const void **ret,
			     struct kd_err *err);
/** Copy bytes at [off, off+len) into @buf. */
enum kd_status fmt_input_read(struct fmt_input *in, uint64_t off, void *buf, size_t len,
			      struct kd_err *err);
/**
 * Make [off, off+len) the bytes the next fmt_input_get() calls find without a
 * read: a read input reads exactly them (no read-ahead past @len), a mapped
 * one maps them. A hint: on failure, fmt_input_get() still works on its own.
 */
enum kd_status fmt_input_prefetch(struct fmt_input *in, uint64_t off, size_t len,
				  struct kd_err *err);
/**
 * Whether [off, off+len) lies in a hole of a sparse regular file (it reads as zeros, and
 * need not be read). False when unknown: /proc files, or no SEEK_DATA support.
 * Remembers the last hole and data extent found, so a scan costs a few lseeks per extent.
 */
bool fmt_input_hole(struct fmt_input *in, uint64_t off, uint64_t len);
/** Set the mmap window size (bytes, rounded to pages); 0 disables mmap. */
void fmt_input_set_window(struct fmt_input *in, size_t window);
/** The mmap window size in use (0: the input is read with pread). */
size_t fmt_input_window(const struct fmt_input *in);

/* ------------------------------------------------------------------ */
/* ELF vmcore (/proc/vmcore, QEMU dump-guest-memory, makedumpfile -E). */

/** One PT_LOAD, widened to 64 bits. Bytes past filesz up to memsz read as zero. */
struct fmt_load {
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t offset;
	uint64_t filesz;
	uint64_t memsz;
};

/** One ELF note as found in the PT_NOTE segments. */
struct fmt_note {
	uint32_t type;
	const char *name;	/* NUL-terminated copy, in the note buffer */
	const uint8_t *desc;
	uint64_t desc_size;
	uint64_t offset;	/* offset of the note header inside fmt_vmcore.notes */
};

struct fmt_vmcore {
	int elf_class;		/* ELFCLASS32 or ELFCLASS64 */
	bool big_endian;
	uint16_t machine;	/* e_machine */
	uint32_t e_flags;
	struct fmt_load *loads;	/* every PT_LOAD, in file order */
	size_t nr_loads;
	uint8_t *notes;		/* all PT_NOTE contents, concatenated */
	uint64_t notes_size;
	struct fmt_note *note_list;
	size_t nr_notes;
	const struct fmt_note *vmcoreinfo; /* NULL if absent */
	unsigned nr_prstatus;	/* NT_PRSTATUS notes = CPUs */
};

/**
 * Parse the ELF header, program headers and notes of @in. Honours e_phoff and
 * e_phentsize as written. Returns KD_ERR_CORRUPT (with the file name in the
 * message) for anything that is not a usable ELF core file.
 */
enum kd_status fmt_vmcore_open(struct fmt_input *in, struct fmt_vmcore **ret, struct kd_err *err);
void fmt_vmcore_destroy(struct fmt_vmcore *vc);

/**
 * The physical memory map of a vmcore: PT_LOADs by physical address with the
 * overlaps (the second kernel-text mapping) removed. Ranges are sorted and
 * disjoint, each maps [paddr, paddr+size) to file bytes at offset (bytes at
 * or beyond filesz read as zero).
 */
struct fmt_phys_range {
	uint64_t paddr;
	uint64_t size;
	uint64_t offset;
	uint64_t filesz;
};

#define FMT_MAX_PHYS_ADDR (1ull << 52)

struct fmt_physmap {
	struct fmt_phys_range *ranges;
	size_t nr;
	uint64_t max_paddr;	/* end of the highest range */
};

enum kd_status fmt_physmap_from_vmcore(const struct fmt_vmcore *vc, struct fmt_physmap *ret,
				       struct kd_err *err);
void fmt_physmap_deinit(struct fmt_physmap *pm);
/** Index of the range containing @paddr, or -1. */
ssize_t fmt_physmap_find(const struct fmt_physmap *pm, uint64_t paddr);
/**
 * Take [paddr, paddr+size) out of the map (a range it cuts in the middle becomes two).
 * max_paddr stays. KD_ERR_NOMEM if the ranges cannot grow.
 */
enum kd_status fmt_physmap_cut(struct fmt_physmap *pm, uint64_t paddr, uint64_t size,
			       struct kd_err *err);

/* ------------------------------------------------------------------ */
/* VMCOREINFO: text note parsed into a typed table. */

enum fmt_vmci_kind {
	FMT_VMCI_PLAIN,		/* KEY=value (OSRELEASE, PAGESIZE, CRASHTIME, ...) */
	FMT_VMCI_SYMBOL,	/* SYMBOL(name)=hex */
	FMT_VMCI_SIZE,		/* SIZE(type)=dec */
	FMT_VMCI_OFFSET,	/* OFFSET(type.member)=dec */
	FMT_VMCI_LENGTH,	/* LENGTH(name)=dec */
	FMT_VMCI_NUMBER,	/* NUMBER(name)=signed dec */
};

struct fmt_vmcoreinfo;

/**
 * Parse VMCOREINFO text. Unknown keys are kept; a value that does not parse
 * for its kind (non-hex SYMBOL, non-decimal SIZE/OFFSET/LENGTH/NUMBER,
 * PAGESIZE that is not a power of two, ...) is KD_ERR_CORRUPT naming the line.
 */
enum kd_status fmt_vmcoreinfo_parse(const char *text, size_t len, struct fmt_vmcoreinfo **ret,
				    struct kd_err *err);
void fmt_vmcoreinfo_destroy(struct fmt_vmcoreinfo *vi);

/** Typed lookups: true and *ret set if present. */
bool fmt_vmci_symbol(const struct fmt_vmcoreinfo *vi, const char *name, uint64_t *ret);
bool fmt_vmci_size(const struct fmt_vmcoreinfo *vi, const char *name, uint64_t *ret);
bool fmt_vmci_offset(const struct fmt_vmcoreinfo *vi, const char *name, uint64_t *ret);
bool fmt_vmci_length(const struct fmt_vmcoreinfo *vi, const char *name, uint64_t *ret);
bool fmt_vmci_number(const struct fmt_vmcoreinfo *vi, const char *name, int64_t *ret);
/** Plain key's text (e.g. "OSRELEASE"), or NULL. */
const char *fmt_vmci_str(const struct fmt_vmcoreinfo *vi, const char *key);
/** Well-known plain values, validated at parse time; 0 when absent. */
uint64_t fmt_vmci_pagesize(const struct fmt_vmcoreinfo *vi);
int64_t fmt_vmci_crashtime(const struct fmt_vmcoreinfo *vi);
bool fmt_vmci_kerneloffset(const struct fmt_vmcoreinfo *vi, uint64_t *ret);
size_t fmt_vmci_count(const struct fmt_vmcoreinfo *vi);

/* ------------------------------------------------------------------ */
/* Page codecs behind one table. */

enum fmt_codec_id {
	FMT_CODEC_NONE = 0,
	FMT_CODEC_ZLIB = 0x1,	/* DUMP_DH_COMPRESSED_ZLIB */
	FMT_CODEC_LZO = 0x2,	/* DUMP_DH_COMPRESSED_LZO */
	FMT_CODEC_SNAPPY = 0x4,	/* DUMP_DH_COMPRESSED_SNAPPY (read: not supported) */
	FMT_CODEC_ZSTD = 0x20,	/* DUMP_DH_COMPRESSED_ZSTD */
};

struct fmt_codec;

/** Per-thread codec state for @id; KD_ERR_NOTIMPL for an unsupported id. */
enum kd_status fmt_codec_create(enum fmt_codec_id id, size_t page_size, struct fmt_codec **ret,
				struct kd_err *err);
void fmt_codec_destroy(struct fmt_codec *c);
const char *fmt_codec_name(enum fmt_codec_id id);
/** Worst-case output size for one page (buffer size for fmt_codec_compress). */
size_t fmt_codec_bound(const struct fmt_codec *c);
/**
 * zlib pages are compressed by kdumpkit's own encoder (formats/deflate.c: same format, any
 * zlib reads it, about twice as fast); with @on, by the system zlib at level 1 instead, the
 * bytes makedumpfile writes.
 */
void fmt_codec_set_system_zlib(struct fmt_codec *c, bool on);
/**
 * Compress one page. *ret_len = compressed size. Returns KD_ERR_NODATA when
 * the result would not be smaller than the page (store it raw).
 */
enum kd_status fmt_codec_compress(struct fmt_codec *c, const void *page, void *dst, size_t dst_cap,
				  size_t *ret_len, struct kd_err *err);
/** Decompress into exactly page_size bytes, else KD_ERR_CORRUPT. */
enum kd_status fmt_codec_decompress(struct fmt_codec *c, const void *src, size_t src_len,
				    void *page, struct kd_err *err);

/* ------------------------------------------------------------------ */
/* kdump-compressed ("KDUMP   ", header version 6) writer and reader. */

#define FMT_KDUMP_STATUS_INCOMPLETE 0x8u
#define FMT_KDUMP_STATUS_EXCLUDED_VMEMMAP 0x10u
#define FMT_KDUMP_UTS_LEN 65
#define FMT_KDUMP_DESC_SIZE 24u
#define FMT_KDUMP_HEADER_SIZE 464u
#define FMT_KDUMP_SUBHDR_SIZE 104u

/** Everything the header needs; the caller keeps the buffers alive. */
struct fmt_kdump_info {
	uint32_t block_size;		/* the dumped kernel's page size */
	uint64_t max_mapnr;		/* PFNs covered by the bitmaps */
	int32_t nr_cpus;
	char utsname[6][FMT_KDUMP_UTS_LEN]; /* sysname nodename release version machine domain */
	int64_t crashtime;		/* timestamp.tv_sec; tv_usec is always 0 */
	uint64_t phys_base;
	int32_t dump_level;
	enum fmt_codec_id codec;
	const uint8_t *notes;		/* copied after the sub-header */
	uint64_t notes_size;
	uint64_t vmcoreinfo_off;	/* of the VMCOREINFO note's desc inside notes; 0 if none */
	uint64_t vmcoreinfo_size;
	bool split;			/* one file of a --split set */
	uint64_t start_pfn;		/* split range [start_pfn, end_pfn) */
	uint64_t end_pfn;
	uint64_t eraseinfo_off;		/* --config: "erase ..." lines after the page data */
	uint64_t eraseinfo_size;	/* 0: none (both fields stay 0 in the sub-header) */
};

/** The largest eraseinfo text a reader takes from a kdump file. */
#define FMT_KDUMP_ERASEINFO_MAX (1u << 20)

/**
 * Byte layout of a kdump file, computed from the info before any page is
 * written. The descriptor table starts at desc_off; page data at data_off.
 */
struct fmt_kdump_layout {
	uint32_t block_size;
	uint32_t sub_hdr_blocks;
	uint64_t bitmap_bytes;		/* one bitmap, block aligned */
	uint64_t bitmap1_off;
	uint64_t bitmap2_off;
	uint64_t desc_off;
};

void fmt_kdump_layout(const struct fmt_kdump_info *info, struct fmt_kdump_layout *ret);
/** A block size readers accept: a power of two from 4 KiB to 256 KiB. */
bool fmt_kdump_block_size_ok(uint64_t block_size);
/**
 * Whether bitmaps of @bitmap_bytes each are more than @max_mapnr bits need: a writer sizes each
 * for max_mapnr bits in whole blocks (makedumpfile: both together rounded up to a block), so
 * more is a corrupt header (which on a sparse file the file size would not bound).
 */
bool fmt_kdump_bitmaps_oversized(uint64_t bitmap_bytes, uint64_t max_mapnr, uint64_t block_size);

/** Encode the 464-byte disk_dump_header (LP64 layout) into @buf. */
void fmt_kdump_encode_header(const struct fmt_kdump_info *info, const struct fmt_kdump_layout *lay,
			     uint32_t status, uint8_t buf[FMT_KDUMP_HEADER_SIZE]);
/** Encode the 104-byte kdump_sub_header (v6, LP64) into @buf. */
void fmt_kdump_encode_subhdr(const struct fmt_kdump_info *info, const struct fmt_kdump_layout *lay,
			     uint8_t buf[FMT_KDUMP_SUBHDR_SIZE]);
/** Encode one page_desc. */
void fmt_kdump_encode_desc(uint64_t offset, uint32_t size, uint32_t flags, uint8_t buf[24]);

/** Opened kdump-compressed file (read side). */
struct fmt_kdump;

enum kd_status fmt_kdump_open(struct fmt_input *in, struct fmt_kdump **ret, struct kd_err *err);
void fmt_kdump_destroy(struct fmt_kdump *kd);
/** True if @in starts with a kdump signature ("KDUMP   " or "DISKDUMP"). */
bool fmt_kdump_probe(struct fmt_input *in);
const struct fmt_kdump_info *fmt_kdump_get_info(const struct fmt_kdump *kd);
uint32_t fmt_kdump_status(const struct fmt_kdump *kd);
uint32_t fmt_kdump_header_version(const struct fmt_kdump *kd);
/** Bit for @pfn in the 1st (present) / 2nd (dumpable) bitmap. */
bool fmt_kdump_pfn_present(const struct fmt_kdump *kd, uint64_t pfn);
bool fmt_kdump_pfn_dumpable(const struct fmt_kdump *kd, uint64_t pfn);
/**
 * Copy bits of the 1st (@second false: present) or 2nd (@second true: dumpable)
 * bitmap for pfns [start, start+64*nwords) into 64-bit words (bit i of word w =
 * pfn start+64w+i); pfns past max_mapnr read as 0. @start must be a multiple of 8.
 */
void fmt_kdump_bitmap_words(const struct fmt_kdump *kd, bool second, uint64_t start,
			    uint64_t *bits, size_t nwords);
/** Read a dumpable page into @buf (block_size bytes). */
enum kd_status fmt_kdump_read_page(struct fmt_kdump *kd, uint64_t pfn, void *buf,
				   struct kd_err *err);
/** The descriptor of a dumpable page. */
enum kd_status fmt_kdump_page_desc(struct fmt_kdump *kd, uint64_t pfn, uint64_t *ret_offset,
				   uint32_t *ret_size, uint32_t *ret_flags, struct kd_err *err);

/* ------------------------------------------------------------------ */
/* ELF core output (-E). */

#define FMT_ELF_DUMP_INCOMPLETE 0x1u	/* e_flags bit: the dump was cut short */

struct fmt_elf_phdr {
	uint32_t type;
	uint32_t flags;
	uint64_t offset;
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
};

size_t fmt_elf_ehdr_size(int elf_class);
size_t fmt_elf_phdr_size(int elf_class);
/** ET_CORE header with the program headers right after it. */
void fmt_elf_encode_ehdr(uint8_t *buf, int elf_class, bool big, uint16_t machine, uint32_t flags,
			 uint16_t phnum);
void fmt_elf_encode_phdr(uint8_t *buf, int elf_class, bool big, const struct fmt_elf_phdr *ph);
/** Bytes of an ELF note named @name (NUL included) with @desc_len bytes of descriptor. */
size_t fmt_elf_note_size(const char *name, size_t desc_len);
/** Encode that note (header, name and descriptor, each padded to 4 bytes) into @buf. */
void fmt_elf_encode_note(uint8_t *buf, bool big, const char *name, uint32_t type,
			 const void *desc, size_t desc_len);

/* ------------------------------------------------------------------ */
/* Flattened stream (makedumpfile -F), see doc/formats/flat.md. */

#define FMT_FLAT_HEADER_SIZE 4096u
#define FMT_FLAT_RECORD_SIZE 16u
#define FMT_FLAT_MAX_RECORD (1ull << 30)	/* larger records are refused as corrupt */

void fmt_flat_encode_header(uint8_t buf[FMT_FLAT_HEADER_SIZE]);
/** Signature "makedumpfile" (NUL-padded to 16), type 1, version 1. */
enum kd_status fmt_flat_check_header(const uint8_t buf[FMT_FLAT_HEADER_SIZE], struct kd_err *err);
void fmt_flat_encode_record(uint64_t offset, uint64_t size, uint8_t buf[FMT_FLAT_RECORD_SIZE]);
void fmt_flat_encode_end(uint8_t buf[FMT_FLAT_RECORD_SIZE]);
/** Decode a record header; *ret_end is set for the {-1,-1} end marker. */
enum kd_status fmt_flat_decode_record(const uint8_t buf[FMT_FLAT_RECORD_SIZE], uint64_t *ret_offset,
				      uint64_t *ret_size, bool *ret_end, struct kd_err *err);

/*
 * How far the file rebuilt from a flattened stream may reach, so that a corrupt stream cannot
 * make a sparse file of terabytes. Until the dump header has arrived, a record may end at
 * FMT_FLAT_HEADLESS_LIMIT. A valid kdump header then bounds the file by its header blocks,
 * bitmaps, max_mapnr page descriptors and max_mapnr blocks of page data (plus eraseinfo). An
 * ELF header gives no bound (makedumpfile -E -F sends its program headers before their
 * values are known). Whatever the header says, no byte may land more than
 * FMT_FLAT_LEAD_RATIO times the bytes read so far plus FMT_FLAT_LEAD_SLACK: a writer sends the
 * bitmaps before the page descriptors and data they index, so the lead stays below about 200x.
 */
#define FMT_FLAT_HEADLESS_LIMIT (1ull << 30)
#define FMT_FLAT_LEAD_RATIO 1024u
#define FMT_FLAT_LEAD_SLACK (64ull << 20)
struct fmt_flat_limit;
enum kd_status fmt_flat_limit_create(struct fmt_flat_limit **ret, struct kd_err *err);
void fmt_flat_limit_destroy(struct fmt_flat_limit *lim);
/** Before writing a record: KD_ERR_CORRUPT if offset + size passes the header's bound. */
enum kd_status fmt_flat_limit_record(const struct fmt_flat_limit *lim, uint64_t offset,
				     uint64_t size, struct kd_err *err);
/** Before writing @len bytes of a record read at @offset: KD_ERR_CORRUPT if they lie too far
 * past the bytes read so far; else they are counted, and kept if they belong to the header. */
enum kd_status fmt_flat_limit_data(struct fmt_flat_limit *lim, uint64_t offset, const void *buf,
				   size_t len, struct kd_err *err);

#endif
