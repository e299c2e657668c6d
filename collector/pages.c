/*
 * Pass 2's page work in batches: zero check and compression, on N threads, written in order.
 * With N > 1, N-1 threads are started; the writing thread is the N-th: while the batch it must
 * write next is not done, it processes the oldest batch no thread has taken. So N threads
 * keep N CPUs busy, and nobody sleeps and wakes per batch (on 2 vCPUs, 3 threads made
 * 10,000 context switches on a 6 GiB vmcore, and its 2-thread run took 0.64x of 1 thread).
 */
#include "collector/collector-priv.h"
#include "collector/erase-priv.h"
#include "formats/bigmem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_PAGES 256

enum batch_state { BATCH_EMPTY, BATCH_FILLED, BATCH_DONE };

struct batch {
	enum batch_state state;
	size_t n;
	uint64_t pfn[BATCH_PAGES];
	uint32_t size[BATCH_PAGES];	/* 0: shared zero page */
	uint32_t flags[BATCH_PAGES];
	uint64_t off[BATCH_PAGES];	/* in data */
	uint8_t *data;
	size_t len;			/* bytes of data in use */
	enum kd_status st;
	struct kd_err err;
	struct kd_err read_err;		/* the first COL_PAGE_UNREADABLE page's error */
};

/* What one compressing thread owns. */
struct worker {
	struct col_pages *pages;
	struct col_source src;
	struct fmt_codec *codec;
	uint8_t *zc;		/* a zero page compressed, made before the threads start */
	uint8_t *erased;	/* --config: a page with its erased bytes poisoned */
	size_t zc_len;		/* SIZE_MAX: a zero page is stored raw */
	pthread_t thread;
	bool started;
};

struct col_pages {
	const struct col_pages_params *p;
	size_t bound;		/* bytes one stored page may take */
	struct batch *slots;
	size_t nslots;
	uint8_t *slot_data;	/* every slot's data, in one block on huge pages */
	uint8_t *zero_run;	/* a batch of compressed zero pages' data (see batch_set_zero) */
	uint64_t next_fill;	/* sequence numbers */
	uint64_t next_work;
	uint64_t next_write;
	struct worker *workers;
	size_t nworkers;
	pthread_mutex_t lock;
	pthread_cond_t work_cv;	/* a batch was filled, or quit */
	pthread_cond_t done_cv;	/* the batch the writer waits for was compressed */
	bool writer_waits;	/* the writer sleeps until slot next_write is done */
	bool quit;
	bool threaded;
};

bool col_page_is_zero(const uint8_t *p, size_t n)
{
	/* pages in an ELF file need not be aligned: byte-order loads, then a vectorised compare */
	if (get_le64(p) | get_le64(p + 8) | get_le64(p + n / 2) | get_le64(p + n - 8))
		return false;
	return memcmp(p, p + 8, n - 8) == 0;
}

/*
 * Without a codec, a run of pages is read straight into the batch (one copy); zero pages
 * that the level leaves out are dropped and the pages after them moved down.
 * Returns the new end of the batch's data.
 */
static size_t store_run(const struct col_pages_params *p, struct batch *b, size_t i, size_t n,
			size_t pos, size_t ps)
{
	uint8_t *run = b->data + pos;

	for (size_t k = 0; k < n; k++) {
		uint8_t *page = run + k * ps;

		b->off[i + k] = pos;
		b->flags[i + k] = 0;
		if (col_erase_touches(p->erase, b->pfn[i + k]))
			col_erase_apply(p->erase, b->pfn[i + k], page);
		if (p->zero_pages && col_page_is_zero(page, ps)) {
			b->size[i + k] = 0;
			continue;
		}
		if (page != b->data + pos)
			memmove(b->data + pos, page, ps);
		b->size[i + k] = (uint32_t)ps;
		pos += ps;
	}
	return pos;
}

