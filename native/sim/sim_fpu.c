/* The floating-point extension: see sim_fpu.h. */
#include "sim_fpu.h"
#include "sim_target.h"

sim_step_result sim_fpu_execute(sim_target *t, uint32_t insn, uint32_t pc, unsigned *cycles)
{
    (void)insn;
    (void)pc;
    (void)cycles;
    /* Not yet implemented: every FP instruction is refused as a core without an FPU refuses it. */
    return sim_cpu_fault(&t->cpu, SIM_CFSR_NOCP, 0, false);
}
