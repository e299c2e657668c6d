/*
 * --config: each erase command resolved, through the -x vmlinux's DWARF and the dump's own
 * memory, to physical bytes; those bytes are poisoned ('X', or 0 for nullify) in every page
 * written, and the kdump file lists the commands that took effect (eraseinfo).
 */
#include "collector/collector-priv.h"
#include "collector/erase-priv.h"
#include "collector/vmlinux-priv.h"

#include <stdlib.h>
#include <string.h>

#include "filters/filters.h"

#define ERASE_BYTE 'X'		/* makedumpfile.conf(5): poisoned with 'X' (0x58) */
#define STRING_MAX 1024		/* a char * without size: its string, at most this long */

struct erase_range {
	uint64_t pfn;
	uint32_t off;		/* in the page */
	uint32_t len;
	uint32_t cmd;		/* index in cfg->cmds; also the order of application */
	uint8_t byte;
};

struct erase_cmd_state {
	bool resolved;
	bool nullify;
	uint64_t size;		/* bytes asked for, as eraseinfo reports them */
	bool written;		/* some of its bytes reached a written page */
};

struct col_erase {
	struct col_erase_cfg *cfg;
	struct erase_cmd_state *cs;
	struct erase_range *r;
	size_t nr, cap;
	uint64_t page_size;
};

/* What resolving needs: the dump's memory through the kernel's page tables. */
struct erase_ctx {
	struct col_erase *e;
	struct col_source *src;
	struct flt_model *m;
	const struct col_vmlinux *vl;
	uint64_t kaslr;
	FILE *warn;
	const char *path;
};

static bool kread(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	struct erase_ctx *c = ctx;
	uint8_t *p = buf;

	while (len) {
		uint64_t ps = c->e->page_size, paddr;
		size_t chunk = (size_t)(ps - vaddr % ps);
		struct kd_err ignored;

		if (chunk > len)
			chunk = len;
		kd_err_clear(&ignored);
		if (flt_model_vtop(c->m, vaddr, &paddr, &ignored) != KD_OK ||
		    col_source_read_phys(c->src, paddr, p, chunk, &ignored) != KD_OK)
			return false;
		p += chunk;
		vaddr += chunk;
		len -= chunk;
	}
	return true;
}

static enum kd_status add_range(struct col_erase *e, const struct erase_range *r, struct kd_err *err)
{
	if (e->nr == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 64;
		struct erase_range *n = realloc(e->r, cap * sizeof(*n));

		if (!n)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		e->r = n;
		e->cap = cap;
	}
	e->r[e->nr++] = *r;
	return KD_OK;
}

/* [vaddr, vaddr + size) as page pieces; false (with @why) if a page is not mapped. */
static enum kd_status add_virt(struct erase_ctx *c, uint32_t cmd, uint64_t vaddr, uint64_t size,
			       uint8_t byte, char *why, size_t whylen, struct kd_err *err)
{
	struct col_erase *e = c->e;
	size_t first = e->nr;

	while (size) {
		uint64_t ps = e->page_size, paddr;
		uint64_t chunk = ps - vaddr % ps;
		struct kd_err verr;

		if (chunk > size)
			chunk = size;
		kd_err_clear(&verr);
		if (flt_model_vtop(c->m, vaddr, &paddr, &verr) != KD_OK) {
			e->nr = first;
			snprintf(why, whylen, "address %#llx is not mapped", (unsigned long long)vaddr);
			return KD_ERR_NODATA;
		}
		struct erase_range r = {
			.pfn = paddr / ps,
			.off = (uint32_t)(paddr % ps),
			.len = (uint32_t)chunk,
			.cmd = cmd,
			.byte = byte,
		};
		enum kd_status st = add_range(e, &r, err);

		if (st != KD_OK)
			return st;
		vaddr += chunk;
		size -= chunk;
	}
	return KD_OK;
}

/* The integer a size expression names. */
static bool size_value(struct erase_ctx *c, const char *expr, uint64_t *ret, char *why,
		       size_t whylen)
{
	struct col_vl_place q;
	struct kd_err err;
	uint8_t b[8];
	uint64_t v = 0;

	kd_err_clear(&err);
	if (col_vmlinux_place(c->vl, expr, c->kaslr, kread, c, &q, &err) != KD_OK) {
		snprintf(why, whylen, "size %.100s: %.300s", expr, err.msg);
		return false;
	}
	if (!q.is_integer) {
		snprintf(why, whylen, "size %s is not an integer", expr);
		return false;
	}
	if (!kread(c, q.vaddr, b, q.size)) {
		snprintf(why, whylen, "cannot read size %s", expr);
		return false;
	}
	for (size_t i = q.size; i-- > 0;)
		v = v << 8 | b[i];	/* the dumped kernels are little-endian */
	if (q.is_signed && q.size < 8 && (v >> (8 * q.size - 1)) & 1)
		v |= ~0ull << (8 * q.size);
	if (v == 0 || (int64_t)v < 0) {
		snprintf(why, whylen, "size %s is %lld", expr, (long long)v);
		return false;
	}
	*ret = v;
	return true;
}

