/* x86_64 port I/O for purgatory. */
#ifndef KD_PURGATORY_X86_64_IO_H
#define KD_PURGATORY_X86_64_IO_H

#include <stdint.h>

static inline void pg_outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t pg_inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#endif
