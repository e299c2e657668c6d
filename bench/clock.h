/* Time in seconds for the bench helpers: a clock (monotonic for wall, the CPU clocks for CPU)
 * and a struct timeval from getrusage(). */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <sys/time.h>
#include <time.h>

static inline double bench_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bench_tv(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

#endif
