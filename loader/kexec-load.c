/* kexec_load for x86_64 crash kernels: segment placement, digests, the syscall. */
#include "loader/kexec-load.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "formats/bytes.h"
#include "loader/elfcorehdr.h"
#include "loader/segments.h"
#include "purgatory/abi.h"

enum {
	PAGE = 4096,
	KEXEC_ON_CRASH = 0x1,
	KEXEC_ARCH_X86_64 = 62 << 16,
	CMDLINE_ALIGN = 16,
};

static void add_segment(struct ldr_kexec_plan *plan, const void *buf, size_t bufsz, uint64_t mem,
			uint64_t memsz, const char *what)
{
	plan->seg[plan->nr_seg++] = (struct ldr_kexec_segment){ buf, bufsz, mem, memsz, what };
}

/* Place the kernel at the bottom of @hi; returns the first free address above it. */
static enum kd_status place_kernel(const struct ldr_bzimage *bz, const struct ldr_range *hi,
				   uint64_t *addr_ret, uint64_t *memsz_ret, struct kd_err *err)
{
	uint64_t memsz = ldr_align_up(bz->init_size > bz->kernel_size ? bz->init_size : bz->kernel_size,
				  PAGE);
	uint64_t align = bz->kernel_alignment > PAGE ? bz->kernel_alignment : PAGE;
	uint64_t addr = bz->relocatable ? ldr_align_up(hi->start, align) : bz->pref_address;

	if (addr < hi->start || addr + memsz < addr || addr + memsz - 1 > hi->end)
		return kd_err_set(err, KD_ERR_NOSPC,
				  "kernel needs 0x%" PRIx64 " bytes at 0x%" PRIx64 "%s, crash range is "
				  "0x%" PRIx64 "-0x%" PRIx64, memsz, addr,
				  bz->relocatable ? "" : " (not relocatable)", hi->start, hi->end);
	*addr_ret = addr;
	*memsz_ret = memsz;
	return KD_OK;
}

/* Fill purgatory's variables and compute the digest over the other segments. */
static enum kd_status setup_purgatory(struct ldr_kexec_plan *plan, const struct ldr_kexec_input *in,
				      struct kd_err *err)
{
	uint8_t v64[8], v16[2];
	enum kd_status st;

	st = ldr_purgatory_seal(plan->purgatory, plan->seg, plan->nr_seg, plan->digest, err);
	put_le64(v64, plan->kernel_entry);
	if (!st)
		st = ldr_purgatory_set_symbol(plan->purgatory, PURGATORY_SYM_RIP, v64, 8, err);
	put_le64(v64, plan->bootparams_addr);
	if (!st)
		st = ldr_purgatory_set_symbol(plan->purgatory, PURGATORY_SYM_RSI, v64, 8, err);
	put_le16(v16, in->serial_base);
	if (!st)
		st = ldr_purgatory_set_symbol(plan->purgatory, PURGATORY_SYM_SERIAL, v16, 2, err);
	return st;
}

static enum kd_status make_cmdline(struct ldr_kexec_plan *plan, const char *base,
				   struct kd_err *err)
{
	const char *sep = base && *base ? " " : "";
	int n;

	n = asprintf(&plan->cmdline, "%s%selfcorehdr=%" PRIu64 "K", base ? base : "", sep,
		     plan->elfcorehdr_addr / 1024);
	if (n < 0) {
		plan->cmdline = NULL;
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	if (plan->bz.cmdline_size && (size_t)n > plan->bz.cmdline_size)
		return kd_err_set(err, KD_ERR_INVALID,
				  "command line of %d bytes is longer than the kernel's %u", n,
				  plan->bz.cmdline_size);
	return KD_OK;
}

static enum kd_status plan_build(const struct ldr_kexec_input *in, struct ldr_kexec_plan *plan,
				 struct kd_err *err)
{
	const struct ldr_range *hi = &in->crash[0];
	const void *pimg = in->purgatory;
	size_t pimg_size = in->purgatory_size, bp_size, cmd_off, bp_len;
	uint64_t kmemsz = 0, a = 0, initrd_addr = 0, pur_addr = 0, pur_memsz = 0, bp_addr = 0, bp_memsz, elf_memsz;
	struct ldr_placer pl;
	struct ldr_e820 hole;
	enum kd_status st;

