/* Exception entry and return (ARMv6-M ARM B1.5.6-B1.5.8; ARMv7-M ARM B1.5.6-B1.5.8, B1.5.7 for
 * the FP context): the stack frame, EXC_RETURN, the switch of mode and stack, and the lazy
 * preservation of the FP state. Which exception to take, and when, is sim_core's business. */
#include "sim_exc.h"
#include "sim_target.h"

#define BASIC_FRAME 0x20u
#define EXTENDED_FRAME 0x68u /* + S0-S15, FPSCR, a reserved word */
#define FP_WORDS 17u         /* S0-S15 and FPSCR */
#define FPDSCR_MASK 0x07C00000u /* AHP, DN, FZ, RMode */

static bool is_v6m(const sim_target *t)
{
    return sim_profile_isa(t->profile) == SIM_ISA_V6M;
}

/* The FP extension is there: CONTROL.FPCA, the extended frame and EXC_RETURN bit 4 exist. */
static bool has_fp(const sim_target *t)
{
    return sim_profile_fpu(t->profile) != SIM_FPU_NONE;
}

/* The xPSR bits an exception return restores from the frame: the flags, the IT/ICI state and T,
 * the GE bits with the DSP extension (B1.5.8 PopStack); ARMv6-M has only N, Z, C, V and T. */
static uint32_t restored_xpsr_bits(const sim_target *t)
{
    switch (sim_profile_isa(t->profile)) {
    case SIM_ISA_V6M: return 0xF1000000u;
    case SIM_ISA_V7M: return 0xFF00FC00u;
    default: return 0xFF0FFC00u;
    }
}

static bool write_word(sim_target *t, uint32_t addr, uint32_t value)
{
    return sim_bus_write(t, addr, 4, value, SIM_MASTER_CPU) == SIM_BUS_OK;
}

static bool read_word(sim_target *t, uint32_t addr, uint32_t *value)
{
    return sim_bus_read(t, addr, 4, value, SIM_MASTER_CPU) == SIM_BUS_OK;
}

/* UpdateFPCCR (B1.5.6): the lazy frame's space is reserved at `fpcar`; record what the deferred
 * preservation needs (privilege, mode, which faults could then be taken). */
static void reserve_fp_state(sim_target *t, uint32_t fpcar)
{
    sim_core *k = &t->core;
    const sim_cpu *c = &t->cpu;
    int priority = sim_core_execution_priority(t);
    uint32_t f = k->fpccr & ~(SIM_FPCCR_USER | SIM_FPCCR_THREAD | SIM_FPCCR_HFRDY | SIM_FPCCR_MMRDY |
                              SIM_FPCCR_BFRDY | SIM_FPCCR_MONRDY);
    f |= SIM_FPCCR_LSPACT;
    if (!sim_cpu_handler_mode(c)) {
        f |= SIM_FPCCR_THREAD;
        if (c->control & CONTROL_NPRIV) f |= SIM_FPCCR_USER;
    }
    if (priority > -1) f |= SIM_FPCCR_HFRDY;
    if ((k->shcsr & SIM_SHCSR_BUSFAULTENA) && priority > sim_core_exception_priority(t, SIM_EXC_BUSFAULT))
        f |= SIM_FPCCR_BFRDY;
    if ((k->shcsr & SIM_SHCSR_MEMFAULTENA) && priority > sim_core_exception_priority(t, SIM_EXC_MEMMANAGE))
        f |= SIM_FPCCR_MMRDY;
    if ((k->demcr & (1u << 16)) && priority > sim_core_exception_priority(t, SIM_EXC_DEBUGMON)) /* MON_EN */
        f |= SIM_FPCCR_MONRDY;
    k->fpccr = f;
    k->fpcar = fpcar & ~7u;
}

/* PushStack (B1.5.6): false if a frame write failed (the stack pointer moves all the same). */
static bool push_frame(sim_target *t)
{
    sim_cpu *c = &t->cpu;
    sim_core *k = &t->core;
    bool fp = has_fp(t) && (c->control & CONTROL_FPCA);
    uint32_t size = fp ? EXTENDED_FRAME : BASIC_FRAME;
    bool force_align = fp || is_v6m(t) || (k->ccr & SIM_CCR_STKALIGN);
    uint32_t sp = c->r[13];
    uint32_t realign = force_align ? (sp & 4) : 0;
    uint32_t frame = (sp - size) & (force_align ? ~7u : ~3u);
    uint32_t values[8] = {c->r[0], c->r[1], c->r[2], c->r[3], c->r[12], c->r[14], c->r[15],
                          (c->xpsr & ~XPSR_ALIGN) | (realign ? XPSR_ALIGN : 0)};
    bool ok = true;
    for (unsigned i = 0; i < 8; i++) ok &= write_word(t, frame + 4 * i, values[i]);
    if (fp) {
        if (k->fpccr & SIM_FPCCR_LSPEN) {
            reserve_fp_state(t, frame + BASIC_FRAME);
        } else {
            for (unsigned i = 0; i < 16; i++) ok &= write_word(t, frame + BASIC_FRAME + 4 * i, c->s[i]);
            ok &= write_word(t, frame + BASIC_FRAME + 0x40, c->fpscr);
        }
    }
    c->r[13] = frame;
    uint32_t mode = sim_cpu_handler_mode(c) ? 0x1u : sim_cpu_psp_active(c) ? 0xDu : 0x9u;
    c->r[14] = has_fp(t) ? 0xFFFFFFE0u | (fp ? 0 : 0x10u) | mode : 0xFFFFFFF0u | mode;
    return ok;
}

