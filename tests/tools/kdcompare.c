/* kdcompare: check a dump page by page against its source, using libkdumpfile only. */
#include <getopt.h>
#include <time.h>

#include "kdclass.h"

static const char tool[] = "kdcompare";

struct opts {
	bool all;               /* every source page must be in the dump */
	bool zero_ok;           /* ... unless it is all zero in the source */
	bool zeroed_ok;         /* a dump page may be zero where the source is not */
	bool no_vmcoreinfo;     /* do not require VMCOREINFO in the dump */
	bool incomplete;        /* pages the dump lists but cannot read are unwritten, not errors */
	bool diff_sets;         /* kdpageset mode */
	const char *source;     /* --diff-sets: where to read struct pages from */
	unsigned show;          /* how many pfns to print per problem */
	const char *list_kept;
	const char *expect_absent;
	const char *expect_present;
};

/* A problem counter that remembers the first few pfns. */
struct tally {
	const char *name;
	uint64_t count;
	uint64_t first[32];
};

static void tally_add(struct tally *t, uint64_t pfn)
{
	if (t->count < sizeof(t->first) / sizeof(t->first[0]))
		t->first[t->count] = pfn;
	t->count++;
}

static void tally_print(const struct tally *t, unsigned show)
{
	uint64_t n = t->count;
	uint64_t cap = sizeof(t->first) / sizeof(t->first[0]);

	if (!n)
		return;
	printf("%s: %" PRIu64 " page(s), first pfns:", t->name, n);
	for (uint64_t i = 0; i < n && i < show && i < cap; i++)
		printf(" %#" PRIx64, t->first[i]);
	printf("%s\n", n > show ? " ..." : "");
}

/* Append a failure reason to the summary's "(...)" list. */
static void add_reason(char *why, size_t size, const char *reason)
{
	size_t len = strlen(why);

	snprintf(why + len, size - len, "%s%s", len ? "," : "", reason);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kdcompare [options] SOURCE DUMP\n"
		"       kdcompare --diff-sets [--source VMCORE] A B\n"
		"       kdcompare --attrs FILE\n"
		"Compare every page DUMP holds with SOURCE (ELF vmcore or kdump file), using libkdumpfile.\n"
		"  --all                  every page readable in SOURCE must be readable in DUMP\n"
		"  --zero-ok              like --all, but pages missing from DUMP may be all-zero in SOURCE\n"
		"  --zeroed-ok            a DUMP page that is all zero may differ from SOURCE (ELF -E output)\n"
		"  --list-kept FILE       write the pfns DUMP holds with non-zero content (hex, sorted)\n"
		"  --expect-absent FILE   these pfns (hex, one per line) must not be readable in DUMP\n"
		"  --expect-present FILE  these pfns must be readable in DUMP\n"
		"  --no-vmcoreinfo        do not require VMCOREINFO (OSRELEASE) in DUMP\n"
		"  --incomplete           DUMP is marked incomplete: pages it lists but cannot read\n"
		"                         are unwritten (counted, not errors); the rest must be equal\n"
		"  --diff-sets A B        A and B are dumps or pfn lists: print the pages in only one\n"
		"                         (classified from struct page, see kdpageset), and for two\n"
		"                         dumps the common pages whose contents differ\n"
		"  --source VMCORE        with --diff-sets: classify from VMCOREINFO/struct pages here\n"
		"  --show N               print up to N pfns per problem (default 10)\n"
		"  --attrs FILE           print the libkdumpfile attribute tree of FILE and exit\n"
		"Exit: 0 all checks passed, 1 a check failed, 2 usage or open error.\n");
}

