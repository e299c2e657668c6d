/* Purgatory loader: an ET_REL x86_64 object laid out and relocated with libelf. */
#include "loader/purgatory-reloc.h"

#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"

#define NO_OFFSET UINT64_MAX

struct ldr_purgatory {
	uint8_t *file;		/* our copy of the object, libelf reads it */
	Elf *elf;
	unsigned machine;	/* EM_X86_64 or EM_AARCH64 */
	size_t shnum;
	uint64_t *sec_off;	/* per section: offset in the image, NO_OFFSET if not loaded */
	size_t symtab;		/* index of SHT_SYMTAB */
	uint64_t memsz;
	uint64_t align;
	uint8_t *image;		/* memsz bytes, valid after relocate */
	uint64_t addr;
	int relocated;
};

extern const unsigned char ldr_purgatory_blob[];
extern const unsigned char ldr_purgatory_blob_end[];

void ldr_purgatory_builtin(const void **image_ret, size_t *size_ret)
{
	*image_ret = ldr_purgatory_blob;
	*size_ret = (size_t)(ldr_purgatory_blob_end - ldr_purgatory_blob);
}

static enum kd_status elf_fail(struct kd_err *err, const char *what)
{
	return kd_err_set(err, KD_ERR_CORRUPT, "purgatory: %s: %s", what, elf_errmsg(-1));
}

static enum kd_status layout_sections(struct ldr_purgatory *p, struct kd_err *err)
{
	uint64_t off = 0;

	p->align = 1;
	p->symtab = 0;
	for (size_t i = 0; i < p->shnum; i++) {
		Elf_Scn *scn = elf_getscn(p->elf, i);
		GElf_Shdr sh;

		p->sec_off[i] = NO_OFFSET;
		if (!scn || !gelf_getshdr(scn, &sh))
			return elf_fail(err, "section header");
		if (sh.sh_type == SHT_SYMTAB)
			p->symtab = i;
		if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_size == 0)
			continue;
		uint64_t a = sh.sh_addralign ? sh.sh_addralign : 1;
		if (a & (a - 1) || a > 4096)
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "purgatory: section %zu has alignment %" PRIu64, i, a);
		if (sh.sh_type != SHT_NOBITS && (sh.sh_offset > SIZE_MAX || sh.sh_size > SIZE_MAX))
			return kd_err_set(err, KD_ERR_CORRUPT, "purgatory: section %zu too big", i);
		off = (off + a - 1) & ~(a - 1);
		p->sec_off[i] = off;
		if (sh.sh_size > (1u << 24) || off + sh.sh_size > (1u << 24))
			return kd_err_set(err, KD_ERR_CORRUPT, "purgatory: image over 16 MiB");
		off += sh.sh_size;
		if (a > p->align)
			p->align = a;
	}
	if (!p->symtab)
		return kd_err_set(err, KD_ERR_CORRUPT, "purgatory: no symbol table");
	p->memsz = off;
	return KD_OK;
}

enum kd_status ldr_purgatory_open(const void *image, size_t size, struct ldr_purgatory **ret,
				  struct kd_err *err)
{
	struct ldr_purgatory *p;
	GElf_Ehdr eh;
	enum kd_status st;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return kd_err_set(err, KD_ERR_NOTIMPL, "purgatory: libelf too old");
	p = calloc(1, sizeof(*p));
	if (!p || !(p->file = malloc(size ? size : 1))) {
		free(p);
		return kd_err_set(err, KD_ERR_NOMEM, "purgatory: out of memory");
	}
	memcpy(p->file, image, size);
	p->elf = elf_memory((char *)p->file, size);
	if (!p->elf) {
		st = elf_fail(err, "not an ELF object");
		goto out_destroy;
	}
	if (elf_kind(p->elf) != ELF_K_ELF || !gelf_getehdr(p->elf, &eh)) {
		st = kd_err_set(err, KD_ERR_CORRUPT, "purgatory: not an ELF object");
		goto out_destroy;
	}
	if (gelf_getclass(p->elf) != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_type != ET_REL || (eh.e_machine != EM_X86_64 && eh.e_machine != EM_AARCH64)) {
		st = kd_err_set(err, KD_ERR_CORRUPT,
				"purgatory: not a relocatable x86_64 or arm64 ELF64 object");
		goto out_destroy;
	}
	p->machine = eh.e_machine;
	if (elf_getshdrnum(p->elf, &p->shnum) != 0) {
		st = elf_fail(err, "section count");
		goto out_destroy;
	}
	p->sec_off = calloc(p->shnum ? p->shnum : 1, sizeof(*p->sec_off));
	if (!p->sec_off) {
		st = kd_err_set(err, KD_ERR_NOMEM, "purgatory: out of memory");
		goto out_destroy;
	}
	st = layout_sections(p, err);
	if (st)
		goto out_destroy;
	p->image = calloc(1, p->memsz ? p->memsz : 1);
	if (!p->image) {
		st = kd_err_set(err, KD_ERR_NOMEM, "purgatory: out of memory");
		goto out_destroy;
	}
	*ret = p;
	return KD_OK;

out_destroy:
	ldr_purgatory_destroy(p);
	return st;
}

