/* The floating-point extension (ARMv7-M ARM A7.5, A7.7; FPv4-SP on Cortex-M4, FPv5 on Cortex-M7):
 * the instructions in coprocessor space CP10/CP11, FPSCR, and the CPACR gate. */
#ifndef SIM_FPU_H
#define SIM_FPU_H

#include "sim_cpu.h"

/* Executes one 32-bit instruction of coprocessor space with coprocessor 10 or 11 (ARMv7-M
 * A5.3.18): first halfword 111x 11xx xxxx xxxx (0xEC00-0xEFFF, and 0xFC00-0xFFFF where FPv5
 * puts VSEL, VMAXNM/VMINNM, VRINT{A,N,P,M} and VCVT{A,N,P,M} at 0xFE00-0xFEFF), second halfword
 * xxxx 101x xxxx xxxx (bits [11:9] = 0b101). Within that the decoder must not pick out anything
 * itself: every such encoding comes here, the FPU's and the UNDEFINED ones alike. (Coprocessor
 * space with another coprocessor number is NOCP on these cores; this function answers that
 * too if given one.) `insn` is hw1 << 16 | hw2 and `pc` the instruction's address.
 *
 * On SIM_STEP_OK the PC has moved on (pc + 4) and `*cycles` holds the Cortex-M4 timing (1 for
 * most, 3 for the multiply-accumulates, 14 for VDIV/VSQRT, 2 for VLDR/VSTR, 1 + N for VLDM/VSTM).
 * On SIM_STEP_FAULT no register has changed and cpu.fault says why: NOCP when the profile has
 * no FPU or CPACR denies access (CP10 for single-precision encodings, CP11 for double; access
 * 01 is privileged only), UNDEFINSTR for an encoding this FPU does not implement (double
 * precision on a single-precision FPU, FPv5 on FPv4, D16-D31, UNPREDICTABLE register choices),
 * UNALIGNED or a bus fault from VLDR/VSTR/VLDM/VSTM. sim_exc_fp_used is called once the access
 * check has passed. The caller has already checked the IT condition. */
sim_step_result sim_fpu_execute(sim_target *t, uint32_t insn, uint32_t pc, unsigned *cycles);

#endif
