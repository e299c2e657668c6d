/*
 * purgatory/abi.h: the variables the loader patches by symbol name. This is
 * purgatory's whole interface; the loader includes this file for the names
 * and sizes, purgatory defines the variables in purgatory.c.
 */
#ifndef KD_PURGATORY_ABI_H
#define KD_PURGATORY_ABI_H

#include <stdint.h>

/** Number of slots in sha256_regions; unused slots have len 0. */
#define PURGATORY_SHA256_REGIONS 16

/** One physical range whose bytes are hashed, in table order. */
struct purgatory_region {
	uint64_t start;
	uint64_t len;
};

/* Symbol names, as the loader looks them up. */
#define PURGATORY_SYM_ENTRY "purgatory_start"
#define PURGATORY_SYM_REGIONS "sha256_regions"
#define PURGATORY_SYM_DIGEST "sha256_digest"
#define PURGATORY_SYM_SERIAL "serial_base"
#define PURGATORY_SYM_RIP "entry64_rip"
#define PURGATORY_SYM_RSI "entry64_rsi"
/* arm64 */
#define PURGATORY_SYM_ARM64_ENTRY "arm64_kernel_entry"
#define PURGATORY_SYM_ARM64_DTB "arm64_dtb_addr"
#define PURGATORY_SYM_ARM64_UART "arm64_uart_base"

#ifdef KD_PURGATORY
/* The regions to hash (16 x {u64 start, u64 len}, little-endian, 256 bytes). */
extern struct purgatory_region sha256_regions[PURGATORY_SHA256_REGIONS];
/* The SHA-256 of all regions' bytes concatenated in table order (32 bytes). */
extern uint8_t sha256_digest[32];
/* I/O port of an 8250 UART for the mismatch message (u16), 0 = silent. */
extern uint16_t serial_base;
/* Where to jump on success (the capture kernel's 64-bit entry) (u64). */
extern uint64_t entry64_rip;
/* Value for %rsi at the jump (x86_64: the boot_params address) (u64). */
extern uint64_t entry64_rsi;
/* arm64: the capture kernel's entry (Image load address) (u64). */
extern uint64_t arm64_kernel_entry;
/* arm64: physical address of its device tree, passed in x0 (u64). */
extern uint64_t arm64_dtb_addr;
/* arm64: MMIO base of a PL011 UART for the mismatch message (u64), 0 = silent. */
extern uint64_t arm64_uart_base;

/* C part of purgatory: returns only when every digest matches. */
void purgatory_main(void);
#endif

#endif
