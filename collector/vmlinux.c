/* A debug vmlinux read with libelf and libdw: symbols, type sizes, member offsets, enumerators. */
#include "collector/vmlinux-priv.h"
#include "collector/vmlinux-dw.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


struct found *vl_find_slot(const struct col_vmlinux *vl, const char *name)
{
	for (size_t i = 0; i < vl->nr_types; i++)
		if (!strcmp(vl->types[i].name, name))
			return &vl->types[i];
	return NULL;
}

bool vl_is_declaration(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	bool flag = false;

	return dwarf_attr(die, DW_AT_declaration, &a) && dwarf_formflag(&a, &flag) == 0 && flag;
}

/* Remember @die if it names a wanted type not seen yet. */
static void consider_die(struct col_vmlinux *vl, Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	enum type_class tc;
	bool is_typedef = false;

	switch (tag) {
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
		tc = TC_AGG;
		break;
	case DW_TAG_typedef:
		tc = TC_AGG;
		is_typedef = true;
		break;
	case DW_TAG_enumeration_type:
		tc = TC_ENUM;
		break;
	case DW_TAG_variable:
		tc = TC_VAR;
		break;
	default:
		return;
	}
	const char *name = dwarf_diename(die);
	struct found *f;

	if (!name || !(f = vl_find_slot(vl, name)))
		return;
	if (f->have[tc] && !(tc == TC_AGG && f->agg_is_typedef && !is_typedef))
		return;
	if (vl_is_declaration(die))
		return;
	f->die[tc] = *die;
	f->have[tc] = true;
	if (tc == TC_AGG)
		f->agg_is_typedef = is_typedef;
}

/* One pass over the top-level DIEs of every unit. */
static void scan_units(struct col_vmlinux *vl)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, child;
	Dwarf_Half version;
	uint8_t unit_type;

	while (dwarf_get_units(vl->dw, cu, &cu, &version, &unit_type, &cudie, NULL) == 0) {
		if (dwarf_child(&cudie, &child) != 0)
			continue;
		do
			consider_die(vl, &child);
		while (dwarf_siblingof(&child, &child) == 0);
	}
}

enum kd_status col_vmlinux_open(const char *path, const char *const *types,
				struct col_vmlinux **ret, struct kd_err *err)
{
	struct col_vmlinux *vl = calloc(1, sizeof(*vl));
	GElf_Ehdr eh;
	enum kd_status st;
	size_t n = 0;

	if (!vl)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	vl->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (vl->fd < 0) {
		st = kd_err_sys(err, errno, "cannot open '%s'", path);
		free(vl);
		return st;
	}
	elf_version(EV_CURRENT);
	vl->elf = elf_begin(vl->fd, ELF_C_READ_MMAP, NULL);
	if (!vl->elf || elf_kind(vl->elf) != ELF_K_ELF || !gelf_getehdr(vl->elf, &eh)) {
		st = kd_err_set(err, KD_ERR_CORRUPT, "'%s' is not an ELF file", path);
		goto out_close;
	}
	vl->machine = eh.e_machine;
	vl->dw = dwarf_begin_elf(vl->elf, DWARF_C_READ, NULL);
	if (!vl->dw) {
		st = kd_err_set(err, KD_ERR_NODATA, "'%s' has no DWARF debug information (%s)", path,
				dwarf_errmsg(-1));
		goto out_close;
	}
	while (types && types[n])
		n++;
	vl->types = calloc(n ? n : 1, sizeof(*vl->types));
	if (!vl->types) {
		st = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		goto out_close;
	}
	for (size_t i = 0; i < n; i++)
		vl->types[i].name = types[i];
	vl->nr_types = n;
	scan_units(vl);
	*ret = vl;
	return KD_OK;

out_close:
	col_vmlinux_close(vl);
	return st;
}

