/* libFuzzer target: the kernel model and the struct page walk (filters/) on a "corrupt dead
 * kernel": a real 6.1 VMCOREINFO (tests/gen/vmcoreinfo-6.1.txt) over physical memory whose
 * every byte comes from the fuzz input. Must end (no loop on cyclic lists or page tables) and
 * never touch memory except through read_phys, which checks its bounds.
 *
 * Input: 8 control bytes, then the memory image M.
 *   c[0]    dump level (low 5 bits)
 *   c[1]    bit 0: pfns with (pfn % 5 == 3) are holes (read_phys fails)
 *           bit 1: pass a page_offset hint; bit 2: walk the window twice
 *           bit 3: also write the kernel log (flt_dmesg_dump)
 *   c[2]    max_pfn = 2^(12 + c[2] % 14) pages (16 MiB .. 256 GiB of physical space)
 *   c[3..4] first walked pfn, in units of 64 pfns scaled to max_pfn
 *   c[5..6] walked pfns (64 .. 8192)
 *   c[7]    window size in units of 64 pfns
 * Physical byte p reads as M[p % |M|] (memory repeats), so pointers the fuzzer plants in M
 * are followed wherever they point below max_pfn.
 */
#include <stdio.h>
#include <string.h>

#include "filters/filters.h"
#include "tests/fuzz/fuzz-util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { CONTROL = 8, PAGE = 4096 };

struct fake_mem {
	const uint8_t *m;
	size_t len;
	uint64_t limit;		/* bytes of physical address space */
	bool holes;
};

static struct fmt_vmcoreinfo *vmcoreinfo;	/* read-only after init */

static enum kd_status fake_read(void *ctx, uint64_t paddr, void *buf, size_t len,
				struct kd_err *err)
{
	const struct fake_mem *fm = ctx;
	uint8_t *out = buf;

	if (paddr >= fm->limit || len > fm->limit - paddr)
		return kd_err_set(err, KD_ERR_NODATA, "address %#llx is not in the dump",
				  (unsigned long long)paddr);
	if (fm->holes) {
		for (uint64_t pfn = paddr / PAGE; pfn <= (paddr + len - 1) / PAGE; pfn++)
			if (pfn % 5 == 3)
				return kd_err_set(err, KD_ERR_NODATA, "pfn %#llx is a hole",
						  (unsigned long long)pfn);
	}
	for (size_t i = 0; i < len; i++)
		out[i] = fm->m[(paddr + i) % fm->len];
	return KD_OK;
}

static char *read_vmcoreinfo_text(size_t *ret_len)
{
	const char *root = getenv("KD_ROOT");
	char path[4096];
	char line[1024];
	size_t cap = 1 << 16, len = 0;
	char *text = malloc(cap);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/gen/vmcoreinfo-6.1.txt", root ? root : ".");
	f = fopen(path, "r");
	if (!f || !text) {
		fprintf(stderr, "fuzz-filters: cannot read %s (run from the source tree or set KD_ROOT)\n",
			path);
		abort();
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		if (line[0] == '#' || len + n >= cap)
			continue;
		memcpy(text + len, line, n);
		len += n;
	}
	fclose(f);
	*ret_len = len;
	return text;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct kd_err err;
	size_t len;
	char *text = read_vmcoreinfo_text(&len);

	(void)argc;
	(void)argv;
	kd_err_clear(&err);
	if (fmt_vmcoreinfo_parse(text, len, &vmcoreinfo, &err) != KD_OK) {
		fprintf(stderr, "fuzz-filters: VMCOREINFO: %s\n", err.msg);
		abort();
	}
	free(text);
	return 0;
}

/* The dmesg sink: counts bytes, stops the walk past 8 MiB (a log never is that large here). */
static enum kd_status count_log(void *ctx, const char *buf, size_t len, struct kd_err *err)
{
	uint64_t *total = ctx;

	fuzz_touch(buf, len);
	*total += len;
	if (*total > (8u << 20))
		return kd_err_set(err, KD_ERR_NOSPC, "log output over 8 MiB");
	return KD_OK;
}

static void walk(struct flt_model *m, int level, uint64_t start, uint64_t n, uint64_t window)
{
	uint64_t *bits = malloc((window / 64) * sizeof(*bits));
	struct flt_stats stats;
	struct kd_err err;

	if (!bits)
		return;
	memset(&stats, 0, sizeof(stats));
	for (uint64_t at = start; at < start + n; at += window) {
		uint64_t w = start + n - at < window ? start + n - at : window;

		memset(bits, 0xff, (w + 63) / 64 * sizeof(*bits));
		kd_err_clear(&err);
		if (flt_exclude_window(m, level, at, w, bits, &stats, &err) != KD_OK)
			break;
	}
	if (flt_stats_excluded(&stats) > stats.present + stats.zero)
		abort();	/* never more pages excluded than were present */
	free(bits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char warn[16][FLT_WARN_LEN];
	struct fake_mem fm;
	struct flt_mem mem;
	struct flt_model *m = NULL;
	struct kd_err err;
	uint64_t max_pfn, start, n, window, pa;
	int level;

	if (size < CONTROL + 64)
		return 0;
	level = data[0] & 31;
	max_pfn = 1ull << (12 + data[2] % 14);
	n = 64 * (1 + ((data[5] | data[6] << 8) % 128));
	start = ((data[3] | (uint64_t)data[4] << 8) * 64) % max_pfn;
	if (start + n > max_pfn)
		start = max_pfn - n;
	window = 64 * (1 + data[7] % 64);
	fm.m = data + CONTROL;
	fm.len = size - CONTROL;
	fm.limit = max_pfn * PAGE;
	fm.holes = data[1] & 1;
	mem.read_phys = fake_read;
	mem.ctx = &fm;
	mem.max_pfn = max_pfn;
	kd_err_clear(&err);
	if (flt_model_create(vmcoreinfo, &mem, (data[1] & 2) ? 0xffff8d0000000000ull : 0, &m,
			     &err) != KD_OK)
		return 0;
	flt_model_effective_level(m, level);
	flt_model_page_size(m);
	flt_model_vtop(m, 0xffffffff98bf9b60ull, &pa, &err);	/* init_uts_ns */
	flt_model_vtop(m, 0xffff8d03fefde000ull, &pa, &err);	/* mem_section */
	walk(m, level, start, n, window);
	if (data[1] & 4)
		walk(m, level, start, n, window);
	if (data[1] & 8) {
		uint64_t total = 0, records = 0;

		kd_err_clear(&err);
		if (flt_dmesg_dump(m, count_log, &total, &records, 0, &err) != KD_OK && err.msg[0] == '\0')
			abort();
	}
	flt_model_warnings(m, level, warn, 16);
	flt_model_destroy(m);
	return 0;
}
