/* bzImage setup header: Debian's real kernel, and broken copies of it. */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/arch/x86_64/x86_64.h"
#include "tests/unit/tap.h"

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*size = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* A kernel from the VM lab's cache, or $KDUMPKIT_BZIMAGE. */
static char *find_kernel(void)
{
	const char *env = getenv("KDUMPKIT_BZIMAGE");
	glob_t g;
	char *p = NULL;

	if (env && *env)
		return strdup(env);
	if (glob("/var/cache/kdumpkit/kernel/*/boot/vmlinuz-*", 0, NULL, &g) == 0) {
		if (g.gl_pathc)
			p = strdup(g.gl_pathv[g.gl_pathc - 1]);
		globfree(&g);
	}
	return p;
}

static void synthetic(struct tap *t)
{
	uint8_t img[0x2000] = { 0 };
	struct ldr_bzimage bz;
	struct kd_err err;
	enum kd_status st;

	/* a minimal 2.15 header: 4 setup sectors (setup_sects 0), 64-bit entry */
	put_le16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;	/* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	put_le16(img + 0x206, 0x020f);
	put_le32(img + 0x230, 0x200000);
	img[0x234] = 1;
	put_le16(img + 0x236, LDR_XLF_KERNEL_64 | LDR_XLF_CAN_BE_LOADED_ABOVE_4G);
	put_le32(img + 0x238, 2047);
	put_le32(img + 0x260, 0x100000);
	st = ldr_bzimage_parse(img, sizeof(img), &bz, &err);
	TAP_CHECK(t, st == KD_OK, "synthetic 2.15 header parses (%s)", st ? err.msg : "");
	TAP_CHECK(t, bz.setup_sects == 4 && bz.setup_size == 5 * 512,
		  "setup_sects 0 means 4 (setup %zu bytes)", bz.setup_size);
	TAP_CHECK(t, bz.kernel == img + 2560 && bz.kernel_size == sizeof(img) - 2560,
		  "protected-mode part follows the setup sectors");
	TAP_CHECK(t, bz.header_end == 0x26c, "header end from the jump at 0x200");

	put_le16(img + 0x236, 0);
	st = ldr_bzimage_parse(img, sizeof(img), &bz, &err);
	TAP_CHECK(t, st == KD_ERR_NOTIMPL && strstr(err.msg, "64-bit"),
		  "no XLF_KERNEL_64 is refused: %s", err.msg);
}

static void real_kernel(struct tap *t, const char *path)
{
	size_t size = 0;
	uint8_t *img = slurp(path, &size), *copy;
	struct ldr_bzimage bz;
	struct kd_err err;
	enum kd_status st;

	TAP_CHECK(t, img != NULL, "read %s", path);
	if (!img)
		return;
	st = ldr_bzimage_parse(img, size, &bz, &err);
	TAP_CHECK(t, st == KD_OK, "real kernel parses (%s)", st ? err.msg : "");
	if (st) {
		free(img);
		return;
	}
	printf("# version %u.%02u setup_sects %u kernel_alignment 0x%x relocatable %d "
	       "xloadflags 0x%x cmdline_size %u pref_address 0x%llx init_size 0x%x\n",
	       bz.version >> 8, bz.version & 0xff, bz.setup_sects, bz.kernel_alignment,
	       bz.relocatable, bz.xloadflags, bz.cmdline_size,
	       (unsigned long long)bz.pref_address, bz.init_size);
	TAP_CHECK(t, bz.version >= 0x020c, "protocol at least 2.12");
	TAP_CHECK(t, bz.xloadflags & LDR_XLF_KERNEL_64, "XLF_KERNEL_64 set");
	TAP_CHECK(t, bz.relocatable, "relocatable");
	TAP_CHECK(t, bz.kernel_alignment >= 0x200000, "kernel_alignment >= 2 MiB");
	TAP_CHECK(t, bz.init_size > bz.kernel_size, "init_size > file payload");
	TAP_CHECK(t, bz.cmdline_size >= 255, "cmdline_size %u", bz.cmdline_size);
	TAP_CHECK(t, bz.pref_address == 0x1000000, "pref_address 16 MiB");
	TAP_CHECK(t, bz.payload_offset + bz.payload_length <= bz.kernel_size,
		  "payload inside the kernel");

	copy = malloc(size);
	if (!copy) {
		free(img);
		return;
	}
	/* truncated: half the file, and just past the header */
	st = ldr_bzimage_parse(img, size / 2, &bz, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT && strstr(err.msg, "truncated"), "half a kernel: %s",
		  err.msg);
	st = ldr_bzimage_parse(img, 0x240, &bz, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT && strstr(err.msg, "truncated"),
		  "header cut at 0x240: %s", err.msg);
	st = ldr_bzimage_parse(img, 0x100, &bz, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "first 256 bytes: %s", err.msg);
	/* not a kernel: magic gone, or an ELF file */
	memcpy(copy, img, size);
	memcpy(copy + 0x202, "HdrX", 4);
	st = ldr_bzimage_parse(copy, size, &bz, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT && strstr(err.msg, "not a bzImage"), "no HdrS: %s",
		  err.msg);
	memset(copy, 0, 0x400);
	memcpy(copy, "\177ELF", 4);
	st = ldr_bzimage_parse(copy, size, &bz, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT && strstr(err.msg, "not a bzImage"), "ELF file: %s",
		  err.msg);
	/* too old a protocol */
	memcpy(copy, img, size);
	put_le16(copy + 0x206, 0x020a);
	st = ldr_bzimage_parse(copy, size, &bz, &err);
	TAP_CHECK(t, st == KD_ERR_NOTIMPL && strstr(err.msg, "2.10 is too old"),
		  "protocol 2.10: %s", err.msg);
	/* every cut through the first 64 KiB fails cleanly (ASan watches the reads) */
	int all_fail = 1;
	for (size_t n = 0; n < 65536 && n < size; n += n < 0x400 ? 1 : 509) {
		uint8_t *cut = malloc(n ? n : 1);

		if (!cut)
			break;
		memcpy(cut, img, n);
		all_fail &= ldr_bzimage_parse(cut, n, &bz, &err) == KD_ERR_CORRUPT;
		free(cut);
	}
	TAP_CHECK(t, all_fail, "every prefix up to 64 KiB is refused as corrupt");
	free(copy);
	free(img);
}

int main(void)
{
	struct tap t = { 0 };
	char *k = find_kernel();

	synthetic(&t);
	if (k)
		real_kernel(&t, k);
	else
		printf("skip - real bzImage (none in /var/cache/kdumpkit; set KDUMPKIT_BZIMAGE)\n");
	free(k);
	return tap_finish(&t);
}
