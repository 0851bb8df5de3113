/* The Cortex-M core around the executor: the run loop in virtual time, exceptions, SysTick,
 * the NVIC, halting debug (ARMv7-M ARM C1: DHCSR, DCRSR, DCRDR, DEMCR, DFSR), the FPB and the
 * DWT. The profiles are ARMv7-M parts that run ARMv6-M code, so the register map is ARMv7-M's. */
#include <string.h>

#include "sim_exc.h"
#include "sim_rom.h"
#include "sim_target.h"

#define DHCSR_KEY 0xA05F0000u
#define C_DEBUGEN 0x1u
#define C_HALT 0x2u
#define C_STEP 0x4u
#define C_MASKINTS 0x8u
#define C_SNAPSTALL 0x20u
#define S_REGRDY (1u << 16)
#define S_HALT (1u << 17)
#define S_SLEEP (1u << 18)
#define S_LOCKUP (1u << 19)
#define S_RETIRE_ST (1u << 24)
#define S_RESET_ST (1u << 25)

#define DEMCR_VC_CORERESET (1u << 0)
#define DEMCR_VC_HARDERR (1u << 10)
#define DEMCR_TRCENA (1u << 24)
#define DEMCR_WRITABLE 0x010F07F1u

enum { EXC_RESET = 1, EXC_NMI = 2, EXC_HARDFAULT = 3, EXC_SVCALL = 11, EXC_PENDSV = 14, EXC_SYSTICK = 15 };

/* Priority bits implemented: 4 on STM32 parts (the low nibble reads as zero). */
#define PRIORITY_MASK 0xF0u

static sim_core *core_of(sim_target *t) { return &t->core; }

static void set_pending(sim_core *c, unsigned n)
{
    c->pending[n] = true;
    c->pending_any = true;
}

/* --- exceptions ------------------------------------------------------------------------------ */

static int exception_priority(const sim_core *c, unsigned n)
{
    if (n == EXC_RESET) return -3;
    if (n == EXC_NMI) return -2;
    if (n == EXC_HARDFAULT) return -1;
    if (n < 16) return c->shpr[n - 4];
    return c->irq_priority[n - 16];
}

/* Execution priority (ARMv7-M B1.5.4): the highest active priority, boosted by PRIMASK. */
static int execution_priority(const sim_target *t)
{
    const sim_core *c = &t->core;
    int priority = 256;
    for (unsigned n = 2; n < SIM_EXCEPTIONS; n++)
        if (c->active[n]) {
            int p = exception_priority(c, n);
            if (p < priority) priority = p;
        }
    if ((t->cpu.primask & 1) && priority > 0) priority = 0;
    if ((t->cpu.faultmask & 1) && priority > -1) priority = -1;
    return priority;
}

/* The pending exception that would preempt now, or 0. */
static unsigned pending_exception(const sim_target *t)
{
    const sim_core *c = &t->core;
    bool masked = (c->dhcsr & C_MASKINTS) != 0;
    unsigned best = 0;
    int best_priority = execution_priority(t);
    for (unsigned n = 2; n < SIM_EXCEPTIONS; n++) {
        if (!c->pending[n]) continue;
        if (n >= 16 && !c->irq_enabled[n - 16]) continue;
        /* C_MASKINTS masks PendSV, SysTick and external interrupts (C1.6.2). */
        if (masked && (n == EXC_PENDSV || n == EXC_SYSTICK || n >= 16)) continue;
        int p = exception_priority(c, n);
        if (p < best_priority) {
            best_priority = p;
            best = n;
        }
    }
    return best;
}

static void halt(sim_target *t, uint32_t reason)
{
    sim_core *c = &t->core;
    c->lockup = false; /* entering debug state leaves lockup (ARMv7-M B1.5.15) */
    c->halted = true;
    c->sleeping = false;
    c->step_pending = false;
    c->dfsr |= reason;
}

static void lockup(sim_target *t)
{
    t->core.lockup = true;
    t->cpu.r[15] = 0xFFFFFFFEu;
}

static void take_exception(sim_target *t, unsigned n)
{
    sim_core *c = &t->core;
    c->pending[n] = false;
    if (!sim_cpu_exception_entry(t, n, c->vtor)) {
        lockup(t);
        return;
    }
    c->active[n] = true;
    c->sleeping = false;
}

