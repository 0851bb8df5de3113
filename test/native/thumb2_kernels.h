/* Small Thumb-2 programs for the ARMv7-M executor, each a vector table (SP, reset) and code
 * linked at 0x08000000 that loops forever: the benchmark runs the first, the differential test
 * runs both in lockstep with Unicorn. Assembled with arm-none-eabi-as from the listings. */
#ifndef THUMB2_KERNELS_H
#define THUMB2_KERNELS_H

#include <stdint.h>

#define THUMB2_KERNEL_BASE 0x08000000u

/* A Thumb-2 kernel as a compiler for Cortex-M3/M4 emits it: a CRC-like loop over a buffer with
 * LDR/STR (register offset), UBFX, an IT block, MLA/MLS, RBIT/CLZ, UDIV, LDRD/STRD and
 * PUSH.W/POP.W. Assembled with arm-none-eabi-as from this listing, linked at 0x08000000:
 *   .word 0x20002000, start + 1
 *   start: movw r0, #0; movt r0, #0x2000; mov.w r1, #256; movs r2, #0
 *   fill:  str.w r2, [r0, r2, lsl #2]; add.w r2, r2, #1; cmp r2, r1; bne.n fill
 *          ldr.w r7, =0xEDB88320
 *   outer: movs r3, #0; mvn r4, #0
 *   loop:  ldr.w r5, [r0, r3, lsl #2]; eor.w r4, r4, r5; ubfx r6, r4, #0, #1; lsrs r4, r4, #1
 *          cmp r6, #0; it ne; eorne.w r4, r4, r7; mla r8, r5, r3, r8; rbit r9, r5; clz r10, r9
 *          add.w r8, r8, r10; udiv r11, r8, r1; mls r11, r11, r1, r8; str.w r11, [r0, r3, lsl #2]
 *          adds r3, #1; cmp.w r3, #256; bne.w loop
 *          ldrd r5, r6, [r0, #8]; strd r5, r6, [r0, #16]; push.w {r4-r11}; pop.w {r4-r11}
 *          cmp r4, #0; b.w outer */
static const uint16_t thumb2_kernel_crc[] __attribute__((unused)) = {
    0x2000, 0x2000, 0x0009, 0x0800, 0xF240, 0x0000, 0xF2C2, 0x0000, 0xF44F, 0x7180, 0x2200,
    0xF840, 0x2022, 0xF102, 0x0201, 0x428A, 0xD1F9, 0xF8DF, 0x705C, 0x2300, 0xF06F, 0x0400,
    0xF850, 0x5023, 0xEA84, 0x0405, 0xF3C4, 0x0600, 0x0864, 0x2E00, 0xBF18, 0xEA84, 0x0407,
    0xFB05, 0x8803, 0xFA95, 0xF9A5, 0xFAB9, 0xFA89, 0xEB08, 0x080A, 0xFBB8, 0xFBF1, 0xFB0B,
    0x8B11, 0xF840, 0xB023, 0x3301, 0xF5B3, 0x7F80, 0xF47F, 0xAFE2, 0xE9D0, 0x5602, 0xE9C0,
    0x5604, 0xE92D, 0x0FF0, 0xE8BD, 0x0FF0, 0x2C00, 0xF7FF, 0xBFD4, 0x0000, 0x8320, 0xEDB8,
};

/* Branches and calls: TBB and TBH switches, BL, BLX, POP {pc}, LDR pc post-indexed, CBNZ, an IT
 * block, B back to the loop:
 *   .word 0x20002000, start + 1
 *   start: movs r4, #0; movs r5, #0; movs r6, #0
 *   loop:  and r1, r4, #3; tbb [pc, r1]
 *   table: .byte (c0 - table) / 2, (c1 - table) / 2, (c2 - table) / 2, (c3 - table) / 2
 *   c0:    adds r5, #1; b next
 *   c1:    bl func; b next
 *   c2:    lsr r1, r4, #2; and r1, r1, #1; tbh [pc, r1, lsl #1]
 *   htable: .hword (h0 - htable) / 2, (h1 - htable) / 2
 *   h0:    subs r5, #2; b next
 *   h1:    adr r2, next + 1; push {r2}; ldr.w pc, [sp], #4
 *   c3:    push {r4, lr}; adr r3, func + 1; blx r3; pop {r4, lr}; cbnz r6, next; movs r6, #1
 *   next:  adds r4, #1; cmp r4, #200; it hs; movhs r4, #0; b loop
 *   func:  push {r7, lr}; adds r6, #3; pop {r7, pc} */
static const uint16_t thumb2_kernel_branches[] __attribute__((unused)) = {
    0x2000, 0x2000, 0x0009, 0x0800, 0x2400, 0x2500, 0x2600, 0xF004, 0x0103, 0xE8DF, 0xF001,
    0x0402, 0x1607, 0x3501, 0xE019, 0xF000, 0xF81D, 0xE016, 0xEA4F, 0x0194, 0xF001, 0x0101,
    0xE8DF, 0xF011, 0x0002, 0x0004, 0x3D02, 0xE00C, 0xF20F, 0x0217, 0xB404, 0xF85D, 0xFB04,
    0xB510, 0xF20F, 0x0315, 0x4798, 0xE8BD, 0x4010, 0xB906, 0x2601, 0x3401, 0x2CC8, 0xBF28,
    0x2400, 0xE7D8, 0xB580, 0x3603, 0xBD80,
};

/* The little-endian bytes of a kernel, for sim_target_load. */
static inline unsigned thumb2_kernel_bytes(const uint16_t *kernel, unsigned halfwords, uint8_t *out)
{
    for (unsigned i = 0; i < halfwords; i++) {
        out[2 * i] = (uint8_t)kernel[i];
        out[2 * i + 1] = (uint8_t)(kernel[i] >> 8);
    }
    return 2 * halfwords;
}

#endif
