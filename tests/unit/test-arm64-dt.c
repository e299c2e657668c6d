/* Unit tests for loader/arch/arm64/fdt.c: /chosen of the capture kernel's device tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"
#include "tests/unit/tap.h"

/* ------------------------------------------------------------------ */
/* A tiny FDT writer for the inputs */

struct w {
	uint8_t st[4096], str[1024];
	size_t st_len, str_len;
};

static void w32(struct w *w, uint32_t v)
{
	put_be32(w->st + w->st_len, v);
	w->st_len += 4;
}

static void wnode(struct w *w, const char *name)
{
	size_t n = strlen(name) + 1;

	w32(w, 1);
	memcpy(w->st + w->st_len, name, n);
	w->st_len += (n + 3) & ~(size_t)3;
}

static void wprop(struct w *w, const char *name, const void *v, size_t len)
{
	size_t n = strlen(name) + 1;

	w32(w, 3);
	w32(w, (uint32_t)len);
	w32(w, (uint32_t)w->str_len);
	memcpy(w->str + w->str_len, name, n);
	w->str_len += n;
	memcpy(w->st + w->st_len, v, len);
	w->st_len += (len + 3) & ~(size_t)3;
}

static void wprop32(struct w *w, const char *name, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	wprop(w, name, b, 4);
}

/* header | reserve map (one entry) | structure | strings */
static size_t wfinish(struct w *w, uint8_t *out)
{
	size_t st_at = 40 + 32, str_at = st_at + w->st_len, total = str_at + w->str_len;

	memset(out, 0, total + 4);
	put_be32(out, 0xd00dfeed);
	put_be32(out + 4, (uint32_t)total);
	put_be32(out + 8, (uint32_t)st_at);
	put_be32(out + 12, (uint32_t)str_at);
	put_be32(out + 16, 40);
	put_be32(out + 20, 17);
	put_be32(out + 24, 16);
	put_be32(out + 32, (uint32_t)w->str_len);
	put_be32(out + 36, (uint32_t)w->st_len);
	put_be64(out + 40, 0x48000000);
	put_be64(out + 48, 0x10000);
	memcpy(out + st_at, w->st, w->st_len);
	memcpy(out + str_at, w->str, w->str_len);
	return total;
}

/* Debian-like input: root cells @ac/@sc, /chosen with old kdump properties if @chosen. */
static size_t make_input(uint8_t *out, uint32_t ac, uint32_t sc, bool chosen)
{
	struct w w = { 0 };
	uint8_t reg[16];

	wnode(&w, "");
	wprop32(&w, "#address-cells", ac);
	wprop32(&w, "#size-cells", sc);
	wprop(&w, "compatible", "linux,dummy-virt", 17);
	if (chosen) {
		wnode(&w, "chosen");
		wprop(&w, "bootargs", "console=ttyAMA0 crashkernel=256M", 33);
		wprop(&w, "stdout-path", "/pl011@9000000", 15);
		put_be64(reg, 0x12345678);
		wprop(&w, "kaslr-seed", reg, 8);
		wprop(&w, "linux,initrd-start", reg, 8);
		wprop(&w, "linux,elfcorehdr", reg, 8);
		w32(&w, 2);
	}
	wnode(&w, "memory@40000000");
	wprop(&w, "device_type", "memory", 7);
	put_be32(reg, 0);
	put_be32(reg + 4, 0x40000000);
	put_be32(reg + 8, 0);
	put_be32(reg + 12, 0x80000000);
	wprop(&w, "reg", reg, 4 * (ac + sc));
	w32(&w, 2);
	w32(&w, 2);	/* root */
	w32(&w, 9);
	return wfinish(&w, out);
}

/* ------------------------------------------------------------------ */
/* A reader for the outputs: the property @name of /chosen, or NULL */

