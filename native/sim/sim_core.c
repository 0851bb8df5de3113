/* The Cortex-M core around the executor: the run loop in virtual time, exception priorities
 * (AIRCR.PRIGROUP, BASEPRI, FAULTMASK) and fault routing (ARMv7-M ARM B1.5: the configurable
 * faults, escalation to HardFault, lockup), SysTick, the NVIC, the system control block with
 * the fault status registers, halting debug (C1: DHCSR, DCRSR, DCRDR, DEMCR with vector catch,
 * DFSR), the FPB and the DWT. An ARMv6-M profile keeps the ARMv6-M model: every fault a
 * HardFault, no fault status registers, no BASEPRI, FAULTMASK or PRIGROUP. Not modelled: late
 * arrival (an exception pending during an entry waits for the next boundary), the tail-chain
 * shortcut (a return pops and the next entry pushes the same frame again), the DebugMonitor
 * exception, CCR.BFHFNMIGN, imprecise bus faults. */
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
#define DEMCR_VC_MMERR (1u << 4)
#define DEMCR_VC_NOCPERR (1u << 5)
#define DEMCR_VC_CHKERR (1u << 6)
#define DEMCR_VC_STATERR (1u << 7)
#define DEMCR_VC_BUSERR (1u << 8)
#define DEMCR_VC_INTERR (1u << 9)
#define DEMCR_VC_HARDERR (1u << 10)
#define DEMCR_TRCENA (1u << 24)
#define DEMCR_WRITABLE 0x010F07F1u

#define CFSR_MUNSTKERR (1u << 3)
#define CFSR_MSTKERR (1u << 4)

enum {
    EXC_RESET = SIM_EXC_RESET,
    EXC_NMI = SIM_EXC_NMI,
    EXC_HARDFAULT = SIM_EXC_HARDFAULT,
    EXC_SVCALL = SIM_EXC_SVCALL,
    EXC_PENDSV = SIM_EXC_PENDSV,
    EXC_SYSTICK = SIM_EXC_SYSTICK
};

static sim_core *core_of(sim_target *t) { return &t->core; }

static bool is_v6m(const sim_target *t)
{
    return sim_profile_isa(t->profile) == SIM_ISA_V6M;
}

/* Priority bits implemented: 4 on the STM32 Cortex-M3/M4/M7 parts, 2 on ARMv6-M parts; the
 * low bits read as zero. */
static uint8_t priority_mask(const sim_target *t)
{
    return is_v6m(t) ? 0xC0u : 0xF0u;
}

/* M3 and M4 implement BFAR and MMFAR as one register (Cortex-M3/M4 TRM): a fault address
 * written to one reads back from both, and the VALID bits exclude each other. */
static bool shared_fault_address(const sim_target *t)
{
    return t->profile->core == SIM_CORE_M3 || t->profile->core == SIM_CORE_M4;
}

/* Interrupt lines the NVIC implements, in whole registers of 32 (ICTR.INTLINESNUM + 1): the
 * STM32F1 has up to 60 external interrupts, the F4 up to 91, the F7 up to 110 and the H7 150. */
static unsigned irq_lines(const sim_target *t)
{
    switch (t->profile->core) {
    case SIM_CORE_M0:
    case SIM_CORE_M0P: return 32;
    case SIM_CORE_M3: return 64;
    case SIM_CORE_M4: return 96;
    default: return 160;
    }
}

#define SCR_SEVONPEND (1u << 4)

static void set_pending(sim_core *c, unsigned n)
{
    c->state_version++;
    if (!c->pending[n] && (c->scr & SCR_SEVONPEND)) c->sev_event = true;
    c->pending[n] = true;
    c->pending_any = true;
}

/* --- exception priorities (B1.5.4) ----------------------------------------------------------- */

int sim_core_exception_priority(const sim_target *t, unsigned n)
{
    const sim_core *c = &t->core;
    if (n == EXC_RESET) return -3;
    if (n == EXC_NMI) return -2;
    if (n == EXC_HARDFAULT) return -1;
    if (n < 16) return c->shpr[n - 4];
    return c->irq_priority[n - 16];
}

/* The group priority: the sub-priority field (AIRCR.PRIGROUP + 1 low bits) does not count for
 * preemption. */
static int group_priority(const sim_core *c, int priority)
{
    if (priority < 0) return priority;
    return priority & ~((2 << c->aircr_prigroup) - 1);
}