	for (size_t i = 1; i < in->nr_crash; i++)
		if (in->crash[i].start > hi->start)
			hi = &in->crash[i];
	if ((st = ldr_bzimage_parse(in->kernel, in->kernel_size, &plan->bz, err)))
		return kd_err_prefix(err, "kernel");
	if ((st = place_kernel(&plan->bz, hi, &a, &kmemsz, err)))
		return st;
	plan->kernel_entry = a + LDR_BZ_ENTRY64_OFFSET;
	add_segment(plan, plan->bz.kernel, plan->bz.kernel_size, a, kmemsz, "kernel");
	pl = (struct ldr_placer){ a + kmemsz, hi->end + 1 };

	/* elfcorehdr first: its address goes on the command line */
	elf_memsz = ldr_align_up(in->elfcorehdr_size, PAGE);
	if (!in->elfcorehdr || !in->elfcorehdr_size)
		return kd_err_set(err, KD_ERR_INVALID, "no ELF core header");
	if ((st = ldr_place(&pl, elf_memsz, PAGE, "elfcorehdr", &plan->elfcorehdr_addr, err)))
		return st;
	add_segment(plan, in->elfcorehdr, in->elfcorehdr_size, plan->elfcorehdr_addr, elf_memsz,
		    "elfcorehdr");
	if ((st = make_cmdline(plan, in->cmdline, err)))
		return st;

	/* the capture kernel's RAM: crash ranges minus the ELF core header */
	hole = (struct ldr_e820){ plan->elfcorehdr_addr, plan->elfcorehdr_addr + elf_memsz, 0 };
	if ((st = ldr_e820_build(in->ram, in->nr_ram, in->crash, in->nr_crash, in->firmware,
				 in->nr_firmware, &hole, 1, &plan->e820, &plan->nr_e820, err)))
		return st;

	/* boot_params, its setup_data, then the command line */
	bp_size = ldr_bootparams_size(plan->nr_e820);
	cmd_off = ldr_align_up(bp_size, CMDLINE_ALIGN);
	bp_len = cmd_off + strlen(plan->cmdline) + 1;
	bp_memsz = ldr_align_up(bp_len, PAGE);
	if ((st = ldr_place(&pl, bp_memsz, PAGE, "boot_params", &bp_addr, err)))
		return st;
	plan->bootparams_addr = bp_addr;
	plan->bootparams = calloc(1, bp_len);
	if (!plan->bootparams)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	memcpy(plan->bootparams + cmd_off, plan->cmdline, bp_len - cmd_off);

	/* purgatory */
	if (!pimg)
		ldr_purgatory_builtin(&pimg, &pimg_size);
	if ((st = ldr_purgatory_place(pimg, pimg_size, &pl, PAGE, &plan->purgatory, &pur_addr,
				      &pur_memsz, &plan->entry, err)))
		return st;

	if (in->initrd && in->initrd_size) {
		if ((st = ldr_place(&pl, ldr_align_up(in->initrd_size, PAGE), PAGE, "initrd", &initrd_addr,
				err)))
			return st;
		add_segment(plan, in->initrd, in->initrd_size, initrd_addr,
			    ldr_align_up(in->initrd_size, PAGE), "initrd");
	}

	struct ldr_bootparams_input bpi = {
		.bz = &plan->bz,
		.params_addr = bp_addr,
		.cmdline_addr = bp_addr + cmd_off,
		.initrd_addr = initrd_addr,
		.initrd_size = in->initrd && in->initrd_size ? in->initrd_size : 0,
		.e820 = plan->e820,
		.nr_e820 = plan->nr_e820,
		.acpi_rsdp = in->acpi_rsdp,
	};
	if ((st = ldr_bootparams_build(&bpi, plan->bootparams, bp_size, err)))
		return st;
	add_segment(plan, plan->bootparams, bp_len, bp_addr, bp_memsz, "boot-params");

	/* purgatory last: its digest covers every other segment */
	if ((st = setup_purgatory(plan, in, err)))
		return st;
	add_segment(plan, ldr_purgatory_image(plan->purgatory),
		    ldr_purgatory_memsz(plan->purgatory), pur_addr, pur_memsz, "purgatory");
	qsort(plan->seg, plan->nr_seg, sizeof(plan->seg[0]), ldr_segment_cmp);
	return KD_OK;
}

enum kd_status ldr_kexec_plan_build(const struct ldr_kexec_input *in, struct ldr_kexec_plan *ret,
				    struct kd_err *err)
{
	struct ldr_kexec_plan plan;
	enum kd_status st;