/* A fault during execution: HardFault, or lockup when already at priority -1 or higher. */
static void hard_fault(sim_target *t)
{
    sim_core *c = &t->core;
    if (execution_priority(t) < 0) {
        lockup(t);
        return;
    }
    c->hfsr |= 1u << 30; /* FORCED: escalated from a configurable fault */
    take_exception(t, EXC_HARDFAULT);
    if ((c->demcr & DEMCR_VC_HARDERR) && (c->dhcsr & C_DEBUGEN) && !c->lockup)
        halt(t, SIM_DFSR_VCATCH);
}

void sim_core_exception_returned(sim_target *t, unsigned number)
{
    if (number < SIM_EXCEPTIONS) t->core.active[number] = false;
}

void sim_core_set_irq_pending(sim_target *t, unsigned irq)
{
    if (irq < SIM_NVIC_IRQS) set_pending(&t->core, 16 + irq);
}

/* --- SysTick (ARMv7-M B3.3) ------------------------------------------------------------------ */

static void systick_fire(sim_core *c)
{
    c->syst_csr |= 1u << 16; /* COUNTFLAG */
    if (c->syst_csr & 2) set_pending(c, EXC_SYSTICK);
}

static void systick_advance(sim_core *c, uint64_t cycles)
{
    if (!(c->syst_csr & 1) || cycles == 0) return;
    uint64_t ticks = cycles;
    if (!(c->syst_csr & 4)) { /* reference clock: core clock / 8 */
        ticks = (c->syst_prescale + cycles) / 8;
        c->syst_prescale = (uint8_t)((c->syst_prescale + cycles) % 8);
    }
    uint32_t reload = c->syst_rvr & 0xFFFFFF;
    while (ticks) {
        if (c->syst_cvr == 0) {
            if (reload == 0) return;
            c->syst_cvr = reload; /* reloading takes one tick */
            ticks--;
            continue;
        }
        if (ticks < c->syst_cvr) {
            c->syst_cvr -= (uint32_t)ticks;
            return;
        }
        ticks -= c->syst_cvr;
        c->syst_cvr = 0;
        systick_fire(c);
        /* Whole periods at once: the interrupt is a level, one pend is enough. */
        uint64_t period = (uint64_t)reload + 1;
        if (ticks >= period) {
            ticks %= period;
            systick_fire(c);
        }
    }
}

/* Core cycles until SysTick next reaches zero, or UINT64_MAX (for sleeping quickly). */
static uint64_t systick_cycles_to_fire(const sim_core *c)
{
    if (!(c->syst_csr & 1) || !(c->syst_csr & 2)) return UINT64_MAX;
    uint64_t ticks = c->syst_cvr ? c->syst_cvr : (uint64_t)(c->syst_rvr & 0xFFFFFF) + 1;
    if ((c->syst_rvr & 0xFFFFFF) == 0 && c->syst_cvr == 0) return UINT64_MAX;
    return (c->syst_csr & 4) ? ticks : ticks * 8;
}

/* --- the run loop ------------------------------------------------------------------------------ */

static bool fpb_match(const sim_target *t, uint32_t pc)
{
    const sim_fpb *f = &t->core.fpb;
    unsigned count = t->profile->fpb_code_comparators;
    for (unsigned i = 0; i < count; i++) {
        uint32_t comp = f->comp[i];
        if (!(comp & 1)) continue;
        if (t->profile->fpb_revision == 2) {
            if ((comp & ~1u) == (pc & ~1u)) return true;
        } else {
            unsigned replace = comp >> 30;
            if (pc >= 0x20000000u || replace == 0) continue; /* code region; REMAP not modelled */
            if ((comp & 0x1FFFFFFCu) != (pc & 0x1FFFFFFCu)) continue;
            if ((pc & 2) ? (replace & 2) : (replace & 1)) return true;
        }
    }
    return false;
}

static void take_up_clock(sim_target *t)
{
    sim_core *c = &t->core;
    if (c->epoch_hz != t->core_hz) {
        c->epoch_ps = c->time_ps;
        c->epoch_cycles = c->clock_cycles;
        c->epoch_hz = t->core_hz;
    }
}

