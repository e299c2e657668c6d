/* filters/ private header: the model's parts, shared by the files of this module only. */
#ifndef KD_FILTERS_PRIV_H
#define KD_FILTERS_PRIV_H

#include "filters/filters.h"
#include "filters/arch/arm64/arm64.h"
#include "filters/arch/x86_64/x86_64.h"

/* Dump-level bits a class belongs to; FLT_ALWAYS marks hwpoison/offline and model-wide notes. */
#define FLT_CLASS_BITS (FLT_DL_CACHE | FLT_DL_CACHE_PRIVATE | FLT_DL_USER | FLT_DL_FREE)
#define FLT_ALWAYS 0x100

/** A page type: _mapcount (page_type) compared under a mask. */
struct flt_ptype {
	bool known;
	uint32_t value;
	uint32_t mask;	/* 0xff000000 for 6.12+ top-byte types, else all ones */
};

static inline bool flt_ptype_is(const struct flt_ptype *t, uint32_t mapcount)
{
	return t->known && (mapcount & t->mask) == t->value;
}

/** Where the order of a compound page is stored. */
enum flt_order_src {
	FLT_ORDER_NONE,		/* unknown: compound pages are kept whole */
	FLT_ORDER_PAGE1_BYTE,	/* byte at page[1] + order_off (<= 6.5) */
	FLT_ORDER_PAGE1_FLAGS,	/* low byte of page[1].flags (6.6+) */
};

/** How a hugetlb folio is recognised. */
enum flt_hugetlb_src {
	FLT_HUGETLB_NONE,
	FLT_HUGETLB_TYPE,	/* head's page type (6.9+) */
	FLT_HUGETLB_FLAG1,	/* PG_hugetlb in page[1].flags (6.6-6.8) */
	FLT_HUGETLB_DTOR,	/* destructor id/pointer in page[1] (<= 6.5) */
};

/** struct page layout and flag numbers from VMCOREINFO; -1 = not exported. */
struct flt_page_keys {
	uint64_t size;		/* SIZE(page); 0 if missing */
	int64_t off_flags;
	int64_t off_mapping;
	int64_t off_private;
	int64_t off_mapcount;
	int64_t off_head;	/* compound_head (compound_info on 7.1+) */
	int pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison, pg_buddy,
	    pg_hugetlb;
	uint64_t head_mask;	/* PG_head_mask; 0 if missing */
	struct flt_ptype buddy, offline, slab, hugetlb, unaccepted;
	enum flt_order_src order_src;
	int64_t order_off;	/* inside page[1] */
	enum flt_hugetlb_src hugetlb_src;
	int64_t dtor_off;	/* inside page[1] */
	unsigned dtor_width;	/* 1 or 8 bytes */
	uint64_t dtor_value;
	uint64_t max_order;	/* LENGTH(zone.free_area); 0 if unknown */
};

/** How the struct page of a PFN is found. */
enum flt_memmap_kind {
	FLT_MEMMAP_NONE,
	FLT_MEMMAP_SPARSE,	/* mem_section[] (SPARSEMEM, EXTREME or not) */
	FLT_MEMMAP_VMEMMAP,	/* SYMBOL(vmemmap) only: vmemmap + pfn * SIZE(page) */
	FLT_MEMMAP_FLAT,	/* FLATMEM mem_map */
};

struct flt_memmap {
	enum flt_memmap_kind kind;
	bool extreme;
	uint64_t root;		/* SYMBOL(mem_section) */
	uint64_t nr_roots;	/* LENGTH(mem_section) */
	uint64_t per_root;	/* sections per root */
	uint64_t sec_size;	/* SIZE(mem_section) */
	uint64_t sec_map_off;	/* OFFSET(mem_section.section_mem_map) */
	unsigned pfn_section_shift; /* SECTION_SIZE_BITS - PAGE_SHIFT */
	uint64_t base;		/* vmemmap base or FLATMEM mem_map array */
	/* one cached root block (EXTREME) */
	uint64_t cached_root;	/* root index, UINT64_MAX if none */
	uint64_t cached_root_ptr;
	uint8_t *root_block;	/* per_root * sec_size bytes */
	bool root_block_ok;
	/* the last section looked up */
	uint64_t last_sec;	/* UINT64_MAX if none */
	uint64_t last_coded;	/* decoded mem_map base, valid if last_st == KD_OK */
	enum kd_status last_st;
	char last_msg[160];
};

/** The architecture whose address translation a model uses (arch.c). */
enum flt_arch {
	FLT_ARCH_NONE,
	FLT_ARCH_X86_64,
	FLT_ARCH_ARM64,
};

/** Kinds of struct page problems counted while walking. */
enum flt_problem {
	FLT_PROB_NO_MEMMAP,	/* section not present or without mem_map */
	FLT_PROB_SECTION,	/* mem_section entry unreadable */
	FLT_PROB_READ,		/* struct page bytes unreadable */
	FLT_PROB_ORDER,		/* implausible buddy order */
	FLT_PROB_IMPLAUSIBLE,	/* excluded class that the struct page does not fit */
	FLT_PROB_COUNT
};

