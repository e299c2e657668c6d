/*
 * Unit tests for the arm64 kexec_load plan read from a system (loader/arch/arm64/system.c,
 * ldr_plan_layout(), the plan printers): a fake sysroot made of the real Debian 12 arm64
 * fixtures (field /proc/iomem, /proc/kcore header, QEMU's device tree) plus sysfs files.
 * Needs the arm64 purgatory object ($BUILD/purgatory-arm64/purgatory.ro) on x86_64 hosts.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"
#include "tests/unit/tap.h"

static bool copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	char buf[8192];
	size_t n;
	bool ok = in && out;

	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in)
		fclose(in);
	if (out && fclose(out))
		ok = false;
	return ok;
}

static bool put_file(const char *root, const char *rel, const void *data, size_t len)
{
	char path[4096];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "wb");
	if (!f)
		return false;
	ok = fwrite(data, 1, len, f) == len;
	return !fclose(f) && ok;
}

static bool put_text(const char *root, const char *rel, const char *text)
{
	return put_file(root, rel, text, strlen(text));
}

static bool make_dirs(const char *root)
{
	static const char *const dirs[] = {
		"proc", "sys", "sys/firmware", "sys/kernel", "sys/devices", "sys/devices/system",
		"sys/devices/system/cpu", "sys/devices/system/cpu/cpu0",
		"sys/devices/system/cpu/cpu1", "boot",
	};
	char path[4096];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		if (mkdir(path, 0755) && !(access(path, F_OK) == 0))
			return false;
	}
	return true;
}

/* The sysroot; returns false if a fixture is missing. */
static bool make_sysroot(const char *root)
{
	uint8_t head[64] = { 'M', 'Z' };
	uint8_t *image = calloc(1, 1 << 20);
	char path[4096];
	bool ok = image && make_dirs(root);

	put_le64(head + 16, 0x1ab0000);
	put_le64(head + 24, 0xa);
	put_le32(head + 56, 0x644d5241);
	if (ok)
		memcpy(image, head, sizeof(head));
	snprintf(path, sizeof(path), "%s/proc/kcore", root);
	ok = ok && copy_file("tests/data/arm64/debian12-6g-kcore-head.bin", path);
	snprintf(path, sizeof(path), "%s/proc/iomem", root);
	ok = ok && copy_file("tests/data/arm64/debian12-6g-field-iomem.txt", path);
	snprintf(path, sizeof(path), "%s/sys/firmware/fdt", root);
	ok = ok && copy_file("tests/data/dtb/qemu-virt-arm64.dtb", path);
	ok = ok && put_text(root, "proc/cmdline", "console=ttyAMA0 crashkernel=128M,low\n") &&
	     put_text(root, "sys/devices/system/cpu/possible", "0-1\n") &&
	     put_text(root, "sys/devices/system/cpu/cpu0/crash_notes", "1bf3f0000\n") &&
	     put_text(root, "sys/devices/system/cpu/cpu0/crash_notes_size", "1024\n") &&
	     put_text(root, "sys/devices/system/cpu/cpu1/crash_notes", "1bf3f1000\n") &&
	     put_text(root, "sys/devices/system/cpu/cpu1/crash_notes_size", "1024\n") &&
	     put_text(root, "sys/kernel/vmcoreinfo", "48198000 1000\n") &&
	     put_text(root, "sys/kernel/kexec_crash_loaded", "0\n") &&
	     put_text(root, "sys/kernel/kexec_crash_size", "1073741824\n") &&
	     put_file(root, "boot/Image", image, 1 << 20) &&
	     put_file(root, "boot/initrd", image, 4096);
	free(image);
	return ok;
}

