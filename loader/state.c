/* The kernel's crash-kernel state: loaded flag, reserved size, Crash kernel ranges. */
#include "loader/loader-priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum kd_status ldr_state_read(const char *sysroot, const char *iomem_path, struct ldr_state *st,
			      struct kd_err *err)
{
	struct kd_err ioerr;
	struct ldr_iomem *io;
	const struct ldr_range *crash;
	enum kd_status s;
	char *path = NULL;
	size_t n;

	memset(st, 0, sizeof(*st));
	s = ldr_sysfs_crash_state(sysroot, &st->loaded, &st->crash_size, err);
	if (s)
		return s;
	if (!iomem_path) {
		path = ldr_sysroot_path(sysroot, "proc/iomem");
		if (!path)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	kd_err_clear(&ioerr);
	s = ldr_iomem_parse_file(iomem_path ? iomem_path : path, &io, &ioerr);
	free(path);
	if (s == KD_ERR_NOMEM)
		return kd_err_set(err, s, "%s", ioerr.msg);
	if (s) {
		st->addresses_hidden = s == KD_ERR_SYSTEM && ioerr.sys_errno == EPERM;
		memcpy(st->iomem_error, ioerr.msg, sizeof(st->iomem_error));
		return KD_OK;
	}
	crash = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &n);
	if (n) {
		st->ranges = malloc(n * sizeof(*st->ranges));
		if (!st->ranges) {
			ldr_iomem_destroy(io);
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		}
		memcpy(st->ranges, crash, n * sizeof(*st->ranges));
		st->n_ranges = n;
	}
	ldr_iomem_destroy(io);
	return KD_OK;
}

void ldr_state_deinit(struct ldr_state *st)
{
	free(st->ranges);
	st->ranges = NULL;
	st->n_ranges = 0;
}