static void batch_process(struct worker *w, struct batch *b)
{
	const struct col_pages_params *p = w->pages->p;
	size_t ps = w->src.page_size, pos = 0;

	b->st = KD_OK;
	b->read_err.msg[0] = '\0';
	for (size_t i = 0; i < b->n; i++) {
		const uint8_t *page;
		size_t clen;
		enum kd_status st;

		if (i == 0 || b->pfn[i] != b->pfn[i - 1] + 1) {
			/* a run of consecutive pfns starts: read exactly it */
			size_t n = 1;

			while (i + n < b->n && b->pfn[i + n] == b->pfn[i] + n)
				n++;
			if (!w->codec &&
			    col_source_read_run(&w->src, b->pfn[i], n, b->data + pos, &b->err) == KD_OK) {
				pos = store_run(p, b, i, n, pos, ps);
				i += n - 1;
				continue;
			}
			/* (a failed run is read again page by page below: errors are per page) */
			col_source_prefetch(&w->src, b->pfn[i], n);
		}
		st = col_source_page(&w->src, b->pfn[i], &page, &b->err);

		if (st != KD_OK && col_read_failure(st, &b->err)) {
			/* an I/O error on this page only: record it, go on (see unreadable.c) */
			b->off[i] = pos;
			b->size[i] = 0;
			b->flags[i] = COL_PAGE_UNREADABLE;
			if (!b->read_err.msg[0])
				b->read_err = b->err;
			continue;
		}
		if (st != KD_OK) {
			b->st = st;
			b->n = i;	/* the pages before this one are good */
			break;
		}
		b->off[i] = pos;
		if (col_erase_touches(p->erase, b->pfn[i])) {
			memcpy(w->erased, page, ps);
			col_erase_apply(p->erase, b->pfn[i], w->erased);
			page = w->erased;
		}
		bool zero = col_page_is_zero(page, ps);

		if (zero && p->zero_pages) {
			b->size[i] = 0;
			b->flags[i] = 0;
			continue;
		}
		if (zero && w->codec && w->zc_len != SIZE_MAX) {
			/* the codecs are deterministic: reuse the bytes of a zero page */
			memcpy(b->data + pos, w->zc, w->zc_len);
			b->size[i] = (uint32_t)w->zc_len;
			b->flags[i] = p->codec;
			pos += w->zc_len;
			continue;
		}
		if (w->codec) {
			st = fmt_codec_compress(w->codec, page, b->data + pos, w->pages->bound, &clen,
						&b->err);
			if (st == KD_OK) {
				b->size[i] = (uint32_t)clen;
				b->flags[i] = p->codec;
				pos += clen;
				continue;
			}
			if (st != KD_ERR_NODATA) {
				kd_err_prefix(&b->err, "compressing page %#llx",
					      (unsigned long long)b->pfn[i]);
				b->st = st;
				b->n = i;
				break;
			}
		}
		memcpy(b->data + pos, page, ps);
		b->size[i] = (uint32_t)ps;
		b->flags[i] = 0;
		pos += ps;
	}
	b->len = pos;
}

/*
 * Take the oldest filled batch and process it; called and returns with the lock held, and
 * only when one waits (next_work < next_fill). Returns its sequence number.
 */
static uint64_t take_and_process(struct col_pages *cp, struct worker *w)
{
	uint64_t seq = cp->next_work++;
	struct batch *b = &cp->slots[seq % cp->nslots];

	/* batches the submitter finished itself are no one's (see col_pages_submit) */
	while (cp->next_work < cp->next_fill &&
	       cp->slots[cp->next_work % cp->nslots].state == BATCH_DONE)
		cp->next_work++;

	pthread_mutex_unlock(&cp->lock);
	batch_process(w, b);
	pthread_mutex_lock(&cp->lock);
	b->state = BATCH_DONE;
	return seq;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct col_pages *cp = w->pages;

	pthread_mutex_lock(&cp->lock);
	for (;;) {
		while (!cp->quit && cp->next_work == cp->next_fill)
			pthread_cond_wait(&cp->work_cv, &cp->lock);
		if (cp->quit)
			break;
		uint64_t seq = take_and_process(cp, w);

		/* wake the writer only for the batch it needs next: no wake-up per batch */
		if (cp->writer_waits && seq == cp->next_write)
			pthread_cond_signal(&cp->done_cv);
	}
	pthread_mutex_unlock(&cp->lock);
	return NULL;
}

