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
#define LOOP_MAX (1u << 20)	/* elements a list loop walks at most (a corrupt list may not end) */
#define ERASE_MAX (256u << 20)	/* bytes one command erases at most (a size read from a corrupt dump) */

struct erase_range {
	uint64_t pfn;
	uint32_t off;		/* in the page */
	uint32_t len;
	uint32_t inst;		/* index in e->in; also the order of application */
	uint8_t byte;
};

/* One command applied to one object (a loop gives one per element), in file order. */
struct erase_inst {
	uint32_t cmd;
	bool nullify;
	uint64_t size;		/* bytes asked for, as eraseinfo reports them */
	bool written;		/* some of its bytes reached a written page */
};

struct col_erase {
	struct col_erase_cfg *cfg;
	struct erase_inst *in;
	size_t nin, in_cap;
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
	struct kd_err ignored;

	kd_err_clear(&ignored);
	return flt_read_virt(c->m, vaddr, buf, len, &ignored) == KD_OK;
}

static enum kd_status add_range(struct col_erase *e, const struct erase_range *r, struct kd_err *err)
{
	struct erase_range *n = col_erase_grow(e->r, e->nr, &e->cap, sizeof(*n));

	if (!n)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	e->r = n;
	e->r[e->nr++] = *r;
	return KD_OK;
}

