/* PLACEHOLDER until the core module lands: replaced wholesale by the module owner. */
#include "sim_target.h"
void sim_core_attach(sim_target *t) { (void)t; }
void sim_core_reset(sim_target *t, sim_reset_kind kind) { (void)kind; t->core.halted = false; }
void sim_core_run(sim_target *t, uint64_t until_ps) { t->core.time_ps = until_ps; }
void sim_core_exception_returned(sim_target *t, unsigned number) { (void)t; (void)number; }
void sim_dwt_on_access(sim_target *t, uint32_t addr, unsigned size, bool is_write, uint32_t value) { (void)t; (void)addr; (void)size; (void)is_write; (void)value; }
