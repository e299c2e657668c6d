/* filters/: kernel page semantics — which pages a dump level excludes. One public header. */
#ifndef KD_FILTERS_H
#define KD_FILTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/formats.h"

/*
 * filters/ never opens or reads a file. The collector hands it a physical
 * memory reader; from VMCOREINFO and that reader the model finds the dead
 * kernel's page tables and its struct page array, and the window walker
 * clears the bits of the pages a dump level excludes.
 *
 * Typical use:
 *
 *	struct flt_mem mem = { my_read_phys, my_ctx, max_pfn };
 *	flt_model_create(vi, &mem, page_offset_hint, &m, &err);
 *	n = flt_model_warnings(m, level, msgs, 16);	// print min(n, 16)
 *	for (start = 0; start < max_pfn; start += window)
 *		flt_exclude_window(m, level, start, MIN(window, max_pfn - start), bits, &st, &err);
 *	flt_model_destroy(m);
 */

/** Dump-level bits handled here (makedumpfile's -d numbering). */
enum flt_dump_level {
	FLT_DL_ZERO = 1,	  /* zero pages: by content, done by the collector */
	FLT_DL_CACHE = 2,	  /* page cache without private data */
	FLT_DL_CACHE_PRIVATE = 4, /* all page cache, with or without private data */
	FLT_DL_USER = 8,	  /* anonymous and hugetlbfs pages */
	FLT_DL_FREE = 16,	  /* free pages in the buddy allocator */
};

/**
 * Physical memory of the dead kernel, provided by the caller.
 * read_phys() copies @len bytes at physical address @paddr into @buf; it
 * returns KD_OK, or an error (KD_ERR_NODATA for addresses that are not in the
 * dump) with the detail in @err. PFNs are [0, max_pfn).
 * The model keeps a copy of this struct; @ctx must outlive the model.
 */
struct flt_mem {
	enum kd_status (*read_phys)(void *ctx, uint64_t paddr, void *buf, size_t len,
				    struct kd_err *err);
	void *ctx;
	uint64_t max_pfn;
};

/**
 * Pages excluded per class, in makedumpfile's report classes. Counters only
 * grow: pass the same struct to every window and zero it yourself.
 * Only pages that were present (bit set on input) are counted.
 *   remaining = present - zero - cache - cache_private - user - free
 *               - hwpoison - offline
 */
struct flt_stats {
	uint64_t present;	/* pages present on input (bits set) */
	uint64_t zero;		/* not touched here: the collector counts zero pages */
	uint64_t cache;		/* non-private page cache (-d 2, or -d 4) */
	uint64_t cache_private;	/* page cache with private data (-d 4) */
	uint64_t user;		/* anonymous and hugetlbfs pages (-d 8) */
	uint64_t free;		/* buddy free pages (-d 16) */
	uint64_t hwpoison;	/* PG_hwpoison pages (always) */
	uint64_t offline;	/* logically offline pages (always) */
	uint64_t unreadable;	/* kept: their struct page could not be located or read */
};

/** Sum of the excluded classes (zero included). */
uint64_t flt_stats_excluded(const struct flt_stats *st);

/** The kernel model: translation, struct page location, flag numbers. Opaque. */
struct flt_model;

/**
 * Build the model from @vi (borrowed: it must outlive the model) and @mem
 * (copied). @page_offset_hint is the start of the direct map (PAGE_OFFSET)
 * if the caller knows it (p_vaddr - p_paddr of a direct-map PT_LOAD of
 * /proc/vmcore), else 0; it is used only when the page tables cannot
 * translate a direct-map address.
 *
 * Missing VMCOREINFO keys are not errors: the classes that need them stay
 * unfiltered and flt_model_warnings() says why. Errors: KD_ERR_INVALID (no
 * read_phys, max_pfn 0), KD_ERR_CORRUPT (PAGESIZE missing or not a power of
 * two), KD_ERR_NOMEM. *ret is written only on success.
 */
enum kd_status flt_model_create(const struct fmt_vmcoreinfo *vi, const struct flt_mem *mem,
				uint64_t page_offset_hint, struct flt_model **ret,
				struct kd_err *err);

/**
 * As flt_model_create(), for the architecture @machine (ELF e_machine:
 * EM_X86_64 or EM_AARCH64; 0 = tell from VMCOREINFO, as flt_model_create()
 * does: NUMBER(kimage_voffset) or NUMBER(VA_BITS) with NUMBER(PHYS_OFFSET)
 * means arm64). Another machine leaves the model without translation (a
 * warning says so), like missing page-table keys.
 */
enum kd_status flt_model_create_machine(const struct fmt_vmcoreinfo *vi,
					const struct flt_mem *mem, uint16_t machine,
					uint64_t page_offset_hint, struct flt_model **ret,
					struct kd_err *err);

/** Free the model; NULL is a no-op. */
void flt_model_destroy(struct flt_model *m);

/** Size of one warning line (including the NUL). */
#define FLT_WARN_LEN 256

/**
 * The warnings that apply to @dump_level: for each requested class a key
 * needs and the kernel does not export, one line naming the key and the
 * class that stays (partly) unfiltered; also model-wide problems (no page
 * tables, no struct page array). Called after the windows, it adds one line
 * per kind of struct page read failure seen (with the count and the first
 * PFN). Writes at most @max lines to @out and returns the total number
 * (which may be larger than @max). Lines carry no trailing newline.
 */
size_t flt_model_warnings(const struct flt_model *m, int dump_level, char (*out)[FLT_WARN_LEN],
			  size_t max);

/**
 * Dump-level bits (2|4|8|16) that @dump_level asks for and this model can
 * honour at least in part; a caller can record it in the header if wanted.
 */
