/* Exception entry and return: the frame on the stack (with the FP state when CONTROL.FPCA is
 * set, reserved and preserved lazily under FPCCR.LSPEN), EXC_RETURN, mode and stack switch.
 * Which exception to take, and when, is sim_core's business. */
#ifndef SIM_EXC_H
#define SIM_EXC_H

#include "sim_types.h"

typedef enum {
    SIM_EXC_ENTRY_OK = 0,
    SIM_EXC_ENTRY_STKERR, /* a frame write failed: the entry completed, a BusFault (STKERR) follows */
    SIM_EXC_ENTRY_VECTTBL /* the vector read failed: the frame is pushed and LR set, but the core
                             is still where it was; the caller takes HardFault without pushing */
} sim_exc_entry_result;

/* Exception entry (ARMv7-M B1.5.6, ARMv6-M B1.5.6). When `push`, pushes the frame on the active
 * stack (8-byte aligned when CCR.STKALIGN, always for the extended frame) and sets LR to the
 * EXC_RETURN value; without it (a tail-chain: the frame is already there) LR is left alone.
 * Then loads PC from the vector table at VTOR, enters handler mode on MSP with IPSR = `number`,
 * clears CONTROL.FPCA, sets the event register and clears the local exclusive monitor. */
sim_exc_entry_result sim_exc_entry(sim_target *t, unsigned number, bool push);

/* Exception return (B1.5.8), called by the executor when handler mode writes an EXC_RETURN value
 * (0xFxxxxxxx) to the PC. On ARMv7-M always true: an illegal EXC_RETURN (INVPC) or an unstacking
 * BusFault (UNSTKERR) is taken here, as silicon takes it, and the PC then points at the fault
 * handler (the executor must not touch the PC after a true return). On ARMv6-M false when the
 * EXC_RETURN value or the unstacking faults: the executor then faults (HardFault). */
bool sim_exc_return(sim_target *t, uint32_t exc_return);

/* Called by sim_fpu before each FP instruction that CPACR allows (ExecuteFPCheck, B1.5.7 and
 * A7.4): preserves the FP state into the space reserved at FPCAR when FPCCR.LSPACT is set, and,
 * with FPCCR.ASPEN, marks a new FP context (CONTROL.FPCA, FPSCR from FPDSCR). False if the lazy
 * preservation faults (cpu.fault is set: LSPERR); the instruction then does not execute. */
bool sim_exc_fp_used(sim_target *t);

#endif
