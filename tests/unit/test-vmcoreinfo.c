/* VMCOREINFO parser: typed lookups, tolerance of unknown keys, strictness on bad values. */
#include <string.h>

#include "formats/formats.h"
#include "tests/unit/tap.h"

static const char sample[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"BUILD-ID=3b43fad5034874490492495d552c0af6a5fab235\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffff98bf9b60\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SYMBOL(mem_section)=ffff8d03fefde000\n"
	"LENGTH(mem_section)=2048\n"
	"SIZE(page)=64\n"
	"OFFSET(page.flags)=0\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n"
	"NUMBER(phys_base)=96468992\n"
	"NUMBER(VMALLOC_START)=0xff6cea8c00000000\n"
	"SOMETHING_NEW(foo)=bar\n"
	"KERNELOFFSET=16000000\n"
	"CRASHTIME=1795376315\n";

struct bad_case {
	const char *text;
	const char *expect;	/* substring of the error message */
};

static const struct bad_case bad_cases[] = {
	{ "PAGESIZE=4096\nSYMBOL(x)=zzz\n", "line 2" },
	{ "PAGESIZE=4096\nSIZE(page)=-64\n", "not a decimal" },
	{ "PAGESIZE=4096\nOFFSET(page.flags)=12abc\n", "not a decimal" },
	{ "PAGESIZE=4096\nNUMBER(x)=\n", "not a decimal" },
	{ "PAGESIZE=4096\nNUMBER(x)=0xzz\n", "not a decimal" },
	{ "PAGESIZE=4095\n", "power of two" },
	{ "PAGESIZE=4096\nKERNELOFFSET=xyz\n", "hex" },
	{ "PAGESIZE=4096\nno equals sign here\n", "KEY=VALUE" },
	{ "PAGESIZE=4096\nSYMBOL(unterminated=ffff\n", "unterminated" },
	{ "PAGESIZE=4096\nOSRELEASE=6.1\x01\n", "non-printable" },
	{ "", "empty" },
	{ "PAGESIZE=4096\nCRASHTIME=soon\n", "CRASHTIME" },
};

int main(void)
{
	struct tap t = { 0 };
	struct fmt_vmcoreinfo *vi = NULL;
	struct kd_err err;
	uint64_t u;
	int64_t n;

	kd_err_clear(&err);
	TAP_CHECK(&t, fmt_vmcoreinfo_parse(sample, sizeof(sample), &vi, &err) == KD_OK,
		  "parse the 6.1 sample (with its terminating NUL)");
	if (!vi)
		return tap_finish(&t);
	TAP_CHECK(&t, fmt_vmci_pagesize(vi) == 4096, "PAGESIZE");
	TAP_CHECK(&t, strcmp(fmt_vmci_str(vi, "OSRELEASE"), "6.1.0-56-cloud-amd64") == 0, "OSRELEASE");
	TAP_CHECK(&t, fmt_vmci_symbol(vi, "init_uts_ns", &u) && u == 0xffffffff98bf9b60ull,
		  "SYMBOL is hex");
	TAP_CHECK(&t, fmt_vmci_offset(vi, "uts_namespace.name", &u) && u == 0, "OFFSET zero");
	TAP_CHECK(&t, fmt_vmci_length(vi, "mem_section", &u) && u == 2048, "LENGTH");
	TAP_CHECK(&t, fmt_vmci_size(vi, "page", &u) && u == 64, "SIZE");
	TAP_CHECK(&t, fmt_vmci_number(vi, "PAGE_BUDDY_MAPCOUNT_VALUE", &n) && n == -129,
		  "negative NUMBER");
	TAP_CHECK(&t, fmt_vmci_number(vi, "PAGE_SLAB_MAPCOUNT_VALUE", &n) && n == -184549376,
		  "6.12 page-type NUMBER");
	TAP_CHECK(&t, fmt_vmci_number(vi, "VMALLOC_START", &n) && (uint64_t)n == 0xff6cea8c00000000ull,
		  "hex NUMBER (6.12 VMALLOC_START)");
	TAP_CHECK(&t, fmt_vmci_kerneloffset(vi, &u) && u == 0x16000000, "KERNELOFFSET is hex");
	TAP_CHECK(&t, fmt_vmci_crashtime(vi) == 1795376315, "CRASHTIME");
	TAP_CHECK(&t, fmt_vmci_str(vi, "SOMETHING_NEW(foo)") != NULL, "unknown key kept");
	TAP_CHECK(&t, !fmt_vmci_symbol(vi, "swapper_pg_dir", &u), "absent symbol");
	TAP_CHECK(&t, !fmt_vmci_size(vi, "init_uts_ns", &u), "kinds are separate");
	fmt_vmcoreinfo_destroy(vi);

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		enum kd_status st;

		vi = NULL;
		kd_err_clear(&err);
		st = fmt_vmcoreinfo_parse(bc->text, strlen(bc->text), &vi, &err);
		TAP_CHECK(&t, st == KD_ERR_CORRUPT && strstr(err.msg, bc->expect) && !vi,
			  "malformed case %zu rejected: %s", i, err.msg);
		fmt_vmcoreinfo_destroy(vi);
	}
	return tap_finish(&t);
}