int flt_model_effective_level(const struct flt_model *m, int dump_level);

/**
 * Where the dead kernel's struct page array ends, at most @limit: one past
 * the last PFN of the highest SPARSEMEM section that has a mem_map. Memory
 * above it was never known to that kernel (makedumpfile 1.7.2 cuts its
 * max_mapnr there, at every dump level). Returns @limit when the model is
 * not SPARSEMEM, when no section has a mem_map, or when a mem_section read
 * fails: it never guesses memory away.
 */
uint64_t flt_model_memmap_end(struct flt_model *m, uint64_t limit);

/**
 * Kernel virtual address of the struct page of @pfn, and the PFN where its
 * run of consecutive struct pages ends (its SPARSEMEM section's end). For
 * tools that measure or dump the struct page array (bench/). Errors as the
 * walker sees them: KD_ERR_NODATA (no mem_map there), KD_ERR_NOTIMPL.
 */
enum kd_status flt_model_memmap_vaddr(struct flt_model *m, uint64_t pfn, uint64_t *ret_vaddr,
				      uint64_t *ret_end, struct kd_err *err);

/** Page size of the dumped kernel (from PAGESIZE). */
uint64_t flt_model_page_size(const struct flt_model *m);

/**
 * Translate a kernel virtual address (x86_64: 4/5-level page tables, large
 * pages, kernel image via phys_base; arm64: 2-5-level tables from
 * swapper_pg_dir with 4/16/64 KiB granules, the linear map as a fallback). *ret = physical address. KD_ERR_NODATA if
 * the address is not mapped, KD_ERR_NOTIMPL if no translation is possible.
 */
enum kd_status flt_model_vtop(struct flt_model *m, uint64_t vaddr, uint64_t *ret,
			      struct kd_err *err);

/**
 * Clear the excluded pages of PFNs [start, start+n) in @bits.
 *
 * On input bit i of word w (bits[w] & 1 << i) is 1 when PFN start+64w+i is
 * present in the dump source; @bits holds (n+63)/64 words. On output the
 * pages excluded by @dump_level's classes 2, 4, 8, 16 and, at every level,
 * hwpoison and logically offline pages are 0. Zero pages (level 1) are not
 * handled here. Only present pages are classified; a compound page (THP,
 * hugetlb folio) is excluded whole, head and tails, and a buddy block of
 * order k as 2^k pages, also when they run past the window: the rest is
 * cleared at the start of the following window(s).
 *
 * Windows must come in ascending PFN order with @start a multiple of 64; a
 * window that starts before the end of the previous one begins a new pass
 * (pending exclusions are dropped), so the same model can walk twice.
 * Counts are added to @stats (may be NULL). Memory use does not depend on
 * @n: struct pages are read in bounded chunks.
 *
 * Unreadable struct pages are not errors (the pages are kept and counted
 * in stats->unreadable). Errors: KD_ERR_INVALID (bad window), KD_ERR_NOMEM.
 */
enum kd_status flt_exclude_window(struct flt_model *m, int dump_level, uint64_t start,
				  uint64_t n, uint64_t *bits, struct flt_stats *stats,
				  struct kd_err *err);

/* ------------------------------------------------------------------ */
/* dmesg.c: the dead kernel's log buffer (vmcore-save --dump-dmesg). */

/** Receives the formatted log in pieces of any size; an error stops the walk. */
typedef enum kd_status (*flt_dmesg_write_fn)(void *ctx, const char *buf, size_t len,
					     struct kd_err *err);

/**
 * Write the kernel log of the dumped kernel to @write, oldest record first,
 * formatted as makedumpfile --dump-dmesg writes it: "[%5llu.%06llu] text"
 * per record, the lines after a newline inside a record indented to the text
 * column, bytes that are neither printable nor white space as "\xNN"
 * (sign-extended from 0x80 up, as makedumpfile prints them). Records without
 * text are skipped, as makedumpfile does.
 *
 * Reads the lockless printk ringbuffer (Linux 5.10+, SYMBOL(prb)) or else
 * the structured log_buf (3.5-5.9, SYMBOL(log_buf) and SIZE(printk_log));
 * every address goes through @m's virtual address translation, so the model
 * needs page tables (or a direct-map hint covering the log).
 * @records (may be NULL) is incremented for each record written, so after a
 * failure it counts the records written before it.
 *
 * Errors: KD_ERR_NODATA (VMCOREINFO lacks a key; the message names it, or an
 * address is not in the dump), KD_ERR_NOTIMPL (log layout not supported),
 * KD_ERR_CORRUPT (a ring header or record that cannot be right), KD_ERR_NOMEM,
 * and what @write returns. A ringbuffer record that cannot be read or cannot
 * be right is skipped and the walk goes on: every good record is written,
 * then the first problem is returned with the number of skipped records. In
 * a log_buf the records are chained, so the walk stops at a bad one.
 */
enum kd_status flt_dmesg_dump(struct flt_model *m, flt_dmesg_write_fn write, void *ctx,
			      uint64_t *records, unsigned flags, struct kd_err *err);

/** Read @len bytes at the dead kernel's virtual address @vaddr, through @m's translation. */
enum kd_status flt_read_virt(struct flt_model *m, uint64_t vaddr, void *buf, size_t len,
			     struct kd_err *err);

/** flt_dmesg_dump() @flags: only the records since the log was last cleared (clear_seq, the
 *  ringbuffer of 5.10+; with log_buf: KD_ERR_NOTIMPL), makedumpfile's --partial-dmesg. */
#define FLT_DMESG_PARTIAL 1u

#endif
