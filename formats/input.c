/* Input files: large mmap windows, with a pread fallback for unmappable files. */
#include "formats/formats.h"
#include "formats/bigmem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define INPUT_DEFAULT_WINDOW (4u << 20)
#define INPUT_READ_CHUNK (1u << 20)	/* read-ahead of the pread path */

struct fmt_input {
	int fd;
	bool own_fd;
	char *name;
	uint64_t size;
	size_t page;
	size_t window;		/* 0: mmap disabled */
	uint8_t *map;		/* current mapping */
	uint64_t map_off;
	size_t map_len;
	uint8_t *buf;		/* pread buffer */
	size_t buf_cap;
	uint64_t buf_off;	/* file offset of buf's bytes */
	size_t buf_len;		/* valid bytes in buf (0: none) */
	bool holes;		/* a file whose holes SEEK_DATA/SEEK_HOLE report */
	uint64_t hole_lo, hole_hi;	/* the last hole found: [lo, hi) */
	uint64_t data_lo, data_hi;	/* the last data extent found */
};

static enum kd_status input_init(int fd, bool own, const char *name, struct fmt_input **ret,
				 struct kd_err *err)
{
	struct fmt_input *in;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return kd_err_sys(err, errno, "cannot stat '%s'", name);
	if (S_ISDIR(st.st_mode))
		return kd_err_set(err, KD_ERR_INVALID, "'%s' is a directory", name);
	in = calloc(1, sizeof(*in));
	if (!in)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	in->name = strdup(name);
	if (!in->name) {
		free(in);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	in->fd = fd;
	in->own_fd = own;
	in->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	in->page = (size_t)sysconf(_SC_PAGESIZE);
	/*
	 * /proc/vmcore is read through mmap windows (the kernel maps old memory
	 * directly); other files through pread with read-ahead, which costs a
	 * quarter of the page faults of a mapping here.
	 */
	struct statfs sfs;

	bool on_proc = S_ISREG(st.st_mode) && fstatfs(fd, &sfs) == 0 &&
		       sfs.f_type == PROC_SUPER_MAGIC;

	in->window = on_proc ? INPUT_DEFAULT_WINDOW : 0;
	/* a saved vmcore copied sparse: its zero pages may be holes, which need no read
	 * (/proc's SEEK_HOLE answers say nothing about zeros) */
	in->holes = S_ISREG(st.st_mode) && !on_proc;
	*ret = in;
	return KD_OK;
}

enum kd_status fmt_input_open(const char *path, struct fmt_input **ret, struct kd_err *err)
{
	enum kd_status st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_sys(err, errno, "cannot open '%s'", path);
	st = input_init(fd, true, path, ret, err);
	if (st != KD_OK)
		close(fd);
	return st;
}

enum kd_status fmt_input_from_fd(int fd, const char *name, struct fmt_input **ret,
				 struct kd_err *err)
{
	return input_init(fd, false, name, ret, err);
}

static void input_unmap(struct fmt_input *in)
{
	if (in->map) {
		munmap(in->map, in->map_len);
		in->map = NULL;
		in->map_len = 0;
	}
}

void fmt_input_destroy(struct fmt_input *in)
{
	if (!in)
		return;
	input_unmap(in);
	if (in->own_fd)
		close(in->fd);
	kd_big_free(in->buf, in->buf_cap);
	free(in->name);
	free(in);
}

uint64_t fmt_input_size(const struct fmt_input *in)
{
	return in->size;
}

int fmt_input_fd(const struct fmt_input *in)
{
	return in->fd;
}

const char *fmt_input_name(const struct fmt_input *in)
{
	return in->name;
}

size_t fmt_input_window(const struct fmt_input *in)
{
	return in->window;
}

void fmt_input_set_window(struct fmt_input *in, size_t window)
{
	input_unmap(in);
	in->buf_len = 0;
	if (window)
		window = (window + in->page - 1) / in->page * in->page;
	in->window = window;
}

static enum kd_status check_range(struct fmt_input *in, uint64_t off, size_t len,
				  struct kd_err *err)
{
	uint64_t end;

	if (add_u64_overflow(off, len, &end) || end > in->size)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "'%s' is truncated: need %zu bytes at offset %#llx, file size is %#llx",
				  in->name, len, (unsigned long long)off,
				  (unsigned long long)in->size);
	return KD_OK;
}

static enum kd_status input_map(struct fmt_input *in, uint64_t off, size_t len)
{
	uint64_t start = off / in->window * in->window;
	uint64_t need_end = off + len;
	size_t map_len = in->window;
	void *p;

	if (need_end - start > map_len)
		map_len = (size_t)((need_end - start + in->page - 1) / in->page * in->page);
	if (start + map_len > in->size)
		map_len = (size_t)(in->size - start);
	input_unmap(in);
	p = mmap(NULL, map_len, PROT_READ, MAP_SHARED, in->fd, (off_t)start);
	if (p == MAP_FAILED)
		return KD_ERR_SYSTEM;
	madvise(p, map_len, MADV_SEQUENTIAL);
	in->map = p;
	in->map_off = start;
	in->map_len = map_len;
	return KD_OK;
}

