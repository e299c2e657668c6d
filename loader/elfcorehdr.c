/* ELF core header for the capture kernel: contents decided here, bytes via formats/bytes.h. */
#include "loader/elfcorehdr.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/bytes.h"

enum { EHDR_SIZE = 64, PHDR_SIZE = 56 };

struct span {
	uint64_t start, end;	/* [start, end) */
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* RAM minus crash ranges and the low exclusion, sorted and merged, into @out (nr_ram + nr_crash + 1 slots). */
static size_t ram_spans(const struct ldr_elfcore_input *in, struct span *out)
{
	size_t n = 0, m = 0;

	for (size_t i = 0; i < in->nr_ram; i++)
		out[n++] = (struct span){ in->ram[i].start, in->ram[i].end + 1 };
	qsort(out, n, sizeof(*out), span_cmp);
	for (size_t i = 0; i < n; i++) {	/* merge overlapping or nested RAM entries */
		if (m && out[i].start <= out[m - 1].end) {
			if (out[i].end > out[m - 1].end)
				out[m - 1].end = out[i].end;
		} else {
			out[m++] = out[i];
		}
	}
	n = m;
	for (size_t c = 0; c <= in->nr_crash; c++) {
		struct span cut = c < in->nr_crash ?
			(struct span){ in->crash[c].start, in->crash[c].end + 1 } :
			(struct span){ 0, in->low_exclude };
		size_t k = n;

		for (size_t i = 0; i < k; i++) {
			struct span *s = &out[i];

			if (cut.end <= s->start || cut.start >= s->end || cut.start >= cut.end)
				continue;
			if (cut.start > s->start && cut.end < s->end) {
				out[n++] = (struct span){ cut.end, s->end };	/* split in two */
				s->end = cut.start;
			} else if (cut.start > s->start) {
				s->end = cut.start;
			} else {
				s->start = cut.end < s->end ? cut.end : s->end;
			}
		}
	}
	qsort(out, n, sizeof(*out), span_cmp);
	m = 0;
	for (size_t i = 0; i < n; i++)
		if (out[i].start < out[i].end)
			out[m++] = out[i];
	return m;
}

static uint8_t *put_phdr(uint8_t *p, uint32_t type, uint64_t offset, uint64_t vaddr,
			 uint64_t paddr, uint64_t size, uint32_t flags, uint64_t align)
{
	put_le32(p, type);
	put_le32(p + 4, flags);
	put_le64(p + 8, offset);
	put_le64(p + 16, vaddr);
	put_le64(p + 24, paddr);
	put_le64(p + 32, size);	/* filesz */
	put_le64(p + 40, size);	/* memsz */
	put_le64(p + 48, align);
	return p + PHDR_SIZE;
}

enum kd_status ldr_elfcorehdr_build(const struct ldr_elfcore_input *in, uint8_t **buf_ret,
				    size_t *size_ret, struct kd_err *err)
{
	struct span *ram;
	size_t nr_ram, phnum, size;
	uint8_t *buf, *p;

	if (in->nr_ram > SIZE_MAX / 4 || in->nr_crash > SIZE_MAX / 4)
		return kd_err_set(err, KD_ERR_INVALID, "elfcorehdr: too many ranges");
	ram = malloc((in->nr_ram + in->nr_crash + 2) * sizeof(*ram));
	if (!ram)
		return kd_err_set(err, KD_ERR_NOMEM, "elfcorehdr: out of memory");
	nr_ram = ram_spans(in, ram);
	phnum = in->nr_cpu_notes + (in->vmcoreinfo.size != 0) + (in->text_size != 0) + nr_ram;
	if (phnum >= PN_XNUM) {
		free(ram);
		return kd_err_set(err, KD_ERR_NOTIMPL, "elfcorehdr: %zu program headers", phnum);
	}
	size = EHDR_SIZE + phnum * PHDR_SIZE;
	size = (size + LDR_ELFCORE_ALIGN - 1) / LDR_ELFCORE_ALIGN * LDR_ELFCORE_ALIGN;
	buf = calloc(1, size);
	if (!buf) {
		free(ram);
		return kd_err_set(err, KD_ERR_NOMEM, "elfcorehdr: out of memory");
	}

	memcpy(buf, ELFMAG, SELFMAG);
	buf[EI_CLASS] = ELFCLASS64;
	buf[EI_DATA] = ELFDATA2LSB;
	buf[EI_VERSION] = EV_CURRENT;
	buf[EI_OSABI] = ELFOSABI_NONE;
	put_le16(buf + 16, ET_CORE);
	put_le16(buf + 18, in->machine ? in->machine : EM_X86_64);
	put_le32(buf + 20, EV_CURRENT);
	put_le64(buf + 24, 0);			/* e_entry */
	put_le64(buf + 32, EHDR_SIZE);		/* e_phoff */
	put_le64(buf + 40, 0);			/* e_shoff */
	put_le32(buf + 48, 0);			/* e_flags */
	put_le16(buf + 52, EHDR_SIZE);
	put_le16(buf + 54, PHDR_SIZE);
	put_le16(buf + 56, (uint16_t)phnum);
	put_le16(buf + 58, 0);			/* e_shentsize */
	put_le16(buf + 60, 0);
	put_le16(buf + 62, 0);

	p = buf + EHDR_SIZE;
	for (size_t i = 0; i < in->nr_cpu_notes; i++)
		p = put_phdr(p, PT_NOTE, in->cpu_notes[i].addr, 0, in->cpu_notes[i].addr,
			     in->cpu_notes[i].size, 0, 0);
	if (in->vmcoreinfo.size)
		p = put_phdr(p, PT_NOTE, in->vmcoreinfo.addr, 0, in->vmcoreinfo.addr,
			     in->vmcoreinfo.size, 0, 0);
	if (in->text_size)
		p = put_phdr(p, PT_LOAD, in->text_paddr, in->text_vaddr, in->text_paddr,
			     in->text_size, PF_R | PF_W | PF_X, 0);
	for (size_t i = 0; i < nr_ram; i++)
		p = put_phdr(p, PT_LOAD, ram[i].start, in->page_offset + ram[i].start, ram[i].start,
			     ram[i].end - ram[i].start, PF_R | PF_W | PF_X, 0);
	free(ram);
	*buf_ret = buf;
	*size_ret = size;
	return KD_OK;
}

/* ------------------------------------------------------------------ */
/* Reading the running kernel's values */

static enum kd_status read_small(const char *root, const char *rel, char *buf, size_t bufsz,
				 struct kd_err *err)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "re");
	if (!f)
		return kd_err_sys(err, errno, "cannot open '%s'", path);
	n = fread(buf, 1, bufsz - 1, f);
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		return kd_err_sys(err, e, "cannot read '%s'", path);
	}
	fclose(f);
	buf[n] = '\0';
	return KD_OK;
}

