/* kdump-compressed reader: header checks, bitmaps, page descriptors, page data. */
#include "formats/formats.h"

#include <stdlib.h>
#include <string.h>

#define KDUMP_RANK_SHIFT 9	/* one cumulative count per 512 pfns */
#define KDUMP_DCACHE 1024	/* descriptors read at once */

struct fmt_kdump {
	struct fmt_input *in;
	struct fmt_kdump_info info;
	struct fmt_kdump_layout lay;
	uint32_t status;
	uint32_t header_version;
	uint8_t *notes;
	uint8_t *bitmap1;
	uint8_t *bitmap2;
	uint64_t *rank;		/* dumpable pages before each 512-pfn chunk */
	uint64_t nr_dumpable;
	uint8_t *cbuf;
	uint8_t *dcache;	/* a run of page descriptors, read with one pread */
	uint64_t dcache_first;	/* index of the first cached descriptor */
	uint64_t dcache_n;	/* 0: empty */
	struct fmt_codec *codecs[4];	/* zlib, lzo, zstd, none: created on demand */
};

bool fmt_kdump_probe(struct fmt_input *in)
{
	const void *p;

	if (fmt_input_size(in) < 8 || fmt_input_get(in, 0, 8, &p, NULL) != KD_OK)
		return false;
	return memcmp(p, "KDUMP   ", 8) == 0 || memcmp(p, "DISKDUMP", 8) == 0;
}

static enum kd_status corrupt(struct fmt_kdump *kd, struct kd_err *err, const char *what)
{
	return kd_err_set(err, KD_ERR_CORRUPT, "'%s': %s", fmt_input_name(kd->in), what);
}

static enum kd_status read_main_header(struct fmt_kdump *kd, struct kd_err *err)
{
	const uint8_t *h;
	enum kd_status st;
	uint32_t bs;

	st = fmt_input_get(kd->in, 0, FMT_KDUMP_HEADER_SIZE, (const void **)&h, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "reading the kdump header");
	if (memcmp(h, "KDUMP   ", 8) != 0 && memcmp(h, "DISKDUMP", 8) != 0)
		return corrupt(kd, err, "not a kdump-compressed file (bad signature)");
	kd->header_version = get_le32(h + 8);
	for (int i = 0; i < 6; i++)
		memcpy(kd->info.utsname[i], h + 12 + i * FMT_KDUMP_UTS_LEN, FMT_KDUMP_UTS_LEN - 1);
	kd->info.crashtime = (int64_t)get_le64(h + 408);
	kd->status = get_le32(h + 424);
	bs = get_le32(h + 428);
	if (!fmt_kdump_block_size_ok(bs))
		return corrupt(kd, err, "block size is not a power of two between 4 KiB and 256 KiB");
	kd->info.block_size = bs;
	kd->lay.block_size = bs;
	kd->lay.sub_hdr_blocks = get_le32(h + 432);
	uint32_t bitmap_blocks = get_le32(h + 436);

	kd->info.max_mapnr = get_le32(h + 440);
	kd->info.nr_cpus = (int32_t)get_le32(h + 460);
	if (kd->header_version < 1 || kd->header_version > 1000)
		return corrupt(kd, err, "unsupported header version");
	if (bitmap_blocks < 2 || (bitmap_blocks & 1))
		return corrupt(kd, err, "bitmap block count is not even");
	kd->lay.bitmap_bytes = (uint64_t)bitmap_blocks / 2 * bs;
	kd->lay.bitmap1_off = (uint64_t)bs * (1 + (uint64_t)kd->lay.sub_hdr_blocks);
	kd->lay.bitmap2_off = kd->lay.bitmap1_off + kd->lay.bitmap_bytes;
	kd->lay.desc_off = kd->lay.bitmap2_off + kd->lay.bitmap_bytes;
	if (kd->lay.desc_off > fmt_input_size(kd->in))
		return corrupt(kd, err, "bitmaps end past the end of the file (truncated?)");
	switch (kd->status & (FMT_CODEC_ZLIB | FMT_CODEC_LZO | FMT_CODEC_SNAPPY | FMT_CODEC_ZSTD)) {
	case FMT_CODEC_ZLIB:
	case FMT_CODEC_LZO:
	case FMT_CODEC_SNAPPY:
	case FMT_CODEC_ZSTD:
		kd->info.codec = kd->status & 0x27;
		break;
	default:
		kd->info.codec = FMT_CODEC_NONE;
	}
	return KD_OK;
}

