/* PLACEHOLDER until the executor lands: replaced wholesale by the module owner. */
#include <string.h>
#include "sim_target.h"
void sim_cpu_reset(sim_target *t) { memset(&t->cpu, 0, sizeof t->cpu); }
sim_step_result sim_cpu_step(sim_target *t, unsigned *cycles) { (void)t; *cycles = 1; return SIM_STEP_FAULT; }
bool sim_cpu_exception_entry(sim_target *t, unsigned number, uint32_t vtor) { (void)t; (void)number; (void)vtor; return false; }
bool sim_cpu_read_reg(sim_target *t, unsigned regsel, uint32_t *value) { if (regsel > 15) return false; *value = t->cpu.r[regsel]; return true; }
bool sim_cpu_write_reg(sim_target *t, unsigned regsel, uint32_t value) { if (regsel > 15) return false; t->cpu.r[regsel] = value; return true; }
