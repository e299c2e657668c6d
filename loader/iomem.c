/* /proc/iomem parser: every entry checked, kept in per-kind growable arrays. */
#include "loader/loader-priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	IOMEM_MAX_DEPTH = 32,
	IOMEM_MAX_BYTES = 64 << 20,
};

struct ldr_iomem {
	struct ldr_range_vec kinds[LDR_RANGE_KINDS];
	size_t entries;
};

struct iomem_parser {
	const char *name;
	struct ldr_iomem *io;
	struct ldr_range parents[IOMEM_MAX_DEPTH];
	unsigned int n_parents;
	bool any_nonzero;
	struct kd_err *err;
};

static const struct {
	const char *name;
	enum ldr_range_kind kind;
} iomem_names[] = {
	{ "System RAM", LDR_RANGE_SYSTEM_RAM },
	{ "Crash kernel", LDR_RANGE_CRASH },
	{ "Kernel code", LDR_RANGE_KERNEL_CODE },
	{ "Kernel rodata", LDR_RANGE_KERNEL_RODATA },
	{ "Kernel data", LDR_RANGE_KERNEL_DATA },
	{ "Kernel bss", LDR_RANGE_KERNEL_BSS },
	{ "ACPI Tables", LDR_RANGE_ACPI_TABLES },
	{ "ACPI Non-volatile Storage", LDR_RANGE_ACPI_NVS },
	{ "Reserved", LDR_RANGE_RESERVED },
	{ "reserved", LDR_RANGE_RESERVED },
	{ "Persistent Memory", LDR_RANGE_PMEM },
	{ "Persistent Memory (legacy)", LDR_RANGE_PMEM_LEGACY },
};

static const char *const kind_names[LDR_RANGE_KINDS] = {
	[LDR_RANGE_OTHER] = "other",
	[LDR_RANGE_SYSTEM_RAM] = "system-ram",
	[LDR_RANGE_CRASH] = "crash-kernel",
	[LDR_RANGE_KERNEL_CODE] = "kernel-code",
	[LDR_RANGE_KERNEL_RODATA] = "kernel-rodata",
	[LDR_RANGE_KERNEL_DATA] = "kernel-data",
	[LDR_RANGE_KERNEL_BSS] = "kernel-bss",
	[LDR_RANGE_ACPI_TABLES] = "acpi-tables",
	[LDR_RANGE_ACPI_NVS] = "acpi-nvs",
	[LDR_RANGE_RESERVED] = "reserved",
	[LDR_RANGE_PMEM] = "persistent-memory",
	[LDR_RANGE_PMEM_LEGACY] = "persistent-memory-legacy",
};

const char *ldr_range_kind_name(enum ldr_range_kind kind)
{
	if ((unsigned int)kind >= LDR_RANGE_KINDS)
		return "invalid";
	return kind_names[kind];
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(name, want, len) == 0;
}

static enum ldr_range_kind classify(const char *name, size_t len)
{
	static const char ram_prefix[] = "System RAM (";
	size_t i;

	for (i = 0; i < sizeof(iomem_names) / sizeof(iomem_names[0]); i++)
		if (name_is(name, len, iomem_names[i].name))
			return iomem_names[i].kind;
	/* hot-plugged or driver-managed RAM: "System RAM (kmem)", "(virtio_mem)" */
	if (len > sizeof(ram_prefix) - 1 && memcmp(name, ram_prefix, sizeof(ram_prefix) - 1) == 0 &&
	    name[len - 1] == ')')
		return LDR_RANGE_SYSTEM_RAM;
	return LDR_RANGE_OTHER;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse hex digits at *@pos (before @end); advances *@pos. */
static enum kd_status parse_hex(struct iomem_parser *p, unsigned int lineno, const char **pos,
				const char *end, const char *what, uint64_t *ret)
{
	const char *s = *pos;
	uint64_t v = 0;
	int d;

	if (s == end || hex_digit(*s) < 0)
		return kd_err_set(p->err, KD_ERR_CORRUPT,
				  "'%s' line %u: expected a hexadecimal %s address", p->name, lineno,
				  what);
	for (; s < end && (d = hex_digit(*s)) >= 0; s++) {
		if (v >> 60)
			return kd_err_set(p->err, KD_ERR_CORRUPT,
					  "'%s' line %u: %s address does not fit in 64 bits", p->name,
					  lineno, what);
		v = v << 4 | (uint64_t)d;
	}
	*pos = s;
	*ret = v;
	return KD_OK;
}

static enum kd_status check_nesting(struct iomem_parser *p, const struct ldr_range *r)
{
	const struct ldr_range *parent;

