/* --config: the erase commands of a makedumpfile.conf(5) filter file, parsed (no kernel needed). */
#include "collector/erase-priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX (1u << 20)

static bool is_expr(const char *s)
{
	bool want_name = true;

	for (; *s; s++) {
		if (*s == '.') {
			if (want_name)
				return false;
			want_name = true;
		} else if (isalnum((unsigned char)*s) || *s == '_') {
			want_name = false;
		} else {
			return false;
		}
	}
	return !want_name;
}

/* "123", "4K", "1m": bytes. */
static bool parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	if ((*end == 'k' || *end == 'K') && !end[1] && v <= UINT64_MAX / 1024)
		v *= 1024;
	else if ((*end == 'm' || *end == 'M') && !end[1] && v <= UINT64_MAX / (1024 * 1024))
		v *= 1024 * 1024;
	else if (*end)
		return false;
	*ret = v;
	return v > 0;
}

static enum kd_status add_cmd(struct col_erase_cfg *cfg, const struct col_erase_cmd *c,
			      struct kd_err *err)
{
	struct col_erase_cmd *n = col_erase_grow(cfg->cmds, cfg->ncmds, &cfg->cap, sizeof(*n));

	if (!n)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	cfg->cmds = n;
	cfg->cmds[cfg->ncmds++] = *c;
	return KD_OK;
}

static enum kd_status add_loop(struct col_erase_cfg *cfg, const struct col_erase_loop *l,
			       struct kd_err *err)
{
	struct col_erase_loop *n = col_erase_grow(cfg->loops, cfg->nloops, &cfg->loops_cap,
						  sizeof(*n));

	if (!n)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	cfg->loops = n;
	cfg->loops[cfg->nloops++] = *l;
	return KD_OK;
}

static bool is_name(const char *s, size_t max)
{
	return strlen(s) < max && is_expr(s) && !strchr(s, '.');
}

/* "for ID in LIST", "... via NEXT", "... within STRUCT:MEMBER" */
static enum kd_status parse_for(char **w, size_t n, struct col_erase_loop *l, struct kd_err *err)
{
	char *colon;

	if ((n != 4 && n != 6) || strcmp(w[2], "in") || !is_name(w[1], sizeof(l->id)) ||
	    strlen(w[3]) >= sizeof(l->list) || !is_expr(w[3]))
		return kd_err_set(err, KD_ERR_INVALID, "expected 'for ID in SYMBOL[.member...] "
				  "[via NEXT | within STRUCT:MEMBER]'");
	snprintf(l->id, sizeof(l->id), "%s", w[1]);
	snprintf(l->list, sizeof(l->list), "%s", w[3]);
	l->kind = COL_LOOP_ARRAY;
	if (n == 4)
		return KD_OK;
	if (!strcmp(w[4], "via") && is_name(w[5], sizeof(l->next))) {
		l->kind = COL_LOOP_VIA;
		snprintf(l->next, sizeof(l->next), "%s", w[5]);
		return KD_OK;
	}
	colon = strchr(w[5], ':');
	if (strcmp(w[4], "within") || !colon)
		return kd_err_set(err, KD_ERR_INVALID, "expected 'via NEXT' or 'within STRUCT:MEMBER'");
	*colon = '\0';
	if (!is_name(w[5], sizeof(l->sname)) || !is_name(colon + 1, sizeof(l->smember)))
		return kd_err_set(err, KD_ERR_INVALID, "expected 'within STRUCT:MEMBER'");
	l->kind = COL_LOOP_WITHIN;
	snprintf(l->sname, sizeof(l->sname), "%s", w[5]);
	snprintf(l->smember, sizeof(l->smember), "%s", colon + 1);
	return KD_OK;
}

/* One line's words (at most @max), cut in place at blanks; the count. */
static size_t split_words(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *p = strtok_r(line, " \t\r", &save); p; p = strtok_r(NULL, " \t\r", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = p;
	}
	return n;
}

static enum kd_status parse_erase(char **w, size_t n, struct col_erase_cmd *c, struct kd_err *err)
{
	if (n < 2 || n > 4 || strlen(w[1]) >= sizeof(c->expr) || !is_expr(w[1]))
		return kd_err_set(err, KD_ERR_INVALID,
				  "expected 'erase SYMBOL[.member...] [size SIZE|nullify]'");
	snprintf(c->expr, sizeof(c->expr), "%s", w[1]);
	c->how = COL_ERASE_BY_TYPE;
	if (n == 2)
		return KD_OK;
	if (n == 3 && !strcmp(w[2], "nullify")) {
		c->how = COL_ERASE_NULLIFY;
		return KD_OK;
	}
	if (n != 4 || strcmp(w[2], "size"))
		return kd_err_set(err, KD_ERR_INVALID, "expected 'size SIZE' or 'nullify' after '%s'",
				  w[1]);
	if (parse_size(w[3], &c->size)) {
		c->how = COL_ERASE_SIZE;
		return KD_OK;
	}
	if (isdigit((unsigned char)w[3][0]) || strlen(w[3]) >= sizeof(c->size_expr) ||
	    !is_expr(w[3]))
		return kd_err_set(err, KD_ERR_INVALID,
				  "size '%s' is neither a positive number (K, M suffixes) nor SYMBOL[.member...]",
				  w[3]);
	snprintf(c->size_expr, sizeof(c->size_expr), "%s", w[3]);
	c->how = COL_ERASE_SIZE_OF;
	return KD_OK;
}

