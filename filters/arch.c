/* Which architecture's address translation a model uses, and the calls dispatched to it. */
#include <elf.h>
#include <stdio.h>

#include "filters/filters-priv.h"

/* arm64 kernels export kimage_voffset (4.6+), or at least VA_BITS with PHYS_OFFSET */
static bool looks_arm64(const struct fmt_vmcoreinfo *vi)
{
	int64_t v;

	return fmt_vmci_number(vi, "kimage_voffset", &v) ||
	       (fmt_vmci_number(vi, "VA_BITS", &v) && fmt_vmci_number(vi, "PHYS_OFFSET", &v));
}

enum kd_status flt_arch_init(struct flt_model *m, uint16_t machine, char *why, size_t why_len)
{
	if (machine == 0)
		machine = looks_arm64(m->vi) ? EM_AARCH64 : EM_X86_64;
	switch (machine) {
	case EM_X86_64:
		m->arch = FLT_ARCH_X86_64;
		return flt_x86_64_init(&m->x86, m->vi, why, why_len);
	case EM_AARCH64:
		m->arch = FLT_ARCH_ARM64;
		return flt_arm64_init(&m->arm64, m->vi, why, why_len);
	default:
		m->arch = FLT_ARCH_NONE;
		snprintf(why, why_len, "ELF machine %u is not supported", (unsigned)machine);
		return KD_ERR_NOTIMPL;
	}
}

const char *flt_arch_name(const struct flt_model *m)
{
	switch (m->arch) {
	case FLT_ARCH_X86_64:
		return "x86_64";
	case FLT_ARCH_ARM64:
		return "arm64";
	default:
		return "unknown-architecture";
	}
}

bool flt_arch_ok(const struct flt_model *m)
{
	switch (m->arch) {
	case FLT_ARCH_X86_64:
		return m->x86.ok;
	case FLT_ARCH_ARM64:
		return m->arm64.ok;
	default:
		return false;
	}
}

enum kd_status flt_arch_vtop(struct flt_model *m, uint64_t vaddr, uint64_t *ret_paddr,
			     uint64_t *ret_len, struct kd_err *err)
{
	switch (m->arch) {
	case FLT_ARCH_X86_64:
		if (m->x86.ok)
			return flt_x86_64_vtop(&m->x86, &m->mem, vaddr, ret_paddr, ret_len, err);
		break;
	case FLT_ARCH_ARM64:
		if (m->arm64.ok)
			return flt_arm64_vtop(&m->arm64, &m->mem, vaddr, ret_paddr, ret_len, err);
		break;
	default:
		break;
	}
	return KD_ERR_NOTIMPL;
}

void flt_arch_flush(struct flt_model *m)
{
	flt_x86_64_flush(&m->x86);
	flt_arm64_flush(&m->arm64);
}

void flt_arch_deinit(struct flt_model *m)
{
	flt_x86_64_deinit(&m->x86);
	flt_arm64_deinit(&m->arm64);
}
