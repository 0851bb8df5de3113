/* Random instruction generators for the floating-point extension, one per encoding class, in the
 * shape of the shared differential harness (test/native/diff_gen.h):
 *
 *   uint32_t gen(uint64_t *rng);   returns hw1 << 16 | hw2
 *
 * The rules they keep (the same as diff_gen.h's):
 *  - core registers written: r0-r5 and r8-r12 only; r6 is the data base (GEN_FPU_DATA_BASE) and
 *    memory is reached through r6 +- 1020 bytes or r6 + up to 128 bytes for VLDM/VSTM;
 *  - no UNDEFINED or UNPREDICTABLE encodings for the core the class is marked for;
 *  - the classes marked GEN_FPU_WRITEBACK change SP (VPUSH/VPOP) or r7 (VLDM/VSTM with
 *    writeback): a harness that keeps SP and r7 fixed skips them.
 * The random choices come from `rng` with gen_fpu_rand (the xorshift64* of diff_gen.h), so a
 * printed seed reproduces a stream. */
#ifndef GEN_FPU_H
#define GEN_FPU_H

#include <stdint.h>

#define GEN_FPU_DATA_BASE 0x20003000u

/* what a class needs: the same values as diff_gen.h's DIFF_ISA_FPU / DIFF_ISA_FPDP, and two more */
enum {
    GEN_FPU_SP = 1u << 2,        /* a single-precision FPU (FPv4-SP and up) */
    GEN_FPU_DP = 1u << 3,        /* double precision */
    GEN_FPU_V5 = 1u << 4,        /* FPv5 (Cortex-M7) */
    GEN_FPU_WRITEBACK = 1u << 5  /* changes SP or r7 */
};

typedef struct gen_fpu_class {
    const char *name;
    uint32_t (*gen)(uint64_t *rng);
    unsigned needs;  /* GEN_FPU_* bits all required */
    unsigned weight;
} gen_fpu_class;

static inline uint32_t gen_fpu_rand(uint64_t *rng)
{
    uint64_t x = *rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *rng = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

static inline unsigned gen_fpu_pick(uint64_t *rng, unsigned n) { return gen_fpu_rand(rng) % n; }

/* single precision (FPv4-SP) */
uint32_t gen_fpu_arith_sp(uint64_t *rng);   /* VADD VSUB VMUL VNMUL VDIV VMLA VMLS VNMLA VNMLS VFMA VFMS VFNMA VFNMS */
uint32_t gen_fpu_unary_sp(uint64_t *rng);   /* VMOV reg/imm, VABS, VNEG, VSQRT, VCMP(E) incl. #0 */
uint32_t gen_fpu_cvt_sp(uint64_t *rng);     /* VCVT(R) int, VCVT fixed, VCVTB/VCVTT half */
uint32_t gen_fpu_ldst(uint64_t *rng);       /* VLDR/VSTR S and D, VLDM/VSTM IA without writeback off r6 */
uint32_t gen_fpu_move(uint64_t *rng);       /* VMOV core<->S, 2 core<->2 S, 2 core<->D, scalar; VMRS, VMSR */
uint32_t gen_fpu_stack(uint64_t *rng);      /* VPUSH/VPOP, VLDM/VSTM IA!/DB! off r7 */
/* FPv5, single precision */
uint32_t gen_fpu_v5_sp(uint64_t *rng);      /* VSEL VMAXNM VMINNM VRINT{A,N,P,M,X,Z,R} VCVT{A,N,P,M} */
/* double precision (Cortex-M7 with the DP FPU) */
uint32_t gen_fpu_arith_dp(uint64_t *rng);
uint32_t gen_fpu_unary_dp(uint64_t *rng);
uint32_t gen_fpu_cvt_dp(uint64_t *rng);     /* int, fixed, F32<->F64 */
uint32_t gen_fpu_v5_dp(uint64_t *rng);      /* the FPv5 group in double precision, VCVTB/VCVTT F64<->F16 */

/* All of them; a NULL name ends the table. */
extern const gen_fpu_class gen_fpu_classes[];

#endif
