/* -i/-x key merge on small texts; -x key generation on Debian's real 6.1 vmlinux and vmcore. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/collector-priv.h"
#include "collector/vmlinux-priv.h"
#include "tests/unit/tap.h"

struct merge_case {
	const char *name;
	const char *first, *second, *third;
	size_t first_len, second_len, third_len;	/* the texts may hold NULs, as a note does */
	const char *expect;
	const char *added;	/* keys reported from @third, each followed by a space */
};

static const struct merge_case merge_cases[] = {
	{ "file wins over note", "SIZE(page)=64\n", "SIZE(page)=56\nPAGESIZE=4096\n", NULL, 14, 28, 0,
	  "SIZE(page)=64\nPAGESIZE=4096\n", "" },
	{ "vmlinux fills only missing keys", NULL, "PAGESIZE=4096\nNUMBER(PG_lru)=4\n",
	  "NUMBER(PG_lru)=5\nOFFSET(page.mapping)=24\n", 0, 31, 41,
	  "PAGESIZE=4096\nNUMBER(PG_lru)=4\nOFFSET(page.mapping)=24\n", "OFFSET(page.mapping) " },
	{ "the note's NUL and padding end it", NULL, "PAGESIZE=4096\nCRASHTIME=1\n\0\0\0junk=1", NULL,
	  0, 35, 0, "PAGESIZE=4096\nCRASHTIME=1\n", "" },
	{ "a key of the file hides it in both others", "OFFSET(page.flags)=0", "OFFSET(page.flags)=8\n",
	  "OFFSET(page.flags)=16\nSIZE(zone)=1\n", 20, 21, 35, "OFFSET(page.flags)=0\nSIZE(zone)=1\n",
	  "SIZE(zone) " },
	{ "a key is not a prefix of another", NULL, "SIZE(page)=64\n", "SIZE(pag)=1\nSIZE(page)=2\n",
	  0, 14, 25, "SIZE(page)=64\nSIZE(pag)=1\n", "SIZE(pag) " },
	{ "all empty", NULL, NULL, NULL, 0, 0, 0, "", "" },
};

struct added {
	char keys[256];
};

static void on_added(void *ctx, const char *key)
{
	struct added *a = ctx;
	size_t n = strlen(a->keys);

	snprintf(a->keys + n, sizeof(a->keys) - n, "%s ", key);
}

static void test_merge(struct tap *t)
{
	for (size_t i = 0; i < sizeof(merge_cases) / sizeof(merge_cases[0]); i++) {
		const struct merge_case *c = &merge_cases[i];
		struct added a = { "" };
		struct kd_err err;
		char *out = NULL;
		size_t len = 0;
		enum kd_status st;

		kd_err_clear(&err);
		st = col_vmci_merge(c->first, c->first_len, c->second, c->second_len, c->third,
				    c->third_len, on_added, &a, &out, &len, &err);
		TAP_CHECK(t, st == KD_OK && out && len == strlen(out) && !strcmp(out, c->expect) &&
			     !strcmp(a.keys, c->added),
			  "merge: %s", c->name);
		free(out);
	}
}

/* ---- the real 6.1 vmlinux against the VMCOREINFO note of a vmcore of the same kernel ---- */

static bool info_value(const char *info, const char *key, char *buf, size_t len)
{
	FILE *f = fopen(info, "r");
	char line[1024];
	size_t kl = strlen(key);
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == '=') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + kl + 1);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static bool kread_src(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	struct col_source *src = ctx;
	struct kd_err err;
	int64_t phys_base;

	if (vaddr < 0xffffffff80000000ull || !fmt_vmci_number(src->vi, "phys_base", &phys_base))
		return false;
	return col_source_read_phys(src, vaddr - 0xffffffff80000000ull + (uint64_t)phys_base, buf,
				    len, &err) == KD_OK;
}

/* The value of KEY in a VMCOREINFO text, or NULL. */
static const char *text_value(const char *text, size_t len, const char *key, size_t klen,
			      size_t *ret_len)
{
	const char *end = text + len;

	for (const char *p = text; p < end && *p;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));

		if (!e)
			e = end;
		if ((size_t)(e - p) > klen && !memcmp(p, key, klen) && p[klen] == '=') {
			*ret_len = (size_t)(e - p) - klen - 1;
			return p + klen + 1;
		}
		p = e + 1;
	}
	return NULL;
}

