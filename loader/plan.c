/* The load plan: what kexec_file_load would be given and whether it fits, no side effects. */
#include "loader/loader-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	PAGE = 4096,
	CMDLINE_MAX_BYTES = 1 << 20,
	/* room the x86 kernel keeps for "elfcorehdr=0x... " (MAX_ELFCOREHDR_STR_LEN) */
	ELFCOREHDR_STR_LEN = 30,
};

static const char *const problem_names[LDR_PROBLEM_KINDS] = {
	[LDR_PROBLEM_NO_CRASH_MEMORY] = "no-crash-memory",
	[LDR_PROBLEM_TOO_SMALL] = "crash-memory-too-small",
	[LDR_PROBLEM_NOT_KERNEL] = "not-a-kernel",
	[LDR_PROBLEM_CMDLINE_TOO_LONG] = "command-line-too-long",
	[LDR_PROBLEM_ADDRESSES_HIDDEN] = "addresses-hidden",
};

const char *ldr_problem_name(enum ldr_problem p)
{
	return (unsigned int)p < LDR_PROBLEM_KINDS ? problem_names[p] : "invalid";
}

__attribute__((format(printf, 3, 4))) static void add_problem(struct ldr_plan *plan,
							       enum ldr_problem p,
							       const char *fmt, ...)
{
	va_list ap;

	if (plan->problem[p])
		return;
	plan->problem[p] = true;
	va_start(ap, fmt);
	vsnprintf(plan->problem_msg[p], sizeof(plan->problem_msg[p]), fmt, ap);
	va_end(ap);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	uint64_t r = v + (a - 1);

	return r < v ? UINT64_MAX : r & ~(a - 1);
}

static enum kd_status check_initrd(struct ldr_plan *plan, const char *path, struct kd_err *err)
{
	struct stat sb;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_sys(err, errno, "cannot open initrd '%s'", path);
	if (fstat(fd, &sb) < 0) {
		int e = errno;

		close(fd);
		return kd_err_sys(err, e, "cannot stat initrd '%s'", path);
	}
	close(fd);
	if (!S_ISREG(sb.st_mode))
		return kd_err_set(err, KD_ERR_INVALID, "initrd '%s' is not a regular file", path);
	if (sb.st_size == 0)
		return kd_err_set(err, KD_ERR_INVALID, "initrd '%s' is empty", path);
	plan->initrd = strdup(path);
	if (!plan->initrd)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	plan->initrd_size = (uint64_t)sb.st_size;
	return KD_OK;
}

static enum ldr_image_kind target_kind(const struct ldr_options *opts)
{
	return opts->arch != LDR_IMAGE_UNKNOWN ? opts->arch : ldr_image_native_kind();
}

static void check_image(struct ldr_plan *plan, enum ldr_image_kind native)
{
	const struct ldr_image_info *im = &plan->image;

	if (native == LDR_IMAGE_UNKNOWN || im->kind == native) {
		if (im->kind == LDR_IMAGE_BZIMAGE && (im->protocol < 0x020c || !im->has_64bit_entry))
			add_problem(plan, LDR_PROBLEM_NOT_KERNEL,
				    "'%s' is a bzImage (boot protocol %u.%02u) without a 64-bit "
				    "entry point, which kexec_file_load needs",
				    plan->kernel, im->protocol >> 8, im->protocol & 0xff);
		return;
	}
	if (native == LDR_IMAGE_BZIMAGE)
		add_problem(plan, LDR_PROBLEM_NOT_KERNEL,
			    "'%s' is not a bzImage (no 'HdrS' magic at offset 0x202)",
			    plan->kernel);
	else
		add_problem(plan, LDR_PROBLEM_NOT_KERNEL, "'%s' is not an %s (it looks like %s)",
			    plan->kernel, ldr_image_kind_name(native),
			    im->kind == LDR_IMAGE_UNKNOWN ? "no kernel" : ldr_image_kind_name(im->kind));
}

static enum kd_status build_cmdline(struct ldr_plan *plan, const struct ldr_options *opts,
				    struct kd_err *err)
{
	char *reuse = NULL, *path;
	enum kd_status st;
	size_t max;

