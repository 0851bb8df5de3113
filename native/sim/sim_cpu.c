/* Thumb executor: the 16-bit encodings, the step with its IT-block handling, the memory
 * accesses and the register file (ARMv6-M ARM DDI 0419 A5/A6; ARMv7-M ARM DDI 0403 A5/A7/B1).
 * The 32-bit encodings of ARMv7-M are in sim_thumb2.c; ARMv6-M profiles get only the 32-bit
 * instructions that ARMv6-M has (BL, MSR, MRS, the barriers).
 *
 * Instructions that the manual calls UNDEFINED, and the UNPREDICTABLE encodings that the core
 * treats as such, end the step with SIM_STEP_FAULT (UNDEFINSTR) and change no register. */
#include <string.h>

#include "sim_cpu_impl.h"
#include "sim_exc.h"

/* --- memory ------------------------------------------------------------------------------ */

static const sim_region *region_for(sim_target *t, const sim_region *cached, uint32_t addr)
{
    if (cached && addr - cached->base < cached->size) return cached;
    return sim_bus_find(&t->bus, addr);
}

/* One naturally aligned access; a bus error faults PRECISERR with BFAR. */
static bool access_aligned(sim_target *t, uint32_t addr, unsigned size, uint32_t *value, bool write)
{
    sim_cpu *c = &t->cpu;
    const sim_region *r = region_for(t, c->data_region, addr);
    bool direct = r && r->mem && !r->debug_only && addr - r->base + size <= r->size &&
                  (!write || r->kind == SIM_REGION_RAM);
    if (direct) {
        c->data_region = r;
        if (write) sim_put_le(r->mem + (addr - r->base), size, *value);
        else *value = sim_get_le(r->mem + (addr - r->base), size);
        return true;
    }
    sim_bus_status s = write ? sim_bus_write(t, addr, size, *value, SIM_MASTER_CPU)
                             : sim_bus_read(t, addr, size, value, SIM_MASTER_CPU);
    if (s == SIM_BUS_OK) return true;
    sim_cpu_fault(c, SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID, addr, true);
    return false;
}

/* ARMv6-M faults every unaligned access (A3.2); ARMv7-M makes LDR/STR/LDRH/STRH (and their T
 * forms) unaligned accesses unless CCR.UNALIGN_TRP, as byte accesses on the bus (A3.2.1). */
static bool access_slow(sim_target *t, uint32_t addr, unsigned size, uint32_t *value, bool write, bool aligned)
{
    if (addr & (size - 1)) {
        if (aligned || isa_v6m(t) || (t->core.ccr & CCR_UNALIGN_TRP)) {
            sim_cpu_fault(&t->cpu, SIM_CFSR_UNALIGNED, addr, false);
            return false;
        }
        uint32_t v = write ? *value : 0;
        for (unsigned i = 0; i < size; i++) {
            uint32_t b = (v >> (8 * i)) & 0xFF;
            if (!access_aligned(t, addr + i, 1, &b, write)) return false;
            if (!write) v |= b << (8 * i);
        }
        if (!write) *value = v;
    } else if (!access_aligned(t, addr, size, value, write)) {
        return false;
    }
    if (t->core.dwt.active) sim_dwt_on_access(t, addr, size, write, *value);
    return true;
}

bool sim_cpu_load_slow(sim_target *t, uint32_t addr, unsigned size, uint32_t *out, bool aligned)
{
    return access_slow(t, addr, size, out, false, aligned);
}

bool sim_cpu_store_slow(sim_target *t, uint32_t addr, unsigned size, uint32_t value, bool aligned)
{
    return access_slow(t, addr, size, &value, true, aligned);
}

bool sim_cpu_load(sim_target *t, uint32_t addr, unsigned size, uint32_t *out)
{
    return cpu_load(t, addr, size, out, true);
}

bool sim_cpu_store(sim_target *t, uint32_t addr, unsigned size, uint32_t value)
{
    return cpu_store(t, addr, size, value, true);
}

/* The 16-bit encodings' accesses: natural alignment faults on ARMv6-M, and on ARMv7-M only for
 * LDM/STM/PUSH/POP (which pass `aligned`). */
