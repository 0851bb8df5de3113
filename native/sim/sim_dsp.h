/* The DSP extension of ARMv7E-M (ARMv7-M ARM A4.4-A4.6, "ARMv7E-M only" instructions): the SIMD
 * adds and subtracts, the saturating arithmetic, the halfword and dual multiplies and
 * multiply-accumulates, SEL, USAD8/USADA8, the packing and extend-and-add forms, and the GE flags.
 *
 * Where the integer decoder must call sim_dsp_execute (after the IT condition passed), by the
 * first halfword hw1 of a 32-bit instruction:
 *
 *   0xEAC0-0xEADF  data processing (shifted register), op 0110: PKHBT/PKHTB (S=1 or T=1: UNDEFINED)
 *   0xF320-0xF32F  plain binary immediate: SSAT16 when hw2[15]=0 and imm3:imm2 (hw2[14:12],
 *                  hw2[7:6]) = 0; otherwise it is SSAT with ASR, returned as NOT_MINE
 *   0xF3A0-0xF3AF  likewise USAT16 / USAT with ASR
 *   0xFA00-0xFAFF  data processing (register): the parallel adds and subtracts, QADD/QSUB/QDADD/
 *                  QDSUB, SEL, SXTAB/SXTAH/UXTAB/UXTAH, SXTAB16/SXTB16/UXTAB16/UXTB16
 *   0xFB00-0xFBFF  multiply and long multiply: SMLA<x><y>, SMUL<x><y>, SMLAW<y>, SMULW<y>,
 *                  SMLAD(X), SMUAD(X), SMLSD(X), SMUSD(X), SMMLA(R), SMMLS(R), SMMUL(R), USAD8,
 *                  USADA8, SMLAL<x><y>, SMLALD(X), SMLSLD(X), UMAAL
 *
 * Everything else in those ranges is NOT_MINE: the base ARMv7-M instructions (LSL/LSR/ASR/ROR.W
 * register, SXTB/SXTH/UXTB/UXTH without add, REV/REV16/REVSH/RBIT/CLZ, MUL/MLA/MLS, SMULL/UMULL/
 * SMLAL/UMLAL, SDIV/UDIV, SSAT/USAT) and the unallocated encodings, which the caller decodes or
 * treats as UNDEFINED. Calling it for any other 32-bit instruction is harmless (NOT_MINE). */
#ifndef SIM_DSP_H
#define SIM_DSP_H

#include "sim_cpu.h"

typedef enum {
    SIM_DSP_NOT_MINE = 0, /* not a DSP-extension encoding: the caller decodes it */
    SIM_DSP_DONE,         /* executed; registers, flags and PC updated */
    SIM_DSP_FAULT         /* a DSP encoding on a core without the extension (ARMv7-M, ARMv6-M), an
                             UNDEFINED PKH form, or UNPREDICTABLE use of SP/PC: cpu.fault holds
                             UNDEFINSTR; nothing else changed, PC still at the instruction */
} sim_dsp_result;

/* Tries one 32-bit instruction. `insn` is hw1 << 16 | hw2, `pc` its address. The caller has
 * already checked the IT condition. On SIM_DSP_DONE, r[15] = pc + 4 and `*cycles` holds the
 * Cortex-M4 timing (one cycle for every DSP instruction). */
sim_dsp_result sim_dsp_execute(sim_target *t, uint32_t insn, uint32_t pc, unsigned *cycles);

/* GE flags live in xPSR[19:16] (APSR.GE). */
#define XPSR_GE_SHIFT 16
#define XPSR_GE_MASK (0xFu << XPSR_GE_SHIFT)

#endif
