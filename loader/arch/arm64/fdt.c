/* The capture kernel's device tree: the running kernel's FDT re-emitted with a new /chosen. */
#include <stdlib.h>
#include <string.h>

#include "formats/bytes.h"
#include "loader/arch/arm64/arm64.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_HEADER_SIZE 40
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u
#define FDT_MAX_DEPTH 64

/* The properties written into /chosen (and so dropped from the old one). */
enum chosen_prop {
	P_ELFCOREHDR,
	P_USABLE,
	P_BOOTARGS,
	P_KASLR_SEED,
	P_INITRD_START,
	P_INITRD_END,
	P_RNG_SEED,
	P_COUNT
};

static const char *const prop_names[P_COUNT] = {
	[P_ELFCOREHDR] = "linux,elfcorehdr",
	[P_USABLE] = "linux,usable-memory-range",
	[P_BOOTARGS] = "bootargs",
	[P_KASLR_SEED] = "kaslr-seed",
	[P_INITRD_START] = "linux,initrd-start",
	[P_INITRD_END] = "linux,initrd-end",
	[P_RNG_SEED] = "rng-seed",
};

struct buf {
	uint8_t *p;
	size_t len, cap;
	bool nomem;
};

static void *buf_room(struct buf *b, size_t n)
{
	if (b->nomem)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->nomem = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->len += n;
	return b->p + b->len - n;
}

static void buf_put(struct buf *b, const void *src, size_t n)
{
	uint8_t *d = buf_room(b, n);

	if (d && n)
		memcpy(d, src, n);
}

static void buf_be32(struct buf *b, uint32_t v)
{
	uint8_t *d = buf_room(b, 4);

	if (d)
		put_be32(d, v);
}

static void buf_pad4(struct buf *b)
{
	while (!b->nomem && b->len % 4) {
		uint8_t *d = buf_room(b, 1);

		if (d)
			*d = 0;
	}
}

/* The input blob, validated. */
struct fdt {
	const uint8_t *p;
	size_t size;
	size_t st_off, st_end;		/* structure block */
	size_t str_off, str_size;	/* strings block */
	size_t rsv_off;
};

static enum kd_status fdt_open(const void *blob, size_t len, struct fdt *f, struct kd_err *err)
{
	const uint8_t *p = blob;
	uint32_t total, version, st_size;

	if (len < FDT_HEADER_SIZE || get_be32(p) != FDT_MAGIC)
		return kd_err_set(err, KD_ERR_CORRUPT, "not a flattened device tree");
	total = get_be32(p + 4);
	version = get_be32(p + 20);
	if (total > len || total < FDT_HEADER_SIZE)
		return kd_err_set(err, KD_ERR_CORRUPT, "device tree: totalsize %u, have %zu bytes",
				  total, len);
	if (version < 16)
		return kd_err_set(err, KD_ERR_NOTIMPL, "device tree version %u (16+ needed)",
				  version);
	f->p = p;
	f->size = total;
	f->st_off = get_be32(p + 8);
	f->str_off = get_be32(p + 12);
	f->rsv_off = get_be32(p + 16);
	f->str_size = get_be32(p + 32);
	st_size = version >= 17 ? get_be32(p + 36) : total - (uint32_t)f->st_off;
	f->st_end = f->st_off + st_size;
	if (f->st_off > total || st_size > total - f->st_off || f->st_off % 4 ||
	    f->str_off > total || f->str_size > total - f->str_off || f->rsv_off > total ||
	    f->rsv_off % 8)
		return kd_err_set(err, KD_ERR_CORRUPT, "device tree blocks outside the blob");
	return KD_OK;
}

static const char *fdt_string(const struct fdt *f, uint32_t off)
{
	const char *s = (const char *)f->p + f->str_off + off;

	if (off >= f->str_size || !memchr(s, 0, f->str_size - off))
		return NULL;
	return s;
}

/* One token at *pos: its kind, and for nodes the name, for properties name and value. */
struct token {
	uint32_t kind;
	size_t start, end;	/* bytes of the whole token */
	const char *name;
	const uint8_t *value;
	uint32_t value_len;
};

static enum kd_status next_token(const struct fdt *f, size_t *pos, struct token *t,
				 struct kd_err *err)
{
	size_t at = *pos;

