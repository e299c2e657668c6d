/* fmt_input_hole: which byte ranges of a sparse file are holes (read as zeros, need no read). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/formats.h"
#include "tests/unit/tap.h"

#define MIB (1u << 20)

/* A 4 MiB file: a hole, 64 KiB of data at 1 MiB, a hole, 4 KiB of data at 3 MiB, a hole to
 * the end. Returns false when the file system keeps no holes (then nothing can be checked). */
static bool make_sparse(const char *path)
{
	static char data[64 << 10];
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	bool ok;

	memset(data, 0x5a, sizeof(data));
	ok = fd >= 0 && ftruncate(fd, 4 * MIB) == 0 &&
	     pwrite(fd, data, sizeof(data), MIB) == (ssize_t)sizeof(data) &&
	     pwrite(fd, data, 4096, 3 * MIB) == 4096 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	fd = ok ? open(path, O_RDONLY) : -1;
	ok = fd >= 0 && lseek(fd, 0, SEEK_DATA) == (off_t)MIB;
	if (fd >= 0)
		close(fd);
	return ok;
}

int main(void)
{
	struct tap t = { 0 };
	char path[] = "/tmp/kdumpkit-holes.XXXXXX";
	int fd = mkstemp(path);
	struct fmt_input *in = NULL;
	struct kd_err err;

	if (fd < 0 || !make_sparse(path)) {
		printf("ok - # SKIP no sparse files in /tmp\n");
		if (fd >= 0)
			unlink(path);
		return 0;
	}
	close(fd);
	TAP_CHECK(&t, fmt_input_open(path, &in, &err) == KD_OK, "open the sparse file");
	if (!in)
		return tap_finish(&t);
	/* asked in an order that uses and replaces the remembered extents */
	TAP_CHECK(&t, fmt_input_hole(in, 0, 4096), "first page: a hole");
	TAP_CHECK(&t, fmt_input_hole(in, 4096, MIB - 4096), "up to the data: a hole (remembered)");
	TAP_CHECK(&t, !fmt_input_hole(in, MIB - 4096, 8192), "a range ending in the data: not a hole");
	TAP_CHECK(&t, !fmt_input_hole(in, MIB, 4096), "the data: not a hole");
	TAP_CHECK(&t, !fmt_input_hole(in, MIB + 60 * 1024, 4096), "the data's last page: not a hole");
	TAP_CHECK(&t, fmt_input_hole(in, 2 * MIB, MIB), "between the data: a hole");
	TAP_CHECK(&t, !fmt_input_hole(in, 2 * MIB, MIB + 4096), "a hole then data: not a hole");
	TAP_CHECK(&t, !fmt_input_hole(in, 3 * MIB, 4096), "the second data: not a hole");
	TAP_CHECK(&t, fmt_input_hole(in, 3 * MIB + 4096, MIB - 4096), "the tail: a hole");
	TAP_CHECK(&t, !fmt_input_hole(in, 4 * MIB - 4096, 8192), "past the end: not a hole");
	TAP_CHECK(&t, !fmt_input_hole(in, 0, 0), "an empty range: not a hole");
	TAP_CHECK(&t, fmt_input_hole(in, 0, 4096), "first page again: a hole");
	fmt_input_destroy(in);
	unlink(path);

	/* /proc files are read, never asked: SEEK_HOLE there says nothing about zeros */
	in = NULL;
	TAP_CHECK(&t, fmt_input_open("/proc/self/status", &in, &err) == KD_OK, "open a /proc file");
	if (in) {
		TAP_CHECK(&t, !fmt_input_hole(in, 0, 1), "a /proc file: no holes");
		fmt_input_destroy(in);
	}
	return tap_finish(&t);
}