void ldr_purgatory_destroy(struct ldr_purgatory *p)
{
	if (!p)
		return;
	if (p->elf)
		elf_end(p->elf);
	free(p->sec_off);
	free(p->image);
	free(p->file);
	free(p);
}

uint64_t ldr_purgatory_memsz(const struct ldr_purgatory *p)
{
	return p->memsz;
}

uint64_t ldr_purgatory_align(const struct ldr_purgatory *p)
{
	return p->align;
}

const uint8_t *ldr_purgatory_image(const struct ldr_purgatory *p)
{
	return p->image;
}

uint64_t ldr_purgatory_addr(const struct ldr_purgatory *p)
{
	return p->addr;
}

/* Address of symbol @ndx of the symbol table, for relocation or lookup. */
static enum kd_status symbol_value(const struct ldr_purgatory *p, Elf_Data *syms, size_t ndx,
				   uint64_t *ret, struct kd_err *err)
{
	GElf_Sym sym;

	if (!gelf_getsym(syms, (int)ndx, &sym))
		return kd_err_set(err, KD_ERR_CORRUPT, "purgatory: bad symbol index %zu", ndx);
	if (sym.st_shndx == SHN_ABS) {
		*ret = sym.st_value;
		return KD_OK;
	}
	if (sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_COMMON ||
	    sym.st_shndx >= p->shnum || p->sec_off[sym.st_shndx] == NO_OFFSET) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_getscn(p->elf, p->symtab);
		const char *n = scn && gelf_getshdr(scn, &sh) ?
					elf_strptr(p->elf, sh.sh_link, sym.st_name) : NULL;

		return kd_err_set(err, KD_ERR_CORRUPT, "purgatory: symbol '%s' is %s",
				  n ? n : "?", sym.st_shndx == SHN_UNDEF ? "undefined"
									: "not in a loaded section");
	}
	*ret = p->addr + p->sec_off[sym.st_shndx] + sym.st_value;
	return KD_OK;
}

static const char *reloc_name(unsigned type)
{
	switch (type) {
	case R_X86_64_NONE: return "R_X86_64_NONE";
	case R_X86_64_64: return "R_X86_64_64";
	case R_X86_64_PC32: return "R_X86_64_PC32";
	case R_X86_64_GOT32: return "R_X86_64_GOT32";
	case R_X86_64_PLT32: return "R_X86_64_PLT32";
	case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
	case R_X86_64_32: return "R_X86_64_32";
	case R_X86_64_32S: return "R_X86_64_32S";
	case R_X86_64_PC64: return "R_X86_64_PC64";
	case R_X86_64_GOTPCRELX: return "R_X86_64_GOTPCRELX";
	case R_X86_64_REX_GOTPCRELX: return "R_X86_64_REX_GOTPCRELX";
	default: return "unknown";
	}
}