unsigned sim_core_active_count(const sim_target *t)
{
    unsigned count = 0;
    for (unsigned n = 1; n < SIM_EXCEPTIONS; n++) count += t->core.active[n];
    return count;
}

/* The execution priority, with PRIMASK counted or not (what wakes WFI ignores it, B1.5.19). */
static int execution_priority(const sim_target *t, bool with_primask)
{
    const sim_core *c = &t->core;
    int priority = 256;
    for (unsigned n = 2; n < SIM_EXCEPTIONS; n++)
        if (c->active[n]) {
            int p = group_priority(c, sim_core_exception_priority(t, n));
            if (p < priority) priority = p;
        }
    int boosted = 256;
    if (!is_v6m(t) && (t->cpu.basepri & priority_mask(t)))
        boosted = group_priority(c, (int)(t->cpu.basepri & priority_mask(t)));
    if (with_primask && (t->cpu.primask & 1)) boosted = 0;
    if (!is_v6m(t) && (t->cpu.faultmask & 1)) boosted = -1;
    return boosted < priority ? boosted : priority;
}

int sim_core_execution_priority(const sim_target *t)
{
    return execution_priority(t, true);
}

/* The highest-priority pending exception that is enabled (ICSR.VECTPENDING), or 0: the lowest
 * priority value, then the lowest number. */
static unsigned highest_pending(const sim_target *t)
{
    const sim_core *c = &t->core;
    bool masked = (c->dhcsr & C_MASKINTS) != 0;
    unsigned best = 0;
    int best_priority = 1000;
    for (unsigned n = 2; n < SIM_EXCEPTIONS; n++) {
        if (!c->pending[n]) continue;
        if (n >= 16 && !c->irq_enabled[n - 16]) continue;
        /* C_MASKINTS masks PendSV, SysTick and external interrupts (C1.6.2). */
        if (masked && (n == EXC_PENDSV || n == EXC_SYSTICK || n >= 16)) continue;
        int p = sim_core_exception_priority(t, n);
        if (p < best_priority) {
            best_priority = p;
            best = n;
        }
    }
    return best;
}

/* The pending exception that preempts now (its group priority is above the execution
 * priority), or 0. */
static unsigned pending_exception(const sim_target *t)
{
    unsigned n = highest_pending(t);
    if (n && group_priority(&t->core, sim_core_exception_priority(t, n)) < sim_core_execution_priority(t))
        return n;
    return 0;
}

/* What the execution priority depends on besides the NVIC state: PRIMASK, BASEPRI, FAULTMASK. */
static uint32_t mask_key(const sim_cpu *c)
{
    return (c->primask & 1) | (c->basepri & 0xFF) << 8 | (c->faultmask & 1) << 16;
}

/* WFI and WFE wake for a pending exception that would preempt if PRIMASK were clear. */
static bool wakes_from_sleep(const sim_target *t)
{
    if (!t->core.pending_any) return false;
    unsigned n = highest_pending(t);
    return n && group_priority(&t->core, sim_core_exception_priority(t, n)) < execution_priority(t, false);
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
    t->core.sleeping = false;
    t->cpu.r[15] = 0xFFFFFFFEu;
}

/* Vector catch (C1.6.5): halts on the first instruction of the handler just entered. */
static void catch_vector(sim_target *t, uint32_t vc)
{
    sim_core *c = &t->core;
    if ((c->demcr & vc) && (c->dhcsr & C_DEBUGEN) && !c->lockup) halt(t, SIM_DFSR_VCATCH);
}

/* The DEMCR vector catch bits a fault answers to: its cause, and HardFault when that is the
 * exception taken (escalated or not). */
static uint32_t vector_catch_bits(uint32_t cfsr, unsigned taken)
{
    uint32_t vc = 0;
    if (cfsr & (SIM_CFSR_UNDEFINSTR | SIM_CFSR_INVSTATE | SIM_CFSR_INVPC)) vc |= DEMCR_VC_STATERR;
    if (cfsr & (SIM_CFSR_UNALIGNED | SIM_CFSR_DIVBYZERO)) vc |= DEMCR_VC_CHKERR;
    if (cfsr & SIM_CFSR_NOCP) vc |= DEMCR_VC_NOCPERR;
    if (cfsr & 0x7F00u) vc |= DEMCR_VC_BUSERR;
    if (cfsr & 0x7Fu) vc |= DEMCR_VC_MMERR;
    /* faults on exception entry and return */
    if (cfsr & (SIM_CFSR_STKERR | SIM_CFSR_UNSTKERR | CFSR_MSTKERR | CFSR_MUNSTKERR | SIM_CFSR_INVPC))
        vc |= DEMCR_VC_INTERR;
    if (taken == EXC_HARDFAULT) vc |= DEMCR_VC_HARDERR;
    return vc;
}