static inline bool load(sim_target *t, uint32_t addr, unsigned size, uint32_t *out)
{
    return cpu_load(t, addr, size, out, false);
}

static inline bool store(sim_target *t, uint32_t addr, unsigned size, uint32_t value)
{
    return cpu_store(t, addr, size, value, false);
}

/* --- reset and registers -------------------------------------------------------------------- */

void sim_cpu_reset(sim_target *t)
{
    sim_cpu *c = &t->cpu;
    memset(c->r, 0, sizeof c->r);
    c->sp_other = 0;
    c->xpsr = XPSR_T;
    c->primask = 0;
    c->control = 0;
    c->basepri = 0;
    c->faultmask = 0;
    c->fpscr = 0;
    c->event = false;
    c->excl_open = false;
    c->exc_returned = false;
    c->r[14] = 0xFFFFFFFFu; /* LR reset value is UNKNOWN; Cortex-M parts read 0xFFFFFFFF */
    c->fetch_region = NULL;
    c->data_region = NULL;
}

bool sim_cpu_load_reset_vector(sim_target *t, uint32_t vtor)
{
    uint32_t sp, pc;
    if (sim_bus_read(t, vtor, 4, &sp, SIM_MASTER_CPU) != SIM_BUS_OK ||
        sim_bus_read(t, vtor + 4, 4, &pc, SIM_MASTER_CPU) != SIM_BUS_OK)
        return false;
    sim_cpu *c = &t->cpu;
    c->r[13] = sp & ~3u;
    c->r[15] = pc & ~1u;
    c->xpsr = (pc & 1) ? XPSR_T : 0;
    return true;
}

bool sim_cpu_read_reg(sim_target *t, unsigned regsel, uint32_t *value)
{
    sim_cpu *c = &t->cpu;
    bool fpu = t->profile->has_fpu;
    if (regsel <= 15) *value = c->r[regsel];
    else if (regsel == SIM_REG_XPSR) *value = c->xpsr;
    else if (regsel == SIM_REG_MSP) *value = sim_cpu_get_msp(c);
    else if (regsel == SIM_REG_PSP) *value = sim_cpu_get_psp(c);
    else if (regsel == SIM_REG_SPECIAL)
        *value = (c->control & 0xFF) << 24 | (c->faultmask & 0xFF) << 16 |
                 (c->basepri & 0xFF) << 8 | (c->primask & 0xFF);
    else if (fpu && regsel == SIM_REG_FPSCR) *value = c->fpscr;
    else if (fpu && regsel >= SIM_REG_S0 && regsel < SIM_REG_S0 + 32) *value = c->s[regsel - SIM_REG_S0];
    else return false;
    return true;
}

bool sim_cpu_write_reg(sim_target *t, unsigned regsel, uint32_t value)
{
    sim_cpu *c = &t->cpu;
    bool fpu = t->profile->has_fpu, v6m = isa_v6m(t);
    if (regsel < 13 || regsel == 14) c->r[regsel] = value;
    else if (regsel == 13) c->r[13] = value & ~3u;
    else if (regsel == 15) c->r[15] = value & ~1u;
    else if (regsel == SIM_REG_XPSR) {
        sim_cpu_switch_stack(c, value & XPSR_IPSR, c->control); /* IPSR decides which SP is active */
        /* ARMv7-M adds Q, GE and ITSTATE to what ARMv6-M has */
        c->xpsr = value & (v6m ? 0xF0000000u | XPSR_T | XPSR_IPSR : 0xFF0FFDFFu);
    }
    else if (regsel == SIM_REG_MSP) sim_cpu_set_msp(c, value);
    else if (regsel == SIM_REG_PSP) sim_cpu_set_psp(c, value);
    else if (regsel == SIM_REG_SPECIAL) {
        /* the Cortex-M0 has no unprivileged mode: CONTROL.nPRIV reads 0, ignores writes */
        sim_cpu_switch_stack(c, c->xpsr & XPSR_IPSR, (value >> 24) & (fpu ? 7 : 3) & (m0_privileged_only(t) ? ~1u : ~0u));
        c->faultmask = v6m ? 0 : (value >> 16) & 1;
        c->basepri = v6m ? 0 : (value >> 8) & 0xF0;
        c->primask = value & 1;
    } else if (fpu && regsel == SIM_REG_FPSCR) c->fpscr = value;
    else if (fpu && regsel >= SIM_REG_S0 && regsel < SIM_REG_S0 + 32) c->s[regsel - SIM_REG_S0] = value;
    else return false;
    return true;
}

