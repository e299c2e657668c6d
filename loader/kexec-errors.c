/* What each errno from kexec_file_load(2) or kexec_load(2) means for a crash kernel load. */
#include "loader/loader-priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static const char *explain_eperm(enum ldr_syscall sc, const char *sysroot, char *buf, size_t len)
{
	char lockdown[128], disabled[16];
	const char *mode = NULL;

	read_line(sysroot, "sys/kernel/security/lockdown", lockdown, sizeof(lockdown));
	read_line(sysroot, "proc/sys/kernel/kexec_load_disabled", disabled, sizeof(disabled));
	if (strstr(lockdown, "[integrity]"))
		mode = "integrity";
	else if (strstr(lockdown, "[confidentiality]"))
		mode = "confidentiality";
	if (mode && sc == LDR_SYSCALL_KEXEC_LOAD)
		snprintf(buf, len,
			 "the kernel is locked down (%s), which refuses kexec_load; use "
			 "kexec_file_load (-s) with a kernel signed by a trusted key",
			 mode);
	else if (mode)
		snprintf(buf, len,
			 "signature rejected: the kernel is locked down (%s) and accepts only "
			 "kernels signed with a key it trusts",
			 mode);
	else if (strcmp(disabled, "1") == 0)
		snprintf(buf, len, "kexec is disabled until reboot (kernel.kexec_load_disabled = 1)");
	else
		snprintf(buf, len,
			 "not permitted: needs root (CAP_SYS_BOOT), or the kernel is locked down "
			 "(lockdown= or Secure Boot) and refused the image or the system call");
	return buf;
}

const char *ldr_kexec_explain(int errnum, enum ldr_syscall sc, bool unload, const char *sysroot,
			      char *buf, size_t len)
{
	switch (errnum) {
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
		       "(KEXEC_SIG_FORCE or lockdown) and this image has no signature it trusts";
	case EPERM:
		return explain_eperm(sc, sysroot, buf, len);
	case ENOSYS:
		return sc == LDR_SYSCALL_KEXEC_LOAD
			       ? "the running kernel has no kexec_load (built without CONFIG_KEXEC)"
			       : "the running kernel has no kexec_file_load (built without "
				 "CONFIG_KEXEC_FILE; Debian 12's arm64 kernels lack it)";
	case ENOEXEC:
		return "the running kernel does not accept this image: not a kernel for this "
		       "architecture, or a format it cannot load";
	case EBUSY:
		return "another kexec operation is in progress; try again";
	case EINVAL:
		return unload ? "the kernel refused the unload request"
			      : "the kernel refused the arguments: command line too long, or an "
				"image or segment it cannot place";
	case EFBIG:
		return "the image or initrd is too large";
	default:
		return "failed";
	}
}