static void route_fault(sim_target *t, const sim_fault_info *f, bool push, uint32_t hfsr_bits);

/* Enters exception `n` (B1.5.6), with the faults of the entry itself: a vector table read
 * error becomes HardFault (HFSR.VECTTBL) on the frame already pushed, a stacking error a
 * BusFault (STKERR) once `n` is active. `push` false: tail-chain on a frame already there. */
static void enter(sim_target *t, unsigned n, bool push)
{
    sim_core *c = &t->core;
    int before = sim_core_execution_priority(t);
    c->state_version++;
    c->pending[n] = false;
    c->sleeping = false;
    sim_exc_entry_result r = sim_exc_entry(t, n, push);
    if (r != SIM_EXC_ENTRY_OK && is_v6m(t)) { /* ARMv6-M: as before, the core locks up */
        lockup(t);
        return;
    }
    if (r == SIM_EXC_ENTRY_VECTTBL) {
        if (n == EXC_HARDFAULT || n == EXC_NMI || before < 0) {
            lockup(t);
            return;
        }
        c->hfsr |= SIM_HFSR_VECTTBL;
        n = EXC_HARDFAULT;
        if (sim_exc_entry(t, n, false) != SIM_EXC_ENTRY_OK) {
            lockup(t);
            return;
        }
        c->active[n] = true;
        catch_vector(t, DEMCR_VC_HARDERR | DEMCR_VC_INTERR);
        return;
    }
    c->active[n] = true;
    if (r == SIM_EXC_ENTRY_STKERR) {
        sim_fault_info stkerr = {SIM_CFSR_STKERR, 0, false};
        route_fault(t, &stkerr, true, 0);
    }
}

/* The exception a fault's CFSR bit belongs to (B1.5.16); HardFault when it has none. */
static unsigned fault_exception(uint32_t cfsr)
{
    if (cfsr & 0xFFFF0000u) return SIM_EXC_USAGEFAULT;
    if (cfsr & 0x0000FF00u) return SIM_EXC_BUSFAULT;
    if (cfsr & 0x000000FFu) return SIM_EXC_MEMMANAGE;
    return EXC_HARDFAULT;
}

/* Records the fault in CFSR and BFAR/MMFAR (B3.2.15-B3.2.18). */
static void record_fault(sim_target *t, const sim_fault_info *f, uint32_t *cfsr_out)
{
    sim_core *c = &t->core;
    uint32_t cfsr = f->cfsr & ~(SIM_CFSR_BFARVALID | SIM_CFSR_MMARVALID);
    uint32_t valid = 0, invalid = 0;
    if (f->address_valid && (cfsr & 0xFF00u)) {
        c->bfar = f->address;
        valid = SIM_CFSR_BFARVALID;
        if (shared_fault_address(t)) {
            c->mmfar = f->address;
            invalid = SIM_CFSR_MMARVALID;
        }
    } else if (f->address_valid && (cfsr & 0xFFu)) {
        c->mmfar = f->address;
        valid = SIM_CFSR_MMARVALID;
        if (shared_fault_address(t)) {
            c->bfar = f->address;
            invalid = SIM_CFSR_BFARVALID;
        }
    }
    c->cfsr = (c->cfsr & ~invalid) | cfsr | valid;
    *cfsr_out = cfsr;
}

/* Takes a synchronous fault: its own handler when enabled in SHCSR and its group priority is
 * above the execution priority, else HardFault (HFSR.FORCED), else lockup (B1.5.15). */
