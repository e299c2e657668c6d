/* collector/: --config, makedumpfile's filter file: kernel data poisoned in the dump. */
#ifndef KD_COLLECTOR_ERASE_PRIV_H
#define KD_COLLECTOR_ERASE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "formats/error.h"

/* ---- erase-config.c: the file's commands ---- */
enum col_erase_how {
	COL_ERASE_BY_TYPE,	/* no size: sizeof the object, or the string a char * points to */
	COL_ERASE_SIZE,		/* size N[K|M] */
	COL_ERASE_SIZE_OF,	/* size SYMBOL[.member...]: an integer in the dump */
	COL_ERASE_NULLIFY,	/* the pointer itself becomes NULL */
};

struct col_erase_cmd {
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
/** Forget the marks (the next file of a --split set). */
void col_erase_reset_marks(struct col_erase *e);
/**
 * The kdump eraseinfo text: "erase EXPR size N" / "erase EXPR nullify" lines for the commands
 * that reached a written page, in file order. malloc'ed; *@ret NULL and *@len 0 when none.
 */
enum kd_status col_erase_info(const struct col_erase *e, char **ret, size_t *len,
			      struct kd_err *err);

#endif