	if (at + 4 > f->st_end)
		return kd_err_set(err, KD_ERR_CORRUPT, "device tree: structure block ends early");
	t->start = at;
	t->kind = get_be32(f->p + at);
	at += 4;
	switch (t->kind) {
	case FDT_BEGIN_NODE: {
		const char *name = (const char *)f->p + at;
		const char *nul = memchr(name, 0, f->st_end - at);

		if (!nul)
			return kd_err_set(err, KD_ERR_CORRUPT, "device tree: unterminated node name");
		t->name = name;
		at += (size_t)(nul - name) + 1;
		at = (at + 3) & ~(size_t)3;
		break;
	}
	case FDT_PROP: {
		uint32_t vlen, nameoff;

		if (at + 8 > f->st_end)
			return kd_err_set(err, KD_ERR_CORRUPT, "device tree: truncated property");
		vlen = get_be32(f->p + at);
		nameoff = get_be32(f->p + at + 4);
		at += 8;
		if (vlen > f->st_end - at)
			return kd_err_set(err, KD_ERR_CORRUPT, "device tree: property too long");
		t->name = fdt_string(f, nameoff);
		if (!t->name)
			return kd_err_set(err, KD_ERR_CORRUPT, "device tree: bad property name offset");
		t->value = f->p + at;
		t->value_len = vlen;
		at += vlen;
		at = (at + 3) & ~(size_t)3;
		break;
	}
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return kd_err_set(err, KD_ERR_CORRUPT, "device tree: unknown token %u at 0x%zx",
				  t->kind, t->start);
	}
	if (at > f->st_end)
		return kd_err_set(err, KD_ERR_CORRUPT, "device tree: token runs past the block");
	t->end = at;
	*pos = at;
	return KD_OK;
}

/* #address-cells and #size-cells of the root node. */
static enum kd_status root_cells(const struct fdt *f, uint32_t *acells, uint32_t *scells,
				 struct kd_err *err)
{
	size_t pos = f->st_off;
	struct token t;
	int depth = 0;
	enum kd_status st;

	*acells = 2;
	*scells = 1;
	do {
		st = next_token(f, &pos, &t, err);
		if (st != KD_OK)
			return st;
		if (t.kind == FDT_BEGIN_NODE && ++depth > 1)
			break;	/* the root's own properties come before its children */
		if (t.kind == FDT_PROP && depth == 1 && t.value_len == 4) {
			if (!strcmp(t.name, "#address-cells"))
				*acells = get_be32(t.value);
			else if (!strcmp(t.name, "#size-cells"))
				*scells = get_be32(t.value);
		}
	} while (t.kind != FDT_END && t.kind != FDT_END_NODE);
	if (*acells < 1 || *acells > 2 || *scells < 1 || *scells > 2)
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "device tree: #address-cells %u, #size-cells %u (1 or 2 supported)",
				  *acells, *scells);
	return KD_OK;
}

/* Offset of @name in the strings block being built (the old block plus appended names). */
static uint32_t string_offset(struct buf *strings, const char *name)
{
	size_t n = strlen(name) + 1;

	for (size_t off = 0; off + n <= strings->len;) {
		const char *s = (const char *)strings->p + off;

		if (!memcmp(s, name, n))
			return (uint32_t)off;
		off += strnlen(s, strings->len - off) + 1;
	}
	uint32_t off = (uint32_t)strings->len;

	buf_put(strings, name, n);
	return off;
}

static void put_prop(struct buf *st, struct buf *strings, const char *name, const void *v,
		     size_t len)
{
	buf_be32(st, FDT_PROP);
	buf_be32(st, (uint32_t)len);
	buf_be32(st, string_offset(strings, name));
	buf_put(st, v, len);
	buf_pad4(st);
}

/* Append @v as @cells big-endian cells; false if it does not fit. */
static bool put_cells(uint8_t **at, uint64_t v, uint32_t cells)
{
	if (cells == 1) {
		if (v > UINT32_MAX)
			return false;
		put_be32(*at, (uint32_t)v);
	} else {
		put_be64(*at, v);
	}
	*at += 4 * cells;
	return true;
}

static int cmp_start_desc(const void *a, const void *b)
{
	const struct ldr_range *x = a, *y = b;

	return x->start < y->start ? 1 : x->start > y->start ? -1 : 0;
}

/* Emit the new /chosen properties. */
static enum kd_status put_chosen(struct buf *st, struct buf *strings,
				 const struct ldr_arm64_chosen *c, uint32_t ac, uint32_t sc,
				 struct kd_err *err)
{
	size_t entry = 4 * (ac + sc);
	uint8_t one[16], *at = one;
	uint8_t *ranges = malloc(entry * c->nr_crash);
	struct ldr_range *sorted = malloc(sizeof(*sorted) * c->nr_crash);
	bool fits = true;