static enum kd_status parse_u64(const char *path, const char *s, int base, uint64_t *ret,
				struct kd_err *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || (*end && *end != '\n' && *end != ' '))
		return kd_err_set(err, KD_ERR_CORRUPT, "'%s': cannot parse '%.40s'", path, s);
	*ret = v;
	return KD_OK;
}

static enum kd_status add_cpu(const char *root, unsigned cpu, struct ldr_elfcore_sys *sys,
			      struct kd_err *err)
{
	char rel[96], buf[64];
	uint64_t addr, size;
	struct ldr_note_buf *v;
	enum kd_status st;

	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/crash_notes", cpu);
	st = read_small(root, rel, buf, sizeof(buf), err);
	if (st == KD_ERR_SYSTEM && err && err->sys_errno == ENOENT)
		return KD_OK;	/* a possible CPU that was never brought up has no directory */
	if (st || (st = parse_u64(rel, buf, 16, &addr, err)))
		return st;
	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/crash_notes_size", cpu);
	if ((st = read_small(root, rel, buf, sizeof(buf), err)) ||
	    (st = parse_u64(rel, buf, 10, &size, err)))
		return st;
	v = realloc(sys->cpu_notes, (sys->nr_cpu_notes + 1) * sizeof(*v));
	if (!v)
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	sys->cpu_notes = v;
	v[sys->nr_cpu_notes++] = (struct ldr_note_buf){ addr, size };
	return KD_OK;
}

/* "0-3,5" */
static enum kd_status read_cpus(const char *root, struct ldr_elfcore_sys *sys, struct kd_err *err)
{
	static const char rel[] = "sys/devices/system/cpu/possible";
	char buf[256], *s;
	enum kd_status st = read_small(root, rel, buf, sizeof(buf), err);

