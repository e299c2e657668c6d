/* ELF core headers for -E output: ELF64 or ELF32, either byte order. */
#include "formats/formats.h"

#include <elf.h>
#include <string.h>

static void put_e16(uint8_t *p, uint16_t v, bool big)
{
	if (big) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	} else {
		put_le16(p, v);
	}
}

static void put_e32(uint8_t *p, uint32_t v, bool big)
{
	if (big)
		put_be32(p, v);
	else
		put_le32(p, v);
}

static void put_e64(uint8_t *p, uint64_t v, bool big)
{
	if (big)
		put_be64(p, v);
	else
		put_le64(p, v);
}

size_t fmt_elf_ehdr_size(int elf_class)
{
	return elf_class == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

size_t fmt_elf_phdr_size(int elf_class)
{
	return elf_class == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

void fmt_elf_encode_ehdr(uint8_t *buf, int elf_class, bool big, uint16_t machine, uint32_t flags,
			 uint16_t phnum)
{
	bool is64 = elf_class == ELFCLASS64;

	memset(buf, 0, fmt_elf_ehdr_size(elf_class));
	memcpy(buf, ELFMAG, SELFMAG);
	buf[EI_CLASS] = (uint8_t)elf_class;
	buf[EI_DATA] = big ? ELFDATA2MSB : ELFDATA2LSB;
	buf[EI_VERSION] = EV_CURRENT;
	buf[EI_OSABI] = ELFOSABI_NONE;
	put_e16(buf + 16, ET_CORE, big);
	put_e16(buf + 18, machine, big);
	put_e32(buf + 20, EV_CURRENT, big);
	if (is64) {
		put_e64(buf + 32, sizeof(Elf64_Ehdr), big);	/* e_phoff */
		put_e32(buf + 48, flags, big);
		put_e16(buf + 52, sizeof(Elf64_Ehdr), big);
		put_e16(buf + 54, sizeof(Elf64_Phdr), big);
		put_e16(buf + 56, phnum, big);
	} else {
		put_e32(buf + 28, sizeof(Elf32_Ehdr), big);
		put_e32(buf + 36, flags, big);
		put_e16(buf + 40, sizeof(Elf32_Ehdr), big);
		put_e16(buf + 42, sizeof(Elf32_Phdr), big);
		put_e16(buf + 44, phnum, big);
	}
}

void fmt_elf_encode_phdr(uint8_t *buf, int elf_class, bool big, const struct fmt_elf_phdr *ph)
{
	memset(buf, 0, fmt_elf_phdr_size(elf_class));
	put_e32(buf, ph->type, big);
	if (elf_class == ELFCLASS64) {
		put_e32(buf + 4, ph->flags, big);
		put_e64(buf + 8, ph->offset, big);
		put_e64(buf + 16, ph->vaddr, big);
		put_e64(buf + 24, ph->paddr, big);
		put_e64(buf + 32, ph->filesz, big);
		put_e64(buf + 40, ph->memsz, big);
		put_e64(buf + 48, ph->align, big);
	} else {
		put_e32(buf + 4, (uint32_t)ph->offset, big);
		put_e32(buf + 8, (uint32_t)ph->vaddr, big);
		put_e32(buf + 12, (uint32_t)ph->paddr, big);
		put_e32(buf + 16, (uint32_t)ph->filesz, big);
		put_e32(buf + 20, (uint32_t)ph->memsz, big);
		put_e32(buf + 24, ph->flags, big);
		put_e32(buf + 28, (uint32_t)ph->align, big);
	}
}

size_t fmt_elf_note_size(const char *name, size_t desc_len)
{
	return 12 + (strlen(name) + 1 + 3) / 4 * 4 + (desc_len + 3) / 4 * 4;
}

void fmt_elf_encode_note(uint8_t *buf, bool big, const char *name, uint32_t type,
			 const void *desc, size_t desc_len)
{
	size_t namesz = strlen(name) + 1, desc_off = 12 + (namesz + 3) / 4 * 4;

	memset(buf, 0, fmt_elf_note_size(name, desc_len));
	put_e32(buf, (uint32_t)namesz, big);
	put_e32(buf + 4, (uint32_t)desc_len, big);
	put_e32(buf + 8, type, big);
	memcpy(buf + 12, name, namesz);
	memcpy(buf + desc_off, desc, desc_len);
}
