/* warm: bring a vmcore's data into the page cache, holes left out.
 *
 *   warm FILE
 *
 * Reads every data extent of FILE (SEEK_DATA/SEEK_HOLE; the whole file where the file system
 * cannot tell) and prints "data_bytes=N hole_bytes=N wall=S". bench/run runs it before every
 * timed run: makedumpfile reads every hole of a sparse vmcore (54 GiB of the 64 GiB one), and
 * the zero-filled pages that leaves in the cache push out the data the next run needs.
 *
 * The holes' pages are left in the cache: dropping them (POSIX_FADV_DONTNEED) would be fairer
 * to vmcore-save, whose tmpfs writes then need no reclaim, but it costs makedumpfile far more:
 * on the 16 GiB vmcore its -d 1 -l went from 8.6-12.6 s to 24-25 s (sys 1.7-4.2 -> 16-18 s),
 * re-creating 9 GiB of zero-filled page-cache pages. Runs of ours alone (--ours-only) have no
 * such pages to reclaim.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"

#define WARM_BUF (1u << 20)

/* Read [off, end) of @fd into @buf, a piece at a time; -1 on a read error. */
static int read_span(int fd, uint8_t *buf, off_t off, off_t end)
{
	while (off < end) {
		size_t want = end - off < (off_t)WARM_BUF ? (size_t)(end - off) : WARM_BUF;
		ssize_t n = pread(fd, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t data = 0;
	double t0 = bench_clock(CLOCK_MONOTONIC);
	struct stat st;
	uint8_t *buf;
	off_t off = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: warm FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "warm: cannot open '%s'\n", argv[1]);
		return 1;
	}
	buf = malloc(WARM_BUF);
	if (!buf) {
		fprintf(stderr, "warm: out of memory\n");
		return 1;
	}
	while (off < st.st_size) {
		off_t d = lseek(fd, off, SEEK_DATA), h;

		if (d < 0 && errno == ENXIO)
			break;	/* a hole up to the end */
		if (d < 0) {
			d = off;	/* no SEEK_DATA here: all of it is data */
			h = st.st_size;
		} else {
			h = lseek(fd, d, SEEK_HOLE);
			if (h < 0)
				h = st.st_size;
		}
		if (read_span(fd, buf, d, h) < 0) {
			fprintf(stderr, "warm: cannot read '%s' at offset %lld\n", argv[1],
				(long long)d);
			return 1;
		}
		data += (uint64_t)(h - d);
		off = h;
	}
	printf("data_bytes=%llu hole_bytes=%llu wall=%.3f\n", (unsigned long long)data,
	       (unsigned long long)((uint64_t)st.st_size - data),
	       bench_clock(CLOCK_MONOTONIC) - t0);
	free(buf);
	close(fd);
	return 0;
}
