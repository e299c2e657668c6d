/* The kernel model: created from VMCOREINFO and a physical-memory reader; warnings and problem logs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters-priv.h"

#define DEFAULT_CHUNK_PAGES 4096

void flt_warn(struct flt_model *m, int classes, const char *fmt, ...)
{
	va_list ap;

	if (m->nr_warn >= FLT_MAX_WARNINGS)
		return;
	m->warn[m->nr_warn].classes = classes;
	va_start(ap, fmt);
	vsnprintf(m->warn[m->nr_warn].text, FLT_WARN_LEN, fmt, ap);
	va_end(ap);
	m->nr_warn++;
}

void flt_problem(struct flt_model *m, enum flt_problem p, uint64_t pfn, uint64_t count,
		 const char *fmt, ...)
{
	struct flt_problem_log *log = &m->prob[p];
	va_list ap;

	if (log->count == 0) {
		log->first_pfn = pfn;
		va_start(ap, fmt);
		vsnprintf(log->first_msg, sizeof(log->first_msg), fmt, ap);
		va_end(ap);
	}
	log->count += count;
}

uint64_t flt_stats_excluded(const struct flt_stats *st)
{
	return st->zero + st->cache + st->cache_private + st->user + st->free + st->hwpoison +
	       st->offline;
}

static void init_vtop(struct flt_model *m, uint16_t machine)
{
	char why[128] = "";
	enum kd_status st = flt_arch_init(m, machine, why, sizeof(why));

	if (st == KD_OK && flt_arch_ok(m)) {
		m->have_vtop = true;
		return;
	}
	if (m->page_offset_hint) {
		m->have_vtop = true;
		flt_warn(m, FLT_ALWAYS, "no %s page tables (%s): translating direct-map "
			 "addresses from 0x%llx only", flt_arch_name(m), why,
			 (unsigned long long)m->page_offset_hint);
		return;
	}
	flt_warn(m, FLT_ALWAYS, "no %s page tables (%s) and no direct-map base", flt_arch_name(m),
		 why);
}

enum kd_status flt_model_create(const struct fmt_vmcoreinfo *vi, const struct flt_mem *mem,
				uint64_t page_offset_hint, struct flt_model **ret,
				struct kd_err *err)
{
	return flt_model_create_machine(vi, mem, 0, page_offset_hint, ret, err);
}

enum kd_status flt_model_create_machine(const struct fmt_vmcoreinfo *vi,
					const struct flt_mem *mem, uint16_t machine,
					uint64_t page_offset_hint, struct flt_model **ret,
					struct kd_err *err)
{
	struct flt_model *m;
	uint64_t ps;
	enum kd_status st;

	if (!vi || !mem || !mem->read_phys || mem->max_pfn == 0)
		return kd_err_set(err, KD_ERR_INVALID, "filter model needs VMCOREINFO and a reader");
	ps = fmt_vmci_pagesize(vi);
	if (ps < 512 || ps > (1u << 20) || (ps & (ps - 1)))
		return kd_err_set(err, KD_ERR_CORRUPT, "VMCOREINFO has no usable PAGESIZE");
	m = calloc(1, sizeof(*m));
	if (!m)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	m->vi = vi;
	m->mem = *mem;
	m->page_size = ps;
	m->page_shift = (unsigned)__builtin_ctzll(ps);
	if (m->mem.max_pfn > (UINT64_MAX >> m->page_shift))
		m->mem.max_pfn = UINT64_MAX >> m->page_shift;
	m->page_offset_hint = page_offset_hint;
	m->mm.cached_root = UINT64_MAX;
	m->mm.last_sec = UINT64_MAX;

	init_vtop(m, machine);
	st = flt_memmap_init(m, err);
	if (st != KD_OK)
		goto out_destroy;
	flt_keys_load(m);
	if (m->mm.kind == FLT_MEMMAP_NONE) {
		m->avail = 0;
		m->want_always = false;
	}
	m->chunk_pages = DEFAULT_CHUNK_PAGES;
	if (m->pk.size) {
		m->chunk = malloc((m->chunk_pages + 1) * m->pk.size);
		m->chunk_valid = calloc((m->chunk_pages + 1 + 63) / 64, sizeof(uint64_t));
		if (!m->chunk || !m->chunk_valid) {
			st = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
			goto out_destroy;
		}
	}
	*ret = m;
	return KD_OK;

out_destroy:
	flt_model_destroy(m);
	return st;
}

void flt_model_destroy(struct flt_model *m)
{
	if (!m)
		return;
	flt_arch_deinit(m);
	flt_memmap_deinit(&m->mm);
	free(m->chunk);
	free(m->chunk_valid);
	free(m);
}

static const char *const problem_what[FLT_PROB_COUNT] = {
	[FLT_PROB_NO_MEMMAP] = "kept: no struct page for them",
	[FLT_PROB_SECTION] = "kept: mem_section unreadable",
	[FLT_PROB_READ] = "kept: struct page unreadable",
	[FLT_PROB_ORDER] = "kept: free page with an implausible order",
	[FLT_PROB_IMPLAUSIBLE] = "kept: struct page implausible",
};

size_t flt_model_warnings(const struct flt_model *m, int dump_level, char (*out)[FLT_WARN_LEN],
			  size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nr_warn; i++) {
		const struct flt_warning *w = &m->warn[i];

		if (!(w->classes & FLT_ALWAYS) && !(w->classes & dump_level))
			continue;
		if (n < max)
			snprintf(out[n], FLT_WARN_LEN, "%s", w->text);
		n++;
	}
	for (int p = 0; p < FLT_PROB_COUNT; p++) {
		const struct flt_problem_log *log = &m->prob[p];

		if (!log->count)
			continue;
		if (n < max)
			snprintf(out[n], FLT_WARN_LEN, "%llu pages %s (first: pfn 0x%llx: %s)",
				 (unsigned long long)log->count, problem_what[p],
				 (unsigned long long)log->first_pfn, log->first_msg);
		n++;
	}
	return n;
}

int flt_model_effective_level(const struct flt_model *m, int dump_level)
{
	return dump_level & m->avail;
}

uint64_t flt_model_page_size(const struct flt_model *m)
{
	return m->page_size;
}
