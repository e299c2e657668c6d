/* Error recording: fixed buffers, messages composed as a backtrace. */
#include "formats/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void kd_err_clear(struct kd_err *err)
{
	if (!err)
		return;
	err->status = KD_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

static void err_vformat(struct kd_err *err, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

enum kd_status kd_err_set(struct kd_err *err, enum kd_status st, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return st;
	err->status = st;
	err->sys_errno = 0;
	va_start(ap, fmt);
	err_vformat(err, fmt, ap);
	va_end(ap);
	return st;
}

enum kd_status kd_err_sys(struct kd_err *err, int errnum, const char *fmt, ...)
{
	enum kd_status st = KD_ERR_SYSTEM;
	va_list ap;
	size_t len;

	if (errnum == ENOSPC || errnum == EDQUOT || errnum == EFBIG)
		st = KD_ERR_NOSPC;
	else if (errnum == ENOMEM)
		st = KD_ERR_NOMEM;
	if (!err)
		return st;
	err->status = st;
	err->sys_errno = errnum;
	va_start(ap, fmt);
	err_vformat(err, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
	return st;
}

enum kd_status kd_err_prefix(struct kd_err *err, const char *fmt, ...)
{
	char old[KD_ERR_MSG_MAX];
	size_t len, old_len;
	va_list ap;

	if (!err)
		return KD_ERR_INVALID;
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	old_len = strlen(old);
	if (old_len && len + 2 < sizeof(err->msg)) {
		size_t room = sizeof(err->msg) - len - 3;

		if (old_len > room)
			old_len = room;
		memcpy(err->msg + len, ": ", 2);
		memcpy(err->msg + len + 2, old, old_len);
		err->msg[len + 2 + old_len] = '\0';
	}
	return err->status;
}

const char *kd_status_name(enum kd_status st)
{
	switch (st) {
	case KD_OK:
		return "success";
	case KD_ERR_SYSTEM:
		return "system error";
	case KD_ERR_NOMEM:
		return "out of memory";
	case KD_ERR_CORRUPT:
		return "corrupt input";
	case KD_ERR_NOTIMPL:
		return "not implemented";
	case KD_ERR_NODATA:
		return "no data";
	case KD_ERR_INVALID:
		return "invalid argument";
	case KD_ERR_NOSPC:
		return "no space left";
	}
	return "unknown error";
}
