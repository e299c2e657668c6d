/* Purgatory relocation: the built-in object at low and high addresses, symbols, bad relocations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/purgatory-reloc.h"
#include "purgatory/abi.h"
#include "tests/unit/tap.h"

/* Section header @i of an ELF64 LE object. */
static uint8_t *shdr(uint8_t *img, unsigned i)
{
	return img + get_le64(img + 40) + (uint64_t)i * get_le16(img + 58);
}

/* Change the type of the first relocation of type @from to @to; returns its offset or -1. */
static long patch_reloc(uint8_t *img, unsigned from, unsigned to)
{
	unsigned n = get_le16(img + 60);

	for (unsigned i = 0; i < n; i++) {
		uint8_t *sh = shdr(img, i);

		if (get_le32(sh + 4) != 4 /* SHT_RELA */)
			continue;
		uint64_t off = get_le64(sh + 24), size = get_le64(sh + 32);
		for (uint64_t r = off; r + 24 <= off + size; r += 24)
			if ((get_le64(img + r + 8) & 0xffffffff) == from) {
				put_le32(img + r + 8, to);
				return (long)r;
			}
	}
	return -1;
}

static void relocate_at(struct tap *t, const void *img, size_t size, uint64_t addr)
{
	struct ldr_purgatory *p;
	struct kd_err err;
	uint64_t entry, gdt, gdt_desc, v;
	uint8_t buf[32] = { 1, 2, 3 }, back[32];
	enum kd_status st;

	st = ldr_purgatory_open(img, size, &p, &err);
	TAP_CHECK(t, st == KD_OK, "open built-in purgatory (%s)", st ? err.msg : "");
	if (st)
		return;
	st = ldr_purgatory_relocate(p, addr, &err);
	TAP_CHECK(t, st == KD_OK, "relocate at 0x%llx (%s)", (unsigned long long)addr,
		  st ? err.msg : "");
	TAP_CHECK(t, ldr_purgatory_memsz(p) > 0 && ldr_purgatory_memsz(p) < 64 * 1024,
		  "image is %llu bytes", (unsigned long long)ldr_purgatory_memsz(p));
	st = ldr_purgatory_symbol_addr(p, PURGATORY_SYM_ENTRY, &entry, &err);
	TAP_CHECK(t, st == KD_OK && entry >= addr && entry < addr + ldr_purgatory_memsz(p),
		  "entry purgatory_start at 0x%llx", (unsigned long long)entry);
	/* the R_X86_64_64 in gdt_desc must now hold gdt's absolute address */
	if (ldr_purgatory_symbol_addr(p, "gdt", &gdt, &err) == KD_OK &&
	    ldr_purgatory_symbol_addr(p, "gdt_desc", &gdt_desc, &err) == KD_OK) {
		v = get_le64(ldr_purgatory_image(p) + (gdt_desc - addr) + 2);
		TAP_CHECK(t, v == gdt, "gdt_desc base relocated to 0x%llx", (unsigned long long)v);
	} else {
		TAP_CHECK(t, 0, "gdt/gdt_desc symbols present");
	}
	st = ldr_purgatory_set_symbol(p, PURGATORY_SYM_DIGEST, buf, 32, &err);
	TAP_CHECK(t, st == KD_OK, "set sha256_digest");
	st = ldr_purgatory_get_symbol(p, PURGATORY_SYM_DIGEST, back, 32, &err);
	TAP_CHECK(t, st == KD_OK && !memcmp(buf, back, 32), "read it back");
	st = ldr_purgatory_set_symbol(p, PURGATORY_SYM_DIGEST, buf, 16, &err);
	TAP_CHECK(t, st == KD_ERR_INVALID, "wrong size refused: %s", err.msg);
	st = ldr_purgatory_set_symbol(p, "no_such_symbol", buf, 4, &err);
	TAP_CHECK(t, st == KD_ERR_NODATA, "unknown symbol: %s", err.msg);
	st = ldr_purgatory_set_symbol(p, PURGATORY_SYM_SERIAL, buf, 2, &err);
	TAP_CHECK(t, st == KD_OK, "serial_base is 2 bytes");
	st = ldr_purgatory_set_symbol(p, PURGATORY_SYM_REGIONS, NULL, 0, &err);
	TAP_CHECK(t, st == KD_ERR_INVALID, "sha256_regions needs 256 bytes: %s", err.msg);
	st = ldr_purgatory_relocate(p, addr + 8, &err);
	TAP_CHECK(t, st == KD_ERR_INVALID, "misaligned address refused: %s", err.msg);
	ldr_purgatory_destroy(p);
}

