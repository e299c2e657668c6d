/* The end-of-run summary, in makedumpfile's page classes. */
#include "collector/collector.h"

/* truncated, as makedumpfile prints it */
static unsigned pct(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned)(part * 100 / whole) : 0;
}

void col_print_stats(FILE *f, const struct col_options *opt, const struct col_stats *s)
{
	uint64_t excluded = s->pages_zero + s->pages_cache + s->pages_cache_private + s->pages_user +
			    s->pages_free + s->pages_hwpoison + s->pages_offline;

	if (opt->show_stats) {
		fprintf(f, "Original pages  : 0x%016llx\n", (unsigned long long)s->pages_present);
		fprintf(f, "  Excluded pages   : 0x%016llx\n", (unsigned long long)excluded);
		fprintf(f, "    Pages filled with zero  : 0x%016llx\n", (unsigned long long)s->pages_zero);
		fprintf(f, "    Non-private cache pages : 0x%016llx\n", (unsigned long long)s->pages_cache);
		fprintf(f, "    Private cache pages     : 0x%016llx\n",
			(unsigned long long)s->pages_cache_private);
		fprintf(f, "    User process data pages : 0x%016llx\n", (unsigned long long)s->pages_user);
		fprintf(f, "    Free pages              : 0x%016llx\n", (unsigned long long)s->pages_free);
		fprintf(f, "    Hwpoison pages          : 0x%016llx\n", (unsigned long long)s->pages_hwpoison);
		fprintf(f, "    Offline pages           : 0x%016llx\n", (unsigned long long)s->pages_offline);
		fprintf(f, "  Remaining pages  : 0x%016llx\n",
			(unsigned long long)(s->pages_present - excluded));
		fprintf(f, "  (The number of pages is reduced to %u%%.)\n",
			pct(s->pages_present - excluded, s->pages_present));
		fprintf(f, "Memory Hole     : 0x%016llx\n",
			(unsigned long long)(s->max_mapnr - s->pages_present));
		fprintf(f, "--------------------------------------------------\n");
		fprintf(f, "Total pages     : 0x%016llx\n", (unsigned long long)s->max_mapnr);
		if (s->pages_read_failed)	/* kept, but the source could not read them */
			fprintf(f, "Unreadable pages: 0x%016llx (listed as not written)\n",
				(unsigned long long)s->pages_read_failed);
	}
	if (opt->message_level & 2) {
		char unread[48] = "";

		if (s->pages_read_failed)
			snprintf(unread, sizeof(unread), ", %llu unreadable",
				 (unsigned long long)s->pages_read_failed);
		fprintf(f,
			"vmcore-save: %s: %llu pages in memory, %llu kept (%llu zero, %llu stored raw%s), %llu bytes written in %.2fs%s\n",
			opt->output ? opt->output : "standard output", (unsigned long long)s->pages_present,
			(unsigned long long)s->pages_written, (unsigned long long)s->pages_zero,
			(unsigned long long)s->pages_raw, unread, (unsigned long long)s->bytes_written,
			s->seconds, s->complete ? "" : " (INCOMPLETE)");
	}
}