static void print_attr_dir(kdump_ctx_t *ctx, const char *path, int depth)
{
	kdump_attr_iter_t it;

	if (kdump_attr_iter_start(ctx, path, &it) != KDUMP_OK) {
		printf("%*s(cannot iterate '%s': %s)\n", depth * 2, "", path, kdump_get_err(ctx));
		return;
	}
	while (it.key) {
		char sub[512];
		kdump_attr_t v;

		snprintf(sub, sizeof(sub), "%s.%s", path, it.key);
		if (kdump_attr_ref_get(ctx, &it.pos, &v) != KDUMP_OK) {
			printf("%*s%s (unset)\n", depth * 2, "", it.key);
		} else if (v.type == KDUMP_DIRECTORY) {
			printf("%*s%s/\n", depth * 2, "", it.key);
			print_attr_dir(ctx, sub, depth + 1);
		} else if (v.type == KDUMP_NUMBER) {
			printf("%*s%s = %" KDUMP_PRIuNUM "\n", depth * 2, "", it.key, v.val.number);
		} else if (v.type == KDUMP_ADDRESS) {
			printf("%*s%s = %#" KDUMP_PRIxADDR "\n", depth * 2, "", it.key, v.val.address);
		} else if (v.type == KDUMP_STRING) {
			const char *nl = strchr(v.val.string, '\n');

			printf("%*s%s = \"%.*s\"%s\n", depth * 2, "", it.key,
			       nl ? (int)(nl - v.val.string) : 72, v.val.string, nl ? " ..." : "");
		} else if (v.type == KDUMP_BLOB) {
			printf("%*s%s = <blob, %zu bytes>\n", depth * 2, "", it.key,
			       kdump_blob_size(v.val.blob));
		} else {
			printf("%*s%s = <bitmap>\n", depth * 2, "", it.key);
		}
		if (kdump_attr_iter_next(ctx, &it) != KDUMP_OK)
			break;
	}
	kdump_attr_iter_end(ctx, &it);
}

static int print_attrs(const char *path)
{
	static const char *const roots[] = { "file", "arch", "cpu", "linux", "addrxlat", "max_pfn",
					     "xen", "cache" };
	struct kt_dump d;

	if (!kt_open(tool, &d, path))
		return 2;
	printf("format=%s page_size=%" PRIu64 " max_pfn=%#" PRIx64 "\n", d.format, d.page_size,
	       d.max_pfn);
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		kdump_attr_t v;

		if (kdump_get_attr(d.ctx, roots[i], &v) != KDUMP_OK)
			continue;
		if (v.type == KDUMP_DIRECTORY) {
			printf("%s/\n", roots[i]);
			print_attr_dir(d.ctx, roots[i], 1);
		} else if (v.type == KDUMP_NUMBER) {
			printf("%s = %" KDUMP_PRIuNUM "\n", roots[i], v.val.number);
		}
	}
	kt_close(&d);
	return 0;
}

static const char *arch_of(struct kt_dump *d)
{
	const char *arch;

	return kdump_get_string_attr(d->ctx, KDUMP_ATTR_ARCH_NAME, &arch) == KDUMP_OK ? arch : "?";
}

/* VMCOREINFO text, or NULL (the caller frees it). */
static char *vmcoreinfo_of(struct kt_dump *d)
{
	char *raw = NULL;

	if (kdump_vmcoreinfo_raw(d->ctx, &raw) != KDUMP_OK)
		return NULL;
	return raw;
}

static bool check_vmcoreinfo(struct kt_dump *src, struct kt_dump *dump, const struct opts *o)
{
	char *s = vmcoreinfo_of(src), *d = vmcoreinfo_of(dump);
	char *rel = NULL;
	bool ok = true;

	if (!d) {
		printf("vmcoreinfo: DUMP has none%s\n", o->no_vmcoreinfo ? " (allowed)" : "");
		ok = o->no_vmcoreinfo;
	} else if (kdump_vmcoreinfo_line(dump->ctx, "OSRELEASE", &rel) != KDUMP_OK) {
		printf("vmcoreinfo: DUMP has no OSRELEASE%s\n", o->no_vmcoreinfo ? " (allowed)" : "");
		ok = o->no_vmcoreinfo;
	} else {
		printf("vmcoreinfo: %zu bytes, OSRELEASE=%s", strlen(d), rel);
		if (!s) {
			printf(", SOURCE has none\n");
		} else if (strcmp(s, d)) {
			printf(", DIFFERENT from SOURCE's (%zu bytes)\n", strlen(s));
			ok = false;
		} else {
			printf(", same as SOURCE\n");
		}
	}
	free(rel);
	free(s);
	free(d);
	return ok;
}

