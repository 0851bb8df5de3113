/* Exception entry and return (ARMv6-M ARM B1.5.6-B1.5.8; ARMv7-M ARM B1.5.6-B1.5.8): the
 * stack frame, EXC_RETURN, and the switch of mode and stack. Which exception to take, and when,
 * is sim_core's business. */
#include "sim_exc.h"
#include "sim_target.h"

bool sim_cpu_exception_entry(sim_target *t, unsigned number, uint32_t vtor)
{
    sim_cpu *c = &t->cpu;
    uint32_t sp = c->r[13];
    uint32_t realign = sp & 4;
    uint32_t frame = (sp - 0x20) & ~4u;
    uint32_t values[8] = {c->r[0], c->r[1], c->r[2], c->r[3], c->r[12], c->r[14], c->r[15],
                          (c->xpsr & ~XPSR_ALIGN) | (realign ? XPSR_ALIGN : 0)};
    for (unsigned i = 0; i < 8; i++)
        if (sim_bus_write(t, frame + 4 * i, 4, values[i], SIM_MASTER_CPU) != SIM_BUS_OK) return false;
    uint32_t vector;
    if (sim_bus_read(t, vtor + 4 * number, 4, &vector, SIM_MASTER_CPU) != SIM_BUS_OK) return false;
    c->r[13] = frame;
    c->r[14] = sim_cpu_handler_mode(c) ? 0xFFFFFFF1u : sim_cpu_psp_active(c) ? 0xFFFFFFFDu : 0xFFFFFFF9u;
    sim_cpu_switch_stack(c, number, c->control & ~CONTROL_SPSEL);
    c->xpsr = (vector & 1 ? XPSR_T : 0) | (number & XPSR_IPSR);
    c->r[15] = vector & ~1u;
    c->event = true;
    return true;
}

bool sim_exc_return(sim_target *t, uint32_t exc_return)
{
    sim_cpu *c = &t->cpu;
    unsigned returning = c->xpsr & XPSR_IPSR;
    uint32_t to_ipsr_nonzero, spsel;
    switch (exc_return & 0x0FFFFFFFu) {
    case 0x0FFFFFF1: to_ipsr_nonzero = 1; spsel = 0; break;
    case 0x0FFFFFF9: to_ipsr_nonzero = 0; spsel = 0; break;
    case 0x0FFFFFFD: to_ipsr_nonzero = 0; spsel = 1; break;
    default: return false;
    }
    /* Select the stack the frame is on before reading it. */
    uint32_t frame = spsel ? sim_cpu_get_psp(c) : sim_cpu_get_msp(c);
    uint32_t v[8];
    for (unsigned i = 0; i < 8; i++)
        if (sim_bus_read(t, frame + 4 * i, 4, &v[i], SIM_MASTER_CPU) != SIM_BUS_OK) return false;
    unsigned stacked_ipsr = v[7] & XPSR_IPSR;
    if (to_ipsr_nonzero ? stacked_ipsr == 0 : stacked_ipsr != 0) return false;
    sim_core_exception_returned(t, returning);
    uint32_t new_sp = frame + 0x20 + ((v[7] & XPSR_ALIGN) ? 4 : 0);
    sim_cpu_switch_stack(c, stacked_ipsr, spsel ? (c->control | CONTROL_SPSEL) : (c->control & ~CONTROL_SPSEL));
    c->r[13] = new_sp;
    c->r[0] = v[0];
    c->r[1] = v[1];
    c->r[2] = v[2];
    c->r[3] = v[3];
    c->r[12] = v[4];
    c->r[14] = v[5];
    c->r[15] = v[6] & ~1u;
    c->xpsr = (v[7] & 0xF9000000u & ~XPSR_ALIGN) | stacked_ipsr;
    return true;
}


bool sim_exc_fp_used(sim_target *t)
{
    t->cpu.control |= CONTROL_FPCA;
    return true;
}
