/*
 * purgatory entry on arm64. The first kernel's cpu_soft_restart() jumps here
 * with the MMU and data cache off, at EL2 or EL1, and for kexec_load with no
 * argument in x0 (kexec_load passes no device tree). Take our own stack (the
 * old one is a virtual address), check the digests in C, then enter the
 * capture kernel per the arm64 boot protocol: x0 = the device tree's physical
 * address, x1 = x2 = x3 = 0.
 */
	.text
	.globl	purgatory_start
	.type	purgatory_start, %function
	.balign	8
purgatory_start:
	adrp	x9, stack_end
	add	x9, x9, :lo12:stack_end
	mov	sp, x9
	bl	purgatory_main
	/* digests match: hand over */
	adrp	x9, arm64_dtb_addr
	ldr	x0, [x9, :lo12:arm64_dtb_addr]
	adrp	x9, arm64_kernel_entry
	ldr	x9, [x9, :lo12:arm64_kernel_entry]
	mov	x1, xzr
	mov	x2, xzr
	mov	x3, xzr
	br	x9
	.size	purgatory_start, . - purgatory_start

	.globl	pg_halt
	.type	pg_halt, %function
pg_halt:
1:	wfe
	b	1b
	.size	pg_halt, . - pg_halt

	.data
	.balign	16
stack:
	.fill	4096, 1, 0
stack_end:

	.section .note.GNU-stack, "", %progbits
