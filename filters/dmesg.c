/* The dead kernel's log: the lockless printk ringbuffer (5.10+) and the structured log_buf (3.5-5.9). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters-priv.h"

#define DM_TEXT_MAX 65535u	/* text_len is a u16 in both layouts */
#define DM_OUT_SIZE 8192u
#define DM_STRUCT_MAX 1024u	/* a bound for every SIZE() used here */

/* Descriptor state word: two state bits on top of the 62-bit descriptor id. */
#define DM_ID_MASK (~(3ull << 62))
#define DM_STATE(sv) ((unsigned)((sv) >> 62))
enum { DM_DESC_COMMITTED = 1, DM_DESC_FINALIZED = 2 };
/* the kernel caps log_buf_len at 2 GiB, with one descriptor per 32 bytes of text */
#define DM_MAX_COUNT_BITS 26
#define DM_MAX_SIZE_BITS 31
#define DM_MAX_LOG_BUF (1ull << 31)

/* One cached page of virtual memory: neighbouring reads share one translation. */
struct dm_vcache {
	uint64_t page;
	bool ok;
	uint8_t *buf;
};

struct dm_ctx {
	struct flt_model *m;
	const struct fmt_vmcoreinfo *vi;
	flt_dmesg_write_fn write;
	void *wctx;
	uint64_t *records;
	struct dm_vcache head;	/* descriptors, or log_buf record headers */
	struct dm_vcache info;	/* printk_info array */
	struct dm_vcache text;	/* text bytes */
	uint8_t *textbuf;	/* DM_TEXT_MAX bytes */
	bool partial;		/* FLT_DMESG_PARTIAL: records from min_seq on */
	uint64_t min_seq;
	uint64_t info_seq;	/* OFFSET(printk_info.seq), for partial */
	uint64_t damaged;	/* ringbuffer records skipped as unreadable or impossible */
	struct kd_err first_damage;
	size_t out_len;
	char out[DM_OUT_SIZE];
};

/* ---- reading the dead kernel's memory ---- */

static enum kd_status dm_read(struct dm_ctx *d, struct dm_vcache *c, uint64_t va, void *buf,
			      size_t len, struct kd_err *err)
{
	const uint64_t ps = d->m->page_size;
	uint8_t *o = buf;

	while (len) {
		uint64_t page = va & ~(ps - 1), in = va - page;
		size_t n = ps - in < len ? (size_t)(ps - in) : len;

		if (!c->ok || c->page != page) {
			enum kd_status st;

			c->ok = false;
			st = flt_read_virt(d->m, page, c->buf, (size_t)ps, err);
			if (st != KD_OK)
				return st;
			c->page = page;
			c->ok = true;
		}
		memcpy(o, c->buf + in, n);
		o += n;
		va += n;
		len -= n;
	}
	return KD_OK;
}

static enum kd_status dm_read_u64(struct dm_ctx *d, uint64_t va, uint64_t *ret, struct kd_err *err)
{
	uint8_t raw[8];
	enum kd_status st = dm_read(d, &d->head, va, raw, sizeof(raw), err);

	if (st == KD_OK)
		*ret = get_le64(raw);
	return st;
}

static enum kd_status dm_read_u32(struct dm_ctx *d, uint64_t va, uint32_t *ret, struct kd_err *err)
{
	uint8_t raw[4];
	enum kd_status st = dm_read(d, &d->head, va, raw, sizeof(raw), err);

	if (st == KD_OK)
		*ret = get_le32(raw);
	return st;
}

/* ---- output, formatted as makedumpfile --dump-dmesg writes it ---- */

static enum kd_status dm_flush(struct dm_ctx *d, struct kd_err *err)
{
	enum kd_status st = KD_OK;

	if (d->out_len)
		st = d->write(d->wctx, d->out, d->out_len, err);
	d->out_len = 0;
	return st;
}

static enum kd_status dm_put(struct dm_ctx *d, const char *s, size_t n, struct kd_err *err)
{
	while (n) {
		size_t room = sizeof(d->out) - d->out_len, k = n < room ? n : room;

		memcpy(d->out + d->out_len, s, k);
		d->out_len += k;
		s += k;
		n -= k;
		if (d->out_len == sizeof(d->out)) {
			enum kd_status st = dm_flush(d, err);

			if (st != KD_OK)
				return st;
		}
	}
	return KD_OK;
}