void sim_core_run(sim_target *t, uint64_t until_ps)
{
    sim_core *c = &t->core;
    if (until_ps <= c->time_ps) return;
    take_up_clock(t);
    uint64_t target = c->epoch_cycles + sim_time_ps_to_cycles(until_ps - c->epoch_ps, c->epoch_hz);
    c->time_ps = until_ps;
    c->running = true; /* the core's own accesses see the time of their instruction */

    while (c->clock_cycles < target) {
        if (c->halted || c->lockup || t->nrst_low) {
            c->clock_cycles = target;
            break;
        }
        unsigned next = 0;
        if (c->pending_any) {
            next = pending_exception(t);
            if (!next) { /* nothing can be taken: is anything pending at all? */
                bool any = false;
                for (unsigned n = 0; n < SIM_EXCEPTIONS && !any; n++) any = c->pending[n];
                c->pending_any = any;
            }
        }
        if (c->sleeping) {
            if (next) {
                c->sleeping = false;
            } else {
                uint64_t idle = target - c->clock_cycles, to_fire = systick_cycles_to_fire(c);
                if (to_fire < idle) idle = to_fire;
                c->clock_cycles += idle;
                systick_advance(c, idle);
                continue;
            }
        }
        if (next) {
            take_exception(t, next);
            c->clock_cycles += 12; /* exception entry latency (Cortex-M3/M4: 12 cycles) */
            systick_advance(c, 12);
            if (c->step_pending) halt(t, SIM_DFSR_HALTED); /* stepping into a handler */
            continue;
        }
        uint32_t pc = t->cpu.r[15];
        if (c->fpb.active && (c->dhcsr & C_DEBUGEN) && fpb_match(t, pc)) {
            halt(t, SIM_DFSR_BKPT);
            continue;
        }
        unsigned cycles = 1;
        c->dwt.hit = false;
        sim_step_result r = sim_cpu_step(t, &cycles);
        c->clock_cycles += cycles;
        systick_advance(c, cycles);
        switch (r) {
        case SIM_STEP_OK: break;
        case SIM_STEP_BKPT:
            if (c->dhcsr & C_DEBUGEN) {
                halt(t, SIM_DFSR_BKPT);
                continue;
            }
            hard_fault(t);
            break;
        case SIM_STEP_SVC: set_pending(c, EXC_SVCALL); break;
        case SIM_STEP_WFI:
        case SIM_STEP_WFE:
            if (!c->pending_any || !pending_exception(t)) c->sleeping = true;
            break;
        case SIM_STEP_FAULT: hard_fault(t); break;
        }
        c->retire_st = true;
        t->cpu.instructions++;
        if (c->dwt.hit) halt(t, SIM_DFSR_DWTTRAP);
        else if (c->step_pending) halt(t, SIM_DFSR_HALTED);
    }
    c->running = false;
}

/* --- DWT data watchpoints (ARMv7-M C1.8) -------------------------------------------------- */

static void dwt_update_active(sim_target *t)
{
    sim_core *c = &t->core;
    bool active = false;
    if (c->demcr & DEMCR_TRCENA)
        for (unsigned i = 0; i < t->profile->dwt_comparators; i++) {
            unsigned f = c->dwt.function[i] & 0xF;
            if (f >= 5 && f <= 7) active = true;
        }
    c->dwt.active = active;
}

void sim_dwt_on_access(sim_target *t, uint32_t addr, unsigned size, bool is_write, uint32_t value)
{
    sim_core *c = &t->core;
    (void)value;
    for (unsigned i = 0; i < t->profile->dwt_comparators; i++) {
        unsigned f = c->dwt.function[i] & 0xF;
        if (f < 5 || f > 7) continue;
        if ((f == 5 && is_write) || (f == 6 && !is_write)) continue;
        uint32_t ignore = c->dwt.mask[i] >= 32 ? 0xFFFFFFFFu : (1u << c->dwt.mask[i]) - 1;
        uint64_t lo = c->dwt.comp[i] & ~ignore, hi = lo + (uint64_t)ignore + 1;
        if ((uint64_t)addr < hi && (uint64_t)addr + size > lo) {
            c->dwt.function[i] |= 1u << 24; /* MATCHED */
            if (c->dhcsr & C_DEBUGEN) c->dwt.hit = true;
        }
    }
}

