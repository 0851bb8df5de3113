/* Exception entry and return: the frame on the stack, EXC_RETURN, mode and stack switch. */
#ifndef SIM_EXC_H
#define SIM_EXC_H

#include "sim_types.h"

/* Exception entry (B1.5.6): pushes the frame on the active stack, sets LR to the EXC_RETURN
 * value, IPSR to `number`, switches to MSP and loads PC from the vector table at `vtor`.
 * Returns false if the push or the vector fetch faults (the caller locks up or escalates). */
bool sim_cpu_exception_entry(sim_target *t, unsigned number, uint32_t vtor);

/* Exception return (B1.5.8), called by the executor when handler mode writes an EXC_RETURN
 * value to the PC. Returns false if the EXC_RETURN value or the unstacking faults. */
bool sim_exc_return(sim_target *t, uint32_t exc_return);

/* Called by sim_fpu before each FP instruction that CPACR allows: the place for lazy state
 * preservation (FPCCR.LSPACT) and for setting CONTROL.FPCA. False if the lazy preservation
 * faults (cpu.fault is set). */
bool sim_exc_fp_used(sim_target *t);

#endif
