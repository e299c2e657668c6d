/* The dead kernel's utsname for the kdump header: init_uts_ns, else VMCOREINFO. */
#include "collector/collector-priv.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

#define X86_64_START_KERNEL_MAP 0xffffffff80000000ull

static const char *machine_name(uint16_t machine)
{
	switch (machine) {
	case EM_X86_64:
		return "x86_64";
	case EM_AARCH64:
		return "aarch64";
	case EM_386:
		return "i686";
	case EM_ARM:
		return "arm";
	case EM_PPC64:
		return "ppc64le";
	case EM_S390:
		return "s390x";
	case EM_RISCV:
		return "riscv64";
	default:
		return "unknown";
	}
}

/* Physical address of a kernel-image symbol, where the architecture makes that simple. */
static bool kernel_sym_paddr(const struct col_source *src, uint64_t vaddr, uint64_t *ret)
{
	int64_t v;

	if (src->machine == EM_X86_64 && vaddr >= X86_64_START_KERNEL_MAP) {
		if (!fmt_vmci_number(src->vi, "phys_base", &v))
			v = 0;
		*ret = vaddr - X86_64_START_KERNEL_MAP + (uint64_t)v;
		return true;
	}
	if (src->machine == EM_AARCH64 && fmt_vmci_number(src->vi, "kimage_voffset", &v)) {
		*ret = vaddr - (uint64_t)v;
		return true;
	}
	return false;
}

static bool read_init_uts(struct col_source *src, char uts[6][FMT_KDUMP_UTS_LEN])
{
	uint8_t buf[6 * FMT_KDUMP_UTS_LEN];
	uint64_t sym, off = 0, paddr;

	if (!src->vi || !fmt_vmci_symbol(src->vi, "init_uts_ns", &sym))
		return false;
	fmt_vmci_offset(src->vi, "uts_namespace.name", &off);
	if (!kernel_sym_paddr(src, sym + off, &paddr))
		return false;
	if (col_source_read_phys(src, paddr, buf, sizeof(buf), NULL) != KD_OK)
		return false;
	if (memcmp(buf, "Linux", 6) != 0)
		return false;
	for (int i = 0; i < 6; i++) {
		memcpy(uts[i], buf + i * FMT_KDUMP_UTS_LEN, FMT_KDUMP_UTS_LEN);
		uts[i][FMT_KDUMP_UTS_LEN - 1] = '\0';
	}
	return true;
}

void col_fill_utsname(struct col_source *src, char uts[6][FMT_KDUMP_UTS_LEN])
{
	const char *rel = src->vi ? fmt_vmci_str(src->vi, "OSRELEASE") : NULL;

	memset(uts, 0, 6 * FMT_KDUMP_UTS_LEN);
	if (read_init_uts(src, uts))
		return;
	snprintf(uts[0], FMT_KDUMP_UTS_LEN, "Linux");
	snprintf(uts[2], FMT_KDUMP_UTS_LEN, "%s", rel ? rel : "unknown");
	/* libkdumpfile ignores a utsname whose version is empty (and then knows no arch) */
	snprintf(uts[3], FMT_KDUMP_UTS_LEN, "unknown");
	snprintf(uts[4], FMT_KDUMP_UTS_LEN, "%s", machine_name(src->machine));
}
