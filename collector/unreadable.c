/* Kept pages whose read fails: counted and reported; the dump goes on without them. */
#include "collector/collector-priv.h"

#include <errno.h>
#include <string.h>

bool col_read_failure(enum kd_status st, const struct kd_err *err)
{
	/* a kdump input (re-filtering) that is itself incomplete: the page was never written */
	if (st == KD_ERR_NODATA)
		return true;
	if (st != KD_ERR_SYSTEM || !err)
		return false;
	/* /proc/vmcore: EIO from a failed copy of old memory, EFAULT on some architectures,
	 * EHWPOISON for a poisoned page; anything else (ENOMEM, EBADF) ends the run */
	switch (err->sys_errno) {
	case EIO:
	case EFAULT:
	case ENXIO:
#ifdef EHWPOISON
	case EHWPOISON:
#endif
		return true;
	default:
		return false;
	}
}

void col_note_unreadable(struct col_stats *s, uint64_t pfn, const struct kd_err *err)
{
	const size_t nfirst = sizeof(s->read_failed_pfn) / sizeof(s->read_failed_pfn[0]);

	if (s->pages_read_failed < nfirst)
		s->read_failed_pfn[s->pages_read_failed] = pfn;
	if (!s->read_error[0] && err)
		snprintf(s->read_error, sizeof(s->read_error), "%.190s", err->msg);
	s->pages_read_failed++;
}

void col_report_unreadable(FILE *warn, const struct col_stats *s, const char *how)
{
	const size_t nfirst = sizeof(s->read_failed_pfn) / sizeof(s->read_failed_pfn[0]);
	char list[128];	/* 4 pfns in hex */
	size_t len = 0;

	if (!warn || !s->pages_read_failed)
		return;
	list[0] = '\0';
	for (size_t i = 0; i < nfirst && i < s->pages_read_failed; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%#llx", i ? " " : "",
					(unsigned long long)s->read_failed_pfn[i]);
	if (s->pages_read_failed > nfirst)
		snprintf(list + len, sizeof(list) - len, " ...");
	fprintf(warn,
		"vmcore-save: warning: %llu kept page%s could not be read (pfn %s; %s): %s, the "
		"dump goes on\n",
		(unsigned long long)s->pages_read_failed, s->pages_read_failed == 1 ? "" : "s", list,
		s->read_error, how);
}

enum kd_status col_unreadable_error(struct kd_err *err, const char *file,
				    const struct col_stats *s, const char *what)
{
	return kd_err_set(err, KD_ERR_SYSTEM,
			  "'%s' is incomplete: %llu kept page%s could not be read and %s %s; the "
			  "other %llu pages are saved", file ? file : "standard output",
			  (unsigned long long)s->pages_read_failed, s->pages_read_failed == 1 ? "" : "s",
			  s->pages_read_failed == 1 ? "is" : "are", what,
			  (unsigned long long)s->pages_written);
}