int main(void)
{
	struct tap t = { 0 };
	const void *blob;
	size_t size;
	struct ldr_purgatory *p;
	struct kd_err err;
	enum kd_status st;
	uint8_t *copy;

	ldr_purgatory_builtin(&blob, &size);
	TAP_CHECK(&t, size > 64 && !memcmp(blob, "\177ELF", 4), "built-in purgatory (%zu bytes)",
		  size);
	relocate_at(&t, blob, size, 0x3dffb000);	/* crashkernel=256M on 1 GiB */
	relocate_at(&t, blob, size, 0x17fffb000);	/* a high range above 4 GiB */

	copy = malloc(size);
	if (!copy)
		return 2;
	/* a relocation type the loader does not know */
	memcpy(copy, blob, size);
	TAP_CHECK(&t, patch_reloc(copy, 1 /* R_X86_64_64 */, 9 /* GOTPCREL */) >= 0,
		  "patched a relocation to R_X86_64_GOTPCREL");
	st = ldr_purgatory_open(copy, size, &p, &err);
	if (st == KD_OK) {
		st = ldr_purgatory_relocate(p, 0x1000000, &err);
		TAP_CHECK(&t, st == KD_ERR_NOTIMPL && strstr(err.msg, "R_X86_64_GOTPCREL"),
			  "GOTPCREL refused: %s", err.msg);
		ldr_purgatory_destroy(p);
	}
	/* R_X86_64_32S / R_X86_64_32: fine low, overflow high */
	memcpy(copy, blob, size);
	patch_reloc(copy, 1, 11 /* 32S */);
	if (ldr_purgatory_open(copy, size, &p, &err) == KD_OK) {
		st = ldr_purgatory_relocate(p, 0x1000000, &err);
		TAP_CHECK(&t, st == KD_OK, "R_X86_64_32S at 16 MiB (%s)", st ? err.msg : "");
		st = ldr_purgatory_relocate(p, 0x80000000, &err);
		TAP_CHECK(&t, st == KD_ERR_INVALID && strstr(err.msg, "overflows"),
			  "R_X86_64_32S at 2 GiB: %s", err.msg);
		ldr_purgatory_destroy(p);
	}
	memcpy(copy, blob, size);
	patch_reloc(copy, 1, 10 /* 32 */);
	if (ldr_purgatory_open(copy, size, &p, &err) == KD_OK) {
		st = ldr_purgatory_relocate(p, 0x80000000, &err);
		TAP_CHECK(&t, st == KD_OK, "R_X86_64_32 at 2 GiB (%s)", st ? err.msg : "");
		st = ldr_purgatory_relocate(p, 0x100000000ull, &err);
		TAP_CHECK(&t, st == KD_ERR_INVALID && strstr(err.msg, "overflows"),
			  "R_X86_64_32 at 4 GiB: %s", err.msg);
		ldr_purgatory_destroy(p);
	}
	/* not an object at all, and an executable */
	st = ldr_purgatory_open("hello", 5, &p, &err);
	TAP_CHECK(&t, st == KD_ERR_CORRUPT, "5 bytes of text: %s", err.msg);
	memcpy(copy, blob, size);
	put_le16(copy + 16, 2 /* ET_EXEC */);
	st = ldr_purgatory_open(copy, size, &p, &err);
	TAP_CHECK(&t, st == KD_ERR_CORRUPT, "ET_EXEC: %s", err.msg);
	/* truncated objects: open or relocate fails, never reads out of bounds */
	int clean = 1;
	for (size_t n = 0; n < size; n += 97) {
		uint8_t *cut = malloc(n ? n : 1);

		if (!cut)
			break;
		memcpy(cut, blob, n);
		if (ldr_purgatory_open(cut, n, &p, &err) == KD_OK) {
			clean &= ldr_purgatory_relocate(p, 0x1000000, &err) != KD_OK;
			ldr_purgatory_destroy(p);
		}
		free(cut);
	}
	TAP_CHECK(&t, clean, "every truncated copy of the object is refused");
	free(copy);
	return tap_finish(&t);
}
