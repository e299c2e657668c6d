/* -i VMCOREINFO, -x VMLINUX and -g: VMCOREINFO from a text file or a debug vmlinux, merged by key. */
#include "collector/collector-priv.h"
#include "collector/vmlinux-priv.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VMCI_FILE_MAX (1u << 20)		/* as formats/ accepts */
#define X86_64_START_KERNEL_MAP 0xffffffff80000000ull
#define MISMATCH "is not the dumped kernel"

/* Length of the key of the line at @p (the text before '='), 0 if the line has none. */
static size_t key_len(const char *p, const char *end)
{
	for (const char *q = p; q < end && *q != '\n' && *q; q++)
		if (*q == '=')
			return (size_t)(q - p);
	return 0;
}

static const char *line_end(const char *p, const char *end)
{
	while (p < end && *p != '\n' && *p)
		p++;
	return p;
}

static bool text_has_key(const char *text, size_t len, const char *key, size_t klen)
{
	if (!text)
		return false;
	const char *end = text + len;

	for (const char *p = text; p < end;) {
		const char *e = line_end(p, end);

		if (key_len(p, e) == klen && !memcmp(p, key, klen))
			return true;
		p = e < end ? e + 1 : end;
	}
	return false;
}

struct merge_buf {
	char *buf;
	size_t len;
	size_t cap;
};