/* Apply one relocation at image offset @off (P = addr + off) with value S + A. */
static enum kd_status apply_one(struct ldr_purgatory *p, unsigned type, uint64_t off,
				uint64_t room, uint64_t sa, struct kd_err *err)
{
	uint8_t *loc = p->image + off;
	uint64_t pc = p->addr + off;
	int64_t rel;

	if (p->machine == EM_AARCH64) {
		if (ldr_arm64_reloc_apply(loc, room, pc, sa, type, err) == KD_OK)
			return KD_OK;
		return kd_err_prefix(err, "purgatory: at offset 0x%" PRIx64 " for address 0x%" PRIx64,
				     off, p->addr);
	}
	switch (type) {
	case R_X86_64_NONE:
		return KD_OK;
	case R_X86_64_64:
		if (room < 8)
			break;
		put_le64(loc, sa);
		return KD_OK;
	case R_X86_64_32:
		if (room < 4)
			break;
		if (sa > UINT32_MAX)
			goto overflow;
		put_le32(loc, (uint32_t)sa);
		return KD_OK;
	case R_X86_64_32S:
		if (room < 4)
			break;
		if ((int64_t)sa < INT32_MIN || (int64_t)sa > INT32_MAX)
			goto overflow;
		put_le32(loc, (uint32_t)sa);
		return KD_OK;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		if (room < 4)
			break;
		rel = (int64_t)(sa - pc);
		if (rel < INT32_MIN || rel > INT32_MAX)
			goto overflow;
		put_le32(loc, (uint32_t)rel);
		return KD_OK;
	default:
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "purgatory: unhandled relocation type %u (%s) at offset 0x%" PRIx64,
				  type, reloc_name(type), off);
	}
	return kd_err_set(err, KD_ERR_CORRUPT, "purgatory: %s at offset 0x%" PRIx64
			  " runs past its section", reloc_name(type), off);
overflow:
	return kd_err_set(err, KD_ERR_INVALID, "purgatory: %s at offset 0x%" PRIx64
			  " overflows for address 0x%" PRIx64 " (value 0x%" PRIx64 ")",
			  reloc_name(type), off, p->addr, sa);
}

static enum kd_status apply_rela_section(struct ldr_purgatory *p, Elf_Scn *scn,
					 const GElf_Shdr *sh, struct kd_err *err)
{
	Elf_Data *rels = elf_getdata(scn, NULL);
	Elf_Data *syms = elf_getdata(elf_getscn(p->elf, p->symtab), NULL);
	size_t target = sh->sh_info, n;
	GElf_Shdr tsh;
	enum kd_status st;

	if (target >= p->shnum || p->sec_off[target] == NO_OFFSET)
		return KD_OK;	/* relocations for a section we do not load (debug info) */
	if (sh->sh_link != p->symtab)
		return kd_err_set(err, KD_ERR_CORRUPT, "purgatory: relocations use another symtab");
	if (!rels || !syms || !gelf_getshdr(elf_getscn(p->elf, target), &tsh))
		return elf_fail(err, "relocation data");
	if (tsh.sh_type == SHT_NOBITS)
		return kd_err_set(err, KD_ERR_CORRUPT, "purgatory: relocation in a NOBITS section");
	n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		uint64_t s = 0;

		if (!gelf_getrela(rels, (int)i, &r))
			return elf_fail(err, "relocation entry");
		if (r.r_offset >= tsh.sh_size)
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "purgatory: relocation offset 0x%" PRIx64 " past its section",
					  r.r_offset);
		if (GELF_R_TYPE(r.r_info) == R_X86_64_NONE)
			continue;
		st = symbol_value(p, syms, GELF_R_SYM(r.r_info), &s, err);
		if (st)
			return st;
		st = apply_one(p, GELF_R_TYPE(r.r_info), p->sec_off[target] + r.r_offset,
			       tsh.sh_size - r.r_offset, s + (uint64_t)r.r_addend, err);
		if (st)
			return st;
	}
	return KD_OK;
}

enum kd_status ldr_purgatory_relocate(struct ldr_purgatory *p, uint64_t addr, struct kd_err *err)
{
	enum kd_status st;

