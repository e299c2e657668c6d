/*
 * Unit tests for the arm64 kexec_load plan (loader/arch/arm64/kexec.c, reloc.c): segment
 * placement on the field /proc/iomem (two crash ranges), the capture device tree, the ELF
 * core header for arm64 and the arm64 purgatory's relocation. Runs on any host: the arm64
 * purgatory object comes from $BUILD/purgatory-arm64/purgatory.ro (x86_64 builds) or is
 * the built-in one (arm64 builds); without either, those checks are skipped.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"
#include "loader/elfcorehdr.h"
#include "loader/sha256.h"
#include "purgatory/abi.h"
#include "tests/unit/tap.h"

#define IOMEM "tests/data/arm64/debian12-6g-field-iomem.txt"
#define KCORE "tests/data/arm64/debian12-6g-kcore-head.bin"
#define DTB "tests/data/dtb/qemu-virt-arm64.dtb"

enum { IMAGE_FILE = 1 << 20, IMAGE_SIZE = 0x1ab0000, INITRD = 300000 };

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = buf ? (size_t)n : 0;
	fclose(fp);
	return buf;
}

/* The arm64 purgatory: the host build's extra object, or the built-in one on arm64. */
static uint8_t *arm64_purgatory(size_t *len)
{
	const char *build = getenv("BUILD");
	char path[4096];
	const void *img;
	uint8_t *copy;

	snprintf(path, sizeof(path), "%s/purgatory-arm64/purgatory.ro", build ? build : "build");
	copy = slurp(path, len);
	if (copy)
		return copy;
	ldr_purgatory_builtin(&img, len);
	if (*len < 20 || get_le16((const uint8_t *)img + 18) != EM_AARCH64)
		return NULL;
	copy = malloc(*len);
	if (copy)
		memcpy(copy, img, *len);
	return copy;
}

/* A minimal Debian-like Image: header with text_offset 0, image_size, flags 0xa. */
static uint8_t *make_image(void)
{
	uint8_t *p = calloc(1, IMAGE_FILE);

	if (!p)
		abort();
	p[0] = 'M';
	p[1] = 'Z';
	put_le64(p + 16, IMAGE_SIZE);
	put_le64(p + 24, 0xa);
	put_le32(p + 56, 0x644d5241);
	put_le32(p + 60, 0x40);
	return p;
}

/* Value of property @name in /chosen of @fdt, or NULL. */
static const uint8_t *chosen(const uint8_t *fdt, const char *name, uint32_t *len_ret)
{
	const uint8_t *st = fdt + get_be32(fdt + 8);
	const char *strs = (const char *)fdt + get_be32(fdt + 12);
	size_t pos = 0, end = get_be32(fdt + 36);
	int depth = 0;
	bool in = false;

	while (pos + 4 <= end) {
		uint32_t tok = get_be32(st + pos);

		pos += 4;
		if (tok == 1) {
			const char *n = (const char *)st + pos;

			in = ++depth == 2 && !strcmp(n, "chosen");
			pos += (strlen(n) + 4) & ~(size_t)3;
		} else if (tok == 2) {
			depth--;
			in = false;
		} else if (tok == 3) {
			uint32_t len = get_be32(st + pos), off = get_be32(st + pos + 4);

			if (in && !strcmp(strs + off, name)) {
				*len_ret = len;
				return st + pos + 8;
			}
			pos += 8 + ((len + 3) & ~(uint32_t)3);
		} else if (tok == 9) {
			break;
		}
	}
	return NULL;
}

static uint64_t sym(const struct ldr_purgatory *p, const char *name)
{
	uint8_t v[8] = { 0 };

	ldr_purgatory_get_symbol(p, name, v, 8, NULL);
	return get_le64(v);
}

/* Decode ADRP at @pc: the page it yields. */
static uint64_t adrp_target(uint32_t insn, uint64_t pc)
{
	uint64_t imm = ((insn >> 29) & 3) | (((uint64_t)(insn >> 5) & 0x7ffff) << 2);

	if (imm & (1u << 20))
		imm |= ~(uint64_t)0x1fffff;
	return (pc & ~(uint64_t)0xfff) + (imm << 12);
}