static void test_real(struct tap *t)
{
	const char *cache = getenv("KDUMPKIT_CACHE") ? getenv("KDUMPKIT_CACHE") : "/var/cache/kdumpkit";
	char info[512], vmlinux[1024], vmcore[512];
	struct col_source src;
	struct col_vmlinux *vl;
	struct kd_err err;
	char *gen;
	size_t gen_len;
	uint64_t kaslr = 0;

	snprintf(info, sizeof(info), "%s/vmcore-6.1-1g/info.txt", cache);
	snprintf(vmcore, sizeof(vmcore), "%s/vmcore-6.1-1g/vmcore", cache);
	if (!info_value(info, "vmlinux", vmlinux, sizeof(vmlinux)) || access(vmlinux, R_OK) ||
	    access(vmcore, R_OK)) {
		printf("skip - real 6.1 vmlinux: fixture not cached (%s); tests/integration/23-vmlinux.sh builds it\n",
		       info);
		return;
	}
	kd_err_clear(&err);
	if (col_source_open(&src, vmcore, true, &err) != KD_OK) {
		TAP_CHECK(t, 0, "open the 6.1 vmcore: %s", err.msg);
		return;
	}
	enum kd_status st = col_vmlinux_open(vmlinux, col_vmlinux_key_types, &vl, &err);

	TAP_CHECK(t, st == KD_OK, "open the 6.1 debug vmlinux%s%s", st == KD_OK ? "" : ": ",
		  st == KD_OK ? "" : err.msg);
	if (st != KD_OK) {
		col_source_close(&src);
		return;
	}
	uint64_t v;

	TAP_CHECK(t, col_vmlinux_size(vl, "page", &v) && v == 64, "SIZE(page) = 64");
	TAP_CHECK(t, col_vmlinux_offset(vl, "page", "compound_head", &v) && v == 8,
		  "OFFSET(page.compound_head) = 8 (inside an anonymous struct of a union)");
	TAP_CHECK(t, col_vmlinux_member_length(vl, "zone", "free_area", &v) && v == 11,
		  "LENGTH(zone.free_area) = 11");
	TAP_CHECK(t, col_vmlinux_var_is_pointer(vl, "mem_section"),
		  "mem_section is a pointer (SPARSEMEM_EXTREME)");
	TAP_CHECK(t, !col_vmlinux_offset(vl, "page", "no_such_member", &v), "unknown member");

	fmt_vmci_kerneloffset(src.vi, &kaslr);
	st = col_vmlinux_keys(vl, kaslr, kread_src, &src, true, &gen, &gen_len, &err);
	TAP_CHECK(t, st == KD_OK, "generate the keys");
	if (st == KD_OK) {
		const char *note = (const char *)src.notes + src.vmcoreinfo_off;
		unsigned same = 0, differ = 0, only_gen = 0;

		for (const char *p = gen; *p;) {
			const char *e = strchr(p, '\n');
			const char *eq = memchr(p, '=', (size_t)(e - p));
			size_t nl;
			const char *nv = text_value(note, src.vmcoreinfo_size, p, (size_t)(eq - p), &nl);

			if (!nv) {
				only_gen++;
			} else if (nl == (size_t)(e - eq - 1) && !memcmp(nv, eq + 1, nl)) {
				same++;
			} else {
				differ++;
				printf("# differs: %.*s (note: %.*s)\n", (int)(e - p), p, (int)nl, nv);
			}
			p = e + 1;
		}
		TAP_CHECK(t, differ == 0 && same >= 95,
			  "every generated key the 6.1 note has is equal (%u equal, %u differ, %u not "
			  "in the note)", same, differ, only_gen);
		size_t nl;
		const char *ms = text_value(gen, gen_len, "SYMBOL(mem_section)", 19, &nl);
		const char *ns = text_value(note, src.vmcoreinfo_size, "SYMBOL(mem_section)", 19, &nl);

		TAP_CHECK(t, ms && ns && !strncmp(ms, ns, nl),
			  "SYMBOL(mem_section): the pointer's content read from the dump equals the note's");
		free(gen);
	}
	col_vmlinux_close(vl);
	col_source_close(&src);
}

int main(void)
{
	struct tap t = { 0, 0 };

	test_merge(&t);
	test_real(&t);
	return tap_finish(&t);
}
