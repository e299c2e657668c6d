/* Unit tests for filters/dmesg.c: synthetic printk ringbuffers and log_bufs in a fake memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters.h"
#include "formats/formats.h"
#include "tests/unit/tap.h"

#define MEM_SIZE (1u << 20)
#define PO 0xffff888000000000ull	/* direct map: vaddr = PO + paddr */
#define PRB_SYM 0x1000u			/* the prb pointer */
#define RB_PA 0x2000u			/* struct printk_ringbuffer */
#define DESCS_PA 0x4000u
#define INFOS_PA 0x10000u
#define DATA_PA 0x40000u
#define ID_MASK (~(3ull << 62))
#define ST_COMMITTED 1ull
#define ST_FINALIZED 2ull
#define ST_REUSABLE 3ull
#define MAX_RECS 256

/* The 6.1 layout (FORMATS.md §3.7). */
static const char prb_keys[] =
	"OSRELEASE=6.1.0-test\n"
	"PAGESIZE=4096\n"
	"SYMBOL(prb)=ffff888000001000\n"
	"SIZE(printk_ringbuffer)=88\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(printk_ringbuffer.fail)=80\n"
	"SIZE(prb_desc_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\n"
	"OFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\n"
	"OFFSET(prb_desc_ring.tail_id)=32\n"
	"SIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\n"
	"OFFSET(prb_desc.text_blk_lpos)=8\n"
	"SIZE(prb_data_blk_lpos)=16\n"
	"OFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\n"
	"SIZE(printk_info)=88\n"
	"OFFSET(printk_info.seq)=0\n"
	"OFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\n"
	"OFFSET(printk_info.caller_id)=20\n"
	"SIZE(prb_data_ring)=32\n"
	"OFFSET(prb_data_ring.size_bits)=0\n"
	"OFFSET(prb_data_ring.data)=8\n"
	"OFFSET(prb_data_ring.head_lpos)=16\n"
	"OFFSET(prb_data_ring.tail_lpos)=24\n"
	"SIZE(atomic_long_t)=8\n"
	"OFFSET(atomic_long_t.counter)=0\n";

/* A 4.x/5.x layout. */
static const char log_keys[] =
	"OSRELEASE=5.4.0-test\n"
	"PAGESIZE=4096\n"
	"SYMBOL(log_buf)=ffff888000001000\n"
	"SYMBOL(log_buf_len)=ffff888000001008\n"
	"SYMBOL(log_first_idx)=ffff888000001010\n"
	"SYMBOL(clear_idx)=ffff888000001014\n"
	"SYMBOL(log_next_idx)=ffff888000001018\n"
	"SIZE(printk_log)=16\n"
	"OFFSET(printk_log.ts_nsec)=0\n"
	"OFFSET(printk_log.len)=8\n"
	"OFFSET(printk_log.text_len)=10\n"
	"OFFSET(printk_log.dict_len)=12\n";

/* 3.5-3.10 called the record "struct log". */
static const char log_keys_310[] =
	"OSRELEASE=3.10.0-test\n"
	"PAGESIZE=4096\n"
	"SYMBOL(log_buf)=ffff888000001000\n"
	"SYMBOL(log_buf_len)=ffff888000001008\n"
	"SYMBOL(log_first_idx)=ffff888000001010\n"
	"SYMBOL(log_next_idx)=ffff888000001018\n"
	"SIZE(log)=16\n"
	"OFFSET(log.ts_nsec)=0\n"
	"OFFSET(log.len)=8\n"
	"OFFSET(log.text_len)=10\n";

static uint8_t *mem;

static enum kd_status fake_read(void *ctx, uint64_t paddr, void *buf, size_t len,
				struct kd_err *err)
{
	(void)ctx;
	if (paddr > MEM_SIZE || len > MEM_SIZE - paddr)
		return kd_err_set(err, KD_ERR_NODATA, "0x%llx is not in the fake memory",
				  (unsigned long long)paddr);
	memcpy(buf, mem + paddr, len);
	return KD_OK;
}

/* What flt_dmesg_dump wrote. */
struct sink {
	char *buf;
	size_t len;
	size_t fail_after;	/* fail once this many bytes were written; 0 = never */
};

static enum kd_status sink_write(void *ctx, const char *buf, size_t len, struct kd_err *err)
{
	struct sink *s = ctx;