static void check_purgatory_code(struct tap *t, const struct ldr_arm64_kexec_plan *kp)
{
	const struct ldr_purgatory *p = kp->purgatory;
	uint64_t base = ldr_purgatory_addr(p), stack_end = 0, main_addr = 0, dtb_var = 0;
	const uint8_t *img = ldr_purgatory_image(p), *code = img + (kp->entry - base);
	uint32_t i0 = get_le32(code), i1 = get_le32(code + 4), i3 = get_le32(code + 12);
	int64_t bl = (int64_t)((uint64_t)(i3 & 0x3ffffff) << 38) >> 36;

	ldr_purgatory_symbol_addr(p, "stack_end", &stack_end, NULL);
	ldr_purgatory_symbol_addr(p, "purgatory_main", &main_addr, NULL);
	ldr_purgatory_symbol_addr(p, PURGATORY_SYM_ARM64_DTB, &dtb_var, NULL);
	TAP_CHECK(t, (i0 & 0x9f00001f) == 0x90000009 &&
		     adrp_target(i0, kp->entry) == (stack_end & ~(uint64_t)0xfff),
		  "purgatory: adrp x9, stack_end relocated (ADR_PREL_PG_HI21) to page 0x%llx",
		  (unsigned long long)(stack_end & ~(uint64_t)0xfff));
	TAP_CHECK(t, ((i1 >> 10) & 0xfff) == (stack_end & 0xfff),
		  "purgatory: add x9, x9, :lo12:stack_end (ADD_ABS_LO12_NC)");
	TAP_CHECK(t, (i3 & 0xfc000000) == 0x94000000 && kp->entry + 12 + (uint64_t)bl == main_addr,
		  "purgatory: bl purgatory_main (CALL26) lands on 0x%llx",
		  (unsigned long long)main_addr);
	TAP_CHECK(t, dtb_var && (dtb_var & 7) == 0 && dtb_var >= base,
		  "purgatory: arm64_dtb_addr 8-byte aligned for ldr (LDST64_ABS_LO12_NC)");
}

static void check_segments(struct tap *t, const struct ldr_arm64_kexec_plan *kp,
			   const struct ldr_range *hi, const uint8_t *image, const uint8_t *initrd)
{
	bool inside = true, disjoint = true, aligned = true;
	struct ldr_sha256 sha;
	uint8_t digest[32], regions[PURGATORY_SHA256_REGIONS * 16];
	size_t nr = 0;

	for (size_t i = 0; i < kp->nr_seg; i++) {
		const struct ldr_kexec_segment *s = &kp->seg[i];

		inside &= s->mem >= hi->start && s->mem + s->memsz - 1 <= hi->end;
		aligned &= s->mem % 4096 == 0 && s->memsz % 4096 == 0 && s->bufsz <= s->memsz;
		if (i)
			disjoint &= kp->seg[i - 1].mem + kp->seg[i - 1].memsz <= s->mem;
	}
	TAP_CHECK(t, kp->nr_seg == 5, "plan: 5 segments (kernel, initrd, dtb, elfcorehdr, purgatory)");
	TAP_CHECK(t, inside, "plan: every segment inside crashk_res 0x%llx-0x%llx (kexec_load's rule)",
		  (unsigned long long)hi->start, (unsigned long long)hi->end);
	TAP_CHECK(t, disjoint && aligned, "plan: segments page-aligned, sorted and disjoint");
	TAP_CHECK(t, kp->seg[0].buf == image && kp->seg[0].mem == 0x179200000ull &&
		     kp->kernel_entry == 0x179200000ull && kp->seg[0].memsz == IMAGE_SIZE,
		  "plan: Image at the 2 MiB-aligned bottom + text_offset 0, image_size bytes");
	TAP_CHECK(t, kp->dtb_addr >> 21 == (kp->dtb_addr + kp->dtb_size - 1) >> 21,
		  "plan: device tree inside one 2 MiB block");
	for (size_t i = 0; i < kp->nr_seg; i++)
		if (!strcmp(kp->seg[i].what, "purgatory"))
			inside = kp->entry >= kp->seg[i].mem &&
				 kp->entry < kp->seg[i].mem + kp->seg[i].bufsz;
	TAP_CHECK(t, inside, "plan: entry in the purgatory segment");

	/* the digest purgatory checks: the bytes of its regions, in table order */
	ldr_purgatory_get_symbol(kp->purgatory, PURGATORY_SYM_REGIONS, regions, sizeof(regions),
				 NULL);
	ldr_sha256_init(&sha);
	for (size_t r = 0; r < PURGATORY_SHA256_REGIONS && get_le64(regions + 16 * r + 8); r++) {
		for (size_t i = 0; i < kp->nr_seg; i++)
			if (kp->seg[i].mem == get_le64(regions + 16 * r) &&
			    kp->seg[i].bufsz == get_le64(regions + 16 * r + 8) &&
			    strcmp(kp->seg[i].what, "purgatory")) {
				ldr_sha256_update(&sha, kp->seg[i].buf, kp->seg[i].bufsz);
				nr++;
			}
	}
	ldr_sha256_final(&sha, digest);
	TAP_CHECK(t, !memcmp(digest, kp->digest, 32) && nr == 4,
		  "plan: purgatory's regions and digest cover the 4 other segments");
	TAP_CHECK(t, sym(kp->purgatory, PURGATORY_SYM_ARM64_ENTRY) == kp->kernel_entry &&
		     sym(kp->purgatory, PURGATORY_SYM_ARM64_DTB) == kp->dtb_addr &&
		     sym(kp->purgatory, PURGATORY_SYM_ARM64_UART) == 0x9000000,
		  "plan: purgatory variables: kernel entry, dtb address (x0), PL011 0x9000000");
	(void)initrd;
}