static bool dm_is_print(uint8_t c)
{
	return c >= 0x20 && c < 0x7f;
}

static bool dm_is_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * One record: "[seconds.micros] text\n". A newline inside the text starts a
 * line indented to the text column. Bytes that are neither printable nor
 * white space in the C locale become "\xNN"; makedumpfile formats the byte as
 * a (signed) char, so bytes from 0x80 up come out sign-extended, "\xffffffc3"
 * for 0xc3, and this output does the same so the two files compare equal.
 */
static enum kd_status dm_emit(struct dm_ctx *d, uint64_t ts_nsec, const uint8_t *text, size_t len,
			      struct kd_err *err)
{
	char prefix[48], esc[16];
	int plen = snprintf(prefix, sizeof(prefix), "[%5llu.%06llu] ",
			    (unsigned long long)(ts_nsec / 1000000000u),
			    (unsigned long long)(ts_nsec % 1000000000u / 1000u));
	enum kd_status st = dm_put(d, prefix, (size_t)plen, err);

	for (size_t i = 0; i < len && st == KD_OK; i++) {
		uint8_t c = text[i];

		if (c == '\n') {
			memset(prefix + 1, ' ', (size_t)plen);
			prefix[0] = '\n';
			st = dm_put(d, prefix, (size_t)plen + 1, err);
		} else if (dm_is_print(c) || dm_is_space(c)) {
			st = dm_put(d, (const char *)&c, 1, err);
		} else {
			int n = c < 0x80 ? snprintf(esc, sizeof(esc), "\\x%02x", c)
					 : snprintf(esc, sizeof(esc), "\\xffffff%02x", c);

			st = dm_put(d, esc, (size_t)n, err);
		}
	}
	if (st == KD_OK)
		st = dm_put(d, "\n", 1, err);
	if (st == KD_OK && d->records)
		(*d->records)++;
	return st;
}

/* ---- VMCOREINFO keys, looked up from a table ---- */

struct dm_key {
	enum fmt_vmci_kind kind;
	const char *name;
	size_t field;		/* offsetof the uint64_t that receives the value */
};

static enum kd_status dm_load_keys(const struct fmt_vmcoreinfo *vi, const struct dm_key *keys,
				   size_t n, void *out, struct kd_err *err)
{
	static const char *const kind_name[] = {
		[FMT_VMCI_SYMBOL] = "SYMBOL", [FMT_VMCI_SIZE] = "SIZE",
		[FMT_VMCI_OFFSET] = "OFFSET", [FMT_VMCI_LENGTH] = "LENGTH",
	};

	for (size_t i = 0; i < n; i++) {
		uint64_t *v = (uint64_t *)((char *)out + keys[i].field);
		bool found = false, plausible = true;

		switch (keys[i].kind) {
		case FMT_VMCI_SYMBOL:
			found = fmt_vmci_symbol(vi, keys[i].name, v);
			break;
		case FMT_VMCI_SIZE:
			found = fmt_vmci_size(vi, keys[i].name, v);
			plausible = *v <= DM_STRUCT_MAX;
			break;
		case FMT_VMCI_OFFSET:
			found = fmt_vmci_offset(vi, keys[i].name, v);
			plausible = *v < DM_STRUCT_MAX;
			break;
		default:
			break;
		}
		if (!found)
			return kd_err_set(err, KD_ERR_NODATA,
					  "VMCOREINFO has no %s(%s)",
					  kind_name[keys[i].kind], keys[i].name);
		if (!plausible)
			return kd_err_set(err, KD_ERR_CORRUPT, "VMCOREINFO %s(%s)=%llu is implausible",
					  kind_name[keys[i].kind], keys[i].name,
					  (unsigned long long)*v);
	}
	return KD_OK;
}

/* True if [off, off+width) lies inside a structure of @size bytes. */
static bool dm_fits(uint64_t off, uint64_t width, uint64_t size)
{
	return off <= size && width <= size - off;
}

