/* The DSP extension of ARMv7E-M (ARMv7-M ARM A4.4-A4.6, "ARMv7E-M only" instructions): the SIMD
 * adds and subtracts, the saturating arithmetic, the halfword and dual multiplies and
 * multiply-accumulates, SEL, USAD8/USADA8, the packing and extend-and-add forms, and the GE flags. */
#ifndef SIM_DSP_H
#define SIM_DSP_H

#include "sim_cpu.h"

typedef enum {
    SIM_DSP_NOT_MINE = 0, /* not a DSP-extension encoding: the caller decodes it */
    SIM_DSP_DONE,         /* executed; registers, flags and PC updated */
    SIM_DSP_FAULT         /* a DSP encoding on a core without the extension, or UNPREDICTABLE
                             register use: cpu.fault holds UNDEFINSTR */
} sim_dsp_result;

/* Tries one 32-bit instruction from the data-processing (register) space (first halfword
 * 0xFA00-0xFAFF) or the multiply space (0xFB00-0xFBFF). `insn` is hw1 << 16 | hw2, `pc` its
 * address. The caller has already checked the IT condition. */
sim_dsp_result sim_dsp_execute(sim_target *t, uint32_t insn, uint32_t pc, unsigned *cycles);

/* GE flags live in xPSR[19:16] (APSR.GE). */
#define XPSR_GE_SHIFT 16
#define XPSR_GE_MASK (0xFu << XPSR_GE_SHIFT)

#endif