static const uint8_t *chosen_prop(const uint8_t *fdt, const char *name, uint32_t *ret_len,
				  int *ret_count)
{
	const uint8_t *st = fdt + get_be32(fdt + 8);
	const char *strs = (const char *)fdt + get_be32(fdt + 12);
	size_t pos = 0, end = get_be32(fdt + 36);
	int depth = 0;
	bool in_chosen = false;
	const uint8_t *found = NULL;

	*ret_count = 0;
	while (pos < end) {
		uint32_t tok = get_be32(st + pos);

		pos += 4;
		if (tok == 1) {
			const char *n = (const char *)st + pos;

			depth++;
			in_chosen = depth == 2 && !strcmp(n, "chosen");
			pos += (strlen(n) + 4) & ~(size_t)3;
		} else if (tok == 2) {
			depth--;
			in_chosen = false;
		} else if (tok == 3) {
			uint32_t len = get_be32(st + pos), off = get_be32(st + pos + 4);

			if (in_chosen && !strcmp(strs + off, name)) {
				found = st + pos + 8;
				*ret_len = len;
				(*ret_count)++;
			}
			pos += 8 + ((len + 3) & ~(uint32_t)3);
		} else if (tok == 9) {
			break;
		}
	}
	return found;
}

static int count_chosen_nodes(const uint8_t *fdt)
{
	const uint8_t *st = fdt + get_be32(fdt + 8);
	size_t pos = 0, end = get_be32(fdt + 36);
	int depth = 0, n = 0;

	while (pos < end) {
		uint32_t tok = get_be32(st + pos);

		pos += 4;
		if (tok == 1) {
			const char *name = (const char *)st + pos;

			if (++depth == 2 && !strcmp(name, "chosen"))
				n++;
			pos += (strlen(name) + 4) & ~(size_t)3;
		} else if (tok == 2) {
			depth--;
		} else if (tok == 3) {
			pos += 8 + ((get_be32(st + pos) + 3) & ~3u);
		} else if (tok == 9) {
			break;
		}
	}
	return n;
}

/* ------------------------------------------------------------------ */

/* The field case: crashkernel=128M,low crashkernel=1G,high, listed low first in /proc/iomem. */
static const struct ldr_range field_ranges[] = {
	{ .start = 0x58000000, .end = 0x5fffffff },
	{ .start = 0x140000000, .end = 0x17fffffff },
};

static void test_edit(struct tap *t, bool chosen)
{
	uint8_t in[8192], *out = NULL;
	size_t in_len = make_input(in, 2, 2, chosen), out_len = 0;
	struct ldr_arm64_chosen c = {
		.elfcorehdr_start = 0x17ff00000, .elfcorehdr_size = 0x10000,
		.crash = field_ranges, .nr_crash = 2,
		.bootargs = "console=ttyAMA0 reset_devices nr_cpus=1",
		.set_kaslr_seed = true, .kaslr_seed = 0x1122334455667788ull,
	};
	struct kd_err err;
	const char *what = chosen ? "existing /chosen" : "no /chosen";
	enum kd_status st = ldr_arm64_dt_edit(in, in_len, &c, &out, &out_len, &err);
	const uint8_t *v;
	uint32_t len = 0;
	int n;

	TAP_CHECK(t, st == KD_OK, "dt (%s): edited", what);
	if (st != KD_OK) {
		printf("# %s\n", err.msg);
		return;
	}
	TAP_CHECK(t, get_be32(out) == 0xd00dfeed && get_be32(out + 4) == out_len &&
		     get_be32(out + 20) == 17 && get_be32(out + 40) == 0 &&
		     get_be64(out + 40) == 0x48000000 && get_be64(out + 48) == 0x10000 &&
		     get_be64(out + 56) == 0,
		  "dt (%s): header and reserve map", what);
	TAP_CHECK(t, count_chosen_nodes(out) == 1, "dt (%s): one /chosen", what);
	v = chosen_prop(out, "linux,usable-memory-range", &len, &n);
	TAP_CHECK(t, v && n == 1 && len == 32 && get_be64(v) == 0x140000000ull &&
		     get_be64(v + 8) == 0x40000000ull && get_be64(v + 16) == 0x58000000ull &&
		     get_be64(v + 24) == 0x8000000ull,
		  "dt (%s): usable-memory-range = high 1 GiB first, low 128 MiB last", what);
	v = chosen_prop(out, "linux,elfcorehdr", &len, &n);
	TAP_CHECK(t, v && n == 1 && len == 16 && get_be64(v) == 0x17ff00000ull &&
		     get_be64(v + 8) == 0x10000,
		  "dt (%s): elfcorehdr replaced", what);
	v = chosen_prop(out, "bootargs", &len, &n);
	TAP_CHECK(t, v && n == 1 && !strcmp((const char *)v, c.bootargs),
		  "dt (%s): bootargs replaced", what);
	v = chosen_prop(out, "kaslr-seed", &len, &n);
	TAP_CHECK(t, v && n == 1 && len == 8 && get_be64(v) == c.kaslr_seed,
		  "dt (%s): fresh kaslr-seed", what);
	TAP_CHECK(t, !chosen_prop(out, "linux,initrd-start", &len, &n),
		  "dt (%s): old initrd dropped", what);
	if (chosen)
		TAP_CHECK(t, (v = chosen_prop(out, "stdout-path", &len, &n)) &&
			     !strcmp((const char *)v, "/pl011@9000000"),
			  "dt: other /chosen properties kept");
	free(out);
}

