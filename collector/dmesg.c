/* --dump-dmesg: the dead kernel's log from a vmcore (or a dump) into a text file. */
#include "collector/collector-priv.h"
#include "collector/vmlinux-priv.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filters/filters.h"

/* The log file, created on the first write so that a log that cannot be found leaves none. */
struct dmesg_out {
	const char *path;
	bool force;
	int fd;
	bool failed;		/* the error came from the log file, not from the dump */
};

static enum kd_status dmesg_open(struct dmesg_out *o, struct kd_err *err)
{
	struct stat sb;
	enum kd_status st;

	if (o->fd >= 0)
		return KD_OK;
	st = col_open_output(o->path, o->force, &o->fd, err);
	if (st != KD_OK)
		return st;
	/* a file replaced with -f keeps its mode: the log may hold secrets, make it private */
	if (fstat(o->fd, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 07777) != 0600 &&
	    fchmod(o->fd, 0600) < 0)
		return kd_err_sys(err, errno, "cannot change the mode of '%s'", o->path);
	return KD_OK;
}

static enum kd_status dmesg_write(void *ctx, const char *buf, size_t len, struct kd_err *err)
{
	struct dmesg_out *o = ctx;
	enum kd_status st = dmesg_open(o, err);

	while (st == KD_OK && len) {
		ssize_t n = write(o->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			st = kd_err_sys(err, n < 0 ? errno : ENOSPC, "cannot write '%s'", o->path);
		} else {
			buf += n;
			len -= (size_t)n;
		}
	}
	o->failed = st != KD_OK;
	return st;
}

static enum kd_status dmesg_close(struct dmesg_out *o, struct kd_err *err)
{
	int fd = o->fd;

	o->fd = -1;
	if (fd >= 0 && (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)) {
		kd_err_sys(err, errno, "cannot write '%s'", o->path);
		close(fd);
		return err->status;
	}
	if (fd >= 0 && close(fd) < 0)
		return kd_err_sys(err, errno, "cannot write '%s'", o->path);
	return KD_OK;
}

/* The dump and its VMCOREINFO (merged with -i and -x, as for saving a dump). */
static enum kd_status dmesg_source(struct col_source *src, const struct col_options *opt,
				   struct kd_err *err)
{
	const char *vmcore = opt->input;
	FILE *warn = opt->warn;
	enum kd_status st = col_source_open(src, vmcore, opt->non_mmap ? COL_SRC_NO_MMAP : 0, err);

	if (st == KD_OK)
		st = col_vmci_apply(src, opt, warn, err);
	if (st != KD_OK) {
		col_source_close(src);
		return st;
	}
	if (src->vi) {
		if (warn && src->warning[0])
			fprintf(warn, "vmcore-save: warning: %s\n", src->warning);
		return KD_OK;
	}
	if (src->warning[0])	/* the note is there but does not parse */
		kd_err_set(err, KD_ERR_CORRUPT, "%s; the kernel log cannot be found without it",
			   src->warning);
	else
		kd_err_set(err, KD_ERR_NODATA,
			   "'%s' has no VMCOREINFO note, which the kernel log needs", vmcore);
	col_source_close(src);
	return err->status;
}

enum kd_status col_dump_dmesg(const struct col_options *opt, struct kd_err *err)
{
	const char *vmcore = opt->input, *logfile = opt->output;
	struct col_source src;
	struct flt_model *m = NULL;
	struct dmesg_out out = { .path = logfile, .force = opt->force, .fd = -1 };
	struct flt_mem mem;
	uint64_t records = 0;
	enum kd_status st = dmesg_source(&src, opt, err);

	if (st != KD_OK)
		return st;
	mem = (struct flt_mem){ .read_phys = col_source_read_phys, .ctx = &src,
				.max_pfn = src.max_pfn };
	st = flt_model_create(src.vi, &mem, col_source_page_offset(&src), &m, err);
	if (st != KD_OK) {
		kd_err_prefix(err, "'%s': kernel model", vmcore);
		goto out_close_source;
	}
	st = flt_dmesg_dump(m, dmesg_write, &out, &records,
			    opt->partial_dmesg ? FLT_DMESG_PARTIAL : 0, err);
	if (st != KD_OK) {
		/* an error of the log file names it already */
		if (!out.failed && out.fd >= 0)
			kd_err_prefix(err, "'%s': the kernel log in '%s' is incomplete (%llu records "
					   "written)", vmcore, logfile, (unsigned long long)records);
		else if (!out.failed)
			kd_err_prefix(err, "'%s': cannot read the kernel log", vmcore);
		dmesg_close(&out, &(struct kd_err){ 0 });
		goto out_destroy_model;
	}
	st = dmesg_open(&out, err);	/* an empty log still gives a file */
	if (st == KD_OK)
		st = dmesg_close(&out, err);
	else
		dmesg_close(&out, &(struct kd_err){ 0 });

out_destroy_model:
	flt_model_destroy(m);
out_close_source:
	col_source_close(&src);
	return st;
}
