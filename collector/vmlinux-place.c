/*
 * Objects of the dead kernel named by expressions over the vmlinux's DWARF types (--config):
 * SYMBOL[.member...], where a member of a pointer is reached through the pointer. Types are
 * handed around as DIE offsets, so callers need no libdw.
 */
#include "collector/vmlinux-dw.h"

#include <dwarf.h>
#include <stdio.h>
#include <string.h>

/*
 * The definition of the struct or union that @decl only declares (a pointer's type in a unit
 * that never defines it): the first top-level DIE of the same tag and name that is not a
 * declaration, in any unit. One pass over the units.
 */
static bool find_definition(const struct col_vmlinux *vl, Dwarf_Die *decl, Dwarf_Die *ret)
{
	const char *name = dwarf_diename(decl);
	int tag = dwarf_tag(decl);
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, child;
	Dwarf_Half version;
	uint8_t unit_type;

	if (!name)
		return false;
	while (dwarf_get_units(vl->dw, cu, &cu, &version, &unit_type, &cudie, NULL) == 0) {
		if (dwarf_child(&cudie, &child) != 0)
			continue;
		do {
			const char *n;

			if (dwarf_tag(&child) != tag || vl_is_declaration(&child))
				continue;
			n = dwarf_diename(&child);
			if (n && !strcmp(n, name)) {
				*ret = child;
				return true;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return false;
}

/* @t (peeled) as a defined struct/union if it is one (declarations looked up). */
static bool defined_agg(const struct col_vmlinux *vl, Dwarf_Die *t)
{
	if (dwarf_tag(t) != DW_TAG_structure_type && dwarf_tag(t) != DW_TAG_union_type)
		return false;
	return !vl_is_declaration(t) || find_definition(vl, t, t);
}

static bool is_char(Dwarf_Die *t)
{
	Dwarf_Attribute a;
	Dwarf_Word enc;

	return dwarf_tag(t) == DW_TAG_base_type && dwarf_attr(t, DW_AT_encoding, &a) &&
	       dwarf_formudata(&a, &enc) == 0 &&
	       (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char);
}

bool col_vmlinux_at(const struct col_vmlinux *vl, uint64_t vaddr, uint64_t type,
		    struct col_vl_place *ret)
{
	Dwarf_Die d, t, to;
	Dwarf_Word size, enc;
	Dwarf_Attribute a;

	memset(ret, 0, sizeof(*ret));
	ret->vaddr = vaddr;
	ret->type = type;
	if (!type || !dwarf_offdie(vl->dw, type, &d) || dwarf_peel_type(&d, &t) != 0)
		return false;
	if (dwarf_aggregate_size(&t, &size) == 0)
		ret->size = size;
	switch (dwarf_tag(&t)) {
	case DW_TAG_pointer_type:
		ret->is_pointer = true;
		if (!ret->size)
			ret->size = 8;
		if (!vl_peeled_type(&t, &to)) {
			ret->to_void = true;
			return true;
		}
		defined_agg(vl, &to);
		ret->pointee = dwarf_dieoffset(&to);
		if (is_char(&to))
			ret->to_char = true;
		else if (dwarf_aggregate_size(&to, &size) == 0 && size)
			ret->pointee_size = size;
		else
			ret->to_void = true;
		return true;
	case DW_TAG_array_type:
		ret->is_array = vl_array_length(&t, &ret->count);
		if (vl_peeled_type(&t, &to)) {
			defined_agg(vl, &to);
			ret->elem = dwarf_dieoffset(&to);
			if (dwarf_aggregate_size(&to, &size) == 0)
				ret->elem_size = size;
		}
		return true;
	case DW_TAG_base_type:
	case DW_TAG_enumeration_type:
		ret->is_integer = ret->size == 1 || ret->size == 2 || ret->size == 4 || ret->size == 8;
		if (dwarf_attr(&t, DW_AT_encoding, &a) && dwarf_formudata(&a, &enc) == 0) {
			ret->is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
			if (enc == DW_ATE_float)
				ret->is_integer = false;
		}
		return true;
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
		if (defined_agg(vl, &t) && dwarf_aggregate_size(&t, &size) == 0) {
			ret->size = size;
			ret->type = dwarf_dieoffset(&t);
		}
		return true;
	default:
		return true;
	}
}

enum kd_status col_vmlinux_members(const struct col_vmlinux *vl, const struct col_vl_place *base,
				   const char *members, col_kread_fn kread, void *kctx,
				   struct col_vl_place *ret, struct kd_err *err)
{
	uint64_t addr = base->vaddr, type = base->type;
	const char *p = members;
	char name[256];

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		Dwarf_Die d, t, m;
		uint64_t off;

		if (n == 0 || n >= sizeof(name))
			return kd_err_set(err, KD_ERR_INVALID, "'%s' is not member[.member...]", members);
		memcpy(name, p, n);
		name[n] = '\0';
		if (!type || !dwarf_offdie(vl->dw, type, &d) || dwarf_peel_type(&d, &t) != 0)
			return kd_err_set(err, KD_ERR_NODATA, "no type before '.%s'", name);
		if (dwarf_tag(&t) == DW_TAG_pointer_type) {
			uint64_t ptr;

			if (!kread(kctx, addr, &ptr, sizeof(ptr)))
				return kd_err_set(err, KD_ERR_NODATA,
						  "cannot read the pointer before '.%s' at %#llx", name,
						  (unsigned long long)addr);
			if (!ptr)
				return kd_err_set(err, KD_ERR_NODATA, "the pointer before '.%s' is NULL",
						  name);
			if (!vl_peeled_type(&t, &t))
				return kd_err_set(err, KD_ERR_NODATA, "'.%s': the pointer is void *", name);
			addr = ptr;
		}
		if (!defined_agg(vl, &t))
			return kd_err_set(err, KD_ERR_INVALID,
					  "'.%s': not a member of a (defined) struct or union", name);
		if (!vl_find_member(&t, name, 0, &m, &off))
			return kd_err_set(err, KD_ERR_NODATA, "no member '%s'", name);
		{
			Dwarf_Attribute a;
			Dwarf_Die mt;

			if (!dwarf_attr_integrate(&m, DW_AT_type, &a) || !dwarf_formref_die(&a, &mt))
				return kd_err_set(err, KD_ERR_NODATA, "member '%s' has no type", name);
			type = dwarf_dieoffset(&mt);
		}
		addr += off;
		p += n;
		if (*p == '.')
			p++;
	}
	col_vmlinux_at(vl, addr, type, ret);
	return KD_OK;
}

enum kd_status col_vmlinux_place(const struct col_vmlinux *vl, const char *expr, uint64_t kaslr,
				 col_kread_fn kread, void *kctx, struct col_vl_place *ret,
				 struct kd_err *err)
{
	char name[256];
	size_t n = strcspn(expr, ".");
	const struct found *f;
	struct col_vl_place base;
	Dwarf_Attribute a;
	Dwarf_Die var, type;
	uint64_t addr;
	enum kd_status st;

	memset(ret, 0, sizeof(*ret));
	if (n == 0 || n >= sizeof(name))
		return kd_err_set(err, KD_ERR_INVALID, "'%s' is not SYMBOL[.member...]", expr);
	memcpy(name, expr, n);
	name[n] = '\0';
	if (!col_vmlinux_symbol(vl, name, &addr))
		return kd_err_set(err, KD_ERR_NODATA, "symbol '%s' is not in the vmlinux", name);
	f = vl_find_slot(vl, name);
	if (!f || !f->have[TC_VAR])
		return kd_err_set(err, KD_ERR_NODATA, "symbol '%s' has no variable in the DWARF", name);
	var = f->die[TC_VAR];
	if (!dwarf_attr_integrate(&var, DW_AT_type, &a) || !dwarf_formref_die(&a, &type))
		return kd_err_set(err, KD_ERR_NODATA, "variable '%s' has no type", name);
	col_vmlinux_at(vl, addr + kaslr, dwarf_dieoffset(&type), &base);
	st = col_vmlinux_members(vl, &base, expr[n] == '.' ? expr + n + 1 : "", kread, kctx, ret,
				 err);
	if (st != KD_OK && n < strlen(expr)) {
		/* name the part of the expression that failed */
		char msg[KD_ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		kd_err_set(err, st, "'%s': %s", expr, msg);
	}
	return st;
}

bool col_vmlinux_struct(const struct col_vmlinux *vl, const char *name, uint64_t *ret)
{
	Dwarf_Die d;

	if (!vl_agg_die(vl, name, &d))
		return false;
	*ret = dwarf_dieoffset(&d);
	return true;
}
