/* purgatory console (arm64): polled output on a PL011 UART (QEMU virt: 0x09000000). */
#include "purgatory/abi.h"
#include "purgatory/purgatory.h"

enum {
	PL011_DR = 0x00,	/* data register */
	PL011_FR = 0x18,	/* flag register */
	PL011_FR_TXFF = 1 << 5,	/* transmit FIFO full */
	UART_SPIN_MAX = 100000,	/* give up waiting on a dead UART */
};

/* Patched by the loader (purgatory/abi.h); with the MMU off these are physical addresses. */
uint64_t arm64_kernel_entry = 0;
uint64_t arm64_dtb_addr = 0;
uint64_t arm64_uart_base = 0;

static void pl011_putc(uintptr_t base, char c)
{
	volatile uint32_t *fr = (volatile uint32_t *)(base + PL011_FR);
	volatile uint32_t *dr = (volatile uint32_t *)(base + PL011_DR);

	for (unsigned i = 0; i < UART_SPIN_MAX; i++)
		if (!(*fr & PL011_FR_TXFF))
			break;
	*dr = (uint32_t)(unsigned char)c;
}

void pg_puts(const char *s)
{
	uintptr_t base = (uintptr_t)arm64_uart_base;

	if (!base)
		return;
	while (*s)
		pl011_putc(base, *s++);
}
