/* Small text files under a configurable root: /proc and /sys as the loader reads them. */
#include "loader/loader-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *ldr_sysroot_path(const char *sysroot, const char *rel)
{
	char *path;

	while (*rel == '/')
		rel++;
	if (!sysroot || !*sysroot)
		sysroot = "/";
	if (asprintf(&path, "%s%s%s", sysroot, sysroot[strlen(sysroot) - 1] == '/' ? "" : "/",
		     rel) < 0)
		return NULL;
	return path;
}

enum kd_status ldr_read_text_file(const char *path, size_t max, char **ret, size_t *len_ret,
				  struct kd_err *err)
{
	size_t len = 0, cap = 4096;
	char *buf, *bigger;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_sys(err, errno, "cannot open '%s'", path);
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory reading '%s'", path);
	}
	for (;;) {
		if (len + 1 == cap) {
			if (cap > max) {
				free(buf);
				close(fd);
				return kd_err_set(err, KD_ERR_CORRUPT,
						  "'%s' is larger than %zu bytes", path, max);
			}
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				close(fd);
				return kd_err_set(err, KD_ERR_NOMEM, "out of memory reading '%s'",
						  path);
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			close(fd);
			return kd_err_sys(err, e, "cannot read '%s'", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	if (len_ret)
		*len_ret = len;
	return KD_OK;
}

/* Read one decimal value; -1 in *@ret when the file does not exist. */
static enum kd_status read_sys_number(const char *sysroot, const char *rel, int64_t *ret,
				      struct kd_err *err)
{
	enum kd_status st;
	char *path, *text, *end;
	long long v;

	path = ldr_sysroot_path(sysroot, rel);
	if (!path)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	st = ldr_read_text_file(path, 4096, &text, NULL, err);
	if (st) {
		if (st == KD_ERR_SYSTEM && err && err->sys_errno == ENOENT) {
			kd_err_clear(err);
			*ret = -1;
			st = KD_OK;
		}
		free(path);
		return st;
	}
	errno = 0;
	v = strtoll(text, &end, 10);
	while (*end == '\n' || *end == ' ')
		end++;
	if (errno || end == text || *end || v < 0)
		st = kd_err_set(err, KD_ERR_CORRUPT, "'%s' does not hold a number", path);
	else
		*ret = v;
	free(text);
	free(path);
	return st;
}

enum kd_status ldr_sysfs_crash_state(const char *sysroot, int *loaded_ret, int64_t *size_ret,
				     struct kd_err *err)
{
	int64_t loaded, size;
	enum kd_status st;

	st = read_sys_number(sysroot, "sys/kernel/kexec_crash_loaded", &loaded, err);
	if (st)
		return st;
	st = read_sys_number(sysroot, "sys/kernel/kexec_crash_size", &size, err);
	if (st)
		return st;
	*loaded_ret = loaded < 0 ? -1 : loaded > 0;
	*size_ret = size;
	return KD_OK;
}

const char *ldr_size_str(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%.0f %s", v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}
