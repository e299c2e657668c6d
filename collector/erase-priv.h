/* collector/: --config, makedumpfile's filter file: kernel data poisoned in the dump. */
#ifndef KD_COLLECTOR_ERASE_PRIV_H
#define KD_COLLECTOR_ERASE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/error.h"

/** Room for element @n of the array @arr (@cap allocated, @size bytes each): the array, maybe
 *  moved, or NULL (out of memory; @arr is still valid). */
static inline void *col_erase_grow(void *arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap = *cap ? 2 * *cap : 16;
	void *p;

	if (n < *cap)
		return arr;
	p = realloc(arr, ncap * size);
	if (p)
		*cap = ncap;
	return p;
}

/* ---- erase-config.c: the file's commands ---- */
enum col_erase_how {
	COL_ERASE_BY_TYPE,	/* no size: sizeof the object, or the string a char * points to */
	COL_ERASE_SIZE,		/* size N[K|M] */
	COL_ERASE_SIZE_OF,	/* size SYMBOL[.member...]: an integer in the dump */
	COL_ERASE_NULLIFY,	/* the pointer itself becomes NULL */
};

enum col_erase_loop_kind {
	COL_LOOP_ARRAY,		/* for ID in ARRAY */
	COL_LOOP_VIA,		/* for ID in STRUCT via NEXT: a NULL-ended or circular list */
	COL_LOOP_WITHIN,	/* for ID in LIST_HEAD within STRUCT:MEMBER */
};

struct col_erase_loop {
	char id[64];
	char list[256];		/* SYMBOL[.member...] */
	enum col_erase_loop_kind kind;
	char next[64];		/* COL_LOOP_VIA */
	char sname[64];		/* COL_LOOP_WITHIN */
	char smember[64];
	unsigned line;
};

struct col_erase_cmd {
	int loop;		/* index in cfg->loops, -1 outside a loop (expr then starts with its id) */
	char module[64];	/* the [section]: "vmlinux", or a module (not supported: skipped) */
	char expr[256];		/* SYMBOL[.member...] */
	enum col_erase_how how;
	uint64_t size;		/* COL_ERASE_SIZE */
	char size_expr[256];	/* COL_ERASE_SIZE_OF */
	unsigned line;
};

struct col_erase_cfg {
	struct col_erase_cmd *cmds;
	size_t ncmds;
	size_t cap;
	struct col_erase_loop *loops;
	size_t nloops;
	size_t loops_cap;
};

/** Parse a filter file's text (@path names it in errors: "'PATH' line N: ..."). */
enum kd_status col_erase_cfg_parse(const char *text, size_t len, const char *path,
				   struct col_erase_cfg **ret, struct kd_err *err);
enum kd_status col_erase_cfg_read(const char *path, struct col_erase_cfg **ret,
				  struct kd_err *err);
void col_erase_cfg_free(struct col_erase_cfg *cfg);

/* ---- erase.c: the commands resolved to physical bytes, applied to pages ---- */
struct col_erase;
struct col_source;
struct col_options;

/**
 * Take *@cfg (opt->erase_config's commands; *@cfg becomes NULL) and resolve every command with the -x vmlinux against @src's memory
 * (pointers followed, virtual addresses translated). A command that cannot be resolved
 * (symbol or member not in this kernel, NULL pointer, unmapped memory) is skipped with a
 * warning on @warn, as makedumpfile skips it silently. *@ret is NULL without a @cfg.
 */
enum kd_status col_erase_create(struct col_source *src, const struct col_options *opt,
				struct col_erase_cfg **cfg, FILE *warn, struct col_erase **ret,
				struct kd_err *err);
void col_erase_destroy(struct col_erase *e);
/** True if page @pfn holds erased bytes (any thread may ask). */
bool col_erase_touches(const struct col_erase *e, uint64_t pfn);
/** Poison the erased bytes of page @pfn (@page: page_size bytes, writable). */
void col_erase_apply(const struct col_erase *e, uint64_t pfn, uint8_t *page);
/** The writer's record: page @pfn went to the file (one thread only). */
void col_erase_mark_written(struct col_erase *e, uint64_t pfn);
/** Mark the commands with bytes in a page for which @kept(@ctx, pfn) is true (-E: before
 *  the pages are written, from the keep bitmap). */
void col_erase_mark_kept(struct col_erase *e, bool (*kept)(void *ctx, uint64_t pfn), void *ctx);
/** Forget the marks (the next file of a --split set). */
void col_erase_reset_marks(struct col_erase *e);
/**
 * The kdump eraseinfo text: "erase EXPR size N" / "erase EXPR nullify" lines for the commands
 * that reached a written page, in file order. malloc'ed; *@ret NULL and *@len 0 when none.
 */
enum kd_status col_erase_info(const struct col_erase *e, char **ret, size_t *len,
			      struct kd_err *err);

#endif