static void route_fault(sim_target *t, const sim_fault_info *f, bool push, uint32_t hfsr_bits)
{
    sim_core *c = &t->core;
    int priority = sim_core_execution_priority(t);
    if (is_v6m(t)) { /* ARMv6-M: every fault is a HardFault, no status registers */
        if (priority < 0) {
            lockup(t);
            return;
        }
        enter(t, EXC_HARDFAULT, push);
        catch_vector(t, DEMCR_VC_HARDERR);
        return;
    }
    uint32_t cfsr;
    record_fault(t, f, &cfsr);
    unsigned n = fault_exception(cfsr);
    if (n != EXC_HARDFAULT) {
        bool enabled = (c->shcsr & (SIM_SHCSR_MEMFAULTENA << (n - SIM_EXC_MEMMANAGE))) != 0;
        if (!enabled || group_priority(c, sim_core_exception_priority(t, n)) >= priority) {
            n = EXC_HARDFAULT;
            hfsr_bits |= SIM_HFSR_FORCED;
        }
    }
    if (n == EXC_HARDFAULT && priority < 0) {
        lockup(t);
        return;
    }
    c->hfsr |= hfsr_bits;
    enter(t, n, push);
    catch_vector(t, vector_catch_bits(cfsr, n));
}

void sim_core_fault(sim_target *t)
{
    route_fault(t, &t->cpu.fault, true, 0);
}

void sim_core_fault_on_return(sim_target *t)
{
    route_fault(t, &t->cpu.fault, false, 0);
}

/* BKPT with halting debug off: HardFault, HFSR.DEBUGEVT on ARMv7-M (C1.4). Silicon also sets
 * DFSR.BKPT (Cortex-M3 TRM, HFSR.DEBUGEVT); not done here yet: the target layer (cortexm.c)
 * reads DFSR without clearing it at attach and would then report a halt request as a
 * breakpoint. */
static void bkpt_fault(sim_target *t)
{
    sim_fault_info none = {0, 0, false};
    t->core.dfsr |= SIM_DFSR_BKPT; /* set as the BKPT escalates, debugger or not (C1.6.1) */
    route_fault(t, &none, true, is_v6m(t) ? 0 : SIM_HFSR_DEBUGEVT);
}

/* SVC: SVCall pends if it can preempt; executed at or above its priority it escalates to
 * HardFault (B1.5.15). */
static void svc(sim_target *t)
{
    sim_core *c = &t->core;
    if (group_priority(c, sim_core_exception_priority(t, EXC_SVCALL)) < sim_core_execution_priority(t)) {
        set_pending(c, EXC_SVCALL);
    } else {
        sim_fault_info none = {0, 0, false};
        route_fault(t, &none, true, SIM_HFSR_FORCED);
    }
}

void sim_core_exception_returned(sim_target *t, unsigned number)
{
    t->core.state_version++;
    if (number < SIM_EXCEPTIONS) t->core.active[number] = false;
    if (number != EXC_NMI) t->cpu.faultmask = 0;
}

