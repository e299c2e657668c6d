/* kexec_file_load(2) for the crash kernel, with every kernel error explained. */
#include "loader/loader-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

long ldr_kexec_file_syscall_nr(void)
{
#if defined(SYS_kexec_file_load)
	return SYS_kexec_file_load;
#elif defined(__x86_64__)
	return 320;
#elif defined(__aarch64__)
	return 294;
#else
	return -1;
#endif
}

/* First line of a small file under @sysroot, "" when absent. */
static void read_line(const char *sysroot, const char *rel, char *buf, size_t len)
{
	char *path = ldr_sysroot_path(sysroot, rel), *text = NULL, *nl;

	buf[0] = '\0';
	if (path && ldr_read_text_file(path, 4096, &text, NULL, NULL) == KD_OK) {
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		snprintf(buf, len, "%s", text);
	}
	free(text);
	free(path);
}

static const char *explain_eperm(const char *sysroot, char *buf, size_t len)
{
	char lockdown[128], disabled[16];

	read_line(sysroot, "sys/kernel/security/lockdown", lockdown, sizeof(lockdown));
	read_line(sysroot, "proc/sys/kernel/kexec_load_disabled", disabled, sizeof(disabled));
	if (strstr(lockdown, "[integrity]") || strstr(lockdown, "[confidentiality]"))
		snprintf(buf, len,
			 "the kernel is locked down (%s) and accepts only kernels signed with a "
			 "trusted key; signature rejected",
			 strstr(lockdown, "[integrity]") ? "integrity" : "confidentiality");
	else if (strcmp(disabled, "1") == 0)
		snprintf(buf, len, "kexec is disabled until reboot (kernel.kexec_load_disabled = 1)");
	else
		snprintf(buf, len,
			 "not permitted: needs root (CAP_SYS_BOOT), or the image signature was "
			 "rejected by the kernel's lockdown/IMA policy");
	return buf;
}

static const char *explain(int e, const char *sysroot, bool unload, char *buf, size_t len)
{
	switch (e) {
	case EADDRNOTAVAIL:
		return "no room in crash kernel memory: none is reserved, or the reserved range is "
		       "too small for kernel, initrd and setup data (boot with crashkernel=SIZE, or "
		       "a larger SIZE)";
	case ENOMEM:
		return "out of memory: the crash kernel range is too small for kernel and initrd, "
		       "or the kernel could not allocate its buffers";
	case EKEYREJECTED:
	case ENOKEY:
	case EBADMSG:
	case ENODATA:
	case ENOPKG:
	case EMSGSIZE:
		return "signature rejected: the kernel enforces signed kexec images "
		       "(KEXEC_SIG/lockdown) and this image has no signature it trusts";
	case EPERM:
		return explain_eperm(sysroot, buf, len);
	case ENOSYS:
		return "the running kernel has no kexec_file_load (built without CONFIG_KEXEC_FILE; "
		       "Debian 12's arm64 kernels lack it)";
	case ENOEXEC:
		return "the running kernel does not accept this image: not a kernel for this "
		       "architecture, or a format it cannot load";
	case EBUSY:
		return unload ? "another kexec operation is in progress; try again"
			      : "another kexec operation is in progress, or a crash kernel is "
				"being replaced; try again";
	case EINVAL:
		return unload ? "the kernel refused the unload request"
			      : "the kernel refused the arguments: command line too long, or an "
				"image it cannot place";
	case EFBIG:
		return "the image or initrd is too large";
	default:
		return "failed";
	}
}

static long do_kexec_file_load(int kfd, int ifd, unsigned long len, const char *cmdline,
			       unsigned long flags)
{
	long nr = ldr_kexec_file_syscall_nr();

	if (nr < 0) {
		errno = ENOSYS;
		return -1;
	}
	return syscall(nr, kfd, ifd, len, cmdline, flags);
}

enum kd_status ldr_kexec_file_load(const struct ldr_plan *plan, const char *sysroot,
				   struct kd_err *err)
{
	int kfd, ifd = -1, e;
	enum kd_status st = KD_OK;
	char why[256];

	kfd = open(plan->kernel, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return kd_err_sys(err, errno, "cannot open kernel '%s'", plan->kernel);
	if (plan->initrd) {
		ifd = open(plan->initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			st = kd_err_sys(err, errno, "cannot open initrd '%s'", plan->initrd);
			goto out_close_kernel;
		}
	}
	if (do_kexec_file_load(kfd, ifd, strlen(plan->cmdline) + 1, plan->cmdline, plan->flags)) {
		e = errno;
		st = kd_err_sys(err, e, "kexec_file_load: %s",
				explain(e, sysroot, false, why, sizeof(why)));
	}
	if (ifd >= 0)
		close(ifd);
out_close_kernel:
	close(kfd);
	return st;
}

enum kd_status ldr_kexec_file_unload(const char *sysroot, struct kd_err *err)
{
	char why[256];
	int e;

	if (do_kexec_file_load(-1, -1, 0, NULL, KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH) == 0)
		return KD_OK;
	e = errno;
	return kd_err_sys(err, e, "kexec_file_load (unload): %s",
			  explain(e, sysroot, true, why, sizeof(why)));
}
