/* Unit tests for loader/iomem.c on captured and hand-made /proc/iomem files. */
#include "loader/loader.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DATA "tests/data/iomem/"
#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

struct span {
	uint64_t start, end;
};

/* An expected set of Crash kernel ranges for one fixture. */
struct crash_case {
	const char *file;
	size_t n;
	struct span ranges[4];
	long target;		/* with crash_size 0 (unknown) */
	size_t ram;		/* System RAM entries */
};

static const struct crash_case crash_cases[] = {
	{ DATA "arm64-field-low-high.txt", 2,
	  { { 0x78000000, 0x7fffffff }, { 0x205fc0000000, 0x205fffffffff } }, 1, 2 },
	{ DATA "arm64-6g-low-high.txt", 2,
	  { { 0xf4000000, 0xfbffffff }, { 0x179200000, 0x1b91fffff } }, 1, 1 },
	{ DATA "x86-1g-256m.txt", 1, { { 0x2f000000, 0x3effffff } }, 0, 2 },
	{ DATA "x86-none.txt", 0, { { 0, 0 } }, -1, 2 },
	{ DATA "nested-ram.txt", 1, { { 0x2b000000, 0x3affffff } }, 0, 5 },
};

static struct ldr_iomem *parse_ok(struct tap *t, const char *file)
{
	struct ldr_iomem *io = NULL;
	struct kd_err err;
	enum kd_status st;

	kd_err_clear(&err);
	st = ldr_iomem_parse_file(file, &io, &err);
	TAP_CHECK(t, st == KD_OK, "%s parses (%s)", file, err.msg);
	return st == KD_OK ? io : NULL;
}

static void test_crash_cases(struct tap *t)
{
	size_t c, i, n;

	for (c = 0; c < sizeof(crash_cases) / sizeof(crash_cases[0]); c++) {
		const struct crash_case *cc = &crash_cases[c];
		struct ldr_iomem *io = parse_ok(t, cc->file);
		const struct ldr_range *r;

		if (!io)
			continue;
		r = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &n);
		TAP_CHECK(t, n == cc->n, "%s: %zu crash ranges (got %zu)", cc->file, cc->n, n);
		for (i = 0; i < n && i < cc->n; i++)
			TAP_CHECK(t, r[i].start == cc->ranges[i].start && r[i].end == cc->ranges[i].end,
				  "%s: crash range %zu is %#llx-%#llx", cc->file, i,
				  (unsigned long long)cc->ranges[i].start,
				  (unsigned long long)cc->ranges[i].end);
		TAP_CHECK(t, ldr_iomem_target_crash_range(io, 0) == cc->target,
			  "%s: target range %ld", cc->file, cc->target);
		ldr_iomem_ranges(io, LDR_RANGE_SYSTEM_RAM, &n);
		TAP_CHECK(t, n == cc->ram, "%s: %zu System RAM entries (got %zu)", cc->file, cc->ram,
			  n);
		ldr_iomem_destroy(io);
	}
}

static void test_field_case(struct tap *t)
{
	struct ldr_iomem *io = parse_ok(t, DATA "arm64-field-low-high.txt");
	const struct ldr_range *r;
	size_t n;

	if (!io)
		return;
	r = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &n);
	TAP_CHECK(t, n == 2 && ldr_range_size(&r[0]) == 128 * MiB && ldr_range_size(&r[1]) == GiB,
		  "field case: 128 MiB low + 1 GiB high");
	TAP_CHECK(t, n == 2 && r[0].depth == 1 && r[1].depth == 1 && r[0].line == 11 &&
			     r[1].line == 16,
		  "field case: both nested under System RAM, lines 11 and 16");
	TAP_CHECK(t, ldr_iomem_target_crash_range(io, GiB) == 1,
		  "field case: kexec_crash_size 1 GiB picks the high range");
	TAP_CHECK(t, ldr_iomem_target_crash_range(io, 128 * MiB) == 0,
		  "field case: kexec_crash_size 128 MiB picks the low range");
	TAP_CHECK(t, ldr_iomem_target_crash_range(io, 3 * MiB) == 1,
		  "field case: an unmatched size picks the highest range");
	ldr_iomem_ranges(io, LDR_RANGE_KERNEL_CODE, &n);
	TAP_CHECK(t, n == 1, "field case: one Kernel code entry");
	ldr_iomem_ranges(io, LDR_RANGE_RESERVED, &n);
	TAP_CHECK(t, n == 2, "field case: two lowercase 'reserved' entries");
	ldr_iomem_destroy(io);
}

