/* Where output bytes go: a file written at offsets, or a flattened stream of
 * "write these bytes at this offset" records (-F) for pipes and ssh. */
#include "collector/collector-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum kd_status write_all(int fd, const char *path, const void *buf, size_t len,
				struct kd_err *err)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kd_err_sys(err, errno, "cannot write '%s'", path);
		}
		p += n;
		len -= (size_t)n;
	}
	return KD_OK;
}

static enum kd_status pwrite_all(int fd, const char *path, const void *buf, size_t len,
				 uint64_t off, uint64_t *ret_end, struct kd_err *err)
{
	const uint8_t *p = buf;

	if (ret_end)
		*ret_end = off;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kd_err_sys(err, errno, "cannot write '%s' at offset %#llx", path,
					  (unsigned long long)off);
		}
		if (n == 0)
			return kd_err_sys(err, ENOSPC, "cannot write '%s' at offset %#llx", path,
					  (unsigned long long)off);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
		if (ret_end)
			*ret_end = off;
	}
	return KD_OK;
}

enum kd_status col_open_output(const char *path, bool force, int *ret_fd, struct kd_err *err)
{
	int flags = O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
	int fd = open(path, flags, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return kd_err_set(err, KD_ERR_INVALID,
					  "'%s' already exists (use -f to overwrite it)", path);
		if (errno == ELOOP)
			return kd_err_set(err, KD_ERR_INVALID,
					  "'%s' is a symbolic link; refusing to write through it", path);
		return kd_err_sys(err, errno, "cannot create '%s'", path);
	}
	*ret_fd = fd;
	return KD_OK;
}

enum kd_status col_sink_open_file(struct col_sink *s, const char *path, bool force,
				  struct kd_err *err)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->aux_fd = -1;
	s->path = path;
	s->own_fd = true;
	if (col_open_output(path, force, &s->fd, err) != KD_OK)
		return err->status;
	s->is_open = true;
	return KD_OK;
}

static enum kd_status open_aux(struct col_sink *s, const char *work_dir, struct kd_err *err)
{
	const char *dir = work_dir ? work_dir : "/tmp";

	/* what must be read back (the page bitmap) is mirrored in an unnamed file */
	s->aux_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->aux_fd < 0)
		return kd_err_sys(err, errno, "cannot create a work file in '%s' (see --work-dir)", dir);
	return KD_OK;
}

enum kd_status col_sink_open_null(struct col_sink *s, const char *name, const char *work_dir,
				  struct kd_err *err)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->aux_fd = -1;
	s->path = name;
	s->null = true;
	if (open_aux(s, work_dir, err) != KD_OK)
		return err->status;
	s->is_open = true;
	return KD_OK;
}

enum kd_status col_sink_open_for(struct col_sink *s, const struct col_options *opt,
				 const char *path, struct kd_err *err)
{
	enum kd_status st;

	if (opt->dry_run)
		st = col_sink_open_null(s, path ? path : "standard output", opt->work_dir, err);
	else if (opt->format == COL_FORMAT_FLAT)
		st = col_sink_open_flat(s, 1, "standard output", opt->work_dir, err);
	else
		st = col_sink_open_file(s, path, opt->force, err);
	s->limit = opt->size_limit;
	return st;
}

enum kd_status col_sink_open_flat(struct col_sink *s, int fd, const char *name,
				  const char *work_dir, struct kd_err *err)
{
	uint8_t hdr[FMT_FLAT_HEADER_SIZE];

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->aux_fd = -1;
	s->path = name;
	s->flat = true;
	s->is_open = true;
	if (open_aux(s, work_dir, err) != KD_OK)
		return err->status;
	fmt_flat_encode_header(hdr);
	return write_all(fd, name, hdr, sizeof(hdr), err);
}

static enum kd_status flat_record(struct col_sink *s, const void *buf, size_t len, uint64_t off,
				  struct kd_err *err);

enum kd_status col_sink_pwrite(struct col_sink *s, const void *buf, size_t len, uint64_t off,
			       struct kd_err *err)
{
	enum kd_status st;

