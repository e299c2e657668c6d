/* Progress lines: one updating line on a terminal, plain lines otherwise. */
#include "collector/collector-priv.h"

#include <unistd.h>

double col_elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

void col_progress_start(struct col_progress *p, FILE *f, bool enabled, const char *what,
			uint64_t total)
{
	p->f = f;
	p->enabled = enabled;
	p->tty = isatty(fileno(f));
	p->what = what;
	p->total = total ? total : 1;
	p->last_pct = -1;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static void progress_print(struct col_progress *p, uint64_t done, bool final)
{
	double secs = col_elapsed(&p->start);
	int pct = (int)(done * 100 / p->total);

	fprintf(p->f, "%s%s: %3d%% (%llu of %llu pages) %.1fs%s", p->tty ? "\r" : "", p->what, pct,
		(unsigned long long)done, (unsigned long long)p->total, secs,
		(p->tty && !final) ? "" : "\n");
	fflush(p->f);
}

void col_progress_update(struct col_progress *p, uint64_t done)
{
	int pct;

	if (!p->enabled)
		return;
	pct = (int)(done * 100 / p->total);
	if (p->tty) {
		if (col_elapsed(&p->last) < 0.2)
			return;
	} else if (pct / 10 == p->last_pct / 10 || col_elapsed(&p->last) < 1.0) {
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	p->last_pct = pct;
	progress_print(p, done, false);
}

void col_progress_end(struct col_progress *p, uint64_t done)
{
	if (p->enabled)
		progress_print(p, done, true);
}
