/* Error status and message type shared by every kdumpkit module. */
#ifndef KD_ERROR_H
#define KD_ERROR_H

#include <stddef.h>

/** Status returned by every fallible function (KD_OK is zero). */
enum kd_status {
	KD_OK = 0,
	KD_ERR_SYSTEM,	/* a system call failed; errno is in kd_err.sys_errno */
	KD_ERR_NOMEM,
	KD_ERR_CORRUPT,	/* input bytes are not what the format allows */
	KD_ERR_NOTIMPL,	/* valid input we do not support */
	KD_ERR_NODATA,	/* the requested item is absent */
	KD_ERR_INVALID,	/* bad argument or option */
	KD_ERR_NOSPC,	/* no space left on the output device */
};

#define KD_ERR_MSG_MAX 512

/**
 * Error detail owned by the caller. Never allocates, so reporting an
 * out-of-memory condition cannot fail.
 */
struct kd_err {
	enum kd_status status;
	int sys_errno;
	char msg[KD_ERR_MSG_MAX];
};

/** Reset @err to "no error". */
void kd_err_clear(struct kd_err *err);

/** Record @st with a printf-style message; returns @st. @err may be NULL. */
enum kd_status kd_err_set(struct kd_err *err, enum kd_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Record a failed system call: the message gets ": strerror(errnum)"
 * appended, ENOSPC/EDQUOT map to KD_ERR_NOSPC, ENOMEM to KD_ERR_NOMEM,
 * anything else to KD_ERR_SYSTEM. Returns the status.
 */
enum kd_status kd_err_sys(struct kd_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Prepend context to the message already in @err ("ctx: old message") and
 * return the status already recorded.
 */
enum kd_status kd_err_prefix(struct kd_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Name of a status, for messages ("corrupt input", ...). */
const char *kd_status_name(enum kd_status st);

#endif