	if (addr & (p->align - 1))
		return kd_err_set(err, KD_ERR_INVALID,
				  "purgatory: address 0x%" PRIx64 " not %" PRIu64 "-byte aligned",
				  addr, p->align);
	p->addr = addr;
	p->relocated = 0;
	memset(p->image, 0, p->memsz);
	for (size_t i = 0; i < p->shnum; i++) {
		Elf_Scn *scn = elf_getscn(p->elf, i);
		Elf_Data *d;
		GElf_Shdr sh;

		if (p->sec_off[i] == NO_OFFSET || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		d = elf_rawdata(scn, NULL);
		if (!d || d->d_size != sh.sh_size)
			return elf_fail(err, "section data");
		memcpy(p->image + p->sec_off[i], d->d_buf, d->d_size);
	}
	for (size_t i = 0; i < p->shnum; i++) {
		Elf_Scn *scn = elf_getscn(p->elf, i);
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			return elf_fail(err, "section header");
		if (sh.sh_type == SHT_REL)
			return kd_err_set(err, KD_ERR_NOTIMPL,
					  "purgatory: SHT_REL relocations are not supported");
		if (sh.sh_type != SHT_RELA)
			continue;
		st = apply_rela_section(p, scn, &sh, err);
		if (st)
			return st;
	}
	p->relocated = 1;
	return KD_OK;
}

/* Find @name in the symbol table: image offset and size. */
static enum kd_status find_symbol(const struct ldr_purgatory *p, const char *name,
				  uint64_t *off_ret, uint64_t *size_ret, struct kd_err *err)
{
	Elf_Scn *scn = elf_getscn(p->elf, p->symtab);
	Elf_Data *syms = elf_getdata(scn, NULL);
	GElf_Shdr sh;
	size_t n;

	if (!syms || !gelf_getshdr(scn, &sh))
		return elf_fail(err, "symbol table");
	n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		const char *s;

		if (!gelf_getsym(syms, (int)i, &sym))
			return elf_fail(err, "symbol");
		s = elf_strptr(p->elf, sh.sh_link, sym.st_name);
		if (!s || strcmp(s, name) != 0 || GELF_ST_TYPE(sym.st_info) == STT_SECTION)
			continue;
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= p->shnum ||
		    p->sec_off[sym.st_shndx] == NO_OFFSET)
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "purgatory: symbol '%s' is not in a loaded section", name);
		if (sym.st_value > p->memsz || sym.st_size > p->memsz ||
		    p->sec_off[sym.st_shndx] + sym.st_value + sym.st_size > p->memsz)
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "purgatory: symbol '%s' lies outside the image", name);
		*off_ret = p->sec_off[sym.st_shndx] + sym.st_value;
		*size_ret = sym.st_size;
		return KD_OK;
	}
	return kd_err_set(err, KD_ERR_NODATA, "purgatory: no symbol '%s'", name);
}

static enum kd_status sized_symbol(const struct ldr_purgatory *p, const char *name, size_t len,
				   uint64_t *off_ret, struct kd_err *err)
{
	uint64_t size;
	enum kd_status st = find_symbol(p, name, off_ret, &size, err);

	if (st)
		return st;
	if (size != len)
		return kd_err_set(err, KD_ERR_INVALID,
				  "purgatory: symbol '%s' has %" PRIu64 " bytes, not %zu", name, size,
				  len);
	if (!p->relocated)
		return kd_err_set(err, KD_ERR_INVALID, "purgatory: not relocated yet");
	return KD_OK;
}

enum kd_status ldr_purgatory_set_symbol(struct ldr_purgatory *p, const char *name,
					const void *buf, size_t len, struct kd_err *err)
{
	uint64_t off;
	enum kd_status st = sized_symbol(p, name, len, &off, err);

	if (st)
		return st;
	memcpy(p->image + off, buf, len);
	return KD_OK;
}

enum kd_status ldr_purgatory_get_symbol(const struct ldr_purgatory *p, const char *name, void *buf,
					size_t len, struct kd_err *err)
{
	uint64_t off;
	enum kd_status st = sized_symbol(p, name, len, &off, err);

	if (st)
		return st;
	memcpy(buf, p->image + off, len);
	return KD_OK;
}

enum kd_status ldr_purgatory_symbol_addr(const struct ldr_purgatory *p, const char *name,
					 uint64_t *ret, struct kd_err *err)
{
	uint64_t off, size;
	enum kd_status st = find_symbol(p, name, &off, &size, err);

	if (st)
		return st;
	*ret = p->addr + off;
	return KD_OK;
}