/* ---- the lockless ringbuffer (Linux 5.10+) ---- */

struct dm_prb_keys {
	uint64_t prb;
	uint64_t rb_size, rb_desc_ring, rb_text_ring;
	uint64_t dr_count_bits, dr_descs, dr_infos, dr_head, dr_tail;
	uint64_t desc_size, desc_state, desc_lpos;
	uint64_t lpos_begin, lpos_next;
	uint64_t info_size, info_ts, info_text_len;
	uint64_t data_size_bits, data_data;
	uint64_t counter;
};

#define PK(kind, name, field) { FMT_VMCI_##kind, name, offsetof(struct dm_prb_keys, field) }
static const struct dm_key dm_prb_key_table[] = {
	PK(SYMBOL, "prb", prb),
	PK(SIZE, "printk_ringbuffer", rb_size),
	PK(OFFSET, "printk_ringbuffer.desc_ring", rb_desc_ring),
	PK(OFFSET, "printk_ringbuffer.text_data_ring", rb_text_ring),
	PK(OFFSET, "prb_desc_ring.count_bits", dr_count_bits),
	PK(OFFSET, "prb_desc_ring.descs", dr_descs),
	PK(OFFSET, "prb_desc_ring.infos", dr_infos),
	PK(OFFSET, "prb_desc_ring.head_id", dr_head),
	PK(OFFSET, "prb_desc_ring.tail_id", dr_tail),
	PK(SIZE, "prb_desc", desc_size),
	PK(OFFSET, "prb_desc.state_var", desc_state),
	PK(OFFSET, "prb_desc.text_blk_lpos", desc_lpos),
	PK(OFFSET, "prb_data_blk_lpos.begin", lpos_begin),
	PK(OFFSET, "prb_data_blk_lpos.next", lpos_next),
	PK(SIZE, "printk_info", info_size),
	PK(OFFSET, "printk_info.ts_nsec", info_ts),
	PK(OFFSET, "printk_info.text_len", info_text_len),
	PK(OFFSET, "prb_data_ring.size_bits", data_size_bits),
	PK(OFFSET, "prb_data_ring.data", data_data),
	PK(OFFSET, "atomic_long_t.counter", counter),
};
#undef PK

/** The ring as found in the dead kernel. */
struct dm_prb {
	struct dm_prb_keys k;
	uint64_t descs, infos, data;	/* virtual addresses of the arrays */
	uint64_t count;			/* descriptors */
	uint64_t size;			/* text data ring bytes */
	uint64_t head_id, tail_id;
};

static enum kd_status dm_prb_check_layout(const struct dm_prb_keys *k, struct kd_err *err)
{
	uint64_t dr = k->rb_desc_ring, tr = k->rb_text_ring;
	bool ok = dm_fits(dr + k->dr_count_bits, 4, k->rb_size) &&
		  dm_fits(dr + k->dr_descs, 8, k->rb_size) &&
		  dm_fits(dr + k->dr_infos, 8, k->rb_size) &&
		  dm_fits(dr + k->dr_head + k->counter, 8, k->rb_size) &&
		  dm_fits(dr + k->dr_tail + k->counter, 8, k->rb_size) &&
		  dm_fits(tr + k->data_size_bits, 4, k->rb_size) &&
		  dm_fits(tr + k->data_data, 8, k->rb_size) &&
		  dm_fits(k->desc_state + k->counter, 8, k->desc_size) &&
		  dm_fits(k->desc_lpos + k->lpos_begin, 8, k->desc_size) &&
		  dm_fits(k->desc_lpos + k->lpos_next, 8, k->desc_size) &&
		  dm_fits(k->info_ts, 8, k->info_size) &&
		  dm_fits(k->info_text_len, 2, k->info_size);

	if (!ok)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "VMCOREINFO printk ringbuffer offsets lie outside their SIZE()");
	return KD_OK;
}

static enum kd_status dm_prb_open(struct dm_ctx *d, struct dm_prb *r, struct kd_err *err)
{
	const struct dm_prb_keys *k = &r->k;
	uint8_t rb[DM_STRUCT_MAX];
	uint64_t addr, dr, tr;
	uint32_t count_bits, size_bits;
	enum kd_status st;

