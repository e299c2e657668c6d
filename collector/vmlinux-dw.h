/* collector/: the libdw side of vmlinux.c, shared with vmlinux-place.c (nothing else includes it). */
#ifndef KD_COLLECTOR_VMLINUX_DW_H
#define KD_COLLECTOR_VMLINUX_DW_H

#include <elfutils/libdw.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>

#include "collector/vmlinux-priv.h"

#define MAX_NEST 8	/* anonymous struct/union levels searched for a member */

enum type_class {
	TC_AGG,		/* struct, union or typedef */
	TC_ENUM,
	TC_VAR,
	TC_COUNT,
};

struct found {
	const char *name;
	bool have[TC_COUNT];
	bool agg_is_typedef;
	Dwarf_Die die[TC_COUNT];
};

struct col_vmlinux {
	int fd;
	Elf *elf;
	Dwarf *dw;
	uint16_t machine;
	struct found *types;
	size_t nr_types;
};

/** The slot of a name given to col_vmlinux_open(), or NULL. */
struct found *vl_find_slot(const struct col_vmlinux *vl, const char *name);
bool vl_is_declaration(Dwarf_Die *die);
/** The type of @die with typedefs and qualifiers removed. */
bool vl_peeled_type(Dwarf_Die *die, Dwarf_Die *ret);
/** The struct/union (typedefs peeled) named @name. */
bool vl_agg_die(const struct col_vmlinux *vl, const char *name, Dwarf_Die *ret);
/** Member @name of struct/union @agg (anonymous members searched too) and its offset. */
bool vl_find_member(Dwarf_Die *agg, const char *name, int depth, Dwarf_Die *ret_die,
		    uint64_t *ret_off);
/** Element count of the (outermost dimension of the) array type @arr. */
bool vl_array_length(Dwarf_Die *arr, uint64_t *ret);

#endif
