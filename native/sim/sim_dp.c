/* PLACEHOLDER until the debug-port module lands: replaced wholesale by the module owner. */
#include "sim_target.h"
void sim_dp_init(sim_target *t) { (void)t; }
void sim_dp_reset(sim_target *t, sim_reset_kind kind) { (void)t; (void)kind; }
unsigned sim_dp_transfer(sim_target *t, bool ap, bool read, unsigned addr, uint32_t *data) { (void)t; (void)ap; (void)read; (void)addr; (void)data; return SIM_ACK_NONE; }
void sim_fault_inject(sim_target *t, sim_fault_kind kind, uint32_t count) { (void)t; (void)kind; (void)count; }
