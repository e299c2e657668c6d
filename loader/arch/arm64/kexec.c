/* kexec_load for arm64 crash kernels: segment placement, device tree, purgatory variables. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"
#include "loader/segments.h"
#include "purgatory/abi.h"

enum {
	PAGE_MIN = 4096,
	PAGE_MAX = 65536,
	DTB_MAX = 2 << 20,	/* booting.rst: at most 2 MiB, inside one 2 MiB block */
	EM_AARCH64_MACHINE = 183,
};

/* Like ldr_place(), but the block must not cross a 2 MiB boundary (the device tree). */
static enum kd_status place_in_block(struct ldr_placer *pl, uint64_t memsz, uint64_t page,
				     const char *what, uint64_t *ret, struct kd_err *err)
{
	uint64_t addr = 0, block;
	struct ldr_placer probe = *pl;
	enum kd_status st;

	if (memsz > DTB_MAX)
		return kd_err_set(err, KD_ERR_INVALID, "%s of 0x%" PRIx64 " bytes is over 2 MiB",
				  what, memsz);
	st = ldr_place(&probe, memsz, page, what, &addr, err);
	if (st)
		return st;
	block = (addr + memsz - 1) & ~(uint64_t)(DTB_MAX - 1);
	if (addr < block) {	/* crosses: end it at the boundary below */
		probe.top = block;
		st = ldr_place(&probe, memsz, page, what, &addr, err);
		if (st)
			return st;
	}
	*pl = probe;
	*ret = addr;
	return KD_OK;
}

static void add_segment(struct ldr_arm64_kexec_plan *plan, const void *buf, size_t bufsz,
			uint64_t mem, uint64_t memsz, const char *what)
{
	plan->seg[plan->nr_seg++] = (struct ldr_kexec_segment){ buf, bufsz, mem, memsz, what };
}

static const struct ldr_range *target_range(const struct ldr_arm64_kexec_input *in)
{
	const struct ldr_range *hi = &in->crash[0];

	if (in->target >= 0 && (size_t)in->target < in->nr_crash)
		return &in->crash[in->target];
	for (size_t i = 1; i < in->nr_crash; i++)
		if (in->crash[i].start > hi->start)
			hi = &in->crash[i];
	return hi;
}

/* The Image at the lowest 2 MiB-aligned base of @r; returns its load address and size. */
static enum kd_status place_kernel(const struct ldr_arm64_image *img, const struct ldr_range *r,
				   uint64_t page, uint64_t *addr_ret, uint64_t *memsz_ret,
				   struct kd_err *err)
{
	uint64_t base = ldr_align_up(r->start, LDR_ARM64_IMAGE_ALIGN);
	uint64_t addr = base + img->text_offset, memsz = ldr_align_up(img->image_size, page);

	if (base < r->start || addr + memsz < addr || addr + memsz - 1 > r->end)
		return kd_err_set(err, KD_ERR_NOSPC,
				  "kernel needs 0x%" PRIx64 " bytes at 0x%" PRIx64 ", crash range is "
				  "0x%" PRIx64 "-0x%" PRIx64, memsz, addr, r->start, r->end);
	*addr_ret = addr;
	*memsz_ret = memsz;
	return KD_OK;
}

/* Fill purgatory's variables and compute the digest over the other segments. */
static enum kd_status setup_purgatory(struct ldr_arm64_kexec_plan *plan, uint64_t uart,
				      struct kd_err *err)
{
	uint8_t v64[8];
	enum kd_status st;

	st = ldr_purgatory_seal(plan->purgatory, plan->seg, plan->nr_seg, plan->digest, err);
	put_le64(v64, plan->kernel_entry);
	if (!st)
		st = ldr_purgatory_set_symbol(plan->purgatory, PURGATORY_SYM_ARM64_ENTRY, v64, 8,
					      err);
	put_le64(v64, plan->dtb_addr);
	if (!st)
		st = ldr_purgatory_set_symbol(plan->purgatory, PURGATORY_SYM_ARM64_DTB, v64, 8, err);
	put_le64(v64, uart);
	if (!st)
		st = ldr_purgatory_set_symbol(plan->purgatory, PURGATORY_SYM_ARM64_UART, v64, 8,
					      err);
	return st;
}

