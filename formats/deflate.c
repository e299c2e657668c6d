/* A fast one-shot zlib encoder for single pages: greedy LZ77 + one Huffman block. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "formats/deflate.h"

/*
 * Tuning. Matches are found through one hash table of the page's most recent position
 * per MIN_MATCH-byte prefix, chained through prev[] to older positions with the same
 * hash. Positions are stored plus one (0: none) in 16 bits, so the table is small enough
 * to stay in the L1 cache and to clear for every page.
 */
enum {
	HASH_BITS = 13,
	HASH_SIZE = 1 << HASH_BITS,
	MIN_MATCH = 3,		/* shortest match deflate codes */
	MAX_MATCH = 258,	/* longest match deflate codes */
	MAX_DIST = 32768,	/* deflate's window */
	MAX_CHAIN = 4,		/* candidates tried per position */
	NICE_MATCH = 258,	/* stop searching at a match this long */
	INSERT_TAIL = 2,	/* hash the last positions of each match (at most MIN_MATCH - 1) */
	LITLEN_SYMS = 286,
	DIST_SYMS = 30,
	CL_SYMS = 19,
	STORED_MAX = 65535,	/* largest stored block */
	SLACK = 8,		/* the bit writer stores 8 bytes at a time */
	/* A match token: 256 + length - MIN_MATCH | distance symbol << TOK_DSYM |
	 * distance extra bits << TOK_DEXTRA. A literal token is its byte. */
	TOK_DSYM = 9,
	TOK_DEXTRA = 14,
};

/* RFC 1951 3.2.5: base value and extra bits of length codes 257..285 and distance codes. */
static const uint16_t len_base[29] = {
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};
static const uint8_t len_extra[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};
static const uint16_t dist_base[30] = {
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
};
static const uint8_t dist_extra[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
	7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
};
/* RFC 1951 3.2.7: the order code-length code lengths are sent in. */
static const uint8_t cl_order[CL_SYMS] = {
	16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

/* One Huffman code: bit lengths and codes already bit-reversed for an LSB-first writer. */
struct huff {
	uint8_t len[288];
	uint16_t code[288];
};

struct fmt_deflate {
	uint16_t head[HASH_SIZE];		/* newest position + 1 with this hash, or 0 */
	uint16_t prev[FMT_DEFLATE_MAX_INPUT];	/* older position + 1 with the same hash */
	/* The parse: match i (TOK_*) follows lit_run[i] literals; nlit literals in all. */
	uint32_t match[FMT_DEFLATE_MAX_INPUT / MIN_MATCH + 1];
	uint32_t lit_run[FMT_DEFLATE_MAX_INPUT / MIN_MATCH + 1];
	uint8_t lits[FMT_DEFLATE_MAX_INPUT];
	size_t nmatch, nlit;
	uint32_t lfreq[288], dfreq[32];
	struct huff lit, dist, fixed_lit, fixed_dist;
	uint8_t len_sym[MAX_MATCH + 1];		/* match length -> length code - 257 */
	uint8_t dist_sym[512];			/* see dist_code() */
	uint8_t rev8[256];			/* bit reversal of a byte */
	uint32_t ltab[512];	/* token & 511 -> bits | count << 24 (see write_symbols) */
	uint32_t dtab[32];	/* distance symbol -> code | length << 16 | extra bits << 24 */
	uint8_t scratch[FMT_DEFLATE_MAX_INPUT + 64];	/* output when @cap leaves no slack */
};

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void store64le(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, sizeof(v));
}

/* Hash of the MIN_MATCH bytes at the low end (in memory order) of @x. */
static inline uint32_t hash_prefix(uint32_t x)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x >>= 8 * (4 - MIN_MATCH);
#else
	x <<= 8 * (4 - MIN_MATCH);
#endif
	return (x * 2654435761u) >> (32 - HASH_BITS);
}

/* Index of the first differing byte of two words loaded from memory, @x their xor (not 0). */
static inline size_t first_diff(uint64_t x)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (size_t)(__builtin_clzll(x) >> 3);
#else
	return (size_t)(__builtin_ctzll(x) >> 3);
#endif
}

