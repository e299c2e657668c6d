/*
 * kexec_load segment placement (x86_64): a single 256 MiB crash range and a
 * split low/high pair. With arguments it is also the VM test's driver:
 *   test-kexec-load --load KERNEL INITRD CMDLINE [--corrupt-digest] [--serial PORT]
 * reads /proc/iomem and sysfs, loads the crash kernel with kexec_load and
 * prints the segment plan.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/bytes.h"
#include "loader/elfcorehdr.h"
#include "loader/kexec-load.h"
#include "loader/sha256.h"
#include "purgatory/abi.h"
#include "tests/unit/tap.h"

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			uint8_t *b = realloc(buf, cap = cap ? cap * 2 : 1 << 20);

			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	*size = n;
	return buf;
}

static void print_plan(const struct ldr_kexec_plan *plan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	ldr_kexec_plan_print(plan, f);
	fclose(f);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		printf("# %s\n", line);
	free(text);
}

/* ------------------------------------------------------------------ */
/* Driver mode, for tests/integration/31-kexec-load-vm.sh */

static int drive(int argc, char **argv)
{
	const char *kpath = argv[2], *ipath = argv[3], *cmdline = argv[4];
	struct ldr_kexec_plan plan;
	struct ldr_iomem *io;
	struct kd_err err;
	uint8_t *kernel, *initrd;
	size_t ksize = 0, isize = 0;
	uint16_t serial = 0;
	int corrupt = 0;

	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--corrupt-digest"))
			corrupt = 1;
		else if (!strcmp(argv[i], "--serial") && i + 1 < argc)
			serial = (uint16_t)strtoul(argv[++i], NULL, 0);
	}
	kernel = slurp(kpath, &ksize);
	initrd = slurp(ipath, &isize);
	if (!kernel || !initrd) {
		fprintf(stderr, "cannot read %s or %s\n", kpath, ipath);
		return 1;
	}
	if (ldr_iomem_parse_file("/proc/iomem", &io, &err) ||
	    ldr_kexec_plan_from_system(io, "/", kernel, ksize, initrd, isize, cmdline, serial,
				       &plan, &err)) {
		fprintf(stderr, "test-kexec-load: %s\n", err.msg);
		return 1;
	}
	printf("# %zu program headers in the ELF core header\n",
	       (size_t)get_le16(plan.elfcorehdr + 56));
	print_plan(&plan);
	if (corrupt) {
		uint8_t bad[32];

		memcpy(bad, plan.digest, 32);
		bad[0] ^= 0xff;
		if (ldr_kexec_plan_set_digest(&plan, bad, &err)) {
			fprintf(stderr, "digest: %s\n", err.msg);
			return 1;
		}
		printf("# digest corrupted on purpose\n");
	}
	if (ldr_kexec_load_crash(&plan, &err)) {
		fprintf(stderr, "load: %s\n", err.msg);
		return 1;
	}
	printf("loaded\n");
	ldr_kexec_plan_deinit(&plan);
	ldr_iomem_destroy(io);
	free(kernel);
	free(initrd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Unit tests */

/* A bzImage-shaped buffer: 2.15 header, init_size like Debian 6.1's. */
static uint8_t *fake_bzimage(size_t size)
{
	uint8_t *img = calloc(1, size);

	if (!img)
		return NULL;
	img[0x1f1] = 3;
	put_le32(img + 0x1f4, (uint32_t)((size - 4 * 512) / 16));
	put_le16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;
	memcpy(img + 0x202, "HdrS", 4);
	put_le16(img + 0x206, 0x020f);
	put_le32(img + 0x22c, 0x7fffffff);
	put_le32(img + 0x230, 0x200000);
	img[0x234] = 1;
	put_le16(img + 0x236, 0x7f);
	put_le32(img + 0x238, 2047);
	put_le64(img + 0x258, 0x1000000);
	put_le32(img + 0x260, 0x3378000);
	for (size_t i = 4 * 512; i < size; i++)
		img[i] = (uint8_t)(i * 7);
	return img;
}

static int overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

static const struct ldr_kexec_segment *find_seg(const struct ldr_kexec_plan *p, const char *what)
{
	for (size_t i = 0; i < p->nr_seg; i++)
		if (!strcmp(p->seg[i].what, what))
			return &p->seg[i];
	return NULL;
}

static void check_plan(struct tap *t, const char *name, const struct ldr_kexec_input *in,
		       const struct ldr_kexec_plan *p, const struct ldr_range *hi)
{
	const struct ldr_kexec_segment *k = find_seg(p, "kernel"), *bp = find_seg(p, "boot-params"),
				       *eh = find_seg(p, "elfcorehdr"), *rd = find_seg(p, "initrd"),
				       *pg = find_seg(p, "purgatory");
	int ok = 1;
	char want[64];

	TAP_CHECK(t, k && bp && eh && rd && pg && p->nr_seg == 5, "%s: five segments", name);
	if (!(k && bp && eh && rd && pg))
		return;
	for (size_t i = 0; i < p->nr_seg; i++) {
		const struct ldr_kexec_segment *s = &p->seg[i];

		ok &= s->mem % 4096 == 0 && s->memsz % 4096 == 0 && s->bufsz <= s->memsz;
		ok &= s->mem >= hi->start && s->mem + s->memsz - 1 <= hi->end;
		for (size_t j = 0; j < i; j++)
			ok &= !overlaps(s->mem, s->mem + s->memsz, p->seg[j].mem,
					p->seg[j].mem + p->seg[j].memsz);
	}
	TAP_CHECK(t, ok, "%s: page-aligned, disjoint, all inside the highest crash range", name);
	TAP_CHECK(t, k->mem % 0x200000 == 0 && k->mem < hi->start + 0x200000 &&
		     k->memsz >= 0x3378000, "%s: kernel at the bottom, 2 MiB aligned, init_size "
		     "bytes (0x%llx)", name, (unsigned long long)k->mem);
	TAP_CHECK(t, p->kernel_entry == k->mem + 0x200, "%s: 64-bit entry at +0x200", name);
	snprintf(want, sizeof(want), " elfcorehdr=%lluK", (unsigned long long)eh->mem / 1024);
	TAP_CHECK(t, strlen(p->cmdline) > strlen(want) &&
		     !strcmp(p->cmdline + strlen(p->cmdline) - strlen(want), want) &&
		     !strncmp(p->cmdline, in->cmdline, strlen(in->cmdline)),
		  "%s: cmdline '%s'", name, p->cmdline);

	/* boot_params fields */
	const uint8_t *z = bp->buf;
	uint64_t cmd = get_le32(z + 0x228) | (uint64_t)get_le32(z + 0xc8) << 32;
	uint64_t rdi = get_le32(z + 0x218) | (uint64_t)get_le32(z + 0xc0) << 32;
	uint64_t rds = get_le32(z + 0x21c) | (uint64_t)get_le32(z + 0xc4) << 32;
	TAP_CHECK(t, z[0x210] == 0xff && !memcmp(z + 0x202, "HdrS", 4) && z[0x1e8] == p->nr_e820,
		  "%s: zero page has the setup header, loader 0xff, %u e820 entries", name, z[0x1e8]);
	TAP_CHECK(t, cmd >= bp->mem && cmd < bp->mem + bp->bufsz &&
		     !strcmp((const char *)bp->buf + (cmd - bp->mem), p->cmdline),
		  "%s: cmd_line_ptr 0x%llx points at the command line", name,
		  (unsigned long long)cmd);
	TAP_CHECK(t, rdi == rd->mem && rds == in->initrd_size, "%s: ramdisk 0x%llx+0x%llx", name,
		  (unsigned long long)rdi, (unsigned long long)rds);

	/* e820: every crash range is RAM except the elfcorehdr; no overlap; sorted */
	uint64_t ram_in_crash = 0, crash_total = 0;
	int e820_ok = 1, eh_hidden = 1;
	for (size_t i = 0; i < p->nr_e820; i++) {
		const struct ldr_e820 *e = &p->e820[i];

		e820_ok &= e->start < e->end && (i == 0 || p->e820[i - 1].end <= e->start);
		e820_ok &= get_le64(z + 0x2d0 + i * 20) == e->start &&
			   get_le64(z + 0x2d0 + i * 20 + 8) == e->end - e->start &&
			   get_le32(z + 0x2d0 + i * 20 + 16) == e->type;
		if (overlaps(e->start, e->end, eh->mem, eh->mem + eh->memsz))
			eh_hidden = 0;
		for (size_t c = 0; c < in->nr_crash; c++)
			if (e->type == LDR_E820_RAM && e->start >= in->crash[c].start &&
			    e->end <= in->crash[c].end + 1)
				ram_in_crash += e->end - e->start;
	}
	for (size_t c = 0; c < in->nr_crash; c++)
		crash_total += in->crash[c].end - in->crash[c].start + 1;
	TAP_CHECK(t, e820_ok, "%s: e820 sorted, disjoint, same in the zero page", name);
	TAP_CHECK(t, eh_hidden && ram_in_crash == crash_total - eh->memsz,
		  "%s: crash ranges are RAM except the elfcorehdr", name);
	TAP_CHECK(t, p->e820[0].start == 0x1000 && p->e820[0].end == 0x9fc00 &&
		     p->e820[0].type == LDR_E820_RAM, "%s: low memory RAM 0x1000-0x9fbff", name);

	/* purgatory: registers and digest over the other segments */
	uint8_t got[PURGATORY_SHA256_REGIONS * 16], dg[32], v[8];
	struct ldr_sha256 s;
	struct kd_err err;
	int regions_ok = 1;
	size_t nr = 0;

	ldr_purgatory_get_symbol(p->purgatory, PURGATORY_SYM_REGIONS, got, sizeof(got), &err);
	ldr_sha256_init(&s);
	for (size_t i = 0; i < PURGATORY_SHA256_REGIONS; i++) {
		uint64_t start = get_le64(got + 16 * i), len = get_le64(got + 16 * i + 8);
		const struct ldr_kexec_segment *seg = NULL;

		if (!len)
			continue;
		nr++;
		for (size_t j = 0; j < p->nr_seg; j++)
			if (p->seg[j].mem == start)
				seg = &p->seg[j];
		regions_ok &= seg && seg != pg && seg->bufsz == len;
		if (seg)
			ldr_sha256_update(&s, seg->buf, len);
	}
	ldr_sha256_final(&s, dg);
	TAP_CHECK(t, regions_ok && nr == 4, "%s: sha256_regions list the 4 other segments", name);
	TAP_CHECK(t, !memcmp(dg, p->digest, 32), "%s: digest matches the regions", name);
	ldr_purgatory_get_symbol(p->purgatory, PURGATORY_SYM_DIGEST, dg, 32, &err);
	TAP_CHECK(t, !memcmp(dg, p->digest, 32), "%s: purgatory holds the digest", name);
	ldr_purgatory_get_symbol(p->purgatory, PURGATORY_SYM_RIP, v, 8, &err);
	TAP_CHECK(t, get_le64(v) == p->kernel_entry, "%s: entry64_rip", name);
	ldr_purgatory_get_symbol(p->purgatory, PURGATORY_SYM_RSI, v, 8, &err);
	TAP_CHECK(t, get_le64(v) == bp->mem, "%s: entry64_rsi = boot_params", name);
	TAP_CHECK(t, p->entry >= pg->mem && p->entry < pg->mem + pg->bufsz,
		  "%s: syscall entry inside purgatory", name);
}

static const struct ldr_range ram_1g[] = {
	{ 0x1000, 0x9fbff, LDR_RANGE_SYSTEM_RAM, 0, 0 },
	{ 0x100000, 0x3ffdffff, LDR_RANGE_SYSTEM_RAM, 0, 0 },
};
static const struct ldr_range fw_1g[] = {
	{ 0x9fc00, 0x9ffff, LDR_RANGE_RESERVED, 0, 0 },
	{ 0xf0000, 0xfffff, LDR_RANGE_RESERVED, 0, 0 },
	{ 0x3ffe0000, 0x3fffffff, LDR_RANGE_RESERVED, 0, 0 },
	{ 0xfeffc000, 0xfeffffff, LDR_RANGE_RESERVED, 0, 0 },
	{ 0xfffc0000, 0xffffffff, LDR_RANGE_RESERVED, 0, 0 },
	{ 0x3ffe1000, 0x3ffe1fff, LDR_RANGE_ACPI_TABLES, 0, 0 },	/* nested in reserved */
};

static void run_case(struct tap *t, const char *name, struct ldr_kexec_input *in,
		     const struct ldr_range *hi)
{
	struct ldr_kexec_plan plan;
	struct kd_err err;
	enum kd_status st = ldr_kexec_plan_build(in, &plan, &err);

	TAP_CHECK(t, st == KD_OK, "%s: plan builds (%s)", name, st ? err.msg : "");
	if (st)
		return;
	print_plan(&plan);
	check_plan(t, name, in, &plan, hi);
	ldr_kexec_plan_deinit(&plan);
}

/* ------------------------------------------------------------------ */
/* ldr_kexec_plan_from_system on a fixture root: iomem text, sysfs, kcore, EFI systab */

static void put_file(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static const char fixture_iomem[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"0009fc00-0009ffff : Reserved\n"
	"000f0000-000fffff : Reserved\n"
	"00100000-3ffdffff : System RAM\n"
	"  2e000000-3dffffff : Crash kernel\n"
	"  32c00000-33a01fff : Kernel code\n"
	"3ffe0000-3fffffff : Reserved\n"
	"3ffe1000-3ffe1fff : ACPI Tables\n"
	"fffc0000-ffffffff : Reserved\n";

static void from_system(struct tap *t, const uint8_t *kernel, size_t ksize, const uint8_t *rd,
			size_t rdsize)
{
	char dir[] = "/tmp/kd-kexec-load-XXXXXX", cmd[600];
	uint8_t kcore[64 + 2 * 56] = { 0 }, *ph = kcore + 64;
	static const char systab[] = "SMBIOS=0x3f6a5000\nACPI20=0x3f77e014\nACPI=0x3f77e000\n";
	struct ldr_kexec_plan plan;
	struct ldr_iomem *io = NULL;
	struct kd_err err;
	enum kd_status st;

	if (!mkdtemp(dir))
		return;
	put_file(dir, "sys/devices/system/cpu/possible", "0-1\n", 4);
	put_file(dir, "sys/devices/system/cpu/cpu0/crash_notes", "3fc1a000\n", 9);
	put_file(dir, "sys/devices/system/cpu/cpu0/crash_notes_size", "424\n", 4);
	put_file(dir, "sys/devices/system/cpu/cpu1/crash_notes", "3fc3a000\n", 9);
	put_file(dir, "sys/devices/system/cpu/cpu1/crash_notes_size", "424\n", 4);
	put_file(dir, "sys/kernel/vmcoreinfo", "11ea000 1024\n", 13);
	put_file(dir, "sys/firmware/efi/systab", systab, strlen(systab));
	memcpy(kcore, "\177ELF\2\1\1", 7);
	put_le16(kcore + 16, 4);
	put_le64(kcore + 32, 64);
	put_le16(kcore + 54, 56);
	put_le16(kcore + 56, 2);
	put_le32(ph, 1);
	put_le64(ph + 16, 0xffffffff8e400000ull);
	put_le64(ph + 24, 0x32c00000);
	put_le64(ph + 40, 0x2a00000);
	ph += 56;
	put_le32(ph, 1);
	put_le64(ph + 16, 0xffff8e4680100000ull);
	put_le64(ph + 24, 0x100000);
	put_le64(ph + 40, 0x3fee0000);
	put_file(dir, "proc/kcore", kcore, sizeof(kcore));

	st = ldr_iomem_parse_buf("fixture", fixture_iomem, sizeof(fixture_iomem) - 1, &io, &err);
	if (!st)
		st = ldr_kexec_plan_from_system(io, dir, kernel, ksize, rd, rdsize, "console=ttyS0",
						0x3f8, &plan, &err);
	TAP_CHECK(t, st == KD_OK, "plan from a fixture system (%s)", st ? err.msg : "");
	if (!st) {
		const struct ldr_kexec_segment *bp = find_seg(&plan, "boot-params");
		const uint8_t *eh = plan.elfcorehdr;

		TAP_CHECK(t, get_le64((const uint8_t *)bp->buf + 0x70) == 0x3f77e014,
			  "EFI ACPI20 RSDP in boot_params.acpi_rsdp_addr");
		/* 2 CPU notes + VMCOREINFO + text + RAM 1M-0x2e000000 and 0x3e000000-0x3ffdffff */
		TAP_CHECK(t, eh && get_le16(eh + 56) == 6, "ELF core header has 6 program headers");
		TAP_CHECK(t, eh && get_le64(eh + 64 + 3 * 56 + 16) == 0xffffffff8e400000ull &&
			      get_le64(eh + 64 + 4 * 56 + 16) == 0xffff8e4680100000ull,
			  "text and direct-map vaddrs from kcore");
		ldr_kexec_plan_deinit(&plan);
	}
	ldr_iomem_destroy(io);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
}

int main(int argc, char **argv)
{
	struct tap t = { 0 };
	size_t ksize = 7 * MiB, rdsize = 3 * MiB + 123;
	uint8_t *kernel = fake_bzimage(ksize), *rd = malloc(rdsize), hdr[2048];
	struct kd_err err;

	if (argc >= 5 && !strcmp(argv[1], "--load"))
		return drive(argc, argv);
	if (!kernel || !rd)
		return 2;
	memset(rd, 0x5a, rdsize);
	memset(hdr, 0x11, sizeof(hdr));

	/* crashkernel=256M on a 1 GiB guest */
	struct ldr_range single[] = { { 0x2e000000, 0x3dffffff, LDR_RANGE_CRASH, 0, 0 } };
	struct ldr_kexec_input in = {
		.kernel = kernel, .kernel_size = ksize, .initrd = rd, .initrd_size = rdsize,
		.cmdline = "console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1",
		.crash = single, .nr_crash = 1, .ram = ram_1g, .nr_ram = 2,
		.firmware = fw_1g, .nr_firmware = 6, .elfcorehdr = hdr,
		.elfcorehdr_size = sizeof(hdr), .serial_base = 0x3f8,
	};
	run_case(&t, "single 256M", &in, &single[0]);

	/* crashkernel=256M,high crashkernel=128M,low on a 6 GiB guest */
	struct ldr_range split[] = {
		{ 0x2a000000, 0x31ffffff, LDR_RANGE_CRASH, 0, 0 },
		{ 0x170000000, 0x17fffffff, LDR_RANGE_CRASH, 0, 0 },
	};
	in.crash = split;
	in.nr_crash = 2;
	run_case(&t, "split low/high", &in, &split[1]);
	{
		struct ldr_kexec_plan plan;

		if (ldr_kexec_plan_build(&in, &plan, &err) == KD_OK) {
			const struct ldr_kexec_segment *bp = find_seg(&plan, "boot-params");
			const uint8_t *z = bp->buf;
			int low_ram = 0;

			TAP_CHECK(&t, get_le32(z + 0xc0) == 1 && get_le32(z + 0xc8) == 1,
				  "split: ext_ramdisk_image/ext_cmd_line_ptr hold the high bits");
			for (size_t i = 0; i < plan.nr_e820; i++)
				low_ram |= plan.e820[i].start == split[0].start &&
					   plan.e820[i].end == split[0].end + 1 &&
					   plan.e820[i].type == LDR_E820_RAM;
			TAP_CHECK(&t, low_ram, "split: the low range is RAM for the capture kernel");
			ldr_kexec_plan_deinit(&plan);
		}
	}

	/* too small: 32 MiB cannot hold init_size */
	struct ldr_range tiny[] = { { 0x3c000000, 0x3dffffff, LDR_RANGE_CRASH, 0, 0 } };
	struct ldr_kexec_plan plan;
	in.crash = tiny;
	in.nr_crash = 1;
	enum kd_status st = ldr_kexec_plan_build(&in, &plan, &err);
	TAP_CHECK(&t, st == KD_ERR_NOSPC, "32M range: %s", err.msg);
	/* 64 MiB: the kernel fits, the initrd does not */
	struct ldr_range small[] = { { 0x3c000000, 0x3fffffff, LDR_RANGE_CRASH, 0, 0 } };
	uint8_t *bigrd = calloc(1, 16 * MiB);
	in.crash = small;
	in.initrd = bigrd;
	in.initrd_size = 16 * MiB;
	st = ldr_kexec_plan_build(&in, &plan, &err);
	TAP_CHECK(&t, st == KD_ERR_NOSPC && strstr(err.msg, "initrd"), "64M range, 16M initrd: %s",
		  err.msg);
	in.nr_crash = 0;
	st = ldr_kexec_plan_build(&in, &plan, &err);
	TAP_CHECK(&t, st == KD_ERR_NODATA, "no crash range: %s", err.msg);
	free(bigrd);

	/* more than 128 e820 entries: the rest go in a SETUP_E820_EXT setup_data */
	struct ldr_range many[200];
	for (size_t i = 0; i < 200; i++)
		many[i] = (struct ldr_range){ 0x100000000ull + i * 0x10000,
					      0x100000000ull + i * 0x10000 + 0xfff,
					      LDR_RANGE_RESERVED, 0, 0 };
	in = (struct ldr_kexec_input){
		.kernel = kernel, .kernel_size = ksize, .initrd = rd, .initrd_size = rdsize,
		.cmdline = "console=ttyS0", .crash = single, .nr_crash = 1, .ram = ram_1g,
		.nr_ram = 2, .firmware = many, .nr_firmware = 200, .elfcorehdr = hdr,
		.elfcorehdr_size = sizeof(hdr),
	};
	st = ldr_kexec_plan_build(&in, &plan, &err);
	TAP_CHECK(&t, st == KD_OK, "200 reserved ranges: plan builds (%s)", st ? err.msg : "");
	if (st == KD_OK) {
		const struct ldr_kexec_segment *bp = find_seg(&plan, "boot-params");
		const uint8_t *z = bp->buf;
		uint64_t sd = get_le64(z + 0x250);
		const uint8_t *ext = z + (sd - bp->mem);

		TAP_CHECK(&t, z[0x1e8] == 128 && sd == bp->mem + 4096 && get_le32(ext + 8) == 1 &&
			      get_le32(ext + 12) == (plan.nr_e820 - 128) * 20 &&
			      get_le64(ext + 16) == plan.e820[128].start,
			  "%zu entries: 128 in the zero page, the rest in SETUP_E820_EXT",
			  plan.nr_e820);
		ldr_kexec_plan_deinit(&plan);
	}
	from_system(&t, kernel, ksize, rd, rdsize);
	free(kernel);
	free(rd);
	return tap_finish(&t);
}