static enum kd_status resolve(struct erase_ctx *c, uint32_t i, char *why, size_t whylen,
			      struct kd_err *err)
{
	const struct col_erase_cmd *cmd = &c->e->cfg->cmds[i];
	struct erase_cmd_state *cs = &c->e->cs[i];
	struct col_vl_place p;
	struct kd_err perr;
	uint64_t target, size = 0;

	kd_err_clear(&perr);
	if (col_vmlinux_place(c->vl, cmd->expr, c->kaslr, kread, c, &p, &perr) != KD_OK) {
		snprintf(why, whylen, "%.400s", perr.msg);
		return KD_ERR_NODATA;
	}
	if (cmd->how == COL_ERASE_NULLIFY) {
		if (!p.is_pointer) {
			snprintf(why, whylen, "nullify needs a pointer");
			return KD_ERR_NODATA;
		}
		cs->nullify = true;
		cs->size = p.size;
		return add_virt(c, i, p.vaddr, p.size, 0, why, whylen, err);
	}
	target = p.vaddr;
	if (p.is_pointer && !kread(c, p.vaddr, &target, sizeof(target))) {
		snprintf(why, whylen, "cannot read the pointer");
		return KD_ERR_NODATA;
	}
	if (p.is_pointer && !target) {
		snprintf(why, whylen, "the pointer is NULL");
		return KD_ERR_NODATA;
	}
	if (cmd->how == COL_ERASE_SIZE) {
		size = cmd->size;
	} else if (cmd->how == COL_ERASE_SIZE_OF) {
		if (!size_value(c, cmd->size_expr, &size, why, whylen))
			return KD_ERR_NODATA;
	} else if (p.is_pointer && p.to_char) {
		char s[STRING_MAX];

		/* the string without its NUL (as makedumpfile), as far as it can be read */
		for (size = 0; size < STRING_MAX && kread(c, target + size, s + size, 1) && s[size];)
			size++;
	} else if (p.is_pointer && p.to_void) {
		snprintf(why, whylen, "a void pointer needs 'size' or 'nullify'");
		return KD_ERR_NODATA;
	} else {
		size = p.is_pointer ? p.pointee_size : p.size;
	}
	if (!size) {
		snprintf(why, whylen, "its size is not known: give 'size'");
		return KD_ERR_NODATA;
	}
	cs->size = size;
	return add_virt(c, i, target, size, ERASE_BYTE, why, whylen, err);
}

static int cmp_range(const void *a, const void *b)
{
	const struct erase_range *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return x->cmd < y->cmd ? -1 : x->cmd > y->cmd;
}

/* The first component of every expression: the variables col_vmlinux_open() must find. */
static const char **wanted_symbols(const struct col_erase_cfg *cfg)
{
	const char **names = calloc(2 * cfg->ncmds + 1, sizeof(*names));
	char *store = malloc(2 * cfg->ncmds * 256 + 1);
	size_t n = 0;

	if (!names || !store) {
		free(names);
		free(store);
		return NULL;
	}
	for (size_t i = 0; i < cfg->ncmds; i++) {
		const char *exprs[2] = { cfg->cmds[i].expr, cfg->cmds[i].size_expr };

		for (size_t k = 0; k < 2; k++) {
			char *slot = store + n * 256;

			if (!exprs[k][0])
				continue;
			snprintf(slot, 256, "%.*s", (int)strcspn(exprs[k], "."), exprs[k]);
			names[n++] = slot;
		}
	}
	names[n] = NULL;
	if (!n)
		free(store);
	return names;
}

static void free_symbols(const char **names)
{
	if (names && names[0])
		free((char *)names[0]);
	free(names);
}

static enum kd_status resolve_all(struct erase_ctx *c, struct kd_err *err)
{
	const struct col_erase_cfg *cfg = c->e->cfg;
	const char *skipped_module = "";

	for (uint32_t i = 0; i < cfg->ncmds; i++) {
		const struct col_erase_cmd *cmd = &cfg->cmds[i];
		char why[KD_ERR_MSG_MAX];
		enum kd_status st;

		if (strcmp(cmd->module, "vmlinux")) {
			if (c->warn && strcmp(cmd->module, skipped_module))
				fprintf(c->warn, "vmcore-save: warning: '%s' line %u: section [%s] skipped: "
					"module sections are not supported\n", c->path, cmd->line,
					cmd->module);
			skipped_module = cmd->module;
			continue;
		}
		why[0] = '\0';
		st = resolve(c, i, why, sizeof(why), err);
		if (st == KD_ERR_NODATA) {
			if (c->warn)
				fprintf(c->warn, "vmcore-save: warning: '%s' line %u: 'erase %s' skipped: %s\n",
					c->path, cmd->line, cmd->expr, why);
			continue;
		}
		if (st != KD_OK)
			return st;
		c->e->cs[i].resolved = true;
	}
	qsort(c->e->r, c->e->nr, sizeof(*c->e->r), cmp_range);
	return KD_OK;
}

