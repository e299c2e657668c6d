/*
 * eio-shim: an LD_PRELOAD library that makes reads of chosen pages of one file fail with
 * EIO, as /proc/vmcore does when old memory cannot be copied, and can make that file look
 * like /proc/vmcore (fstatfs reports PROC_SUPER_MAGIC, so formats/input.c maps it in windows).
 *
 *   KD_SHIM_FILE=PATH       the file (matched by device and inode; other files are untouched)
 *   KD_SHIM_EIO=OFF,OFF...  file offsets (decimal or 0x hex): the 4 KiB page at each fails
 *   KD_SHIM_PROC=1          fstatfs on the file reports PROC_SUPER_MAGIC
 *   KD_SHIM_SIGBUS=OFF,...  file offsets whose 4 KiB page maps (mmap succeeds) but raises
 *                           SIGBUS when touched, as poisoned memory does, and fails pread
 *                           with EIO
 *   KD_SHIM_LOG=PATH        append one line per injected failure, and "map OFF" per mapping of
 *                           the file
 *   KD_SHIM_SHORT_WRITE=N   write/pwrite to any regular file but stderr write at most N bytes
 *                           per call (short writes, as a full pipe or a signal can cause)
 *
 * A read that starts before a bad page returns the bytes up to it (a short read), one that
 * starts inside it fails with EIO, like the kernel's read_vmcore(). mmap of a range holding
 * a bad page fails (EAGAIN, as mmap_vmcore() does when a remap fails), so the reader falls
 * back to pread there. Test code: built by the test that uses it (cc -shared -fPIC).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <unistd.h>

#define SHIM_PAGE 4096u
#define SHIM_MAX_BAD 256
#define SHIM_PROC_MAGIC 0x9fa0

struct shim {
	int ready;		/* 0: not yet, 1: active, -1: inactive */
	dev_t dev;
	ino_t ino;
	uint64_t bad[SHIM_MAX_BAD];
	size_t nbad;
	uint64_t sigbus[SHIM_MAX_BAD];
	size_t nsigbus;
	int proc;
	const char *log;
	size_t short_write;	/* 0: off */
};

/* The state of a preloaded test library: set once, from the environment. */
static struct shim shim;

/* Parse "OFF,OFF..." into page offsets. */
static size_t parse_offsets(const char *list, uint64_t *out)
{
	size_t n = 0;

	while (list && *list && n < SHIM_MAX_BAD) {
		char *end;
		unsigned long long v = strtoull(list, &end, 0);

		if (end == list)
			break;
		out[n++] = v / SHIM_PAGE * SHIM_PAGE;
		list = *end == ',' ? end + 1 : end;
	}
	return n;
}

static void shim_init(void)
{
	const char *path = getenv("KD_SHIM_FILE");
	struct stat st;

	if (shim.ready)
		return;
	shim.ready = -1;
	if (getenv("KD_SHIM_SHORT_WRITE"))
		shim.short_write = (size_t)strtoull(getenv("KD_SHIM_SHORT_WRITE"), NULL, 0);
	if (!path || stat(path, &st) != 0)
		return;
	shim.dev = st.st_dev;
	shim.ino = st.st_ino;
	shim.nbad = parse_offsets(getenv("KD_SHIM_EIO"), shim.bad);
	shim.nsigbus = parse_offsets(getenv("KD_SHIM_SIGBUS"), shim.sigbus);
	shim.proc = getenv("KD_SHIM_PROC") && atoi(getenv("KD_SHIM_PROC"));
	shim.log = getenv("KD_SHIM_LOG");
	shim.ready = 1;
}

static int is_target(int fd)
{
	struct stat st;

	shim_init();
	return shim.ready == 1 && fstat(fd, &st) == 0 && st.st_dev == shim.dev &&
	       st.st_ino == shim.ino;
}

static void shim_log(const char *what, uint64_t off)
{
	FILE *f;

	if (!shim.log || !(f = fopen(shim.log, "a")))
		return;
	fprintf(f, "%s %#llx\n", what, (unsigned long long)off);
	fclose(f);
}

/* The first page of @list overlapping [off, off+len), or UINT64_MAX. */
static uint64_t first_in(const uint64_t *list, size_t n, uint64_t off, uint64_t len)
{
	uint64_t best = UINT64_MAX;

	for (size_t i = 0; i < n; i++) {
		uint64_t b = list[i];

		if (b + SHIM_PAGE > off && b < off + len && b < best)
			best = b;
	}
	return best;
}