static uint32_t dwt_cyccnt(const sim_target *t)
{
    const sim_dwt *d = &t->core.dwt;
    bool counting = (d->ctrl & 1) && (t->core.demcr & DEMCR_TRCENA);
    return counting ? d->cyccnt + (uint32_t)(t->cpu.cycles - d->cyccnt_since) : d->cyccnt;
}

static void dwt_freeze(sim_target *t)
{
    t->core.dwt.cyccnt = dwt_cyccnt(t);
    t->core.dwt.cyccnt_since = t->cpu.cycles;
}

static sim_bus_status dwt_read(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                               uint32_t *value, sim_master m)
{
    (void)ctx;
    (void)m;
    sim_core *c = core_of(t);
    uint32_t w = 0, o = offset & ~3u;
    if (o >= 0xFD0) w = sim_rom_component_id(t, SIM_COMPONENT_DWT, o);
    else if (o == 0x000) w = ((uint32_t)t->profile->dwt_comparators << 28) | (c->dwt.ctrl & 0x1FFF);
    else if (o == 0x004) w = dwt_cyccnt(t);
    else if (o >= 0x020 && o < 0x020 + 16 * t->profile->dwt_comparators) {
        unsigned i = (o - 0x020) / 16;
        switch (o & 0xF) {
        case 0x0: w = c->dwt.comp[i]; break;
        case 0x4: w = c->dwt.mask[i]; break;
        case 0x8:
            w = c->dwt.function[i];
            c->dwt.function[i] &= ~(1u << 24); /* MATCHED clears on read */
            break;
        default: break;
        }
    }
    *value = sim_lanes(w, offset, size);
    return SIM_BUS_OK;
}

static sim_bus_status dwt_write(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                                uint32_t value, sim_master m)
{
    (void)ctx;
    (void)m;
    (void)size;
    sim_core *c = core_of(t);
    uint32_t o = offset & ~3u;
    if (o == 0x000) {
        dwt_freeze(t);
        c->dwt.ctrl = value & 0x1FFF;
    } else if (o == 0x004) {
        c->dwt.cyccnt = value;
        c->dwt.cyccnt_since = t->cpu.cycles;
    } else if (o >= 0x020 && o < 0x020 + 16 * t->profile->dwt_comparators) {
        unsigned i = (o - 0x020) / 16;
        switch (o & 0xF) {
        case 0x0: c->dwt.comp[i] = value; break;
        case 0x4: c->dwt.mask[i] = value & 0x1F; break;
        case 0x8: c->dwt.function[i] = value & 0x00000FFFu; break;
        default: break;
        }
        dwt_update_active(t);
    }
    return SIM_BUS_OK;
}

/* --- FPB (ARMv7-M C1.11) ------------------------------------------------------------------- */

static void fpb_update_active(sim_target *t)
{
    sim_fpb *f = &t->core.fpb;
    bool any = false;
    for (unsigned i = 0; i < t->profile->fpb_code_comparators; i++) any |= (f->comp[i] & 1) != 0;
    f->active = (f->ctrl & 1) && any;
}

static sim_bus_status fpb_read(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                               uint32_t *value, sim_master m)
{
    (void)ctx;
    (void)m;
    const sim_profile *p = t->profile;
    sim_fpb *f = &t->core.fpb;
    uint32_t w = 0, o = offset & ~3u;
    unsigned total = p->fpb_code_comparators + p->fpb_literal_comparators;
    if (o >= 0xFD0) w = sim_rom_component_id(t, SIM_COMPONENT_FPB, o);
    else if (o == 0x000)
        w = (uint32_t)(p->fpb_revision == 2 ? 1 : 0) << 28 | ((p->fpb_code_comparators >> 4) & 7) << 12 |
            (p->fpb_literal_comparators & 15) << 8 | (p->fpb_code_comparators & 15) << 4 | (f->ctrl & 1);
    else if (o == 0x004) w = f->remap;
    else if (o >= 0x008 && o < 0x008 + 4 * total) w = f->comp[(o - 8) / 4];
    *value = sim_lanes(w, offset, size);
    return SIM_BUS_OK;
}

