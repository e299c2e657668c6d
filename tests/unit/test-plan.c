/* Unit tests for the load plan: command line, kernel image probe, fit checks, state. */
#include "loader/loader.h"
#include "tests/unit/tap.h"

#include "formats/bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MiB (1ULL << 20)

struct cmdline_case {
	const char *name;
	const char *reuse;
	const char *append;
	bool no_defaults;
	const char *want;	/* NULL: KD_ERR_INVALID expected */
};

static const struct cmdline_case cmdline_cases[] = {
	{ "defaults only", NULL, NULL, false, "irqpoll nr_cpus=1 reset_devices" },
	{ "append then defaults", NULL, "console=ttyS0 panic=1", false,
	  "console=ttyS0 panic=1 irqpoll nr_cpus=1 reset_devices" },
	{ "user's nr_cpus wins", NULL, "console=ttyS0 nr_cpus=2 irqpoll", false,
	  "console=ttyS0 nr_cpus=2 irqpoll reset_devices" },
	{ "reuse drops crashkernel= and BOOT_IMAGE=",
	  "BOOT_IMAGE=/boot/vmlinuz-6.1 root=/dev/sda1 ro crashkernel=256M,high "
	  "crashkernel=128M,low quiet\n",
	  "console=ttyS0", false,
	  "root=/dev/sda1 ro quiet console=ttyS0 irqpoll nr_cpus=1 reset_devices" },
	{ "init arguments stay after --", "root=/dev/vda crashkernel=1G -- --init-flag x", "panic=1",
	  false, "root=/dev/vda panic=1 irqpoll nr_cpus=1 reset_devices -- --init-flag x" },
	{ "quoted value kept whole", NULL, "dyndbg=\"file foo.c +p\"  console=ttyS0", true,
	  "dyndbg=\"file foo.c +p\" console=ttyS0" },
	{ "no defaults", NULL, "console=ttyS0", true, "console=ttyS0" },
	{ "nothing at all", NULL, NULL, true, "" },
	{ "whitespace collapsed", " \t a   b\n", NULL, true, "a b" },
	{ "user's crashkernel= is the user's", NULL, "crashkernel=64M", true, "crashkernel=64M" },
	{ "crashkernel prefix is not crashkernel", "crashkernelx=1 crashkernel", NULL, true,
	  "crashkernelx=1" },
	{ "unbalanced quote", NULL, "dyndbg=\"file", false, NULL },
};

static void test_cmdline(struct tap *t)
{
	size_t i;

	for (i = 0; i < sizeof(cmdline_cases) / sizeof(cmdline_cases[0]); i++) {
		const struct cmdline_case *c = &cmdline_cases[i];
		struct kd_err err;
		char *out = NULL;
		enum kd_status st;

		kd_err_clear(&err);
		st = ldr_cmdline_build(c->reuse, c->append, c->no_defaults, &out, &err);
		if (c->want)
			TAP_CHECK(t, st == KD_OK && strcmp(out, c->want) == 0, "cmdline: %s ('%s')",
				  c->name, out ? out : err.msg);
		else
			TAP_CHECK(t, st == KD_ERR_INVALID && !out, "cmdline: %s (%s)", c->name,
				  err.msg);
		free(out);
	}
}

enum { HEAD = 0x1000 };

static void make_bzimage(uint8_t *h, uint16_t version, uint32_t init_size, uint32_t align)
{
	memset(h, 0, HEAD);
	h[0x1f1] = 27;
	put_le16(h + 0x1fe, 0xaa55);
	memcpy(h + 0x202, "HdrS", 4);
	put_le16(h + 0x206, version);
	put_le32(h + 0x230, align);
	put_le16(h + 0x236, 0x7f);
	put_le32(h + 0x238, 2047);
	put_le32(h + 0x260, init_size);
}