	if (!ranges || !sorted) {
		free(ranges);
		free(sorted);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	fits &= put_cells(&at, c->elfcorehdr_start, ac);
	fits &= put_cells(&at, c->elfcorehdr_size, sc);
	put_prop(st, strings, prop_names[P_ELFCOREHDR], one, entry);
	/* high range first, low range last: capture kernels take the first as the main one */
	memcpy(sorted, c->crash, sizeof(*sorted) * c->nr_crash);
	qsort(sorted, c->nr_crash, sizeof(*sorted), cmp_start_desc);
	at = ranges;
	for (size_t i = 0; i < c->nr_crash; i++) {
		fits &= put_cells(&at, sorted[i].start, ac);
		fits &= put_cells(&at, sorted[i].end - sorted[i].start + 1, sc);
	}
	put_prop(st, strings, prop_names[P_USABLE], ranges, entry * c->nr_crash);
	free(ranges);
	free(sorted);
	if (!fits)
		return kd_err_set(err, KD_ERR_INVALID,
				  "an address or size does not fit the device tree's %u/%u cells", ac,
				  sc);
	if (c->bootargs)
		put_prop(st, strings, prop_names[P_BOOTARGS], c->bootargs, strlen(c->bootargs) + 1);
	if (c->set_kaslr_seed) {
		put_be64(one, c->kaslr_seed);
		put_prop(st, strings, prop_names[P_KASLR_SEED], one, 8);
	}
	if (c->rng_seed_len)
		put_prop(st, strings, prop_names[P_RNG_SEED], c->rng_seed, c->rng_seed_len);
	if (c->set_initrd) {
		put_be64(one, c->initrd_start);
		put_prop(st, strings, prop_names[P_INITRD_START], one, 8);
		put_be64(one, c->initrd_end);
		put_prop(st, strings, prop_names[P_INITRD_END], one, 8);
	}
	return KD_OK;
}

static bool replaced(const struct ldr_arm64_chosen *c, const char *name)
{
	for (int i = 0; i < P_COUNT; i++) {
		if (strcmp(name, prop_names[i]))
			continue;
		if (i == P_RNG_SEED)
			return c->rng_seed_len != 0;
		return i != P_BOOTARGS || c->bootargs;
	}
	return false;
}

static bool is_chosen(const char *name)
{
	return !strcmp(name, "chosen") || !strncmp(name, "chosen@", 7);
}

/* Copy the structure block, editing /chosen (or adding it at the end of the root). */
static enum kd_status copy_struct(const struct fdt *f, const struct ldr_arm64_chosen *c,
				  uint32_t ac, uint32_t sc, struct buf *st, struct buf *strings,
				  struct kd_err *err)
{
	size_t pos = f->st_off;
	struct token t;
	int depth = 0, chosen_depth = -1;
	bool chosen_done = false;
	enum kd_status rc;