/*
 * Pages in holes are zero pages: where the level keeps them compressed, a batch of them is
 * BATCH_PAGES copies of one zero page's compressed bytes, made here once.
 */
static enum kd_status zero_run_make(struct col_pages *cp, struct kd_err *err)
{
	const struct worker *w0 = &cp->workers[0];

	if (cp->p->zero_pages || !w0->codec || w0->zc_len == SIZE_MAX)
		return KD_OK;
	cp->zero_run = malloc(BATCH_PAGES * w0->zc_len);
	if (!cp->zero_run)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < BATCH_PAGES; i++)
		memcpy(cp->zero_run + i * w0->zc_len, w0->zc, w0->zc_len);
	return KD_OK;
}

/* Bytes of one slot's data; the slots lie one after another in cp->slot_data. */
static size_t slot_bytes(const struct col_pages *cp)
{
	return BATCH_PAGES * cp->bound;
}

/* A zero page's compressed bytes, once: every zero page a level keeps reuses them. */
static enum kd_status worker_zero_page(struct worker *w, struct kd_err *err)
{
	size_t clen;
	enum kd_status st = fmt_codec_compress(w->codec, w->src.zero, w->zc, w->pages->bound,
					       &clen, err);

	if (st == KD_ERR_NODATA) {
		kd_err_clear(err);
		w->zc_len = SIZE_MAX;
		return KD_OK;
	}
	if (st == KD_OK)
		w->zc_len = clen;
	return st;
}

static enum kd_status worker_init(struct col_pages *cp, struct worker *w, struct kd_err *err)
{
	enum kd_status st;

	w->pages = cp;
	st = col_source_clone(cp->p->src, &w->src, err);
	if (st == KD_OK && cp->p->codec != FMT_CODEC_NONE) {
		st = fmt_codec_create(cp->p->codec, cp->p->src->page_size, &w->codec, err);
		if (st == KD_OK)
			fmt_codec_set_system_zlib(w->codec, cp->p->system_zlib);
		w->zc = malloc(cp->bound);
		if (st == KD_OK && !w->zc)
			st = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		if (st == KD_OK)
			st = worker_zero_page(w, err);
	}
	if (st == KD_OK && cp->p->erase) {
		w->erased = malloc(cp->p->src->page_size);
		if (!w->erased)
			st = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	return st;
}

static void worker_deinit(struct worker *w)
{
	free(w->zc);
	free(w->erased);
	fmt_codec_destroy(w->codec);
	col_source_close(&w->src);
}

void col_pages_destroy(struct col_pages *cp)
{
	if (!cp)
		return;
	if (cp->threaded) {
		pthread_mutex_lock(&cp->lock);
		cp->quit = true;
		pthread_cond_broadcast(&cp->work_cv);
		pthread_mutex_unlock(&cp->lock);
	}
	for (size_t i = 0; i < cp->nworkers; i++) {
		if (cp->workers[i].started)
			pthread_join(cp->workers[i].thread, NULL);
		worker_deinit(&cp->workers[i]);
	}
	if (cp->threaded) {
		pthread_mutex_destroy(&cp->lock);
		pthread_cond_destroy(&cp->work_cv);
		pthread_cond_destroy(&cp->done_cv);
	}
	kd_big_free(cp->slot_data, cp->nslots * slot_bytes(cp));
	free(cp->zero_run);
	free(cp->slots);
	free(cp->workers);
	free(cp);
}

enum kd_status col_pages_create(const struct col_pages_params *p, struct col_pages **ret,
				struct kd_err *err)
{
	struct col_pages *cp = calloc(1, sizeof(*cp));
	unsigned nthreads = p->threads ? p->threads : 1;
	enum kd_status st = KD_OK;