static void test_probe(struct tap *t)
{
	struct ldr_image_info info;
	struct kd_err err;
	uint8_t h[HEAD];

	make_bzimage(h, 0x020f, 0x3378000, 0x200000);
	TAP_CHECK(t, ldr_image_probe(h, sizeof(h), 8 * MiB, &info, &err) == KD_OK &&
			     info.kind == LDR_IMAGE_BZIMAGE && info.mem_size == 0x3378000 &&
			     info.align == 0x200000 && info.cmdline_max == 2047 &&
			     info.protocol == 0x020f && info.has_64bit_entry,
		  "probe: bzImage 2.15, init_size 51.5 MiB");
	TAP_CHECK(t, ldr_image_probe(h, sizeof(h), 80 * MiB, &info, &err) == KD_OK &&
			     info.mem_size == 80 * MiB - 28 * 512,
		  "probe: payload larger than init_size counts");
	make_bzimage(h, 0x020b, 0x3378000, 0x200000);
	TAP_CHECK(t, ldr_image_probe(h, sizeof(h), 8 * MiB, &info, &err) == KD_OK &&
			     !info.has_64bit_entry,
		  "probe: protocol 2.11 has no 64-bit entry flag");
	make_bzimage(h, 0x020f, 0x3378000, 0x300000);
	TAP_CHECK(t, ldr_image_probe(h, sizeof(h), 8 * MiB, &info, &err) == KD_ERR_CORRUPT,
		  "probe: kernel_alignment not a power of two (%s)", err.msg);
	make_bzimage(h, 0x020f, 0, 0x200000);
	TAP_CHECK(t, ldr_image_probe(h, sizeof(h), 8 * MiB, &info, &err) == KD_ERR_CORRUPT,
		  "probe: init_size zero (%s)", err.msg);
	make_bzimage(h, 0x020f, 0x3378000, 0x200000);
	TAP_CHECK(t, ldr_image_probe(h, sizeof(h), 4096, &info, &err) == KD_ERR_CORRUPT,
		  "probe: setup longer than the file (%s)", err.msg);
	TAP_CHECK(t, ldr_image_probe(h, 0x200, 8 * MiB, &info, &err) == KD_OK &&
			     info.kind == LDR_IMAGE_UNKNOWN,
		  "probe: header cut before HdrS is no kernel");
	memset(h, 0, sizeof(h));
	memcpy(h + 56, "ARM\x64", 4);
	put_le64(h + 16, 40 * MiB);
	TAP_CHECK(t, ldr_image_probe(h, sizeof(h), 30 * MiB, &info, &err) == KD_OK &&
			     info.kind == LDR_IMAGE_ARM64 && info.mem_size == 40 * MiB,
		  "probe: arm64 Image, image_size 40 MiB");
	memset(h, 'x', sizeof(h));
	TAP_CHECK(t, ldr_image_probe(h, sizeof(h), 5000, &info, &err) == KD_OK &&
			     info.kind == LDR_IMAGE_UNKNOWN && info.mem_size == 5000,
		  "probe: text is no kernel");
}

/* A temporary sysroot with proc/ and sys/kernel/, a kernel and an initrd. */
struct fixture {
	char root[64];
	char kernel[128];
	char initrd[128];
	char junk[128];
};

static bool write_file(const char *dir, const char *rel, const void *data, size_t len,
		       uint64_t size)
{
	char path[256];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return false;
	ok = write(fd, data, len) == (ssize_t)len && (!size || ftruncate(fd, (off_t)size) == 0);
	close(fd);
	return ok;
}

static bool write_text(const char *dir, const char *rel, const char *text)
{
	return write_file(dir, rel, text, strlen(text), 0);
}

static bool copy_iomem(const struct fixture *f, const char *fixture)
{
	char *text = NULL;
	bool ok;

	if (ldr_read_text_file(fixture, 1 << 20, &text, NULL, NULL))
		return false;
	ok = write_text(f->root, "proc/iomem", text);
	free(text);
	return ok;
}