	for (;;) {
		rc = next_token(f, &pos, &t, err);
		if (rc != KD_OK)
			return rc;
		switch (t.kind) {
		case FDT_BEGIN_NODE:
			if (++depth > FDT_MAX_DEPTH)
				return kd_err_set(err, KD_ERR_CORRUPT, "device tree nested too deep");
			if (depth == 2 && is_chosen(t.name) && !chosen_done)
				chosen_depth = depth;
			break;
		case FDT_PROP:
			if (depth == chosen_depth && replaced(c, t.name))
				continue;	/* dropped: written anew at the end of /chosen */
			break;
		case FDT_END_NODE:
			if (depth == 0)
				return kd_err_set(err, KD_ERR_CORRUPT, "device tree: unbalanced nodes");
			if (depth == chosen_depth) {
				rc = put_chosen(st, strings, c, ac, sc, err);
				if (rc != KD_OK)
					return rc;
				chosen_depth = -1;
				chosen_done = true;
			} else if (depth == 1 && !chosen_done) {
				buf_be32(st, FDT_BEGIN_NODE);
				buf_put(st, "chosen", 7);
				buf_pad4(st);
				rc = put_chosen(st, strings, c, ac, sc, err);
				if (rc != KD_OK)
					return rc;
				buf_be32(st, FDT_END_NODE);
				chosen_done = true;
			}
			depth--;
			break;
		case FDT_END:
			if (depth != 0 || !chosen_done)
				return kd_err_set(err, KD_ERR_CORRUPT, "device tree: no complete root node");
			buf_be32(st, FDT_END);
			return KD_OK;
		default:
			break;
		}
		buf_put(st, f->p + t.start, t.end - t.start);
	}
}

enum kd_status ldr_arm64_dt_edit(const void *fdt, size_t len, const struct ldr_arm64_chosen *c,
				 uint8_t **ret, size_t *ret_len, struct kd_err *err)
{
	struct fdt f;
	struct buf st = { 0 }, strings = { 0 }, out = { 0 };
	uint32_t ac, sc;
	size_t rsv_len = 0;
	enum kd_status rc;

	if (!c->nr_crash)
		return kd_err_set(err, KD_ERR_INVALID, "no crash kernel range for the device tree");
	rc = fdt_open(fdt, len, &f, err);
	if (rc == KD_OK)
		rc = root_cells(&f, &ac, &sc, err);
	if (rc != KD_OK)
		return rc;
	/* memory reservation block: (address, size) pairs up to a zero pair */
	for (;; rsv_len += 16) {
		if (f.rsv_off + rsv_len + 16 > f.size)
			return kd_err_set(err, KD_ERR_CORRUPT, "device tree: unterminated reserve map");
		if (!get_be64(f.p + f.rsv_off + rsv_len) && !get_be64(f.p + f.rsv_off + rsv_len + 8))
			break;
	}
	rsv_len += 16;
	buf_put(&strings, f.p + f.str_off, f.str_size);
	rc = copy_struct(&f, c, ac, sc, &st, &strings, err);
	if (rc == KD_OK && (st.nomem || strings.nomem))
		rc = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	if (rc == KD_OK) {
		uint8_t *h = buf_room(&out, FDT_HEADER_SIZE);
		size_t rsv_at, st_at, str_at;

		if (h)
			memset(h, 0, FDT_HEADER_SIZE);
		rsv_at = out.len;	/* 40: already 8-aligned */
		buf_put(&out, f.p + f.rsv_off, rsv_len);
		st_at = out.len;
		buf_put(&out, st.p, st.len);
		str_at = out.len;
		buf_put(&out, strings.p, strings.len);
		buf_pad4(&out);
		if (out.nomem) {
			rc = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		} else {
			h = out.p;
			put_be32(h, FDT_MAGIC);
			put_be32(h + 4, (uint32_t)out.len);
			put_be32(h + 8, (uint32_t)st_at);
			put_be32(h + 12, (uint32_t)str_at);
			put_be32(h + 16, (uint32_t)rsv_at);
			put_be32(h + 20, 17);
			put_be32(h + 24, 16);
			put_be32(h + 28, get_be32(f.p + 28));	/* boot_cpuid_phys */
			put_be32(h + 32, (uint32_t)strings.len);
			put_be32(h + 36, (uint32_t)st.len);
			*ret = out.p;
			*ret_len = out.len;
			out.p = NULL;
		}
	}
	free(st.p);
	free(strings.p);
	free(out.p);
	return rc;
}

uint64_t ldr_arm64_dt_pl011(const void *fdt, size_t len)
{
	struct fdt f;
	struct token t;
	size_t pos;
	int depth = 0;
	bool in_chosen = false;

	if (fdt_open(fdt, len, &f, NULL) != KD_OK)
		return 0;
	for (pos = f.st_off; next_token(&f, &pos, &t, NULL) == KD_OK && t.kind != FDT_END;) {
		if (t.kind == FDT_BEGIN_NODE) {
			depth++;
			in_chosen = depth == 2 && is_chosen(t.name);
		} else if (t.kind == FDT_END_NODE) {
			depth--;
			in_chosen = false;
		} else if (t.kind == FDT_PROP && in_chosen && !strcmp(t.name, "stdout-path") &&
			   t.value_len > 1 && memchr(t.value, 0, t.value_len)) {
			const char *path = (const char *)t.value, *node = strrchr(path, '/');
			uint64_t addr = 0;

			if (!node || strncmp(node + 1, "pl011@", 6))
				return 0;
			for (const char *c = node + 7; *c && *c != ':'; c++) {
				int d = *c >= '0' && *c <= '9' ? *c - '0' :
					*c >= 'a' && *c <= 'f' ? *c - 'a' + 10 : -1;

				if (d < 0 || addr >> 60)
					return 0;
				addr = addr << 4 | (uint64_t)d;
			}
			return addr;
		}
	}
	return 0;
}