	if (s->fail_after && s->len + len > s->fail_after)
		return kd_err_set(err, KD_ERR_NOSPC, "test sink is full");
	s->buf = realloc(s->buf, s->len + len + 1);
	if (!s->buf)
		abort();
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return KD_OK;
}

/* Run the walker over the fake memory with VMCOREINFO @keys minus the line starting with @drop. */
static enum kd_status run(const char *keys, const char *drop, struct sink *out, uint64_t *records,
			  struct kd_err *err)
{
	struct flt_mem fm = { fake_read, NULL, MEM_SIZE / 4096 };
	struct fmt_vmcoreinfo *vi;
	struct flt_model *m;
	char text[4096];
	const char *cut = drop ? strstr(keys, drop) : NULL;
	enum kd_status st;

	if (cut) {
		size_t head = (size_t)(cut - keys);
		const char *rest = strchr(cut, '\n') + 1;

		snprintf(text, sizeof(text), "%.*s%s", (int)head, keys, rest);
	} else {
		snprintf(text, sizeof(text), "%s", keys);
	}
	out->buf = NULL;
	out->len = 0;
	*records = 0;
	kd_err_clear(err);
	st = fmt_vmcoreinfo_parse(text, strlen(text), &vi, err);
	if (st != KD_OK)
		return st;
	st = flt_model_create(vi, &fm, PO, &m, err);
	if (st == KD_OK) {
		st = flt_dmesg_dump(m, sink_write, out, records, 0, err);
		flt_model_destroy(m);
	}
	fmt_vmcoreinfo_destroy(vi);
	return st;
}

/* ------------------------------------------------------------------ */
/* A lockless ringbuffer written the way the kernel writes it */

struct ring {
	unsigned count_bits, size_bits;
	uint64_t first_id;	/* id of the first record added */
	uint64_t next_id;
	uint64_t head_lpos;
	uint64_t begin[MAX_RECS];	/* begin lpos per record index */
};

static void ring_init(struct ring *r, unsigned count_bits, unsigned size_bits, uint64_t first_id)
{
	memset(mem, 0, MEM_SIZE);
	memset(r, 0, sizeof(*r));
	r->count_bits = count_bits;
	r->size_bits = size_bits;
	r->first_id = r->next_id = first_id;
	r->head_lpos = 0;
	put_le64(mem + PRB_SYM, PO + RB_PA);
	put_le32(mem + RB_PA + 0, count_bits);
	put_le64(mem + RB_PA + 8, PO + DESCS_PA);
	put_le64(mem + RB_PA + 16, PO + INFOS_PA);
	put_le32(mem + RB_PA + 48, size_bits);
	put_le64(mem + RB_PA + 56, PO + DATA_PA);
}

static void ring_desc(const struct ring *r, uint64_t id, uint64_t state, uint64_t begin,
		      uint64_t next)
{
	uint8_t *d = mem + DESCS_PA + (id & ((1ull << r->count_bits) - 1)) * 24;

	put_le64(d, state << 62 | id);
	put_le64(d + 8, begin);
	put_le64(d + 16, next);
}

/* Add a record; a block that would cross the end of the ring goes to its start. */
static uint64_t ring_add(struct ring *r, const char *text, size_t len, uint64_t ts)
{
	uint64_t size = 1ull << r->size_bits, blk = (8 + len + 7) & ~7ull;
	uint64_t id = r->next_id, begin = r->head_lpos, next, at;
	uint8_t *info = mem + INFOS_PA + (id & ((1ull << r->count_bits) - 1)) * 88;

	if (begin >> r->size_bits == (begin + blk) >> r->size_bits) {
		next = begin + blk;
		at = begin & (size - 1);
	} else {
		next = ((begin + blk) & ~(size - 1)) + blk;
		at = 0;
	}
	put_le64(mem + DATA_PA + at, id);
	memcpy(mem + DATA_PA + at + 8, text, len);
	ring_desc(r, id, ST_FINALIZED, begin, next);
	memset(info, 0, 88);
	put_le64(info, id - r->first_id);
	put_le64(info + 8, ts);
	put_le16(info + 16, (uint16_t)len);
	r->begin[(id - r->first_id) & ID_MASK] = begin;
	r->head_lpos = next;
	r->next_id = (id + 1) & ID_MASK;
	return id;
}