static void check_dtb(struct tap *t, const struct ldr_arm64_kexec_plan *kp)
{
	static const uint64_t want[4] = { 0x179200000ull, 0x40000000ull, 0xf4000000ull,
					  0x8000000ull };
	const uint8_t *v;
	uint32_t len = 0;
	bool ok;

	v = chosen(kp->dtb, "linux,usable-memory-range", &len);
	ok = v && len == 32;
	for (int i = 0; ok && i < 4; i++)
		ok = get_be64(v + 8 * i) == want[i];
	TAP_CHECK(t, ok, "dtb: linux,usable-memory-range = <1 GiB high> <128 MiB low>, in that order");
	TAP_CHECK(t, kp->nr_usable == 2 && kp->usable[0].start == 0x179200000ull &&
		     kp->usable[1].start == 0xf4000000ull,
		  "plan: usable-memory-range reported high first, low last");
	v = chosen(kp->dtb, "linux,elfcorehdr", &len);
	TAP_CHECK(t, v && len == 16 && get_be64(v) == kp->elfcorehdr_addr &&
		     get_be64(v + 8) == kp->elfcorehdr_size,
		  "dtb: linux,elfcorehdr = <0x%llx 0x%llx>", (unsigned long long)kp->elfcorehdr_addr,
		  (unsigned long long)kp->elfcorehdr_size);
	v = chosen(kp->dtb, "linux,initrd-start", &len);
	TAP_CHECK(t, v && len == 8 && get_be64(v) == kp->initrd_addr &&
		     (v = chosen(kp->dtb, "linux,initrd-end", &len)) &&
		     get_be64(v) == kp->initrd_addr + INITRD,
		  "dtb: linux,initrd-start/end frame the initrd segment");
	v = chosen(kp->dtb, "bootargs", &len);
	TAP_CHECK(t, v && !strcmp((const char *)v, "console=ttyAMA0 nr_cpus=1"), "dtb: bootargs");
	v = chosen(kp->dtb, "kaslr-seed", &len);
	TAP_CHECK(t, v && len == 8 && get_be64(v) == 0x1234567890abcdefull, "dtb: fresh kaslr-seed");
	v = chosen(kp->dtb, "rng-seed", &len);
	TAP_CHECK(t, v && len == LDR_ARM64_RNG_SEED_SIZE && v[0] == 0x5a,
		  "dtb: fresh rng-seed of %d bytes", LDR_ARM64_RNG_SEED_SIZE);
}