static void test_x86_split(struct tap *t)
{
	struct ldr_iomem *io = parse_ok(t, DATA "x86-6g-low-high.txt");
	const struct ldr_range *r;
	size_t n;

	if (!io)
		return;
	r = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &n);
	TAP_CHECK(t, n == 2, "x86 6G low+high: two crash ranges (got %zu)", n);
	if (n == 2) {
		TAP_CHECK(t, r[0].end < 4 * GiB && ldr_range_size(&r[0]) == 128 * MiB,
			  "x86 6G low+high: 128 MiB below 4 GiB");
		TAP_CHECK(t, r[1].start >= 4 * GiB && ldr_range_size(&r[1]) == 256 * MiB,
			  "x86 6G low+high: 256 MiB above 4 GiB");
		TAP_CHECK(t, ldr_iomem_target_crash_range(io, 256 * MiB) == 1,
			  "x86 6G low+high: kexec_crash_size (high only) picks the high range");
	}
	ldr_iomem_destroy(io);
}

static void test_many(struct tap *t)
{
	struct ldr_iomem *io = parse_ok(t, DATA "many-17.txt");
	const struct ldr_range *r;
	bool ok = true;
	size_t n, i, nested = 0;

	if (!io)
		return;
	r = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &n);
	TAP_CHECK(t, n == 17, "17 crash ranges (got %zu)", n);
	for (i = 0; i < n; i++) {
		uint64_t want = 0x100000000ULL + i * 0x10000000ULL;

		ok = ok && r[i].start == want && ldr_range_size(&r[i]) == 16 * MiB;
		nested += r[i].depth == 2;
	}
	TAP_CHECK(t, ok, "17 crash ranges sorted by address whatever the file order");
	TAP_CHECK(t, nested == 4, "4 of them nested two deep (got %zu)", nested);
	TAP_CHECK(t, ldr_iomem_target_crash_range(io, 0) == 16, "target is the highest of 17");
	ldr_iomem_destroy(io);
}

static void test_nested_ram(struct tap *t)
{
	static const struct span want_dump[] = {
		{ 0x1000, 0x9fbff },
		{ 0x100000, 0x2affffff },
		{ 0x3b000000, 0x7ffdffff },
		{ 0x100000000, 0x1ffffffff },
		{ 0x300000000, 0x33fffffff },
	};
	struct ldr_iomem *io = parse_ok(t, DATA "nested-ram.txt");
	struct ldr_range *dump = NULL;
	struct kd_err err;
	enum kd_status st;
	size_t n, i;
	bool same;

	if (!io)
		return;
	ldr_iomem_ranges(io, LDR_RANGE_ACPI_TABLES, &n);
	TAP_CHECK(t, n == 1, "nested: ACPI Tables");
	ldr_iomem_ranges(io, LDR_RANGE_ACPI_NVS, &n);
	TAP_CHECK(t, n == 1, "nested: ACPI Non-volatile Storage");
	ldr_iomem_ranges(io, LDR_RANGE_PMEM, &n);
	TAP_CHECK(t, n == 1, "nested: Persistent Memory");
	ldr_iomem_ranges(io, LDR_RANGE_PMEM_LEGACY, &n);
	TAP_CHECK(t, n == 1, "nested: Persistent Memory (legacy)");
	ldr_iomem_ranges(io, LDR_RANGE_KERNEL_BSS, &n);
	TAP_CHECK(t, n == 1, "nested: Kernel bss");
	TAP_CHECK(t, ldr_iomem_entry_count(io) == 23, "nested: 23 entries (got %zu)",
		  ldr_iomem_entry_count(io));
	kd_err_clear(&err);
	st = ldr_iomem_dump_ranges(io, &dump, &n, &err);
	TAP_CHECK(t, st == KD_OK, "nested: dump ranges");
	same = n == sizeof(want_dump) / sizeof(want_dump[0]);
	for (i = 0; same && i < n; i++)
		same = dump[i].start == want_dump[i].start && dump[i].end == want_dump[i].end;
	TAP_CHECK(t, same, "nested: System RAM (kmem) merged, crash range cut out (%zu ranges)",
		  n);
	free(dump);
	ldr_iomem_destroy(io);
}

static void test_dump_x86(struct tap *t)
{
	struct ldr_iomem *io = parse_ok(t, DATA "x86-1g-256m.txt");
	struct ldr_range *dump = NULL;
	enum kd_status st;
	size_t n = 0;

	if (!io)
		return;
	st = ldr_iomem_dump_ranges(io, &dump, &n, NULL);
	TAP_CHECK(t, st == KD_OK && n == 3 &&
			     dump[1].start == 0x100000 && dump[1].end == 0x2effffff &&
			     dump[2].start == 0x3f000000 && dump[2].end == 0x3ffd9fff,
		  "x86 1G: dump ranges skip the crash range");
	free(dump);
	ldr_iomem_destroy(io);
}

