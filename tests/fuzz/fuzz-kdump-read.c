/* libFuzzer target: the kdump-compressed reader (headers, bitmaps, descriptors, pages),
 * the input of vmcore-save's re-filter path. */
#include <string.h>

#include "tests/fuzz/fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	SCAN_PFNS = 1u << 16,	/* pfns looked at per input */
	READ_PAGES = 64,	/* pages decompressed per input */
};

static void read_pages(struct fmt_kdump *kd)
{
	const struct fmt_kdump_info *info = fmt_kdump_get_info(kd);
	uint64_t limit = info->max_mapnr < SCAN_PFNS ? info->max_mapnr : SCAN_PFNS;
	unsigned pages = 0;
	uint64_t bits[4];
	struct kd_err err;
	void *buf;

	fuzz_touch(info->notes, info->notes_size);
	for (int i = 0; i < 6; i++)
		fuzz_touch(info->utsname[i], FMT_KDUMP_UTS_LEN);
	fmt_kdump_status(kd);
	fmt_kdump_header_version(kd);
	fmt_kdump_bitmap_words(kd, false, 0, bits, 4);
	fmt_kdump_bitmap_words(kd, true, 0, bits, 4);
	if (info->max_mapnr > 64) {
		fmt_kdump_bitmap_words(kd, true, (info->max_mapnr - 64) & ~7ull, bits, 4);
		fmt_kdump_pfn_present(kd, info->max_mapnr - 1);
	}
	fmt_kdump_pfn_present(kd, info->max_mapnr);
	fmt_kdump_pfn_dumpable(kd, info->max_mapnr);
	fmt_kdump_pfn_dumpable(kd, UINT64_MAX);
	buf = malloc(info->block_size);
	if (!buf)
		return;
	for (uint64_t pfn = 0; pfn < limit && pages < READ_PAGES; pfn++) {
		uint64_t off;
		uint32_t sz, flags;

		fmt_kdump_pfn_present(kd, pfn);
		if (!fmt_kdump_pfn_dumpable(kd, pfn))
			continue;
		kd_err_clear(&err);
		if (fmt_kdump_page_desc(kd, pfn, &off, &sz, &flags, &err) != KD_OK)
			continue;
		kd_err_clear(&err);
		if (fmt_kdump_read_page(kd, pfn, buf, &err) == KD_OK)
			fuzz_touch(buf, info->block_size);
		else if (err.msg[0] == '\0')
			abort();
		pages++;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt_kdump *kd = NULL;
	struct kd_err err;
	struct fmt_input *in;
	int fd;

	in = fuzz_input("fuzz-kdump", data, size, &fd);
	if (!in)
		return 0;
	if (size & 1)
		fmt_input_set_window(in, 4096);
	fmt_kdump_probe(in);
	kd_err_clear(&err);
	if (fmt_kdump_open(in, &kd, &err) == KD_OK) {
		read_pages(kd);
		fmt_kdump_destroy(kd);
	} else if (err.msg[0] == '\0') {
		abort();
	}
	fmt_input_destroy(in);
	close(fd);
	return 0;
}