	if (r->depth > p->n_parents)
		return kd_err_set(p->err, KD_ERR_CORRUPT,
				  "'%s' line %u: indented deeper than the entry it would belong to",
				  p->name, r->line);
	if (r->depth >= IOMEM_MAX_DEPTH)
		return kd_err_set(p->err, KD_ERR_CORRUPT, "'%s' line %u: nested more than %d levels",
				  p->name, r->line, IOMEM_MAX_DEPTH);
	if (r->depth == 0)
		return KD_OK;
	parent = &p->parents[r->depth - 1];
	if (r->start < parent->start || r->end > parent->end)
		return kd_err_set(p->err, KD_ERR_CORRUPT,
				  "'%s' line %u: range %#llx-%#llx lies outside its parent "
				  "%#llx-%#llx at line %u",
				  p->name, r->line, (unsigned long long)r->start,
				  (unsigned long long)r->end, (unsigned long long)parent->start,
				  (unsigned long long)parent->end, parent->line);
	return KD_OK;
}

static enum kd_status parse_line(struct iomem_parser *p, const char *s, const char *end,
				 unsigned int lineno)
{
	static const char sep[] = " : ";
	const size_t seplen = sizeof(sep) - 1;
	struct ldr_range r = { .line = lineno };
	const char *name;
	size_t indent = 0;
	enum kd_status st;

	while (end > s && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t'))
		end--;
	if (end == s)
		return KD_OK; /* blank line */
	while (s + indent < end && s[indent] == ' ')
		indent++;
	if (indent % 2)
		return kd_err_set(p->err, KD_ERR_CORRUPT,
				  "'%s' line %u: odd indentation (%zu spaces)", p->name, lineno,
				  indent);
	r.depth = (unsigned int)(indent / 2 > IOMEM_MAX_DEPTH ? IOMEM_MAX_DEPTH : indent / 2);
	s += indent;
	st = parse_hex(p, lineno, &s, end, "start", &r.start);
	if (st)
		return st;
	if (s == end || *s != '-')
		return kd_err_set(p->err, KD_ERR_CORRUPT,
				  "'%s' line %u: expected '-' after the start address", p->name,
				  lineno);
	s++;
	st = parse_hex(p, lineno, &s, end, "end", &r.end);
	if (st)
		return st;
	if ((size_t)(end - s) < seplen || memcmp(s, sep, seplen) != 0) {
		if ((size_t)(end - s) == seplen - 1 && memcmp(s, sep, seplen - 1) == 0) {
			s = end; /* " :" with an empty name */
		} else {
			return kd_err_set(p->err, KD_ERR_CORRUPT,
					  "'%s' line %u: expected ' : NAME' after the address range",
					  p->name, lineno);
		}
	} else {
		s += seplen;
	}
	name = s;
	if (r.end < r.start)
		return kd_err_set(p->err, KD_ERR_CORRUPT,
				  "'%s' line %u: end %#llx is below start %#llx", p->name, lineno,
				  (unsigned long long)r.end, (unsigned long long)r.start);
	st = check_nesting(p, &r);
	if (st)
		return st;
	r.kind = classify(name, (size_t)(end - name));
	st = ldr_range_vec_push(&p->io->kinds[r.kind], &r, p->err);
	if (st)
		return kd_err_prefix(p->err, "'%s' line %u", p->name, lineno);
	p->parents[r.depth] = r;
	p->n_parents = r.depth + 1;
	p->io->entries++;
	if (r.start || r.end)
		p->any_nonzero = true;
	return KD_OK;
}

static enum kd_status check_crash_overlap(struct iomem_parser *p)
{
	const struct ldr_range_vec *c = &p->io->kinds[LDR_RANGE_CRASH];
	size_t i;

	for (i = 1; i < c->n; i++) {
		const struct ldr_range *a = &c->v[i - 1], *b = &c->v[i];

		if (b->start <= a->end)
			return kd_err_set(p->err, KD_ERR_CORRUPT,
					  "'%s' line %u: Crash kernel range %#llx-%#llx overlaps "
					  "%#llx-%#llx at line %u",
					  p->name, b->line, (unsigned long long)b->start,
					  (unsigned long long)b->end, (unsigned long long)a->start,
					  (unsigned long long)a->end, a->line);
	}
	return KD_OK;
}

static enum kd_status parse_all(struct iomem_parser *p, const char *buf, size_t len)
{
	const char *s = buf, *end = buf + len;
	unsigned int lineno = 0;
	enum kd_status st;
	int k;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;

		lineno++;
		if (memchr(s, '\0', (size_t)(eol - s)))
			return kd_err_set(p->err, KD_ERR_CORRUPT, "'%s' line %u: NUL byte in text",
					  p->name, lineno);
		st = parse_line(p, s, eol, lineno);
		if (st)
			return st;
		s = nl ? nl + 1 : end;
	}
	if (p->io->entries == 0)
		return kd_err_set(p->err, KD_ERR_CORRUPT, "'%s' has no entries", p->name);
	if (!p->any_nonzero) {
		kd_err_set(p->err, KD_ERR_SYSTEM,
			   "'%s' shows only zero addresses (it hides them from non-root users): "
			   "run as root",
			   p->name);
		if (p->err)
			p->err->sys_errno = EPERM;
		return KD_ERR_SYSTEM;
	}
	for (k = 0; k < LDR_RANGE_KINDS; k++)
		ldr_range_vec_sort(&p->io->kinds[k]);
	return check_crash_overlap(p);
}

void ldr_iomem_destroy(struct ldr_iomem *io)
{
	int k;

	if (!io)
		return;
	for (k = 0; k < LDR_RANGE_KINDS; k++)
		ldr_range_vec_deinit(&io->kinds[k]);
	free(io);
}

enum kd_status ldr_iomem_parse_buf(const char *name, const char *buf, size_t len,
				   struct ldr_iomem **ret, struct kd_err *err)
{
	struct iomem_parser p = { .name = name, .err = err };
	enum kd_status st;