void sim_core_set_irq_pending(sim_target *t, unsigned irq)
{
    if (irq < irq_lines(t)) set_pending(&t->core, 16 + irq);
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
        /* NMI preempts a lockup at HardFault's priority (B1.5.15) */
        if (c->lockup && c->pending[EXC_NMI] && sim_core_execution_priority(t) > -2) c->lockup = false;
        if (c->halted || c->lockup || t->nrst_low) {
            c->clock_cycles = target;
            break;
        }
        unsigned next = 0;
        if (c->pending_any) {
            uint32_t masks = mask_key(&t->cpu);
            if (!c->masked_valid || c->masked_version != c->state_version || c->masked_masks != masks) {
                next = pending_exception(t);
                if (!next) { /* nothing can be taken: is anything pending at all? */
                    bool any = false;
                    for (unsigned n = 0; n < SIM_EXCEPTIONS && !any; n++) any = c->pending[n];
                    c->pending_any = any;
                    c->masked_valid = true;
                    c->masked_version = c->state_version;
                    c->masked_masks = masks;
                }
            }
        }
        if (c->sev_event) { /* SCR.SEVONPEND */
            t->cpu.event = true;
            c->sev_event = false;
        }
        if (c->sleeping) {
            if (next || wakes_from_sleep(t) || (c->sleep_wfe && t->cpu.event)) {
                if (c->sleep_wfe) t->cpu.event = false; /* the WFE consumes the event */
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
            enter(t, next, true);
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
            bkpt_fault(t);
            break;
        case SIM_STEP_SVC: svc(t); break;
        case SIM_STEP_WFI:
        case SIM_STEP_WFE:
            if (!wakes_from_sleep(t)) {
                c->sleeping = true;
                c->sleep_wfe = r == SIM_STEP_WFE;
            }
            break;
        case SIM_STEP_FAULT: sim_core_fault(t); break;
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

/* SHCSR's active and pending bits (B3.2.13): bit, exception, pending (else active). ARMv6-M has
 * only SVCALLPENDED. */
static const struct { uint8_t bit, exception; bool pending; } shcsr_state[] = {
    {0, SIM_EXC_MEMMANAGE, false}, {1, SIM_EXC_BUSFAULT, false}, {3, SIM_EXC_USAGEFAULT, false},
    {7, EXC_SVCALL, false},        {8, SIM_EXC_DEBUGMON, false}, {10, EXC_PENDSV, false},
    {11, EXC_SYSTICK, false},      {12, SIM_EXC_USAGEFAULT, true}, {13, SIM_EXC_MEMMANAGE, true},
    {14, SIM_EXC_BUSFAULT, true},  {15, EXC_SVCALL, true},
};

static uint32_t shcsr_value(const sim_target *t)
{
    const sim_core *c = &t->core;
    uint32_t v = is_v6m(t) ? 0 : c->shcsr & (SIM_SHCSR_MEMFAULTENA | SIM_SHCSR_BUSFAULTENA | SIM_SHCSR_USGFAULTENA);
    for (unsigned i = 0; i < sizeof shcsr_state / sizeof shcsr_state[0]; i++) {
        if (is_v6m(t) && shcsr_state[i].bit != 15) continue;
        unsigned n = shcsr_state[i].exception;
        if (shcsr_state[i].pending ? c->pending[n] : c->active[n]) v |= 1u << shcsr_state[i].bit;
    }
    return v;
}

static void shcsr_write(sim_target *t, uint32_t value)
{
    sim_core *c = &t->core;
    if (!is_v6m(t)) c->shcsr = value & (SIM_SHCSR_MEMFAULTENA | SIM_SHCSR_BUSFAULTENA | SIM_SHCSR_USGFAULTENA);
    for (unsigned i = 0; i < sizeof shcsr_state / sizeof shcsr_state[0]; i++) {
        if (is_v6m(t) && shcsr_state[i].bit != 15) continue;
        bool on = (value >> shcsr_state[i].bit) & 1;
        unsigned n = shcsr_state[i].exception;
        if (!shcsr_state[i].pending) c->active[n] = on;
        else if (on) set_pending(c, n);
        else c->pending[n] = false;
    }
}

/* ICSR (B3.2.4): NMIPENDSET, PENDSVSET, PENDSTSET, ISRPREEMPT, ISRPENDING, VECTPENDING,
 * RETTOBASE, VECTACTIVE. */
static uint32_t icsr_value(const sim_target *t)
{
    const sim_core *c = &t->core;
    unsigned pend = highest_pending(t), active = t->cpu.xpsr & XPSR_IPSR;
    bool others = false, irq_pending = false;
    for (unsigned n = 2; n < SIM_EXCEPTIONS; n++) {
        if (c->active[n] && n != active) others = true;
        if (n >= 16 && c->pending[n]) irq_pending = true;
    }
    uint32_t v = (c->pending[EXC_NMI] ? 1u << 31 : 0) | (c->pending[EXC_PENDSV] ? 1u << 28 : 0) |
                 (c->pending[EXC_SYSTICK] ? 1u << 26 : 0) | (pend << 12) | active;
    if (irq_pending) v |= 1u << 22;
    if (!is_v6m(t)) v |= (others ? 0 : 1u << 11) | (pending_exception(t) ? 1u << 23 : 0);
    return v;
}

/* CCR (B3.2.8) after reset: STKALIGN set (PM0056, PM0214, PM0253), the Cortex-M7's branch
 * prediction bit reads as one; ARMv6-M's CCR is fixed (UNALIGN_TRP, STKALIGN). */
static uint32_t ccr_reset(const sim_target *t)
{
    if (is_v6m(t)) return SIM_CCR_STKALIGN | SIM_CCR_UNALIGN_TRP;
    return SIM_CCR_STKALIGN | (t->profile->core == SIM_CORE_M7 ? 1u << 18 : 0);
}

static void ccr_write(sim_target *t, uint32_t value)
{
    sim_core *c = &t->core;
    if (is_v6m(t)) return;
    uint32_t writable = SIM_CCR_NONBASETHRDENA | SIM_CCR_USERSETMPEND | SIM_CCR_UNALIGN_TRP | SIM_CCR_DIV_0_TRP |
                        SIM_CCR_BFHFNMIGN | SIM_CCR_STKALIGN;
    if (t->profile->core == SIM_CORE_M7) writable |= 3u << 16; /* DC, IC (the caches are not modelled) */
    c->ccr = (c->ccr & ~writable) | (value & writable);
}

/* VTOR.TBLOFF (B3.2.5): bits 29:7 on the Cortex-M3 r1p1 (bit 29 selects code or SRAM), 31:7 on
 * the Cortex-M4/M7, 31:8 on ARMv6-M; the Cortex-M0 has no VTOR (RAZ/WI: the table stays at 0). */
static uint32_t vtor_mask(const sim_target *t)
{
    if (t->profile->core == SIM_CORE_M0) return 0;
    if (is_v6m(t)) return 0xFFFFFF00u;
    return t->profile->core == SIM_CORE_M3 ? 0x3FFFFF80u : 0xFFFFFF80u;
}

static void aircr_write(sim_target *t, uint32_t value)
{
    sim_core *c = &t->core;
    if ((value >> 16) != 0x05FA) return; /* VECTKEY */
    if (!is_v6m(t)) c->aircr_prigroup = (value >> 8) & 7;
    if ((value & 2) && c->halted) { /* VECTCLRACTIVE: debug only; clears the active state and IPSR */
        memset(c->active, 0, sizeof c->active);
        sim_cpu_switch_stack(&t->cpu, 0, t->cpu.control);
    }
    if (value & 4) sim_target_reset(t, SIM_RESET_SYSTEM);                        /* SYSRESETREQ */
    else if ((value & 1) && !is_v6m(t)) sim_target_reset(t, SIM_RESET_CORE); /* VECTRESET */
}

/* The registers of the FP extension, RAZ/WI without it: CPACR, FPCCR, FPCAR, FPDSCR, MVFR0-2. */
static uint32_t fp_register(sim_target *t, uint32_t o)
{
    const sim_profile *p = t->profile;
    const sim_core *c = &t->core;
    if (!p->has_fpu) return 0;
    switch (o) {
    case 0xD88: return c->cpacr;
    case 0xF34: return c->fpccr;
    case 0xF38: return c->fpcar;
    case 0xF3C: return c->fpdscr;
    /* Media and FP feature registers: single precision on the M4F and the F7, double on the H7
     * (B4.1.3) */
    case 0xF40: return p->fpu_double ? 0x10110221u : 0x10110021u;
    case 0xF44: return p->core == SIM_CORE_M7 ? 0x12000011u : 0x11000011u;
    case 0xF48: return p->core == SIM_CORE_M7 ? 0x00000040u : 0;
    default: return 0;
    }
}

static void fp_register_write(sim_target *t, uint32_t o, uint32_t value)
{
    sim_core *c = &t->core;
    if (!t->profile->has_fpu) return;
    switch (o) {
    case 0xD88: c->cpacr = value & 0x00F00000u; break; /* CP10, CP11 */
    case 0xF34:
        c->fpccr = value & (SIM_FPCCR_ASPEN | SIM_FPCCR_LSPEN | SIM_FPCCR_MONRDY | SIM_FPCCR_BFRDY |
                            SIM_FPCCR_MMRDY | SIM_FPCCR_HFRDY | SIM_FPCCR_THREAD | SIM_FPCCR_USER |
                            SIM_FPCCR_LSPACT);
        break;
    case 0xF38: c->fpcar = value & ~7u; break;
    case 0xF3C: c->fpdscr = value & 0x07C00000u; break; /* AHP, DN, FZ, RMode */
    default: break;
    }
}

/* The fault status and address registers (B3.2.15-B3.2.18): reserved on ARMv6-M. */
static uint32_t fault_register(sim_target *t, uint32_t o)
{
    const sim_core *c = &t->core;
    if (is_v6m(t)) return 0;
    switch (o) {
    case 0xD28: return c->cfsr;
    case 0xD2C: return c->hfsr;
    case 0xD34: return c->mmfar;
    case 0xD38: return c->bfar;
    default: return 0; /* AFSR: no auxiliary faults */
    }
}

static void fault_register_write(sim_target *t, uint32_t o, uint32_t value)
{
    sim_core *c = &t->core;
    if (is_v6m(t)) return;
    switch (o) {
    case 0xD28: c->cfsr &= ~value; break; /* write one to clear */
    case 0xD2C: c->hfsr &= ~(value & (SIM_HFSR_DEBUGEVT | SIM_HFSR_FORCED | SIM_HFSR_VECTTBL)); break;
    case 0xD34:
        c->mmfar = value;
        if (shared_fault_address(t)) c->bfar = value;
        break;
    case 0xD38:
        c->bfar = value;
        if (shared_fault_address(t)) c->mmfar = value;
        break;
    default: break;
    }
}

static uint32_t scs_word(sim_target *t, uint32_t o, bool *ok)
{
    sim_core *c = &t->core;
    const unsigned lines = irq_lines(t);
    *ok = true;
    if (o >= 0x100 && o < 0x100 + lines / 8) { /* ISER */
        uint32_t w = 0;
        for (unsigned b = 0; b < 32; b++) w |= (uint32_t)c->irq_enabled[(o - 0x100) * 8 + b] << b;
        return w;
    }
    if (o >= 0x180 && o < 0x180 + lines / 8) { /* ICER */
        uint32_t w = 0;
        for (unsigned b = 0; b < 32; b++) w |= (uint32_t)c->irq_enabled[(o - 0x180) * 8 + b] << b;
        return w;
    }
    if (o >= 0x200 && o < 0x300 && (o & 0x7F) < lines / 8) { /* ISPR / ICPR */
        uint32_t w = 0, base = 16 + (o & 0x7F) * 8;
        for (unsigned b = 0; b < 32; b++) w |= (uint32_t)c->pending[base + b] << b;
        return w;
    }
    if (o >= 0x300 && o < 0x300 + lines / 8) { /* IABR */
        uint32_t w = 0, base = 16 + (o - 0x300) * 8;
        for (unsigned b = 0; b < 32; b++) w |= (uint32_t)c->active[base + b] << b;
        return w;
    }
    if (o >= 0x400 && o < 0x400 + lines) {
        const uint8_t *p = &c->irq_priority[o - 0x400];
        return sim_get_le(p, 4);
    }
    if (o >= 0xD18 && o < 0xD24) {
        const uint8_t *p = &c->shpr[o - 0xD18];
        return sim_get_le(p, 4);
    }
    if (o >= 0xFD0) return sim_rom_component_id(t, SIM_COMPONENT_SCS, o);
    if ((o >= 0xD28 && o < 0xD30) || (o >= 0xD34 && o < 0xD40)) return fault_register(t, o);
    if (o == 0xD88 || (o >= 0xF34 && o < 0xF4C)) return fp_register(t, o);
    switch (o) {
    case 0x004: return lines / 32 - 1; /* ICTR */
    case 0x010: { uint32_t v = c->syst_csr; c->syst_csr &= ~(1u << 16); return v; }
    case 0x014: return c->syst_rvr;
    case 0x018: return c->syst_cvr;
    case 0x01C: return 0x40000000u | (t->core_hz / 8 / 100 - 1); /* CALIB: NOREF=0, SKEW, 10 ms */
    case 0xD00: return t->profile->cpuid;
    case 0xD04: return icsr_value(t);
    case 0xD08: return c->vtor;
    case 0xD0C: return 0xFA050000u | c->aircr_prigroup << 8;
    case 0xD10: return c->scr;
    case 0xD14: return c->ccr;
    case 0xD24: return shcsr_value(t);
    case 0xD30: return c->dfsr;
    case 0xDF0: {
        uint32_t v = dhcsr_value(t);
        c->retire_st = false;
        c->reset_st = false;
        return v;
    }
    case 0xDF4: return 0; /* DCRSR is write-only */
    case 0xDF8: return c->dcrdr;
    case 0xDFC: return c->demcr;
    default: break;
    }
    if ((o >= 0xD40 && o < 0xD80) || o < 0xD00) return 0; /* feature registers, reserved: RAZ */
    *ok = o < 0x1000;
    return 0;
}

/* Unprivileged software reaching the SCS gets a BusFault (B3.2.2), but for STIR when
 * CCR.USERSETMPEND allows it. */
static bool scs_denied(const sim_target *t, uint32_t o, sim_master m)
{
    const sim_cpu *c = &t->cpu;
    if (m != SIM_MASTER_CPU || sim_cpu_handler_mode(c) || !(c->control & CONTROL_NPRIV)) return false;
    return !(o == 0xF00 && (t->core.ccr & SIM_CCR_USERSETMPEND) && !is_v6m(t));
}

static sim_bus_status scs_read(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                               uint32_t *value, sim_master m)
{
    (void)ctx;
    bool ok;
    if (scs_denied(t, offset & ~3u, m)) return SIM_BUS_FAULT;
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
    uint8_t pmask = priority_mask(t);
    const unsigned lines = irq_lines(t);
    if (scs_denied(t, o, m)) return SIM_BUS_FAULT;
    c->state_version++; /* any SCS write may change what can be taken */
    /* Byte and halfword writes: priorities are byte-addressable; elsewhere they act on the lanes. */
    if (size < 4 && ((o >= 0x400 && o < 0x400 + lines) || (o >= 0xD18 && o < 0xD24))) {
        uint8_t *p = o >= 0xD18 ? &c->shpr[offset - 0xD18] : &c->irq_priority[offset - 0x400];
        for (unsigned i = 0; i < size; i++) p[i] = (uint8_t)(value >> (8 * i)) & pmask;
        return SIM_BUS_OK;
    }
    if (size < 4) value <<= (offset & 3) * 8;
    if (o >= 0x100 && o < 0x100 + lines / 8) set_bits(&c->irq_enabled[(o - 0x100) * 8], value, true);
    else if (o >= 0x180 && o < 0x180 + lines / 8) set_bits(&c->irq_enabled[(o - 0x180) * 8], value, false);
    else if (o >= 0x200 && o < 0x200 + lines / 8) {
        for (unsigned b = 0; b < 32; b++)
            if (value & (1u << b)) set_pending(c, 16 + (o - 0x200) * 8 + b);
    }
    else if (o >= 0x280 && o < 0x280 + lines / 8) set_bits(&c->pending[16 + (o - 0x280) * 8], value, false);
    else if (o >= 0x400 && o < 0x400 + lines)
        for (unsigned i = 0; i < 4; i++) c->irq_priority[o - 0x400 + i] = (uint8_t)(value >> (8 * i)) & pmask;
    else if (o >= 0xD18 && o < 0xD24)
        for (unsigned i = 0; i < 4; i++) c->shpr[o - 0xD18 + i] = (uint8_t)(value >> (8 * i)) & pmask;
    else if ((o >= 0xD28 && o < 0xD30) || (o >= 0xD34 && o < 0xD40)) fault_register_write(t, o, value);
    else if (o == 0xD88 || (o >= 0xF34 && o < 0xF40)) fp_register_write(t, o, value);
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
        case 0xD08: c->vtor = value & vtor_mask(t); break;
        case 0xD0C: aircr_write(t, value); break;
        case 0xD10: c->scr = value & 0x16; break;
        case 0xD14: ccr_write(t, value); break;
        case 0xD24: shcsr_write(t, value); break;
        case 0xD30: c->dfsr &= ~value; break; /* write one to clear */
        case 0xDF0: if (m == SIM_MASTER_DEBUG) dhcsr_write(t, value); break;
        case 0xDF4: if (m == SIM_MASTER_DEBUG) register_transfer(t, value); break;
        case 0xDF8: c->dcrdr = value; break;
        case 0xDFC:
            c->demcr = value & DEMCR_WRITABLE;
            dwt_freeze(t);
            dwt_update_active(t);
            break;
        case 0xF00: /* STIR */
            if (!is_v6m(t) && (value & 0x1FF) < lines) set_pending(c, 16 + (value & 0x1FF));
            break;
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
    c->ccr = ccr_reset(t);
    if (t->profile->has_fpu) c->fpccr = SIM_FPCCR_ASPEN | SIM_FPCCR_LSPEN;
    /* The H7 boots from BOOT_ADD0 (0x0800 << 16: flash); the others alias flash at 0. */
    /* The RP2040 boots from its boot ROM at 0, which finds the program in flash (sim_rp2040.c). */
    bool rom_boot = t->profile->flash_family == SIM_FLASH_RP2040;
    c->vtor = t->profile->flash_alias_at_zero || rom_boot ? 0 : t->profile->flash_base;
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