/* Head = the last record; tail = the oldest one whose descriptor and data are still intact. */
static uint64_t ring_finish(struct ring *r)
{
	uint64_t n = (r->next_id - r->first_id) & ID_MASK, size = 1ull << r->size_bits;
	uint64_t count = 1ull << r->count_bits, oldest = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (n - i <= count && r->begin[i] + size >= r->head_lpos) {
			oldest = i;
			break;
		}
	}
	put_le64(mem + RB_PA + 24, (r->next_id - 1) & ID_MASK);
	put_le64(mem + RB_PA + 32, (r->first_id + oldest) & ID_MASK);
	return oldest;
}

static void test_basic(struct tap *t)
{
	static const char multi[] = "line one\nline two\n  three";
	static const char odd[] = "tab\there \x01 ctl \xc3\xa9 utf8 \x7f del";
	struct ring r;
	struct sink out = { 0 };
	struct kd_err err = { 0 };
	uint64_t recs, id;
	enum kd_status st;

	ring_init(&r, 4, 12, 0);
	ring_add(&r, "Linux version 6.1", 17, 0);
	ring_add(&r, multi, sizeof(multi) - 1, 7314756123ull);
	id = ring_add(&r, "", 0, 7400000000ull);
	ring_desc(&r, id, ST_FINALIZED, 3, 3);	/* an empty line: no data block */
	ring_add(&r, odd, sizeof(odd) - 1, 123456789012345ull);
	ring_add(&r, "committed, not finalized", 24, 123456789999999ull);
	ring_desc(&r, r.next_id - 1, ST_COMMITTED, r.begin[4], r.head_lpos);
	ring_finish(&r);
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_OK, "prb basic: walk succeeds (%s)", err.msg);
	TAP_CHECK(t, recs == 4, "prb basic: 4 records with text (got %llu)",
		  (unsigned long long)recs);
	TAP_CHECK(t, out.buf && !strcmp(out.buf,
		  "[    0.000000] Linux version 6.1\n"
		  "[    7.314756] line one\n"
		  "               line two\n"
		  "                 three\n"
		  "[123456.789012] tab\there \\x01 ctl \\xffffffc3\\xffffffa9 utf8 \\x7f del\n"
		  "[123456.789999] committed, not finalized\n"),
		  "prb basic: text, indented continuation lines, escapes");
	free(out.buf);
}

/* Many records through a small ring: both the descriptors and the data wrap, ids too. */
static void test_wrapped(struct tap *t)
{
	struct ring r;
	struct sink out = { 0 };
	struct kd_err err = { 0 };
	char text[64], *expect = calloc(1, 64 * MAX_RECS);
	size_t elen = 0;
	uint64_t recs, oldest;
	enum kd_status st;
	int n = 200;

	ring_init(&r, 5, 10, ID_MASK - 40);	/* ids run through the 62-bit mask */
	for (int i = 0; i < n; i++) {
		int len = snprintf(text, sizeof(text), "message %d %.*s", i, i % 23,
				   "abcdefghijklmnopqrstuvwxyz");

		ring_add(&r, text, (size_t)len, (uint64_t)i * 1000001000ull);
	}
	oldest = ring_finish(&r);
	for (int i = (int)oldest; i < n; i++) {
		uint64_t ts = (uint64_t)i * 1000001000ull;

		elen += (size_t)snprintf(expect + elen, 64, "[%5llu.%06llu] message %d %.*s\n",
					 (unsigned long long)(ts / 1000000000),
					 (unsigned long long)(ts % 1000000000 / 1000), i, i % 23,
					 "abcdefghijklmnopqrstuvwxyz");
	}
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_OK, "prb wrapped: walk succeeds (%s)", err.msg);
	TAP_CHECK(t, oldest > 150 && recs == (uint64_t)n - oldest,
		  "prb wrapped: records %llu..%d present (got %llu)", (unsigned long long)oldest,
		  n - 1, (unsigned long long)recs);
	TAP_CHECK(t, out.buf && !strcmp(out.buf, expect), "prb wrapped: output is the newest records");

	/* a slot reused by a newer id and a slot given back are skipped, not fatal */
	ring_desc(&r, (r.first_id + (uint64_t)n - 3 + 32) & ID_MASK, ST_FINALIZED, 0, 8);
	ring_desc(&r, (r.first_id + (uint64_t)n - 2) & ID_MASK, ST_REUSABLE, r.begin[n - 2], r.begin[n - 1]);
	free(out.buf);
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_OK && recs == (uint64_t)n - oldest - 2,
		  "prb reused descriptors: skipped (%s, %llu records)", err.msg,
		  (unsigned long long)recs);
	TAP_CHECK(t, out.buf && !strstr(out.buf, "message 197 ") && !strstr(out.buf, "message 198 ") &&
		  strstr(out.buf, "message 199 "), "prb reused descriptors: the others remain");
	free(out.buf);
	free(expect);
}