/* [vaddr, vaddr + size) as page pieces; false (with @why) if a page is not mapped. */
static enum kd_status add_virt(struct erase_ctx *c, uint32_t inst, uint64_t vaddr, uint64_t size,
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
			.inst = inst,
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

/* The length of @id if @expr is "ID" or "ID.member...", else 0. */
static size_t id_prefix(const char *expr, const char *id)
{
	size_t l = id ? strlen(id) : 0;

	return l && !strncmp(expr, id, l) && (expr[l] == '\0' || expr[l] == '.') ? l : 0;
}

/* @expr: SYMBOL[.member...], or (in a loop) ID[.member...] from the element @elem. */
static enum kd_status eval(struct erase_ctx *c, const struct col_vl_place *elem, const char *id,
			   const char *expr, struct col_vl_place *ret, struct kd_err *err)
{
	size_t l = elem ? id_prefix(expr, id) : 0;

	if (l)
		return col_vmlinux_members(c->vl, elem, expr[l] ? expr + l + 1 : "", kread, c, ret,
					   err);
	return col_vmlinux_place(c->vl, expr, c->kaslr, kread, c, ret, err);
}

/* The integer a size expression names. */
static bool size_value(struct erase_ctx *c, const struct col_vl_place *elem, const char *id,
		       const char *expr, uint64_t *ret, char *why, size_t whylen)
{
	struct col_vl_place q;
	struct kd_err err;
	uint8_t b[8];
	uint64_t v = 0;

	kd_err_clear(&err);
	if (eval(c, elem, id, expr, &q, &err) != KD_OK) {
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

static enum kd_status add_inst(struct col_erase *e, uint32_t cmd, bool nullify, uint64_t size,
			       struct kd_err *err)
{
	struct erase_inst *n = col_erase_grow(e->in, e->nin, &e->in_cap, sizeof(*n));

	if (!n)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	e->in = n;
	e->in[e->nin++] = (struct erase_inst){ .cmd = cmd, .nullify = nullify, .size = size };
	return KD_OK;
}

/*
 * Command @i on its own (@elem NULL) or on the loop element @elem: its bytes become ranges of
 * a new instance. KD_ERR_NODATA (with @why) when it cannot apply here.
 */
static enum kd_status resolve(struct erase_ctx *c, uint32_t i, const struct col_vl_place *elem,
			      char *why, size_t whylen, struct kd_err *err)
{
	const struct col_erase_cmd *cmd = &c->e->cfg->cmds[i];
	const char *id = cmd->loop >= 0 ? c->e->cfg->loops[cmd->loop].id : NULL;
	uint32_t inst = (uint32_t)c->e->nin;
	struct col_vl_place p;
	struct kd_err perr;
	uint64_t target, size = 0;
	enum kd_status st;

	kd_err_clear(&perr);
	if (eval(c, elem, id, cmd->expr, &p, &perr) != KD_OK) {
		snprintf(why, whylen, "%.400s", perr.msg);
		return KD_ERR_NODATA;
	}
	if (cmd->how == COL_ERASE_NULLIFY) {
		if (!p.is_pointer) {
			snprintf(why, whylen, "nullify needs a pointer");
			return KD_ERR_NODATA;
		}
		st = add_virt(c, inst, p.vaddr, p.size, 0, why, whylen, err);
		return st == KD_OK ? add_inst(c->e, i, true, p.size, err) : st;
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
		if (!size_value(c, elem, id, cmd->size_expr, &size, why, whylen))
			return KD_ERR_NODATA;
	} else if (p.is_pointer && p.to_char) {
		char ch;

		/* the string without its NUL (as makedumpfile), as far as it can be read */
		for (size = 0; size < STRING_MAX && kread(c, target + size, &ch, 1) && ch;)
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
	if (size > ERASE_MAX) {
		snprintf(why, whylen, "size %llu is more than %u MiB", (unsigned long long)size,
			 ERASE_MAX >> 20);
		return KD_ERR_NODATA;
	}
	st = add_virt(c, inst, target, size, ERASE_BYTE, why, whylen, err);
	return st == KD_OK ? add_inst(c->e, i, false, size, err) : st;
}

static int cmp_range(const void *a, const void *b)
{
	const struct erase_range *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return x->inst < y->inst ? -1 : x->inst > y->inst;
}

/*
 * What col_vmlinux_open() must find: the first component of every expression (variables) and
 * the structs of "within" loops. All strings live in one block, freed with names[0].
 */
static const char **wanted_symbols(const struct col_erase_cfg *cfg)
{
	size_t max = 2 * cfg->ncmds + 2 * cfg->nloops;
	const char **names = calloc(max + 1, sizeof(*names));
	char *store = malloc(max * 256 + 1);
	size_t n = 0;

	if (!names || !store) {
		free(names);
		free(store);
		return NULL;
	}
	for (size_t i = 0; i < cfg->ncmds + cfg->nloops; i++) {
		const char *exprs[2];

		if (i < cfg->ncmds) {
			exprs[0] = cfg->cmds[i].expr;
			exprs[1] = cfg->cmds[i].size_expr;
		} else {
			exprs[0] = cfg->loops[i - cfg->ncmds].list;
			exprs[1] = cfg->loops[i - cfg->ncmds].sname;
		}
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

/* Warn about command @i: skipped (@skipped of @of loop elements; @of 0: not in a loop). */
static void warn_skip(struct erase_ctx *c, uint32_t i, size_t skipped, size_t of, const char *why)
{
	const struct col_erase_cmd *cmd = &c->e->cfg->cmds[i];

	if (!c->warn)
		return;
	if (of)
		fprintf(c->warn, "vmcore-save: warning: '%s' line %u: 'erase %s' skipped for %zu of %zu "
			"elements (first: %s)\n", c->path, cmd->line, cmd->expr, skipped, of, why);
	else
		fprintf(c->warn, "vmcore-save: warning: '%s' line %u: 'erase %s' skipped: %s\n",
			c->path, cmd->line, cmd->expr, why);
}

/* The loop's commands on its elements, element by element; stopping on errors only. */
struct loop_run {
	struct erase_ctx *c;
	int loop;
	uint32_t first, end;	/* its commands: [first, end) */
	size_t elements;
	size_t skipped[64];	/* per command (the first 64) */
	char why[64][160];
};

static enum kd_status loop_element(struct loop_run *lr, const struct col_vl_place *elem,
				   struct kd_err *err)
{
	lr->elements++;
	for (uint32_t i = lr->first; i < lr->end; i++) {
		char why[KD_ERR_MSG_MAX] = "";
		enum kd_status st = resolve(lr->c, i, elem, why, sizeof(why), err);
		size_t k = i - lr->first;

		if (st == KD_ERR_NODATA && k < 64) {
			if (!lr->skipped[k]++)
				snprintf(lr->why[k], sizeof(lr->why[k]), "%.159s", why);
		} else if (st != KD_OK && st != KD_ERR_NODATA) {
			return st;
		}
	}
	return KD_OK;
}

static bool read_ptr(struct erase_ctx *c, uint64_t vaddr, uint64_t *ret)
{
	return kread(c, vaddr, ret, sizeof(*ret));
}

/* Walk the loop's list; KD_ERR_NODATA (with @why) when the list itself cannot be found. */
static enum kd_status loop_walk(struct loop_run *lr, char *why, size_t whylen,
				struct kd_err *err)
{
	struct erase_ctx *c = lr->c;
	const struct col_erase_loop *l = &c->e->cfg->loops[lr->loop];
	struct col_vl_place p, elem;
	struct kd_err perr;
	uint64_t node, first, type, off;
	enum kd_status st = KD_OK;
	size_t n = 0;

	kd_err_clear(&perr);
	if (col_vmlinux_place(c->vl, l->list, c->kaslr, kread, c, &p, &perr) != KD_OK) {
		snprintf(why, whylen, "%.400s", perr.msg);
		return KD_ERR_NODATA;
	}
	switch (l->kind) {
	case COL_LOOP_ARRAY:
		if (!p.is_array || !p.elem_size) {
			snprintf(why, whylen, "'%s' is not an array of known size", l->list);
			return KD_ERR_NODATA;
		}
		for (uint64_t i = 0; i < p.count && st == KD_OK; i++) {
			col_vmlinux_at(c->vl, p.vaddr + i * p.elem_size, p.elem, &elem);
			st = loop_element(lr, &elem, err);
		}
		return st;
	case COL_LOOP_VIA:
		if (p.is_pointer) {
			type = p.pointee;
			if (!read_ptr(c, p.vaddr, &first)) {
				snprintf(why, whylen, "cannot read '%s'", l->list);
				return KD_ERR_NODATA;
			}
		} else {
			type = p.type;
			first = p.vaddr;
		}
		for (node = first; node && st == KD_OK; n++) {
			struct col_vl_place next;

			if (n == LOOP_MAX) {
				snprintf(why, whylen, "the list has more than %u elements", LOOP_MAX);
				return KD_ERR_NODATA;
			}
			col_vmlinux_at(c->vl, node, type, &elem);
			st = loop_element(lr, &elem, err);
			kd_err_clear(&perr);
			if (st == KD_OK &&
			    (col_vmlinux_members(c->vl, &elem, l->next, kread, c, &next, &perr) != KD_OK ||
			     !next.is_pointer || !read_ptr(c, next.vaddr, &node))) {
				snprintf(why, whylen, "'%s' of an element: %.300s", l->next,
					 perr.msg[0] ? perr.msg : "not a readable pointer");
				return KD_ERR_NODATA;
			}
			if (node == first)
				break;	/* circular */
		}
		return st;
	case COL_LOOP_WITHIN:
		if (!col_vmlinux_struct(c->vl, l->sname, &type) ||
		    !col_vmlinux_offset(c->vl, l->sname, l->smember, &off)) {
			snprintf(why, whylen, "no struct %s with a member %s", l->sname, l->smember);
			return KD_ERR_NODATA;
		}
		/* a struct list_head (its next is at offset 0), or a pointer to one (head.next) */
		first = p.vaddr;
		if (!read_ptr(c, p.vaddr, &node)) {
			snprintf(why, whylen, "cannot read '%s'", l->list);
			return KD_ERR_NODATA;
		}
		for (; node && node != first && st == KD_OK; n++) {
			if (n == LOOP_MAX) {
				snprintf(why, whylen, "the list has more than %u elements", LOOP_MAX);
				return KD_ERR_NODATA;
			}
			col_vmlinux_at(c->vl, node - off, type, &elem);
			st = loop_element(lr, &elem, err);
			if (st == KD_OK && !read_ptr(c, node, &node)) {
				snprintf(why, whylen, "a list element at %#llx cannot be read",
					 (unsigned long long)node);
				return KD_ERR_NODATA;
			}
		}
		return st;
	}
	return st;
}

/* The loop whose commands are [first, end). */
static enum kd_status run_loop(struct erase_ctx *c, uint32_t first, uint32_t end,
			       struct kd_err *err)
{
	const struct col_erase_cfg *cfg = c->e->cfg;
	struct loop_run *lr = calloc(1, sizeof(*lr));
	char why[KD_ERR_MSG_MAX] = "";
	enum kd_status st;

	if (!lr)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	lr->c = c;
	lr->loop = cfg->cmds[first].loop;
	lr->first = first;
	lr->end = end;
	st = loop_walk(lr, why, sizeof(why), err);
	if (st == KD_ERR_NODATA) {
		if (c->warn)
			fprintf(c->warn, "vmcore-save: warning: '%s' line %u: loop over '%s' %s: %s\n",
				c->path, cfg->loops[lr->loop].line, cfg->loops[lr->loop].list,
				lr->elements ? "stopped" : "skipped", why);
		st = KD_OK;
	}
	for (uint32_t i = lr->first; st == KD_OK && i < lr->end && i - lr->first < 64; i++)
		if (lr->skipped[i - lr->first])
			warn_skip(c, i, lr->skipped[i - lr->first], lr->elements, lr->why[i - lr->first]);
	free(lr);
	return st;
}

static enum kd_status resolve_all(struct erase_ctx *c, struct kd_err *err)
{
	const struct col_erase_cfg *cfg = c->e->cfg;
	const char *skipped_module = "";

	for (uint32_t i = 0; i < cfg->ncmds;) {
		const struct col_erase_cmd *cmd = &cfg->cmds[i];
		char why[KD_ERR_MSG_MAX];
		enum kd_status st;

		if (strcmp(cmd->module, "vmlinux")) {
			if (c->warn && strcmp(cmd->module, skipped_module))
				fprintf(c->warn, "vmcore-save: warning: '%s' line %u: section [%s] skipped: "
					"module sections are not supported\n", c->path, cmd->line,
					cmd->module);
			skipped_module = cmd->module;
			i++;
			continue;
		}
		if (cmd->loop >= 0) {
			uint32_t end = i;

			while (end < cfg->ncmds && cfg->cmds[end].loop == cmd->loop)
				end++;
			st = run_loop(c, i, end, err);
			if (st != KD_OK)
				return st;
			i = end;
			continue;
		}
		why[0] = '\0';
		st = resolve(c, i, NULL, why, sizeof(why), err);
		if (st == KD_ERR_NODATA)
			warn_skip(c, i, 1, 0, why);
		else if (st != KD_OK)
			return st;
		i++;
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
	names = wanted_symbols(e->cfg);
	st = names ? KD_OK : kd_err_set(err, KD_ERR_NOMEM, "out of memory");
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
	free(e->in);
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
	for (size_t i = e ? first_of(e, pfn) : 0; e && i < e->nr && e->r[i].pfn == pfn; i++)
		e->in[e->r[i].inst].written = true;
}

void col_erase_mark_kept(struct col_erase *e, bool (*kept)(void *ctx, uint64_t pfn), void *ctx)
{
	for (size_t i = 0; e && i < e->nr; i++)
		if (kept(ctx, e->r[i].pfn))
			e->in[e->r[i].inst].written = true;
}

void col_erase_reset_marks(struct col_erase *e)
{
	for (size_t i = 0; e && i < e->nin; i++)
		e->in[i].written = false;
}

enum kd_status col_erase_info(const struct col_erase *e, char **ret, size_t *len,
			      struct kd_err *err)
{
	size_t cap = 0, n = 0;
	char *buf = NULL;

	*ret = NULL;
	*len = 0;
	if (!e || !e->nin)
		return KD_OK;
	/* makedumpfile's order: by command (file order), then by element (a stable sort) */
	size_t *order = malloc(e->nin * sizeof(*order));
	size_t *next = calloc(e->cfg->ncmds + 1, sizeof(*next));

	if (!order || !next) {
		free(order);
		free(next);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < e->nin; i++)
		next[e->in[i].cmd + 1]++;
	for (size_t c = 1; c <= e->cfg->ncmds; c++)
		next[c] += next[c - 1];
	for (size_t i = 0; i < e->nin; i++)
		order[next[e->in[i].cmd]++] = i;
	free(next);
	for (size_t j = 0; j < e->nin; j++) {
		const struct erase_inst *in = &e->in[order[j]];
		const char *expr = e->cfg->cmds[in->cmd].expr;
		char line[600];
		int l;

		if (!in->written)
			continue;
		if (in->nullify)
			l = snprintf(line, sizeof(line), "erase %s nullify\n", expr);
		else
			l = snprintf(line, sizeof(line), "erase %s size %llu\n", expr,
				     (unsigned long long)in->size);
		if (l < 0 || (size_t)l >= sizeof(line))
			continue;
		if (n + (size_t)l > cap) {
			size_t ncap = (n + (size_t)l) * 2;
			char *nb = realloc(buf, ncap);

			if (!nb) {
				free(buf);
				free(order);
				return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
		memcpy(buf + n, line, (size_t)l);
		n += (size_t)l;
	}
	free(order);
	*ret = buf;
	*len = n;
	return KD_OK;
}
