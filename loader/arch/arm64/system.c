/* arm64 kexec_load from the running system: kcore layout, notes, device tree, seeds. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "loader/arch/arm64/arm64.h"
#include "loader/elfcorehdr.h"

enum {
	KCORE_HEAD = 64 * 1024,	/* ELF header, program headers and notes of /proc/kcore */
	FDT_FILE_MAX = 8 << 20,
};

/* The first KCORE_HEAD bytes of @root/proc/kcore (fewer if it is shorter). */
static enum kd_status read_kcore_head(const char *root, uint8_t **ret, size_t *len_ret,
				      struct kd_err *err)
{
	char *path = ldr_sysroot_path(root, "proc/kcore");
	uint8_t *buf = malloc(KCORE_HEAD);
	size_t len = 0;
	enum kd_status st = KD_OK;
	int fd = -1;

	if (!path || !buf) {
		st = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		st = kd_err_sys(err, errno, "cannot open '%s' (the kernel layout comes from it)",
				path);
		goto out;
	}
	while (len < KCORE_HEAD) {
		ssize_t n = pread(fd, buf + len, KCORE_HEAD - len, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = kd_err_sys(err, errno, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = buf;
	*len_ret = len;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
	return st;
}

/* Fresh seeds for the capture kernel; without entropy it just goes without them. */
static void fresh_seeds(struct ldr_arm64_kexec_input *in, uint8_t *rng, size_t rng_len)
{
	uint8_t k[8];

	if (getrandom(k, sizeof(k), GRND_NONBLOCK) == (ssize_t)sizeof(k)) {
		memcpy(&in->kaslr_seed, k, sizeof(k));
		in->set_kaslr_seed = in->kaslr_seed != 0;
	}
	if (getrandom(rng, rng_len, GRND_NONBLOCK) == (ssize_t)rng_len) {
		in->rng_seed = rng;
		in->rng_seed_size = rng_len;
	}
}

static enum kd_status build_elfcorehdr(const struct ldr_iomem *io, const char *root,
				       uint8_t **hdr_ret, size_t *size_ret, struct kd_err *err)
{
	struct ldr_elfcore_sys sys;
	struct ldr_arm64_layout lay;
	uint8_t *kc = NULL;
	size_t kc_len = 0;
	enum kd_status st;

	st = read_kcore_head(root, &kc, &kc_len, err);
	if (st)
		return st;
	st = ldr_arm64_layout_from_kcore(kc, kc_len, &lay, err);
	free(kc);
	if (st)
		return st;
	st = ldr_elfcore_read_notes(root, &sys, err);
	if (st)
		return st;
	struct ldr_elfcore_input ein = {
		.cpu_notes = sys.cpu_notes, .nr_cpu_notes = sys.nr_cpu_notes,
		.vmcoreinfo = sys.vmcoreinfo,
		.text_vaddr = lay.text_vaddr, .text_paddr = lay.text_paddr,
		.text_size = lay.text_size,
		.page_offset = lay.linear_offset, .low_exclude = 0, .machine = EM_AARCH64,
	};
	ein.ram = ldr_iomem_ranges(io, LDR_RANGE_SYSTEM_RAM, &ein.nr_ram);
	ein.crash = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &ein.nr_crash);
	st = ldr_elfcorehdr_build(&ein, hdr_ret, size_ret, err);
	ldr_elfcore_sys_deinit(&sys);
	return st;
}

enum kd_status ldr_arm64_plan_from_system(const struct ldr_iomem *io, long target,
					  const char *sysroot, const void *kernel,
					  size_t kernel_size, const void *initrd,
					  size_t initrd_size, const char *cmdline,
					  uint64_t uart_base, const void *purgatory,
					  size_t purgatory_size, struct ldr_arm64_kexec_plan *ret,
					  struct kd_err *err)
{
	struct ldr_arm64_kexec_input in = {
		.kernel = kernel, .kernel_size = kernel_size,
		.initrd = initrd, .initrd_size = initrd_size,
		.cmdline = cmdline, .target = target, .uart_base = uart_base,
		.purgatory = purgatory, .purgatory_size = purgatory_size,
		.page_size = (uint64_t)sysconf(_SC_PAGESIZE),
	};
	uint8_t rng[LDR_ARM64_RNG_SEED_SIZE];
	const char *root = sysroot && strcmp(sysroot, "/") ? sysroot : "";
	char *fdt = NULL, *path;
	uint8_t *hdr = NULL;
	size_t hdr_size = 0, fdt_size = 0;
	enum kd_status st;

	in.crash = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &in.nr_crash);
	if (!in.nr_crash)
		return kd_err_set(err, KD_ERR_NODATA,
				  "no crash kernel memory reserved (boot with crashkernel=)");
	path = ldr_sysroot_path(root, "sys/firmware/fdt");
	if (!path)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	st = ldr_read_text_file(path, FDT_FILE_MAX, &fdt, &fdt_size, err);
	free(path);
	if (st)
		return kd_err_prefix(err, "the running kernel's device tree");
	st = build_elfcorehdr(io, root, &hdr, &hdr_size, err);
	if (st)
		goto out;
	in.fdt = fdt;
	in.fdt_size = fdt_size;
	if (uart_base == LDR_ARM64_UART_FROM_DT)
		in.uart_base = ldr_arm64_dt_pl011(fdt, fdt_size);
	in.elfcorehdr = hdr;
	in.elfcorehdr_size = hdr_size;
	fresh_seeds(&in, rng, sizeof(rng));
	st = ldr_arm64_kexec_plan_build(&in, ret, err);
	if (!st) {
		ret->elfcorehdr = hdr;
		hdr = NULL;
	}
out:
	free(hdr);
	free(fdt);
	return st;
}