	p.io = calloc(1, sizeof(*p.io));
	if (!p.io)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory parsing '%s'", name);
	st = parse_all(&p, buf, len);
	if (st) {
		ldr_iomem_destroy(p.io);
		return st;
	}
	*ret = p.io;
	return KD_OK;
}

enum kd_status ldr_iomem_parse_file(const char *path, struct ldr_iomem **ret, struct kd_err *err)
{
	enum kd_status st;
	size_t len;
	char *buf;

	st = ldr_read_text_file(path, IOMEM_MAX_BYTES, &buf, &len, err);
	if (st)
		return st;
	st = ldr_iomem_parse_buf(path, buf, len, ret, err);
	free(buf);
	return st;
}

const struct ldr_range *ldr_iomem_ranges(const struct ldr_iomem *io, enum ldr_range_kind kind,
					 size_t *count_ret)
{
	if ((unsigned int)kind >= LDR_RANGE_KINDS) {
		*count_ret = 0;
		return NULL;
	}
	*count_ret = io->kinds[kind].n;
	return io->kinds[kind].v;
}

size_t ldr_iomem_entry_count(const struct ldr_iomem *io)
{
	return io->entries;
}

long ldr_iomem_target_crash_range(const struct ldr_iomem *io, uint64_t crash_size)
{
	const struct ldr_range_vec *c = &io->kinds[LDR_RANGE_CRASH];
	long match = -1;
	size_t i, matches = 0;

	if (c->n == 0)
		return -1;
	if (crash_size) {
		for (i = 0; i < c->n; i++) {
			if (ldr_range_size(&c->v[i]) == crash_size) {
				match = (long)i;
				matches++;
			}
		}
		if (matches == 1)
			return match;
	}
	return (long)c->n - 1;
}