/* ELF core header for arm64 from the real kcore layout. */
static uint8_t *make_elfcorehdr(struct tap *t, const struct ldr_iomem *io, size_t *size)
{
	static const struct ldr_note_buf cpus[] = { { 0x1bf3f0000, 0x400 }, { 0x1bf3f1000, 0x400 } };
	struct ldr_arm64_layout l;
	struct ldr_elfcore_input in = { 0 };
	size_t klen = 0;
	uint8_t *kc = slurp(KCORE, &klen), *buf = NULL;
	bool ok;

	ok = kc && ldr_arm64_layout_from_kcore(kc, klen, &l, NULL) == KD_OK;
	free(kc);
	TAP_CHECK(t, ok, "elfcorehdr: layout from the real /proc/kcore header");
	if (!ok)
		return NULL;
	in = (struct ldr_elfcore_input){
		.cpu_notes = cpus, .nr_cpu_notes = 2, .vmcoreinfo = { 0x48198000, 0x1000 },
		.text_vaddr = l.text_vaddr, .text_paddr = l.text_paddr, .text_size = l.text_size,
		.page_offset = l.linear_offset, .machine = EM_AARCH64,
	};
	in.ram = ldr_iomem_ranges(io, LDR_RANGE_SYSTEM_RAM, &in.nr_ram);
	in.crash = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &in.nr_crash);
	if (ldr_elfcorehdr_build(&in, &buf, size, NULL) != KD_OK)
		buf = NULL;
	TAP_CHECK(t, buf && get_le16(buf + 18) == EM_AARCH64 && get_le16(buf + 56) == 2 + 1 + 1 + 3,
		  "elfcorehdr: EM_AARCH64, 2 CPU notes + VMCOREINFO + image + 3 RAM loads");
	if (buf) {
		const uint8_t *ph = buf + 64 + 56 * 3;	/* the image load */
		const uint8_t *lin = ph + 56;		/* the first RAM load */

		TAP_CHECK(t, get_le64(ph + 16) == l.text_vaddr && get_le64(ph + 24) == 0x40200000 &&
			     get_le64(ph + 16) - get_le64(ph + 24) == l.kimage_voffset,
			  "elfcorehdr: image load at _text, vaddr - paddr = kimage_voffset");
		TAP_CHECK(t, get_le64(lin + 24) == 0x40000000 &&
			     get_le64(lin + 16) == 0xffff000000000000ull &&
			     get_le64(lin + 40) == 0xf4000000ull - 0x40000000ull,
			  "elfcorehdr: RAM 0x40000000 at PAGE_OFFSET 0xffff000000000000 (5.4+ layout)");
	}
	return buf;
}