static sim_bus_status fpb_write(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                                uint32_t value, sim_master m)
{
    (void)ctx;
    (void)m;
    (void)size;
    const sim_profile *p = t->profile;
    sim_fpb *f = &t->core.fpb;
    uint32_t o = offset & ~3u;
    unsigned total = p->fpb_code_comparators + p->fpb_literal_comparators;
    if (o == 0x000) {
        if (value & 2) f->ctrl = value & 1; /* KEY must be written as 1 */
    } else if (o >= 0x008 && o < 0x008 + 4 * total) {
        f->comp[(o - 8) / 4] = p->fpb_revision == 2 ? value : value & 0xDFFFFFFDu;
    }
    fpb_update_active(t);
    return SIM_BUS_OK;
}

/* --- ITM: present for discovery; stimulus writes are accepted and dropped -------------------- */

static sim_bus_status itm_read(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                               uint32_t *value, sim_master m)
{
    (void)ctx;
    (void)m;
    uint32_t w = 0, o = offset & ~3u;
    if (o >= 0xFD0) w = sim_rom_component_id(t, SIM_COMPONENT_ITM, o);
    else if (o < 0x80) w = 1; /* stimulus port ready */
    *value = sim_lanes(w, offset, size);
    return SIM_BUS_OK;
}

static sim_bus_status itm_write(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                                uint32_t value, sim_master m)
{
    (void)t, (void)ctx, (void)offset, (void)size, (void)value, (void)m;
    return SIM_BUS_OK;
}

/* --- SCS -------------------------------------------------------------------------------------- */

static void register_transfer(sim_target *t, uint32_t dcrsr)
{
    sim_core *c = &t->core;
    unsigned regsel = dcrsr & 0x7F;
    c->dcrsr = dcrsr & 0x1007F;
    if (!c->halted) {
        c->regrdy = false; /* UNPREDICTABLE while running: the transfer never completes */
        return;
    }
    if (dcrsr & (1u << 16)) {
        sim_cpu_write_reg(t, regsel, c->dcrdr);
    } else {
        uint32_t v = 0;
        if (!sim_cpu_read_reg(t, regsel, &v)) v = 0;
        c->dcrdr = v;
    }
    c->regrdy = true;
}

static uint32_t dhcsr_value(sim_target *t)
{
    sim_core *c = &t->core;
    uint32_t v = c->dhcsr & (C_DEBUGEN | C_HALT | C_STEP | C_MASKINTS | C_SNAPSTALL);
    if (c->regrdy) v |= S_REGRDY;
    if (c->halted) v |= S_HALT;
    if (c->sleeping) v |= S_SLEEP;
    if (c->lockup) v |= S_LOCKUP;
    if (c->retire_st) v |= S_RETIRE_ST;
    if (c->reset_st) v |= S_RESET_ST;
    return v;
}

static void dhcsr_write(sim_target *t, uint32_t value)
{
    sim_core *c = &t->core;
    if ((value & 0xFFFF0000u) != DHCSR_KEY) return; /* writes without DBGKEY are ignored */
    uint32_t old = c->dhcsr;
    uint32_t ctl = value & (C_DEBUGEN | C_HALT | C_STEP | C_MASKINTS | C_SNAPSTALL);
    if (!(ctl & C_DEBUGEN)) ctl = 0; /* the other control bits need C_DEBUGEN */
    /* C_MASKINTS may change only while halted or when this write also halts (C1.6.2). */
    if (!c->halted && !(ctl & C_HALT)) ctl = (ctl & ~C_MASKINTS) | (old & C_MASKINTS);
    c->dhcsr = ctl;
    if (ctl & C_HALT) {
        if (!c->halted) halt(t, SIM_DFSR_HALTED);
    } else if (c->halted) {
        c->halted = false; /* resume, or step one instruction */
        c->step_pending = (ctl & C_STEP) != 0;
        c->regrdy = false;
    }
}

