/* Unit tests for loader/arch/arm64/layout.c, on the start of a real Debian 12 arm64 /proc/kcore. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"
#include "loader/elfcorehdr.h"
#include "tests/unit/tap.h"

#define KCORE "tests/data/arm64/debian12-6g-kcore-head.bin"

/* The ELF core header for the field case, with the layout's addresses (ldr_elfcorehdr_build). */
static void test_elfcorehdr(struct tap *t, const struct ldr_arm64_layout *l)
{
	static const struct ldr_range ram = { .start = 0x40000000, .end = 0x1bfffffff };
	static const struct ldr_range crash[] = {
		{ .start = 0xf4000000, .end = 0xfbffffff },
		{ .start = 0x179200000, .end = 0x1b91fffff },
	};
	static const struct ldr_note_buf cpus[] = { { 0x1bf3f0000, 0x400 }, { 0x1bf3f1000, 0x400 } };
	struct ldr_elfcore_input in = {
		.cpu_notes = cpus, .nr_cpu_notes = 2,
		.vmcoreinfo = { 0x48198000, 0x1000 },
		.text_vaddr = l->text_vaddr, .text_paddr = l->text_paddr, .text_size = l->text_size,
		.ram = &ram, .nr_ram = 1, .crash = crash, .nr_crash = 2,
		.page_offset = l->linear_offset, .low_exclude = 0,
	};
	uint8_t *buf = NULL;
	size_t size = 0, loads = 0;
	uint64_t ram_bytes = 0;
	bool vaddr_ok = true, text_ok = false, outside_crash = true;
	struct kd_err err;

	TAP_CHECK(t, ldr_elfcorehdr_build(&in, &buf, &size, &err) == KD_OK,
		  "elfcorehdr: built for arm64 with two crash ranges");
	if (!buf)
		return;
	for (unsigned i = 0; i < get_le16(buf + 56); i++) {
		const uint8_t *ph = buf + get_le64(buf + 32) + 56 * i;
		uint64_t vaddr = get_le64(ph + 16), paddr = get_le64(ph + 24), sz = get_le64(ph + 40);

		if (get_le32(ph) != 1)
			continue;
		if (vaddr == l->text_vaddr) {
			text_ok = paddr == 0x40200000 && sz == 0x1ab0000;
			continue;
		}
		loads++;
		ram_bytes += sz;
		vaddr_ok &= vaddr == paddr + l->linear_offset && vaddr >= 0xffff000000000000ull;
		for (size_t c = 0; c < 2; c++)
			outside_crash &= paddr + sz <= crash[c].start || paddr > crash[c].end;
	}
	TAP_CHECK(t, text_ok, "elfcorehdr: kernel text load at _text from /proc/kcore");
	TAP_CHECK(t, loads == 3 && vaddr_ok && outside_crash &&
		     ram_bytes == 0x180000000ull - 0x8000000ull - 0x40000000ull,
		  "elfcorehdr: 3 RAM loads = 6 GiB minus 128 MiB minus 1 GiB, linear-map vaddrs");
	free(buf);
}

int main(void)
{
	static uint8_t buf[16384], copy[16384];
	struct tap t = { 0 };
	struct ldr_arm64_layout l;
	struct kd_err err;
	FILE *fp = fopen(KCORE, "rb");
	size_t len;

	if (!fp) {
		printf("# %s not found (run from the repository root)\n", KCORE);
		TAP_CHECK(&t, 0, "layout: kcore header readable");
		return tap_finish(&t);
	}
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);

	TAP_CHECK(&t, ldr_arm64_layout_from_kcore(buf, len, &l, &err) == KD_OK,
		  "layout: Debian 12 arm64 /proc/kcore read");
	TAP_CHECK(&t, l.linear_offset == 0xffff000000000000ull - 0x40000000ull,
		  "layout: linear map 0xffff000000000000 <-> 0x40000000 (offset 0x%llx)",
		  (unsigned long long)l.linear_offset);
	TAP_CHECK(&t, l.text_vaddr == 0xffffd341cfa00000ull && l.text_paddr == 0x40200000ull &&
		     l.text_size == 0x1ab0000ull &&
		     l.kimage_voffset == 0xffffd341cfa00000ull - 0x40200000ull,
		  "layout: kernel image at _text (no symbol needed), kimage_voffset 0x%llx",
		  (unsigned long long)l.kimage_voffset);
	TAP_CHECK(&t, l.have_vmcoreinfo && l.va_bits == 48 && l.phys_offset == 0x40000000ull,
		  "layout: agrees with the kcore VMCOREINFO note (VA_BITS, PHYS_OFFSET, kimage_voffset)");

	test_elfcorehdr(&t, &l);

	/* the note cut off: the loads alone still give the layout */
	TAP_CHECK(&t, ldr_arm64_layout_from_kcore(buf, 8192, &l, &err) == KD_OK &&
		     !l.have_vmcoreinfo && l.linear_offset == 0xffff000000000000ull - 0x40000000ull,
		  "layout: without the complete note, from the loads only");

	/* a linear load that disagrees with VMCOREINFO */
	memcpy(copy, buf, len);
	for (unsigned i = 0; i < get_le16(copy + 56); i++) {
		uint8_t *ph = copy + get_le64(copy + 32) + 56 * i;

		if (get_le64(ph + 16) == 0xffff000000000000ull)
			put_le64(ph + 24, 0x80000000ull);
	}
	TAP_CHECK(&t, ldr_arm64_layout_from_kcore(copy, len, &l, &err) == KD_ERR_CORRUPT &&
		     strstr(err.msg, "disagree"),
		  "layout: disagreement with VMCOREINFO refused");

	memcpy(copy, buf, len);
	copy[5] = 2;
	TAP_CHECK(&t, ldr_arm64_layout_from_kcore(copy, len, &l, &err) == KD_ERR_CORRUPT,
		  "layout: big-endian ELF refused");
	TAP_CHECK(&t, ldr_arm64_layout_from_kcore(buf, 200, &l, &err) == KD_ERR_CORRUPT,
		  "layout: program headers past the buffer");
	/* every truncation: no crash */
	for (size_t n = 0; n < len; n += 61)
		(void)ldr_arm64_layout_from_kcore(buf, n, &l, &err);
	TAP_CHECK(&t, 1, "layout: truncated headers handled");
	return tap_finish(&t);
}