/* Number of equal bytes at @a and @b, from @start up to @max (both readable to @max). */
static inline size_t match_length(const uint8_t *a, const uint8_t *b, size_t start, size_t max)
{
	size_t n = start;

	while (n + 8 <= max) {
		uint64_t x = load64(a + n) ^ load64(b + n);

		if (x)
			return n + first_diff(x);
		n += 8;
	}
	while (n < max && a[n] == b[n])
		n++;
	return n;
}

/* Distance symbol of @dist (1..32768): dist_sym[dist - 1] up to 256, then by 128s
 * (computed without a branch: the two cases are equally likely). */
static inline unsigned dist_code(const struct fmt_deflate *d, uint32_t dist)
{
	const uint32_t far = (255 - (dist - 1)) >> 31;	/* dist > 256 */

	return d->dist_sym[(((dist - 1) >> (7 * far)) | far << 8)];
}

static inline void insert_pos(struct fmt_deflate *d, const uint8_t *in, size_t pos)
{
	const uint32_t h = hash_prefix(load32(in + pos));

	d->prev[pos] = d->head[h];
	d->head[h] = (uint16_t)(pos + 1);
}

static inline void count_literal(struct fmt_deflate *d, size_t *nlit, uint8_t lit)
{
	d->lits[(*nlit)++] = lit;
	d->lfreq[lit]++;
}

/*
 * Greedy LZ77 parse of @in into d->match/lit_run/lits, counting symbol frequencies.
 * Each position tries up to MAX_CHAIN earlier positions with the same hash and takes
 * the longest match (the nearest of equals). Candidates are compared 8 bytes at a
 * time, so positions in the last 7 bytes start no match.
 */
static void parse(struct fmt_deflate *d, const uint8_t *in, size_t len)
{
	size_t nlit = 0, nmatch = 0, run_start = 0, p = 0;

	memset(d->lfreq, 0, sizeof(d->lfreq));
	memset(d->dfreq, 0, sizeof(d->dfreq));
	memset(d->head, 0, sizeof(d->head));
	if (len >= 16) {
		const size_t last = len - 8;	/* positions with 8 readable bytes */

		while (p <= last) {
			const uint64_t x = load64(in + p);
			const uint32_t h = hash_prefix(load32(in + p));
			const size_t max = len - p < MAX_MATCH ? len - p : MAX_MATCH;
			size_t best = MIN_MATCH - 1, best_dist = 0;
			uint32_t next = d->head[h];

			d->prev[p] = (uint16_t)next;
			d->head[h] = (uint16_t)(p + 1);
			for (int chain = MAX_CHAIN; next != 0 && chain > 0; chain--) {
				const size_t c = next - 1;
				const uint64_t diff = load64(in + c) ^ x;
				size_t n;

				if (p - c > MAX_DIST)
					break;
				n = diff ? first_diff(diff) : match_length(in + c, in + p, 8, max);
				if (n > best) {
					best = n;
					best_dist = p - c;
					if (n >= NICE_MATCH || n == max)
						break;
				}
				next = d->prev[c];
			}
			if (best >= MIN_MATCH) {
				const unsigned ls = d->len_sym[best];
				const unsigned ds = dist_code(d, (uint32_t)best_dist);
				/* Hash only the match's last positions: a fixed count, no branch
				 * to mispredict, and nearly all of the matches hashing every
				 * position would find. */
				const size_t end = p + best <= last + 1 ? p + best : last + 1;
				size_t i = p + best - INSERT_TAIL;

				d->lit_run[nmatch] = (uint32_t)(nlit - run_start);
				run_start = nlit;
				d->match[nmatch++] = (uint32_t)(256 + best - MIN_MATCH) | ds << TOK_DSYM |
						 (uint32_t)(best_dist - dist_base[ds]) << TOK_DEXTRA;
				d->lfreq[257 + ls]++;
				d->dfreq[ds]++;
				for (; i < end; i++)
					insert_pos(d, in, i);
				p += best;
			} else {
				count_literal(d, &nlit, in[p]);
				p++;
			}
		}
	}
	for (; p < len; p++)
		count_literal(d, &nlit, in[p]);
	d->lfreq[256] = 1;	/* end of block */
	d->nmatch = nmatch;
	d->nlit = nlit;
}

/*
 * Sort @n keys (frequency << 9 | symbol) by frequency, ties in symbol order: LSD radix
 * sort, with as few passes (and as small digits) as the largest frequency needs. @tmp
 * holds @n keys; returns the array that holds the result.
 */