static uint32_t scs_word(sim_target *t, uint32_t o, bool *ok)
{
    sim_core *c = &t->core;
    *ok = true;
    if (o >= 0x100 && o < 0x100 + SIM_NVIC_IRQS / 8) { /* ISER */
        uint32_t w = 0;
        for (unsigned b = 0; b < 32; b++) w |= (uint32_t)c->irq_enabled[(o - 0x100) * 8 + b] << b;
        return w;
    }
    if (o >= 0x180 && o < 0x180 + SIM_NVIC_IRQS / 8) { /* ICER */
        uint32_t w = 0;
        for (unsigned b = 0; b < 32; b++) w |= (uint32_t)c->irq_enabled[(o - 0x180) * 8 + b] << b;
        return w;
    }
    if (o >= 0x200 && o < 0x300 && (o & 0x7F) < SIM_NVIC_IRQS / 8) { /* ISPR / ICPR */
        uint32_t w = 0, base = 16 + (o & 0x7F) * 8;
        for (unsigned b = 0; b < 32; b++) w |= (uint32_t)c->pending[base + b] << b;
        return w;
    }
    if (o >= 0x300 && o < 0x300 + SIM_NVIC_IRQS / 8) { /* IABR */
        uint32_t w = 0, base = 16 + (o - 0x300) * 8;
        for (unsigned b = 0; b < 32; b++) w |= (uint32_t)c->active[base + b] << b;
        return w;
    }
    if (o >= 0x400 && o < 0x400 + SIM_NVIC_IRQS) {
        const uint8_t *p = &c->irq_priority[o - 0x400];
        return sim_get_le(p, 4);
    }
    if (o >= 0xD18 && o < 0xD24) {
        const uint8_t *p = &c->shpr[o - 0xD18];
        return sim_get_le(p, 4);
    }
    if (o >= 0xFD0) return sim_rom_component_id(t, SIM_COMPONENT_SCS, o);
    switch (o) {
    case 0x004: return (SIM_NVIC_IRQS / 32) - 1; /* ICTR */
    case 0x010: { uint32_t v = c->syst_csr; c->syst_csr &= ~(1u << 16); return v; }
    case 0x014: return c->syst_rvr;
    case 0x018: return c->syst_cvr;
    case 0x01C: return 0x40000000u | (t->core_hz / 8 / 100 - 1); /* CALIB: NOREF=0, SKEW, 10 ms */
    case 0xD00: return t->profile->cpuid;
    case 0xD04: { /* ICSR */
        unsigned pend = pending_exception(t), active = t->cpu.xpsr & 0x1FF;
        bool others = false;
        for (unsigned n = 2; n < SIM_EXCEPTIONS; n++) if (c->active[n] && n != active) others = true;
        return (c->pending[EXC_NMI] ? 1u << 31 : 0) | (c->pending[EXC_PENDSV] ? 1u << 28 : 0) |
               (c->pending[EXC_SYSTICK] ? 1u << 26 : 0) | (pend ? 1u << 22 : 0) | (pend << 12) |
               (others ? 0 : 1u << 11) | active;
    }
    case 0xD08: return c->vtor;
    case 0xD0C: return 0xFA050000u | c->aircr_prigroup << 8;
    case 0xD10: return c->scr;
    case 0xD14: return c->ccr;
    case 0xD24: return c->shcsr;
    case 0xD28: return c->cfsr;
    case 0xD2C: return c->hfsr;
    case 0xD30: return c->dfsr;
    case 0xD34: return c->mmfar;
    case 0xD38: return c->bfar;
    case 0xD88: return t->profile->has_fpu ? c->cpacr : 0;
    case 0xDF0: {
        uint32_t v = dhcsr_value(t);
        c->retire_st = false;
        c->reset_st = false;
        return v;
    }
    case 0xDF4: return 0; /* DCRSR is write-only */
    case 0xDF8: return c->dcrdr;
    case 0xDFC: return c->demcr;
    case 0xF34: return t->profile->has_fpu ? c->fpccr : 0;
    /* Media and FP feature registers: single precision on the M4F and the F7, double on the H7
     * (B4.1.3) */
    case 0xF40: return !t->profile->has_fpu ? 0 : t->profile->fpu_double ? 0x10110221u : 0x10110021u;
    case 0xF44: return !t->profile->has_fpu ? 0 : t->profile->core == SIM_CORE_M7 ? 0x12000011u : 0x11000011u;
    case 0xF48: return t->profile->has_fpu && t->profile->core == SIM_CORE_M7 ? 0x00000040u : 0;
    default: break;
    }
    if ((o >= 0xD40 && o < 0xD80) || o < 0xD00) return 0; /* feature registers, reserved: RAZ */
    *ok = o < 0x1000;
    return 0;
}