	memset(&plan, 0, sizeof(plan));
	if (!in->nr_crash)
		return kd_err_set(err, KD_ERR_NODATA,
				  "no crash kernel memory reserved (boot with crashkernel=)");
	st = plan_build(in, &plan, err);
	if (st) {
		ldr_kexec_plan_deinit(&plan);
		return st;
	}
	*ret = plan;
	return KD_OK;
}

void ldr_kexec_plan_deinit(struct ldr_kexec_plan *plan)
{
	free(plan->cmdline);
	free(plan->e820);
	free(plan->bootparams);
	free(plan->elfcorehdr);
	ldr_purgatory_destroy(plan->purgatory);
	memset(plan, 0, sizeof(*plan));
}

enum kd_status ldr_kexec_plan_set_digest(struct ldr_kexec_plan *plan, const uint8_t digest[32],
					 struct kd_err *err)
{
	return ldr_purgatory_set_symbol(plan->purgatory, PURGATORY_SYM_DIGEST, digest, 32, err);
}

static const enum ldr_range_kind firmware_kinds[] = {
	LDR_RANGE_ACPI_TABLES, LDR_RANGE_ACPI_NVS, LDR_RANGE_RESERVED, LDR_RANGE_PMEM,
	LDR_RANGE_PMEM_LEGACY,
};

/* Every firmware range of @io in one array (malloc'd, sorted by start). */
static enum kd_status collect_firmware(const struct ldr_iomem *io, struct ldr_range **ret,
				       size_t *nr_ret, struct kd_err *err)
{
	size_t total = 0, n = 0, c;
	struct ldr_range *fw;

	for (size_t k = 0; k < sizeof(firmware_kinds) / sizeof(firmware_kinds[0]); k++) {
		ldr_iomem_ranges(io, firmware_kinds[k], &c);
		total += c;
	}
	fw = malloc((total ? total : 1) * sizeof(*fw));
	if (!fw)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	for (size_t k = 0; k < sizeof(firmware_kinds) / sizeof(firmware_kinds[0]); k++) {
		const struct ldr_range *r = ldr_iomem_ranges(io, firmware_kinds[k], &c);

		for (size_t i = 0; i < c; i++)
			fw[n++] = r[i];
	}
	*ret = fw;
	*nr_ret = n;
	return KD_OK;
}

/*
 * The ACPI RSDP of an EFI machine (ACPI20= or ACPI= in /sys/firmware/efi/systab),
 * 0 on BIOS machines: kexec_load hands over no EFI tables, so the capture
 * kernel gets the RSDP in boot_params.acpi_rsdp_addr instead.
 */
static uint64_t efi_acpi_rsdp(const char *sysroot)
{
	char path[4096], line[128];
	uint64_t acpi = 0, acpi20 = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/firmware/efi/systab", sysroot ? sysroot : "");
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "ACPI20=", 7))
			acpi20 = strtoull(line + 7, NULL, 0);
		else if (!strncmp(line, "ACPI=", 5))
			acpi = strtoull(line + 5, NULL, 0);
	}
	fclose(f);
	return acpi20 ? acpi20 : acpi;
}

enum kd_status ldr_kexec_plan_from_system(const struct ldr_iomem *io, const char *sysroot,
					  const void *kernel, size_t kernel_size,
					  const void *initrd, size_t initrd_size,
					  const char *cmdline, uint16_t serial_base,
					  struct ldr_kexec_plan *ret, struct kd_err *err)
{
	struct ldr_kexec_input in = {
		.kernel = kernel, .kernel_size = kernel_size,
		.initrd = initrd, .initrd_size = initrd_size,
		.cmdline = cmdline, .serial_base = serial_base,
		.acpi_rsdp = efi_acpi_rsdp(sysroot),
	};
	struct ldr_elfcore_sys sys;
	struct ldr_range *fw = NULL;
	uint8_t *hdr = NULL;
	size_t hdr_size;
	enum kd_status st;