static bool fixture_init(struct fixture *f, uint64_t initrd_size)
{
	char dir[160];
	uint8_t h[HEAD];

	snprintf(f->root, sizeof(f->root), "/tmp/kd-test-plan.XXXXXX");
	if (!mkdtemp(f->root))
		return false;
	snprintf(dir, sizeof(dir), "%s/proc", f->root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/sys", f->root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/sys/kernel", f->root);
	mkdir(dir, 0755);
	snprintf(f->kernel, sizeof(f->kernel), "%s/vmlinuz", f->root);
	snprintf(f->initrd, sizeof(f->initrd), "%s/initrd", f->root);
	snprintf(f->junk, sizeof(f->junk), "%s/junk", f->root);
	make_bzimage(h, 0x020f, 50 * MiB, 0x200000);
	return write_file(f->root, "vmlinuz", h, sizeof(h), 8 * MiB) &&
	       write_file(f->root, "initrd", "\x1f\x8b", 2, initrd_size) &&
	       write_text(f->root, "junk", "#!/bin/sh\necho not a kernel\n") &&
	       write_text(f->root, "proc/cmdline",
			  "BOOT_IMAGE=/vmlinuz root=/dev/vda crashkernel=256M quiet\n") &&
	       write_text(f->root, "sys/kernel/kexec_crash_loaded", "0\n") &&
	       write_text(f->root, "sys/kernel/kexec_crash_size", "268435456\n");
}

static void fixture_deinit(struct fixture *f)
{
	static const char *const files[] = { "vmlinuz", "initrd", "junk", "proc/cmdline",
					     "proc/iomem", "sys/kernel/kexec_crash_loaded",
					     "sys/kernel/kexec_crash_size", "sys/kernel", "sys",
					     "proc", "" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->root, files[i]);
		if (unlink(path) < 0)
			rmdir(path);
	}
}

static struct ldr_plan *plan_for(struct tap *t, const struct ldr_options *o, const char *what)
{
	struct ldr_plan *plan = NULL;
	struct kd_err err;

	enum kd_status st;

	kd_err_clear(&err);
	st = ldr_plan_create(o, &plan, &err);
	TAP_CHECK(t, st == KD_OK, "plan %s (%s)", what, err.msg);
	return plan;
}

static size_t problem_count(const struct ldr_plan *p)
{
	size_t n = 0;
	int k;

	for (k = 0; k < LDR_PROBLEM_KINDS; k++)
		n += p->problem[k];
	return n;
}