static sim_bus_status scs_read(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                               uint32_t *value, sim_master m)
{
    (void)ctx;
    (void)m;
    bool ok;
    uint32_t w = scs_word(t, offset & ~3u, &ok);
    if (!ok) return SIM_BUS_FAULT;
    *value = sim_lanes(w, offset, size);
    return SIM_BUS_OK;
}

static void set_bits(bool *flags, uint32_t mask, bool to)
{
    for (unsigned b = 0; b < 32; b++)
        if (mask & (1u << b)) flags[b] = to;
}

static sim_bus_status scs_write(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                                uint32_t value, sim_master m)
{
    (void)ctx;
    sim_core *c = &t->core;
    uint32_t o = offset & ~3u;
    /* Byte and halfword writes: priorities are byte-addressable; elsewhere they act on the lanes. */
    if (size < 4 && ((o >= 0x400 && o < 0x400 + SIM_NVIC_IRQS) || (o >= 0xD18 && o < 0xD24))) {
        uint8_t *p = o >= 0xD18 ? &c->shpr[offset - 0xD18] : &c->irq_priority[offset - 0x400];
        for (unsigned i = 0; i < size; i++) p[i] = (uint8_t)(value >> (8 * i)) & PRIORITY_MASK;
        return SIM_BUS_OK;
    }
    if (size < 4) value <<= (offset & 3) * 8;
    if (o >= 0x100 && o < 0x100 + SIM_NVIC_IRQS / 8) set_bits(&c->irq_enabled[(o - 0x100) * 8], value, true);
    else if (o >= 0x180 && o < 0x180 + SIM_NVIC_IRQS / 8) set_bits(&c->irq_enabled[(o - 0x180) * 8], value, false);
    else if (o >= 0x200 && o < 0x200 + SIM_NVIC_IRQS / 8) {
        set_bits(&c->pending[16 + (o - 0x200) * 8], value, true);
        c->pending_any = true;
    }
    else if (o >= 0x280 && o < 0x280 + SIM_NVIC_IRQS / 8) set_bits(&c->pending[16 + (o - 0x280) * 8], value, false);
    else if (o >= 0x400 && o < 0x400 + SIM_NVIC_IRQS)
        for (unsigned i = 0; i < 4; i++) c->irq_priority[o - 0x400 + i] = (uint8_t)(value >> (8 * i)) & PRIORITY_MASK;
    else if (o >= 0xD18 && o < 0xD24)
        for (unsigned i = 0; i < 4; i++) c->shpr[o - 0xD18 + i] = (uint8_t)(value >> (8 * i)) & PRIORITY_MASK;
    else
        switch (o) {
        case 0x010:
            c->syst_csr = (c->syst_csr & (1u << 16)) | (value & 7);
            break;
        case 0x014: c->syst_rvr = value & 0xFFFFFF; break;
        case 0x018: c->syst_cvr = 0; c->syst_csr &= ~(1u << 16); break; /* any write clears */
        case 0xD04: /* ICSR */
            if (value & (1u << 31)) set_pending(c, EXC_NMI);
            if (value & (1u << 28)) set_pending(c, EXC_PENDSV);
            if (value & (1u << 27)) c->pending[EXC_PENDSV] = false;
            if (value & (1u << 26)) set_pending(c, EXC_SYSTICK);
            if (value & (1u << 25)) c->pending[EXC_SYSTICK] = false;
            break;
        case 0xD08: c->vtor = value & 0xFFFFFF80u; break;
        case 0xD0C:
            if ((value >> 16) != 0x05FA) break; /* VECTKEY */
            c->aircr_prigroup = (value >> 8) & 7;
            if ((value & 2) && c->halted) memset(c->active, 0, sizeof c->active); /* VECTCLRACTIVE */
            if (value & 4) sim_target_reset(t, SIM_RESET_SYSTEM);            /* SYSRESETREQ */
            else if (value & 1) sim_target_reset(t, SIM_RESET_CORE);         /* VECTRESET */
            break;
        case 0xD10: c->scr = value & 0x16; break;
        case 0xD14: c->ccr = value & 0x31B; break;
        case 0xD24: c->shcsr = value & 0x70000; break;
        case 0xD28: c->cfsr &= ~value; break;
        case 0xD2C: c->hfsr &= ~value; break;
        case 0xD30: c->dfsr &= ~value; break; /* write one to clear */
        case 0xD34: c->mmfar = value; break;
        case 0xD38: c->bfar = value; break;
        case 0xD88: if (t->profile->has_fpu) c->cpacr = value & 0x00F00000u; break;
        case 0xF34: if (t->profile->has_fpu) c->fpccr = value & 0xC0000000u; break;
        case 0xDF0: if (m == SIM_MASTER_DEBUG) dhcsr_write(t, value); break;
        case 0xDF4: if (m == SIM_MASTER_DEBUG) register_transfer(t, value); break;
        case 0xDF8: c->dcrdr = value; break;
        case 0xDFC:
            c->demcr = value & DEMCR_WRITABLE;
            dwt_freeze(t);
            dwt_update_active(t);
            break;
        case 0xF00: if ((value & 0x1FF) < SIM_NVIC_IRQS) set_pending(c, 16 + (value & 0x1FF)); break; /* STIR */
        default: break;
        }
    return SIM_BUS_OK;
}