static int range_cmp_desc(const void *a, const void *b)
{
	const struct ldr_range *x = a, *y = b;

	return x->start < y->start ? 1 : x->start > y->start ? -1 : 0;
}

static enum kd_status build_dtb(struct ldr_arm64_kexec_plan *plan,
				const struct ldr_arm64_kexec_input *in, struct kd_err *err)
{
	struct ldr_arm64_chosen c = {
		.elfcorehdr_start = plan->elfcorehdr_addr,
		.elfcorehdr_size = plan->elfcorehdr_size,
		.crash = in->crash,
		.nr_crash = in->nr_crash,
		.bootargs = in->cmdline ? in->cmdline : "",
		.set_kaslr_seed = in->set_kaslr_seed,
		.kaslr_seed = in->kaslr_seed,
		.rng_seed = in->rng_seed,
		.rng_seed_len = in->rng_seed ? in->rng_seed_size : 0,
		.set_initrd = in->initrd && in->initrd_size,
		.initrd_start = plan->initrd_addr,
		.initrd_end = plan->initrd_addr + in->initrd_size,
	};
	enum kd_status st;

	if (!in->fdt || !in->fdt_size)
		return kd_err_set(err, KD_ERR_INVALID, "no device tree to start from");
	st = ldr_arm64_dt_edit(in->fdt, in->fdt_size, &c, &plan->dtb, &plan->dtb_size, err);
	if (st)
		return kd_err_prefix(err, "capture device tree");
	/* what the DT says, in its order (ldr_arm64_dt_edit writes the highest first) */
	plan->nr_usable = in->nr_crash < LDR_KEXEC_MAX_SEGMENTS ? in->nr_crash
								 : LDR_KEXEC_MAX_SEGMENTS;
	memcpy(plan->usable, in->crash, plan->nr_usable * sizeof(plan->usable[0]));
	qsort(plan->usable, plan->nr_usable, sizeof(plan->usable[0]), range_cmp_desc);
	return KD_OK;
}

static enum kd_status plan_build(const struct ldr_arm64_kexec_input *in,
				 struct ldr_arm64_kexec_plan *plan, struct kd_err *err)
{
	const struct ldr_range *r = target_range(in);
	const void *pimg = in->purgatory;
	size_t pimg_size = in->purgatory_size;
	uint64_t kaddr = 0, kmemsz = 0, pur_addr = 0, memsz;
	uint64_t page = in->page_size ? in->page_size : PAGE_MIN;
	struct ldr_placer pl;
	enum kd_status st;

	if (page < PAGE_MIN || page > PAGE_MAX || (page & (page - 1)))
		return kd_err_set(err, KD_ERR_INVALID, "page size %" PRIu64 " (4, 16 or 64 KiB)",
				  page);

	if ((st = ldr_arm64_image_parse(in->kernel, in->kernel_size, &plan->img, err)))
		return kd_err_prefix(err, "kernel");
	if ((st = place_kernel(&plan->img, r, page, &kaddr, &kmemsz, err)))
		return st;
	plan->kernel_entry = kaddr;
	add_segment(plan, in->kernel, in->kernel_size, kaddr, kmemsz, "kernel");
	pl = (struct ldr_placer){ kaddr + kmemsz, r->end + 1 };

	if (!in->elfcorehdr || !in->elfcorehdr_size)
		return kd_err_set(err, KD_ERR_INVALID, "no ELF core header");
	memsz = ldr_align_up(in->elfcorehdr_size, page);
	if ((st = ldr_place(&pl, memsz, page, "elfcorehdr", &plan->elfcorehdr_addr, err)))
		return st;
	plan->elfcorehdr_size = memsz;
	add_segment(plan, in->elfcorehdr, in->elfcorehdr_size, plan->elfcorehdr_addr, memsz,
		    "elfcorehdr");