static enum kd_status read_sub_header(struct fmt_kdump *kd, struct kd_err *err)
{
	const uint8_t *s;
	enum kd_status st;
	uint64_t note_off, note_size, vmci_off, vmci_size;
	uint64_t sub_end = (uint64_t)kd->lay.block_size * (1 + (uint64_t)kd->lay.sub_hdr_blocks);

	if (kd->lay.sub_hdr_blocks == 0)
		return corrupt(kd, err, "sub-header size is zero");
	st = fmt_input_get(kd->in, kd->lay.block_size, FMT_KDUMP_SUBHDR_SIZE, (const void **)&s, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "reading the kdump sub-header");
	kd->info.phys_base = get_le64(s);
	kd->info.dump_level = (int32_t)get_le32(s + 8);
	if (kd->header_version >= 2) {
		kd->info.split = get_le32(s + 12) != 0;
		kd->info.start_pfn = get_le64(s + 16);
		kd->info.end_pfn = get_le64(s + 24);
	}
	if (kd->header_version >= 6) {
		kd->info.start_pfn = get_le64(s + 80);
		kd->info.end_pfn = get_le64(s + 88);
		kd->info.max_mapnr = get_le64(s + 96);
	}
	if (kd->info.max_mapnr > kd->lay.bitmap_bytes * 8)
		return corrupt(kd, err, "max_mapnr exceeds the bitmap size");
	if (kd->header_version >= 5) {
		/* erase info (--config): text after the page data; one that does not fit in the
		 * file is left out, the pages do not depend on it */
		uint64_t eoff = get_le64(s + 64), esize = get_le64(s + 72);
		uint64_t fsize = fmt_input_size(kd->in);

		if (esize && esize <= FMT_KDUMP_ERASEINFO_MAX && eoff >= sub_end &&
		    (!fsize || (eoff <= fsize && esize <= fsize - eoff))) {
			kd->info.eraseinfo_off = eoff;
			kd->info.eraseinfo_size = esize;
		}
	}
	if (kd->header_version < 4)
		return KD_OK;
	vmci_off = get_le64(s + 32);
	vmci_size = get_le64(s + 40);
	note_off = get_le64(s + 48);
	note_size = get_le64(s + 56);
	if (!note_size)
		return KD_OK;
	if (note_off < kd->lay.block_size + FMT_KDUMP_SUBHDR_SIZE || note_off + note_size < note_off ||
	    note_off + note_size > sub_end)
		return corrupt(kd, err, "ELF notes lie outside the sub-header blocks");
	kd->notes = malloc(note_size);
	if (!kd->notes)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the notes");
	st = fmt_input_read(kd->in, note_off, kd->notes, note_size, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "reading the notes");
	kd->info.notes = kd->notes;
	kd->info.notes_size = note_size;
	if (vmci_size && vmci_off >= note_off && vmci_off + vmci_size <= note_off + note_size) {
		kd->info.vmcoreinfo_off = vmci_off - note_off;
		kd->info.vmcoreinfo_size = vmci_size;
	}
	return KD_OK;
}

static enum kd_status read_bitmaps(struct fmt_kdump *kd, struct kd_err *err)
{
	uint64_t bytes = kd->lay.bitmap_bytes;
	uint64_t words = (kd->info.max_mapnr >> KDUMP_RANK_SHIFT) + 2;
	enum kd_status st;
	uint64_t count = 0;