static uint32_t *sort_keys(uint32_t *k, uint32_t *tmp, unsigned n, uint32_t max_freq)
{
	const unsigned bits = 32 - (unsigned)__builtin_clz(max_freq | 1);
	const unsigned passes = (bits + 7) / 8, digit = (bits + passes - 1) / passes;
	const uint32_t mask = (1u << digit) - 1;

	for (unsigned pass = 0, shift = 9; pass < passes; pass++, shift += digit) {
		unsigned pos[256];
		uint32_t *t;

		memset(pos, 0, (mask + 1) * sizeof(pos[0]));
		for (unsigned i = 0; i < n; i++)
			pos[(k[i] >> shift) & mask]++;
		for (unsigned b = 0, sum = 0; b <= mask; b++) {
			const unsigned c = pos[b];

			pos[b] = sum;
			sum += c;
		}
		for (unsigned i = 0; i < n; i++)
			tmp[pos[(k[i] >> shift) & mask]++] = k[i];
		t = k;
		k = tmp;
		tmp = t;
	}
	return k;
}

/*
 * Code lengths of at most @limit bits for the @n symbols with frequencies @freq: a Huffman
 * tree (two-queue build on the sorted leaves), lengths clamped to @limit and the Kraft sum
 * repaired, then the longest lengths given to the rarest symbols. Always a complete code
 * with at least two symbols (a lone or missing symbol gets a partner), as zlib's inflate
 * wants.
 */
static void huff_lengths(const uint32_t *freq, unsigned n, unsigned limit, uint8_t *lens)
{
	uint32_t keys[288], tmp[288], weight[288], *key = keys, max_freq = 0;
	uint16_t leaf_parent[288], node_parent[288], depth[288];
	unsigned count[16] = { 0 }, m = 0, li = 0, ni = 0;
	uint32_t kraft = 0;

	memset(lens, 0, n);
	for (unsigned s = 0; s < n; s++) {
		if (freq[s]) {
			key[m++] = freq[s] << 9 | s;
			max_freq = freq[s] > max_freq ? freq[s] : max_freq;
		}
	}
	if (m < 2) {
		unsigned a = m ? key[0] & 511 : 0;

		lens[a] = 1;
		lens[a == 0 ? 1 : 0] = 1;
		return;
	}
	key = sort_keys(key, tmp, m, max_freq);
	for (unsigned j = 0; j + 1 < m; j++) {
		uint32_t w = 0;

		for (int k = 0; k < 2; k++) {
			if (li < m && (ni >= j || (key[li] >> 9) <= weight[ni])) {
				w += key[li] >> 9;
				leaf_parent[li++] = (uint16_t)j;
			} else {
				w += weight[ni];
				node_parent[ni++] = (uint16_t)j;
			}
		}
		weight[j] = w;
	}
	depth[m - 2] = 0;
	for (unsigned j = m - 2; j-- > 0;)
		depth[j] = (uint16_t)(depth[node_parent[j]] + 1);
	for (unsigned i = 0; i < m; i++) {
		unsigned l = depth[leaf_parent[i]] + 1u;

		count[l < limit ? l : limit]++;
	}
	for (unsigned l = 1; l <= limit; l++)
		kraft += count[l] << (limit - l);
	/* Too deep: lengthen the longest codes still short of the limit. */
	while (kraft > 1u << limit) {
		unsigned l = limit - 1;

		while (count[l] == 0)
			l--;
		count[l]--;
		count[l + 1]++;
		kraft -= 1u << (limit - l - 1);
	}
	/* Overshot: shorten codes at the limit until the code is complete again. */
	while (kraft < 1u << limit) {
		count[limit]--;
		count[limit - 1]++;
		kraft++;
	}
	for (unsigned l = limit, i = 0; l >= 1; l--) {
		for (unsigned k = 0; k < count[l]; k++)
			lens[key[i++] & 511] = (uint8_t)l;
	}
}

/*
 * Canonical codes (RFC 1951 3.2.2) for the @n lengths in h->len, bit-reversed, into h->code.
 * (Built in a local array and copied: GCC 12 for arm64, at -O1 and up, addresses stores
 * made straight into h->code from a null base and then drops the calls in init_tables.)
 */
