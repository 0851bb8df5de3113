/* Random instruction generators for the floating-point extension, one per encoding class, in the
 * shape of the shared differential harness (test/native/diff_gen.h: its RNG, its class type, its
 * rules):
 *  - core registers written: diff_dest()'s only; r6 is the data base (DIFF_DATA_BASE) and memory
 *    is reached through r6 +- 1020 bytes or r6 + up to 128 bytes for VLDM/VSTM, never storing
 *    into the exclusive monitor's area;
 *  - no UNDEFINED or UNPREDICTABLE encodings for the core the class is marked for (DIFF_ISA_FPU,
 *    DIFF_ISA_FPDP, DIFF_ISA_FPV5);
 *  - the classes marked GEN_FPU_WRITEBACK change SP (VPUSH/VPOP) or r7 (VLDM/VSTM with
 *    writeback): a harness that keeps SP and r7 fixed (diff_gen.h's) skips them.
 * The classes are in diff_gen_fpu[] (diff_gen.h). */
#ifndef GEN_FPU_H
#define GEN_FPU_H

#include "diff_gen.h"

/* Beside the DIFF_ISA_* bits of diff_gen.h: a class that changes SP or r7. */
enum { GEN_FPU_WRITEBACK = 1u << 5 };

/* The FPSCR bits of ARMv7-M (N Z C V, AHP DN FZ RMode, IDC IXC UFC OFC DZC IOC): the ones to
 * compare with Unicorn, whose FPSCR also holds the A-profile QC, Len, Stride and trap bits. */
#define GEN_FPU_FPSCR_MASK 0xF7C0009Fu

/* A random FPSCR: any flags, modes sometimes (AHP, DN, FZ), any rounding mode. */
uint32_t gen_fpu_fpscr(uint64_t *rng);

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

#endif