static void test_truncated(struct tap *t)
{
	struct ring r;
	struct sink out = { 0 };
	struct kd_err err = { 0 };
	uint64_t recs;

	ring_init(&r, 4, 12, 100);
	ring_add(&r, "0123456789abcdef", 16, 1000);
	/* text_len says more than the block holds: print what the block holds */
	put_le16(mem + INFOS_PA + (100 & 15) * 88 + 16, 500);
	ring_finish(&r);
	run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, recs == 1 && out.buf && !strcmp(out.buf, "[    0.000001] 0123456789abcdef\n"),
		  "prb: text_len beyond its block is cut at the block");
	free(out.buf);
}

static void test_prb_corrupt(struct tap *t)
{
	struct ring r;
	struct sink out = { 0 };
	struct kd_err err = { 0 };
	uint64_t recs, id;
	enum kd_status st;

	ring_init(&r, 4, 10, 0);
	ring_add(&r, "good one", 8, 1000);
	id = ring_add(&r, "bad one", 7, 2000);
	ring_add(&r, "after", 5, 3000);
	ring_finish(&r);

	ring_desc(&r, id, ST_FINALIZED, 16, 16 + 5000);	/* longer than the ring */
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT && strstr(err.msg, "descriptor 0x1") &&
		  strstr(err.msg, "1 damaged record skipped") && recs == 2 && out.buf &&
		  !strcmp(out.buf, "[    0.000001] good one\n[    0.000003] after\n"),
		  "prb corrupt descriptor: skipped, the others written, then an error: %s",
		  err.msg);
	free(out.buf);

	ring_desc(&r, id, ST_FINALIZED, 16, 20);	/* shorter than its id */
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "prb block without room for its id: %s", err.msg);
	free(out.buf);

	ring_desc(&r, id, ST_FINALIZED, 1000, 2048 + 40);	/* begin and next two wraps apart */
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "prb block spanning two wraps: %s", err.msg);
	free(out.buf);

	ring_desc(&r, id, ST_FINALIZED, 1000, 1024 + 16);	/* a valid wrapped block */
	memcpy(mem + DATA_PA + 8, "wrapped", 7);
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_OK && recs == 3 && out.buf && strstr(out.buf, "] wrapped\n"),
		  "prb wrapped block read from the ring start (%s)", err.msg);
	free(out.buf);

	ring_add(&r, "x", 1, 4000);
	put_le64(mem + RB_PA + 24, 17);		/* head - tail >= count: would loop */
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT && recs == 0, "prb head/tail span too large: %s", err.msg);
	free(out.buf);

	put_le64(mem + RB_PA + 24, 3ull << 62 | 2);	/* flag bits in the head id */
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "prb head id with state bits: %s", err.msg);
	free(out.buf);

	put_le64(mem + RB_PA + 24, 2);
	put_le32(mem + RB_PA + 0, 60);		/* 2^60 descriptors */
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "prb implausible count_bits: %s", err.msg);
	free(out.buf);

	put_le32(mem + RB_PA + 0, 4);
	put_le64(mem + RB_PA + 8, PO + MEM_SIZE + 0x1000);	/* descs outside memory */
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, (st == KD_ERR_NODATA || st == KD_ERR_NOTIMPL) && recs == 0 &&
		  strstr(err.msg, "3 damaged records skipped"), "prb descs not in the dump: %s",
		  err.msg);
	free(out.buf);
}

static void test_keys(struct tap *t)
{
	struct ring r;
	struct sink out = { 0 };
	struct kd_err err = { 0 };
	uint64_t recs;
	enum kd_status st;

	ring_init(&r, 4, 10, 0);
	ring_add(&r, "hello", 5, 1);
	ring_finish(&r);
	st = run(prb_keys, "OFFSET(prb_desc.state_var)", &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_NODATA && strstr(err.msg, "OFFSET(prb_desc.state_var)") &&
		  out.len == 0, "missing key named: %s", err.msg);
	st = run(prb_keys, "SIZE(printk_info)", &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_NODATA && strstr(err.msg, "SIZE(printk_info)"),
		  "missing size named: %s", err.msg);
	st = run(prb_keys, "SYMBOL(prb)", &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_NODATA && strstr(err.msg, "SYMBOL(prb)") &&
		  strstr(err.msg, "SYMBOL(log_buf)"), "no log symbol at all: %s", err.msg);
	st = run("PAGESIZE=4096\nSYMBOL(prb)=ffff888000001000\nSIZE(printk_ringbuffer)=99999\n",
		 NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "implausible SIZE: %s", err.msg);
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_OK && recs == 1, "all keys: walk succeeds (%s)", err.msg);
	free(out.buf);
	out = (struct sink){ .fail_after = 5 };
	st = run(prb_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_NOSPC, "writer error stops the walk: %s", err.msg);
	free(out.buf);
}

