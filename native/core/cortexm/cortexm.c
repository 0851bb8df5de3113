#include "cortexm/cortexm.h"
#include "cortexm/debug_regs.h"

cortexm_core cortexm_core_from_cpuid(uint32_t cpuid)
{
    if ((cpuid >> 24) != 0x41) return CORTEXM_UNKNOWN; /* implementer: Arm */
    switch ((cpuid >> 4) & 0xFFF) { /* PARTNO (ARMv7-M B3.2.3) */
    case 0xC20: return CORTEXM_M0;
    case 0xC60: return CORTEXM_M0P;
    case 0xC23: return CORTEXM_M3;
    case 0xC24: return CORTEXM_M4;
    case 0xC27: return CORTEXM_M7;
    case 0xD21: return CORTEXM_M33;
    default: return CORTEXM_UNKNOWN;
    }
}

bmp_status cortexm_attach(cortexm *c, adiv5_dp *dp, uint8_t apsel)
{
    bmp_status s;
    uint32_t fp_ctrl = 0, dwt_ctrl = 0, mvfr0 = 0;
    for (unsigned i = 0; i < CORTEXM_MAX_BREAKPOINTS; i++) c->breakpoint_at[i] = 0;
    for (unsigned i = 0; i < CORTEXM_MAX_WATCHPOINTS; i++) c->watchpoint_at[i] = c->watchpoint_size[i] = 0;
    c->dp = dp;
    c->apsel = apsel;
    if (c->polls == 0) c->polls = 1000;
    if ((s = cortexm_read32(c, CPUID, &c->cpuid)) != 0) return s;
    c->core = cortexm_core_from_cpuid(c->cpuid);
    if ((s = cortexm_write32(c, DHCSR, DBGKEY | C_DEBUGEN)) != 0) return s;
    if ((s = cortexm_write32(c, DEMCR, DEMCR_TRCENA)) != 0) return s;
    if ((s = cortexm_read32(c, FP_CTRL, &fp_ctrl)) != 0) return s;
    if ((s = cortexm_read32(c, DWT_CTRL, &dwt_ctrl)) != 0) return s;
    c->fpb_revision = (fp_ctrl >> 28) + 1;
    c->breakpoints = ((fp_ctrl >> 4) & 0xF) | ((fp_ctrl >> 8) & 0x70);
    if (c->breakpoints > CORTEXM_MAX_BREAKPOINTS) c->breakpoints = CORTEXM_MAX_BREAKPOINTS;
    c->watchpoints = dwt_ctrl >> 28;
    if (c->watchpoints > CORTEXM_MAX_WATCHPOINTS) c->watchpoints = CORTEXM_MAX_WATCHPOINTS;
    /* An FPU: M4/M7 with MVFR0 reporting single precision (ARMv7-M B4.1.3). */
    if ((c->core == CORTEXM_M4 || c->core == CORTEXM_M7) && cortexm_read32(c, MVFR0, &mvfr0) == 0)
        c->has_fpu = (mvfr0 & 0xF0) != 0;
    /* FPB on; comparators cleared */
    if ((s = cortexm_write32(c, FP_CTRL, 3)) != 0) return s;
    for (unsigned i = 0; i < c->breakpoints; i++)
        if ((s = cortexm_write32(c, FP_COMP0 + 4 * i, 0)) != 0) return s;
    for (unsigned i = 0; i < c->watchpoints; i++)
        if ((s = cortexm_write32(c, DWT_FUNCTION(i), 0)) != 0) return s;
    return BMP_OK;
}

bmp_status cortexm_detach(cortexm *c)
{
    bmp_status s;
    for (unsigned i = 0; i < c->breakpoints; i++) cortexm_write32(c, FP_COMP0 + 4 * i, 0);
    for (unsigned i = 0; i < c->watchpoints; i++) cortexm_write32(c, DWT_FUNCTION(i), 0);
    if ((s = cortexm_write32(c, DEMCR, 0)) != 0) return s;
    return cortexm_write32(c, DHCSR, DBGKEY); /* C_DEBUGEN off: the core runs */
}