static void huff_codes(const struct fmt_deflate *d, struct huff *h, unsigned n)
{
	unsigned count[16] = { 0 }, next[16] = { 0 };
	uint16_t codes[288];
	unsigned code = 0;

	for (unsigned s = 0; s < n; s++)
		count[h->len[s]]++;
	count[0] = 0;
	for (unsigned l = 1; l < 16; l++) {
		code = (code + count[l - 1]) << 1;
		next[l] = code;
	}
	for (unsigned s = 0; s < n; s++) {
		const unsigned l = h->len[s];
		const unsigned c = next[l]++;

		/* unused symbols (l == 0) get a code that is never written */
		codes[s] = (uint16_t)(((unsigned)d->rev8[c & 255] << 8 | d->rev8[(c >> 8) & 255]) >>
				      (16 - l) % 16);
	}
	memcpy(h->code, codes, n * sizeof(codes[0]));
}

/* LSB-first bit writer; flushes whole bytes with one 8-byte store (needs SLACK bytes). */
struct bitw {
	uint8_t *p;
	uint64_t buf;
	unsigned n;
};

static inline void bw_put(struct bitw *w, uint64_t bits, unsigned nbits)
{
	w->buf |= bits << w->n;
	w->n += nbits;
}

static inline void bw_flush(struct bitw *w)
{
	const unsigned k = w->n >> 3;

	store64le(w->p, w->buf);
	w->p += k;
	w->buf >>= k * 8;	/* n < 64, so k * 8 <= 56 */
	w->n &= 7;
}

/* Code-length RLE of a dynamic block: up to 316 (symbol | extra << 5) items. */
struct cl_plan {
	uint16_t item[LITLEN_SYMS + DIST_SYMS];
	unsigned nitem, hlit, hdist, hclen;
	uint32_t freq[CL_SYMS];
	struct huff cl;
};

static void cl_emit(struct cl_plan *c, unsigned sym, unsigned extra)
{
	c->item[c->nitem++] = (uint16_t)(sym | extra << 5);
	c->freq[sym]++;
}

/* RLE the lengths of @lens (@n of them) with codes 16 (repeat), 17 and 18 (zero runs). */
static void cl_rle(struct cl_plan *c, const uint8_t *lens, unsigned n)
{
	unsigned i = 0;

	while (i < n) {
		const unsigned v = lens[i];
		unsigned run = 1;

		while (i + run < n && lens[i + run] == v)
			run++;
		i += run;
		if (v == 0) {
			while (run >= 11) {
				unsigned r = run < 138 ? run : 138;

				cl_emit(c, 18, r - 11);
				run -= r;
			}
			if (run >= 3) {
				cl_emit(c, 17, run - 3);
				run = 0;
			}
		} else {
			cl_emit(c, v, 0);
			run--;
			while (run >= 3) {
				unsigned r = run < 6 ? run : 6;

				cl_emit(c, 16, r - 3);
				run -= r;
			}
		}
		while (run--)
			cl_emit(c, v, 0);
	}
}

static const uint8_t cl_extra_bits[CL_SYMS] = {
	[16] = 2, [17] = 3, [18] = 7,
};

/* Plan the dynamic block's header; returns its size in bits (after the 3 block bits). */
static uint64_t cl_plan_make(struct cl_plan *c, const struct fmt_deflate *d)
{
	uint8_t all[LITLEN_SYMS + DIST_SYMS];
	uint64_t bits;

	c->hlit = LITLEN_SYMS;
	while (c->hlit > 257 && d->lit.len[c->hlit - 1] == 0)
		c->hlit--;
	c->hdist = DIST_SYMS;
	while (c->hdist > 1 && d->dist.len[c->hdist - 1] == 0)
		c->hdist--;
	memcpy(all, d->lit.len, c->hlit);
	memcpy(all + c->hlit, d->dist.len, c->hdist);
	c->nitem = 0;
	memset(c->freq, 0, sizeof(c->freq));
	cl_rle(c, all, c->hlit + c->hdist);
	huff_lengths(c->freq, CL_SYMS, 7, c->cl.len);
	huff_codes(d, &c->cl, CL_SYMS);
	c->hclen = CL_SYMS;
	while (c->hclen > 4 && c->cl.len[cl_order[c->hclen - 1]] == 0)
		c->hclen--;
	bits = 5 + 5 + 4 + 3 * (uint64_t)c->hclen;
	for (unsigned s = 0; s < CL_SYMS; s++)
		bits += (uint64_t)c->freq[s] * (c->cl.len[s] + cl_extra_bits[s]);
	return bits;
}