static void test_plan_fits(struct tap *t, struct fixture *f)
{
	struct ldr_options o = { .kernel = f->kernel, .initrd = f->initrd, .sysroot = f->root,
				 .append = "console=ttyS0" };
	struct ldr_plan *p;
	struct kd_err err;

	if (!copy_iomem(f, "tests/data/iomem/x86-1g-256m.txt"))
		TAP_CHECK(t, 0, "copy x86-1g iomem");
	p = plan_for(t, &o, "x86 1G");
	if (!p)
		return;
	TAP_CHECK(t, p->n_ranges == 1 && p->target == 0 && p->ranges[0].fits &&
			     problem_count(p) == 0,
		  "plan x86 1G: one range, the target, it fits");
	TAP_CHECK(t, p->need == 50 * MiB + 100 * MiB + LDR_SETUP_RESERVE,
		  "plan x86 1G: needs init_size + initrd + setup");
	TAP_CHECK(t, p->flags == KEXEC_FILE_ON_CRASH && p->syscall == LDR_SYSCALL_KEXEC_FILE_LOAD,
		  "plan x86 1G: kexec_file_load with KEXEC_FILE_ON_CRASH");
	TAP_CHECK(t, strcmp(p->cmdline, "console=ttyS0 irqpoll nr_cpus=1 reset_devices") == 0,
		  "plan x86 1G: command line '%s'", p->cmdline);
	TAP_CHECK(t, p->sys_crash_size == 256 * MiB && p->sys_crash_loaded == 0,
		  "plan x86 1G: sysfs values read");
	TAP_CHECK(t, ldr_plan_check(p, NULL, &err) == KD_OK, "plan x86 1G: check passes");
	ldr_plan_destroy(p);

	o.reuse_cmdline = true;
	p = plan_for(t, &o, "with --reuse-cmdline");
	if (p)
		TAP_CHECK(t, strcmp(p->cmdline, "root=/dev/vda quiet console=ttyS0 irqpoll "
						 "nr_cpus=1 reset_devices") == 0,
			  "plan --reuse-cmdline: '%s'", p->cmdline);
	ldr_plan_destroy(p);
	o.reuse_cmdline = false;

	/* the field case: low 128 MiB too small for 151 MiB, high 1 GiB takes it */
	o.iomem_path = "tests/data/iomem/arm64-field-low-high.txt";
	write_text(f->root, "sys/kernel/kexec_crash_size", "1073741824\n");
	p = plan_for(t, &o, "field case");
	if (p) {
		TAP_CHECK(t, p->n_ranges == 2 && p->target == 1 && !p->ranges[0].fits &&
				     p->ranges[1].fits && p->ranges[1].target && !p->ranges[0].target,
			  "plan field case: high range is the target and fits, low does not");
		TAP_CHECK(t, p->crash_total == 128 * MiB + 1024 * MiB && problem_count(p) == 0,
			  "plan field case: 1.125 GiB in total, no problem");
	}
	ldr_plan_destroy(p);

	o.iomem_path = "tests/data/iomem/many-17.txt";
	p = plan_for(t, &o, "17 ranges");
	if (p)
		TAP_CHECK(t, p->n_ranges == 17 && p->target == 16 &&
				     p->problem[LDR_PROBLEM_TOO_SMALL],
			  "plan 17 ranges of 16 MiB: highest is the target, too small (%s)",
			  p->problem_msg[LDR_PROBLEM_TOO_SMALL]);
	ldr_plan_destroy(p);
	write_text(f->root, "sys/kernel/kexec_crash_size", "268435456\n");
}