static void test_cells(struct tap *t)
{
	uint8_t in[8192], *out = NULL;
	size_t in_len = make_input(in, 1, 1, true), out_len;
	static const struct ldr_range low = { .start = 0x58000000, .end = 0x5fffffff };
	struct ldr_arm64_chosen c = {
		.elfcorehdr_start = 0x5ff00000, .elfcorehdr_size = 0x10000,
		.crash = &low, .nr_crash = 1,
		.set_initrd = true, .initrd_start = 0x5a000000, .initrd_end = 0x5a800000,
	};
	struct kd_err err;
	const uint8_t *v;
	uint32_t len = 0;
	int n;

	TAP_CHECK(t, ldr_arm64_dt_edit(in, in_len, &c, &out, &out_len, &err) == KD_OK &&
		     (v = chosen_prop(out, "linux,usable-memory-range", &len, &n)) && len == 8 &&
		     get_be32(v) == 0x58000000 && get_be32(v + 4) == 0x8000000,
		  "dt: one-cell addresses and sizes");
	TAP_CHECK(t, out && (v = chosen_prop(out, "bootargs", &len, &n)) &&
		     !strcmp((const char *)v, "console=ttyAMA0 crashkernel=256M"),
		  "dt: bootargs kept when none is given");
	TAP_CHECK(t, out && (v = chosen_prop(out, "linux,initrd-end", &len, &n)) && len == 8 &&
		     get_be64(v) == 0x5a800000,
		  "dt: initrd set");
	free(out);
	out = NULL;
	c.crash = field_ranges;
	c.nr_crash = 2;
	TAP_CHECK(t, ldr_arm64_dt_edit(in, in_len, &c, &out, &out_len, &err) == KD_ERR_INVALID &&
		     !out,
		  "dt: a range above 4 GiB with one address cell is refused");
	c.nr_crash = 0;
	TAP_CHECK(t, ldr_arm64_dt_edit(in, in_len, &c, &out, &out_len, &err) == KD_ERR_INVALID,
		  "dt: no crash range is refused");
}