static bool append(struct merge_buf *m, const char *p, size_t n)
{
	if (m->len + n + 2 > m->cap) {
		size_t ncap = (m->len + n + 2) * 2;
		char *nb = realloc(m->buf, ncap);

		if (!nb)
			return false;
		m->buf = nb;
		m->cap = ncap;
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
	m->buf[m->len++] = '\n';
	m->buf[m->len] = '\0';
	return true;
}

/* Append the lines of @text whose key is in neither @a nor @b (either may be NULL). */
static bool append_missing(struct merge_buf *m, const char *text, size_t len, const char *a,
			   size_t alen, const char *b, size_t blen,
			   void (*on_add)(void *ctx, const char *key), void *ctx)
{
	if (!text)
		return true;
	const char *end = text + len;

	for (const char *p = text; p < end;) {
		const char *e = line_end(p, end);
		size_t k = key_len(p, e);

		if (e == p && e < end && *e == '\0')
			break;	/* the note's terminating NUL and padding */
		if (e > p && (!k || (!text_has_key(a, alen, p, k) && !text_has_key(b, blen, p, k)))) {
			if (!append(m, p, (size_t)(e - p)))
				return false;
			if (on_add && k) {
				char key[128];

				snprintf(key, sizeof(key), "%.*s", (int)k, p);
				on_add(ctx, key);
			}
		}
		p = e < end ? e + 1 : end;
	}
	return true;
}

enum kd_status col_vmci_merge(const char *first, size_t first_len, const char *second,
			      size_t second_len, const char *third, size_t third_len,
			      void (*on_third)(void *ctx, const char *key), void *ctx,
			      char **ret, size_t *ret_len, struct kd_err *err)
{
	struct merge_buf m = { 0 };

	if (!append_missing(&m, first, first_len, NULL, 0, NULL, 0, NULL, NULL) ||
	    !append_missing(&m, second, second_len, first, first_len, NULL, 0, NULL, NULL) ||
	    !append_missing(&m, third, third_len, first, first_len, second, second_len, on_third,
			    ctx)) {
		free(m.buf);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory for VMCOREINFO");
	}
	if (!m.buf) {
		m.buf = strdup("");
		if (!m.buf)
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory for VMCOREINFO");
	}
	*ret = m.buf;
	*ret_len = m.len;
	return KD_OK;
}

static enum kd_status read_text_file(const char *path, char **ret, size_t *ret_len,
				     struct kd_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *buf;
	size_t got = 0;
	enum kd_status st;

	if (fd < 0)
		return kd_err_sys(err, errno, "cannot open '%s'", path);
	if (fstat(fd, &sb) != 0) {
		st = kd_err_sys(err, errno, "cannot stat '%s'", path);
		goto out_close;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > VMCI_FILE_MAX) {
		st = kd_err_set(err, KD_ERR_INVALID, "'%s' is not a VMCOREINFO text file (at most %u bytes)",
				path, VMCI_FILE_MAX);
		goto out_close;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		st = kd_err_set(err, KD_ERR_NOMEM, "out of memory");
		goto out_close;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			st = n < 0 ? kd_err_sys(err, errno, "cannot read '%s'", path)
				   : kd_err_set(err, KD_ERR_CORRUPT, "'%s' shrank while read", path);
			free(buf);
			goto out_close;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	*ret = buf;
	*ret_len = got;
	return KD_OK;

out_close:
	close(fd);
	return st;
}

/* Kernel-image virtual address to physical, from the dump's own VMCOREINFO. */
struct kread_ctx {
	struct col_source *src;
	const struct fmt_vmcoreinfo *vi;
};

static bool kread(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	const struct kread_ctx *k = ctx;
	struct kd_err ignored;
	uint64_t paddr;
	int64_t v;

	if (!k->vi)
		return false;
	if (k->src->machine == EM_X86_64 && vaddr >= X86_64_START_KERNEL_MAP &&
	    fmt_vmci_number(k->vi, "phys_base", &v))
		paddr = vaddr - X86_64_START_KERNEL_MAP + (uint64_t)v;
	else if (k->src->machine == EM_AARCH64 && fmt_vmci_number(k->vi, "kimage_voffset", &v))
		paddr = vaddr - (uint64_t)v;
	else
		return false;
	kd_err_clear(&ignored);
	return col_source_read_phys(k->src, paddr, buf, len, &ignored) == KD_OK;
}

static void log_vmlinux_key(void *ctx, const char *key)
{
	if (ctx)
		fprintf(ctx, "vmcore-save: %s taken from VMLINUX\n", key);
}

/* The vmlinux must be the dead kernel's: same build ID, else same release. */
static enum kd_status check_match(const struct col_vmlinux *vl, const struct fmt_vmcoreinfo *vi,
				  const char *path, const char *gen, struct kd_err *err)
{
	const char *want_id = vi ? fmt_vmci_str(vi, "BUILD-ID") : NULL;
	const char *want_rel = vi ? fmt_vmci_str(vi, "OSRELEASE") : NULL;
	char id[2 * 64 + 1];
	const char *rel = strstr(gen, "OSRELEASE=");

	if (want_id && col_vmlinux_build_id(vl, id, sizeof(id))) {
		if (strcmp(id, want_id) != 0)
			return kd_err_set(err, KD_ERR_INVALID,
					  "'%s' (build ID %s) " MISMATCH " (build ID %s)",
					  path, id, want_id);
		return KD_OK;
	}
	if (want_rel && rel) {
		rel += strlen("OSRELEASE=");
		size_t n = strcspn(rel, "\n");

		if (strlen(want_rel) != n || strncmp(rel, want_rel, n) != 0)
			return kd_err_set(err, KD_ERR_INVALID,
					  "'%s' (release %.*s) " MISMATCH " (release %s)",
					  path, (int)n, rel, want_rel);
	}
	return KD_OK;
}

static enum kd_status vmlinux_text(struct col_source *src, const struct fmt_vmcoreinfo *vi,
				   const char *path, char **ret, size_t *ret_len,
				   struct kd_err *err)
{
	struct col_vmlinux *vl;
	struct kread_ctx kc = { src, vi };
	uint64_t kaslr = 0;
	enum kd_status st;

	st = col_vmlinux_open(path, col_vmlinux_key_types, &vl, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "-x");
	if (vi)
		fmt_vmci_kerneloffset(vi, &kaslr);
	st = col_vmlinux_keys(vl, kaslr, kread, &kc, true, ret, ret_len, err);
	if (st == KD_OK) {
		st = check_match(vl, vi, path, *ret, err);
		if (st != KD_OK) {
			free(*ret);
			*ret = NULL;
		}
	}
	col_vmlinux_close(vl);
	return st;
}

/* Drop the lines that only describe the vmlinux file itself (they are not the dump's). */
static void drop_release_lines(char *text, size_t *len)
{
	static const char *const keys[] = { "OSRELEASE=", "BUILD-ID=", "PAGESIZE=" };
	char *w = text;

	for (char *p = text; p < text + *len;) {
		char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
		bool drop = false;

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			drop |= !strncmp(p, keys[i], strlen(keys[i]));
		if (!drop) {
			memmove(w, p, n);
			w += n;
		}
		p += n;
	}
	*w = '\0';
	*len = (size_t)(w - text);
}

/* KERNELOFFSET=hex of a VMCOREINFO text. */
static bool text_kerneloffset(const char *text, size_t len, uint64_t *ret)
{
	const char *end = text + len;

	for (const char *p = text; p < end;) {
		const char *e = line_end(p, end);

		if (e - p > 13 && !strncmp(p, "KERNELOFFSET=", 13)) {
			char hex[20];
			char *stop;

			snprintf(hex, sizeof(hex), "%.*s", (int)(e - p - 13), p + 13);
			*ret = strtoull(hex, &stop, 16);
			return *stop == '\0' && hex[0];
		}
		p = e < end ? e + 1 : end;
	}
	return false;
}

/*
 * A -g file (KERNELOFFSET=0) or a note of another boot: move its SYMBOL values to the dump's
 * KASLR offset and drop its KERNELOFFSET line, so that the dump's is used.
 */
static enum kd_status rebase_symbols(char **text, size_t *len, uint64_t delta,
				     struct kd_err *err)
{
	struct merge_buf m = { 0 };
	const char *end = *text + *len;

	for (const char *p = *text; p < end;) {
		const char *e = line_end(p, end);
		const char *eq = memchr(p, '=', (size_t)(e - p));
		char line[256];
		bool ok;

		if (e - p > 13 && !strncmp(p, "KERNELOFFSET=", 13)) {
			ok = true;
		} else if (eq && !strncmp(p, "SYMBOL(", 7) && e - eq < 24) {
			char hex[24], *stop;
			uint64_t v;

			snprintf(hex, sizeof(hex), "%.*s", (int)(e - eq - 1), eq + 1);
			v = strtoull(hex, &stop, 16);
			if (*stop || !hex[0]) {
				ok = append(&m, p, (size_t)(e - p));
			} else {
				int n = snprintf(line, sizeof(line), "%.*s=%llx", (int)(eq - p), p,
						 (unsigned long long)(v + delta));

				ok = n > 0 && (size_t)n < sizeof(line) && append(&m, line, (size_t)n);
			}
		} else {
			ok = e == p || append(&m, p, (size_t)(e - p));
		}
		if (!ok) {
			free(m.buf);
			return kd_err_set(err, KD_ERR_NOMEM, "out of memory for VMCOREINFO");
		}
		p = e < end ? e + 1 : end;
	}
	free(*text);
	*text = m.buf ? m.buf : strdup("");
	*len = m.len;
	return *text ? KD_OK : kd_err_set(err, KD_ERR_NOMEM, "out of memory for VMCOREINFO");
}

enum kd_status col_vmci_apply(struct col_source *src, const struct col_options *opt, FILE *log,
			      struct kd_err *err)
{
	const char *note = src->vi ? (const char *)src->notes + src->vmcoreinfo_off : NULL;
	size_t note_len = src->vi ? src->vmcoreinfo_size : 0;
	char *file = NULL, *gen = NULL, *merged = NULL;
	size_t file_len = 0, gen_len = 0, merged_len;
	struct fmt_vmcoreinfo *vi = NULL;
	enum kd_status st = KD_OK;

	if (!opt->vmcoreinfo_in && !opt->vmlinux)
		return KD_OK;
	if (opt->vmcoreinfo_in) {
		st = read_text_file(opt->vmcoreinfo_in, &file, &file_len, err);
		/* checked alone first, so that errors name the file's own line numbers */
		if (st == KD_OK && fmt_vmcoreinfo_parse(file, file_len, &vi, err) != KD_OK)
			st = kd_err_prefix(err, "'%s'", opt->vmcoreinfo_in);
		fmt_vmcoreinfo_destroy(vi);
		vi = NULL;
	}
	uint64_t file_off, dump_off;

	if (st == KD_OK && file && src->vi && text_kerneloffset(file, file_len, &file_off) &&
	    fmt_vmci_kerneloffset(src->vi, &dump_off) && file_off != dump_off)
		st = rebase_symbols(&file, &file_len, dump_off - file_off, err);
	if (st == KD_OK && opt->vmlinux) {
		st = vmlinux_text(src, src->vi, opt->vmlinux, &gen, &gen_len, err);
		if (st == KD_OK && (src->vi || file))
			drop_release_lines(gen, &gen_len);
	}
	if (st == KD_OK)
		st = col_vmci_merge(file, file_len, note, note_len, gen, gen_len, log_vmlinux_key,
				    log, &merged, &merged_len, err);
	if (st == KD_OK) {
		st = fmt_vmcoreinfo_parse(merged, merged_len, &vi, err);
		if (st != KD_OK)
			kd_err_prefix(err, "VMCOREINFO merged from %s", opt->vmcoreinfo_in ? "-i" : "-x");
	}
	if (st == KD_OK && fmt_vmci_pagesize(vi) != src->page_size) {
		st = fmt_vmci_pagesize(vi)
			? kd_err_set(err, KD_ERR_INVALID,
				     "VMCOREINFO PAGESIZE %llu differs from the dump's %llu",
				     (unsigned long long)fmt_vmci_pagesize(vi),
				     (unsigned long long)src->page_size)
			: kd_err_set(err, KD_ERR_INVALID, "VMCOREINFO from -i has no PAGESIZE");
	}
	if (st == KD_OK) {
		fmt_vmcoreinfo_destroy(src->vi);
		src->vi = vi;
		vi = NULL;
		src->warning[0] = '\0';
	}
	fmt_vmcoreinfo_destroy(vi);
	free(file);
	free(gen);
	free(merged);
	return st;
}

bool col_vmci_mismatch(const struct kd_err *err)
{
	return err->status == KD_ERR_INVALID && strstr(err->msg, MISMATCH) != NULL;
}

enum kd_status col_vmci_generate(const char *vmlinux, const char *out, bool force,
				 struct kd_err *err)
{
	struct col_vmlinux *vl;
	char *text;
	size_t len;
	enum kd_status st;
	int fd;

	st = col_vmlinux_open(vmlinux, col_vmlinux_key_types, &vl, err);
	if (st != KD_OK)
		return st;
	st = col_vmlinux_keys(vl, 0, NULL, NULL, true, &text, &len, err);
	col_vmlinux_close(vl);
	if (st != KD_OK)
		return st;
	/* the symbols are link-time addresses: -i moves them to the dump's KASLR offset */
	char *full = realloc(text, len + sizeof("KERNELOFFSET=0\n"));

	if (!full) {
		free(text);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	text = full;
	memcpy(text + len, "KERNELOFFSET=0\n", sizeof("KERNELOFFSET=0\n"));
	len += sizeof("KERNELOFFSET=0\n") - 1;
	st = col_open_output(out, force, &fd, err);
	if (st == KD_OK) {
		for (size_t done = 0; done < len && st == KD_OK;) {
			ssize_t n = write(fd, text + done, len - done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				st = kd_err_sys(err, n < 0 ? errno : ENOSPC, "cannot write '%s'", out);
			else
				done += (size_t)n;
		}
		if (close(fd) != 0 && st == KD_OK)
			st = kd_err_sys(err, errno, "cannot write '%s'", out);
		if (st != KD_OK)
			unlink(out);
	}
	free(text);
	return st;
}
