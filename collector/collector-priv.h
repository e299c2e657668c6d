/* collector/ internals shared between its files. */
#ifndef KD_COLLECTOR_PRIV_H
#define KD_COLLECTOR_PRIV_H

#include <time.h>

#include "collector/collector.h"

/* ---- source.c: the vmcore being saved (an ELF vmcore, or a kdump file to re-filter) ---- */
struct col_source {
	struct fmt_input *in;
	struct fmt_vmcore *vc;		/* ELF input */
	struct fmt_kdump *kd;		/* kdump-compressed input (offline re-filtering) */
	struct fmt_input **xin;		/* --reassemble: the other files of a split set */
	struct fmt_kdump **xkd;
	size_t nx;
	const uint8_t *notes;		/* the ELF notes to copy into the output */
	uint64_t notes_size;
	uint64_t vmcoreinfo_off;	/* inside notes; size 0 if none */
	uint64_t vmcoreinfo_size;
	int32_t nr_cpus;
	uint16_t machine;		/* ELF e_machine */
	struct fmt_vmcoreinfo *vi;	/* NULL when the vmcore has no VMCOREINFO */
	struct fmt_physmap pm;
	uint64_t page_size;
	uint64_t max_pfn;
	size_t hint;			/* last physmap range used */
	uint8_t *bounce;		/* one page, for pages that straddle range ends */
	uint8_t *zero;			/* one zero page */
	uint8_t *pcache;		/* kdump input: the last page read for read_phys */
	uint64_t pcache_pfn;		/* UINT64_MAX: empty */
	char warning[KD_ERR_MSG_MAX];	/* set when something was ignored */
	bool borrowed;			/* a clone: vc, vi and pm belong to the parent */
};

/* col_source_open flags */
enum {
	COL_SRC_NEED_VMCOREINFO = 1,	/* a dump without VMCOREINFO is an error */
	COL_SRC_NO_MMAP = 2,		/* --non-mmap: read the input with pread only */
};
enum kd_status col_source_open(struct col_source *src, const char *path, unsigned flags,
			       struct kd_err *err);
void col_source_close(struct col_source *src);
/** --reassemble: the files of a split set, read as one source. */
enum kd_status col_source_open_set(struct col_source *src, char *const *paths, size_t n,
				   struct kd_err *err);
/** A second reader of the same vmcore with its own read window (one per thread). */
enum kd_status col_source_clone(const struct col_source *parent, struct col_source *child,
				struct kd_err *err);
/** Hint: pfns [pfn, pfn+n) are read next (one read of exactly their bytes). */
void col_source_prefetch(struct col_source *src, uint64_t pfn, size_t n);
/**
 * Read pages [pfn, pfn + n) into @dst in one go when they all lie in the file bytes of one
 * ELF range; KD_ERR_NODATA when they do not (a kdump input, a hole, a range's end: the caller
 * then goes page by page), or the read's own error.
 */
enum kd_status col_source_read_run(struct col_source *src, uint64_t pfn, size_t n, uint8_t *dst,
				   struct kd_err *err);
/**
 * True when pages [pfn, pfn + n) are known to read as zeros without a read: they lie in
 * holes of a sparse ELF input. False when unknown (a kdump input, /proc/vmcore, data, pages
 * without file bytes, a page across the end of a range's file bytes).
 */
bool col_source_zero_run(struct col_source *src, uint64_t pfn, size_t n);
/** Pointer to the page at @pfn (valid until the next call). */
enum kd_status col_source_page(struct col_source *src, uint64_t pfn, const uint8_t **ret,
			       struct kd_err *err);
/** Set bits for pfns [start, start+64*nwords) that lie in the source's memory ranges. */
/** Whether @path is the running kernel's /proc/kcore (a file "kcore" on procfs). */
bool col_is_live_kcore(const char *path);
/**
 * Take every "Crash kernel" range listed in @iomem (/proc/iomem) out of @pm. For
 * --mem-usage /proc/kcore: that memory is not in a dump.
 */
