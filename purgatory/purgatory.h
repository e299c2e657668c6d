/* purgatory internals: its own string functions, console and halt. */
#ifndef KD_PURGATORY_PRIV_H
#define KD_PURGATORY_PRIV_H

#include <stddef.h>
#include <stdint.h>

/* string.c: the compiler may emit calls to these even with -fno-builtin. */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* arch serial.c: write @s to the console the loader named (none: do nothing). */
void pg_puts(const char *s);

/* arch: stop this CPU forever. */
void pg_halt(void) __attribute__((noreturn));

#endif