static void test_plan_problems(struct tap *t, struct fixture *f)
{
	struct ldr_options o = { .kernel = f->kernel, .initrd = f->initrd, .sysroot = f->root };
	enum ldr_problem which = LDR_PROBLEM_KINDS;
	struct ldr_plan *p;
	struct kd_err err;
	enum kd_status st;
	char *longline;

	o.iomem_path = "tests/data/iomem/x86-none.txt";
	p = plan_for(t, &o, "no crash memory");
	kd_err_clear(&err);
	if (p)
		TAP_CHECK(t, p->target < 0 && ldr_plan_check(p, &which, &err) == KD_ERR_NODATA &&
				     which == LDR_PROBLEM_NO_CRASH_MEMORY &&
				     strstr(err.msg, "crashkernel="),
			  "plan without Crash kernel: %s", err.msg);
	ldr_plan_destroy(p);

	o.iomem_path = "tests/data/iomem/nonroot.txt";
	p = plan_for(t, &o, "non-root iomem");
	kd_err_clear(&err);
	if (p)
		TAP_CHECK(t, p->addresses_hidden && ldr_plan_check(p, &which, &err) == KD_ERR_SYSTEM &&
				     which == LDR_PROBLEM_ADDRESSES_HIDDEN && err.sys_errno == EPERM,
			  "plan as non-root: %s", err.msg);
	ldr_plan_destroy(p);

	o.iomem_path = "tests/data/iomem/x86-1g-256m.txt";
	o.kernel = f->junk;
	p = plan_for(t, &o, "not a kernel");
	kd_err_clear(&err);
	if (p) {
		enum kd_status chk = ldr_plan_check(p, &which, &err);

		if (ldr_image_native_kind() == LDR_IMAGE_BZIMAGE)
			TAP_CHECK(t, chk == KD_ERR_INVALID && which == LDR_PROBLEM_NOT_KERNEL &&
					     strstr(err.msg, "not a bzImage"),
				  "plan with a shell script as kernel: %s", err.msg);
	}
	ldr_plan_destroy(p);
	o.kernel = f->kernel;

	longline = malloc(3001);
	if (longline) {
		memset(longline, 'a', 3000);
		longline[3000] = '\0';
		o.append = longline;
		p = plan_for(t, &o, "long command line");
		if (p)
			TAP_CHECK(t, p->problem[LDR_PROBLEM_CMDLINE_TOO_LONG],
				  "plan with a 3000-byte command line: %s",
				  p->problem_msg[LDR_PROBLEM_CMDLINE_TOO_LONG]);
		ldr_plan_destroy(p);
		o.append = NULL;
		free(longline);
	}

	o.initrd = "/nonexistent/initrd.img";
	kd_err_clear(&err);
	p = NULL;
	st = ldr_plan_create(&o, &p, &err);
	TAP_CHECK(t, st == KD_ERR_SYSTEM && err.sys_errno == ENOENT && !p &&
			     strstr(err.msg, "initrd"),
		  "plan with a missing initrd: %s", err.msg);
	o.initrd = NULL;
	o.kernel = "/nonexistent/vmlinuz";
	st = ldr_plan_create(&o, &p, &err);
	TAP_CHECK(t, st == KD_ERR_SYSTEM && err.sys_errno == ENOENT,
		  "plan with a missing kernel: %s", err.msg);
	o.kernel = f->kernel;
	o.syscall = LDR_SYSCALL_KEXEC_LOAD;
	st = ldr_plan_create(&o, &p, &err);
	if (ldr_image_native_kind() == LDR_IMAGE_BZIMAGE)
		TAP_CHECK(t, st == KD_OK && p->syscall == LDR_SYSCALL_KEXEC_LOAD &&
				     p->flags == KEXEC_ON_CRASH,
			  "plan for -c: kexec_load with KEXEC_ON_CRASH (%s)", err.msg);
	else
		TAP_CHECK(t, st == KD_ERR_NOTIMPL, "plan for -c: %s", err.msg);
	ldr_plan_destroy(p);
	p = NULL;
	o.syscall = LDR_SYSCALL_KEXEC_FILE_LOAD;
	p = plan_for(t, &o, "without initrd");
	if (p)
		TAP_CHECK(t, p->flags == (KEXEC_FILE_ON_CRASH | KEXEC_FILE_NO_INITRAMFS) &&
				     !p->initrd && p->need == 50 * MiB + LDR_SETUP_RESERVE,
			  "plan without initrd: KEXEC_FILE_NO_INITRAMFS");
	ldr_plan_destroy(p);
	o.iomem_path = "tests/data/iomem/bad-overlap.txt";
	st = ldr_plan_create(&o, &p, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT && strstr(err.msg, "line 3"),
		  "plan on a corrupt iomem: %s", err.msg);
}

static void test_print(struct tap *t, struct fixture *f)
{
	struct ldr_options o = { .kernel = f->kernel, .initrd = f->initrd, .sysroot = f->root,
				 .append = "console=\"ttyS0\"",
				 .iomem_path = "tests/data/iomem/x86-6g-low-high.txt" };
	struct ldr_plan *p = plan_for(t, &o, "for printing");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!p)
		return;
	m = open_memstream(&buf, &len);
	if (m) {
		ldr_plan_print(p, true, m);
		fclose(m);
		TAP_CHECK(t, strstr(buf, "\"ok\": true") && strstr(buf, "\"target\": true") &&
				     strstr(buf, "console=\\\"ttyS0\\\"") &&
				     strstr(buf, "\"syscall\": \"kexec_file_load\""),
			  "plan JSON has ok, target and escaped quotes");
		free(buf);
	}
	buf = NULL;
	m = open_memstream(&buf, &len);
	if (m) {
		ldr_plan_print(p, false, m);
		fclose(m);
		TAP_CHECK(t, strstr(buf, "crash memory: 2 ranges, 384 MiB") &&
				     strstr(buf, "verdict:      ready to load"),
			  "plan text lists 2 ranges and the verdict");
		free(buf);
	}
	ldr_plan_destroy(p);
}

