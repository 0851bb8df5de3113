/* The floating-point extension (ARMv7-M ARM A7.5, A7.7; FPv4-SP on Cortex-M4, FPv5 on Cortex-M7):
 * the instructions in coprocessor space CP10/CP11, FPSCR, and the CPACR gate. */
#ifndef SIM_FPU_H
#define SIM_FPU_H

#include "sim_cpu.h"

/* Executes one 32-bit instruction whose first halfword is 0xEC00-0xEFFF in coprocessor space
 * (bits [11:9] of the second halfword = 0b101, i.e. CP10/CP11). `insn` is hw1 << 16 | hw2 and
 * `pc` the instruction's address. On SIM_STEP_OK the PC has moved on; on SIM_STEP_FAULT,
 * cpu.fault says why: NOCP when the profile has no FPU or CPACR denies access, UNDEFINSTR for
 * an encoding this FPU does not implement (double precision on a single-precision FPU, ...).
 * The caller has already checked the IT condition. */
sim_step_result sim_fpu_execute(sim_target *t, uint32_t insn, uint32_t pc, unsigned *cycles);

#endif
