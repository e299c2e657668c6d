/* -R: rebuild a dump file from a flattened stream, marking it incomplete if the stream ends early. */
#include "collector/collector-priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_BUF (1u << 20)

/* Read exactly @len bytes; *ret_got tells how many came before end of file. */
static enum kd_status read_exact(int fd, void *buf, size_t len, size_t *ret_got, struct kd_err *err)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_err_sys(err, errno, "cannot read the flattened stream");
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*ret_got = got;
	return KD_OK;
}

/* A stream that ended early: say so in the rebuilt file's header. */
static void mark_incomplete(int fd)
{
	uint8_t h[FMT_KDUMP_HEADER_SIZE];

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return;
	if (memcmp(h, "KDUMP   ", 8) == 0) {
		put_le32(h + 424, get_le32(h + 424) | FMT_KDUMP_STATUS_INCOMPLETE);
		if (pwrite(fd, h + 424, 4, 424) != 4)
			return;
	} else if (memcmp(h, "\177ELF", 4) == 0) {
		size_t at = h[4] == 2 ? 48 : 36;	/* e_flags: DUMP_ELF_INCOMPLETE is bit 0 */

		h[at] |= 1;
		if (pwrite(fd, h + at, 1, (off_t)at) != 1)
			return;
	}
}

/* The records are copied as they are: check that what they built is a dump readers open. */
static enum kd_status check_rebuilt(const char *path, struct kd_err *err)
{
	struct fmt_input *in;
	struct fmt_kdump *kd = NULL;
	struct fmt_vmcore *vc = NULL;
	enum kd_status st = fmt_input_open(path, &in, err);

	if (st != KD_OK)
		return st;
	if (fmt_kdump_probe(in))
		st = fmt_kdump_open(in, &kd, err);
	else
		st = fmt_vmcore_open(in, &vc, err);	/* -E -F streams */
	fmt_kdump_destroy(kd);
	fmt_vmcore_destroy(vc);
	fmt_input_destroy(in);
	if (st != KD_OK)
		kd_err_prefix(err, "the stream rebuilt '%s', which is not a valid dump", path);
	return st;
}

/* Copy each record to its offset; @lim refuses bytes that would land absurdly far out. */
static enum kd_status copy_records(int in_fd, struct col_sink *out, uint8_t *buf,
				   struct fmt_flat_limit *lim, struct kd_err *err)
{
	for (;;) {
		uint8_t rec[FMT_FLAT_RECORD_SIZE];
		uint64_t off, size;
		size_t got;
		bool end;
		enum kd_status st = read_exact(in_fd, rec, sizeof(rec), &got, err);

		if (st != KD_OK)
			return st;
		if (got < sizeof(rec))
			return kd_err_set(err, KD_ERR_CORRUPT,
					  "the flattened stream ends without its end record (truncated)");
		st = fmt_flat_decode_record(rec, &off, &size, &end, err);
		if (st != KD_OK || end)
			return st;
		if (fmt_flat_limit_record(lim, off, size, err) != KD_OK)
			return kd_err_prefix(err, "standard input");
		while (size) {
			size_t chunk = size > COPY_BUF ? COPY_BUF : (size_t)size;

			st = read_exact(in_fd, buf, chunk, &got, err);
			if (st == KD_OK && got && fmt_flat_limit_data(lim, off, buf, got, err) != KD_OK)
				return kd_err_prefix(err, "standard input");
			if (st == KD_OK && got)
				st = col_sink_pwrite(out, buf, got, off, err);
			if (st != KD_OK)
				return st;
			if (got < chunk)
				return kd_err_set(err, KD_ERR_CORRUPT,
						  "the flattened stream ends inside a record (truncated)");
			off += chunk;
			size -= chunk;
		}
	}
}

enum kd_status col_rearrange(const struct col_options *opt, int in_fd, struct col_stats *stats,
			     struct kd_err *err)
{
	uint8_t hdr[FMT_FLAT_HEADER_SIZE];
	struct fmt_flat_limit *lim;
	struct col_sink out;
	struct timespec t0;
	enum kd_status st;
	uint8_t *buf;
	size_t got;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(stats, 0, sizeof(*stats));
	st = read_exact(in_fd, hdr, sizeof(hdr), &got, err);
	if (st != KD_OK)
		return st;
	if (got < sizeof(hdr))
		return kd_err_set(err, KD_ERR_CORRUPT,
				  "standard input is not a flattened dump (only %zu bytes)", got);
	st = fmt_flat_check_header(hdr, err);
	if (st != KD_OK)
		return kd_err_prefix(err, "standard input");
	st = fmt_flat_limit_create(&lim, err);
	if (st != KD_OK)
		return st;
	buf = malloc(COPY_BUF);
	if (!buf) {
		fmt_flat_limit_destroy(lim);
		return kd_err_set(err, KD_ERR_NOMEM, "out of memory");
	}
	st = col_sink_open_file(&out, opt->output, opt->force, err);
	if (st == KD_OK) {
		st = copy_records(in_fd, &out, buf, lim, err);
		if (st == KD_OK)
			st = col_sink_sync(&out, err);
		if (st == KD_OK) {
			st = check_rebuilt(opt->output, err);
			stats->complete = st == KD_OK;
		} else if (st == KD_ERR_CORRUPT) {
			mark_incomplete(out.fd);
			kd_err_prefix(err, "'%s' is incomplete", opt->output);
		}
	}
	if (out.is_open)
		stats->bytes_written = col_sink_close(&out);
	free(buf);
	fmt_flat_limit_destroy(lim);
	stats->seconds = col_elapsed(&t0);
	return st;
}