static bmp_status wait_for(cortexm *c, uint32_t bits)
{
    for (unsigned i = 0; i < c->polls; i++) {
        uint32_t dhcsr;
        bmp_status s = cortexm_read32(c, DHCSR, &dhcsr);
        if (s != 0) return s;
        if ((dhcsr & bits) == bits) return BMP_OK;
    }
    return BMP_ERR_TIMEOUT;
}

bmp_status cortexm_wait_halted(cortexm *c, uint32_t max_waits, uint32_t *dhcsr)
{
    bmp_status s = BMP_OK;
    *dhcsr = 0;
    for (uint32_t i = 0; s == BMP_OK; i++) {
        s = adiv5_banked_begin(c->dp, c->apsel, DHCSR);
        if (s == BMP_OK) {
            adiv5_banked_read_match(c->dp, 0, S_HALT, S_HALT);
            adiv5_banked_read(c->dp, 0, dhcsr);
            s = adiv5_flush(c->dp);
        }
        if (s == BMP_ERR_MISMATCH) s = cortexm_read32(c, DHCSR, dhcsr); /* locked up, or still running */
        if (s != BMP_OK || (*dhcsr & (S_HALT | S_LOCKUP))) break;
        if (i + 1 >= max_waits) s = BMP_ERR_LOADER_TIMEOUT;
    }
    return s;
}