bool sim_cpu_bx_write_pc(sim_target *t, uint32_t target)
{
    sim_cpu *c = &t->cpu;
    if (sim_cpu_handler_mode(c) && (target & 0xF0000000u) == 0xF0000000u) {
        c->exc_returned = true;
        c->fault.cfsr = 0;
        if (sim_exc_return(t, target)) return true;
        /* the return faults: INVPC (B1.5.8) unless sim_exc said why (UNSTKERR, ...) */
        if (!c->fault.cfsr) sim_cpu_fault(c, SIM_CFSR_INVPC, 0, false);
        return false;
    }
    if (target & 1) c->xpsr |= XPSR_T;
    else c->xpsr &= ~XPSR_T; /* the next instruction faults (INVSTATE) */
    c->r[15] = target & ~1u;
    return true;
}

/* --- the executor ------------------------------------------------------------------------------ */

#define UNDEF() return undefined(c)
#define MEMFAULT() return SIM_STEP_FAULT /* cpu.fault set by the access */

/* The 32-bit instructions of ARMv6-M (A5.3): BL, MSR, MRS, DSB/DMB/ISB; everything else is
 * UNDEFINED there. */
static sim_step_result step_32bit_v6m(sim_target *t, uint32_t hw1, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    uint32_t hw2;
    if (!fetch16(t, pc + 2, &hw2)) return sim_cpu_fault(c, SIM_CFSR_IBUSERR, 0, false);
    if ((hw1 & 0xF800) == 0xF000 && (hw2 & 0xD000) == 0xD000) { /* BL (A6.7.13) */
        uint32_t s = (hw1 >> 10) & 1, j1 = (hw2 >> 13) & 1, j2 = (hw2 >> 11) & 1;
        uint32_t i1 = !(j1 ^ s), i2 = !(j2 ^ s);
        uint32_t imm = s << 24 | i1 << 23 | i2 << 22 | (hw1 & 0x3FF) << 12 | (hw2 & 0x7FF) << 1;
        if (s) imm |= 0xFE000000u;
        c->r[14] = (pc + 4) | 1;
        c->r[15] = pc + 4 + imm;
        *cycles = 3;
        return SIM_STEP_OK;
    }
    if ((hw1 & 0xFFF0) == 0xF380 && (hw2 & 0xFF00) == 0x8800) { /* MSR (A6.7.46, B5.2.3) */
        uint32_t value = c->r[hw1 & 0xF];
        unsigned sysm = hw2 & 0xFF;
        if ((hw1 & 0xF) == 13 || (hw1 & 0xF) == 15) UNDEF();
        switch (sysm) {
        case 0: case 1: case 2: case 3:
            c->xpsr = (c->xpsr & ~0xF0000000u) | (value & 0xF0000000u); /* APSR only */
            break;
        case 5: case 6: case 7: break; /* IPSR/EPSR parts are read-only */
        case 8: sim_cpu_set_msp(c, value); break;
        case 9: sim_cpu_set_psp(c, value); break;
        case 16: c->primask = value & 1; break;
        case 20:
            /* CONTROL.SPSEL is writable only in thread mode (B1.4.4). */
            if (!sim_cpu_handler_mode(c)) sim_cpu_switch_stack(c, 0, (c->control & ~CONTROL_SPSEL) | (value & CONTROL_SPSEL));
            c->control = (c->control & ~1u) | (m0_privileged_only(t) ? 0 : value & 1);
            break;
        default: UNDEF();
        }
        c->r[15] = pc + 4;
        *cycles = 3;
        return SIM_STEP_OK;
    }
    if (hw1 == 0xF3EF && (hw2 & 0xF000) == 0x8000) { /* MRS (A6.7.45) */
        unsigned d = (hw2 >> 8) & 0xF;
        if (d == 13 || d == 15) UNDEF();
        uint32_t value;
        switch (hw2 & 0xFF) {
        case 0: value = c->xpsr & 0xF0000000u; break;
        case 1: value = c->xpsr & (0xF0000000u | XPSR_IPSR); break;
        case 2: value = c->xpsr & 0xF0000000u; break;
        case 3: value = c->xpsr & (0xF0000000u | XPSR_IPSR); break;
        case 5: value = c->xpsr & XPSR_IPSR; break;
        case 6: value = 0; break;
        case 7: value = c->xpsr & XPSR_IPSR; break;
        case 8: value = sim_cpu_get_msp(c); break;
        case 9: value = sim_cpu_get_psp(c); break;
        case 16: value = c->primask & 1; break;
        case 20: value = c->control & 3; break;
        default: UNDEF();
        }
        c->r[d] = value;
        c->r[15] = pc + 4;
        *cycles = 3;
        return SIM_STEP_OK;
    }
    if ((hw1 & 0xFFF0) == 0xF3B0 && (hw2 & 0xFF00) == 0x8F00) { /* DSB, DMB, ISB (A6.7.21...) */
        unsigned op = (hw2 >> 4) & 0xF;
        if (op != 4 && op != 5 && op != 6) UNDEF();
        c->r[15] = pc + 4;
        *cycles = 3;
        return SIM_STEP_OK;
    }
    UNDEF(); /* UDF.W and everything ARMv7-M adds */
}

