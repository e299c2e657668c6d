/* libFuzzer target: VMCOREINFO text (fmt_vmcoreinfo_parse) and every typed lookup. */
#include <string.h>

#include "tests/fuzz/fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"init_uts_ns", "mem_section", "swapper_pg_dir", "_stext", "page", "page.flags",
	"mem_section.section_mem_map", "SECTION_SIZE_BITS", "MAX_PHYSMEM_BITS", "PG_lru",
	"PG_slab", "PAGE_BUDDY_MAPCOUNT_VALUE", "phys_base", "node_data", "vmemmap_base",
	"page_offset_base", "pgtable_l5_enabled", "", "x", "OSRELEASE", "PAGESIZE",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt_vmcoreinfo *vi = NULL;
	struct kd_err err;

	kd_err_clear(&err);
	if (fmt_vmcoreinfo_parse((const char *)data, size, &vi, &err) != KD_OK) {
		if (err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t u;
		int64_t s;
		const char *str;

		fmt_vmci_symbol(vi, names[i], &u);
		fmt_vmci_size(vi, names[i], &u);
		fmt_vmci_offset(vi, names[i], &u);
		fmt_vmci_length(vi, names[i], &u);
		fmt_vmci_number(vi, names[i], &s);
		str = fmt_vmci_str(vi, names[i]);
		if (str)
			fuzz_touch(str, strlen(str));
	}
	{
		uint64_t ko;
		uint64_t ps = fmt_vmci_pagesize(vi);

		if (ps & (ps - 1))
			abort();	/* documented: validated at parse time */
		fmt_vmci_crashtime(vi);
		fmt_vmci_kerneloffset(vi, &ko);
		fmt_vmci_count(vi);
	}
	fmt_vmcoreinfo_destroy(vi);
	return 0;
}
