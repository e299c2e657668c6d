/* ELF core files (/proc/vmcore, QEMU and -E dumps): program headers and notes. */
#include "formats/formats.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#define VMCORE_MAX_PHNUM (1u << 20)
#define VMCORE_MAX_NOTES_SIZE (256ull << 20)

struct elf_view {
	int cls;
	bool big;
};

static uint64_t rd16(const struct elf_view *v, const uint8_t *p)
{
	return get_e16(p, v->big);
}

static uint64_t rd32(const struct elf_view *v, const uint8_t *p)
{
	return get_e32(p, v->big);
}

static uint64_t rdw(const struct elf_view *v, const uint8_t *p)
{
	return v->cls == ELFCLASS64 ? get_e64(p, v->big) : get_e32(p, v->big);
}

struct elf_hdr {
	uint16_t type;
	uint16_t machine;
	uint32_t flags;
	uint64_t phoff;
	uint64_t shoff;
	uint16_t phentsize;
	uint32_t phnum;
};

static enum kd_status parse_ehdr(struct fmt_input *in, struct elf_view *v, struct elf_hdr *h,
				 struct kd_err *err)
{
	const char *name = fmt_input_name(in);
	const uint8_t *e;
	enum kd_status st;

	if (fmt_input_size(in) < EI_NIDENT)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s' is not an ELF file (too short)", name);
	st = fmt_input_get(in, 0, EI_NIDENT, (const void **)&e, err);
	if (st != KD_OK)
		return st;
	if (memcmp(e, ELFMAG, SELFMAG) != 0)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s' is not an ELF file (bad magic)", name);
	if (e[EI_CLASS] != ELFCLASS32 && e[EI_CLASS] != ELFCLASS64)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': unknown ELF class %u", name,
				  e[EI_CLASS]);
	if (e[EI_DATA] != ELFDATA2LSB && e[EI_DATA] != ELFDATA2MSB)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': unknown ELF byte order %u", name,
				  e[EI_DATA]);
	v->cls = e[EI_CLASS];
	v->big = e[EI_DATA] == ELFDATA2MSB;

	size_t ehsize = v->cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);

	st = fmt_input_get(in, 0, ehsize, (const void **)&e, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "reading the ELF header");
	h->type = (uint16_t)rd16(v, e + 16);
	h->machine = (uint16_t)rd16(v, e + 18);
	if (v->cls == ELFCLASS64) {
		h->phoff = rdw(v, e + 32);
		h->shoff = rdw(v, e + 40);
		h->flags = (uint32_t)rd32(v, e + 48);
		h->phentsize = (uint16_t)rd16(v, e + 54);
		h->phnum = (uint32_t)rd16(v, e + 56);
	} else {
		h->phoff = rdw(v, e + 28);
		h->shoff = rdw(v, e + 32);
		h->flags = (uint32_t)rd32(v, e + 36);
		h->phentsize = (uint16_t)rd16(v, e + 42);
		h->phnum = (uint32_t)rd16(v, e + 44);
	}
	if (h->type != ET_CORE)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s' is an ELF file but not a core dump (e_type %u)",
				  name, h->type);
	return KD_OK;
}

/* PN_XNUM: the real count is in section header 0's sh_info. */
static enum kd_status fix_phnum(struct fmt_input *in, const struct elf_view *v, struct elf_hdr *h,
				struct kd_err *err)
{
	const uint8_t *sh;
	enum kd_status st;

	if (h->phnum != PN_XNUM)
		return KD_OK;
	if (!h->shoff)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': e_phnum is PN_XNUM but there is no section header",
				  fmt_input_name(in));
	st = fmt_input_get(in, h->shoff, v->cls == ELFCLASS64 ? 64 : 40, (const void **)&sh, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "reading section header 0");
	h->phnum = (uint32_t)rd32(v, sh + (v->cls == ELFCLASS64 ? 44 : 28));
	return KD_OK;
}