	uint64_t word;

	if (fmt_vmci_size(d->vi, "atomic_long_t", &word) && word != 8)
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "the printk ringbuffer of a kernel with %llu-byte longs is not supported",
				  (unsigned long long)word);
	st = dm_load_keys(d->vi, dm_prb_key_table,
			  sizeof(dm_prb_key_table) / sizeof(dm_prb_key_table[0]), &r->k, err);
	if (st == KD_OK)
		st = dm_prb_check_layout(k, err);
	if (st != KD_OK)
		return st;
	/* prb is a pointer to the ring in use (printk_rb_static, later the dynamic one) */
	st = dm_read_u64(d, k->prb, &addr, err);
	if (st == KD_OK)
		st = dm_read(d, &d->head, addr, rb, (size_t)k->rb_size, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "printk ringbuffer");
	dr = k->rb_desc_ring;
	tr = k->rb_text_ring;
	count_bits = get_le32(rb + dr + k->dr_count_bits);
	size_bits = get_le32(rb + tr + k->data_size_bits);
	if (count_bits > DM_MAX_COUNT_BITS || size_bits > DM_MAX_SIZE_BITS || size_bits < 4)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "printk ringbuffer at 0x%llx: implausible sizes (2^%u descriptors, "
				  "2^%u text bytes)",
				  (unsigned long long)addr, count_bits, size_bits);
	r->count = 1ull << count_bits;
	r->size = 1ull << size_bits;
	r->descs = get_le64(rb + dr + k->dr_descs);
	r->infos = get_le64(rb + dr + k->dr_infos);
	r->data = get_le64(rb + tr + k->data_data);
	r->head_id = get_le64(rb + dr + k->dr_head + k->counter);
	r->tail_id = get_le64(rb + dr + k->dr_tail + k->counter);
	if ((r->head_id & ~DM_ID_MASK) || (r->tail_id & ~DM_ID_MASK) ||
	    ((r->head_id - r->tail_id) & DM_ID_MASK) >= r->count)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "printk ringbuffer: descriptor ids tail %#llx to head %#llx do not fit "
				  "a ring of %llu",
				  (unsigned long long)r->tail_id, (unsigned long long)r->head_id,
				  (unsigned long long)r->count);
	return KD_OK;
}

/*
 * Where a committed record's text lies in the data ring: the block starts with
 * the descriptor id (8 bytes), then the text. A block that would cross the end
 * of the ring is stored at its start instead, so begin lies in one wrap and
 * next in the following one. *ret_len = 0 for a record without text.
 */
static enum kd_status dm_prb_text(const struct dm_prb *r, uint64_t id, uint64_t begin_lpos,
				  uint64_t next_lpos, uint64_t *ret_off, uint64_t *ret_len,
				  struct kd_err *err)
{
	uint64_t b = begin_lpos & (r->size - 1), n = next_lpos & (r->size - 1);
	uint64_t span = next_lpos - begin_lpos, want = b < n ? n - b : r->size - b + n;

	if (b == n) {	/* no data: an empty line or a failed allocation */
		*ret_off = 0;
		*ret_len = 0;
		return KD_OK;
	}
	if (b > n)
		b = 0;
	if (span != want || n - b < 8)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "descriptor %#llx: text block 0x%llx-0x%llx is not valid in a ring "
				  "of %llu bytes",
				  (unsigned long long)id, (unsigned long long)begin_lpos,
				  (unsigned long long)next_lpos, (unsigned long long)r->size);
	*ret_off = b + 8;
	*ret_len = n - b - 8;
	return KD_OK;
}

/* A record that cannot be read or cannot be right is skipped; the walk goes on. */
static enum kd_status dm_prb_damaged(struct dm_ctx *d, const struct kd_err *err)
{
	if (!d->damaged++)
		d->first_damage = *err;
	return KD_OK;
}

