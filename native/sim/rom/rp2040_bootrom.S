@ The simulated RP2040's boot ROM, written for this project (not the Raspberry Pi ROM): what the
@ RP2040 Datasheet (2.7.3, "Bootrom Contents") says target code may rely on, and no more.
@   0x00  initial SP and reset vector (core 0 and core 1 both start here)
@   0x10  'M', 'u', 0x01 and the version byte
@   0x14  16-bit pointers: public function table, public data table, rom_table_lookup
@ The flash functions hand their arguments to the simulator's flash model through a block of
@ model-only registers (FLASHOP, in the XIP_SSI window the real ROM drives the flash through)
@ and wait while it reports busy, so a call takes the flash's own time.
@ Rebuild the C array with scripts/gen-rp2040-bootrom.sh after editing.
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .equ FLASHOP, 0x18000000        @ +0..+0xC r0-r3, +0x10 command, +0x14 busy
    .equ SIO_CPUID, 0xD0000000
    .equ CHIP_RESET, 0x40064008     @ VREG_AND_CHIP_RESET.CHIP_RESET
    .equ PSM_RESTART_FLAG, 0x01000000
    .equ VTOR, 0xE000ED08
    .equ XIP_VECTORS, 0x10000100     @ after the 256-byte boot2 stage

    .org 0x00
    .word 0x20042000
    .word reset + 1
    .word park + 1                  @ NMI
    .word park + 1                  @ HardFault
    .org 0x10
    .byte 'M', 'u', 0x01, 0x03
    .hword func_table, data_table, rom_table_lookup + 1

    .org 0x20
    .thumb_func
reset:
    @ Rescue (a debugger set PSM_RESTART_FLAG through the rescue DP): clear it and stay here.
    ldr r0, =CHIP_RESET
    ldr r1, [r0]
    ldr r2, =PSM_RESTART_FLAG
    tst r1, r2
    bne rescued
    @ Core 1 sleeps in the ROM until launched (not modelled: it stays asleep).
    ldr r0, =SIO_CPUID
    ldr r0, [r0]
    cmp r0, #0
    bne park
    @ Core 0: the application's vector table after boot2 (the model skips boot2 itself).
    ldr r0, =XIP_VECTORS
    ldr r1, [r0]
    adds r2, r1, #1
    beq park                        @ erased flash: nothing to run
    ldr r2, =VTOR
    str r0, [r2]
    msr msp, r1
    ldr r1, [r0, #4]
    bx r1
rescued:
    bics r1, r2
    str r1, [r0]
    .thumb_func
park:
    wfe
    b park

    @ void *rom_table_lookup(uint16_t *table, uint32_t code)
    .thumb_func
rom_table_lookup:
    ldrh r2, [r0]
    cmp r2, #0
    beq 2f
    cmp r2, r1
    beq 1f
    adds r0, #4
    b rom_table_lookup
1:  ldrh r0, [r0, #2]
    bx lr
2:  movs r0, #0
    bx lr

    .macro flash_fn name, op
    .thumb_func
\name:
    push {r4, lr}
    ldr r4, =FLASHOP
    str r0, [r4, #0]
    str r1, [r4, #4]
    str r2, [r4, #8]
    str r3, [r4, #12]
    movs r0, #\op
    str r0, [r4, #16]
1:  ldr r0, [r4, #20]
    cmp r0, #0
    bne 1b
    pop {r4, pc}
    .endm

    flash_fn connect_internal_flash, 1
    flash_fn flash_exit_xip, 2
    flash_fn flash_range_erase, 3
    flash_fn flash_range_program, 4
    flash_fn flash_flush_cache, 5
    flash_fn flash_enter_cmd_xip, 6
    .ltorg

    .balign 4
func_table:
    .hword 'I' | 'F' << 8, connect_internal_flash + 1
    .hword 'E' | 'X' << 8, flash_exit_xip + 1
    .hword 'R' | 'E' << 8, flash_range_erase + 1
    .hword 'R' | 'P' << 8, flash_range_program + 1
    .hword 'F' | 'C' << 8, flash_flush_cache + 1
    .hword 'C' | 'X' << 8, flash_enter_cmd_xip + 1
    .hword 0, 0
data_table:
    .hword 0, 0