	in.crash = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &in.nr_crash);
	in.ram = ldr_iomem_ranges(io, LDR_RANGE_SYSTEM_RAM, &in.nr_ram);
	if (!in.nr_crash)
		return kd_err_set(err, KD_ERR_NODATA,
				  "no crash kernel memory reserved (boot with crashkernel=)");
	st = collect_firmware(io, &fw, &in.nr_firmware, err);
	if (st)
		return st;
	in.firmware = fw;
	st = ldr_elfcore_read_system(sysroot, &sys, err);
	if (st) {
		free(fw);
		return st;
	}
	struct ldr_elfcore_input ein = {
		.cpu_notes = sys.cpu_notes, .nr_cpu_notes = sys.nr_cpu_notes,
		.vmcoreinfo = sys.vmcoreinfo, .text_vaddr = sys.text_vaddr,
		.text_paddr = sys.text_paddr, .text_size = sys.text_size,
		.ram = in.ram, .nr_ram = in.nr_ram, .crash = in.crash, .nr_crash = in.nr_crash,
		.page_offset = sys.page_offset, .low_exclude = LDR_ELFCORE_LOW_EXCLUDE,
	};
	st = ldr_elfcorehdr_build(&ein, &hdr, &hdr_size, err);
	ldr_elfcore_sys_deinit(&sys);
	if (!st) {
		in.elfcorehdr = hdr;
		in.elfcorehdr_size = hdr_size;
		st = ldr_kexec_plan_build(&in, ret, err);
	}
	free(fw);
	if (st) {
		free(hdr);
		return st;
	}
	ret->elfcorehdr = hdr;
	return KD_OK;
}

void ldr_kexec_plan_print(const struct ldr_kexec_plan *plan, FILE *out)
{
	ldr_segments_print(plan->seg, plan->nr_seg, out);
	fprintf(out, "entry (purgatory) 0x%" PRIx64 "\nkernel entry 0x%" PRIx64
		"\nboot_params 0x%" PRIx64 "\nelfcorehdr 0x%" PRIx64 "\ncmdline %s\n",
		plan->entry, plan->kernel_entry, plan->bootparams_addr, plan->elfcorehdr_addr,
		plan->cmdline);
	for (size_t i = 0; i < plan->nr_e820; i++)
		fprintf(out, "e820 0x%09" PRIx64 "-0x%09" PRIx64 " type %u\n", plan->e820[i].start,
			plan->e820[i].end - 1, plan->e820[i].type);
	fprintf(out, "sha256 ");
	for (size_t i = 0; i < sizeof(plan->digest); i++)
		fprintf(out, "%02x", plan->digest[i]);
	fprintf(out, "\n");
}

/* The syscall's segment layout (struct kexec_segment in <linux/kexec.h>). */
struct kexec_segment_abi {
	const void *buf;
	size_t bufsz;
	const void *mem;
	size_t memsz;
};

static enum kd_status kexec_load_call(uint64_t entry, size_t nr,
				      const struct kexec_segment_abi *segs, unsigned long arch,
				      struct kd_err *err)
{
	if (syscall(SYS_kexec_load, (unsigned long)entry, (unsigned long)nr, segs,
		    (unsigned long)KEXEC_ON_CRASH | arch) != 0) {
		int e = errno;

		if (e == EADDRNOTAVAIL)
			return kd_err_sys(err, e, "kexec_load: a segment is outside the crash range");
		return kd_err_sys(err, e, "kexec_load");
	}
	return KD_OK;
}

enum kd_status ldr_kexec_load_segments(uint64_t entry, const struct ldr_kexec_segment *seg,
				       size_t nr, unsigned long arch, struct kd_err *err)
{
	struct kexec_segment_abi segs[LDR_KEXEC_MAX_SEGMENTS];

	if (nr > LDR_KEXEC_MAX_SEGMENTS)
		return kd_err_set(err, KD_ERR_INVALID, "kexec_load: %zu segments", nr);
	for (size_t i = 0; i < nr; i++)
		segs[i] = (struct kexec_segment_abi){ seg[i].buf, seg[i].bufsz,
						      (const void *)(uintptr_t)seg[i].mem,
						      seg[i].memsz };
	return kexec_load_call(entry, nr, segs, arch, err);
}

enum kd_status ldr_kexec_load_crash(const struct ldr_kexec_plan *plan, struct kd_err *err)
{
	return ldr_kexec_load_segments(plan->entry, plan->seg, plan->nr_seg, KEXEC_ARCH_X86_64,
				       err);
}

enum kd_status ldr_kexec_unload_crash(struct kd_err *err)
{
	/* KEXEC_ARCH_DEFAULT (0): the running kernel's architecture */
	return kexec_load_call(0, 0, NULL, 0, err);
}