static enum kd_status dm_prb_record(struct dm_ctx *d, const struct dm_prb *r, uint64_t id,
				    struct kd_err *err)
{
	const struct dm_prb_keys *k = &r->k;
	uint64_t idx = id & (r->count - 1), sv, off = 0, room = 0, text_len;
	uint8_t desc[DM_STRUCT_MAX], info[DM_STRUCT_MAX];
	unsigned state;
	struct kd_err rec_err;

	kd_err_clear(&rec_err);
	if (dm_read(d, &d->head, r->descs + idx * k->desc_size, desc, (size_t)k->desc_size,
		    &rec_err) != KD_OK) {
		kd_err_prefix(&rec_err, "descriptor %#llx", (unsigned long long)id);
		return dm_prb_damaged(d, &rec_err);
	}
	sv = get_le64(desc + k->desc_state + k->counter);
	state = DM_STATE(sv);
	/* a reused slot, or a record still being written or already given up */
	if ((sv & DM_ID_MASK) != id || (state != DM_DESC_COMMITTED && state != DM_DESC_FINALIZED))
		return KD_OK;
	if (dm_prb_text(r, id, get_le64(desc + k->desc_lpos + k->lpos_begin),
			get_le64(desc + k->desc_lpos + k->lpos_next), &off, &room,
			&rec_err) != KD_OK)
		return dm_prb_damaged(d, &rec_err);
	if (off == 0 && room == 0)
		return KD_OK;	/* makedumpfile prints no line for a record without text */
	if (dm_read(d, &d->info, r->infos + idx * k->info_size, info, (size_t)k->info_size,
		    &rec_err) != KD_OK) {
		kd_err_prefix(&rec_err, "record info %#llx", (unsigned long long)id);
		return dm_prb_damaged(d, &rec_err);
	}
	if (d->partial && get_le64(info + d->info_seq) < d->min_seq)
		return KD_OK;	/* before the last clear */
	text_len = get_le16(info + k->info_text_len);
	if (text_len > room)	/* a truncated record: print what the block holds */
		text_len = room;
	if (dm_read(d, &d->text, r->data + off, d->textbuf, (size_t)text_len, &rec_err) != KD_OK) {
		kd_err_prefix(&rec_err, "text of %#llx", (unsigned long long)id);
		return dm_prb_damaged(d, &rec_err);
	}
	return dm_emit(d, get_le64(info + k->info_ts), d->textbuf, (size_t)text_len, err);
}

/*
 * --partial-dmesg: the sequence number the log was last cleared at. clear_seq is a
 * latched_seq: a seqcount (offset 0) whose low bit picks the stable one of val[2].
 */
static enum kd_status dm_prb_clear_seq(struct dm_ctx *d, const struct dm_prb *r,
				       struct kd_err *err)
{
	uint64_t sym, val;
	uint32_t latch;
	enum kd_status st;

	if (!fmt_vmci_symbol(d->vi, "clear_seq", &sym) ||
	    !fmt_vmci_offset(d->vi, "latched_seq.val", &val) ||
	    !fmt_vmci_offset(d->vi, "printk_info.seq", &d->info_seq))
		return kd_err_set(err, KD_ERR_NODATA, "--partial-dmesg needs SYMBOL(clear_seq), "
				  "OFFSET(latched_seq.val) and OFFSET(printk_info.seq) in VMCOREINFO");
	if (!dm_fits(d->info_seq, 8, r->k.info_size))
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "VMCOREINFO OFFSET(printk_info.seq) lies outside SIZE(printk_info)");
	st = dm_read_u32(d, sym, &latch, err);
	if (st == KD_OK)
		st = dm_read_u64(d, sym + val + 8 * (latch & 1), &d->min_seq, err);
	return st == KD_OK ? KD_OK : kd_err_prefix(err, "clear_seq");
}

static enum kd_status dm_prb_dump(struct dm_ctx *d, struct kd_err *err)
{
	struct dm_prb r = { 0 };
	enum kd_status st = dm_prb_open(d, &r, err);
	uint64_t n;

