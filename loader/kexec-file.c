/* kexec_file_load(2) for the crash kernel, with every kernel error explained. */
#include "loader/loader-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
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
				ldr_kexec_explain(e, LDR_SYSCALL_KEXEC_FILE_LOAD, false, sysroot, why,
						  sizeof(why)));
	}
	if (ifd >= 0)
		close(ifd);
out_close_kernel:
	close(kfd);
	return st;
}

bool ldr_kexec_file_available(void)
{
	/* bit 31 is no KEXEC_FILE_* flag in any kernel version */
	return do_kexec_file_load(-1, -1, 0, NULL, 1ul << 31) == 0 || errno != ENOSYS;
}

enum kd_status ldr_kexec_file_unload(const char *sysroot, struct kd_err *err)
{
	char why[256];
	int e;

	if (do_kexec_file_load(-1, -1, 0, NULL, KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH) == 0)
		return KD_OK;
	e = errno;
	return kd_err_sys(err, e, "kexec_file_load (unload): %s",
			  ldr_kexec_explain(e, LDR_SYSCALL_KEXEC_FILE_LOAD, true, sysroot, why,
				    sizeof(why)));
}