	/* on a sparse file (a rebuilt flattened stream) the file size would not bound these */
	if (fmt_kdump_bitmaps_oversized(bytes, kd->info.max_mapnr, kd->lay.block_size))
		return corrupt(kd, err, "bitmaps are larger than max_mapnr needs");
	kd->bitmap1 = malloc(bytes);
	kd->bitmap2 = malloc(bytes);
	kd->rank = malloc(words * sizeof(*kd->rank));
	if (!kd->bitmap1 || !kd->bitmap2 || !kd->rank)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the bitmaps");
	st = fmt_input_read(kd->in, kd->lay.bitmap1_off, kd->bitmap1, bytes, err);
	if (st == KD_OK)
		st = fmt_input_read(kd->in, kd->lay.bitmap2_off, kd->bitmap2, bytes, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "reading the bitmaps");
	for (uint64_t chunk = 0; chunk * (1u << KDUMP_RANK_SHIFT) < kd->info.max_mapnr; chunk++) {
		uint64_t first = chunk << KDUMP_RANK_SHIFT;

		kd->rank[chunk] = count;
		for (uint64_t b = first / 8; b < (first + (1u << KDUMP_RANK_SHIFT)) / 8 && b < bytes; b++)
			count += (uint64_t)__builtin_popcount(kd->bitmap2[b]);
	}
	kd->nr_dumpable = count;
	if (kd->lay.desc_off + count * FMT_KDUMP_DESC_SIZE > fmt_input_size(kd->in))
		return corrupt(kd, err, "page descriptor table is truncated");
	return KD_OK;
}

enum kd_status fmt_kdump_open(struct fmt_input *in, struct fmt_kdump **ret, struct kd_err *err)
{
	struct fmt_kdump *kd = calloc(1, sizeof(*kd));
	enum kd_status st;

