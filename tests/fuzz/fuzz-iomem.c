/* libFuzzer target: /proc/iomem text (ldr_iomem_parse_buf) and what the loader derives from it. */
#include <stdlib.h>

#include "loader/loader.h"
#include "tests/fuzz/fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldr_iomem *io = NULL;
	struct ldr_range *dump = NULL;
	struct kd_err err;
	size_t n;

	kd_err_clear(&err);
	if (ldr_iomem_parse_buf("fuzz-iomem", (const char *)data, size, &io, &err) != KD_OK) {
		if (err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (int k = 0; k < LDR_RANGE_KINDS; k++) {
		const struct ldr_range *r = ldr_iomem_ranges(io, (enum ldr_range_kind)k, &n);

		ldr_range_kind_name((enum ldr_range_kind)k);
		for (size_t i = 0; i < n; i++) {
			if (r[i].end < r[i].start)
				abort();	/* documented: refused at parse time */
			if (i && r[i].start < r[i - 1].start)
				abort();	/* documented: sorted by start */
		}
	}
	ldr_iomem_entry_count(io);
	if (ldr_iomem_dump_ranges(io, &dump, &n, &err) == KD_OK) {
		for (size_t i = 1; i < n; i++)
			if (dump[i].start <= dump[i - 1].end)
				abort();	/* documented: merged and sorted */
		free(dump);
	}
	ldr_iomem_target_crash_range(io, 0);
	ldr_iomem_target_crash_range(io, 256ull << 20);
	ldr_iomem_destroy(io);
	return 0;
}
