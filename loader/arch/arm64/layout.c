/* The running arm64 kernel's linear map and image mapping, from /proc/kcore's headers. */
#include <string.h>

#include "formats/bytes.h"
#include "formats/formats.h"
#include "loader/arch/arm64/arm64.h"

enum {
	EH_SIZE = 64,
	PH_SIZE = 56,
	PT_LOAD_TYPE = 1,
	PT_NOTE_TYPE = 4,
	MAX_OFFSETS = 8,
};

#define NO_PADDR UINT64_MAX

struct offset_use {
	uint64_t offset;	/* p_vaddr - p_paddr */
	uint64_t bytes;		/* memory its loads cover */
	uint64_t vaddr, paddr, size; /* its first load */
};

/* The VMCOREINFO note's text inside @notes, or NULL. */
static const char *find_vmcoreinfo(const uint8_t *notes, size_t len, size_t *ret_len)
{
	size_t pos = 0;

	while (pos + 12 <= len) {
		uint32_t nsz = get_le32(notes + pos), dsz = get_le32(notes + pos + 4);
		size_t name_at = pos + 12, desc_at = name_at + ((nsz + 3) & ~3u);

		if (desc_at > len || dsz > len - desc_at)
			return NULL;
		if (nsz == 11 && !memcmp(notes + name_at, "VMCOREINFO", 11)) {
			*ret_len = dsz;
			return (const char *)notes + desc_at;
		}
		pos = desc_at + ((dsz + 3) & ~3u);
	}
	return NULL;
}

/* Check the layout against the kernel's own VMCOREINFO, when the note is complete. */
static enum kd_status check_vmcoreinfo(struct ldr_arm64_layout *l, const char *text, size_t len,
				       struct kd_err *err)
{
	struct fmt_vmcoreinfo *vi = NULL;
	int64_t va_bits, phys_offset, voffset;
	enum kd_status st = fmt_vmcoreinfo_parse(text, len, &vi, err);

	if (st != KD_OK)
		return kd_err_prefix(err, "/proc/kcore VMCOREINFO");
	if (fmt_vmci_number(vi, "VA_BITS", &va_bits) && va_bits >= 36 && va_bits <= 52 &&
	    fmt_vmci_number(vi, "PHYS_OFFSET", &phys_offset) &&
	    fmt_vmci_number(vi, "kimage_voffset", &voffset)) {
		uint64_t page_offset = 0ull - (1ull << va_bits);

		if (page_offset - (uint64_t)phys_offset != l->linear_offset ||
		    (uint64_t)voffset != l->kimage_voffset)
			st = kd_err_set(err, KD_ERR_CORRUPT,
					"/proc/kcore loads (linear 0x%llx, image 0x%llx) disagree with "
					"its VMCOREINFO (PAGE_OFFSET - PHYS_OFFSET 0x%llx, "
					"kimage_voffset 0x%llx)",
					(unsigned long long)l->linear_offset,
					(unsigned long long)l->kimage_voffset,
					(unsigned long long)(page_offset - (uint64_t)phys_offset),
					(unsigned long long)voffset);
		l->have_vmcoreinfo = st == KD_OK;
		l->phys_offset = (uint64_t)phys_offset;
		l->va_bits = (unsigned)va_bits;
	}
	fmt_vmcoreinfo_destroy(vi);
	return st;
}

enum kd_status ldr_arm64_layout_from_kcore(const void *hdr, size_t len,
					   struct ldr_arm64_layout *ret, struct kd_err *err)
{
	const uint8_t *h = hdr;
	struct offset_use use[MAX_OFFSETS];
	size_t nuse = 0, lin = 0, text = 0;
	const char *vmci = NULL;
	size_t vmci_len = 0;
	struct ldr_arm64_layout l;
	uint64_t phoff;
	uint16_t phnum;
	enum kd_status st;

	if (len < EH_SIZE || memcmp(h, "\177ELF", 4) || h[4] != 2 || h[5] != 1 ||
	    get_le16(h + 16) != 4 /* ET_CORE */ || get_le16(h + 54) != PH_SIZE)
		return kd_err_set(err, KD_ERR_CORRUPT, "/proc/kcore: not an ELF64 little-endian core");
	phoff = get_le64(h + 32);
	phnum = get_le16(h + 56);
	if (phoff > len || (uint64_t)phnum * PH_SIZE > len - phoff)
		return kd_err_set(err, KD_ERR_CORRUPT, "/proc/kcore: program headers past %zu bytes",
				  len);
	for (uint16_t i = 0; i < phnum; i++) {
		const uint8_t *ph = h + phoff + (size_t)i * PH_SIZE;
		uint32_t type = get_le32(ph);
		uint64_t off = get_le64(ph + 8), vaddr = get_le64(ph + 16);
		uint64_t paddr = get_le64(ph + 24), filesz = get_le64(ph + 32);

		if (type == PT_NOTE_TYPE && off < len && filesz <= len - off)
			vmci = find_vmcoreinfo(h + off, (size_t)filesz, &vmci_len);
		if (type != PT_LOAD_TYPE || paddr == NO_PADDR || !filesz)
			continue;
		size_t k = 0;

		while (k < nuse && use[k].offset != vaddr - paddr)
			k++;
		if (k == nuse) {
			if (nuse == MAX_OFFSETS)
				continue;
			use[nuse++] = (struct offset_use){ vaddr - paddr, 0, vaddr, paddr, filesz };
		}
		use[k].bytes += filesz;
	}
	if (nuse < 2)
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "/proc/kcore: no separate linear-map and kernel-text loads");
	for (size_t k = 1; k < nuse; k++)
		if (use[k].bytes > use[lin].bytes)
			lin = k;
	text = lin == 0 ? 1 : 0;
	for (size_t k = 0; k < nuse; k++)
		if (k != lin && use[k].vaddr > use[text].vaddr)
			text = k;	/* the image is above the linear map (5.4+) */
	memset(&l, 0, sizeof(l));
	l.linear_offset = use[lin].offset;
	l.text_vaddr = use[text].vaddr;
	l.text_paddr = use[text].paddr;
	l.text_size = use[text].size;
	l.kimage_voffset = use[text].offset;
	if (vmci) {
		st = check_vmcoreinfo(&l, vmci, vmci_len, err);
		if (st != KD_OK)
			return st;
	}
	*ret = l;
	return KD_OK;
}
