/* kdump-load -c: glue from a load plan to the kexec_load segment builder. */
#include "loader/loader-priv.h"

#include "loader/kexec-load.h"
#include "loader/arch/arm64/arm64.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	MAX_IMAGE_BYTES = 1 << 30,
	UART_TTYS0 = 0x3f8,
};

static enum kd_status read_blob(const char *what, const char *path, char **ret, size_t *len_ret,
				struct kd_err *err)
{
	enum kd_status st = ldr_read_text_file(path, MAX_IMAGE_BYTES, ret, len_ret, err);

	return st ? kd_err_prefix(err, "%s", what) : KD_OK;
}

static enum kd_status parse_iomem(const struct ldr_options *opts, struct ldr_iomem **ret,
				  struct kd_err *err)
{
	enum kd_status st;
	char *path = NULL;

	if (!opts->iomem_path) {
		path = ldr_sysroot_path(opts->sysroot, "proc/iomem");
		if (!path)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	st = ldr_iomem_parse_file(opts->iomem_path ? opts->iomem_path : path, ret, err);
	free(path);
	return st;
}

/* Replace the bare "kexec_load: <strerror>" for errors whose cause needs saying. */
static void explain_failure(const char *sysroot, bool unload, struct kd_err *err)
{
	int e = err ? err->sys_errno : 0;
	char why[256];

	if (e == EPERM || e == ENOSYS || e == EBUSY)
		kd_err_sys(err, e, "kexec_load%s: %s", unload ? " (unload)" : "",
			   ldr_kexec_explain(e, LDR_SYSCALL_KEXEC_LOAD, unload, sysroot, why,
					     sizeof(why)));
}

static void copy_layout(const struct ldr_arm64_kexec_plan *kp, struct ldr_plan_layout *out)
{
	memset(out, 0, sizeof(*out));
	out->computed = true;
	for (size_t i = 0; i < kp->nr_seg && i < LDR_PLAN_MAX_SEGMENTS; i++)
		out->seg[out->nr_seg++] = (struct ldr_plan_segment){
			kp->seg[i].mem, kp->seg[i].memsz, kp->seg[i].bufsz, kp->seg[i].what };
	for (size_t i = 0; i < kp->nr_usable && i < LDR_PLAN_MAX_SEGMENTS; i++)
		out->usable[out->nr_usable++] = kp->usable[i];
	out->entry = kp->entry;
	out->kernel_entry = kp->kernel_entry;
	out->dtb = kp->dtb_addr;
	out->elfcorehdr = kp->elfcorehdr_addr;
}

/* The arm64 path: same steps, the segments from loader/arch/arm64/. */
static enum kd_status arm64_load(const struct ldr_plan *plan, const struct ldr_options *opts,
				 const struct ldr_iomem *io, const void *kernel, size_t ksize,
				 const void *initrd, size_t isize, bool dry_run, FILE *segments_out,
				 struct ldr_plan_layout *layout_out, struct kd_err *err)
{
	struct ldr_arm64_kexec_plan kp;
	char *pur = NULL;
	size_t pur_size = 0;
	enum kd_status st;

	if (opts->purgatory_path &&
	    (st = read_blob("purgatory", opts->purgatory_path, &pur, &pur_size, err)))
		return st;
	st = ldr_arm64_plan_from_system(io, plan->target, opts->sysroot, kernel, ksize, initrd,
					isize, plan->cmdline, LDR_ARM64_UART_FROM_DT, pur, pur_size,
					&kp, err);
	free(pur);
	if (st)
		return kd_err_prefix(err, "kexec_load plan (arm64)");
	if (segments_out)
		ldr_arm64_kexec_plan_print(&kp, segments_out);
	if (layout_out)
		copy_layout(&kp, layout_out);
	if (!dry_run) {
		st = ldr_kexec_load_segments(kp.entry, kp.seg, kp.nr_seg, LDR_KEXEC_ARCH_ARM64, err);
		if (st)
			explain_failure(opts->sysroot, false, err);
	}
	ldr_arm64_kexec_plan_deinit(&kp);
	return st;
}

static enum kd_status run(const struct ldr_plan *plan, const struct ldr_options *opts, bool dry_run,
			  FILE *segments_out, struct ldr_plan_layout *layout_out, struct kd_err *err)
{
	struct ldr_kexec_plan kp;
	char *kernel = NULL, *initrd = NULL;
	size_t ksize = 0, isize = 0;
	struct ldr_iomem *io = NULL;
	uint16_t serial;
	enum kd_status st;

	st = read_blob("kernel", plan->kernel, &kernel, &ksize, err);
	if (st)
		return st;
	if (plan->initrd) {
		st = read_blob("initrd", plan->initrd, &initrd, &isize, err);
		if (st)
			goto out_free;
	}
	st = parse_iomem(opts, &io, err);
	if (st)
		goto out_free;
	if (plan->image.kind == LDR_IMAGE_ARM64) {
		st = arm64_load(plan, opts, io, kernel, ksize, initrd, isize, dry_run, segments_out,
				layout_out, err);
		goto out_free;
	}
	serial = strstr(plan->cmdline, "console=ttyS0") ? UART_TTYS0 : 0;
	st = ldr_kexec_plan_from_system(io, opts->sysroot, kernel, ksize, initrd, isize,
					plan->cmdline, serial, &kp, err);
	if (st) {
		kd_err_prefix(err, "kexec_load plan");
		goto out_free;
	}
	if (segments_out)
		ldr_kexec_plan_print(&kp, segments_out);
	if (!dry_run) {
		st = ldr_kexec_load_crash(&kp, err);
		if (st)
			explain_failure(opts->sysroot, false, err);
	}
	ldr_kexec_plan_deinit(&kp);
out_free:
	ldr_iomem_destroy(io);
	free(initrd);
	free(kernel);
	return st;
}

enum kd_status ldr_kexec_load_plan(const struct ldr_plan *plan, const struct ldr_options *opts,
				   bool dry_run, FILE *segments_out, struct kd_err *err)
{
	return run(plan, opts, dry_run, segments_out, NULL, err);
}

void ldr_plan_layout(struct ldr_plan *plan, const struct ldr_options *opts)
{
	struct kd_err err;

	memset(&plan->layout, 0, sizeof(plan->layout));
	if (plan->syscall != LDR_SYSCALL_KEXEC_LOAD || plan->image.kind != LDR_IMAGE_ARM64)
		return;
	kd_err_clear(&err);
	if (ldr_plan_check(plan, NULL, &err) == KD_OK)
		run(plan, opts, true, NULL, &plan->layout, &err);
	if (!plan->layout.computed)
		snprintf(plan->layout.error, sizeof(plan->layout.error), "%s", err.msg);
}

enum kd_status ldr_kexec_load_unload(const char *sysroot, struct kd_err *err)
{
	enum kd_status st = ldr_kexec_unload_crash(err);

	if (st)
		explain_failure(sysroot, true, err);
	return st;
}