/* --- attach and reset ----------------------------------------------------------------------- */

void sim_core_attach(sim_target *t)
{
    const sim_region regions[] = {
        {.name = "ITM", .base = 0xE0000000, .size = 0x1000, .kind = SIM_REGION_MMIO, .read = itm_read, .write = itm_write},
        {.name = "DWT", .base = 0xE0001000, .size = 0x1000, .kind = SIM_REGION_MMIO, .read = dwt_read, .write = dwt_write},
        {.name = "FPB", .base = 0xE0002000, .size = 0x1000, .kind = SIM_REGION_MMIO, .read = fpb_read, .write = fpb_write},
        {.name = "SCS", .base = 0xE000E000, .size = 0x1000, .kind = SIM_REGION_MMIO, .read = scs_read, .write = scs_write},
    };
    for (unsigned i = 0; i < sizeof regions / sizeof regions[0]; i++) sim_bus_add(&t->bus, &regions[i]);
    sim_rom_attach(t);
}

void sim_core_reset(sim_target *t, sim_reset_kind kind)
{
    sim_core *c = &t->core;
    uint64_t time_ps = c->time_ps, clock = c->clock_cycles;
    uint64_t epoch_ps = c->epoch_ps, epoch_cycles = c->epoch_cycles;
    uint32_t epoch_hz = c->epoch_hz;
    if (kind == SIM_RESET_POWER_ON) {
        memset(c, 0, sizeof *c);
    } else {
        /* Debug state survives a system reset (ARMv7-M C1.4.2): DHCSR.C_DEBUGEN, DEMCR, FPB,
         * DWT. A halt request does not. */
        sim_core keep = *c;
        memset(c, 0, sizeof *c);
        c->dhcsr = keep.dhcsr & (C_DEBUGEN | C_MASKINTS);
        c->demcr = keep.demcr;
        c->fpb = keep.fpb;
        c->dwt = keep.dwt;
        c->dfsr = keep.dfsr;
        c->dcrdr = keep.dcrdr;
    }
    c->time_ps = time_ps;
    c->clock_cycles = clock;
    c->epoch_ps = epoch_ps;
    c->epoch_cycles = epoch_cycles;
    c->epoch_hz = epoch_hz;
    c->reset_st = true;
    c->syst_csr = 0; /* STK_CTRL reset value (PM0056, PM0214) */
    /* The H7 boots from BOOT_ADD0 (0x0800 << 16: flash); the others alias flash at 0. */
    c->vtor = t->profile->flash_alias_at_zero ? 0 : t->profile->flash_base;
    sim_cpu_reset(t);
    if (!sim_cpu_load_reset_vector(t, c->vtor)) lockup(t);
    if ((c->demcr & DEMCR_VC_CORERESET) && (c->dhcsr & C_DEBUGEN)) halt(t, SIM_DFSR_VCATCH);
}

uint64_t sim_core_now_ps(const sim_target *t)
{
    const sim_core *c = &t->core;
    if (!c->running) return t->now_ps;
    return c->epoch_ps + sim_time_cycles_to_ps(c->clock_cycles - c->epoch_cycles, c->epoch_hz);
}