/* The first page overlapping [off, off+len) that a read fails on, or UINT64_MAX. */
static uint64_t first_bad(uint64_t off, uint64_t len)
{
	uint64_t a = first_in(shim.bad, shim.nbad, off, len);
	uint64_t b = first_in(shim.sigbus, shim.nsigbus, off, len);

	return a < b ? a : b;
}

/* How many bytes of a read at @off may succeed; -1 with errno EIO when none. */
static ssize_t allowed(int fd, uint64_t off, size_t len)
{
	uint64_t b;

	if (!len || !is_target(fd))
		return (ssize_t)len;
	b = first_bad(off, len);
	if (b == UINT64_MAX)
		return (ssize_t)len;
	if (b <= off) {
		shim_log("eio", off);
		errno = EIO;
		return -1;
	}
	return (ssize_t)(b - off);
}

typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*fstatfs_fn)(int, struct statfs *);

static ssize_t do_pread(const char *name, int fd, void *buf, size_t len, off_t off)
{
	pread_fn real = (pread_fn)dlsym(RTLD_NEXT, name);
	ssize_t n = allowed(fd, (uint64_t)off, len);

	if (n < 0)
		return -1;
	return real(fd, buf, (size_t)n, off);
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	return do_pread("pread", fd, buf, len, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
	return do_pread("pread64", fd, buf, len, off);
}

ssize_t read(int fd, void *buf, size_t len)
{
	read_fn real = (read_fn)dlsym(RTLD_NEXT, "read");
	off_t pos;
	ssize_t n;

	if (!is_target(fd))
		return real(fd, buf, len);
	pos = lseek(fd, 0, SEEK_CUR);
	n = pos < 0 ? (ssize_t)len : allowed(fd, (uint64_t)pos, len);
	if (n < 0)
		return -1;
	return real(fd, buf, (size_t)n);
}

static void *do_mmap(const char *name, void *addr, size_t len, int prot, int flags, int fd,
		     off_t off)
{
	mmap_fn real = (mmap_fn)dlsym(RTLD_NEXT, name);

	uint8_t *p;

	if (fd < 0 || (flags & MAP_ANONYMOUS) || !is_target(fd))
		return real(addr, len, prot, flags, fd, off);
	if (first_in(shim.bad, shim.nbad, (uint64_t)off, len) != UINT64_MAX) {
		shim_log("mmap-fail", (uint64_t)off);
		errno = EAGAIN;
		return MAP_FAILED;
	}
	p = real(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return p;
	shim_log("map", (uint64_t)off);
	/* each SIGBUS page: a page of an empty memfd over it (touching it is past its end) */
	for (size_t i = 0; i < shim.nsigbus; i++) {
		uint64_t b = shim.sigbus[i];
		int mfd;

		if (b < (uint64_t)off || b + SHIM_PAGE > (uint64_t)off + len)
			continue;
		mfd = memfd_create("kd-shim-sigbus", MFD_CLOEXEC);
		if (mfd < 0 || real(p + (b - (uint64_t)off), SHIM_PAGE, PROT_READ, MAP_SHARED | MAP_FIXED,
				    mfd, 0) == MAP_FAILED)
			abort();
		close(mfd);
		shim_log("sigbus-page", b);
	}
	return p;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return do_mmap("mmap", addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return do_mmap("mmap64", addr, len, prot, flags, fd, off);
}

static int do_fstatfs(const char *name, int fd, struct statfs *buf)
{
	fstatfs_fn real = (fstatfs_fn)dlsym(RTLD_NEXT, name);
	int rc = real(fd, buf);

	if (rc == 0 && is_target(fd) && shim.proc)
		buf->f_type = SHIM_PROC_MAGIC;
	return rc;
}

int fstatfs(int fd, struct statfs *buf)
{
	return do_fstatfs("fstatfs", fd, buf);
}

int fstatfs64(int fd, struct statfs64 *buf)
{
	/* the same layout as struct statfs on 64-bit hosts */
	return do_fstatfs("fstatfs64", fd, (struct statfs *)buf);
}

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);

/* How much of a write of @len bytes to @fd to let through. */
static size_t write_len(int fd, size_t len)
{
	struct stat st;

	shim_init();
	if (shim.short_write && fd != 2 && len > shim.short_write && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode))
		return shim.short_write;
	return len;
}

static ssize_t do_pwrite(const char *name, int fd, const void *buf, size_t len, off_t off)
{
	pwrite_fn real = (pwrite_fn)dlsym(RTLD_NEXT, name);

	return real(fd, buf, write_len(fd, len), off);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return do_pwrite("pwrite", fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return do_pwrite("pwrite64", fd, buf, len, off);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	write_fn real = (write_fn)dlsym(RTLD_NEXT, "write");

	return real(fd, buf, write_len(fd, len));
}