bmp_status cortexm_halt(cortexm *c)
{
    /* A running core's DFSR may hold stale reasons (a BKPT executed with no debugger sets BKPT
     * as it escalates to HardFault): cleared first, the halt reports itself as requested. */
    uint32_t dhcsr = 0;
    bmp_status s = cortexm_read32(c, DHCSR, &dhcsr);
    if (s != 0) return s;
    if (!(dhcsr & S_HALT)) cortexm_write32(c, DFSR, 0x1F);
    s = cortexm_write32(c, DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
    return s != 0 ? s : wait_for(c, S_HALT);
}

/* Whether the halted core's PC sits on one of our FPB breakpoints: resuming or stepping there
 * would stop again at once without running anything. */
static bool on_breakpoint(cortexm *c)
{
    bool any = false;
    for (unsigned i = 0; i < c->breakpoints; i++) any |= c->breakpoint_at[i] != 0;
    uint32_t pc = 0;
    if (!any || cortexm_read_register(c, 15, &pc) != 0) return false;
    for (unsigned i = 0; i < c->breakpoints; i++)
        if (c->breakpoint_at[i] == ((pc & ~1u) | 1)) return true;
    return false;
}

static bmp_status step_once(cortexm *c, bool mask_interrupts);

bmp_status cortexm_resume(cortexm *c)
{
    uint32_t dhcsr = 0;
    bmp_status s = cortexm_read32(c, DHCSR, &dhcsr);
    if (s != 0) return s;
    if ((dhcsr & S_HALT) && on_breakpoint(c) && (s = cortexm_step(c, true)) != 0) return s;
    c->watch_hit = 0;
    cortexm_write32(c, DFSR, 0x1F); /* clear the halt reasons: the next halt reports its own */
    return cortexm_write32(c, DHCSR, DBGKEY | C_DEBUGEN);
}

bmp_status cortexm_step(cortexm *c, bool mask_interrupts)
{
    if (!on_breakpoint(c)) return step_once(c, mask_interrupts);
    /* Step off the breakpoint with the FPB off for that one instruction (FP_CTRL: KEY, ENABLE). */
    bmp_status s = cortexm_write32(c, FP_CTRL, 2);
    if (s != 0) return s;
    bmp_status stepped = step_once(c, mask_interrupts);
    s = cortexm_write32(c, FP_CTRL, 3);
    return stepped != 0 ? stepped : s;
}

static bmp_status step_once(cortexm *c, bool mask_interrupts)
{
    uint32_t dhcsr;
    c->watch_hit = 0;
    bmp_status s = cortexm_read32(c, DHCSR, &dhcsr);
    if (s != 0) return s;
    if (!(dhcsr & S_HALT)) return BMP_ERR_NOT_HALTED;
    uint32_t mask = mask_interrupts ? C_MASKINTS : 0;
    /* C_MASKINTS may change only while halted: set it first, then step (C1.6.2). */
    if ((s = cortexm_write32(c, DHCSR, DBGKEY | C_DEBUGEN | C_HALT | mask)) != 0) return s;
    cortexm_write32(c, DFSR, 0x1F);
    if ((s = cortexm_write32(c, DHCSR, DBGKEY | C_DEBUGEN | C_STEP | mask)) != 0) return s;
    /* C_STEP stays set while halted, which tells a step from a halt request (DFSR.HALTED is
     * set for both); the next resume or halt clears it. */
    return wait_for(c, S_HALT);
}

/* A reset set off by the nRST pin (`pin`) or by writing `value` to `addr`. */
static bmp_status reset_with(cortexm *c, bool halt, bool pin, uint32_t addr, uint32_t value)
{
    bmp_status s;
    uint32_t demcr;
    if ((s = cortexm_read32(c, DEMCR, &demcr)) != 0) return s;
    demcr = halt ? demcr | DEMCR_VC_CORERESET : demcr & ~DEMCR_VC_CORERESET;
    if ((s = cortexm_write32(c, DEMCR, demcr)) != 0) return s;
    cortexm_write32(c, DFSR, 0x1F);
    uint32_t dhcsr;
    cortexm_read32(c, DHCSR, &dhcsr); /* clears S_RESET_ST */
    if (pin) {
        dp_link *link = c->dp->link;
        if ((s = link->ops->reset_pin(link, true)) != 0) return s;
        if ((s = link->ops->reset_pin(link, false)) != 0) return s;
    } else {
        /* The write may go unanswered if the reset takes the debug port along: errors are expected. */
        cortexm_write32(c, addr, value);
    }
    adiv5_clear_errors(c->dp);
    if ((s = wait_for(c, S_RESET_ST)) != 0 && s != BMP_ERR_TIMEOUT) return s;
    if (halt) {
        if ((s = wait_for(c, S_HALT)) != 0) return s;
        demcr &= ~DEMCR_VC_CORERESET;
        return cortexm_write32(c, DEMCR, demcr);
    }
    return BMP_OK;
}

bmp_status cortexm_reset(cortexm *c, bool halt)
{
    return reset_with(c, halt, false, AIRCR, 0x05FA0004u); /* SYSRESETREQ */
}

bmp_status cortexm_reset_by_write(cortexm *c, bool halt, uint32_t addr, uint32_t value)
{
    return reset_with(c, halt, false, addr, value);
}

bmp_status cortexm_reset_pin(cortexm *c, bool halt)
{
    return reset_with(c, halt, true, 0, 0);
}

bmp_status cortexm_halt_reason_of(cortexm *c, cortexm_halt_reason *reason, uint32_t *watch_address)
{
    uint32_t dhcsr, dfsr;
    bmp_status s;
    if ((s = cortexm_read32(c, DHCSR, &dhcsr)) != 0 || (s = cortexm_read32(c, DFSR, &dfsr)) != 0) return s;
    return cortexm_halt_reason_from(c, dhcsr, dfsr, reason, watch_address);
}

bmp_status cortexm_halt_reason_from(cortexm *c, uint32_t dhcsr, uint32_t dfsr, cortexm_halt_reason *reason,
                             uint32_t *watch_address)
{
    *reason = CORTEXM_HALT_NONE;
    if (!(dhcsr & S_HALT)) {
        if (dhcsr & S_LOCKUP) *reason = CORTEXM_HALT_LOCKUP;
        return BMP_OK;
    }
    if (dfsr & 0x4) { /* DWTTRAP: which comparator matched (MATCHED, read clears it) */
        *reason = CORTEXM_HALT_WATCHPOINT;
        for (unsigned i = 0; i < c->watchpoints; i++) {
            uint32_t function;
            if (cortexm_read32(c, DWT_FUNCTION(i), &function) == 0 && (function & (1u << 24)))
                c->watch_hit = c->watchpoint_at[i] | 1u;
        }
        /* Asked again for the same halt, MATCHED reads as 0: the remembered comparator answers. */
        if (watch_address && c->watch_hit) *watch_address = c->watch_hit & ~1u;
    } else if (dfsr & 0x8) *reason = CORTEXM_HALT_VECTOR_CATCH;
    else if (dfsr & 0x2) *reason = CORTEXM_HALT_BREAKPOINT;
    else if ((dfsr & 0x1) && (dhcsr & C_STEP)) *reason = CORTEXM_HALT_STEP;
    else *reason = CORTEXM_HALT_REQUEST;
    return BMP_OK;
}

static bmp_status register_transfer(cortexm *c, uint32_t dcrsr)
{
    bmp_status s = cortexm_write32(c, DCRSR, dcrsr);
    if (s != 0) return s;
    for (unsigned i = 0; i < c->polls; i++) {
        uint32_t dhcsr;
        if ((s = cortexm_read32(c, DHCSR, &dhcsr)) != 0) return s;
        if (dhcsr & S_REGRDY) return BMP_OK;
        if (!(dhcsr & S_HALT)) return BMP_ERR_NOT_HALTED;
    }
    return BMP_ERR_TIMEOUT;
}

static bool register_exists(const cortexm *c, unsigned regsel)
{
    if (regsel <= 18 || regsel == 20) return true;
    return c->has_fpu && (regsel == 0x21 || (regsel >= 0x40 && regsel < 0x60));
}

bmp_status cortexm_read_register(cortexm *c, unsigned regsel, uint32_t *value)
{
    if (!register_exists(c, regsel)) return BMP_ERR_INVALID;
    bmp_status s = register_transfer(c, regsel);
    return s != 0 ? s : cortexm_read32(c, DCRDR, value);
}

/* Many registers in one batch through the Debug Control Block (DHCSR, DCRSR, DCRDR, DEMCR at
 * 0xE000EDF0), queued through the banked data registers so that a CMSIS-DAP probe does the lot
 * in one or two packets. Per register, a read writes DCRSR, reads DHCSR and reads DCRDR; a write
 * writes DCRDR, writes DCRSR (WnR) and reads DHCSR. A register transfer takes a few core cycles
 * and an SWD access far longer, so S_REGRDY is set when DHCSR is read; if it ever is not, that
 * register and every later one are transferred again one by one, with polling. */
/* Queues the accesses of a register batch (the banked block at DHCSR already begun). */
static void queue_registers(cortexm *c, const unsigned *regsel, unsigned count, uint32_t *values, bool write,
                            uint32_t *status)
{
    for (unsigned i = 0; i < count; i++) {
        if (write) adiv5_banked_write(c->dp, 2, values[i]);                 /* DCRDR */
        adiv5_banked_write(c->dp, 1, (write ? 1u << 16 : 0) | regsel[i]);   /* DCRSR */
        adiv5_banked_read(c->dp, 0, &status[i]);                            /* DHCSR */
        if (!write) adiv5_banked_read(c->dp, 2, &values[i]);                /* DCRDR */
    }
}

/* After a batch: every register whose DHCSR read did not show S_REGRDY is transferred again,
 * with the ones after it, one by one with polling. */
static bmp_status finish_registers(cortexm *c, const unsigned *regsel, unsigned count, uint32_t *values, bool write,
                            const uint32_t *status)
{
    for (unsigned i = 0; i < count; i++) {
        if (!(status[i] & S_HALT)) return BMP_ERR_NOT_HALTED;
        if (status[i] & S_REGRDY) continue;
        for (unsigned j = i; j < count; j++) {
            bmp_status s = write ? cortexm_write_register(c, regsel[j], values[j]) : cortexm_read_register(c, regsel[j], &values[j]);
            if (s != 0) return s;
        }
        break;
    }
    return BMP_OK;
}

static bool registers_exist(const cortexm *c, const unsigned *regsel, unsigned count)
{
    if (count > CORTEXM_MAX_BATCH) return false;
    for (unsigned i = 0; i < count; i++)
        if (!register_exists(c, regsel[i])) return false;
    return true;
}

static bmp_status register_batch(cortexm *c, const unsigned *regsel, unsigned count, uint32_t *values, bool write)
{
    uint32_t status[CORTEXM_MAX_BATCH];
    if (!registers_exist(c, regsel, count)) return BMP_ERR_INVALID;
    bmp_status s = adiv5_banked_begin(c->dp, c->apsel, DHCSR);
    if (s == 0) queue_registers(c, regsel, count, values, write, status);
    if (s == 0) s = adiv5_flush(c->dp);
    return s != 0 ? s : finish_registers(c, regsel, count, values, write, status);
}

bmp_status cortexm_step_batched(cortexm *c, bool mask_interrupts, cortexm_step_batch *b)
{
    uint32_t status[CORTEXM_MAX_BATCH];
    if (!registers_exist(c, b->regsel, b->count) || b->window_count > CORTEXM_STEP_WINDOWS) return BMP_ERR_INVALID;
    b->windows_read = false;
    /* Stepping from an FPB breakpoint at the PC needs the FPB off for that instruction. */
    bool any = false, off_breakpoint = false;
    for (unsigned i = 0; i < c->breakpoints; i++) any |= c->breakpoint_at[i] != 0;
    if (any) {
        uint32_t pc = b->pc;
        bmp_status s = b->pc_known ? 0 : cortexm_read_register(c, 15, &pc);
        if (s != 0) return s;
        for (unsigned i = 0; i < c->breakpoints; i++) off_breakpoint |= c->breakpoint_at[i] == ((pc & ~1u) | 1);
    }
    c->watch_hit = 0;
    uint32_t mask = mask_interrupts ? C_MASKINTS : 0;
    adiv5_dp *dp = c->dp;
    /* Clear the halt reasons, so that the step reports its own. */
    bmp_status s = adiv5_banked_begin(dp, c->apsel, DFSR);
    adiv5_banked_write(dp, 0, 0x1F);
    if (s == 0 && off_breakpoint && (s = adiv5_banked_begin(dp, c->apsel, FP_CTRL)) == 0) adiv5_banked_write(dp, 0, 2);
    if (s == 0) s = adiv5_banked_begin(dp, c->apsel, DHCSR);
    if (s != 0) return s;
    /* C_MASKINTS may change only while halted: set it first, then step (C1.6.2). C_STEP stays
     * set while halted, which tells a step from a halt request. */
    adiv5_banked_write(dp, 0, DBGKEY | C_DEBUGEN | C_HALT | mask);
    adiv5_banked_write(dp, 0, DBGKEY | C_DEBUGEN | C_STEP | mask);
    adiv5_banked_read_match(dp, 0, S_HALT, S_HALT); /* halted again: the rest may go */
    adiv5_banked_read(dp, 0, &b->dhcsr);
    queue_registers(c, b->regsel, b->count, b->values, false, status);
    if (off_breakpoint && (s = adiv5_banked_begin(dp, c->apsel, FP_CTRL)) == 0) adiv5_banked_write(dp, 0, 3);
    if (s == 0) s = adiv5_banked_begin(dp, c->apsel, DFSR);
    if (s == 0) adiv5_banked_read(dp, 0, &b->dfsr);
    for (unsigned i = 0; s == 0 && i < b->window_count; i++)
        adiv5_mem_read_words_queued(dp, c->apsel, b->windows[i].addr, b->windows[i].data, b->windows[i].words);
    if (s == 0) s = adiv5_flush(dp);
    if (s == 0) {
        b->windows_read = true;
        return finish_registers(c, b->regsel, b->count, b->values, false, status);
    }
    if (s != BMP_ERR_MISMATCH) return s;
    /* The core took longer to halt than the match reads waited (a slow core clock): the step
     * was made; wait for it as cortexm_step does, then read what was asked one thing at a time. */
    if ((s = wait_for(c, S_HALT)) != 0) return s;
    if (off_breakpoint && (s = cortexm_write32(c, FP_CTRL, 3)) != 0) return s;
    if ((s = cortexm_read32(c, DHCSR, &b->dhcsr)) != 0 || (s = cortexm_read32(c, DFSR, &b->dfsr)) != 0) return s;
    return cortexm_read_registers(c, b->regsel, b->count, b->values);
}

bmp_status cortexm_read_registers(cortexm *c, const unsigned *regsel, unsigned count, uint32_t *values)
{
    return register_batch(c, regsel, count, values, false);
}

bmp_status cortexm_write_registers(cortexm *c, const unsigned *regsel, unsigned count, const uint32_t *values)
{
    uint32_t copy[CORTEXM_MAX_BATCH];
    if (count > CORTEXM_MAX_BATCH) return BMP_ERR_INVALID;
    for (unsigned i = 0; i < count; i++) copy[i] = values[i];
    return register_batch(c, regsel, count, copy, true);
}

bmp_status cortexm_write_register(cortexm *c, unsigned regsel, uint32_t value)
{
    if (!register_exists(c, regsel)) return BMP_ERR_INVALID;
    bmp_status s = cortexm_write32(c, DCRDR, value);
    return s != 0 ? s : register_transfer(c, (1u << 16) | regsel);
}

/* FPB comparator value (ARMv7-M C1.11.5; FPB revision 2 in ARMv8-M terms, BE bit). */
static bmp_status comparator_for(const cortexm *c, uint32_t addr, uint32_t *comp)
{
    if (addr & 1) return BMP_ERR_INVALID;
    if (c->fpb_revision >= 2) {
        *comp = addr | 1;
        return BMP_OK;
    }
    if (addr >= 0x20000000u) return BMP_ERR_INVALID; /* revision 1: code region only */
    *comp = (addr & 0x1FFFFFFCu) | ((addr & 2) ? 2u << 30 : 1u << 30) | 1;
    return BMP_OK;
}

bmp_status cortexm_set_breakpoint(cortexm *c, uint32_t addr)
{
    uint32_t comp;
    bmp_status s = comparator_for(c, addr, &comp);
    if (s != 0) return s;
    unsigned free_slot = c->breakpoints;
    for (unsigned i = 0; i < c->breakpoints; i++) {
        if (c->breakpoint_at[i] == (addr | 1)) return BMP_OK;
        if (!c->breakpoint_at[i] && free_slot == c->breakpoints) free_slot = i;
    }
    if (free_slot == c->breakpoints) return BMP_ERR_NO_RESOURCE;
    if ((s = cortexm_write32(c, FP_COMP0 + 4 * free_slot, comp)) != 0) return s;
    c->breakpoint_at[free_slot] = addr | 1;
    return BMP_OK;
}

bmp_status cortexm_clear_breakpoint(cortexm *c, uint32_t addr)
{
    for (unsigned i = 0; i < c->breakpoints; i++)
        if (c->breakpoint_at[i] == (addr | 1)) {
            c->breakpoint_at[i] = 0;
            return cortexm_write32(c, FP_COMP0 + 4 * i, 0);
        }
    return BMP_ERR_INVALID;
}

bmp_status cortexm_set_watchpoint(cortexm *c, uint32_t addr, uint32_t size, cortexm_watch kind)
{
    if (size == 0 || (size & (size - 1)) || size > 0x8000 || (addr & (size - 1))) return BMP_ERR_INVALID;
    unsigned mask = 0;
    while ((1u << mask) < size) mask++;
    for (unsigned i = 0; i < c->watchpoints; i++) {
        if (c->watchpoint_size[i]) continue;
        bmp_status s;
        if ((s = cortexm_write32(c, DWT_COMP(i), addr)) != 0 || (s = cortexm_write32(c, DWT_MASK(i), mask)) != 0 ||
            (s = cortexm_write32(c, DWT_FUNCTION(i), kind)) != 0)
            return s;
        c->watchpoint_at[i] = addr;
        c->watchpoint_size[i] = size;
        return BMP_OK;
    }
    return BMP_ERR_NO_RESOURCE;
}

bmp_status cortexm_clear_watchpoint(cortexm *c, uint32_t addr, uint32_t size)
{
    for (unsigned i = 0; i < c->watchpoints; i++)
        if (c->watchpoint_size[i] == size && c->watchpoint_at[i] == addr) {
            c->watchpoint_size[i] = 0;
            return cortexm_write32(c, DWT_FUNCTION(i), 0);
        }
    return BMP_ERR_INVALID;
}