struct bad_case {
	const char *file;
	const char *want;	/* substring of the message */
};

static const struct bad_case bad_cases[] = {
	{ DATA "bad-no-separator.txt", "line 2: expected ' : NAME'" },
	{ DATA "bad-end-below-start.txt", "line 3: end 0x2dffffff is below start 0x2e000000" },
	{ DATA "bad-too-big.txt", "line 2: end address does not fit in 64 bits" },
	{ DATA "bad-overlap.txt", "line 3: Crash kernel range 0x3d000000-0x3effffff overlaps" },
	{ DATA "bad-not-hex.txt", "line 2: expected '-' after the start address" },
	{ DATA "bad-outside-parent.txt", "line 2: range 0x2e000000-0x4dffffff lies outside" },
	{ DATA "bad-indent.txt", "line 2: odd indentation" },
	{ DATA "bad-too-deep.txt", "line 2: indented deeper" },
};

static void test_bad(struct tap *t)
{
	struct ldr_iomem *io;
	struct kd_err err;
	enum kd_status st;
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		io = NULL;
		kd_err_clear(&err);
		st = ldr_iomem_parse_file(bad_cases[i].file, &io, &err);
		TAP_CHECK(t, st == KD_ERR_CORRUPT && !io && strstr(err.msg, bad_cases[i].want),
			  "%s rejected: %s", bad_cases[i].file, err.msg);
	}
	kd_err_clear(&err);
	st = ldr_iomem_parse_file(DATA "nonroot.txt", &io, &err);
	TAP_CHECK(t, st == KD_ERR_SYSTEM && err.sys_errno == EPERM && strstr(err.msg, "run as root"),
		  "all-zero addresses (non-root view): %s", err.msg);
	kd_err_clear(&err);
	st = ldr_iomem_parse_file(DATA "does-not-exist.txt", &io, &err);
	TAP_CHECK(t, st == KD_ERR_SYSTEM && err.sys_errno == ENOENT,
		  "missing file: %s", err.msg);
}

struct buf_case {
	const char *name;
	const char *text;
	enum kd_status st;
	size_t crash;
};

static const struct buf_case buf_cases[] = {
	{ "empty text", "", KD_ERR_CORRUPT, 0 },
	{ "blank lines only", "\n\n  \n", KD_ERR_CORRUPT, 0 },
	{ "no final newline", "00100000-3fffffff : System RAM\n  2e000000-2fffffff : Crash kernel",
	  KD_OK, 1 },
	{ "CRLF line ends", "00100000-3fffffff : System RAM\r\n  2e000000-2fffffff : Crash kernel\r\n",
	  KD_OK, 1 },
	{ "uppercase hex", "00100000-3FFFFFFF : System RAM\n", KD_OK, 0 },
	{ "full 64-bit end", "0000000000000000-ffffffffffffffff : PCI mem\n", KD_OK, 0 },
	{ "leading zeros past 16 digits", "00000000000000000001-2 : x\n", KD_OK, 0 },
	{ "17 significant digits", "10000000000000000-20000000000000000 : x\n", KD_ERR_CORRUPT, 0 },
	{ "empty name", "00100000-3fffffff :\n", KD_OK, 0 },
	{ "missing end", "00100000- : System RAM\n", KD_ERR_CORRUPT, 0 },
	{ "tab indent", "00100000-3fffffff : System RAM\n\t2e000000-2fffffff : Crash kernel\n",
	  KD_ERR_CORRUPT, 0 },
	{ "duplicate crash range",
	  "00100000-3fffffff : System RAM\n  2e000000-2fffffff : Crash kernel\n"
	  "  2e000000-2fffffff : Crash kernel\n",
	  KD_ERR_CORRUPT, 0 },
	{ "name is not a prefix match", "00100000-3fffffff : Crash kernelX\n", KD_OK, 0 },
	{ "NUL byte", "00100000-3fffffff : System\0RAM\n", KD_ERR_CORRUPT, 0 },
};

static void test_bufs(struct tap *t)
{
	size_t i, n;

	for (i = 0; i < sizeof(buf_cases) / sizeof(buf_cases[0]); i++) {
		const struct buf_case *bc = &buf_cases[i];
		struct ldr_iomem *io = NULL;
		struct kd_err err;
		enum kd_status st;
		size_t len = strlen(bc->text);

		if (strcmp(bc->name, "NUL byte") == 0)
			len = sizeof("00100000-3fffffff : System\0RAM\n") - 1;
		kd_err_clear(&err);
		st = ldr_iomem_parse_buf(bc->name, bc->text, len, &io, &err);
		n = 0;
		if (io)
			ldr_iomem_ranges(io, LDR_RANGE_CRASH, &n);
		TAP_CHECK(t, st == bc->st && n == bc->crash, "buffer: %s (%s)", bc->name,
			  st ? err.msg : "ok");
		ldr_iomem_destroy(io);
	}
}