/* CPS (B5.2.1): PRIMASK with I, FAULTMASK with F (ARMv7-M); ignored when unprivileged. */
static void cps(sim_target *t, uint32_t op)
{
    sim_cpu *c = &t->cpu;
    bool disable = op & 0x10;
    if (isa_v6m(t)) {
        c->primask = disable;
        return;
    }
    if (!privileged(c)) return;
    if (op & 2) c->primask = disable;
    if (op & 1) {
        unsigned ipsr = c->xpsr & XPSR_IPSR;
        if (!disable) c->faultmask = 0;
        else if (ipsr != 2 && ipsr != 3) c->faultmask = 1; /* not at priority -1 or -2 already */
    }
}

/* One 16-bit instruction, or the dispatch of a 32-bit one. `sf`: outside an IT block, where the
 * 16-bit data-processing instructions set the flags (A6.3: inside one they do not). */
static inline __attribute__((always_inline)) sim_step_result exec(sim_target *t, uint32_t op, uint32_t pc, bool sf,
                                                                 unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    uint32_t next = pc + 2;
    unsigned rd = op & 7, rn = (op >> 3) & 7, rm = (op >> 6) & 7;

    switch (op >> 11) {
    case 0x00: case 0x01: case 0x02: { /* LSL, LSR, ASR (immediate) */
        unsigned imm5 = (op >> 6) & 31;
        shift_type type = (shift_type)(op >> 11);
        unsigned amount = (type != SHIFT_LSL && imm5 == 0) ? 32 : imm5;
        uint32_t result = shift_c(c, c->r[rn], type, amount, sf);
        c->r[rd] = result;
        if (sf) set_nz(c, result);
        break;
    }
    case 0x03: { /* ADD/SUB register or 3-bit immediate */
        uint32_t operand = (op & 0x400) ? rm : c->r[rm];
        bool sub = op & 0x200;
        c->r[rd] = add_with_carry(c, c->r[rn], sub ? ~operand : operand, sub, sf);
        break;
    }
    case 0x04: c->r[(op >> 8) & 7] = op & 0xFF; if (sf) set_nz(c, op & 0xFF); break;    /* MOVS */
    case 0x05: add_with_carry(c, c->r[(op >> 8) & 7], ~(op & 0xFF), true, true); break; /* CMP */
    case 0x06: { unsigned d = (op >> 8) & 7; c->r[d] = add_with_carry(c, c->r[d], op & 0xFF, false, sf); break; }
    case 0x07: { unsigned d = (op >> 8) & 7; c->r[d] = add_with_carry(c, c->r[d], ~(op & 0xFF), true, sf); break; }
    case 0x08:
        if (!(op & 0x400)) { /* data processing (A5.2.2) */
            uint32_t a = c->r[rd], b = c->r[rn], result;
            switch ((op >> 6) & 15) {
            case 0x0: result = a & b; break;
            case 0x1: result = a ^ b; break;
            case 0x2: result = shift_c(c, a, SHIFT_LSL, b & 0xFF, sf); break;
            case 0x3: result = shift_c(c, a, SHIFT_LSR, b & 0xFF, sf); break;
            case 0x4: result = shift_c(c, a, SHIFT_ASR, b & 0xFF, sf); break;
            case 0x5: c->r[rd] = add_with_carry(c, a, b, carry_in(c), sf); goto done;
            case 0x6: c->r[rd] = add_with_carry(c, a, ~b, carry_in(c), sf); goto done;
            case 0x7: result = shift_c(c, a, SHIFT_ROR, b & 0xFF, sf); break;
            case 0x8: set_nz(c, a & b); goto done;                                     /* TST */
            case 0x9: c->r[rd] = add_with_carry(c, ~b, 0, true, sf); goto done;        /* RSBS #0 */
            case 0xA: add_with_carry(c, a, ~b, true, true); goto done;                 /* CMP */
            case 0xB: add_with_carry(c, a, b, false, true); goto done;                 /* CMN */
            case 0xC: result = a | b; break;
            case 0xD: result = a * b; break;
            case 0xE: result = a & ~b; break;
            default: result = ~b; break;
            }
            if (sf) set_nz(c, result);
            c->r[rd] = result;
            break;
        }
        /* special data processing and branch-exchange (A5.2.3) */
        {
            unsigned d = (op & 7) | ((op >> 4) & 8), m = (op >> 3) & 15;
            switch ((op >> 8) & 3) {
            case 0: /* ADD (register), high registers */
                if (d == 13 && m == 13) UNDEF();
                if (d == 15) {
                    if (m == 15) UNDEF();
                    next = (reg(c, 15, pc) + c->r[m]) & ~1u;
                    *cycles = 2;
                } else {
                    c->r[d] = reg(c, d, pc) + reg(c, m, pc);
                    if (d == 13) c->r[13] &= ~3u;
                }
                break;
            case 1: /* CMP (register), high registers */
                if ((d < 8 && m < 8) || d == 15 || m == 15) UNDEF();
                add_with_carry(c, c->r[d], ~c->r[m], true, true);
                break;
            case 2: /* MOV (register) */
                if (d == 15) {
                    next = reg(c, m, pc) & ~1u;
                    *cycles = 2;
                } else {
                    c->r[d] = reg(c, m, pc);
                    if (d == 13) c->r[13] &= ~3u;
                }
                break;
            default: /* BX, BLX */
                if (op & 7) UNDEF();
                if (op & 0x80) {
                    if (m == 15) UNDEF();
                    uint32_t target = c->r[m], lr = c->r[14];
                    c->r[14] = (pc + 2) | 1;
                    if (!sim_cpu_bx_write_pc(t, target)) {
                        c->r[14] = lr;
                        return SIM_STEP_FAULT;
                    }
                } else if (!sim_cpu_bx_write_pc(t, reg(c, m, pc))) {
                    return SIM_STEP_FAULT;
                }
                *cycles = 2;
                c->cycles += *cycles;
                return SIM_STEP_OK;
            }
        }
        break;
    case 0x09: { /* LDR (literal) */
        uint32_t v;
        if (!load(t, ((pc + 4) & ~3u) + (op & 0xFF) * 4, 4, &v)) MEMFAULT();
        c->r[(op >> 8) & 7] = v;
        *cycles = 2;
        break;
    }
    case 0x0A: case 0x0B: { /* load/store, register offset (A5.2.4) */
        uint32_t addr = c->r[rn] + c->r[rm], v;
        *cycles = 2;
        switch ((op >> 9) & 7) {
        case 0: if (!store(t, addr, 4, c->r[rd])) MEMFAULT(); break;
        case 1: if (!store(t, addr, 2, c->r[rd] & 0xFFFF)) MEMFAULT(); break;
        case 2: if (!store(t, addr, 1, c->r[rd] & 0xFF)) MEMFAULT(); break;
        case 3: if (!load(t, addr, 1, &v)) MEMFAULT(); c->r[rd] = (uint32_t)(int32_t)(int8_t)v; break;
        case 4: if (!load(t, addr, 4, &v)) MEMFAULT(); c->r[rd] = v; break;
        case 5: if (!load(t, addr, 2, &v)) MEMFAULT(); c->r[rd] = v; break;
        case 6: if (!load(t, addr, 1, &v)) MEMFAULT(); c->r[rd] = v; break;
        default: if (!load(t, addr, 2, &v)) MEMFAULT(); c->r[rd] = (uint32_t)(int32_t)(int16_t)v; break;
        }
        break;
    }
    case 0x0C: case 0x0D: case 0x0E: case 0x0F: case 0x10: case 0x11: { /* load/store immediate */
        unsigned imm5 = (op >> 6) & 31, size = (op >> 11) >= 0x10 ? 2 : (op & 0x1000) ? 1 : 4;
        uint32_t addr = c->r[rn] + imm5 * size, v;
        *cycles = 2;
        if (op & 0x800) {
            if (!load(t, addr, size, &v)) MEMFAULT();
            c->r[rd] = v;
        } else if (!store(t, addr, size, c->r[rd] & (size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1))) {
            MEMFAULT();
        }
        break;
    }
    case 0x12: case 0x13: { /* STR/LDR SP-relative */
        unsigned d = (op >> 8) & 7;
        uint32_t addr = c->r[13] + (op & 0xFF) * 4, v;
        *cycles = 2;
        if (op & 0x800) {
            if (!load(t, addr, 4, &v)) MEMFAULT();
            c->r[d] = v;
        } else if (!store(t, addr, 4, c->r[d])) {
            MEMFAULT();
        }
        break;
    }
    case 0x14: c->r[(op >> 8) & 7] = ((pc + 4) & ~3u) + (op & 0xFF) * 4; break; /* ADR */
    case 0x15: c->r[(op >> 8) & 7] = c->r[13] + (op & 0xFF) * 4; break;       /* ADD Rd, SP, #imm */
    case 0x16: case 0x17: /* miscellaneous (A5.2.5) */
        if ((op & 0xFF00) == 0xB000) { /* ADD/SUB SP, SP, #imm7 */
            uint32_t imm = (op & 0x7F) * 4;
            c->r[13] = (op & 0x80) ? c->r[13] - imm : c->r[13] + imm;
        } else if ((op & 0xFF00) == 0xB200) { /* SXTH, SXTB, UXTH, UXTB */
            uint32_t v = c->r[rn];
            switch ((op >> 6) & 3) {
            case 0: c->r[rd] = (uint32_t)(int32_t)(int16_t)v; break;
            case 1: c->r[rd] = (uint32_t)(int32_t)(int8_t)v; break;
            case 2: c->r[rd] = v & 0xFFFF; break;
            default: c->r[rd] = v & 0xFF; break;
            }
        } else if ((op & 0xFE00) == 0xB400) { /* PUSH */
            uint32_t list = (op & 0xFF) | ((op & 0x100) ? 1u << 14 : 0);
            unsigned count = (unsigned)__builtin_popcount(list);
            if (count == 0) UNDEF();
            uint32_t addr = c->r[13] - 4 * count;
            for (unsigned i = 0, a = addr; i < 15; i++)
                if (list & (1u << i)) {
                    if (!cpu_store(t, a, 4, c->r[i], true)) MEMFAULT();
                    a += 4;
                }
            c->r[13] = addr;
            *cycles = 1 + count;
        } else if ((op & 0xFFE8) == 0xB660 && (op & 3) && !(op & 4) && (!isa_v6m(t) || (op & 0xF) == 2)) {
            cps(t, op); /* CPSIE/CPSID */
        } else if ((op & 0xFF00) == 0xBA00 && ((op >> 6) & 3) != 2) { /* REV, REV16, REVSH */
            uint32_t v = c->r[rn];
            switch ((op >> 6) & 3) {
            case 0: c->r[rd] = __builtin_bswap32(v); break;
            case 1: c->r[rd] = ((v & 0x00FF00FFu) << 8) | ((v >> 8) & 0x00FF00FFu); break;
            default: c->r[rd] = (uint32_t)(int32_t)(int16_t)(((v & 0xFF) << 8) | ((v >> 8) & 0xFF)); break;
            }
        } else if ((op & 0xFE00) == 0xBC00) { /* POP */
            uint32_t list = (op & 0xFF) | ((op & 0x100) ? 1u << 15 : 0), v[16];
            unsigned count = (unsigned)__builtin_popcount(list);
            if (count == 0) UNDEF();
            uint32_t a = c->r[13];
            for (unsigned i = 0; i < 16; i++)
                if (list & (1u << i)) {
                    if (!cpu_load(t, a, 4, &v[i], true)) MEMFAULT();
                    a += 4;
                }
            *cycles = 1 + count;
            if (list & 0x8000) {
                uint32_t saved[9];
                memcpy(saved, c->r, 8 * sizeof(uint32_t));
                saved[8] = c->r[13];
                for (unsigned i = 0; i < 8; i++)
                    if (list & (1u << i)) c->r[i] = v[i];
                c->r[13] = a;
                *cycles += 2;
                if (!sim_cpu_bx_write_pc(t, v[15])) {
                    memcpy(c->r, saved, 8 * sizeof(uint32_t));
                    c->r[13] = saved[8];
                    return SIM_STEP_FAULT;
                }
                c->cycles += *cycles;
                return SIM_STEP_OK;
            }
            for (unsigned i = 0; i < 8; i++)
                if (list & (1u << i)) c->r[i] = v[i];
            c->r[13] = a;
        } else if ((op & 0xFF00) == 0xBE00) { /* BKPT */
            c->bkpt_imm = op & 0xFF;
            return SIM_STEP_BKPT;
        } else if ((op & 0xFF0F) == 0xBF00) { /* hints */
            switch ((op >> 4) & 0xF) {
            case 0: case 1: break; /* NOP, YIELD */
            case 2: /* WFE */
                c->r[15] = next;
                c->cycles += 2;
                *cycles = 2;
                if (c->event) {
                    c->event = false;
                    return SIM_STEP_OK;
                }
                return SIM_STEP_WFE;
            case 3: c->r[15] = next; c->cycles += 2; *cycles = 2; return SIM_STEP_WFI;
            case 4: c->event = true; break; /* SEV */
            default: break;                 /* other hints execute as NOP */
            }
        } else if (isa_v6m(t)) {
            UNDEF(); /* CBZ/CBNZ, IT and the rest are ARMv7-M only */
        } else if ((op & 0xF500) == 0xB100) { /* CBZ, CBNZ (A7.7.21) */
            if (!sf) UNDEF(); /* in an IT block: UNPREDICTABLE */
            bool nonzero = op & 0x800;
            if ((c->r[rd] != 0) == nonzero) {
                next = pc + 4 + (((op >> 3) & 0x1F) << 1) + (((op >> 9) & 1) << 6);
                *cycles = 2;
            }
        } else if ((op & 0xFF00) == 0xBF00) { /* IT (A7.7.37) */
            unsigned firstcond = (op >> 4) & 15;
            if (!sf || firstcond == 15 || (firstcond == 14 && __builtin_popcount(op & 0xF) != 1)) UNDEF();
            c->r[15] = next;
            it_set(c, op & 0xFF);
            c->cycles += 1;
            return SIM_STEP_OK;
        } else {
            UNDEF();
        }
        break;
    case 0x18: { /* STM (STMIA Rn!, {list}) */
        unsigned n = (op >> 8) & 7, count = (unsigned)__builtin_popcount(op & 0xFF);
        if (count == 0) UNDEF();
        /* Rn in the list but not the lowest register: UNPREDICTABLE. */
        if ((op & (1u << n)) && (op & ((1u << n) - 1))) UNDEF();
        uint32_t a = c->r[n];
        for (unsigned i = 0; i < 8; i++)
            if (op & (1u << i)) {
                if (!cpu_store(t, a, 4, c->r[i], true)) MEMFAULT();
                a += 4;
            }
        c->r[n] = a;
        *cycles = 1 + count;
        break;
    }
    case 0x19: { /* LDM (LDMIA Rn{!}, {list}): writeback unless Rn is in the list */
        unsigned n = (op >> 8) & 7, count = (unsigned)__builtin_popcount(op & 0xFF);
        uint32_t a = c->r[n], v[8];
        if (count == 0) UNDEF();
        for (unsigned i = 0; i < 8; i++)
            if (op & (1u << i)) {
                if (!cpu_load(t, a, 4, &v[i], true)) MEMFAULT();
                a += 4;
            }
        for (unsigned i = 0; i < 8; i++)
            if (op & (1u << i)) c->r[i] = v[i];
        if (!(op & (1u << n))) c->r[n] = a;
        *cycles = 1 + count;
        break;
    }
    case 0x1A: case 0x1B: { /* B<cond>, UDF, SVC */
        unsigned cond = (op >> 8) & 15;
        if (cond == 14) UNDEF(); /* UDF */
        if (cond == 15) {       /* SVC */
            c->r[15] = next;
            c->cycles += 1;
            return SIM_STEP_SVC;
        }
        if (!sf) UNDEF(); /* B<cond> in an IT block: UNPREDICTABLE */
        if (condition_passed(c, cond)) {
            next = pc + 4 + (uint32_t)((int32_t)(int8_t)(op & 0xFF) * 2);
            *cycles = 2;
        }
        break;
    }
    case 0x1C: /* B (unconditional) */
        next = pc + 4 + (uint32_t)(((int32_t)(op << 21)) >> 20);
        *cycles = 2;
        break;
    default: { /* 32-bit encodings */
        sim_step_result r;
        if (isa_v6m(t)) {
            if ((op >> 11) == 0x1D) UNDEF();
            r = step_32bit_v6m(t, op, pc, cycles);
        } else {
            r = sim_thumb2_step(t, op, pc, cycles);
        }
        if (r == SIM_STEP_OK) c->cycles += *cycles;
        return r;
    }
    }
done:
    c->r[15] = next;
    c->cycles += *cycles;
    return SIM_STEP_OK;
}