	if (st == KD_OK && d->partial)
		st = dm_prb_clear_seq(d, &r, err);
	if (st != KD_OK)
		return st;
	/* from the tail to the head, both included */
	n = ((r.head_id - r.tail_id) & DM_ID_MASK) + 1;
	for (uint64_t i = 0; i < n && st == KD_OK; i++)
		st = dm_prb_record(d, &r, (r.tail_id + i) & DM_ID_MASK, err);
	if (st == KD_OK && d->damaged) {
		*err = d->first_damage;
		return kd_err_prefix(err, "printk ringbuffer: %llu damaged record%s skipped, the first",
				     (unsigned long long)d->damaged, d->damaged == 1 ? "" : "s");
	}
	return st;
}

/* ---- the structured log_buf (Linux 3.5 to 5.9) ---- */

struct dm_log_keys {
	uint64_t log_buf, log_buf_len, first_idx, next_idx;
	uint64_t rec_size, off_ts, off_len, off_text_len;
};

static enum kd_status dm_log_load_keys(const struct fmt_vmcoreinfo *vi, struct dm_log_keys *k,
				       struct kd_err *err)
{
	/* the record type is "struct printk_log" since 3.11, "struct log" in 3.5-3.10 */
	const char *type = "printk_log";
	char n_ts[40], n_len[40], n_text[40];
	uint64_t ignored;

	if (!fmt_vmci_size(vi, "printk_log", &ignored) && fmt_vmci_size(vi, "log", &ignored))
		type = "log";
	snprintf(n_ts, sizeof(n_ts), "%s.ts_nsec", type);
	snprintf(n_len, sizeof(n_len), "%s.len", type);
	snprintf(n_text, sizeof(n_text), "%s.text_len", type);
	const struct dm_key table[] = {
		{ FMT_VMCI_SYMBOL, "log_buf", offsetof(struct dm_log_keys, log_buf) },
		{ FMT_VMCI_SYMBOL, "log_buf_len", offsetof(struct dm_log_keys, log_buf_len) },
		{ FMT_VMCI_SYMBOL, "log_first_idx", offsetof(struct dm_log_keys, first_idx) },
		{ FMT_VMCI_SYMBOL, "log_next_idx", offsetof(struct dm_log_keys, next_idx) },
		{ FMT_VMCI_SIZE, type, offsetof(struct dm_log_keys, rec_size) },
		{ FMT_VMCI_OFFSET, n_ts, offsetof(struct dm_log_keys, off_ts) },
		{ FMT_VMCI_OFFSET, n_len, offsetof(struct dm_log_keys, off_len) },
		{ FMT_VMCI_OFFSET, n_text, offsetof(struct dm_log_keys, off_text_len) },
	};
	enum kd_status st;

	if (!fmt_vmci_size(vi, type, &ignored) && fmt_vmci_symbol(vi, "log_end", &ignored))
		return kd_err_set(err, KD_ERR_NOTIMPL,
				  "the plain-text log_buf of kernels before 3.5 is not supported");
	st = dm_load_keys(vi, table, sizeof(table) / sizeof(table[0]), k, err);
	if (st != KD_OK)
		return st;
	if (k->rec_size == 0 || !dm_fits(k->off_ts, 8, k->rec_size) ||
	    !dm_fits(k->off_len, 2, k->rec_size) || !dm_fits(k->off_text_len, 2, k->rec_size))
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "VMCOREINFO %s offsets lie outside SIZE(%s)", type, type);
	return KD_OK;
}

static enum kd_status dm_log_dump(struct dm_ctx *d, struct kd_err *err)
{
	struct dm_log_keys k;
	uint8_t hdr[DM_STRUCT_MAX];
	uint64_t buf, steps = 0, max_steps;
	uint32_t len, first, next, idx;
	bool wrapped = false;
	enum kd_status st = dm_log_load_keys(d->vi, &k, err);

