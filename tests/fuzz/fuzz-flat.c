/* libFuzzer target: flattened streams (makedumpfile -F): the header and record decoders,
 * then vmcore-save -R's rebuild (col_rearrange) fed the same bytes from a memfd. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "collector/collector.h"
#include "tests/fuzz/fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_records(const uint8_t *data, size_t size)
{
	struct kd_err err;
	size_t pos = FMT_FLAT_HEADER_SIZE;

	kd_err_clear(&err);
	if (size < FMT_FLAT_HEADER_SIZE || fmt_flat_check_header(data, &err) != KD_OK)
		return;
	while (pos + FMT_FLAT_RECORD_SIZE <= size) {
		uint64_t off, len;
		bool end;

		if (fmt_flat_decode_record(data + pos, &off, &len, &end, &err) != KD_OK || end)
			return;
		if (len > FMT_FLAT_MAX_RECORD)
			abort();	/* documented: larger records are refused */
		pos += FMT_FLAT_RECORD_SIZE;
		if (len > size - pos)
			return;
		pos += len;
	}
}

static void rearrange(const uint8_t *data, size_t size)
{
	struct col_options opt;
	struct col_stats stats;
	struct kd_err err;
	char out[64];
	int fd = fuzz_memfd("fuzz-flat", data, size);

	lseek(fd, 0, SEEK_SET);
	snprintf(out, sizeof(out), "/dev/shm/kdumpkit-fuzz-flat.%d", (int)getpid());
	memset(&opt, 0, sizeof(opt));
	opt.output = out;
	opt.rearrange = true;
	opt.force = true;
	opt.dump_level = 31;
	kd_err_clear(&err);
	if (col_rearrange(&opt, fd, &stats, &err) != KD_OK && err.msg[0] == '\0')
		abort();
	unlink(out);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_err err;

	if (size >= FMT_FLAT_RECORD_SIZE) {
		uint64_t off, len;
		bool end;

		kd_err_clear(&err);
		fmt_flat_decode_record(data, &off, &len, &end, &err);
	}
	decode_records(data, size);
	rearrange(data, size);
	return 0;
}