/* Random damage to a wrapped ring: any status, but never a crash, an overrun or a hang. */
static void test_random_damage(struct tap *t)
{
	static const uint32_t regions[][2] = {
		{ RB_PA, 88 }, { DESCS_PA, 32 * 24 }, { INFOS_PA, 32 * 88 }, { DATA_PA, 1024 },
	};
	struct ring r;
	struct sink out = { 0 };
	struct kd_err err = { 0 };
	uint64_t recs, seed = 0x9e3779b97f4a7c15ull;
	uint8_t *clean = malloc(MEM_SIZE);
	int ok = 0, corrupt = 0, other = 0;
	char text[64];

	ring_init(&r, 5, 10, 7);
	for (int i = 0; i < 120; i++) {
		int len = snprintf(text, sizeof(text), "record %d", i);

		ring_add(&r, text, (size_t)len, (uint64_t)i);
	}
	ring_finish(&r);
	memcpy(clean, mem, MEM_SIZE);
	for (int iter = 0; iter < 3000; iter++) {
		int flips = 1 + iter % 8;

		memcpy(mem, clean, MEM_SIZE);
		for (int k = 0; k < flips; k++) {
			const uint32_t *reg;

			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			reg = regions[(seed >> 33) % 4];
			mem[reg[0] + (seed >> 40) % reg[1]] ^= (uint8_t)(1u << ((seed >> 20) % 8));
		}
		/* keep the ring small enough that a bad count_bits cannot make a long walk */
		if (get_le32(mem + RB_PA) > 12)
			put_le32(mem + RB_PA, 12);
		switch (run(prb_keys, NULL, &out, &recs, &err)) {
		case KD_OK:
			ok++;
			break;
		case KD_ERR_CORRUPT:
			corrupt++;
			break;
		default:
			other++;
			break;
		}
		free(out.buf);
	}
	TAP_CHECK(t, ok + corrupt + other == 3000, "random damage: 3000 runs end (%d ok, %d corrupt, "
		  "%d other)", ok, corrupt, other);
	free(clean);
}

/* ------------------------------------------------------------------ */
/* The structured log_buf of 3.5-5.9 */

#define LOG_PA 0x8000u

static uint32_t log_put(uint32_t idx, const char *text, uint64_t ts)
{
	size_t len = strlen(text);
	uint32_t rec = (uint32_t)((16 + len + 7) & ~7u);

	memset(mem + LOG_PA + idx, 0, rec);
	put_le64(mem + LOG_PA + idx, ts);
	put_le16(mem + LOG_PA + idx + 8, (uint16_t)rec);
	put_le16(mem + LOG_PA + idx + 10, (uint16_t)len);
	memcpy(mem + LOG_PA + idx + 16, text, len);
	return idx + rec;
}

static void log_setup(uint32_t len, uint32_t first, uint32_t next)
{
	put_le64(mem + 0x1000, PO + LOG_PA);
	put_le32(mem + 0x1008, len);
	put_le32(mem + 0x1010, first);
	put_le32(mem + 0x1018, next);
}

