/* The DSP extension of ARMv7E-M: see sim_dsp.h. */
#include "sim_dsp.h"
#include "sim_target.h"

sim_dsp_result sim_dsp_execute(sim_target *t, uint32_t insn, uint32_t pc, unsigned *cycles)
{
    (void)t;
    (void)insn;
    (void)pc;
    (void)cycles;
    return SIM_DSP_NOT_MINE; /* not yet implemented */
}
