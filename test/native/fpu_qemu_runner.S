@ A Linux user-mode program for qemu-arm -cpu max (ARMv8-A AArch32: the FPv5 instructions in
@ double precision, which no Unicorn model executes). It reads records from stdin, runs the one
@ Thumb-2 FP instruction each holds, and writes the FP registers back:
@   in:  insn (hw1 << 16 | hw2), S0-S31, FPSCR, APSR           (140 bytes)
@   out: S0-S31, FPSCR, APSR after the instruction              (136 bytes)
@ test_sim_fpu.c builds the records and compares the simulator with the answers.
    .syntax unified
    .arch armv8-a
    .fpu fp-armv8
    .thumb

    .text
    .global _start
    .thumb_func
_start:
next:
    ldr r4, =inbuf
    movs r5, #140
    mov r6, r4
read_more:
    movs r0, #0
    mov r1, r6
    mov r2, r5
    movs r7, #3                 @ read
    svc #0
    cmp r0, #0
    ble finish
    add r6, r6, r0
    subs r5, r5, r0
    bne read_more
    ldr r0, [r4]
    ror r0, r0, #16             @ hw1 first in memory
    ldr r1, =slot
    str r0, [r1]
    mov r0, r1
    add r1, r0, #8
    movs r2, #0
    movw r7, #0x0002
    movt r7, #0x000F            @ __ARM_NR_cacheflush
    svc #0
    add r0, r4, #4
    vldm r0, {d0-d15}
    ldr r1, [r4, #132]
    vmsr fpscr, r1
    ldr r1, [r4, #136]
    msr APSR_nzcvq, r1
    ldr r0, =slot + 1
    blx r0
    vmrs r1, fpscr
    mrs r2, APSR
    ldr r4, =outbuf
    mov r0, r4
    vstm r0, {d0-d15}
    str r1, [r4, #128]
    str r2, [r4, #132]
    movs r0, #1
    mov r1, r4
    mov r2, #136
    movs r7, #4                 @ write
    svc #0
    b next
finish:
    movs r0, #0
    movs r7, #1                 @ exit
    svc #0
    .ltorg

    .data
    .align 3
inbuf:
    .space 140
outbuf:
    .space 136
    .section .slot, "awx"
    .align 2
slot:                           @ the instruction under test, then the return
    .hword 0xBF00, 0xBF00
    bx lr
    nop