static void test_log_buf(struct tap *t)
{
	struct sink out = { 0 };
	struct kd_err err = { 0 };
	uint64_t recs;
	uint32_t idx;
	enum kd_status st;

	memset(mem, 0, MEM_SIZE);
	/* oldest records at 200..255 (the end marked with a zero length), newest at 0 */
	idx = log_put(200, "old one", 5000000000ull);
	memset(mem + LOG_PA + idx, 0, 16);
	idx = log_put(0, "wrapped\nsecond line", 6000000000ull);
	idx = log_put(idx, "newest", 7000000000ull);
	log_setup(256, 200, idx);
	st = run(log_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_OK && recs == 3 && out.buf &&
		  !strcmp(out.buf, "[    5.000000] old one\n"
				   "[    6.000000] wrapped\n"
				   "               second line\n"
				   "[    7.000000] newest\n"),
		  "log_buf: wrapped records (%s)", err.msg);
	free(out.buf);

	st = run(log_keys_310, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_OK && recs == 3 && out.buf && strstr(out.buf, "] old one\n"),
		  "log_buf of 3.5-3.10 (struct log): read (%s)", err.msg);
	free(out.buf);

	put_le16(mem + LOG_PA + 8, 4);	/* record length below the header size */
	st = run(log_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT && recs == 1, "log_buf: corrupt record length: %s",
		  err.msg);
	free(out.buf);

	log_put(0, "wrapped\nsecond line", 6000000000ull);
	log_setup(256, 200, 100);	/* next index not on a record boundary */
	st = run(log_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "log_buf: records never reach log_next_idx: %s",
		  err.msg);
	free(out.buf);

	memset(mem + LOG_PA, 0, 256);	/* all zero lengths: a wrap at 0 again */
	log_setup(256, 8, 100);
	st = run(log_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "log_buf: endless wrap refused: %s", err.msg);
	free(out.buf);

	log_setup(256, 300, 0);
	st = run(log_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_CORRUPT, "log_buf: index beyond the buffer: %s", err.msg);
	free(out.buf);

	st = run(log_keys, "OFFSET(printk_log.text_len)", &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_NODATA && strstr(err.msg, "OFFSET(printk_log.text_len)"),
		  "log_buf: missing key named: %s", err.msg);
	st = run("PAGESIZE=4096\nSYMBOL(log_buf)=ffff888000001000\nSYMBOL(log_end)=ffff888000001010\n",
		 NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_ERR_NOTIMPL, "log_buf before 3.5: %s", err.msg);
}

/* Random damage to a wrapped log_buf: never a crash, an overrun or a hang. */
static void test_log_buf_damage(struct tap *t)
{
	uint64_t recs, seed = 12345;
	struct sink out = { 0 };
	struct kd_err err = { 0 };
	uint8_t *clean = malloc(0x9000);
	uint32_t idx = 0;
	int ends = 0, good = 0;
	enum kd_status st;
	char text[40];

	memset(mem, 0, MEM_SIZE);
	for (int i = 0; i < 40; i++) {	/* records of 24 to 40 bytes through 512 bytes */
		int len = snprintf(text, sizeof(text), "rec %d %.*s", i, i % 17, "zzzzzzzzzzzzzzzzz");
		uint32_t rec = (uint32_t)((16 + len + 7) & ~7);

		if (idx + rec + 16 > 512) {
			memset(mem + LOG_PA + idx, 0, 16);
			idx = 0;
		}
		idx = log_put(idx, text, (uint64_t)i);
	}
	log_setup(512, 0, idx);	/* the newest lap only: 0 up to idx */
	st = run(log_keys, NULL, &out, &recs, &err);
	TAP_CHECK(t, st == KD_OK && recs > 10,
		  "log_buf damage test: the undamaged buffer reads (%llu records)",
		  (unsigned long long)recs);
	free(out.buf);
	memcpy(clean, mem, 0x9000);
	for (int iter = 0; iter < 2000; iter++) {
		memcpy(mem, clean, 0x9000);
		for (int k = 0; k < 1 + iter % 6; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			if ((seed >> 60) == 0)	/* now and then the indexes themselves */
				mem[0x1008 + (seed >> 30) % 20] ^= (uint8_t)(1u << ((seed >> 20) % 8));
			else
				mem[LOG_PA + (seed >> 30) % 512] ^= (uint8_t)(1u << ((seed >> 20) % 8));
		}
		if (run(log_keys, NULL, &out, &recs, &err) == KD_OK)
			good++;
		ends++;
		free(out.buf);
	}
	TAP_CHECK(t, ends == 2000, "log_buf random damage: 2000 runs end (%d walks succeed)", good);
	free(clean);
}

int main(void)
{
	struct tap t = { 0 };

	mem = calloc(1, MEM_SIZE);
	if (!mem)
		return 1;
	test_basic(&t);
	test_wrapped(&t);
	test_truncated(&t);
	test_prb_corrupt(&t);
	test_keys(&t);
	test_random_damage(&t);
	test_log_buf(&t);
	test_log_buf_damage(&t);
	free(mem);
	return tap_finish(&t);
}