enum kd_status col_erase_create(struct col_source *src, const struct col_options *opt,
				struct col_erase_cfg **cfg, FILE *warn, struct col_erase **ret,
				struct kd_err *err)
{
	struct col_erase *e;
	struct col_vmlinux *vl = NULL;
	struct flt_model *m = NULL;
	const char **names = NULL;
	enum kd_status st;

	*ret = NULL;
	if (!*cfg)
		return KD_OK;
	if (!opt->vmlinux)
		return kd_err_set(err, KD_ERR_INVALID, "--config needs -x VMLINUX (its DWARF types)");
	if (!src->vi)
		return kd_err_set(err, KD_ERR_NODATA, "--config needs the dump's VMCOREINFO");
	e = calloc(1, sizeof(*e));
	if (!e)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	e->page_size = src->page_size;
	e->cfg = *cfg;
	*cfg = NULL;
	e->cs = calloc(e->cfg->ncmds + 1, sizeof(*e->cs));
	names = wanted_symbols(e->cfg);
	st = e->cs && names ? KD_OK : kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	if (st == KD_OK) {
		st = col_vmlinux_open(opt->vmlinux, names, &vl, err);
		if (st != KD_OK)
			kd_err_prefix(err, "-x");
	}
	if (st == KD_OK) {
		struct flt_mem mem = {
			.read_phys = col_source_read_phys,
			.ctx = src,
			.max_pfn = src->max_pfn,
		};

		st = flt_model_create_machine(src->vi, &mem, src->machine,
					      col_source_page_offset(src), &m, err);
	}
	if (st == KD_OK) {
		struct erase_ctx c = {
			.e = e, .src = src, .m = m, .vl = vl, .warn = warn, .path = opt->erase_config,
		};

		fmt_vmci_kerneloffset(src->vi, &c.kaslr);
		st = resolve_all(&c, err);
	}
	flt_model_destroy(m);
	col_vmlinux_close(vl);
	free_symbols(names);
	if (st != KD_OK) {
		col_erase_destroy(e);
		return st;
	}
	*ret = e;
	return KD_OK;
}

void col_erase_destroy(struct col_erase *e)
{
	if (!e)
		return;
	col_erase_cfg_free(e->cfg);
	free(e->cs);
	free(e->r);
	free(e);
}

/* Index of the first range of @pfn, or e->nr. */
static size_t first_of(const struct col_erase *e, uint64_t pfn)
{
	size_t lo = 0, hi = e->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->r[mid].pfn < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool col_erase_touches(const struct col_erase *e, uint64_t pfn)
{
	size_t i;

	if (!e || !e->nr || pfn < e->r[0].pfn || pfn > e->r[e->nr - 1].pfn)
		return false;
	i = first_of(e, pfn);
	return i < e->nr && e->r[i].pfn == pfn;
}

void col_erase_apply(const struct col_erase *e, uint64_t pfn, uint8_t *page)
{
	for (size_t i = first_of(e, pfn); i < e->nr && e->r[i].pfn == pfn; i++)
		memset(page + e->r[i].off, e->r[i].byte, e->r[i].len);
}

void col_erase_mark_written(struct col_erase *e, uint64_t pfn)
{
	if (!col_erase_touches(e, pfn))
		return;
	for (size_t i = first_of(e, pfn); i < e->nr && e->r[i].pfn == pfn; i++)
		e->cs[e->r[i].cmd].written = true;
}

void col_erase_reset_marks(struct col_erase *e)
{
	for (size_t i = 0; e && i < e->cfg->ncmds; i++)
		e->cs[i].written = false;
}

enum kd_status col_erase_info(const struct col_erase *e, char **ret, size_t *len,
			      struct kd_err *err)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	*ret = NULL;
	*len = 0;
	for (size_t i = 0; e && i < e->cfg->ncmds; i++) {
		const struct erase_cmd_state *cs = &e->cs[i];
		char line[600];
		int l;

		if (!cs->resolved || !cs->written)
			continue;
		if (cs->nullify)
			l = snprintf(line, sizeof(line), "erase %s nullify\n", e->cfg->cmds[i].expr);
		else
			l = snprintf(line, sizeof(line), "erase %s size %llu\n", e->cfg->cmds[i].expr,
				     (unsigned long long)cs->size);
		if (l < 0 || (size_t)l >= sizeof(line))
			continue;
		if (n + (size_t)l > cap) {
			size_t ncap = (n + (size_t)l) * 2;
			char *nb = realloc(buf, ncap);

			if (!nb) {
				free(buf);
				return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
		memcpy(buf + n, line, (size_t)l);
		n += (size_t)l;
	}
	*ret = buf;
	*len = n;
	return KD_OK;
}