	if (!cp)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	cp->p = p;
	cp->bound = p->src->page_size + p->src->page_size / 8 + 128;
	cp->threaded = nthreads > 1;
	cp->nworkers = nthreads;
	cp->nslots = cp->threaded ? 2 * nthreads + 1 : 1;
	cp->slots = calloc(cp->nslots, sizeof(*cp->slots));
	cp->workers = calloc(cp->nworkers, sizeof(*cp->workers));
	if (!cp->slots || !cp->workers) {
		col_pages_destroy(cp);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	/* (BATCH_PAGES is a multiple of 64: each slot starts on a cache line of its own) */
	cp->slot_data = kd_big_alloc(cp->nslots * slot_bytes(cp));
	if (!cp->slot_data)
		st = kd_err_set(err, KD_ERR_NOMEM, "out of memory for page batches");
	for (size_t i = 0; i < cp->nslots && st == KD_OK; i++)
		cp->slots[i].data = cp->slot_data + i * slot_bytes(cp);
	for (size_t i = 0; i < cp->nworkers && st == KD_OK; i++)
		st = worker_init(cp, &cp->workers[i], err);
	if (st == KD_OK)
		st = zero_run_make(cp, err);
	if (st == KD_OK && cp->threaded) {
		pthread_mutex_init(&cp->lock, NULL);
		pthread_cond_init(&cp->work_cv, NULL);
		pthread_cond_init(&cp->done_cv, NULL);
		/* workers[0] is the writing thread's own: it compresses while it would wait */
		for (size_t i = 1; i < cp->nworkers && st == KD_OK; i++) {
			if (pthread_create(&cp->workers[i].thread, NULL, worker_main, &cp->workers[i]))
				st = kd_err_set(err, KD_ERR_SYSTEM, "cannot start compression thread");
			else
				cp->workers[i].started = true;
		}
	}
	if (st != KD_OK) {
		col_pages_destroy(cp);
		return st;
	}
	*ret = cp;
	return KD_OK;
}

/*
 * What the written batch's pages add to the statistics: zero pages, pages stored raw, pages
 * that could not be read; and, with --config, which erase commands reached the dump.
 */
static void batch_record(const struct col_pages_params *p, const struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->flags[i] == COL_PAGE_UNREADABLE) {
			col_note_unreadable(p->stats, b->pfn[i], &b->read_err);
			continue;
		}
		p->stats->pages_zero += b->size[i] == 0;
		p->stats->pages_raw += b->size[i] != 0 && b->flags[i] == 0;
		if (p->erase)
			col_erase_mark_written(p->erase, b->pfn[i]);
	}
}

/* Hand a finished batch to the writer, in pfn order. */
static enum kd_status batch_write(struct col_pages *cp, struct batch *b, struct kd_err *err)
{
	const struct col_pages_params *p = cp->p;
	enum kd_status st = KD_OK;
	uint64_t base = 0;

	/* the batch's page data in one piece, then a descriptor per page */
	if (b->len)
		st = col_kdump_add_data(p->out, b->data, b->len, &base, err);
	if (st == KD_OK)
		st = col_kdump_add_run(p->out, base, b->off, b->size, b->flags, b->n, err);
	if (st == KD_OK)
		batch_record(p, b);
	if (st == KD_OK && b->st != KD_OK) {
		*err = b->err;
		st = b->st;
	}
	return st;
}

/* Write every batch that is done, in order; with @wait, block until the oldest is done. */
static enum kd_status drain(struct col_pages *cp, bool wait, struct kd_err *err)
{
	enum kd_status st = KD_OK;

	while (st == KD_OK && cp->next_write < cp->next_fill) {
		struct batch *b = &cp->slots[cp->next_write % cp->nslots];

		pthread_mutex_lock(&cp->lock);
		while (wait && b->state != BATCH_DONE) {
			/* the writer is one of the compressing threads: work rather than sleep */
			if (cp->next_work < cp->next_fill) {
				take_and_process(cp, &cp->workers[0]);
				continue;
			}
			cp->writer_waits = true;
			pthread_cond_wait(&cp->done_cv, &cp->lock);
		}
		cp->writer_waits = false;
		bool done = b->state == BATCH_DONE;

		pthread_mutex_unlock(&cp->lock);
		if (!done)
			break;
		st = batch_write(cp, b, err);
		pthread_mutex_lock(&cp->lock);
		b->state = BATCH_EMPTY;
		cp->next_write++;	/* read by the workers (whom to wake) */
		pthread_mutex_unlock(&cp->lock);
		wait = false;
	}
	return st;
}