static void test_state(struct tap *t, struct fixture *f)
{
	struct ldr_state st;
	struct kd_err err;
	enum kd_status rc;

	write_text(f->root, "sys/kernel/kexec_crash_loaded", "1\n");
	copy_iomem(f, "tests/data/iomem/x86-6g-low-high.txt");
	kd_err_clear(&err);
	rc = ldr_state_read(f->root, NULL, &st, &err);
	TAP_CHECK(t, rc == KD_OK && st.loaded == 1 &&
			     st.crash_size == 256 * MiB && st.n_ranges == 2 && !st.iomem_error[0],
		  "state: loaded, 256 MiB, 2 ranges (%s)", err.msg);
	ldr_state_deinit(&st);
	rc = ldr_state_read(f->root, "tests/data/iomem/nonroot.txt", &st, &err);
	TAP_CHECK(t, rc == KD_OK &&
			     st.addresses_hidden && !st.ranges && strstr(st.iomem_error, "root"),
		  "state as non-root: ranges unknown, not an error");
	ldr_state_deinit(&st);
	rc = ldr_state_read("/nonexistent-root", "tests/data/iomem/x86-none.txt", &st, &err);
	TAP_CHECK(t, rc == KD_OK &&
			     st.loaded == -1 && st.crash_size == -1 && st.n_ranges == 0,
		  "state without kexec sysfs files: unknown, not an error");
	ldr_state_deinit(&st);
	write_text(f->root, "sys/kernel/kexec_crash_size", "lots\n");
	rc = ldr_state_read(f->root, NULL, &st, &err);
	TAP_CHECK(t, rc == KD_ERR_CORRUPT,
		  "state with a garbled kexec_crash_size: %s", err.msg);
	write_text(f->root, "sys/kernel/kexec_crash_size", "268435456\n");
}

struct explain_case {
	int errnum;
	enum ldr_syscall sc;
	const char *want;
};

static const struct explain_case explain_cases[] = {
	{ EADDRNOTAVAIL, LDR_SYSCALL_KEXEC_FILE_LOAD, "no room in crash kernel memory" },
	{ ENOMEM, LDR_SYSCALL_KEXEC_FILE_LOAD, "too small" },
	{ EKEYREJECTED, LDR_SYSCALL_KEXEC_FILE_LOAD, "signature rejected" },
	{ ENOKEY, LDR_SYSCALL_KEXEC_FILE_LOAD, "signature rejected" },
	{ EBADMSG, LDR_SYSCALL_KEXEC_FILE_LOAD, "signature rejected" },
	{ ENOSYS, LDR_SYSCALL_KEXEC_FILE_LOAD, "CONFIG_KEXEC_FILE" },
	{ ENOSYS, LDR_SYSCALL_KEXEC_LOAD, "no kexec_load" },
	{ ENOEXEC, LDR_SYSCALL_KEXEC_FILE_LOAD, "does not accept this image" },
	{ EBUSY, LDR_SYSCALL_KEXEC_FILE_LOAD, "in progress" },
	{ EINVAL, LDR_SYSCALL_KEXEC_FILE_LOAD, "command line too long" },
	{ EPERM, LDR_SYSCALL_KEXEC_FILE_LOAD, "needs root" },
	{ EIO, LDR_SYSCALL_KEXEC_FILE_LOAD, "failed" },
};