static bool check_cpus(struct kt_dump *src, struct kt_dump *dump)
{
	kdump_num_t ns, nd;
	bool has_s = kdump_get_number_attr(src->ctx, KDUMP_ATTR_NUM_CPUS, &ns) == KDUMP_OK;
	bool has_d = kdump_get_number_attr(dump->ctx, KDUMP_ATTR_NUM_CPUS, &nd) == KDUMP_OK;

	if (!has_d) {
		const char *arch;

		if (kdump_get_string_attr(dump->ctx, KDUMP_ATTR_ARCH_NAME, &arch) != KDUMP_OK)
			printf("cpus: DUMP has no cpu.number: libkdumpfile does not know its arch "
			       "(arch.name unset; for a kdump file: utsname.version/machine empty?), "
			       "drgn cannot open such a file\n");
		else
			printf("cpus: DUMP has no cpu.number (no PRSTATUS notes)\n");
		return !has_s;
	}
	printf("cpus: DUMP %" KDUMP_PRIuNUM " (PRSTATUS notes)", nd);
	if (has_s)
		printf(", SOURCE %" KDUMP_PRIuNUM, ns);
	printf("\n");
	return !has_s || ns == nd;
}

static bool check_list(struct kt_dump *dump, const char *path, bool want_present,
		       struct tally *bad, void *buf)
{
	uint64_t *pfns;
	size_t n;

	if (!kt_read_pfn_list(tool, path, &pfns, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		bool bit = pfns[i] < dump->max_pfn && kt_test_bit(dump->present, pfns[i]);
		bool readable = kt_read_page(dump, pfns[i], buf) == KDUMP_OK;

		if (want_present ? !(bit && readable) : (bit || readable))
			tally_add(bad, pfns[i]);
	}
	printf("%s: %zu pfn(s) listed in '%s'\n", want_present ? "expect-present" : "expect-absent",
	       n, path);
	free(pfns);
	return true;
}

static bool next_present(const struct kt_dump *d, uint64_t *pfn)
{
	uint64_t p = *pfn;

	while (p < d->max_pfn) {
		if ((p & 63) == 0 && p + 64 <= d->max_pfn) {
			uint64_t w;

			memcpy(&w, d->present + p / 8, 8);
			if (!w) {
				p += 64;
				continue;
			}
		}
		if (kt_test_bit(d->present, p)) {
			*pfn = p;
			return true;
		}
		p++;
	}
	return false;
}

static int compare(const struct opts *o, const char *src_path, const char *dump_path)
{
	struct kt_dump src, dump;
	struct tally different = { .name = "DIFFERENT" };
	struct tally dump_only = { .name = "IN DUMP BUT NOT IN SOURCE" };
	struct tally unreadable = { .name = "DUMP PAGE UNREADABLE (listed in its bitmap)" };
	uint64_t unwritten = 0;
	char why[256] = "";
	char unwritten_str[24];
	struct tally src_err = { .name = "SOURCE READ ERROR" };
	struct tally missing = { .name = "MISSING FROM DUMP (non-zero in SOURCE)" };
	struct tally bad_absent = { .name = "EXPECTED ABSENT BUT PRESENT" };
	struct tally bad_present = { .name = "EXPECTED PRESENT BUT ABSENT" };
	uint64_t compared = 0, equal = 0, zeroed = 0, kept_nonzero = 0, src_pages = 0;
	uint64_t excluded = 0, missing_zero = 0;
	struct timespec t0, t1;
	FILE *kept = NULL;
	bool ok = true;
	uint8_t *sbuf, *dbuf;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!kt_open(tool, &src, src_path))
		return 2;
	if (!kt_open(tool, &dump, dump_path)) {
		kt_close(&src);
		return 2;
	}
	printf("SOURCE: %s format=%s arch=%s page_size=%" PRIu64 " max_pfn=%#" PRIx64 "\n",
	       src_path, src.format, arch_of(&src), src.page_size, src.max_pfn);
	printf("DUMP:   %s format=%s arch=%s page_size=%" PRIu64 " max_pfn=%#" PRIx64 "\n",
	       dump_path, dump.format, arch_of(&dump), dump.page_size, dump.max_pfn);
	if (src.page_size != dump.page_size) {
		printf("page sizes differ\n");
		kt_close(&src);
		kt_close(&dump);
		return 1;
	}
	sbuf = malloc(src.page_size);
	dbuf = malloc(src.page_size);
	if (!sbuf || !dbuf) {
		kt_fail(tool, "out of memory");
		ok = false;
		goto out;
	}
	if (o->list_kept) {
		kept = fopen(o->list_kept, "w");
		if (!kept) {
			kt_fail(tool, "cannot create '%s': %s", o->list_kept, strerror(errno));
			ok = false;
			goto out;
		}
	}
	if (dump.truncated) {
		printf("DUMP is truncated: %" PRIu64 " PT_LOAD(s) end past the end of the file\n",
		       dump.truncated);
		add_reason(why, sizeof(why), "truncated");
	}
	if (src.truncated)
		printf("warning: SOURCE is truncated: %" PRIu64 " PT_LOAD(s) end past the end of the "
		       "file (libkdumpfile reads zeros there)\n", src.truncated);
	if (!check_vmcoreinfo(&src, &dump, o))
		add_reason(why, sizeof(why), "vmcoreinfo");
	if (!check_cpus(&src, &dump))
		add_reason(why, sizeof(why), "cpus");