	if (st != KD_OK)
		return st;
	st = dm_read_u64(d, k.log_buf, &buf, err);
	if (st == KD_OK)
		st = dm_read_u32(d, k.log_buf_len, &len, err);
	if (st == KD_OK)
		st = dm_read_u32(d, k.first_idx, &first, err);
	if (st == KD_OK)
		st = dm_read_u32(d, k.next_idx, &next, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "log_buf");
	if (len < k.rec_size || len > DM_MAX_LOG_BUF || first >= len || next >= len)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "log_buf: implausible length %u or indexes %u..%u", len, first, next);
	max_steps = len / k.rec_size + 2;
	for (idx = first; idx != next && st == KD_OK;) {
		uint32_t rec_len, text_len;

		if (++steps > max_steps || idx > len - k.rec_size)
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "log_buf: the records from log_first_idx %u do not lead to "
					  "log_next_idx %u (stuck at %u)", first, next, idx);
		st = dm_read(d, &d->head, buf + idx, hdr, (size_t)k.rec_size, err);
		if (st != KD_OK)
			return kd_err_prefix(err, "log_buf record at %u", idx);
		rec_len = get_le16(hdr + k.off_len);
		if (rec_len == 0) {	/* the rest of the buffer is unused: go on at its start */
			if (wrapped)
				return kd_err_set(err, KD_ERR_CORRUPT,
						  "log_buf: a second wrap at %u", idx);
			wrapped = true;
			idx = 0;
			continue;
		}
		text_len = get_le16(hdr + k.off_text_len);
		if (rec_len < k.rec_size || rec_len > len - idx || text_len > rec_len - k.rec_size)
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "log_buf: record at %u has length %u and text length %u",
					  idx, rec_len, text_len);
		st = dm_read(d, &d->text, buf + idx + k.rec_size, d->textbuf, text_len, err);
		if (st != KD_OK)
			return kd_err_prefix(err, "log_buf record at %u", idx);
		st = dm_emit(d, get_le64(hdr + k.off_ts), d->textbuf, text_len, err);
		idx += rec_len;
		if (idx == len && next != len)
			idx = 0;	/* exactly full to the end */
	}
	return st;
}

/* ---- entry point ---- */

static enum kd_status dm_ctx_init(struct dm_ctx *d, struct flt_model *m, struct kd_err *err)
{
	d->head.buf = malloc(m->page_size);
	d->info.buf = malloc(m->page_size);
	d->text.buf = malloc(m->page_size);
	d->textbuf = malloc(DM_TEXT_MAX);
	if (!d->head.buf || !d->info.buf || !d->text.buf || !d->textbuf)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	return KD_OK;
}

static void dm_ctx_deinit(struct dm_ctx *d)
{
	free(d->head.buf);
	free(d->info.buf);
	free(d->text.buf);
	free(d->textbuf);
}

enum kd_status flt_dmesg_dump(struct flt_model *m, flt_dmesg_write_fn write, void *ctx,
			      uint64_t *records, unsigned flags, struct kd_err *err)
{
	struct dm_ctx *d;
	uint64_t sym;
	enum kd_status st;

	if (!m || !write)
		return kd_err_set(err, KD_ERR_INVALID, "kernel log: no model or no writer");
	d = calloc(1, sizeof(*d));
	if (!d)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	d->m = m;
	d->vi = m->vi;
	d->write = write;
	d->wctx = ctx;
	d->records = records;
	d->partial = flags & FLT_DMESG_PARTIAL;
	st = dm_ctx_init(d, m, err);
	if (st != KD_OK)
		goto out_free;
	if (fmt_vmci_symbol(d->vi, "prb", &sym))
		st = dm_prb_dump(d, err);
	else if (fmt_vmci_symbol(d->vi, "log_buf", &sym) && d->partial)
		st = kd_err_set(err, KD_ERR_NOTIMPL, "--partial-dmesg is supported for the printk "
				"ringbuffer of Linux 5.10 and later, not for log_buf");
	else if (fmt_vmci_symbol(d->vi, "log_buf", &sym))
		st = dm_log_dump(d, err);
	else
		st = kd_err_set(err, KD_ERR_NODATA,
				"VMCOREINFO has neither SYMBOL(prb) (Linux 5.10 and later) nor "
				"SYMBOL(log_buf)");
	if (st == KD_OK) {
		st = dm_flush(d, err);
	} else {
		struct kd_err ignored;

		dm_flush(d, &ignored);	/* keep the records before the problem */
	}
out_free:
	dm_ctx_deinit(d);
	free(d);
	return st;
}
