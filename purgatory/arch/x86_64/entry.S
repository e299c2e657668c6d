/*
 * purgatory entry on x86_64. The kernel's relocate_kernel jumps here in long
 * mode with interrupts off and an identity map of RAM, but with a GDT and
 * stack that belong to the dead kernel. Load our own flat GDT (the 64-bit boot
 * protocol wants __BOOT_CS = 0x10 and __BOOT_DS = 0x18), take our own stack,
 * check the digests in C, then enter the capture kernel with %rsi = boot_params.
 */
	.text
	.code64
	.globl	purgatory_start
	.type	purgatory_start, @function
purgatory_start:
	cli
	cld
	lgdt	gdt_desc(%rip)
	movl	$0x18, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	stack_end(%rip), %rsp
	/* reload %cs with 0x10 through a far return */
	pushq	$0x10
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:
	movabsq	$purgatory_main, %rax
	call	*%rax
	/* digests match: hand over */
	movq	entry64_rsi(%rip), %rsi
	movq	entry64_rip(%rip), %rax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	jmp	*%rax
	.size	purgatory_start, . - purgatory_start

	.globl	pg_halt
	.type	pg_halt, @function
pg_halt:
	cli
2:	hlt
	jmp	2b
	.size	pg_halt, . - pg_halt

	.data
	.balign	16
gdt:
	.quad	0			/* 0x00 null */
	.quad	0			/* 0x08 unused */
	.quad	0x00af9a000000ffff	/* 0x10 64-bit code, flat */
	.quad	0x00cf92000000ffff	/* 0x18 data, flat 4 GiB */
gdt_end:
	.balign	8
	.word	0, 0, 0			/* so the limit+base pair below is 8-aligned past the word */
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.balign	16
stack:
	.fill	4096, 1, 0
stack_end:

	.section .note.GNU-stack, "", @progbits