/* Bits of the block's symbols under codes @lit / @dist, extra bits included. */
static uint64_t symbol_bits(const struct fmt_deflate *d, const struct huff *lit,
			    const struct huff *dist)
{
	uint64_t bits = 0;

	for (unsigned s = 0; s < LITLEN_SYMS; s++)
		bits += (uint64_t)d->lfreq[s] * lit->len[s];
	for (unsigned s = 0; s < 29; s++)
		bits += (uint64_t)d->lfreq[257 + s] * len_extra[s];
	for (unsigned s = 0; s < DIST_SYMS; s++)
		bits += (uint64_t)d->dfreq[s] * (dist->len[s] + dist_extra[s]);
	return bits;
}

static void write_dyn_header(struct bitw *w, const struct cl_plan *c)
{
	bw_put(w, 1 | 2 << 1, 3);	/* BFINAL, BTYPE 10 */
	bw_put(w, c->hlit - 257, 5);
	bw_put(w, c->hdist - 1, 5);
	bw_put(w, c->hclen - 4, 4);
	bw_flush(w);
	for (unsigned i = 0; i < c->hclen; i++) {
		bw_put(w, c->cl.len[cl_order[i]], 3);
		if ((i & 7) == 7)
			bw_flush(w);
	}
	bw_flush(w);
	for (unsigned i = 0; i < c->nitem; i++) {
		const unsigned sym = c->item[i] & 31, extra = c->item[i] >> 5;

		bw_put(w, c->cl.code[sym], c->cl.len[sym]);
		bw_put(w, extra, cl_extra_bits[sym]);
		bw_flush(w);
	}
}

/* Token -> bits tables for @lit / @dist: literal or match length (code and extra bits),
 * distance symbol (code, its length, the number of extra bits). */
static void token_tables(struct fmt_deflate *d, const struct huff *lit, const struct huff *dist)
{
	for (unsigned b = 0; b < 256; b++)
		d->ltab[b] = lit->code[b] | (uint32_t)lit->len[b] << 24;
	for (unsigned l = MIN_MATCH; l <= MAX_MATCH; l++) {
		const unsigned ls = d->len_sym[l], cl = lit->len[257 + ls];

		d->ltab[256 + l - MIN_MATCH] = (lit->code[257 + ls] | (l - len_base[ls]) << cl) |
					       (cl + len_extra[ls]) << 24;
	}
	for (unsigned s = 0; s < DIST_SYMS; s++)
		d->dtab[s] = dist->code[s] | (uint32_t)dist->len[s] << 16 |
			     (uint32_t)dist_extra[s] << 24;
}

/* The block's symbols and end-of-block code; literals in a tight loop, then each match. */
static void write_symbols(struct bitw *w, const struct fmt_deflate *d, const struct huff *lit)
{
	const uint32_t *ltab = d->ltab, *dtab = d->dtab;
	const uint8_t *lp = d->lits, *lend = d->lits + d->nlit;
	uint8_t *p = w->p;
	uint64_t buf = w->buf;
	unsigned n = w->n;

	for (size_t i = 0; i <= d->nmatch; i++) {
		/* the literals before match i (after the last match: the rest) */
		const uint8_t *run_end = i < d->nmatch ? lp + d->lit_run[i] : lend;

		while (lp < run_end) {
			const uint32_t le = ltab[*lp++];

			buf |= (uint64_t)(le & 0xffffff) << n;
			n += le >> 24;
			store64le(p, buf);
			p += n >> 3;
			buf >>= n & ~7u;
			n &= 7;
		}
		if (i < d->nmatch) {
			const uint32_t t = d->match[i];
			const uint32_t le = ltab[t & 511], de = dtab[(t >> TOK_DSYM) & 31];
			const unsigned dl = (de >> 16) & 255;

			buf |= (uint64_t)(le & 0xffffff) << n;
			n += le >> 24;
			buf |= (uint64_t)((de & 0xffff) | (t >> TOK_DEXTRA) << dl) << n;
			n += dl + (de >> 24);
			store64le(p, buf);
			p += n >> 3;
			buf >>= n & ~7u;
			n &= 7;
		}
	}
	buf |= (uint64_t)lit->code[256] << n;
	n += lit->len[256];
	store64le(p, buf);
	p += (n + 7) >> 3;
	w->p = p;
	w->buf = 0;
	w->n = 0;
}

