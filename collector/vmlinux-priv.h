/* collector/: a debug vmlinux (-x) as a source of VMCOREINFO keys, and the -i/-g/-x key merge. */
#ifndef KD_COLLECTOR_VMLINUX_PRIV_H
#define KD_COLLECTOR_VMLINUX_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "formats/error.h"

/* ---- vmlinux.c: ELF symbols and DWARF types of a debug vmlinux (libelf, libdw) ---- */
struct col_vmlinux;

/**
 * Open @path, an ELF vmlinux with DWARF. The type DIEs named in @types
 * (struct/union/typedef/enum/variable names, NULL-terminated) are found in one
 * pass over the debug info, so later lookups cost nothing. Fails with
 * KD_ERR_NODATA when the file has no DWARF.
 */
enum kd_status col_vmlinux_open(const char *path, const char *const *types,
				struct col_vmlinux **ret, struct kd_err *err);
void col_vmlinux_close(struct col_vmlinux *vl);

/** ELF e_machine (EM_X86_64, EM_AARCH64, ...). */
uint16_t col_vmlinux_machine(const struct col_vmlinux *vl);
/** Link-time value of a symbol in the ELF symbol table. */
bool col_vmlinux_symbol(const struct col_vmlinux *vl, const char *name, uint64_t *ret);
/** sizeof of struct/union/typedef @name. */
bool col_vmlinux_size(const struct col_vmlinux *vl, const char *name, uint64_t *ret);
/** offsetof(@type, @member), looking into anonymous structs and unions. */
bool col_vmlinux_offset(const struct col_vmlinux *vl, const char *type, const char *member,
			uint64_t *ret);
/** Element count of the array member @member of @type. */
bool col_vmlinux_member_length(const struct col_vmlinux *vl, const char *type,
			       const char *member, uint64_t *ret);
/** Element count of the array variable @var; false if it is not an array. */
bool col_vmlinux_var_length(const struct col_vmlinux *vl, const char *var, uint64_t *ret);
/** True if the variable @var's type is a pointer. */
bool col_vmlinux_var_is_pointer(const struct col_vmlinux *vl, const char *var);
/** Value of enumerator @name of enum @enum_name. */
bool col_vmlinux_enumerator(const struct col_vmlinux *vl, const char *enum_name, const char *name,
			    int64_t *ret);
/** GNU build ID as lowercase hex (@buf of at least 2*20+1 bytes). */
bool col_vmlinux_build_id(const struct col_vmlinux *vl, char *buf, size_t len);
/** Copy @len bytes of initialised data at link-time address @vaddr. */
bool col_vmlinux_read(const struct col_vmlinux *vl, uint64_t vaddr, void *buf, size_t len);

/** Reads @len bytes of the dead kernel at kernel virtual address @vaddr (for pointer symbols). */
typedef bool (*col_kread_fn)(void *ctx, uint64_t vaddr, void *buf, size_t len);

/* ---- vmlinux-place.c: objects named by SYMBOL[.member...] (--config) ---- */

/** An object of the dead kernel; types are DWARF DIE offsets (0: unknown). */
struct col_vl_place {
	uint64_t vaddr;		/* where the object is */
	uint64_t type;		/* its type */
	uint64_t size;		/* sizeof its type (0: unknown) */
	bool is_pointer;
	bool to_char;		/* a pointer to char: a string */
	bool to_void;		/* a pointer to void (or to a type of unknown size) */
	uint64_t pointee;	/* the type a typed pointer points to */
	uint64_t pointee_size;	/* its size */
	bool is_integer;	/* a base type of 1, 2, 4 or 8 bytes */
	bool is_signed;
	bool is_array;
	uint64_t count;		/* array elements */
	uint64_t elem;		/* array element type */
	uint64_t elem_size;
};

/**
 * Find @expr, "SYMBOL[.member...]": the variable SYMBOL (named in col_vmlinux_open()'s
 * @types) at its link-time address plus @kaslr, then each member in turn. A member of a
 * pointer is reached through the pointer, whose value is read with @kread (as C's '->').
 */
enum kd_status col_vmlinux_place(const struct col_vmlinux *vl, const char *expr, uint64_t kaslr,
				 col_kread_fn kread, void *kctx, struct col_vl_place *ret,
				 struct kd_err *err);
/** As col_vmlinux_place(), from the object @base: @members is "member[.member...]" or "". */
enum kd_status col_vmlinux_members(const struct col_vmlinux *vl, const struct col_vl_place *base,
				   const char *members, col_kread_fn kread, void *kctx,
				   struct col_vl_place *ret, struct kd_err *err);
/** Describe the object of type @type at @vaddr; false if the type is unknown. */
bool col_vmlinux_at(const struct col_vmlinux *vl, uint64_t vaddr, uint64_t type,
		    struct col_vl_place *ret);
/** The struct/union (or typedef of one) @name given to col_vmlinux_open(), as a type. */
bool col_vmlinux_struct(const struct col_vmlinux *vl, const char *name, uint64_t *ret);

/* ---- vmlinux-keys.c: the VMCOREINFO keys a vmlinux can give ---- */

/** Every type name col_vmlinux_open() should look for, NULL-terminated. */
extern const char *const col_vmlinux_key_types[];

/**
 * VMCOREINFO text ("KEY=VALUE\n" lines, malloc'ed, NUL-terminated) with every key of
 * the table the vmlinux can give. SYMBOL values get @kaslr_offset added.
 * Symbols whose VMCOREINFO value is a pointer's content (SYMBOL(mem_section) with
 * SPARSEMEM_EXTREME, SYMBOL(vmemmap)) are read through @kread, and left out without it.
 * With @with_release, also OSRELEASE, BUILD-ID and (x86_64) PAGESIZE.
 */
enum kd_status col_vmlinux_keys(const struct col_vmlinux *vl, uint64_t kaslr_offset,
				col_kread_fn kread, void *kctx, bool with_release, char **ret,
				size_t *ret_len, struct kd_err *err);

/* ---- vmci-merge.c: -i, -x and -g ---- */
struct col_source;
struct col_options;

/**
 * Replace @src's VMCOREINFO by the merge of, in order of precedence, the -i
 * file, the dump's own note, and the keys of the -x vmlinux; one line per key
 * taken from the vmlinux goes to @log (may be NULL). No-op without -i and -x.
 */
enum kd_status col_vmci_apply(struct col_source *src, const struct col_options *opt, FILE *log,
			      struct kd_err *err);

/**
 * Merge VMCOREINFO texts: every line of @first, then each line of @second and @third whose
 * key (text before '=') is in neither earlier text. Keys taken from @third are reported
 * through @on_third (may be NULL). The result is malloc'ed and NUL-terminated.
 */
enum kd_status col_vmci_merge(const char *first, size_t first_len, const char *second,
			      size_t second_len, const char *third, size_t third_len,
			      void (*on_third)(void *ctx, const char *key), void *ctx,
			      char **ret, size_t *ret_len, struct kd_err *err);

#endif