sim_exc_entry_result sim_exc_entry(sim_target *t, unsigned number, bool push)
{
    sim_cpu *c = &t->cpu;
    bool stacked = push ? push_frame(t) : true;
    uint32_t vector;
    if (!read_word(t, t->core.vtor + 4 * number, &vector)) return SIM_EXC_ENTRY_VECTTBL;
    uint32_t control = c->control & ~CONTROL_SPSEL;
    if (has_fp(t)) control &= ~CONTROL_FPCA;
    sim_cpu_switch_stack(c, number, control);
    /* APSR is UNKNOWN in the handler: the flags, Q and GE are left as they were (as silicon,
     * QEMU and Unicorn leave them); the IT state is cleared, T comes from the vector. */
    c->xpsr = (c->xpsr & 0xF80F0000u) | (vector & 1 ? XPSR_T : 0) | (number & XPSR_IPSR);
    c->r[15] = vector & ~1u;
    c->event = true;
    sim_cpu_clear_exclusive(c);
    return stacked ? SIM_EXC_ENTRY_OK : SIM_EXC_ENTRY_STKERR;
}

/* --- exception return ------------------------------------------------------------------------ */

/* The frame as read from the stack before anything is committed. */
typedef struct frame_values {
    uint32_t v[8];
    uint32_t fp[FP_WORDS];
} frame_values;

static bool read_frame(sim_target *t, uint32_t frame, bool fp, frame_values *out)
{
    for (unsigned i = 0; i < 8; i++)
        if (!read_word(t, frame + 4 * i, &out->v[i])) return false;
    if (fp && !(t->core.fpccr & SIM_FPCCR_LSPACT))
        for (unsigned i = 0; i < FP_WORDS; i++)
            if (!read_word(t, frame + BASIC_FRAME + 4 * i, &out->fp[i])) return false;
    return true;
}

/* PopStack (B1.5.8) with the values already read: registers, FP state, SP, xPSR, CONTROL. */
static void commit_frame(sim_target *t, const frame_values *f, uint32_t frame, bool fp, uint32_t exc_return)
{
    sim_cpu *c = &t->cpu;
    sim_core *k = &t->core;
    bool to_psp = (exc_return & 0xF) == 0xD;
    bool force_align = fp || is_v6m(t) || (k->ccr & SIM_CCR_STKALIGN);
    uint32_t size = fp ? EXTENDED_FRAME : BASIC_FRAME;
    unsigned ipsr = f->v[7] & (is_v6m(t) ? 0x3Fu : XPSR_IPSR);
    if (fp) {
        if (k->fpccr & SIM_FPCCR_LSPACT) {
            k->fpccr &= ~SIM_FPCCR_LSPACT; /* never preserved: the registers still hold the state */
        } else {
            for (unsigned i = 0; i < 16; i++) c->s[i] = f->fp[i];
            c->fpscr = f->fp[16];
        }
    }
    uint32_t control = to_psp ? (c->control | CONTROL_SPSEL) : (c->control & ~CONTROL_SPSEL);
    if (has_fp(t)) control = fp ? (control | CONTROL_FPCA) : (control & ~CONTROL_FPCA);
    sim_cpu_switch_stack(c, ipsr, control);
    c->r[13] = frame + size + ((force_align && (f->v[7] & XPSR_ALIGN)) ? 4 : 0);
    c->r[0] = f->v[0];
    c->r[1] = f->v[1];
    c->r[2] = f->v[2];
    c->r[3] = f->v[3];
    c->r[12] = f->v[4];
    c->r[14] = f->v[5];
    c->r[15] = f->v[6] & ~1u;
    c->xpsr = (f->v[7] & restored_xpsr_bits(t)) | ipsr;
    c->event = true;
    sim_cpu_clear_exclusive(c);
}

