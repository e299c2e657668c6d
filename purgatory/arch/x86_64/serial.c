/* purgatory console (x86_64): polled output on an 8250/16550 UART already set up by the first kernel. */
#include "purgatory/abi.h"
#include "purgatory/purgatory.h"
#include "purgatory/arch/x86_64/io.h"

enum {
	UART_TX = 0,		/* transmit holding register */
	UART_LSR = 5,		/* line status register */
	UART_LSR_THRE = 0x20,	/* transmit holding register empty */
	UART_SPIN_MAX = 100000,	/* give up waiting on a dead UART */
};

/* Patched by the loader (purgatory/abi.h): the 8250's I/O port, 0 = silent. */
uint16_t serial_base = 0;

static void serial_putc(uint16_t base, char c)
{
	for (unsigned i = 0; i < UART_SPIN_MAX; i++)
		if (pg_inb((uint16_t)(base + UART_LSR)) & UART_LSR_THRE)
			break;
	pg_outb((uint16_t)(base + UART_TX), (uint8_t)c);
}

void pg_puts(const char *s)
{
	uint16_t base = serial_base;

	if (!base)
		return;
	while (*s)
		serial_putc(base, *s++);
}
