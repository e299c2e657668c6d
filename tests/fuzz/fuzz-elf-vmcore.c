/* libFuzzer target: ELF vmcore headers, program headers and notes (fmt_vmcore_open),
 * the physical memory map built from them, and reads through it. */
#include <string.h>

#include "tests/fuzz/fuzz-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_physmap(struct fmt_input *in, const struct fmt_vmcore *vc)
{
	struct fmt_physmap pm;
	struct kd_err err;
	uint64_t prev_end = 0;

	kd_err_clear(&err);
	if (fmt_physmap_from_vmcore(vc, &pm, &err) != KD_OK)
		return;
	for (size_t i = 0; i < pm.nr; i++) {
		const struct fmt_phys_range *r = &pm.ranges[i];
		const void *p;

		/* The documented invariants: sorted, disjoint, findable. */
		if (r->size == 0 || r->paddr < prev_end || r->paddr + r->size < r->paddr)
			abort();
		prev_end = r->paddr + r->size;
		if (fmt_physmap_find(&pm, r->paddr) != (ssize_t)i ||
		    fmt_physmap_find(&pm, r->paddr + r->size - 1) != (ssize_t)i)
			abort();
		/* The first and last file bytes of the range, as the collector reads them. */
		if (r->filesz && fmt_input_get(in, r->offset, 1, &p, &err) == KD_OK)
			fuzz_touch(p, 1);
		if (r->filesz > 1 && fmt_input_get(in, r->offset + r->filesz - 1, 1, &p, &err) == KD_OK)
			fuzz_touch(p, 1);
	}
	fmt_physmap_find(&pm, 0);
	fmt_physmap_find(&pm, UINT64_MAX);
	fmt_physmap_deinit(&pm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt_vmcore *vc = NULL;
	struct kd_err err;
	struct fmt_input *in;
	int fd;

	in = fuzz_input("fuzz-vmcore", data, size, &fd);
	if (!in)
		return 0;
	/* Small windows make the window-crossing paths of fmt_input_get run too. */
	if (size & 1)
		fmt_input_set_window(in, 4096);
	kd_err_clear(&err);
	if (fmt_vmcore_open(in, &vc, &err) == KD_OK) {
		fuzz_touch(vc->notes, vc->notes_size);
		for (size_t i = 0; i < vc->nr_notes; i++) {
			const struct fmt_note *n = &vc->note_list[i];

			fuzz_touch(n->name, strlen(n->name));
			fuzz_touch(n->desc, n->desc_size);
		}
		if (vc->vmcoreinfo) {
			struct fmt_vmcoreinfo *vi = NULL;

			if (fmt_vmcoreinfo_parse((const char *)vc->vmcoreinfo->desc,
						 vc->vmcoreinfo->desc_size, &vi, &err) == KD_OK)
				fmt_vmcoreinfo_destroy(vi);
		}
		walk_physmap(in, vc);
		fmt_vmcore_destroy(vc);
	} else if (err.msg[0] == '\0') {
		abort();	/* every failure must say why */
	}
	fmt_input_destroy(in);
	close(fd);
	return 0;
}
