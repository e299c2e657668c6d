/* VMCOREINFO text parsed into a typed table; unknown keys kept, bad values refused. */
#include "formats/formats.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VMCI_MAX_TEXT (1u << 20)
#define VMCI_MAX_LINE 1024

struct vmci_entry {
	enum fmt_vmci_kind kind;
	char *key;	/* the name inside the parentheses, or the plain key */
	char *value;	/* text after '=' */
	uint64_t u;	/* parsed value for typed kinds */
};

struct fmt_vmcoreinfo {
	struct vmci_entry *e;
	size_t n;
	size_t cap;
	uint64_t pagesize;
	int64_t crashtime;
	bool has_kerneloffset;
	uint64_t kerneloffset;
};

static const struct {
	const char *prefix;
	enum fmt_vmci_kind kind;
} vmci_prefixes[] = {
	{ "SYMBOL(", FMT_VMCI_SYMBOL }, { "SIZE(", FMT_VMCI_SIZE },
	{ "OFFSET(", FMT_VMCI_OFFSET }, { "LENGTH(", FMT_VMCI_LENGTH },
	{ "NUMBER(", FMT_VMCI_NUMBER },
};

/* Parse the whole of @s as a number in @base; signed allows a leading '-'. */
static bool parse_num(const char *s, int base, bool is_signed, uint64_t *ret)
{
	char *end;

	if (!*s || isspace((unsigned char)*s) || (!is_signed && *s == '-') || *s == '+')
		return false;
	errno = 0;
	if (is_signed) {
		long long v = strtoll(s, &end, base);

		if (errno || *end)
			return false;
		*ret = (uint64_t)v;
	} else {
		unsigned long long v = strtoull(s, &end, base);

		if (errno || *end)
			return false;
		*ret = v;
	}
	return true;
}

static void vmci_free_entries(struct fmt_vmcoreinfo *vi)
{
	for (size_t i = 0; i < vi->n; i++) {
		free(vi->e[i].key);
		free(vi->e[i].value);
	}
	free(vi->e);
}

void fmt_vmcoreinfo_destroy(struct fmt_vmcoreinfo *vi)
{
	if (!vi)
		return;
	vmci_free_entries(vi);
	free(vi);
}

static enum kd_status vmci_add(struct fmt_vmcoreinfo *vi, enum fmt_vmci_kind kind,
			       const char *key, size_t keylen, const char *value, uint64_t u,
			       struct kd_err *err)
{
	struct vmci_entry *e;

	if (vi->n == vi->cap) {
		size_t ncap = vi->cap ? vi->cap * 2 : 64;
		struct vmci_entry *ne = realloc(vi->e, ncap * sizeof(*ne));

		if (!ne)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory for VMCOREINFO");
		vi->e = ne;
		vi->cap = ncap;
	}
	e = &vi->e[vi->n];
	e->kind = kind;
	e->u = u;
	e->key = strndup(key, keylen);
	e->value = strdup(value);
	if (!e->key || !e->value) {
		free(e->key);
		free(e->value);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for VMCOREINFO");
	}
	vi->n++;
	return KD_OK;
}

static enum kd_status bad_line(struct kd_err *err, unsigned lineno, const char *line,
			       const char *why)
{
	return kd_err_set(err, KD_ERR_CORRUPT, "VMCOREINFO line %u '%.80s': %s", lineno, line, why);
}

/* Typed plain keys are validated so that later users can trust them. */
static enum kd_status vmci_plain(struct fmt_vmcoreinfo *vi, const char *line, size_t keylen,
				 const char *value, unsigned lineno, struct kd_err *err)
{
	uint64_t u = 0;

	if (keylen == 8 && !strncmp(line, "PAGESIZE", 8)) {
		if (!parse_num(value, 10, false, &u) || u < 512 || u > (1u << 20) || (u & (u - 1)))
			return bad_line(err, lineno, line, "PAGESIZE is not a power of two");
		vi->pagesize = u;
	} else if (keylen == 9 && !strncmp(line, "CRASHTIME", 9)) {
		if (!parse_num(value, 10, true, &u))
			return bad_line(err, lineno, line, "CRASHTIME is not a decimal number");
		vi->crashtime = (int64_t)u;
	} else if (keylen == 12 && !strncmp(line, "KERNELOFFSET", 12)) {
		if (!parse_num(value, 16, false, &u))
			return bad_line(err, lineno, line, "KERNELOFFSET is not a hex number");
		vi->has_kerneloffset = true;
		vi->kerneloffset = u;
	}
	return vmci_add(vi, FMT_VMCI_PLAIN, line, keylen, value, u, err);
}

static enum kd_status vmci_line(struct fmt_vmcoreinfo *vi, char *line, unsigned lineno,
				struct kd_err *err)
{
	char *eq = strchr(line, '=');

	if (!eq || eq == line)
		return bad_line(err, lineno, line, "expected KEY=VALUE");
	*eq = '\0';
	const char *value = eq + 1;