enum kd_status col_erase_cfg_parse(const char *text, size_t len, const char *path,
				   struct col_erase_cfg **ret, struct kd_err *err)
{
	struct col_erase_cfg *cfg = calloc(1, sizeof(*cfg));
	char module[64] = "vmlinux";
	enum kd_status st = KD_OK;
	unsigned lineno = 0;
	int loop = -1;		/* the open for ... endfor */

	if (!cfg)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	for (const char *p = text; p < text + len && st == KD_OK;) {
		const char *e = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(text + len - p);
		char line[1024], *w[7], *hash;
		size_t nw;

		lineno++;
		if (n >= sizeof(line) || memchr(p, '\0', n)) {
			st = kd_err_set(err, KD_ERR_INVALID, "'%s' line %u: not a text line of at most %zu bytes",
					path, lineno, sizeof(line) - 1);
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = e ? e + 1 : text + len;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		nw = split_words(line, w, 7);
		if (nw == 0)
			continue;
		if (w[0][0] == '[') {
			size_t l = strlen(w[0]);

			if (nw != 1 || l < 3 || w[0][l - 1] != ']' || l - 2 >= sizeof(module)) {
				st = kd_err_set(err, KD_ERR_INVALID, "'%s' line %u: expected '[MODULE]'",
						path, lineno);
				break;
			}
			snprintf(module, sizeof(module), "%.*s", (int)(l - 2), w[0] + 1);
			continue;
		}
		if (!strcmp(w[0], "for")) {
			struct col_erase_loop l = { .line = lineno };

			if (loop >= 0)
				st = kd_err_set(err, KD_ERR_INVALID, "loops do not nest (the loop of line %u "
						"has no 'endfor')", cfg->loops[loop].line);
			else if (nw > 6)
				st = kd_err_set(err, KD_ERR_INVALID, "expected 'for ID in SYMBOL[.member...] "
						"[via NEXT | within STRUCT:MEMBER]'");
			else
				st = parse_for(w, nw, &l, err);
			if (st == KD_OK)
				st = add_loop(cfg, &l, err);
			if (st != KD_OK) {
				kd_err_prefix(err, "'%s' line %u", path, lineno);
				break;
			}
			loop = (int)cfg->nloops - 1;
			continue;
		}
		if (!strcmp(w[0], "endfor")) {
			if (loop < 0 || nw != 1) {
				st = kd_err_set(err, KD_ERR_INVALID, "'%s' line %u: 'endfor' %s", path,
						lineno, loop < 0 ? "without 'for'" : "takes nothing after it");
				break;
			}
			loop = -1;
			continue;
		}
		if (strcmp(w[0], "erase")) {
			st = kd_err_set(err, KD_ERR_INVALID, "'%s' line %u: unknown command '%s'", path,
					lineno, w[0]);
			break;
		}
		struct col_erase_cmd c = { .line = lineno, .loop = loop };

		snprintf(c.module, sizeof(c.module), "%s", module);
		st = nw > 4 ? kd_err_set(err, KD_ERR_INVALID,
					 "expected 'erase SYMBOL[.member...] [size SIZE|nullify]'")
			    : parse_erase(w, nw, &c, err);
		if (st == KD_OK && loop >= 0) {
			const char *id = cfg->loops[loop].id;
			size_t l = strlen(id);

			if (strncmp(c.expr, id, l) || (c.expr[l] && c.expr[l] != '.'))
				st = kd_err_set(err, KD_ERR_INVALID, "inside the loop of line %u, erase "
						"%s[.member...]", cfg->loops[loop].line, id);
		}
		if (st != KD_OK)
			kd_err_prefix(err, "'%s' line %u", path, lineno);
		else
			st = add_cmd(cfg, &c, err);
	}
	if (st == KD_OK && loop >= 0)
		st = kd_err_set(err, KD_ERR_INVALID, "'%s' line %u: 'for' without 'endfor'", path,
				cfg->loops[loop].line);
	if (st != KD_OK) {
		col_erase_cfg_free(cfg);
		return st;
	}
	*ret = cfg;
	return KD_OK;
}

enum kd_status col_erase_cfg_read(const char *path, struct col_erase_cfg **ret, struct kd_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	enum kd_status st;

	if (!f)
		return kd_err_sys(err, errno, "cannot open '%s'", path);
	buf = malloc(CONFIG_MAX + 1);
	if (!buf) {
		fclose(f);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	n = fread(buf, 1, CONFIG_MAX + 1, f);
	if (ferror(f))
		st = kd_err_sys(err, errno ? errno : EIO, "cannot read '%s'", path);
	else if (n > CONFIG_MAX)
		st = kd_err_set(err, KD_ERR_INVALID, "'%s' is larger than %u bytes", path, CONFIG_MAX);
	else
		st = col_erase_cfg_parse(buf, n, path, ret, err);
	free(buf);
	fclose(f);
	return st;
}

void col_erase_cfg_free(struct col_erase_cfg *cfg)
{
	if (!cfg)
		return;
	free(cfg->cmds);
	free(cfg->loops);
	free(cfg);
}