/* The IT block (A7.3): the condition of the current instruction, the flags rule, and the
 * advance of ITSTATE once the instruction has completed. Also the EPSR.T = 0 fault. */
static sim_step_result step_special(sim_target *t, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    uint32_t pc = c->r[15], op;
    if (!(c->xpsr & XPSR_T)) return sim_cpu_fault(c, SIM_CFSR_INVSTATE, 0, false);
    if (!fetch16(t, pc, &op)) return sim_cpu_fault(c, SIM_CFSR_IBUSERR, 0, false);
    unsigned it = it_get(c);
    unsigned next_it = (it & 7) == 0 ? 0 : (it & 0xE0) | ((it << 1) & 0x1F);
    sim_step_result r;
    if ((op & 0xFF00) == 0xBE00) return exec(t, op, pc, false, cycles); /* BKPT: unconditional */
    if (!condition_passed(c, it >> 4)) {
        c->r[15] = pc + ((op >> 11) >= 0x1D ? 4 : 2);
        c->cycles += 1;
        r = SIM_STEP_OK;
    } else {
        c->exc_returned = false;
        r = exec(t, op, pc, false, cycles);
        if (r == SIM_STEP_FAULT || c->exc_returned) return r;
    }
    it_set(c, next_it);
    return r;
}

sim_step_result sim_cpu_step(sim_target *t, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    uint32_t op;
    *cycles = 1;
    if (UNLIKELY((c->xpsr & (XPSR_T | XPSR_IT_MASK)) != XPSR_T)) return step_special(t, cycles);
    uint32_t pc = c->r[15];
    if (UNLIKELY(!fetch16(t, pc, &op))) return sim_cpu_fault(c, SIM_CFSR_IBUSERR, 0, false);
    return exec(t, op, pc, true, cycles);
}