/* The ELF core header the system path built: notes from sysfs, loads from kcore and iomem. */
static void check_elfcorehdr(struct tap *t, const struct ldr_arm64_kexec_plan *kp)
{
	const uint8_t *h = kp->elfcorehdr;
	unsigned notes = 0, loads = 0;
	uint64_t ram = 0, note_addr[3] = { 0 };
	bool image = false;

	TAP_CHECK(t, h && get_le16(h + 18) == EM_AARCH64 && get_le16(h + 56) == 7,
		  "system: elfcorehdr EM_AARCH64 with 7 program headers");
	if (!h)
		return;
	for (unsigned i = 0; i < get_le16(h + 56); i++) {
		const uint8_t *ph = h + 64 + 56 * i;

		if (get_le32(ph) == PT_NOTE && notes < 3) {
			note_addr[notes++] = get_le64(ph + 24);
		} else if (get_le32(ph) == PT_LOAD && get_le64(ph + 24) == 0x40200000) {
			image = get_le64(ph + 16) == 0xffffd341cfa00000ull;
		} else if (get_le32(ph) == PT_LOAD) {
			loads++;
			ram += get_le64(ph + 40);
		}
	}
	TAP_CHECK(t, notes == 3 && note_addr[0] == 0x1bf3f0000ull && note_addr[1] == 0x1bf3f1000ull &&
		     note_addr[2] == 0x48198000ull,
		  "system: PT_NOTEs from cpuN/crash_notes and /sys/kernel/vmcoreinfo");
	TAP_CHECK(t, image, "system: image PT_LOAD at _text 0xffffd341cfa00000 (from /proc/kcore)");
	TAP_CHECK(t, loads == 3 && ram == 0x180000000ull - 0x48000000ull,
		  "system: RAM loads = 6 GiB minus both crash ranges");
}

