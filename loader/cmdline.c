/* The capture kernel's command line: reused words, the user's words, kdump defaults. */
#include "loader/loader-priv.h"

#include <stdlib.h>
#include <string.h>

const char ldr_default_params[] = "irqpoll nr_cpus=1 reset_devices";

struct words {
	char *kernel;	/* parameters for the kernel */
	size_t kernel_len;
	char *init;	/* arguments after "--", for init */
	size_t init_len;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Next word of @*s; double quotes keep spaces inside a word. */
static bool next_word(const char **s, const char **word, size_t *len)
{
	const char *p = *s;
	bool quoted = false;

	while (*p && is_space(*p))
		p++;
	if (!*p)
		return false;
	*word = p;
	for (; *p && (quoted || !is_space(*p)); p++)
		if (*p == '"')
			quoted = !quoted;
	*len = (size_t)(p - *word);
	*s = p;
	return true;
}

/* The parameter name: up to '=' (or the whole word). */
static size_t param_name_len(const char *word, size_t len)
{
	const char *eq = memchr(word, '=', len);

	return eq ? (size_t)(eq - word) : len;
}

static bool name_eq(const char *word, size_t len, const char *name)
{
	size_t n = param_name_len(word, len);

	return n == strlen(name) && memcmp(word, name, n) == 0;
}

static bool append_word(char **buf, size_t *blen, const char *word, size_t len)
{
	char *p = realloc(*buf, *blen + len + 2);

	if (!p)
		return false;
	if (*blen)
		p[(*blen)++] = ' ';
	memcpy(p + *blen, word, len);
	*blen += len;
	p[*blen] = '\0';
	*buf = p;
	return true;
}

static bool has_param(const struct words *w, const char *word, size_t len)
{
	const char *s = w->kernel ? w->kernel : "", *cur;
	size_t clen, n = param_name_len(word, len);
	char name[64];

	if (n >= sizeof(name))
		return false;
	memcpy(name, word, n);
	name[n] = '\0';
	while (next_word(&s, &cur, &clen))
		if (name_eq(cur, clen, name))
			return true;
	return false;
}

/* Add the words of @text; with @filter, drop crashkernel= and BOOT_IMAGE=. */
static bool add_text(struct words *w, const char *text, bool filter)
{
	bool after_dashes = false;
	const char *word;
	size_t len;

	while (text && next_word(&text, &word, &len)) {
		if (!after_dashes && len == 2 && memcmp(word, "--", 2) == 0) {
			after_dashes = true;
			continue;
		}
		if (after_dashes) {
			if (!append_word(&w->init, &w->init_len, word, len))
				return false;
			continue;
		}
		if (filter && (name_eq(word, len, "crashkernel") || name_eq(word, len, "BOOT_IMAGE")))
			continue;
		if (!append_word(&w->kernel, &w->kernel_len, word, len))
			return false;
	}
	return true;
}

static bool add_defaults(struct words *w)
{
	const char *s = ldr_default_params, *word;
	size_t len;

	while (next_word(&s, &word, &len))
		if (!has_param(w, word, len) && !append_word(&w->kernel, &w->kernel_len, word, len))
			return false;
	return true;
}

static bool quotes_balanced(const char *s)
{
	bool quoted = false;

	for (; s && *s; s++)
		if (*s == '"')
			quoted = !quoted;
	return !quoted;
}

enum kd_status ldr_cmdline_build(const char *reuse, const char *append, bool no_defaults,
				 char **ret, struct kd_err *err)
{
	struct words w = { 0 };
	char *out = NULL;
	size_t out_len = 0;
	bool ok;

	if (!quotes_balanced(append))
		return kd_err_set(err, KD_ERR_INVALID, "unbalanced double quote in '%s'", append);
	ok = add_text(&w, reuse, true) && add_text(&w, append, false) &&
	     (no_defaults || add_defaults(&w));
	if (ok && w.kernel)
		ok = append_word(&out, &out_len, w.kernel, w.kernel_len);
	if (ok && w.init)
		ok = append_word(&out, &out_len, "--", 2) &&
		     append_word(&out, &out_len, w.init, w.init_len);
	if (ok && !out)
		ok = (out = calloc(1, 1)) != NULL;
	free(w.kernel);
	free(w.init);
	if (!ok) {
		free(out);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory building the command line");
	}
	*ret = out;
	return KD_OK;
}
