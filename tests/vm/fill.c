/*
 * fill: ground-truth helper run inside the test guests (built with gcc -static).
 *
 *   fill gen PATH MIB TAG        write MIB MiB of pattern pages tagged TAG to PATH
 *   fill map PATH KIND           map PATH, touch every page, print "KIND INDEX PFN" per page
 *                                (pages of the running kernel's size: INDEX and PFN count
 *                                16 KiB pages on a 16 KiB-page kernel, which holds four
 *                                pattern pages in each)
 *   fill anon MIB KIND READY     fill MIB MiB of anonymous memory (KIND "zero": zero pages,
 *                                else pattern pages tagged "KD" + KIND in upper case), print
 *                                "KIND INDEX PFN" per page, close stdout, create READY, then
 *                                sleep forever so the pages stay where they are
 *   fill copy SRC DST            copy SRC to DST (a file or a block device), skipping 4 KiB
 *                                blocks of zeros (holes in a file), print the size copied
 *
 * A pattern page (4096 bytes) is: bytes 0-7 the tag (ASCII, NUL padded), bytes 8-15 the page's
 * index in its area (little-endian u64), bytes 16-23 the bitwise NOT of the index, and byte k
 * (24 <= k < 4096) equal to (k + 7 * index) mod 256.  PFNs are printed in hex with 0x.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PAGE = 4096, CHUNK = 1 << 20 };

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "fill: %s '%s': %s\n", what, arg, strerror(errno));
	exit(1);
}

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void make_page(unsigned char *p, const char *tag, uint64_t index)
{
	memset(p, 0, 8);
	memcpy(p, tag, strnlen(tag, 8));
	put_le64(p + 8, index);
	put_le64(p + 16, ~index);
	for (unsigned k = 24; k < PAGE; k++)
		p[k] = (unsigned char)(k + 7 * index);
}

static uint64_t parse_mib(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end || v == 0 || v > (1ULL << 30)) {
		fprintf(stderr, "fill: bad size '%s'\n", s);
		exit(2);
	}
	return v << 20;
}

static int cmd_gen(const char *path, const char *mib, const char *tag)
{
	uint64_t size = parse_mib(mib);
	unsigned char *buf = malloc(CHUNK);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (!buf)
		die("malloc", "buffer");
	if (fd < 0)
		die("cannot create", path);
	for (uint64_t off = 0; off < size; off += CHUNK) {
		for (unsigned i = 0; i < CHUNK / PAGE; i++)
			make_page(buf + i * PAGE, tag, off / PAGE + i);
		if (write(fd, buf, CHUNK) != CHUNK)
			die("cannot write", path);
	}
	if (fsync(fd) || close(fd))
		die("cannot close", path);
	free(buf);
	return 0;
}

/* Print one line per present page of [addr, addr + size). */
static void print_pfns(const char *kind, const unsigned char *addr, uint64_t size)
{
	enum { BATCH = 8192 };
	static uint64_t ent[BATCH];
	uint64_t psz = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t npages = size / psz, absent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		die("cannot open", "/proc/self/pagemap");
	for (uint64_t i = 0; i < npages; i += BATCH) {
		uint64_t n = npages - i < BATCH ? npages - i : BATCH;
		off_t off = (off_t)(((uintptr_t)addr / psz + i) * 8);

		if (pread(fd, ent, n * 8, off) != (ssize_t)(n * 8))
			die("cannot read", "/proc/self/pagemap");
		for (uint64_t j = 0; j < n; j++) {
			uint64_t pfn = ent[j] & ((1ULL << 55) - 1);

			if (!(ent[j] >> 63) || pfn == 0) {
				absent++;
				continue;
			}
			printf("%s %llu 0x%llx\n", kind, (unsigned long long)(i + j),
			       (unsigned long long)pfn);
		}
	}
	if (absent)
		printf("# %s: %llu pages not present\n", kind, (unsigned long long)absent);
	close(fd);
}

static int cmd_map(const char *path, const char *kind)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	volatile unsigned char sink = 0;
	unsigned char *p;

	if (fd < 0 || fstat(fd, &st))
		die("cannot open", path);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("cannot map", path);
	for (off_t off = 0; off < st.st_size; off += PAGE)
		sink ^= p[off];
	(void)sink;
	print_pfns(kind, p, (uint64_t)st.st_size & ~(uint64_t)(PAGE - 1));
	munmap(p, (size_t)st.st_size);
	close(fd);
	return fflush(stdout) ? 1 : 0;
}

static _Noreturn void cmd_anon(const char *mib, const char *kind, const char *ready)
{
	uint64_t size = parse_mib(mib);
	int zero = strcmp(kind, "zero") == 0;
	char tag[9] = "KD";
	unsigned char *p;
	int fd;

	for (size_t i = 0; kind[i] && i < 6; i++)
		tag[2 + i] = (char)(kind[i] >= 'a' && kind[i] <= 'z' ? kind[i] - 32 : kind[i]);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("cannot map", "anonymous memory");
	for (uint64_t i = 0; i < size / PAGE; i++) {
		if (zero)
			((volatile unsigned char *)p)[i * PAGE] = 0;
		else
			make_page(p + i * PAGE, tag, i);
	}
	print_pfns(kind, p, size);
	if (fclose(stdout))
		die("cannot write", "stdout");
	fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("cannot create", ready);
	close(fd);
	for (;;)
		pause();
}

static int all_zero(const unsigned char *p, size_t n)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;

	for (size_t i = 0; i < n / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

static int cmd_copy(const char *src, const char *dst)
{
	unsigned char *buf = aligned_alloc(PAGE, CHUNK);
	int in = open(src, O_RDONLY);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	uint64_t total = 0, holes = 0;

	if (!buf)
		die("malloc", "buffer");
	if (in < 0)
		die("cannot open", src);
	if (out < 0)
		die("cannot create", dst);
	for (;;) {
		ssize_t got = read(in, buf, CHUNK);

		if (got < 0)
			die("cannot read", src);
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got; off += PAGE) {
			size_t n = (size_t)(got - off) < PAGE ? (size_t)(got - off) : PAGE;

			if (n == PAGE && all_zero(buf + off, n)) {
				holes += n;
				continue;
			}
			if (pwrite(out, buf + off, n, (off_t)(total + (uint64_t)off)) != (ssize_t)n)
				die("cannot write", dst);
		}
		total += (uint64_t)got;
	}
	struct stat st;

	if (fstat(out, &st) || (S_ISREG(st.st_mode) && ftruncate(out, (off_t)total)) ||
	    fsync(out) || close(out))
		die("cannot finish", dst);
	close(in);
	free(buf);
	fprintf(stderr, "fill: copied %llu bytes, %llu of them zero blocks\n",
		(unsigned long long)total, (unsigned long long)holes);
	printf("%llu\n", (unsigned long long)total);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "gen"))
		return cmd_gen(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "map"))
		return cmd_map(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "anon"))
		cmd_anon(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "copy"))
		return cmd_copy(argv[2], argv[3]);
	fprintf(stderr, "usage: fill gen PATH MIB TAG | map PATH KIND | anon MIB KIND READY"
			" | copy SRC DST\n");
	return 2;
}
