/* rusage: run a command, then print its wall time, CPU times and peak RSS on one line.
 *
 *   rusage [-o FILE] COMMAND [ARG...]
 *
 * Prints "wall=S user=S sys=S maxrss_kib=N status=N" (to FILE if given, else to stderr).
 * The command's own output is left alone; the caller redirects it. Exit status is the
 * command's (128+signal if it was killed). Used by bench/run: /usr/bin/time works too,
 * but this has no locale or format surprises and measures wall time with a monotonic clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	struct rusage ru;
	double t0, wall;
	int status, code, first = 1;
	FILE *out = stderr;
	pid_t pid;

	if (argc > 2 && strcmp(argv[1], "-o") == 0) {
		out_path = argv[2];
		first = 3;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: rusage [-o FILE] COMMAND [ARG...]\n");
		return 2;
	}
	t0 = bench_clock(CLOCK_MONOTONIC);
	pid = fork();
	if (pid < 0) {
		perror("rusage: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[first], argv + first);
		fprintf(stderr, "rusage: %s: %s\n", argv[first], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("rusage: wait4");
			return 2;
		}
	}
	wall = bench_clock(CLOCK_MONOTONIC) - t0;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (out_path) {
		out = fopen(out_path, "w");
		if (!out) {
			perror(out_path);
			return 2;
		}
	}
	fprintf(out, "wall=%.4f user=%.4f sys=%.4f maxrss_kib=%ld status=%d\n", wall,
		bench_tv(ru.ru_utime), bench_tv(ru.ru_stime), ru.ru_maxrss, code);
	if (out != stderr && fclose(out) != 0) {
		perror(out_path);
		return 2;
	}
	return code;
}