static void test_explain(struct tap *t, struct fixture *f)
{
	char buf[256], dir[200];
	const char *msg;
	size_t i;

	for (i = 0; i < sizeof(explain_cases) / sizeof(explain_cases[0]); i++) {
		msg = ldr_kexec_explain(explain_cases[i].errnum, explain_cases[i].sc, false,
					"/nonexistent-root", buf, sizeof(buf));
		TAP_CHECK(t, strstr(msg, explain_cases[i].want) != NULL, "errno %d explained: %s",
			  explain_cases[i].errnum, msg);
	}
	snprintf(dir, sizeof(dir), "%s/sys/kernel/security", f->root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/proc/sys", f->root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/proc/sys/kernel", f->root);
	mkdir(dir, 0755);
	write_text(f->root, "proc/sys/kernel/kexec_load_disabled", "1\n");
	msg = ldr_kexec_explain(EPERM, LDR_SYSCALL_KEXEC_FILE_LOAD, false, f->root, buf, sizeof(buf));
	TAP_CHECK(t, strstr(msg, "kexec_load_disabled = 1") != NULL, "EPERM, kexec disabled: %s",
		  msg);
	write_text(f->root, "sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	msg = ldr_kexec_explain(EPERM, LDR_SYSCALL_KEXEC_FILE_LOAD, false, f->root, buf, sizeof(buf));
	TAP_CHECK(t, strstr(msg, "signature rejected: the kernel is locked down (integrity)") != NULL,
		  "EPERM under lockdown, kexec_file_load: %s", msg);
	msg = ldr_kexec_explain(EPERM, LDR_SYSCALL_KEXEC_LOAD, false, f->root, buf, sizeof(buf));
	TAP_CHECK(t, strstr(msg, "refuses kexec_load") != NULL, "EPERM under lockdown, kexec_load: %s",
		  msg);
	snprintf(dir, sizeof(dir), "%s/sys/kernel/security/lockdown", f->root);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/sys/kernel/security", f->root);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/proc/sys/kernel/kexec_load_disabled", f->root);
	unlink(dir);
	snprintf(dir, sizeof(dir), "%s/proc/sys/kernel", f->root);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/proc/sys", f->root);
	rmdir(dir);
}

static void test_misc(struct tap *t)
{
	char buf[32];
	char *p;

	TAP_CHECK(t, strcmp(ldr_size_str(128 * MiB, buf, sizeof(buf)), "128 MiB") == 0,
		  "size 128 MiB");
	TAP_CHECK(t, strcmp(ldr_size_str(0x3378000, buf, sizeof(buf)), "51.5 MiB") == 0,
		  "size 51.5 MiB");
	TAP_CHECK(t, strcmp(ldr_size_str(100, buf, sizeof(buf)), "100 bytes") == 0, "size 100");
	p = ldr_sysroot_path(NULL, "/proc/iomem");
	TAP_CHECK(t, p && strcmp(p, "/proc/iomem") == 0, "sysroot default");
	free(p);
	p = ldr_sysroot_path("/x/", "proc/iomem");
	TAP_CHECK(t, p && strcmp(p, "/x/proc/iomem") == 0, "sysroot with slash");
	free(p);
	TAP_CHECK(t, strcmp(ldr_problem_name(LDR_PROBLEM_TOO_SMALL), "crash-memory-too-small") == 0,
		  "problem name");
	ldr_plan_destroy(NULL);
#if defined(__x86_64__)
	TAP_CHECK(t, ldr_kexec_file_syscall_nr() == 320, "kexec_file_load is 320 on x86_64");
#elif defined(__aarch64__)
	TAP_CHECK(t, ldr_kexec_file_syscall_nr() == 294, "kexec_file_load is 294 on arm64");
#endif
}

int main(void)
{
	struct tap t = { 0 };
	struct fixture f;

	test_cmdline(&t);
	test_probe(&t);
	test_misc(&t);
	if (!fixture_init(&f, 100 * MiB)) {
		TAP_CHECK(&t, 0, "temporary sysroot");
		return tap_finish(&t);
	}
	test_plan_fits(&t, &f);
	test_plan_problems(&t, &f);
	test_print(&t, &f);
	test_state(&t, &f);
	test_explain(&t, &f);
	fixture_deinit(&f);
	return tap_finish(&t);
}