enum kd_status col_cut_crash_kernel(struct fmt_physmap *pm, const char *iomem,
				    struct kd_err *err);
void col_source_present(const struct col_source *src, uint64_t start, uint64_t *bits,
			size_t nwords);
/** Set bits for the pfns whose content the source has (a kdump input's 2nd bitmap). */
void col_source_dumpable(const struct col_source *src, uint64_t start, uint64_t *bits,
			 size_t nwords);
/** Read physical memory (for the filters and the utsname). */
enum kd_status col_source_read_phys(void *ctx, uint64_t paddr, void *buf, size_t len,
				    struct kd_err *err);
/**
 * A kdump input's eraseinfo text (every file of a --reassemble set, in order): malloc'ed, or
 * NULL with *@len 0 when there is none. Re-filtering keeps it.
 */
enum kd_status col_source_eraseinfo(const struct col_source *src, char **ret, size_t *len,
				    struct kd_err *err);
/** The direct-map offset (vaddr - paddr) seen in the PT_LOADs, or 0. */
uint64_t col_source_page_offset(const struct col_source *src);

/* ---- utsname.c ---- */
void col_fill_utsname(struct col_source *src, char uts[6][FMT_KDUMP_UTS_LEN]);

/* ---- sink.c: a file written at offsets, or a flattened stream (-F) ---- */
struct col_sink {
	int fd;
	const char *path;		/* for messages */
	bool flat;
	bool own_fd;
	int aux_fd;			/* flat/null: unnamed work file mirroring what is read back */
	uint64_t size;			/* end of the highest byte written */
	uint64_t limit;			/* -L: no byte at or past this offset (0: none) */
	uint64_t last_end;		/* how far the last write got, even when it failed */
	bool null;			/* --dry-run: nothing is written */
	bool is_open;
};

/** Create an output file: mode 0600, never through a symlink, never over a file without @force. */
enum kd_status col_open_output(const char *path, bool force, int *ret_fd, struct kd_err *err);
enum kd_status col_sink_open_file(struct col_sink *s, const char *path, bool force,
				  struct kd_err *err);
enum kd_status col_sink_open_flat(struct col_sink *s, int fd, const char *name,
				  const char *work_dir, struct kd_err *err);
/** --dry-run: count the bytes, write nothing. */
enum kd_status col_sink_open_null(struct col_sink *s, const char *name, const char *work_dir,
				  struct kd_err *err);
/** Open the sink the options ask for: file, flattened stdout, or nothing (--dry-run). */
enum kd_status col_sink_open_for(struct col_sink *s, const struct col_options *opt,
				 const char *path, struct kd_err *err);
enum kd_status col_sink_pwrite(struct col_sink *s, const void *buf, size_t len, uint64_t off,
			       struct kd_err *err);
/** Write bytes that col_sink_read_back() will need again. */
enum kd_status col_sink_pwrite_keep(struct col_sink *s, const void *buf, size_t len, uint64_t off,
				    struct kd_err *err);
enum kd_status col_sink_read_back(struct col_sink *s, void *buf, size_t len, uint64_t off,
				  struct kd_err *err);
enum kd_status col_sink_extend(struct col_sink *s, uint64_t size, struct kd_err *err);
enum kd_status col_sink_sync(struct col_sink *s, struct kd_err *err);
/** Flattened: the end record. */
enum kd_status col_sink_finish(struct col_sink *s, struct kd_err *err);
uint64_t col_sink_close(struct col_sink *s);