	for (size_t i = 0; i < sizeof(vmci_prefixes) / sizeof(vmci_prefixes[0]); i++) {
		size_t plen = strlen(vmci_prefixes[i].prefix);
		enum fmt_vmci_kind kind = vmci_prefixes[i].kind;
		size_t len = strlen(line);
		uint64_t u;
		bool ok;

		if (strncmp(line, vmci_prefixes[i].prefix, plen) != 0)
			continue;
		if (len <= plen + 1 || line[len - 1] != ')') {
			*eq = '=';
			return bad_line(err, lineno, line, "unterminated key");
		}
		/* decimal as the kernel prints them, but some arch lines use 0x%lx
		 * (6.12 x86_64: NUMBER(VMALLOC_START)=0xff6c...) */
		bool hex = value[0] == '0' && (value[1] == 'x' || value[1] == 'X');

		if (kind == FMT_VMCI_SYMBOL)
			ok = parse_num(value, 16, false, &u);
		else if (hex)
			ok = parse_num(value + 2, 16, false, &u);
		else if (kind == FMT_VMCI_NUMBER)
			ok = parse_num(value, 10, true, &u);
		else
			ok = parse_num(value, 10, false, &u);
		if (!ok) {
			*eq = '=';
			return bad_line(err, lineno, line,
					kind == FMT_VMCI_SYMBOL ? "value is not a hex address"
								: "value is not a decimal number");
		}
		return vmci_add(vi, kind, line + plen, len - plen - 1, value, u, err);
	}
	return vmci_plain(vi, line, strlen(line), value, lineno, err);
}

enum kd_status fmt_vmcoreinfo_parse(const char *text, size_t len, struct fmt_vmcoreinfo **ret,
				    struct kd_err *err)
{
	struct fmt_vmcoreinfo *vi;
	char line[VMCI_MAX_LINE + 1];
	unsigned lineno = 0;
	size_t pos = 0;

	if (len > VMCI_MAX_TEXT)
		return kd_err_set(err, KD_ERR_CORRUPT, "VMCOREINFO is too large (%zu bytes)", len);
	vi = calloc(1, sizeof(*vi));
	if (!vi)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for VMCOREINFO");
	while (pos < len) {
		size_t end = pos;
		enum kd_status st;

		while (end < len && text[end] != '\n' && text[end] != '\0')
			end++;
		lineno++;
		if (end - pos > VMCI_MAX_LINE) {
			fmt_vmcoreinfo_destroy(vi);
			return kd_err_set(err, KD_ERR_CORRUPT, "VMCOREINFO line %u is too long", lineno);
		}
		memcpy(line, text + pos, end - pos);
		line[end - pos] = '\0';
		if (end < len && text[end] == '\0')
			end = len;	/* the note's terminating NUL and padding */
		pos = end + 1;
		if (!line[0])
			continue;
		for (const char *c = line; *c; c++) {
			if (!isprint((unsigned char)*c)) {
				fmt_vmcoreinfo_destroy(vi);
				return kd_err_set(err, KD_ERR_CORRUPT,
						  "VMCOREINFO line %u contains a non-printable byte %#x",
						  lineno, (unsigned char)*c);
			}
		}
		st = vmci_line(vi, line, lineno, err);
		if (st != KD_OK) {
			fmt_vmcoreinfo_destroy(vi);
			return st;
		}
	}
	if (!vi->n) {
		fmt_vmcoreinfo_destroy(vi);
		return kd_err_set(err, KD_ERR_CORRUPT, "VMCOREINFO is empty");
	}
	*ret = vi;
	return KD_OK;
}

static const struct vmci_entry *vmci_find(const struct fmt_vmcoreinfo *vi,
					  enum fmt_vmci_kind kind, const char *key)
{
	/* Last one wins, as a later line overrides an earlier one in the kernel's text. */
	for (size_t i = vi->n; i-- > 0;) {
		if (vi->e[i].kind == kind && strcmp(vi->e[i].key, key) == 0)
			return &vi->e[i];
	}
	return NULL;
}

static bool vmci_get(const struct fmt_vmcoreinfo *vi, enum fmt_vmci_kind kind, const char *key,
		     uint64_t *ret)
{
	const struct vmci_entry *e = vmci_find(vi, kind, key);

	if (!e)
		return false;
	*ret = e->u;
	return true;
}

bool fmt_vmci_symbol(const struct fmt_vmcoreinfo *vi, const char *name, uint64_t *ret)
{
	return vmci_get(vi, FMT_VMCI_SYMBOL, name, ret);
}

bool fmt_vmci_size(const struct fmt_vmcoreinfo *vi, const char *name, uint64_t *ret)
{
	return vmci_get(vi, FMT_VMCI_SIZE, name, ret);
}

bool fmt_vmci_offset(const struct fmt_vmcoreinfo *vi, const char *name, uint64_t *ret)
{
	return vmci_get(vi, FMT_VMCI_OFFSET, name, ret);
}

bool fmt_vmci_length(const struct fmt_vmcoreinfo *vi, const char *name, uint64_t *ret)
{
	return vmci_get(vi, FMT_VMCI_LENGTH, name, ret);
}

bool fmt_vmci_number(const struct fmt_vmcoreinfo *vi, const char *name, int64_t *ret)
{
	uint64_t u;

	if (!vmci_get(vi, FMT_VMCI_NUMBER, name, &u))
		return false;
	*ret = (int64_t)u;
	return true;
}

const char *fmt_vmci_str(const struct fmt_vmcoreinfo *vi, const char *key)
{
	const struct vmci_entry *e = vmci_find(vi, FMT_VMCI_PLAIN, key);

	return e ? e->value : NULL;
}

uint64_t fmt_vmci_pagesize(const struct fmt_vmcoreinfo *vi)
{
	return vi->pagesize;
}

int64_t fmt_vmci_crashtime(const struct fmt_vmcoreinfo *vi)
{
	return vi->crashtime;
}

bool fmt_vmci_kerneloffset(const struct fmt_vmcoreinfo *vi, uint64_t *ret)
{
	if (vi->has_kerneloffset)
		*ret = vi->kerneloffset;
	return vi->has_kerneloffset;
}

size_t fmt_vmci_count(const struct fmt_vmcoreinfo *vi)
{
	return vi->n;
}