	/* Pass 1: every page DUMP holds must be in SOURCE and equal to it. */
	for (uint64_t pfn = 0; next_present(&dump, &pfn); pfn++) {
		kdump_status st = kt_read_page(&dump, pfn, dbuf);
		bool dzero;

		if (st != KDUMP_OK && o->incomplete) {
			unwritten++;
			continue;
		}
		if (st != KDUMP_OK) {
			if (unreadable.count < 3)
				fprintf(stderr, "%s: DUMP pfn %#" PRIx64 ": %s\n", tool, pfn,
					kdump_get_err(dump.ctx));
			tally_add(&unreadable, pfn);
			continue;
		}
		dzero = kt_page_is_zero(dbuf, dump.page_size);
		if (!dzero) {
			kept_nonzero++;
			if (kept)
				fprintf(kept, "%" PRIx64 "\n", pfn);
		}
		if (pfn >= src.max_pfn || !kt_test_bit(src.present, pfn)) {
			tally_add(&dump_only, pfn);
			continue;
		}
		st = kt_read_page(&src, pfn, sbuf);
		if (st != KDUMP_OK) {
			if (src_err.count < 3)
				fprintf(stderr, "%s: SOURCE pfn %#" PRIx64 ": %s\n", tool, pfn,
					kdump_get_err(src.ctx));
			tally_add(&src_err, pfn);
			continue;
		}
		compared++;
		if (!memcmp(sbuf, dbuf, src.page_size))
			equal++;
		else if (dzero && o->zeroed_ok)
			zeroed++;
		else
			tally_add(&different, pfn);
	}

	/* Pass 2: pages of SOURCE that DUMP does not hold. */
	for (uint64_t pfn = 0; next_present(&src, &pfn); pfn++) {
		src_pages++;
		if (pfn < dump.max_pfn && kt_test_bit(dump.present, pfn))
			continue;
		excluded++;
		if (!o->all && !o->zero_ok)
			continue;
		if (kt_read_page(&src, pfn, sbuf) != KDUMP_OK) {
			tally_add(&src_err, pfn);
			continue;
		}
		if (o->zero_ok && kt_page_is_zero(sbuf, src.page_size))
			missing_zero++;
		else
			tally_add(&missing, pfn);
	}

	if (o->expect_absent)
		if (!check_list(&dump, o->expect_absent, false, &bad_absent, dbuf))
			add_reason(why, sizeof(why), "expect-absent list");
	if (o->expect_present)
		if (!check_list(&dump, o->expect_present, true, &bad_present, dbuf))
			add_reason(why, sizeof(why), "expect-present list");