struct flt_problem_log {
	uint64_t count;
	uint64_t first_pfn;
	char first_msg[160];
};

#define FLT_MAX_WARNINGS 24

struct flt_warning {
	int classes;		/* dump-level bits it concerns, or FLT_ALWAYS */
	char text[FLT_WARN_LEN];
};

/** Classes a page can fall in. */
enum flt_class {
	FLT_KEEP = 0,
	FLT_CACHE,
	FLT_CACHE_PRIVATE,
	FLT_USER,
	FLT_FREE,
	FLT_HWPOISON,
	FLT_OFFLINE,
};

/** The fields of one struct page the classifier looks at. */
struct flt_page {
	uint64_t flags;
	uint64_t mapping;
	uint64_t private;
	uint64_t head;
	uint32_t mapcount;
};

struct flt_model {
	const struct fmt_vmcoreinfo *vi;
	struct flt_mem mem;
	uint64_t page_size;
	unsigned page_shift;
	uint64_t page_offset_hint;
	enum flt_arch arch;
	struct flt_x86_64 x86;
	struct flt_arm64 arm64;
	bool have_vtop;
	struct flt_memmap mm;
	struct flt_page_keys pk;
	int avail;		/* classes that can be filtered at all */
	bool want_always;	/* hwpoison or offline detection possible */
	struct flt_warning warn[FLT_MAX_WARNINGS];
	size_t nr_warn;
	/* walk state */
	uint64_t carry_end;	/* exclusion pending up to this PFN */
	enum flt_class carry_class;
	uint64_t last_end;	/* end of the previous window */
	size_t chunk_pages;
	uint8_t *chunk;		/* (chunk_pages + 1) struct pages */
	uint64_t *chunk_valid;	/* one bit per struct page in chunk */
	struct flt_problem_log prob[FLT_PROB_COUNT];
};

/* model.c */
void flt_warn(struct flt_model *m, int classes, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void flt_problem(struct flt_model *m, enum flt_problem p, uint64_t pfn, uint64_t count,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* arch.c: dispatch to filters/arch/<arch>/ */
/** Pick the architecture (@machine: ELF e_machine, 0 = from VMCOREINFO) and set up its translation. */
enum kd_status flt_arch_init(struct flt_model *m, uint16_t machine, char *why, size_t why_len);
const char *flt_arch_name(const struct flt_model *m);
bool flt_arch_ok(const struct flt_model *m);
/** KD_ERR_NOTIMPL (err untouched) when the architecture has no translation set up. */
enum kd_status flt_arch_vtop(struct flt_model *m, uint64_t vaddr, uint64_t *ret_paddr,
			     uint64_t *ret_len, struct kd_err *err);
void flt_arch_flush(struct flt_model *m);
void flt_arch_deinit(struct flt_model *m);

/* keys.c: struct page keys and the classes they allow */
void flt_keys_load(struct flt_model *m);

/* mem.c: physical and virtual reads */
enum kd_status flt_read_phys(struct flt_model *m, uint64_t paddr, void *buf, size_t len,
			     struct kd_err *err);
enum kd_status flt_read_virt_u64(struct flt_model *m, uint64_t vaddr, uint64_t *ret,
				 struct kd_err *err);
/** Translate @vaddr; *ret_len = bytes from @vaddr that are physically contiguous (>= 1). */
enum kd_status flt_vtop_len(struct flt_model *m, uint64_t vaddr, uint64_t *ret_paddr,
			    uint64_t *ret_len, struct kd_err *err);

/* memmap.c: locate struct pages */
enum kd_status flt_memmap_init(struct flt_model *m, struct kd_err *err);
void flt_memmap_deinit(struct flt_memmap *mm);
/**
 * Virtual address of the struct page of @pfn, and *ret_end the PFN where
 * this mapping of struct pages ends (section end; set on failure too). KD_ERR_NODATA if the PFN
 * has no struct page (section absent), other errors if mem_section is unreadable.
 */
enum kd_status flt_memmap_lookup(struct flt_model *m, uint64_t pfn, uint64_t *ret_vaddr,
				 uint64_t *ret_end, struct kd_err *err);

/* classify.c */
void flt_page_decode(const struct flt_page_keys *pk, const uint8_t *raw, struct flt_page *ret);
/**
 * Class of the page decoded in @pg for the classes in @level (already
 * limited to what the model supports); @next is page[1] raw bytes or NULL.
 * *ret_nr = pages covered (compound or buddy block), 1 for a kept page.
 */
enum flt_class flt_classify(struct flt_model *m, int level, uint64_t pfn,
			    const struct flt_page *pg, const uint8_t *next, uint64_t *ret_nr);

#endif