/*
 * Whether the batch's result is known without reading its pages: pages in the holes of a
 * sparse vmcore are zero pages, left out (dump level bit 1) or stored as the compressed zero
 * page. Most of a large guest's vmcore can be holes; this spares them the zero test and the
 * hand-over to a thread. Zero pages stored raw (no codec) are left to the threads: copying
 * their zeros is work to share.
 */
static bool batch_known_zero(struct col_pages *cp, const uint64_t *pfns, size_t n)
{
	const struct col_pages_params *p = cp->p;

	if (!p->zero_pages && !cp->zero_run)
		return false;	/* zero pages stored raw: the threads copy them */
	for (size_t i = 0; i < n;) {
		size_t k = 1;

		while (i + k < n && pfns[i + k] == pfns[i] + k)
			k++;
		if (!col_source_zero_run(p->src, pfns[i], k))
			return false;
		for (size_t j = i; j < i + k; j++) {
			if (col_erase_touches(p->erase, pfns[j]))
				return false;	/* poisoned bytes make it non-zero */
		}
		i += k;
	}
	return true;
}

/* What batch_process() would have made of a batch of zero pages. */
static void batch_set_zero(const struct col_pages *cp, struct batch *b)
{
	size_t len = cp->p->zero_pages ? 0 : cp->workers[0].zc_len;
	uint32_t flags = cp->p->zero_pages ? 0 : cp->p->codec;

	for (size_t i = 0; i < b->n; i++) {
		b->off[i] = i * len;
		b->size[i] = (uint32_t)len;
		b->flags[i] = flags;
	}
	b->len = b->n * len;
	if (b->len)
		memcpy(b->data, cp->zero_run, b->len);
	b->st = KD_OK;
	b->read_err.msg[0] = '\0';
}

enum kd_status col_pages_submit(struct col_pages *cp, const uint64_t *pfns, size_t n,
				struct kd_err *err)
{
	struct batch *b;
	enum kd_status st;
	bool known;

	if (!cp->threaded) {
		b = &cp->slots[0];
		b->n = n;
		memcpy(b->pfn, pfns, n * sizeof(*pfns));
		if (batch_known_zero(cp, pfns, n))
			batch_set_zero(cp, b);
		else
			batch_process(&cp->workers[0], b);
		return batch_write(cp, b, err);
	}
	/* a free slot: write finished batches, waiting for the oldest if all slots are busy */
	st = drain(cp, cp->next_fill - cp->next_write == cp->nslots, err);
	if (st != KD_OK)
		return st;
	b = &cp->slots[cp->next_fill % cp->nslots];
	b->n = n;
	memcpy(b->pfn, pfns, n * sizeof(*pfns));
	known = batch_known_zero(cp, pfns, n);
	if (known)
		batch_set_zero(cp, b);
	pthread_mutex_lock(&cp->lock);
	if (known) {
		/*
		 * Done already, written in its turn. next_work never rests on such a batch: here
		 * when no earlier batch waits for a worker, else the worker taking the one before
		 * it steps over it. So no worker takes it, even once its slot is reused.
		 */
		b->state = BATCH_DONE;
		if (cp->next_work == cp->next_fill)
			cp->next_work++;
		cp->next_fill++;
	} else {
		b->state = BATCH_FILLED;
		cp->next_fill++;
		pthread_cond_signal(&cp->work_cv);
	}
	pthread_mutex_unlock(&cp->lock);
	return KD_OK;
}

enum kd_status col_pages_flush(struct col_pages *cp, struct kd_err *err)
{
	enum kd_status st = KD_OK;

	if (!cp->threaded)
		return KD_OK;
	while (st == KD_OK && cp->next_write < cp->next_fill)
		st = drain(cp, true, err);
	return st;
}

size_t col_pages_batch_size(void)
{
	return BATCH_PAGES;
}