/* ARMv6-M (B1.5.8): a bad EXC_RETURN or unstacking fault is the executor's HardFault. */
static bool return_v6m(sim_target *t, uint32_t exc_return)
{
    sim_cpu *c = &t->cpu;
    unsigned returning = c->xpsr & XPSR_IPSR;
    unsigned kind = exc_return & 0x0FFFFFFFu;
    if (kind != 0x0FFFFFF1 && kind != 0x0FFFFFF9 && kind != 0x0FFFFFFD) return false;
    uint32_t frame = kind == 0x0FFFFFFD ? sim_cpu_get_psp(c) : sim_cpu_get_msp(c);
    frame_values f;
    if (!read_frame(t, frame, false, &f)) return false;
    bool to_handler = kind == 0x0FFFFFF1;
    if (to_handler != ((f.v[7] & 0x3F) != 0)) return false;
    sim_core_exception_returned(t, returning);
    commit_frame(t, &f, frame, false, exc_return);
    return true;
}

/* The return failed after `returning` was deactivated: take the fault without stacking, with
 * LR = EXC_RETURN (B1.5.8: the INVPC cases; UNSTKERR the same way). */
static bool return_fault(sim_target *t, uint32_t exc_return, uint32_t cfsr_bit)
{
    t->cpu.r[14] = exc_return;
    sim_cpu_fault(&t->cpu, cfsr_bit, 0, false);
    sim_core_fault_on_return(t);
    return true;
}

bool sim_exc_return(sim_target *t, uint32_t exc_return)
{
    if (is_v6m(t)) return return_v6m(t, exc_return);
    sim_cpu *c = &t->cpu;
    sim_core *k = &t->core;
    unsigned returning = c->xpsr & XPSR_IPSR;
    unsigned nested = sim_core_active_count(t);
    bool active = returning < SIM_EXCEPTIONS && k->active[returning];
    /* Bits 27:5 must be ones (27:4 without the FP extension, where bit 4 selects the frame). */
    bool well_formed = has_fp(t) ? (exc_return | 0x1Fu) == 0xFFFFFFFFu : (exc_return | 0xFu) == 0xFFFFFFFFu;
    bool fp = has_fp(t) && !(exc_return & 0x10);
    unsigned mode = exc_return & 0xF;
    sim_core_exception_returned(t, returning); /* DeActivate, FAULTMASK cleared but for NMI */
    if (!active || !well_formed || (mode != 0x1 && mode != 0x9 && mode != 0xD))
        return return_fault(t, exc_return, SIM_CFSR_INVPC);
    /* Returning to thread mode with other exceptions still active (CCR.NONBASETHRDENA clear). */
    if (mode != 0x1 && nested != 1 && !(k->ccr & SIM_CCR_NONBASETHRDENA))
        return return_fault(t, exc_return, SIM_CFSR_INVPC);
    uint32_t frame = mode == 0xD ? sim_cpu_get_psp(c) : sim_cpu_get_msp(c);
    frame_values f;
    if (!read_frame(t, frame, fp, &f)) return return_fault(t, exc_return, SIM_CFSR_UNSTKERR);
    /* The stacked IPSR must agree with the mode returned to. */
    if ((mode == 0x1) != ((f.v[7] & XPSR_IPSR) != 0)) return return_fault(t, exc_return, SIM_CFSR_INVPC);
    commit_frame(t, &f, frame, fp, exc_return);
    /* SCR.SLEEPONEXIT: back in thread mode with nothing active, the core sleeps (B1.5.19). */
    if (mode != 0x1 && (k->scr & 2) && sim_core_active_count(t) == 0) {
        k->sleeping = true;
        k->sleep_wfe = false;
    }
    return true;
}

/* --- lazy FP state preservation (B1.5.7) ----------------------------------------------------- */

bool sim_exc_fp_used(sim_target *t)
{
    sim_cpu *c = &t->cpu;
    sim_core *k = &t->core;
    if (!has_fp(t)) return true;
    if (k->fpccr & SIM_FPCCR_LSPACT) { /* PreserveFPState */
        uint32_t at = k->fpcar & ~7u;
        for (unsigned i = 0; i < FP_WORDS; i++)
            if (!write_word(t, at + 4 * i, i < 16 ? c->s[i] : c->fpscr)) {
                sim_cpu_fault(c, SIM_CFSR_LSPERR, 0, false);
                return false;
            }
        k->fpccr &= ~SIM_FPCCR_LSPACT;
    }
    if ((k->fpccr & SIM_FPCCR_ASPEN) && !(c->control & CONTROL_FPCA)) { /* a new FP context */
        c->fpscr = (c->fpscr & ~FPDSCR_MASK) | (k->fpdscr & FPDSCR_MASK);
        c->control |= CONTROL_FPCA;
    }
    return true;
}