	if (!kd)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	kd->in = in;
	st = read_main_header(kd, err);
	if (st == KD_OK)
		st = read_sub_header(kd, err);
	if (st == KD_OK)
		st = read_bitmaps(kd, err);
	if (st == KD_OK) {
		kd->cbuf = malloc(kd->info.block_size);
		kd->dcache = malloc(KDUMP_DCACHE * FMT_KDUMP_DESC_SIZE);
		if (!kd->cbuf || !kd->dcache)
			st = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	if (st != KD_OK) {
		fmt_kdump_destroy(kd);
		return st;
	}
	*ret = kd;
	return KD_OK;
}

void fmt_kdump_destroy(struct fmt_kdump *kd)
{
	if (!kd)
		return;
	for (size_t i = 0; i < sizeof(kd->codecs) / sizeof(kd->codecs[0]); i++)
		fmt_codec_destroy(kd->codecs[i]);
	free(kd->notes);
	free(kd->bitmap1);
	free(kd->bitmap2);
	free(kd->rank);
	free(kd->cbuf);
	free(kd->dcache);
	free(kd);
}

const struct fmt_kdump_info *fmt_kdump_get_info(const struct fmt_kdump *kd)
{
	return &kd->info;
}

uint32_t fmt_kdump_status(const struct fmt_kdump *kd)
{
	return kd->status;
}

uint32_t fmt_kdump_header_version(const struct fmt_kdump *kd)
{
	return kd->header_version;
}

static bool bit_at(const uint8_t *bm, uint64_t pfn)
{
	return (bm[pfn >> 3] >> (pfn & 7)) & 1;
}

bool fmt_kdump_pfn_present(const struct fmt_kdump *kd, uint64_t pfn)
{
	return pfn < kd->info.max_mapnr && bit_at(kd->bitmap1, pfn);
}

bool fmt_kdump_pfn_dumpable(const struct fmt_kdump *kd, uint64_t pfn)
{
	return pfn < kd->info.max_mapnr && bit_at(kd->bitmap2, pfn);
}

void fmt_kdump_bitmap_words(const struct fmt_kdump *kd, bool second, uint64_t start,
			    uint64_t *bits, size_t nwords)
{
	const uint8_t *bm = second ? kd->bitmap2 : kd->bitmap1;
	uint64_t nbytes = (kd->info.max_mapnr + 7) / 8;

	for (size_t w = 0; w < nwords; w++) {
		uint64_t byte = start / 8 + 8 * (uint64_t)w;
		uint8_t b[8] = { 0 };

		for (int i = 0; i < 8; i++) {
			if (byte + (uint64_t)i < nbytes)
				b[i] = bm[byte + (uint64_t)i];
		}
		bits[w] = get_le64(b);
		/* the last byte may hold bits past max_mapnr */
		uint64_t first = start + 64 * (uint64_t)w;

		if (first + 64 > kd->info.max_mapnr)
			bits[w] &= first >= kd->info.max_mapnr ? 0 :
				   (1ull << (kd->info.max_mapnr - first)) - 1;
	}
}

enum kd_status fmt_kdump_page_desc(struct fmt_kdump *kd, uint64_t pfn, uint64_t *ret_offset,
				   uint32_t *ret_size, uint32_t *ret_flags, struct kd_err *err)
{
	uint64_t idx, first;
	const uint8_t *d;
	enum kd_status st;

	if (!fmt_kdump_pfn_dumpable(kd, pfn))
		return kd_err_set(err, KD_ERR_NODATA, "page %#llx is not in the dump",
				  (unsigned long long)pfn);
	first = pfn >> KDUMP_RANK_SHIFT << KDUMP_RANK_SHIFT;
	idx = kd->rank[pfn >> KDUMP_RANK_SHIFT];
	for (uint64_t p = first; p < pfn; p++) {
		if ((p & 7) == 0 && p + 8 <= pfn) {
			idx += (uint64_t)__builtin_popcount(kd->bitmap2[p >> 3]);
			p += 7;
			continue;
		}
		idx += bit_at(kd->bitmap2, p);
	}
	if (idx < kd->dcache_first || idx >= kd->dcache_first + kd->dcache_n) {
		uint64_t n = kd->nr_dumpable - idx;

		if (n > KDUMP_DCACHE)
			n = KDUMP_DCACHE;
		kd->dcache_n = 0;
		st = fmt_input_read(kd->in, kd->lay.desc_off + idx * FMT_KDUMP_DESC_SIZE, kd->dcache,
				    n * FMT_KDUMP_DESC_SIZE, err);
		if (st != KD_OK)
			return st;
		kd->dcache_first = idx;
		kd->dcache_n = n;
	}
	d = kd->dcache + (idx - kd->dcache_first) * FMT_KDUMP_DESC_SIZE;
	*ret_offset = get_le64(d);
	*ret_size = get_le32(d + 8);
	*ret_flags = get_le32(d + 12);
	return KD_OK;
}

static int codec_slot(uint32_t flags)
{
	if (flags & FMT_CODEC_ZLIB)
		return 0;
	if (flags & FMT_CODEC_LZO)
		return 1;
	if (flags & FMT_CODEC_ZSTD)
		return 2;
	if (flags & FMT_CODEC_SNAPPY)
		return -1;
	return 3;
}

enum kd_status fmt_kdump_read_page(struct fmt_kdump *kd, uint64_t pfn, void *buf,
				   struct kd_err *err)
{
	static const enum fmt_codec_id ids[] = { FMT_CODEC_ZLIB, FMT_CODEC_LZO, FMT_CODEC_ZSTD,
						 FMT_CODEC_NONE };
	uint64_t off;
	uint32_t size, flags;
	enum kd_status st;
	const void *src;
	int slot;

	st = fmt_kdump_page_desc(kd, pfn, &off, &size, &flags, err);
	if (st != KD_OK)
		return st;
	if (off == 0)
		return kd_err_set(err, KD_ERR_NODATA,
				  "page %#llx was not written (incomplete dump)", (unsigned long long)pfn);
	if (size > kd->info.block_size || size == 0)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': page %#llx has a bad size %u",
				  fmt_input_name(kd->in), (unsigned long long)pfn, size);
	slot = codec_slot(flags);
	if (slot < 0)
		return kd_err_set(err, KD_ERR_NOTIMPL, "page %#llx is snappy-compressed (not supported)",
				  (unsigned long long)pfn);
	if (!kd->codecs[slot]) {
		st = fmt_codec_create(ids[slot], kd->info.block_size, &kd->codecs[slot], err);
		if (st != KD_OK)
			return st;
	}
	st = fmt_input_get(kd->in, off, size, &src, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "page %#llx", (unsigned long long)pfn);
	st = fmt_codec_decompress(kd->codecs[slot], src, size, buf, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "'%s': page %#llx", fmt_input_name(kd->in),
				     (unsigned long long)pfn);
	return KD_OK;
}