static void test_plan(struct tap *t)
{
	struct ldr_iomem *io = NULL;
	struct ldr_arm64_kexec_plan kp;
	struct kd_err err;
	size_t dtb_len = 0, pur_len = 0, hdr_len = 0, nr_crash = 0;
	uint8_t *dtb = slurp(DTB, &dtb_len), *pur = arm64_purgatory(&pur_len), *hdr;
	uint8_t *image = make_image(), *initrd = calloc(1, INITRD), rng[LDR_ARM64_RNG_SEED_SIZE];
	const struct ldr_range *crash;
	long target;

	TAP_CHECK(t, ldr_iomem_parse_file(IOMEM, &io, &err) == KD_OK && dtb && initrd,
		  "fixtures: field iomem and QEMU's virt device tree");
	if (!io || !dtb || !initrd)
		goto out;
	crash = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &nr_crash);
	target = ldr_iomem_target_crash_range(io, 1ull << 30);
	TAP_CHECK(t, nr_crash == 2 && target == 1, "iomem: two crash ranges, crashk_res the 1 GiB one");
	hdr = make_elfcorehdr(t, io, &hdr_len);
	if (!hdr)
		goto out;
	memset(rng, 0x5a, sizeof(rng));
	struct ldr_arm64_kexec_input in = {
		.kernel = image, .kernel_size = IMAGE_FILE, .initrd = initrd, .initrd_size = INITRD,
		.cmdline = "console=ttyAMA0 nr_cpus=1", .crash = crash, .nr_crash = nr_crash,
		.target = target, .fdt = dtb, .fdt_size = dtb_len, .elfcorehdr = hdr,
		.elfcorehdr_size = hdr_len, .set_kaslr_seed = true,
		.kaslr_seed = 0x1234567890abcdefull, .rng_seed = rng, .rng_seed_size = sizeof(rng),
		.uart_base = ldr_arm64_dt_pl011(dtb, dtb_len), .purgatory = pur,
		.purgatory_size = pur_len,
	};
	if (!pur) {
		printf("skip - arm64 purgatory object not built (no aarch64-linux-gnu-gcc)\n");
	} else {
		enum kd_status st = ldr_arm64_kexec_plan_build(&in, &kp, &err);

		TAP_CHECK(t, st == KD_OK, "plan: built (%s)", st ? err.msg : "ok");
		if (st == KD_OK) {
			check_segments(t, &kp, &crash[target], image, initrd);
			check_dtb(t, &kp);
			check_purgatory_code(t, &kp);
			ldr_arm64_kexec_plan_deinit(&kp);
		}
		/* a 64 KiB-page first kernel: kexec_load wants its page alignment */
		bool aligned = true;

		in.page_size = 65536;
		st = ldr_arm64_kexec_plan_build(&in, &kp, &err);
		for (size_t i = 0; st == KD_OK && i < kp.nr_seg; i++)
			aligned &= kp.seg[i].mem % 65536 == 0 && kp.seg[i].memsz % 65536 == 0 &&
				    kp.seg[i].mem >= crash[target].start &&
				    kp.seg[i].mem + kp.seg[i].memsz - 1 <= crash[target].end;
		TAP_CHECK(t, st == KD_OK && aligned && kp.kernel_entry == 0x179200000ull,
			  "plan: 64 KiB pages: every segment 64 KiB-aligned");
		if (st == KD_OK)
			ldr_arm64_kexec_plan_deinit(&kp);
		in.page_size = 12288;
		TAP_CHECK(t, ldr_arm64_kexec_plan_build(&in, &kp, &err) == KD_ERR_INVALID,
			  "plan: page size 12 KiB refused");
		in.page_size = 0;

		/* the 2 GiB guest's single crashkernel=256M range (measured under QEMU) */
		struct ldr_range one = { .start = 0xa9a00000ull, .end = 0xb99fffffull };

		in.crash = &one;
		in.nr_crash = 1;
		in.target = -1;
		st = ldr_arm64_kexec_plan_build(&in, &kp, &err);
		TAP_CHECK(t, st == KD_OK && kp.kernel_entry == 0xa9a00000ull && kp.nr_usable == 1 &&
			     kp.seg[kp.nr_seg - 1].mem + kp.seg[kp.nr_seg - 1].memsz == 0xb9a00000ull,
			  "plan: crashkernel=256M at 0xa9a00000: kernel at the bottom, elfcorehdr at the top");
		if (st == KD_OK)
			ldr_arm64_kexec_plan_deinit(&kp);

		/* a 16 MiB range does not fit the kernel */
		struct ldr_range small = { .start = 0x179200000ull, .end = 0x17a1fffffull };

		in.crash = &small;
		in.nr_crash = 1;
		in.target = -1;
		st = ldr_arm64_kexec_plan_build(&in, &kp, &err);
		TAP_CHECK(t, st == KD_ERR_NOSPC && strstr(err.msg, "kernel"),
			  "plan: 16 MiB crash range refused: %s", err.msg);
		in.nr_crash = 0;
		TAP_CHECK(t, ldr_arm64_kexec_plan_build(&in, &kp, &err) == KD_ERR_NODATA,
			  "plan: no crash range refused");
	}
	free(hdr);
out:
	ldr_iomem_destroy(io);
	free(initrd);
	free(image);
	free(pur);
	free(dtb);
}