static size_t write_stored(uint8_t *out, const uint8_t *in, size_t len)
{
	uint8_t *p = out;
	size_t done = 0;

	do {
		const size_t n = len - done < STORED_MAX ? len - done : STORED_MAX;

		*p++ = done + n == len;	/* BFINAL, BTYPE 00, padding */
		p[0] = (uint8_t)n;
		p[1] = (uint8_t)(n >> 8);
		p[2] = (uint8_t)~n;
		p[3] = (uint8_t)(~n >> 8);
		memcpy(p + 4, in + done, n);
		p += 4 + n;
		done += n;
	} while (done < len);
	return (size_t)(p - out);
}

#ifdef __SSE2__
/*
 * Adler-32 sums of @nblocks 16-byte blocks, added to *@a and *@b (not reduced). For block
 * k with byte sum S_k and weighted sum W_k (weights 16..1), b gains 16 * (a + the sums of
 * blocks 0..k-1) + W_k: so b += 16 * n * a + 16 * P + W, P the sum of the prefix sums.
 */
static void adler_blocks(uint64_t *a, uint64_t *b, const uint8_t *p, size_t nblocks)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i w_lo = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
	const __m128i w_hi = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
	__m128i sum = zero, prefix = zero, weighted = zero;
	uint64_t lanes[2], s, pf;
	uint32_t wl[4];

	for (size_t k = 0; k < nblocks; k++) {
		const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));

		prefix = _mm_add_epi64(prefix, sum);
		sum = _mm_add_epi64(sum, _mm_sad_epu8(v, zero));
		weighted = _mm_add_epi32(weighted, _mm_madd_epi16(_mm_unpacklo_epi8(v, zero), w_lo));
		weighted = _mm_add_epi32(weighted, _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), w_hi));
	}
	_mm_storeu_si128((__m128i *)(void *)lanes, sum);
	s = lanes[0] + lanes[1];
	_mm_storeu_si128((__m128i *)(void *)lanes, prefix);
	pf = lanes[0] + lanes[1];
	_mm_storeu_si128((__m128i *)(void *)wl, weighted);
	*b += 16 * nblocks * *a + 16 * pf + (uint64_t)wl[0] + wl[1] + wl[2] + wl[3];
	*a += s;
}
#endif

uint32_t fmt_deflate_adler32(uint32_t adler, const uint8_t *p, size_t len)
{
	enum { MOD = 65521, NMAX = 5552 };
	uint32_t a = adler & 0xffff, b = adler >> 16;

#ifdef __SSE2__
	/* Whole 64 KiB runs of blocks: the 64-bit sums cannot overflow (see adler_blocks). */
	while (len >= 16) {
		size_t nb = (len < 65536 ? len : 65536) / 16;
		uint64_t a64 = a, b64 = b;

		adler_blocks(&a64, &b64, p, nb);
		a = (uint32_t)(a64 % MOD);
		b = (uint32_t)(b64 % MOD);
		p += 16 * nb;
		len -= 16 * nb;
	}
#endif
	while (len) {
		size_t n = len < NMAX ? len : NMAX;

		len -= n;
		/* 8 bytes a step: b gains 8a plus the bytes weighted 8..1. */
		while (n >= 8) {
			const uint32_t s = (uint32_t)p[0] + p[1] + p[2] + p[3] + p[4] + p[5] + p[6] + p[7];
			const uint32_t ws = 8u * p[0] + 7u * p[1] + 6u * p[2] + 5u * p[3] + 4u * p[4] +
					    3u * p[5] + 2u * p[6] + p[7];

			b += 8 * a + ws;
			a += s;
			p += 8;
			n -= 8;
		}
		while (n--) {
			a += *p++;
			b += a;
		}
		a %= MOD;
		b %= MOD;
	}
	return b << 16 | a;
}

enum block_kind { BLOCK_STORED, BLOCK_FIXED, BLOCK_DYNAMIC };