	if (opts->reuse_cmdline) {
		path = ldr_sysroot_path(opts->sysroot, "proc/cmdline");
		if (!path)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		st = ldr_read_text_file(path, CMDLINE_MAX_BYTES, &reuse, NULL, err);
		free(path);
		if (st)
			return kd_err_prefix(err, "--reuse-cmdline");
	}
	st = ldr_cmdline_build(reuse, opts->append, opts->no_defaults, &plan->cmdline, err);
	free(reuse);
	if (st)
		return st;
	max = plan->image.cmdline_max;
	if (plan->image.kind == LDR_IMAGE_BZIMAGE && max &&
	    strlen(plan->cmdline) + 1 + ELFCOREHDR_STR_LEN > max)
		add_problem(plan, LDR_PROBLEM_CMDLINE_TOO_LONG,
			    "the command line has %zu bytes; this kernel takes %zu including the "
			    "%d the kernel adds for elfcorehdr=",
			    strlen(plan->cmdline), max - 1, ELFCOREHDR_STR_LEN);
	return KD_OK;
}

/* Whether kernel + initrd + setup data fit in @r alone. */
static bool range_fits(const struct ldr_plan *plan, const struct ldr_plan_range *r,
		       uint64_t kernel_mem)
{
	uint64_t min = plan->image.kind == LDR_IMAGE_BZIMAGE ? LDR_X86_MIN_KERNEL_ADDR : 0;
	uint64_t align = plan->image.align ? plan->image.align : PAGE;
	uint64_t size = r->end - r->start == UINT64_MAX ? UINT64_MAX : r->end - r->start + 1;
	uint64_t at = align_up(r->start > min ? r->start : min, align);

	if (at == UINT64_MAX || at > r->end || r->end - at < (kernel_mem ? kernel_mem - 1 : 0))
		return false;
	return size >= plan->need;
}

static void describe_too_small(struct ldr_plan *plan, uint64_t kernel_mem, uint64_t initrd_mem)
{
	const struct ldr_plan_range *t = &plan->ranges[plan->target];
	char a[32], b[32], c[32], d[32];
	uint64_t size = t->end - t->start + 1;

	add_problem(plan, LDR_PROBLEM_TOO_SMALL,
		    "crash kernel range %#llx-%#llx (%s) is too small: the kernel needs %s, the "
		    "initrd %s and setup data about %s (reserve more with crashkernel=)",
		    (unsigned long long)t->start, (unsigned long long)t->end,
		    ldr_size_str(size, a, sizeof(a)), ldr_size_str(kernel_mem, b, sizeof(b)),
		    ldr_size_str(initrd_mem, c, sizeof(c)),
		    ldr_size_str(LDR_SETUP_RESERVE, d, sizeof(d)));
}

static enum kd_status plan_ranges(struct ldr_plan *plan, const struct ldr_options *opts,
				  struct kd_err *err)
{
	uint64_t kernel_mem = align_up(plan->image.mem_size, PAGE);
	uint64_t initrd_mem = align_up(plan->initrd_size, PAGE);
	struct ldr_iomem *io = NULL;
	const struct ldr_range *crash;
	enum kd_status st;
	char *path = NULL;
	size_t i;

	plan->need = kernel_mem + initrd_mem + LDR_SETUP_RESERVE;
	if (!opts->iomem_path) {
		path = ldr_sysroot_path(opts->sysroot, "proc/iomem");
		if (!path)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	st = ldr_iomem_parse_file(opts->iomem_path ? opts->iomem_path : path, &io, err);
	free(path);
	if (st == KD_ERR_SYSTEM && err && err->sys_errno == EPERM) {
		plan->addresses_hidden = true;
		add_problem(plan, LDR_PROBLEM_ADDRESSES_HIDDEN, "%s", err->msg);
		kd_err_clear(err);
		if (plan->sys_crash_size == 0)
			add_problem(plan, LDR_PROBLEM_NO_CRASH_MEMORY,
				    "no memory is reserved for a crash kernel "
				    "(kexec_crash_size is 0): boot with crashkernel=SIZE");
		return KD_OK;
	}
	if (st)
		return st;
	crash = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &plan->n_ranges);
	if (plan->n_ranges) {
		plan->ranges = calloc(plan->n_ranges, sizeof(*plan->ranges));
		if (!plan->ranges) {
			ldr_iomem_destroy(io);
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		}
	}
	for (i = 0; i < plan->n_ranges; i++) {
		plan->ranges[i].start = crash[i].start;
		plan->ranges[i].end = crash[i].end;
		plan->ranges[i].fits = range_fits(plan, &plan->ranges[i], kernel_mem);
		plan->crash_total += ldr_range_size(&crash[i]);
	}
	plan->target = ldr_iomem_target_crash_range(
		io, plan->sys_crash_size > 0 ? (uint64_t)plan->sys_crash_size : 0);
	ldr_iomem_destroy(io);
	if (plan->target < 0) {
		add_problem(plan, LDR_PROBLEM_NO_CRASH_MEMORY,
			    "no memory is reserved for a crash kernel (no 'Crash kernel' range in "
			    "iomem): boot with crashkernel=SIZE, e.g. crashkernel=256M");
		return KD_OK;
	}
	plan->ranges[plan->target].target = true;
	if (!plan->ranges[plan->target].fits)
		describe_too_small(plan, kernel_mem, initrd_mem);
	return KD_OK;
}