static enum kd_status add_note_segment(struct fmt_vmcore *vc, struct fmt_input *in, uint64_t off,
				       uint64_t size, struct kd_err *err)
{
	uint64_t total;
	uint8_t *nb;

	if (add_u64_overflow(vc->notes_size, size, &total) || total > VMCORE_MAX_NOTES_SIZE)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': PT_NOTE segments are too large (%#llx bytes)",
				  fmt_input_name(in), (unsigned long long)size);
	nb = realloc(vc->notes, total ? total : 1);
	if (!nb)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the notes");
	vc->notes = nb;
	if (size) {
		enum kd_status st = fmt_input_read(in, off, vc->notes + vc->notes_size, size, err);

		if (st != KD_OK)
			return kd_err_prefix(err, "reading PT_NOTE");
	}
	vc->notes_size = total;
	return KD_OK;
}

static uint64_t align4(uint64_t x)
{
	return (x + 3) & ~3ull;
}

static enum kd_status parse_notes(struct fmt_vmcore *vc, const char *name, struct kd_err *err)
{
	uint64_t pos = 0;
	size_t cap = 0;

	while (pos + 12 <= vc->notes_size) {
		const uint8_t *n = vc->notes + pos;
		uint64_t namesz = get_e32(n, vc->big_endian);
		uint64_t descsz = get_e32(n + 4, vc->big_endian);
		uint32_t type = get_e32(n + 8, vc->big_endian);
		uint64_t name_off = pos + 12;
		uint64_t desc_off = name_off + align4(namesz);
		uint64_t next = desc_off + align4(descsz);

		if (namesz == 0 && descsz == 0 && type == 0)
			break;	/* zero padding after the last note */
		if (next > vc->notes_size || desc_off + descsz > vc->notes_size)
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "'%s': note at offset %#llx overruns the PT_NOTE segment",
					  name, (unsigned long long)pos);
		if (vc->nr_notes == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct fmt_note *nl = realloc(vc->note_list, ncap * sizeof(*nl));

			if (!nl)
				return kd_err_set(err, KD_ERR_NOMEM, "out of memory for the notes");
			vc->note_list = nl;
			cap = ncap;
		}
		struct fmt_note *note = &vc->note_list[vc->nr_notes++];

		note->type = type;
		/* Names are NUL-terminated within namesz; force it so lookups stay in bounds. */
		note->name = namesz ? (const char *)vc->notes + name_off : "";
		if (namesz)
			vc->notes[name_off + namesz - 1] = '\0';
		note->desc = vc->notes + desc_off;
		note->desc_size = descsz;
		note->offset = pos;
		pos = next;
	}
	for (size_t i = 0; i < vc->nr_notes; i++) {
		const struct fmt_note *note = &vc->note_list[i];

		if (note->type == NT_PRSTATUS && strcmp(note->name, "CORE") == 0)
			vc->nr_prstatus++;
		else if (strcmp(note->name, "VMCOREINFO") == 0 && !vc->vmcoreinfo)
			vc->vmcoreinfo = note;
	}
	return KD_OK;
}