	bool over = false;

	if (!len)
		return KD_OK;
	if (s->limit && off + len > s->limit) {
		/* -L: write what fits, then stop as on a full disk */
		over = true;
		len = off < s->limit ? (size_t)(s->limit - off) : 0;
		s->last_end = off < s->limit ? off : s->limit;
		if (!len)
			return kd_err_set(err, KD_ERR_NOSPC, "'%s': the size limit of %llu bytes is reached",
					  s->path, (unsigned long long)s->limit);
	}
	if (off + len > s->size)
		s->size = off + len;
	s->last_end = off + len;
	if (s->null)
		st = KD_OK;
	else if (!s->flat)
		st = pwrite_all(s->fd, s->path, buf, len, off, &s->last_end, err);
	else
		st = flat_record(s, buf, len, off, err);
	if (st == KD_OK && over)
		st = kd_err_set(err, KD_ERR_NOSPC, "'%s': the size limit of %llu bytes is reached",
				s->path, (unsigned long long)s->limit);
	return st;
}

static enum kd_status flat_record(struct col_sink *s, const void *buf, size_t len, uint64_t off,
				  struct kd_err *err)
{
	uint8_t rec[FMT_FLAT_RECORD_SIZE];
	enum kd_status st;

	fmt_flat_encode_record(off, len, rec);
	st = write_all(s->fd, s->path, rec, sizeof(rec), err);
	if (st == KD_OK)
		st = write_all(s->fd, s->path, buf, len, err);
	return st;
}

enum kd_status col_sink_pwrite_keep(struct col_sink *s, const void *buf, size_t len, uint64_t off,
				    struct kd_err *err)
{
	enum kd_status st = col_sink_pwrite(s, buf, len, off, err);

	if (st == KD_OK && s->aux_fd >= 0)
		st = pwrite_all(s->aux_fd, "work file", buf, len, off, NULL, err);
	return st;
}

enum kd_status col_sink_read_back(struct col_sink *s, void *buf, size_t len, uint64_t off,
				  struct kd_err *err)
{
	int fd = s->aux_fd >= 0 ? s->aux_fd : s->fd;
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_err_sys(err, errno, "cannot read back '%s'", s->path);
		if (n == 0) {
			memset(p + done, 0, len - done);	/* a hole at the end */
			break;
		}
		done += (size_t)n;
	}
	return KD_OK;
}

enum kd_status col_sink_extend(struct col_sink *s, uint64_t size, struct kd_err *err)
{
	if (s->limit && size > s->limit)
		size = s->limit;
	if (s->flat || s->null) {
		if (s->null && size > s->size)
			s->size = size;
		return KD_OK;
	}
	if (ftruncate(s->fd, (off_t)size) < 0)
		return kd_err_sys(err, errno, "cannot extend '%s'", s->path);
	if (size > s->size)
		s->size = size;
	return KD_OK;
}

enum kd_status col_sink_sync(struct col_sink *s, struct kd_err *err)
{
	if (s->flat || s->null)
		return KD_OK;
	if (fsync(s->fd) < 0 && errno != EINVAL)
		return kd_err_sys(err, errno, "cannot sync '%s'", s->path);
	return KD_OK;
}

enum kd_status col_sink_finish(struct col_sink *s, struct kd_err *err)
{
	uint8_t rec[FMT_FLAT_RECORD_SIZE];

	if (!s->flat || s->null)
		return KD_OK;
	fmt_flat_encode_end(rec);
	return write_all(s->fd, s->path, rec, sizeof(rec), err);
}

uint64_t col_sink_close(struct col_sink *s)
{
	uint64_t size = s->size;

	if (s->fd >= 0 && !s->flat && !s->null) {
		off_t end = lseek(s->fd, 0, SEEK_END);

		if (end > 0)
			size = (uint64_t)end;
	}
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	if (s->aux_fd >= 0)
		close(s->aux_fd);
	s->fd = -1;
	s->aux_fd = -1;
	s->is_open = false;
	return size;
}