static enum kd_status input_pread(struct fmt_input *in, uint64_t off, void *dst, size_t len,
				  struct kd_err *err)
{
	uint8_t *p = dst;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(in->fd, p + done, len - done, (off_t)(off + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kd_err_sys(err, errno, "cannot read '%s' at offset %#llx", in->name,
					  (unsigned long long)(off + done));
		}
		if (n == 0)
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "'%s' is truncated: unexpected end of file at offset %#llx",
					  in->name, (unsigned long long)(off + done));
		done += (size_t)n;
	}
	return KD_OK;
}

/* Whether in->buf holds [off, off + len). */
static bool buf_holds(const struct fmt_input *in, uint64_t off, size_t len)
{
	return in->buf_len && off >= in->buf_off && off + len <= in->buf_off + in->buf_len;
}

/* Read exactly [off, off + len) into in->buf, growing it; on failure it holds nothing. */
static enum kd_status buf_fill(struct fmt_input *in, uint64_t off, size_t len, struct kd_err *err)
{
	enum kd_status st;

	if (len > in->buf_cap) {
		/* (what it held is read again anyway: no copy) */
		uint8_t *nb = kd_big_alloc(len);

		if (!nb)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory reading '%s'", in->name);
		kd_big_free(in->buf, in->buf_cap);
		in->buf = nb;
		in->buf_cap = len;
	}
	in->buf_len = 0;
	st = input_pread(in, off, in->buf, len, err);
	if (st != KD_OK)
		return st;
	in->buf_off = off;
	in->buf_len = len;
	return KD_OK;
}

enum kd_status fmt_input_get(struct fmt_input *in, uint64_t off, size_t len, const void **ret,
			     struct kd_err *err)
{
	enum kd_status st = check_range(in, off, len, err);

	if (st != KD_OK)
		return st;
	if (in->map && off >= in->map_off && off + len <= in->map_off + in->map_len) {
		*ret = in->map + (off - in->map_off);
		return KD_OK;
	}
	if (in->window && len <= in->window * 4) {
		if (input_map(in, off, len) == KD_OK) {
			*ret = in->map + (off - in->map_off);
			return KD_OK;
		}
		in->window = 0;	/* not mappable: read from now on */
	}
	if (buf_holds(in, off, len)) {
		*ret = in->buf + (off - in->buf_off);
		return KD_OK;
	}
	size_t want = len < INPUT_READ_CHUNK ? INPUT_READ_CHUNK : len;

	if (want > in->size - off)
		want = (size_t)(in->size - off);
	st = buf_fill(in, off, want, err);
	if (st != KD_OK && st != KD_ERR_NOMEM && want > len)
		/* an unreadable page inside the read-ahead (EIO from /proc/vmcore): the failure
		 * must be the requested bytes' own, so read just those */
		st = buf_fill(in, off, len, err);
	if (st != KD_OK)
		return st;
	*ret = in->buf;
	return KD_OK;
}

enum kd_status fmt_input_read(struct fmt_input *in, uint64_t off, void *buf, size_t len,
			      struct kd_err *err)
{
	enum kd_status st = check_range(in, off, len, err);

	if (st != KD_OK)
		return st;
	/* a mapped input (/proc/vmcore) copies from its windows: one copy, no per-page
	 * kernel work; otherwise pread straight into @buf (no bounce through in->buf) */
	while (in->window && len) {
		size_t piece = len < in->window ? len : in->window;
		const void *p;

		st = fmt_input_get(in, off, piece, &p, err);
		if (st != KD_OK)
			return st;
		memcpy(buf, p, piece);
		buf = (uint8_t *)buf + piece;
		off += piece;
		len -= piece;
	}
	if (!len)
		return KD_OK;
	return input_pread(in, off, buf, len, err);
}

bool fmt_input_hole(struct fmt_input *in, uint64_t off, uint64_t len)
{
	off_t at;

	if (!in->holes || !len || off >= in->size || len > in->size - off)
		return false;
	if (off >= in->hole_lo && off + len <= in->hole_hi)
		return true;
	if (off >= in->data_lo && off < in->data_hi)
		return false;
	/* lseek moves the shared file offset: harmless, every read here is pread or mmap */
	at = lseek(in->fd, (off_t)off, SEEK_DATA);
	if (at < 0 && errno == ENXIO) {
		at = (off_t)in->size;	/* a hole up to the end of the file */
	} else if (at < 0) {
		in->holes = false;	/* not supported here: read everything */
		return false;
	}
	if ((uint64_t)at > off) {
		in->hole_lo = off;
		in->hole_hi = (uint64_t)at;
		return off + len <= in->hole_hi;
	}
	at = lseek(in->fd, (off_t)off, SEEK_HOLE);
	if (at < 0 || (uint64_t)at <= off) {
		in->holes = false;
		return false;
	}
	in->data_lo = off;
	in->data_hi = (uint64_t)at;
	return false;
}

enum kd_status fmt_input_prefetch(struct fmt_input *in, uint64_t off, size_t len,
				  struct kd_err *err)
{
	enum kd_status st = check_range(in, off, len, err);
	const void *p;

	if (st != KD_OK)
		return st;
	if (in->window)
		return fmt_input_get(in, off, len, &p, err);
	if (buf_holds(in, off, len))
		return KD_OK;
	/* exactly these bytes: a caller that knows its run wastes no read-ahead */
	return buf_fill(in, off, len, err);
}