/* ldr_arm64_reloc_apply() on single instructions. */
static void test_relocs(struct tap *t)
{
	static const struct {
		unsigned type;
		uint32_t insn;
		uint64_t pc, sa;
		enum kd_status st;
		uint32_t want;
		const char *name;
	} cases[] = {
		{ R_AARCH64_CALL26, 0x94000000, 0x1000, 0x2000, KD_OK, 0x94000400, "CALL26 +4 KiB" },
		{ R_AARCH64_CALL26, 0x94000000, 0x2000, 0x1000, KD_OK, 0x97fffc00, "CALL26 -4 KiB" },
		{ R_AARCH64_JUMP26, 0x14000000, 0, 1ull << 27, KD_ERR_INVALID, 0, "JUMP26 128 MiB overflows" },
		{ R_AARCH64_ADR_PREL_PG_HI21, 0x90000009, 0x40001000, 0x40203008, KD_OK, 0xd0001009,
		  "ADRP +0x202 pages" },
		{ R_AARCH64_ADR_PREL_PG_HI21, 0x90000009, 0, 1ull << 32, KD_ERR_INVALID, 0,
		  "ADRP 4 GiB overflows" },
		{ R_AARCH64_ADD_ABS_LO12_NC, 0x91000129, 0, 0x40203abc, KD_OK, 0x912af129, "ADD lo12" },
		{ R_AARCH64_LDST64_ABS_LO12_NC, 0xf9400120, 0, 0x40203ab8, KD_OK, 0xf9455d20,
		  "LDR x0 lo12/8" },
		{ R_AARCH64_LDST64_ABS_LO12_NC, 0xf9400120, 0, 0x40203ab4, KD_ERR_INVALID, 0,
		  "LDR x0 misaligned target refused" },
		{ R_AARCH64_CONDBR19, 0x54000000, 0x1000, 0x1100, KD_OK, 0x54000800, "B.cond +256" },
		{ R_AARCH64_MOVW_UABS_G0, 0xd2800000, 0, 0, KD_ERR_NOTIMPL, 0, "MOVW_UABS_G0 not handled" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t loc[8];
		struct kd_err err;
		enum kd_status st;

		put_le32(loc, cases[i].insn);
		st = ldr_arm64_reloc_apply(loc, 8, cases[i].pc, cases[i].sa, cases[i].type, &err);
		TAP_CHECK(t, st == cases[i].st && (st || get_le32(loc) == cases[i].want),
			  "reloc: %s (got 0x%08x%s%s)", cases[i].name, get_le32(loc), st ? ": " : "",
			  st ? err.msg : "");
	}
	uint8_t q[8];
	struct kd_err err;

	TAP_CHECK(t, ldr_arm64_reloc_apply(q, 8, 0, 0xffff000012345678ull, R_AARCH64_ABS64, &err) ==
			     KD_OK && get_le64(q) == 0xffff000012345678ull,
		  "reloc: ABS64");
	TAP_CHECK(t, ldr_arm64_reloc_apply(q, 4, 0, 1, R_AARCH64_ABS64, &err) == KD_ERR_CORRUPT,
		  "reloc: ABS64 past its section refused");
}

static void test_pl011(struct tap *t)
{
	size_t len = 0;
	uint8_t *dtb = slurp(DTB, &len);

	TAP_CHECK(t, dtb && ldr_arm64_dt_pl011(dtb, len) == 0x9000000,
		  "dtb: /chosen stdout-path names pl011@9000000");
	TAP_CHECK(t, ldr_arm64_dt_pl011("junk", 4) == 0, "dtb: no UART from a non-tree");
	free(dtb);
}

/*
 * --load KERNEL INITRD CMDLINE [--corrupt-digest]: on an arm64 guest, arm the capture kernel
 * with the library directly; with --corrupt-digest purgatory must refuse to boot it (its
 * PL011 message names both digests). For VM tests; prints "KD: " lines.
 */
static int load_mode(int argc, char **argv)
{
	struct ldr_arm64_kexec_plan kp;
	struct ldr_iomem *io = NULL;
	struct kd_err err;
	size_t ksize = 0, isize = 0;
	uint8_t *kernel = slurp(argv[2], &ksize), *initrd = slurp(argv[3], &isize);
	bool corrupt = argc > 5 && !strcmp(argv[5], "--corrupt-digest");
	enum kd_status st;

	if (!kernel || !initrd || ldr_iomem_parse_file("/proc/iomem", &io, &err)) {
		printf("KD: cannot read the kernel, initrd or /proc/iomem\n");
		return 1;
	}
	st = ldr_arm64_plan_from_system(io, -1, "", kernel, ksize, initrd, isize, argv[4],
					LDR_ARM64_UART_FROM_DT, NULL, 0, &kp, &err);
	if (!st && corrupt) {
		kp.digest[0] ^= 0xff;
		st = ldr_purgatory_set_symbol(kp.purgatory, PURGATORY_SYM_DIGEST, kp.digest, 32,
					      &err);
	}
	if (!st) {
		ldr_arm64_kexec_plan_print(&kp, stdout);
		st = ldr_kexec_load_segments(kp.entry, kp.seg, kp.nr_seg, LDR_KEXEC_ARCH_ARM64, &err);
		ldr_arm64_kexec_plan_deinit(&kp);
	}
	printf("KD: load %s%s\n", st ? "failed: " : "ok", st ? err.msg : "");
	ldr_iomem_destroy(io);
	free(kernel);
	free(initrd);
	return st ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct tap t = { 0 };

	if (argc >= 5 && !strcmp(argv[1], "--load"))
		return load_mode(argc, argv);

	test_relocs(&t);
	test_pl011(&t);
	test_plan(&t);
	return tap_finish(&t);
}