	if (in->initrd && in->initrd_size) {
		memsz = ldr_align_up(in->initrd_size, page);
		if ((st = ldr_place(&pl, memsz, page, "initrd", &plan->initrd_addr, err)))
			return st;
		add_segment(plan, in->initrd, in->initrd_size, plan->initrd_addr, memsz, "initrd");
	}

	if ((st = build_dtb(plan, in, err)))
		return st;
	memsz = ldr_align_up(plan->dtb_size, page);
	if ((st = place_in_block(&pl, memsz, page, "device tree", &plan->dtb_addr, err)))
		return st;
	add_segment(plan, plan->dtb, plan->dtb_size, plan->dtb_addr, memsz, "dtb");

	if (!pimg)
		ldr_purgatory_builtin(&pimg, &pimg_size);
	if (pimg_size < 20 || get_le16((const uint8_t *)pimg + 18) != EM_AARCH64_MACHINE)
		return kd_err_set(err, KD_ERR_INVALID,
				  "the purgatory is not an arm64 object (a kdump-load built for "
				  "another architecture needs --purgatory=FILE)");
	if ((st = ldr_purgatory_place(pimg, pimg_size, &pl, page, &plan->purgatory, &pur_addr,
				      &memsz, &plan->entry, err)))
		return st;
	/* purgatory last: its digest covers every other segment */
	if ((st = setup_purgatory(plan, in->uart_base, err)))
		return st;
	add_segment(plan, ldr_purgatory_image(plan->purgatory),
		    ldr_purgatory_memsz(plan->purgatory), pur_addr, memsz, "purgatory");
	qsort(plan->seg, plan->nr_seg, sizeof(plan->seg[0]), ldr_segment_cmp);
	return KD_OK;
}

enum kd_status ldr_arm64_kexec_plan_build(const struct ldr_arm64_kexec_input *in,
					  struct ldr_arm64_kexec_plan *ret, struct kd_err *err)
{
	struct ldr_arm64_kexec_plan plan;
	enum kd_status st;

	memset(&plan, 0, sizeof(plan));
	if (!in->nr_crash)
		return kd_err_set(err, KD_ERR_NODATA,
				  "no crash kernel memory reserved (boot with crashkernel=)");
	st = plan_build(in, &plan, err);
	if (st) {
		ldr_arm64_kexec_plan_deinit(&plan);
		return st;
	}
	*ret = plan;
	return KD_OK;
}

void ldr_arm64_kexec_plan_deinit(struct ldr_arm64_kexec_plan *plan)
{
	free(plan->dtb);
	free(plan->elfcorehdr);
	ldr_purgatory_destroy(plan->purgatory);
	memset(plan, 0, sizeof(*plan));
}

void ldr_arm64_kexec_plan_print(const struct ldr_arm64_kexec_plan *plan, FILE *out)
{
	ldr_segments_print(plan->seg, plan->nr_seg, out);
	fprintf(out, "entry (purgatory) 0x%" PRIx64 "\nkernel entry 0x%" PRIx64
		" (text_offset 0x%" PRIx64 ", image_size 0x%" PRIx64 ")\ndtb 0x%" PRIx64
		"\nelfcorehdr 0x%" PRIx64 " (0x%" PRIx64 " bytes)\n", plan->entry,
		plan->kernel_entry, plan->img.text_offset, plan->img.image_size, plan->dtb_addr,
		plan->elfcorehdr_addr, plan->elfcorehdr_size);
	for (size_t i = 0; i < plan->nr_usable; i++)
		fprintf(out, "usable-memory-range 0x%09" PRIx64 "-0x%09" PRIx64 "\n",
			plan->usable[i].start, plan->usable[i].end);
	fprintf(out, "sha256 ");
	for (size_t i = 0; i < sizeof(plan->digest); i++)
		fprintf(out, "%02x", plan->digest[i]);
	fprintf(out, "\n");
}
