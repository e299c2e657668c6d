/* libFuzzer target: kernel image probing (ldr_image_probe) and the bzImage setup header
 * parser (ldr_bzimage_parse). */
#include "loader/arch/x86_64/x86_64.h"
#include "loader/loader.h"
#include "tests/fuzz/fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ldr_image_info info;
	struct ldr_bzimage bz;
	struct kd_err err;

	kd_err_clear(&err);
	ldr_image_probe(data, size, size, &info, &err);
	/* Only the head read, of a file said to be larger (as kdump-load probes). */
	ldr_image_probe(data, size < 1024 ? size : 1024, (uint64_t)size * 4096, &info, &err);
	ldr_image_kind_name(info.kind);
	kd_err_clear(&err);
	if (ldr_bzimage_parse(data, size, &bz, &err) == KD_OK) {
		if (bz.kernel < (const uint8_t *)data || bz.kernel_size > size ||
		    bz.kernel + bz.kernel_size > (const uint8_t *)data + size)
			abort();	/* the protected-mode part must lie inside the image */
		fuzz_touch(bz.kernel, bz.kernel_size > 4096 ? 4096 : bz.kernel_size);
	} else if (err.msg[0] == '\0') {
		abort();
	}
	return 0;
}
