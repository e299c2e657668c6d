/* Helpers shared by the libFuzzer targets in tests/fuzz/ (header-only, one per binary). */
#ifndef KD_FUZZ_UTIL_H
#define KD_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "formats/formats.h"

/* An anonymous in-memory file holding @size bytes of @data, or -1. */
static inline int fuzz_memfd(const char *name, const uint8_t *data, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		abort();	/* the harness, not the code under test, is broken */
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	return fd;
}

/* Open @data as a fmt_input (a regular file, so mmap windows are used). */
static inline struct fmt_input *fuzz_input(const char *name, const uint8_t *data, size_t size,
					   int *ret_fd)
{
	struct fmt_input *in = NULL;
	struct kd_err err;
	int fd = fuzz_memfd(name, data, size);

	kd_err_clear(&err);
	if (fmt_input_from_fd(fd, name, &in, &err) != KD_OK) {
		close(fd);
		return NULL;
	}
	*ret_fd = fd;
	return in;
}

/* Touch every byte of a buffer the code under test handed back (ASan checks the bounds). */
static inline unsigned fuzz_touch(const void *p, size_t len)
{
	const volatile uint8_t *b = p;
	unsigned sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

#endif