/* Thousands of ranges: the arrays grow many times (ASan watches every realloc). */
static void test_growth(struct tap *t)
{
	const size_t count = 5000;
	size_t cap = 64 + count * 64, len = 0, i, n;
	struct ldr_iomem *io = NULL;
	const struct ldr_range *r;
	struct kd_err err;
	enum kd_status st;
	char *text = malloc(cap);

	if (!text) {
		TAP_CHECK(t, 0, "growth: malloc");
		return;
	}
	len += (size_t)snprintf(text + len, cap - len, "0-fffffffffff : System RAM\n");
	for (i = count; i-- > 0;)
		len += (size_t)snprintf(text + len, cap - len, "  %zx-%zx : Crash kernel\n",
					i * 0x200000, i * 0x200000 + 0xfffff);
	kd_err_clear(&err);
	st = ldr_iomem_parse_buf("growth", text, len, &io, &err);
	TAP_CHECK(t, st == KD_OK,
		  "growth: %zu crash ranges parse (%s)", count, err.msg);
	if (io) {
		r = ldr_iomem_ranges(io, LDR_RANGE_CRASH, &n);
		TAP_CHECK(t, n == count && r[0].start == 0 && r[n - 1].start == (count - 1) * 0x200000,
			  "growth: all %zu kept and sorted", count);
	}
	ldr_iomem_destroy(io);
	free(text);
}

/* Mutated copies of a real capture: any result but a crash, a leak or an unknown status. */
static void test_mutations(struct tap *t)
{
	static const char alphabet[] = "0123456789abcdefABCDEFxg -:\n\r\t ";
	unsigned int seed = 12345, i, bad = 0, ok = 0, corrupt = 0;
	char *orig = NULL, *text;
	size_t len = 0;

	if (ldr_read_text_file(DATA "x86-6g-low-high.txt", 1 << 20, &orig, &len, NULL)) {
		TAP_CHECK(t, 0, "mutations: read fixture");
		return;
	}
	text = malloc(len + 1);
	for (i = 0; text && i < 3000; i++) {
		struct ldr_iomem *io = NULL;
		size_t n = len, k, flips;
		enum kd_status st;
		struct kd_err err;

		memcpy(text, orig, len);
		seed = seed * 1103515245 + 12345;
		flips = 1 + (seed >> 16) % 3;
		for (k = 0; k < flips; k++) {
			seed = seed * 1103515245 + 12345;
			text[(seed >> 8) % len] = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		if (i % 7 == 0) {
			seed = seed * 1103515245 + 12345;
			n = (seed >> 8) % len;
		}
		st = ldr_iomem_parse_buf("mutated", text, n, &io, &err);
		if (st == KD_OK)
			ok++;
		else if (st == KD_ERR_CORRUPT && strstr(err.msg, "line"))
			corrupt++;
		else if (!(st == KD_ERR_CORRUPT || (st == KD_ERR_SYSTEM && err.sys_errno == EPERM)))
			bad++;
		ldr_iomem_destroy(io);
	}
	TAP_CHECK(t, text && bad == 0 && ok > 0 && corrupt > 0,
		  "mutations: 3000 damaged captures, %u parse, %u rejected with a line number", ok,
		  corrupt);
	free(text);
	free(orig);
}

static void test_names(struct tap *t)
{
	TAP_CHECK(t, strcmp(ldr_range_kind_name(LDR_RANGE_CRASH), "crash-kernel") == 0,
		  "kind name crash-kernel");
	TAP_CHECK(t, strcmp(ldr_range_kind_name(LDR_RANGE_KINDS), "invalid") == 0,
		  "kind name out of range");
	ldr_iomem_destroy(NULL);
	TAP_CHECK(t, 1, "ldr_iomem_destroy(NULL) is a no-op");
}

int main(void)
{
	struct tap t = { 0 };

	test_crash_cases(&t);
	test_field_case(&t);
	test_x86_split(&t);
	test_many(&t);
	test_nested_ram(&t);
	test_dump_x86(&t);
	test_bad(&t);
	test_bufs(&t);
	test_growth(&t);
	test_mutations(&t);
	test_names(&t);
	return tap_finish(&t);
}