void col_vmlinux_close(struct col_vmlinux *vl)
{
	if (!vl)
		return;
	if (vl->dw)
		dwarf_end(vl->dw);
	if (vl->elf)
		elf_end(vl->elf);
	if (vl->fd >= 0)
		close(vl->fd);
	free(vl->types);
	free(vl);
}

uint16_t col_vmlinux_machine(const struct col_vmlinux *vl)
{
	return vl->machine;
}

bool col_vmlinux_symbol(const struct col_vmlinux *vl, const char *name, uint64_t *ret)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(vl->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *s;

			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			s = elf_strptr(vl->elf, sh.sh_link, sym.st_name);
			if (s && !strcmp(s, name)) {
				*ret = sym.st_value;
				return true;
			}
		}
	}
	return false;
}

/* The type of @die with typedefs and qualifiers removed. */
bool vl_peeled_type(Dwarf_Die *die, Dwarf_Die *ret)
{
	Dwarf_Attribute a;
	Dwarf_Die t;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a) || !dwarf_formref_die(&a, &t))
		return false;
	return dwarf_peel_type(&t, ret) == 0;
}

bool vl_agg_die(const struct col_vmlinux *vl, const char *name, Dwarf_Die *ret)
{
	const struct found *f = vl_find_slot(vl, name);

	if (!f || !f->have[TC_AGG])
		return false;
	*ret = f->die[TC_AGG];
	if (f->agg_is_typedef) {
		Dwarf_Die t = *ret;

		return dwarf_peel_type(&t, ret) == 0;
	}
	return true;
}

bool col_vmlinux_size(const struct col_vmlinux *vl, const char *name, uint64_t *ret)
{
	const struct found *f = vl_find_slot(vl, name);
	Dwarf_Die d;
	Dwarf_Word size;

	if (!f || !f->have[TC_AGG])
		return false;
	d = f->die[TC_AGG];
	if (dwarf_aggregate_size(&d, &size) != 0)
		return false;
	*ret = size;
	return true;
}

static bool member_location(Dwarf_Die *m, uint64_t *ret)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr(m, DW_AT_data_member_location, &a)) {
		*ret = 0;	/* union members */
		return true;
	}
	if (dwarf_formudata(&a, &w) == 0) {
		*ret = w;
		return true;
	}
	if (dwarf_getlocation(&a, &ops, &nops) == 0 && nops == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*ret = ops[0].number;
		return true;
	}
	return false;
}

