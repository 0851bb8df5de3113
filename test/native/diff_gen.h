/* Random instruction generators for the differential test against Unicorn
 * (test_sim_diff_unicorn.c). Each encoding class is one generator; the harness keeps a table of
 * them, runs random streams drawn from it in the simulator and in Unicorn, and compares every
 * register, flag and memory write after each instruction.
 *
 * The interface, for anyone adding a class (gen_dsp.c, gen_fpu.c):
 *
 *   uint32_t gen(uint64_t *rng);
 *
 * returns ONE instruction: a 32-bit Thumb-2 encoding as hw1 << 16 | hw2, or a 16-bit encoding in
 * the low half made with DIFF_T16(hw) (upper half zero: no 32-bit encoding has a zero first
 * halfword, so the two never collide). Draw every random choice from `rng` with diff_rand /
 * diff_pick, so a printed seed reproduces the stream.
 *
 * What a generated instruction may do (the harness sets the machine up so):
 *  - write only the registers diff_dest() returns: r0-r5 and r8-r12;
 *  - read any of r0-r12 (diff_src()); r6 holds DIFF_DATA_BASE and r7 a small word-aligned offset
 *    (0..DIFF_R7_MAX); r7 never changes, r6 only by the base writeback of a load or store (the
 *    harness compares it, then puts r6 back to DIFF_DATA_BASE before the next instruction);
 *  - access memory only through r6 (plus an immediate within +-DIFF_DATA_REACH, or r7 shifted
 *    left by at most 3), or through SP within the DIFF_STACK_SLACK bytes above it, or PC-relative
 *    (literal) forward by at most 4 KiB;
 *  - store to [r6 + DIFF_EXCL_OFFSET, r6 + DIFF_EXCL_END) only with STREX: that area belongs
 *    to the exclusive monitor (Unicorn's STREX also compares the memory value);
 *  - never branch, never write SP or PC, never fault (no UNDEFINED or UNPREDICTABLE encodings, no
 *    unaligned LDM/STM/LDRD/STRD/LDREX forms), no SVC/BKPT/WFI/WFE, no MSR to special registers.
 *    What cannot be compared this way is tested by directed tests.
 *  - FPU classes (DIFF_ISA_FPU and up, gen_fpu.c): the harness enables CP10/CP11 in CPACR in
 *    both emulators, makes an FP context active, and also compares S0-S31 and FPSCR. */
#ifndef DIFF_GEN_H
#define DIFF_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIFF_T16(hw) ((uint32_t)(uint16_t)(hw))
#define DIFF_IS_T16(insn) (((insn) >> 16) == 0)

#define DIFF_DATA_BASE 0x20003000u /* r6 */
#define DIFF_DATA_REACH 0x1000u    /* r6 +- this stays inside the data window */
#define DIFF_R7_MAX 0x7Cu          /* r7: 0, 4, ..., 0x7C */
#define DIFF_STACK_SLACK 256u      /* bytes at [SP, SP + slack) that may be read and written */
#define DIFF_EXCL_OFFSET 0x3F0u    /* [r6 + this, r6 + END): the exclusive monitor's area */
#define DIFF_EXCL_END 0x400u

/* Which profiles a class runs on. */
enum {
    DIFF_ISA_V7M = 1u << 0,  /* Cortex-M3 and up */
    DIFF_ISA_DSP = 1u << 1,  /* ARMv7E-M: Cortex-M4/M7 */
    DIFF_ISA_FPU = 1u << 2,  /* single precision FPU */
    DIFF_ISA_FPDP = 1u << 3, /* double precision FPU */
    DIFF_ISA_FPV5 = 1u << 4  /* FPv5 (Cortex-M7): VSEL, VMAXNM, VRINT, VCVTA... */
};

typedef struct diff_gen_class {
    const char *name;
    uint32_t (*gen)(uint64_t *rng);
    unsigned needs;  /* DIFF_ISA_* bits all required */
    unsigned weight; /* relative frequency in a stream */
} diff_gen_class;

/* xorshift64*: deterministic from the seed */
static inline uint32_t diff_rand(uint64_t *rng)
{
    uint64_t x = *rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

static inline unsigned diff_pick(uint64_t *rng, unsigned n)
{
    return diff_rand(rng) % n;
}

/* A 32-bit Thumb-2 encoding from its two halfwords */
static inline uint32_t diff_t32(uint32_t hw1, uint32_t hw2)
{
    return hw1 << 16 | (hw2 & 0xFFFFu);
}

/* Whether a store of `size` bytes at r6 + `off` reaches the exclusive monitor's area. */
static inline bool diff_in_excl(uint32_t off, unsigned size)
{
    return off + size > DIFF_EXCL_OFFSET && off < DIFF_EXCL_END;
}

/* A register the instruction may write: r0-r5, r8-r12. */
static inline unsigned diff_dest(uint64_t *rng)
{
    static const unsigned regs[] = {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12};
    return regs[diff_pick(rng, 11)];
}

/* A register the instruction may read: r0-r12. */
static inline unsigned diff_src(uint64_t *rng)
{
    return diff_pick(rng, 13);
}

/* The classes each file exports (a NULL-name entry ends each table). CMake compiles every
 * test/native/gen_*.c into test_sim_diff_unicorn; a new table is declared here and added to
 * class_tables[] in test_sim_diff_unicorn.c. */
extern const diff_gen_class diff_gen_base[]; /* ARMv7-M base instruction set: gen_base.c */
extern const diff_gen_class diff_gen_dsp[];  /* the DSP extension: gen_dsp.c (also test_sim_dsp.c) */
extern const diff_gen_class diff_gen_fpu[];  /* the FPU: gen_fpu.c (also test_sim_fpu.c) */

#endif