size_t fmt_deflate_page(struct fmt_deflate *d, const uint8_t *in, size_t len, uint8_t *out,
			size_t cap)
{
	struct cl_plan plan;
	enum block_kind kind = BLOCK_STORED;
	size_t body, total;
	uint64_t dyn_bits, fixed_bits;
	uint8_t *dst;
	uint32_t adler;

	if (len == 0 || len > FMT_DEFLATE_MAX_INPUT)
		return 0;
	parse(d, in, len);
	huff_lengths(d->lfreq, LITLEN_SYMS, 15, d->lit.len);
	huff_lengths(d->dfreq, DIST_SYMS, 15, d->dist.len);
	dyn_bits = 3 + symbol_bits(d, &d->lit, &d->dist) + cl_plan_make(&plan, d);
	fixed_bits = 3 + symbol_bits(d, &d->fixed_lit, &d->fixed_dist);
	body = len + 5 * ((len + STORED_MAX - 1) / STORED_MAX);
	if ((fixed_bits + 7) / 8 <= body) {
		kind = BLOCK_FIXED;
		body = (size_t)((fixed_bits + 7) / 8);
	}
	if ((dyn_bits + 7) / 8 < body) {
		kind = BLOCK_DYNAMIC;
		body = (size_t)((dyn_bits + 7) / 8);
	}
	total = 2 + body + 4;
	if (total > cap)
		return 0;
	dst = cap - total >= SLACK ? out : d->scratch;
	dst[0] = 0x78;	/* deflate, 32 KiB window */
	dst[1] = 0x01;	/* no dictionary, fastest; (0x78 << 8 | 0x01) % 31 == 0 */
	if (kind == BLOCK_STORED) {
		write_stored(dst + 2, in, len);
	} else {
		struct bitw w = { .p = dst + 2, .buf = 0, .n = 0 };

		if (kind == BLOCK_DYNAMIC) {
			huff_codes(d, &d->lit, LITLEN_SYMS);
			huff_codes(d, &d->dist, DIST_SYMS);
			write_dyn_header(&w, &plan);
			token_tables(d, &d->lit, &d->dist);
			write_symbols(&w, d, &d->lit);
		} else {
			bw_put(&w, 1 | 1 << 1, 3);	/* BFINAL, BTYPE 01 */
			token_tables(d, &d->fixed_lit, &d->fixed_dist);
			write_symbols(&w, d, &d->fixed_lit);
		}
		assert((size_t)(w.p - (dst + 2)) == body);
	}
	adler = fmt_deflate_adler32(1, in, len);
	dst[2 + body] = (uint8_t)(adler >> 24);
	dst[3 + body] = (uint8_t)(adler >> 16);
	dst[4 + body] = (uint8_t)(adler >> 8);
	dst[5 + body] = (uint8_t)adler;
	if (dst != out)
		memcpy(out, dst, total);
	return total;
}

static void init_tables(struct fmt_deflate *d)
{
	for (unsigned i = 0; i < 256; i++) {
		unsigned r = 0;

		for (unsigned b = 0; b < 8; b++)
			r |= ((i >> b) & 1u) << (7 - b);
		d->rev8[i] = (uint8_t)r;
	}
	for (unsigned s = 0; s < 29; s++) {
		for (unsigned l = len_base[s]; l < len_base[s] + (1u << len_extra[s]) && l <= MAX_MATCH; l++)
			d->len_sym[l] = (uint8_t)s;
	}
	d->len_sym[MAX_MATCH] = 28;	/* 258 has its own code, not 284's last value */
	for (unsigned s = 0; s < DIST_SYMS; s++) {
		for (unsigned v = dist_base[s]; v < dist_base[s] + (1u << dist_extra[s]); v++)
			d->dist_sym[v <= 256 ? v - 1 : 256 + ((v - 1) >> 7)] = (uint8_t)s;
	}
	/* RFC 1951 3.2.6: the fixed codes. */
	for (unsigned s = 0; s < 288; s++)
		d->fixed_lit.len[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
	huff_codes(d, &d->fixed_lit, 288);
	for (unsigned s = 0; s < 30; s++)
		d->fixed_dist.len[s] = 5;
	huff_codes(d, &d->fixed_dist, 30);
}

enum kd_status fmt_deflate_create(struct fmt_deflate **ret, struct kd_err *err)
{
	struct fmt_deflate *d = calloc(1, sizeof(*d));

	if (!d)
		return kd_err_set(err, KD_ERR_NOMEM, "deflate: cannot allocate %zu bytes",
				  sizeof(*d));
	init_tables(d);
	*ret = d;
	return KD_OK;
}

void fmt_deflate_destroy(struct fmt_deflate *d)
{
	free(d);
}