void ldr_plan_destroy(struct ldr_plan *plan)
{
	if (!plan)
		return;
	free(plan->kernel);
	free(plan->initrd);
	free(plan->cmdline);
	free(plan->ranges);
	free(plan);
}

static enum kd_status plan_fill(struct ldr_plan *plan, const struct ldr_options *opts,
				struct kd_err *err)
{
	enum kd_status st;

	if (!opts->kernel || !*opts->kernel)
		return kd_err_set(err, KD_ERR_INVALID, "no kernel image given");
	if (opts->syscall == LDR_SYSCALL_KEXEC_LOAD && target_kind(opts) != LDR_IMAGE_BZIMAGE &&
	    target_kind(opts) != LDR_IMAGE_ARM64)
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "kexec_load (-c) is implemented for x86_64 and arm64 only; use "
				  "kexec_file_load (-s)");
	plan->syscall = opts->syscall;
	plan->flags = opts->syscall == LDR_SYSCALL_KEXEC_LOAD ? KEXEC_ON_CRASH : KEXEC_FILE_ON_CRASH;
	plan->kernel = strdup(opts->kernel);
	if (!plan->kernel)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	st = ldr_image_probe_file(opts->kernel, &plan->image, err);
	if (st)
		return st;
	check_image(plan, target_kind(opts));
	if (opts->initrd) {
		st = check_initrd(plan, opts->initrd, err);
		if (st)
			return st;
	} else if (opts->syscall == LDR_SYSCALL_KEXEC_FILE_LOAD) {
		plan->flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	st = build_cmdline(plan, opts, err);
	if (st)
		return st;
	st = ldr_sysfs_crash_state(opts->sysroot, &plan->sys_crash_loaded, &plan->sys_crash_size,
				   err);
	if (st)
		return st;
	return plan_ranges(plan, opts, err);
}

enum kd_status ldr_plan_create(const struct ldr_options *opts, struct ldr_plan **ret,
			       struct kd_err *err)
{
	struct ldr_plan *plan;
	enum kd_status st;

	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	plan->target = -1;
	plan->sys_crash_loaded = -1;
	plan->sys_crash_size = -1;
	st = plan_fill(plan, opts, err);
	if (st) {
		ldr_plan_destroy(plan);
		return st;
	}
	*ret = plan;
	return KD_OK;
}

enum kd_status ldr_plan_check(const struct ldr_plan *plan, enum ldr_problem *which_ret,
			      struct kd_err *err)
{
	static const struct {
		enum ldr_problem p;
		enum kd_status st;
	} order[] = {
		{ LDR_PROBLEM_NO_CRASH_MEMORY, KD_ERR_NODATA },
		{ LDR_PROBLEM_ADDRESSES_HIDDEN, KD_ERR_SYSTEM },
		{ LDR_PROBLEM_NOT_KERNEL, KD_ERR_INVALID },
		{ LDR_PROBLEM_TOO_SMALL, KD_ERR_NOSPC },
		{ LDR_PROBLEM_CMDLINE_TOO_LONG, KD_ERR_INVALID },
	};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!plan->problem[order[i].p])
			continue;
		if (which_ret)
			*which_ret = order[i].p;
		kd_err_set(err, order[i].st, "%s", plan->problem_msg[order[i].p]);
		if (err && order[i].p == LDR_PROBLEM_ADDRESSES_HIDDEN)
			err->sys_errno = EPERM;
		return order[i].st;
	}
	return KD_OK;
}