static enum kd_status read_phdrs(struct fmt_vmcore *vc, struct fmt_input *in,
				 const struct elf_view *v, const struct elf_hdr *h, struct kd_err *err)
{
	const char *name = fmt_input_name(in);
	size_t min_ent = v->cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	uint64_t table;

	if (h->phnum == 0)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': ELF core file has no program headers", name);
	if (h->phnum > VMCORE_MAX_PHNUM)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': too many program headers (%u)", name,
				  h->phnum);
	if (h->phentsize < min_ent)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': e_phentsize %u is too small", name,
				  h->phentsize);
	table = (uint64_t)h->phnum * h->phentsize;
	if (h->phoff + table < h->phoff || h->phoff + table > fmt_input_size(in))
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "'%s' is truncated: program headers at %#llx (%llu bytes) are past the end of the file",
				  name, (unsigned long long)h->phoff, (unsigned long long)table);
	vc->loads = calloc(h->phnum, sizeof(*vc->loads));
	if (!vc->loads)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for program headers");
	for (uint32_t i = 0; i < h->phnum; i++) {
		const uint8_t *p;
		uint64_t type, off, vaddr, paddr, filesz, memsz, end;
		enum kd_status st = fmt_input_get(in, h->phoff + (uint64_t)i * h->phentsize,
						  min_ent, (const void **)&p, err);

		if (st != KD_OK)
			return st;
		type = rd32(v, p);
		if (v->cls == ELFCLASS64) {
			off = rdw(v, p + 8);
			vaddr = rdw(v, p + 16);
			paddr = rdw(v, p + 24);
			filesz = rdw(v, p + 32);
			memsz = rdw(v, p + 40);
		} else {
			off = rdw(v, p + 4);
			vaddr = rdw(v, p + 8);
			paddr = rdw(v, p + 12);
			filesz = rdw(v, p + 16);
			memsz = rdw(v, p + 20);
		}
		if (add_u64_overflow(off, filesz, &end))
			return kd_err_set(err, KD_ERR_CORRUPT, "'%s': program header %u has an absurd size",
					  name, i);
		if (type == PT_NOTE) {
			if (end > fmt_input_size(in))
				return kd_err_set(err, KD_ERR_CORRUPT,
						  "'%s' is truncated: PT_NOTE ends at %#llx, file size is %#llx",
						  name, (unsigned long long)end,
						  (unsigned long long)fmt_input_size(in));
			st = add_note_segment(vc, in, off, filesz, err);
			if (st != KD_OK)
				return st;
		} else if (type == PT_LOAD &&
			   paddr == (v->cls == ELFCLASS64 ? UINT64_MAX : (uint64_t)UINT32_MAX)) {
			continue;	/* no physical address: /proc/kcore's vmalloc, modules, vmemmap */
		} else if (type == PT_LOAD) {
			struct fmt_load *l = &vc->loads[vc->nr_loads++];

			if (filesz > memsz)
				memsz = filesz;
			if (paddr + memsz < paddr)
				return kd_err_set(err, KD_ERR_CORRUPT,
						  "'%s': PT_LOAD %u wraps the physical address space", name, i);
			l->paddr = paddr;
			l->vaddr = vaddr;
			l->offset = off;
			l->filesz = filesz;
			l->memsz = memsz;
		}
	}
	return KD_OK;
}

static enum kd_status check_loads(const struct fmt_vmcore *vc, struct fmt_input *in,
				  struct kd_err *err)
{
	for (size_t i = 0; i < vc->nr_loads; i++) {
		const struct fmt_load *l = &vc->loads[i];

		if (l->offset + l->filesz > fmt_input_size(in))
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "'%s' is truncated: PT_LOAD for physical %#llx ends at file offset %#llx, file size is %#llx",
					  fmt_input_name(in), (unsigned long long)l->paddr,
					  (unsigned long long)(l->offset + l->filesz),
					  (unsigned long long)fmt_input_size(in));
	}
	if (!vc->nr_loads)
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': ELF core file has no PT_LOAD segment",
				  fmt_input_name(in));
	return KD_OK;
}

enum kd_status fmt_vmcore_open(struct fmt_input *in, struct fmt_vmcore **ret, struct kd_err *err)
{
	struct fmt_vmcore *vc;
	struct elf_view v = { 0 };
	struct elf_hdr h = { 0 };
	enum kd_status st;

	st = parse_ehdr(in, &v, &h, err);
	if (st != KD_OK)
		return st;
	st = fix_phnum(in, &v, &h, err);
	if (st != KD_OK)
		return st;
	vc = calloc(1, sizeof(*vc));
	if (!vc)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	vc->elf_class = v.cls;
	vc->big_endian = v.big;
	vc->machine = h.machine;
	vc->e_flags = h.flags;
	st = read_phdrs(vc, in, &v, &h, err);
	if (st == KD_OK)
		st = check_loads(vc, in, err);
	if (st == KD_OK)
		st = parse_notes(vc, fmt_input_name(in), err);
	if (st != KD_OK) {
		fmt_vmcore_destroy(vc);
		return st;
	}
	*ret = vc;
	return KD_OK;
}

void fmt_vmcore_destroy(struct fmt_vmcore *vc)
{
	if (!vc)
		return;
	free(vc->loads);
	free(vc->notes);
	free(vc->note_list);
	free(vc);
}