	{
		const struct tally *all[] = { &different, &dump_only, &unreadable, &src_err, &missing,
					      &bad_absent, &bad_present };
		static const char *const reason[] = { "different", "dump-only", "unreadable",
						      "source-read-error", "missing",
						      "expected-absent", "expected-present" };

		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			tally_print(all[i], o->show);
			if (all[i]->count)
				add_reason(why, sizeof(why), reason[i]);
		}
	}
	if (o->incomplete)
		printf("incomplete: %" PRIu64 " listed page(s) unwritten (unreadable)\n", unwritten);
	if (compared == 0 && o->incomplete) {
		printf("warning: no page of the incomplete DUMP is readable\n");
	} else if (compared == 0) {
		printf("no page compared\n");
		add_reason(why, sizeof(why), "nothing-compared");
	}
	if (why[0])
		ok = false;
	snprintf(unwritten_str, sizeof(unwritten_str), "%" PRIu64, unwritten);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%s: %s%s%s%s compared=%" PRIu64 " equal=%" PRIu64 " different=%" PRIu64
	       " zeroed=%" PRIu64 " dump-only=%" PRIu64 " source-pages=%" PRIu64
	       " not-in-dump=%" PRIu64 " missing=%" PRIu64 " missing-zero=%" PRIu64
	       " kept-nonzero=%" PRIu64 "%s%s time=%.2fs\n",
	       tool, ok ? "PASS" : "FAIL", why[0] ? " (" : "", why, why[0] ? ")" : "", compared, equal, different.count, zeroed, dump_only.count,
	       src_pages, excluded, missing.count, missing_zero, kept_nonzero,
	       o->incomplete ? " unwritten=" : "", o->incomplete ? unwritten_str : "",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
out:
	if (kept && fclose(kept)) {
		kt_fail(tool, "writing '%s': %s", o->list_kept, strerror(errno));
		ok = false;
	}
	free(sbuf);
	free(dbuf);
	kt_close(&src);
	kt_close(&dump);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	enum { O_ALL = 256, O_ZERO_OK, O_ZEROED_OK, O_LIST_KEPT, O_ABSENT, O_PRESENT, O_NOVMCI,
	       O_SHOW, O_ATTRS, O_HELP, O_INCOMPLETE, O_DIFF_SETS, O_SOURCE };
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, O_ALL },
		{ "zero-ok", no_argument, NULL, O_ZERO_OK },
		{ "zeroed-ok", no_argument, NULL, O_ZEROED_OK },
		{ "list-kept", required_argument, NULL, O_LIST_KEPT },
		{ "expect-absent", required_argument, NULL, O_ABSENT },
		{ "expect-present", required_argument, NULL, O_PRESENT },
		{ "no-vmcoreinfo", no_argument, NULL, O_NOVMCI },
		{ "show", required_argument, NULL, O_SHOW },
		{ "attrs", required_argument, NULL, O_ATTRS },
		{ "incomplete", no_argument, NULL, O_INCOMPLETE },
		{ "diff-sets", no_argument, NULL, O_DIFF_SETS },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .show = 10 };
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_ALL: o.all = true; break;
		case O_ZERO_OK: o.zero_ok = true; break;
		case O_ZEROED_OK: o.zeroed_ok = true; break;
		case O_LIST_KEPT: o.list_kept = optarg; break;
		case O_ABSENT: o.expect_absent = optarg; break;
		case O_PRESENT: o.expect_present = optarg; break;
		case O_NOVMCI: o.no_vmcoreinfo = true; break;
		case O_SHOW: o.show = (unsigned)strtoul(optarg, NULL, 0); break;
		case O_ATTRS: return print_attrs(optarg);
		case O_INCOMPLETE: o.incomplete = true; break;
		case O_DIFF_SETS: o.diff_sets = true; break;
		case O_SOURCE: o.source = optarg; break;
		case 'h':
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	if (o.diff_sets)
		return kt_diff_sets(tool, argv[optind], argv[optind + 1], o.source, o.show);
	return compare(&o, argv[optind], argv[optind + 1]);
}