/* Find member @name in struct/union @agg (anonymous members searched too). */
bool vl_find_member(Dwarf_Die *agg, const char *name, int depth, Dwarf_Die *ret_die,
			uint64_t *ret_off)
{
	Dwarf_Die m;

	if (depth > MAX_NEST || dwarf_child(agg, &m) != 0)
		return false;
	do {
		const char *mname;
		uint64_t loc;
		Dwarf_Die t;

		if (dwarf_tag(&m) != DW_TAG_member || !member_location(&m, &loc))
			continue;
		mname = dwarf_diename(&m);
		if (mname && !strcmp(mname, name)) {
			*ret_die = m;
			*ret_off = loc;
			return true;
		}
		if (mname || !vl_peeled_type(&m, &t))
			continue;
		if (dwarf_tag(&t) != DW_TAG_structure_type && dwarf_tag(&t) != DW_TAG_union_type)
			continue;
		uint64_t inner;

		if (vl_find_member(&t, name, depth + 1, ret_die, &inner)) {
			*ret_off = loc + inner;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

bool col_vmlinux_offset(const struct col_vmlinux *vl, const char *type, const char *member,
			uint64_t *ret)
{
	Dwarf_Die agg, m;
	uint64_t off;

	if (!vl_agg_die(vl, type, &agg) || !vl_find_member(&agg, member, 0, &m, &off))
		return false;
	*ret = off;
	return true;
}

/* Element count of the (outermost dimension of the) array type @arr. */
bool vl_array_length(Dwarf_Die *arr, uint64_t *ret)
{
	Dwarf_Die sub;
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (dwarf_tag(arr) != DW_TAG_array_type || dwarf_child(arr, &sub) != 0)
		return false;
	do {
		if (dwarf_tag(&sub) != DW_TAG_subrange_type)
			continue;
		if (dwarf_attr(&sub, DW_AT_count, &a) && dwarf_formudata(&a, &w) == 0) {
			*ret = w;
			return true;
		}
		if (dwarf_attr(&sub, DW_AT_upper_bound, &a) && dwarf_formudata(&a, &w) == 0) {
			*ret = w + 1;
			return true;
		}
		return false;
	} while (dwarf_siblingof(&sub, &sub) == 0);
	return false;
}

bool col_vmlinux_member_length(const struct col_vmlinux *vl, const char *type,
			       const char *member, uint64_t *ret)
{
	Dwarf_Die agg, m, t;
	uint64_t off;

	return vl_agg_die(vl, type, &agg) && vl_find_member(&agg, member, 0, &m, &off) &&
	       vl_peeled_type(&m, &t) && vl_array_length(&t, ret);
}

static bool var_type(const struct col_vmlinux *vl, const char *var, Dwarf_Die *ret)
{
	const struct found *f = vl_find_slot(vl, var);
	Dwarf_Die d;

	if (!f || !f->have[TC_VAR])
		return false;
	d = f->die[TC_VAR];
	return vl_peeled_type(&d, ret);
}

bool col_vmlinux_var_length(const struct col_vmlinux *vl, const char *var, uint64_t *ret)
{
	Dwarf_Die t;

	return var_type(vl, var, &t) && vl_array_length(&t, ret);
}

bool col_vmlinux_var_is_pointer(const struct col_vmlinux *vl, const char *var)
{
	Dwarf_Die t;

	return var_type(vl, var, &t) && dwarf_tag(&t) == DW_TAG_pointer_type;
}

bool col_vmlinux_enumerator(const struct col_vmlinux *vl, const char *enum_name, const char *name,
			    int64_t *ret)
{
	const struct found *f = vl_find_slot(vl, enum_name);
	Dwarf_Die e, c;

	if (!f || !f->have[TC_ENUM])
		return false;
	e = f->die[TC_ENUM];
	if (dwarf_child(&e, &c) != 0)
		return false;
	do {
		const char *n = dwarf_diename(&c);
		Dwarf_Attribute a;
		Dwarf_Sword s;
		Dwarf_Word u;

		if (dwarf_tag(&c) != DW_TAG_enumerator || !n || strcmp(n, name) != 0)
			continue;
		if (!dwarf_attr(&c, DW_AT_const_value, &a))
			return false;
		if (dwarf_whatform(&a) == DW_FORM_sdata && dwarf_formsdata(&a, &s) == 0) {
			*ret = s;
			return true;
		}
		if (dwarf_formudata(&a, &u) == 0) {
			*ret = (int64_t)u;
			return true;
		}
		return false;
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

bool col_vmlinux_build_id(const struct col_vmlinux *vl, char *buf, size_t len)
{
	const void *id;
	ssize_t n = dwelf_elf_gnu_build_id(vl->elf, &id);

	if (n <= 0 || (size_t)n * 2 + 1 > len)
		return false;
	for (ssize_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", ((const unsigned char *)id)[i]);
	return true;
}

bool col_vmlinux_read(const struct col_vmlinux *vl, uint64_t vaddr, void *buf, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(vl->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOBITS || vaddr < sh.sh_addr || vaddr - sh.sh_addr >= sh.sh_size ||
		    len > sh.sh_size - (vaddr - sh.sh_addr))
			continue;
		d = elf_rawdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size < sh.sh_size)
			return false;
		memcpy(buf, (const char *)d->d_buf + (vaddr - sh.sh_addr), len);
		return true;
	}
	return false;
}
