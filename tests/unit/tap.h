/* A tiny TAP-style harness for the table-driven unit tests. */
#ifndef KD_TAP_H
#define KD_TAP_H

#include <stdio.h>

struct tap {
	int passed;
	int failed;
};

/* Record one check: prints "ok - NAME" or "not ok - NAME (file:line)". */
#define TAP_CHECK(t, cond, ...)                                                 \
	do {                                                                    \
		const int tap_ok_ = !!(cond);                                   \
		if (tap_ok_) {                                                  \
			(t)->passed++;                                          \
			printf("ok - ");                                        \
		} else {                                                        \
			(t)->failed++;                                          \
			printf("not ok - ");                                    \
		}                                                               \
		printf(__VA_ARGS__);                                            \
		if (!tap_ok_)                                                   \
			printf(" (%s:%d: %s)", __FILE__, __LINE__, #cond);      \
		printf("\n");                                                   \
	} while (0)

static inline int tap_finish(const struct tap *t)
{
	printf("# %d passed, %d failed\n", t->passed, t->failed);
	return t->failed ? 1 : 0;
}

#endif