/* ---- kdump-out.c: a kdump-compressed file being written ---- */
struct col_kdump_out {
	struct col_sink *sink;
	struct fmt_kdump_info info;
	struct fmt_kdump_layout lay;
	uint64_t nr_dumpable;
	uint64_t data_start;		/* file offset of the first page data byte */
	uint64_t data_pos;		/* next data byte's file offset */
	uint8_t *dbuf;			/* pending page data, written at dbuf_off */
	size_t dbuf_len;
	size_t dbuf_cap;
	uint64_t dbuf_off;
	uint8_t *descs;			/* pending descriptors, starting at index desc_first */
	size_t desc_len;
	size_t desc_cap;
	uint64_t desc_first;
	uint64_t desc_next;		/* descriptors handed in so far */
	uint64_t zero_off;		/* shared zero page, 0 if none */
	uint64_t written_descs;		/* descriptors safely on disk */
	uint64_t unwritten;		/* descriptors of pages that could not be read */
};

enum kd_status col_kdump_create(struct col_kdump_out *out, struct col_sink *sink,
				const struct fmt_kdump_info *info, struct kd_err *err);
enum kd_status col_kdump_write_bitmaps(struct col_kdump_out *out, uint64_t start_pfn,
				       const uint64_t *present, const uint64_t *dumpable,
				       size_t nwords, struct kd_err *err);
enum kd_status col_kdump_read_bitmap2(struct col_kdump_out *out, uint64_t start_pfn,
				      uint64_t *bits, size_t nwords, struct kd_err *err);
/** Fix the descriptor table size and place the shared zero page (if @zero_page). */
enum kd_status col_kdump_begin_pages(struct col_kdump_out *out, uint64_t nr_dumpable,
				     bool zero_page, struct kd_err *err);
/**
 * Append page data for pages described later with col_kdump_add_run() (in order);
 * *@ret_off is the file offset of its first byte. Long runs are written in place.
 */
enum kd_status col_kdump_add_data(struct col_kdump_out *out, const void *data, size_t len,
				  uint64_t *ret_off, struct kd_err *err);
/**
 * The next @n pages' descriptors, in pfn order: page k is @size[k] bytes at @base + @off[k]
 * (given by col_kdump_add_data()) with @flags[k]; or the shared zero page where @size[k] is 0;
 * or, where @flags[k] is COL_PAGE_UNREADABLE, a page that could not be read: its descriptor
 * stays all zero ("not written", as in an interrupted dump) and col_kdump_finish() leaves the
 * header marked incomplete.
 */
enum kd_status col_kdump_add_run(struct col_kdump_out *out, uint64_t base, const uint64_t *off,
				 const uint32_t *size, const uint32_t *flags, size_t n,
				 struct kd_err *err);
/** --config: the eraseinfo text, after the page data (call once, after the last page). */
enum kd_status col_kdump_add_eraseinfo(struct col_kdump_out *out, const char *text, size_t len,
				       struct kd_err *err);
/** Flush and clear the incomplete flag (only if every descriptor was written). */
enum kd_status col_kdump_finish(struct col_kdump_out *out, bool complete, struct kd_err *err);
/** Free the buffers (the sink stays open). */
void col_kdump_release(struct col_kdump_out *out);

/* ---- pages.c: zero check + compression of kept pages on N threads, written in pfn order ---- */
struct col_pages_params {
	struct col_source *src;		/* cloned per thread */
	struct col_kdump_out *out;
	struct col_stats *stats;
	enum fmt_codec_id codec;
	bool zero_pages;		/* dump level bit 1: share one zero page */
	bool system_zlib;		/* --zlib-compat: zlib's own deflate (makedumpfile's bytes) */
	unsigned threads;		/* 1: no threads */
	struct col_erase *erase;	/* --config: bytes to poison (NULL: none) */
};

struct col_pages;
enum kd_status col_pages_create(const struct col_pages_params *p, struct col_pages **ret,
				struct kd_err *err);
void col_pages_destroy(struct col_pages *cp);
/** Queue up to col_pages_batch_size() pfns (ascending, after every earlier batch). */
enum kd_status col_pages_submit(struct col_pages *cp, const uint64_t *pfns, size_t n,
				struct kd_err *err);
/** Wait for and write every queued batch. */
enum kd_status col_pages_flush(struct col_pages *cp, struct kd_err *err);
size_t col_pages_batch_size(void);
/** True if the page of @n bytes (any alignment) is all zero. */
bool col_page_is_zero(const uint8_t *p, size_t n);

