/* Reads of the dead kernel's memory: physical through the caller's callback, virtual through the page tables. */
#include <string.h>

#include "filters/filters-priv.h"

enum kd_status flt_read_phys(struct flt_model *m, uint64_t paddr, void *buf, size_t len,
			     struct kd_err *err)
{
	uint64_t end;

	if (add_u64_overflow(paddr, len, &end) || (end - 1) >> m->page_shift >= m->mem.max_pfn)
		return kd_err_set(err, KD_ERR_NODATA, "physical range 0x%llx+0x%zx is beyond memory",
				  (unsigned long long)paddr, len);
	return m->mem.read_phys(m->mem.ctx, paddr, buf, len, err);
}

enum kd_status flt_vtop_len(struct flt_model *m, uint64_t vaddr, uint64_t *ret_paddr,
			    uint64_t *ret_len, struct kd_err *err)
{
	uint64_t mem_end = m->mem.max_pfn << m->page_shift;
	enum kd_status st = flt_arch_vtop(m, vaddr, ret_paddr, ret_len, err);

	if (st == KD_OK || st == KD_ERR_NOMEM)
		return st;
	/* the direct map, when the page tables cannot say */
	if (m->page_offset_hint && vaddr >= m->page_offset_hint &&
	    vaddr - m->page_offset_hint < mem_end) {
		*ret_paddr = vaddr - m->page_offset_hint;
		*ret_len = mem_end - *ret_paddr;
		return KD_OK;
	}
	if (st == KD_ERR_NOTIMPL)
		return kd_err_set(err, KD_ERR_NOTIMPL, "cannot translate 0x%llx: no page tables",
				  (unsigned long long)vaddr);
	return st;
}

enum kd_status flt_model_vtop(struct flt_model *m, uint64_t vaddr, uint64_t *ret,
			      struct kd_err *err)
{
	uint64_t len;

	return flt_vtop_len(m, vaddr, ret, &len, err);
}

enum kd_status flt_read_virt(struct flt_model *m, uint64_t vaddr, void *buf, size_t len,
			     struct kd_err *err)
{
	uint8_t *out = buf;

	while (len > 0) {
		uint64_t paddr, run;
		enum kd_status st = flt_vtop_len(m, vaddr, &paddr, &run, err);

		if (st != KD_OK)
			return st;
		if (run > len)
			run = len;
		st = flt_read_phys(m, paddr, out, (size_t)run, err);
		if (st != KD_OK)
			return kd_err_prefix(err, "reading 0x%llx", (unsigned long long)vaddr);
		out += run;
		vaddr += run;
		len -= (size_t)run;
	}
	return KD_OK;
}

enum kd_status flt_read_virt_u64(struct flt_model *m, uint64_t vaddr, uint64_t *ret,
				 struct kd_err *err)
{
	uint8_t raw[8];
	enum kd_status st = flt_read_virt(m, vaddr, raw, sizeof(raw), err);

	if (st == KD_OK)
		*ret = get_le64(raw);
	return st;
}