static void test_corrupt(struct tap *t)
{
	uint8_t in[8192], *out = NULL;
	size_t in_len = make_input(in, 2, 2, true), out_len;
	struct ldr_arm64_chosen c = {
		.elfcorehdr_start = 0x17ff00000, .elfcorehdr_size = 0x10000,
		.crash = field_ranges, .nr_crash = 2,
	};
	struct kd_err err;
	int bad = 0;

	TAP_CHECK(t, ldr_arm64_dt_edit(in, 20, &c, &out, &out_len, &err) == KD_ERR_CORRUPT,
		  "dt: truncated header");
	in[0] ^= 1;
	TAP_CHECK(t, ldr_arm64_dt_edit(in, in_len, &c, &out, &out_len, &err) == KD_ERR_CORRUPT,
		  "dt: bad magic");
	in[0] ^= 1;
	/* every shorter blob (totalsize adjusted) and every flipped structure byte: no crash,
	 * and either an error or a well-formed result */
	for (size_t cut = 40; cut < in_len; cut += 4) {
		uint8_t copy[8192];

		memcpy(copy, in, in_len);
		put_be32(copy + 4, (uint32_t)cut);
		enum kd_status st = ldr_arm64_dt_edit(copy, cut, &c, &out, &out_len, &err);

		if (st == KD_OK) {
			free(out);
			out = NULL;
		}
	}
	for (size_t i = get_be32(in + 8); i < in_len; i++) {
		uint8_t copy[8192];

		memcpy(copy, in, in_len);
		copy[i] ^= 0xa5;
		enum kd_status st = ldr_arm64_dt_edit(copy, in_len, &c, &out, &out_len, &err);

		if (st == KD_OK) {
			if (get_be32(out + 4) != out_len)
				bad++;
			free(out);
			out = NULL;
		}
	}
	TAP_CHECK(t, bad == 0, "dt: truncated and corrupted inputs handled");
}

static int count_nodes(const uint8_t *fdt)
{
	const uint8_t *st = fdt + get_be32(fdt + 8);
	size_t pos = 0, end = get_be32(fdt + 36);
	int n = 0;

	while (pos < end) {
		uint32_t tok = get_be32(st + pos);

		pos += 4;
		if (tok == 1) {
			n++;
			pos += (strlen((const char *)st + pos) + 4) & ~(size_t)3;
		} else if (tok == 3) {
			pos += 8 + ((get_be32(st + pos) + 3) & ~3u);
		} else if (tok == 9) {
			break;
		}
	}
	return n;
}

/* QEMU's virt tree (tests/data/dtb/README.md), read from the repository root. */
static void test_qemu_virt(struct tap *t)
{
	FILE *fp = fopen("tests/data/dtb/qemu-virt-arm64.dtb", "rb");
	static uint8_t in[65536];
	uint8_t *out = NULL;
	size_t in_len, out_len = 0;
	struct ldr_arm64_chosen c = {
		.elfcorehdr_start = 0x17ff00000, .elfcorehdr_size = 0x10000,
		.crash = field_ranges, .nr_crash = 2,
		.bootargs = "console=ttyAMA0 reset_devices", .set_kaslr_seed = true,
	};
	struct kd_err err;
	const uint8_t *v;
	uint32_t len = 0;
	int n;

	if (!fp) {
		printf("# tests/data/dtb/qemu-virt-arm64.dtb not found (run from the repository root)\n");
		TAP_CHECK(t, 0, "dt: QEMU virt tree readable");
		return;
	}
	in_len = fread(in, 1, sizeof(in), fp);
	fclose(fp);
	TAP_CHECK(t, ldr_arm64_dt_edit(in, in_len, &c, &out, &out_len, &err) == KD_OK,
		  "dt: QEMU virt tree edited");
	if (!out)
		return;
	TAP_CHECK(t, count_nodes(out) == count_nodes(in) && count_chosen_nodes(out) == 1,
		  "dt: QEMU virt tree keeps its %d nodes", count_nodes(in));
	v = chosen_prop(out, "linux,usable-memory-range", &len, &n);
	TAP_CHECK(t, v && n == 1 && len == 32 && get_be64(v) == 0x140000000ull &&
		     get_be64(v + 16) == 0x58000000ull,
		  "dt: QEMU virt tree: usable-memory-range high first, low last");
	v = chosen_prop(out, "kaslr-seed", &len, &n);
	TAP_CHECK(t, v && n == 1 && get_be64(v) == 0, "dt: QEMU virt tree: one kaslr-seed, the new one");
	TAP_CHECK(t, chosen_prop(out, "stdout-path", &len, &n) && n == 1 &&
		     chosen_prop(out, "rng-seed", &len, &n) && n == 1,
		  "dt: QEMU virt tree: stdout-path and rng-seed kept");
	free(out);
}

int main(void)
{
	struct tap t = { 0 };

	test_edit(&t, true);
	test_edit(&t, false);
	test_cells(&t);
	test_corrupt(&t);
	test_qemu_virt(&t);
	return tap_finish(&t);
}