	if (st)
		return st;
	for (s = buf; *s && *s != '\n';) {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;

		if (end == s)
			return kd_err_set(err, KD_ERR_CORRUPT, "'%s': cannot parse '%s'", rel, buf);
		if (*end == '-') {
			s = end + 1;
			hi = strtoul(s, &end, 10);
			if (end == s || hi < lo || hi > 65535)
				return kd_err_set(err, KD_ERR_CORRUPT, "'%s': bad range", rel);
		}
		for (unsigned long c = lo; c <= hi; c++)
			if ((st = add_cpu(root, (unsigned)c, sys, err)))
				return st;
		s = *end == ',' ? end + 1 : end;
	}
	return KD_OK;
}

static enum kd_status read_kcore(const char *root, struct ldr_elfcore_sys *sys,
				 struct kd_err *err)
{
	static const uint64_t text_base = 0xffffffff80000000ull;
	char path[PATH_MAX];
	uint8_t eh[EHDR_SIZE], ph[PHDR_SIZE];
	uint64_t phoff;
	unsigned phnum;
	enum kd_status st = KD_OK;
	int fd, found_map = 0;

	snprintf(path, sizeof(path), "%s/proc/kcore", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_err_sys(err, errno, "cannot open '%s'", path);
	if (pread(fd, eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh, ELFMAG, SELFMAG) ||
	    eh[EI_CLASS] != ELFCLASS64 || eh[EI_DATA] != ELFDATA2LSB ||
	    get_le16(eh + 54) != PHDR_SIZE) {
		st = kd_err_set(err, KD_ERR_CORRUPT, "'%s': not an ELF64 little-endian core", path);
		goto out_close;
	}
	phoff = get_le64(eh + 32);
	phnum = get_le16(eh + 56);
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t vaddr, paddr, size;

		if (pread(fd, ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * PHDR_SIZE)) !=
		    (ssize_t)sizeof(ph)) {
			st = kd_err_set(err, KD_ERR_CORRUPT, "'%s': truncated program headers", path);
			goto out_close;
		}
		vaddr = get_le64(ph + 16);
		paddr = get_le64(ph + 24);
		size = get_le64(ph + 40);
		if (get_le32(ph) != PT_LOAD || paddr == UINT64_MAX)
			continue;
		if (vaddr >= text_base) {
			sys->text_vaddr = vaddr;
			sys->text_paddr = paddr;
			sys->text_size = size;
		} else if (!found_map) {
			sys->page_offset = vaddr - paddr;
			found_map = 1;
		}
	}
	if (!found_map)
		st = kd_err_set(err, KD_ERR_NODATA, "'%s': no direct-map PT_LOAD", path);
out_close:
	close(fd);
	return st;
}

static enum kd_status read_system(const char *root, bool with_kcore, struct ldr_elfcore_sys *ret,
				  struct kd_err *err)
{
	struct ldr_elfcore_sys sys = { 0 };
	char buf[128];
	uint64_t size = 0;
	char *sp;
	enum kd_status st;

	if (!root || !strcmp(root, "/"))
		root = "";
	st = read_cpus(root, &sys, err);
	if (!st)
		st = read_small(root, "sys/kernel/vmcoreinfo", buf, sizeof(buf), err);
	if (!st) {
		sp = strchr(buf, ' ');
		st = parse_u64("sys/kernel/vmcoreinfo", buf, 16, &sys.vmcoreinfo.addr, err);
		if (!st && !sp)
			st = kd_err_set(err, KD_ERR_CORRUPT, "'sys/kernel/vmcoreinfo': no size");
		if (!st)
			st = parse_u64("sys/kernel/vmcoreinfo", sp + 1, 16, &size, err);
		sys.vmcoreinfo.size = size;
	}
	if (!st && with_kcore)
		st = read_kcore(root, &sys, err);
	if (st) {
		ldr_elfcore_sys_deinit(&sys);
		return st;
	}
	*ret = sys;
	return KD_OK;
}

enum kd_status ldr_elfcore_read_system(const char *root, struct ldr_elfcore_sys *ret,
				       struct kd_err *err)
{
	return read_system(root, true, ret, err);
}

enum kd_status ldr_elfcore_read_notes(const char *root, struct ldr_elfcore_sys *ret,
				      struct kd_err *err)
{
	return read_system(root, false, ret, err);
}

void ldr_elfcore_sys_deinit(struct ldr_elfcore_sys *sys)
{
	free(sys->cpu_notes);
	sys->cpu_notes = NULL;
	sys->nr_cpu_notes = 0;
}