/* ---- unreadable.c: kept pages whose read fails (EIO from /proc/vmcore) ---- */
/** Descriptor flags value of a batch page that could not be read (never a codec flag). */
#define COL_PAGE_UNREADABLE UINT32_MAX
/** True if a page read failed with an I/O error (or, re-filtering an incomplete dump, the
 *  page was never written): the page is recorded, the dump goes on. */
bool col_read_failure(enum kd_status st, const struct kd_err *err);
/** Count an unreadable page in @s (its pfn and the first error are kept for the report). */
void col_note_unreadable(struct col_stats *s, uint64_t pfn, const struct kd_err *err);
/**
 * The error that ends a run with unreadable kept pages: "'@file' is incomplete: N kept pages
 * could not be read and are @what; the other M pages are saved" (@file NULL: standard output).
 */
enum kd_status col_unreadable_error(struct kd_err *err, const char *file,
				    const struct col_stats *s, const char *what);
/** The warning line about unreadable pages (none if there were none). */
void col_report_unreadable(FILE *warn, const struct col_stats *s, const char *how);

/* ---- filter.c: kernel-aware exclusion for dump levels above 1 ---- */
struct col_filter;
enum kd_status col_filter_create(struct col_source *src, int dump_level, FILE *warn,
				 struct col_filter **ret, struct kd_err *err);
void col_filter_destroy(struct col_filter *f);
/** Print the filter's warnings (keys the kernel lacks, unreadable struct pages). */
void col_filter_report(const struct col_filter *f);
enum kd_status col_filter_window(struct col_filter *f, uint64_t start, uint64_t npfn,
				 uint64_t *bits, struct col_stats *stats, struct kd_err *err);

/* ---- run.c: what every vmcore-save run shares: the source, the filter, pass-1 windows ---- */
struct col_run {
	const struct col_options *opt;
	struct col_stats *stats;
	struct col_source src;
	struct col_filter *filter;
	uint64_t window;	/* pfns per window, a multiple of 64 */
	int level;		/* effective dump level (a re-filtered dump keeps its old bits) */
	enum fmt_codec_id codec; /* effective codec (--reassemble keeps the set's) */
	uint64_t *present;	/* window bits: pfn in the source's memory */
	uint64_t *keep;		/* window bits: pfn kept after the filters */
	uint64_t range_start;	/* --split: only pfns in [range_start, range_end) are kept */
	uint64_t range_end;
	struct col_erase *erase;	/* --config; NULL without */
	struct col_erase_cfg *erase_cfg;	/* --config's commands until col_erase_create() */
};

/** Open the source and the filters; clears @stats. */
enum kd_status col_run_setup(struct col_run *r, const struct col_options *opt,
			     struct col_stats *stats, struct kd_err *err);
void col_run_teardown(struct col_run *r);
bool col_run_stopped(const struct col_run *r);
/** 64-bit words of the window starting at @start. */
size_t col_run_words(const struct col_run *r, uint64_t start);
/** Fill r->present and r->keep for the window at @start (filters applied, stats counted). */
enum kd_status col_run_keep_window(struct col_run *r, uint64_t start, size_t nwords,
				   struct kd_err *err);

/* ---- elf-out.c: -E ---- */
enum kd_status col_save_elf(const struct col_options *opt, struct col_stats *stats,
			    struct kd_err *err);

/* ---- progress.c ---- */
struct col_progress {
	FILE *f;
	bool tty;
	bool enabled;
	const char *what;
	uint64_t total;
	struct timespec start;
	struct timespec last;
	int last_pct;
};

void col_progress_start(struct col_progress *p, FILE *f, bool enabled, const char *what,
			uint64_t total);
void col_progress_update(struct col_progress *p, uint64_t done);
void col_progress_end(struct col_progress *p, uint64_t done);
double col_elapsed(const struct timespec *since);

#endif