static void test_system(struct tap *t, const char *root, const char *pur_path)
{
	struct ldr_iomem *io = NULL;
	struct ldr_arm64_kexec_plan kp;
	struct kd_err err;
	char path[4096];
	FILE *f;
	uint8_t *pur = NULL, kernel[64 * 1024] = { 0 };
	size_t pur_len = 0;
	enum kd_status st;

	f = pur_path ? fopen(pur_path, "rb") : NULL;
	if (f) {
		pur = malloc(1 << 20);
		pur_len = pur ? fread(pur, 1, 1 << 20, f) : 0;
		fclose(f);
	} else if (!pur_path) {
		const void *img;

		ldr_purgatory_builtin(&img, &pur_len);
		pur = malloc(pur_len);
		if (pur)
			memcpy(pur, img, pur_len);
	}
	snprintf(path, sizeof(path), "%s/boot/Image", root);
	f = fopen(path, "rb");
	if (f) {
		if (fread(kernel, 1, sizeof(kernel), f) != sizeof(kernel))
			kernel[0] = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/proc/iomem", root);
	if (ldr_iomem_parse_file(path, &io, &err) != KD_OK || !pur) {
		TAP_CHECK(t, 0, "system: iomem and purgatory readable");
		goto out;
	}
	st = ldr_arm64_plan_from_system(io, 1, root, kernel, sizeof(kernel), NULL, 0, "quiet",
					LDR_ARM64_UART_FROM_DT, pur, pur_len, &kp, &err);
	TAP_CHECK(t, st == KD_OK, "system: plan from the sysroot (%s)", st ? err.msg : "ok");
	if (st == KD_OK) {
		check_elfcorehdr(t, &kp);
		TAP_CHECK(t, kp.nr_seg == 4 && kp.initrd_addr == 0,
			  "system: without an initrd, 4 segments");
		ldr_arm64_kexec_plan_deinit(&kp);
	}
	/* no /proc/kcore: no layout, said so */
	snprintf(path, sizeof(path), "%s/proc/kcore", root);
	{
		char hidden[4096];

		snprintf(hidden, sizeof(hidden), "%s/proc/kcore.hidden", root);
		if (rename(path, hidden) == 0) {
			st = ldr_arm64_plan_from_system(io, 1, root, kernel, sizeof(kernel), NULL, 0,
							"", 0, pur, pur_len, &kp, &err);
			TAP_CHECK(t, st == KD_ERR_SYSTEM && strstr(err.msg, "kcore"),
				  "system: without /proc/kcore: %s", err.msg);
			rename(hidden, path);
		}
	}
out:
	ldr_iomem_destroy(io);
	free(pur);
}

static char *print_plan(const struct ldr_plan *plan, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	ldr_plan_print(plan, json, f);
	fclose(f);
	return text;
}

static void test_plan_output(struct tap *t, const char *root, const char *pur_path)
{
	char kernel[4096], initrd[4096];
	struct ldr_options o = { .syscall = LDR_SYSCALL_KEXEC_LOAD, .arch = LDR_IMAGE_ARM64 };
	struct ldr_plan *plan = NULL;
	struct kd_err err;
	char *text, *json, *a, *b;

	snprintf(kernel, sizeof(kernel), "%s/boot/Image", root);
	snprintf(initrd, sizeof(initrd), "%s/boot/initrd", root);
	o.kernel = kernel;
	o.initrd = initrd;
	o.sysroot = root;
	o.purgatory_path = pur_path;
	TAP_CHECK(t, ldr_plan_create(&o, &plan, &err) == KD_OK, "plan: created for arm64");
	if (!plan)
		return;
	ldr_plan_layout(plan, &o);
	TAP_CHECK(t, plan->layout.computed && plan->layout.nr_seg == 5 &&
		     plan->layout.nr_usable == 2 && plan->layout.usable[0].start == 0x179200000ull &&
		     plan->layout.usable[1].start == 0xf4000000ull,
		  "plan: layout with 5 segments, usable-memory-range high then low (%s)",
		  plan->layout.error);
	text = print_plan(plan, false);
	a = text ? strstr(text, "usable-memory-range: 0x0000000179200000-0x00000001b91fffff") : NULL;
	b = text ? strstr(text, "usable-memory-range: 0x00000000f4000000-0x00000000fbffffff") : NULL;
	TAP_CHECK(t, a && b && a < b && strstr(text, "segment:      dtb"),
		  "plan text: segment lines, both usable-memory-range lines in DT order");
	json = print_plan(plan, true);
	a = json ? strstr(json, "\"usable_memory_range\": [") : NULL;
	a = a ? strstr(a, "\"start\": \"0x179200000\"") : NULL;
	b = a ? strstr(a, "\"start\": \"0xf4000000\"") : NULL;
	TAP_CHECK(t, a && b && strstr(json, "\"segments\": [") && strstr(json, "\"what\": \"purgatory\""),
		  "plan json: segments and usable_memory_range (high, then low)");
	free(text);
	free(json);

	/* the x86_64 build's own purgatory cannot serve: said, not fatal */
	{
		const void *img;
		size_t len;

		ldr_purgatory_builtin(&img, &len);
		o.purgatory_path = NULL;
		ldr_plan_layout(plan, &o);
		if (get_le16((const uint8_t *)img + 18) != EM_AARCH64)
			TAP_CHECK(t, !plan->layout.computed && strstr(plan->layout.error, "--purgatory"),
				  "plan: a foreign built-in purgatory is named in the layout error");
	}
	ldr_plan_destroy(plan);
}

int main(void)
{
	struct tap t = { 0 };
	char root[] = "/tmp/kd-arm64-plan-XXXXXX", pur[4096], cmd[4200];
	const char *build = getenv("BUILD");
	const void *img;
	size_t len;
	FILE *f;

	snprintf(pur, sizeof(pur), "%s/purgatory-arm64/purgatory.ro", build ? build : "build");
	f = fopen(pur, "rb");
	if (f) {
		fclose(f);
	} else {
		ldr_purgatory_builtin(&img, &len);
		if (len < 20 || get_le16((const uint8_t *)img + 18) != EM_AARCH64) {
			printf("skip - arm64 plan: no arm64 purgatory object (%s)\n", pur);
			return 0;
		}
		pur[0] = '\0';
	}
	if (!mkdtemp(root) || !make_sysroot(root)) {
		TAP_CHECK(&t, 0, "sysroot made from the fixtures (run from the repository root)");
		return tap_finish(&t);
	}
	test_system(&t, root, pur[0] ? pur : NULL);
	test_plan_output(&t, root, pur[0] ? pur : NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	return tap_finish(&t);
}
