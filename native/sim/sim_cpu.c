/* ARMv6-M Thumb executor (ARMv6-M Architecture Reference Manual, DDI 0419: A5 encodings,
 * A6 instruction pseudo-code, B1.5 exception model). One instruction per sim_cpu_step.
 *
 * Instructions that the manual calls UNDEFINED, and the UNPREDICTABLE encodings that a
 * Cortex-M0+ treats as such, end the step with SIM_STEP_FAULT and change nothing. */
#include <string.h>

#include "sim_exc.h"
#include "sim_target.h"

/* --- memory ------------------------------------------------------------------------------ */

static const sim_region *region_for(sim_target *t, const sim_region *cached, uint32_t addr)
{
    if (cached && addr - cached->base < cached->size) return cached;
    return sim_bus_find(&t->bus, addr);
}

static bool fetch16(sim_target *t, uint32_t addr, uint32_t *out)
{
    sim_cpu *c = &t->cpu;
    const sim_region *r = region_for(t, c->fetch_region, addr);
    if (!r || !r->mem || r->debug_only || (addr & 1) || addr - r->base + 2 > r->size) return false;
    c->fetch_region = r;
    const uint8_t *p = r->mem + (addr - r->base);
    *out = sim_get_le(p, 2);
    return true;
}

static bool load(sim_target *t, uint32_t addr, unsigned size, uint32_t *out)
{
    sim_cpu *c = &t->cpu;
    if (addr & (size - 1)) return false; /* ARMv6-M: every unaligned access faults (A3.2) */
    const sim_region *r = region_for(t, c->data_region, addr);
    if (r && r->mem && !r->debug_only && addr - r->base + size <= r->size) {
        c->data_region = r;
        *out = sim_get_le(r->mem + (addr - r->base), size);
    } else if (sim_bus_read(t, addr, size, out, SIM_MASTER_CPU) != SIM_BUS_OK) {
        return false;
    }
    if (t->core.dwt.active) sim_dwt_on_access(t, addr, size, false, *out);
    return true;
}

static bool store(sim_target *t, uint32_t addr, unsigned size, uint32_t value)
{
    sim_cpu *c = &t->cpu;
    if (addr & (size - 1)) return false;
    const sim_region *r = region_for(t, c->data_region, addr);
    if (r && r->kind == SIM_REGION_RAM && !r->debug_only && addr - r->base + size <= r->size) {
        c->data_region = r;
        sim_put_le(r->mem + (addr - r->base), size, value);
    } else if (sim_bus_write(t, addr, size, value, SIM_MASTER_CPU) != SIM_BUS_OK) {
        return false;
    }
    if (t->core.dwt.active) sim_dwt_on_access(t, addr, size, true, value);
    return true;
}

bool sim_cpu_load(sim_target *t, uint32_t addr, unsigned size, uint32_t *out)
{
    if (load(t, addr, size, out)) return true;
    sim_cpu_fault(&t->cpu, (addr & (size - 1)) ? SIM_CFSR_UNALIGNED : SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID,
                  addr, !(addr & (size - 1)));
    return false;
}

bool sim_cpu_store(sim_target *t, uint32_t addr, unsigned size, uint32_t value)
{
    if (store(t, addr, size, value)) return true;
    sim_cpu_fault(&t->cpu, (addr & (size - 1)) ? SIM_CFSR_UNALIGNED : SIM_CFSR_PRECISERR | SIM_CFSR_BFARVALID,
                  addr, !(addr & (size - 1)));
    return false;
}

/* --- flags and arithmetic (A2.2.1) -------------------------------------------------------- */

static void set_nz(sim_cpu *c, uint32_t result)
{
    c->xpsr = (c->xpsr & ~(XPSR_N | XPSR_Z)) | (result & XPSR_N) | (result ? 0 : XPSR_Z);
}

static void set_c(sim_cpu *c, bool carry)
{
    c->xpsr = carry ? c->xpsr | XPSR_C : c->xpsr & ~XPSR_C;
}

static bool carry_in(const sim_cpu *c)
{
    return (c->xpsr & XPSR_C) != 0;
}

/* AddWithCarry(x, y, carry_in), setting N, Z, C and V when `set_flags`. */
static uint32_t add_with_carry(sim_cpu *c, uint32_t x, uint32_t y, bool carry, bool set_flags)
{
    uint64_t unsigned_sum = (uint64_t)x + y + carry;
    uint32_t result = (uint32_t)unsigned_sum;
    if (set_flags) {
        bool overflow = ((~(x ^ y) & (x ^ result)) >> 31) != 0;
        set_nz(c, result);
        set_c(c, (unsigned_sum >> 32) != 0);
        c->xpsr = overflow ? c->xpsr | XPSR_V : c->xpsr & ~XPSR_V;
    }
    return result;
}

typedef enum { SHIFT_LSL, SHIFT_LSR, SHIFT_ASR, SHIFT_ROR } shift_type;

/* Shift_C with an amount already decoded (0..255 for register shifts). */
static uint32_t shift_c(sim_cpu *c, uint32_t value, shift_type type, unsigned amount, bool set_carry)
{
    if (amount == 0) return value;
    uint32_t result;
    bool carry;
    switch (type) {
    case SHIFT_LSL:
        result = amount < 32 ? value << amount : 0;
        carry = amount <= 32 ? (value >> (32 - amount)) & 1 : 0;
        break;
    case SHIFT_LSR:
        result = amount < 32 ? value >> amount : 0;
        carry = amount <= 32 ? (value >> (amount - 1)) & 1 : 0;
        break;
    case SHIFT_ASR:
        if (amount >= 32) {
            result = (value & 0x80000000u) ? 0xFFFFFFFFu : 0;
            carry = value >> 31;
        } else {
            result = (uint32_t)((int32_t)value >> amount);
            carry = (value >> (amount - 1)) & 1;
        }
        break;
    default: {
        unsigned r = amount & 31;
        result = r ? (value >> r) | (value << (32 - r)) : value;
        carry = result >> 31;
        break;
    }
    }
    if (set_carry) set_c(c, carry);
    return result;
}

static bool condition_passed(const sim_cpu *c, unsigned cond)
{
    uint32_t f = c->xpsr;
    bool n = f & XPSR_N, z = f & XPSR_Z, cy = f & XPSR_C, v = f & XPSR_V;
    bool result;
    switch (cond >> 1) {
    case 0: result = z; break;
    case 1: result = cy; break;
    case 2: result = n; break;
    case 3: result = v; break;
    case 4: result = cy && !z; break;
    case 5: result = n == v; break;
    case 6: result = n == v && !z; break;
    default: return true;
    }
    return (cond & 1) ? !result : result;
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
    bool fpu = t->profile->has_fpu;
    if (regsel < 13 || regsel == 14) c->r[regsel] = value;
    else if (regsel == 13) c->r[13] = value & ~3u;
    else if (regsel == 15) c->r[15] = value & ~1u;
    else if (regsel == SIM_REG_XPSR) {
        sim_cpu_switch_stack(c, value & XPSR_IPSR, c->control); /* IPSR decides which SP is active */
        c->xpsr = value & (0xF0000000u | XPSR_T | XPSR_IPSR);
    }
    else if (regsel == SIM_REG_MSP) sim_cpu_set_msp(c, value);
    else if (regsel == SIM_REG_PSP) sim_cpu_set_psp(c, value);
    else if (regsel == SIM_REG_SPECIAL) {
        sim_cpu_switch_stack(c, c->xpsr & XPSR_IPSR, (value >> 24) & 3);
        c->faultmask = (value >> 16) & 1;
        c->basepri = (value >> 8) & 0xFF;
        c->primask = value & 1;
    } else if (fpu && regsel == SIM_REG_FPSCR) c->fpscr = value;
    else if (fpu && regsel >= SIM_REG_S0 && regsel < SIM_REG_S0 + 32) c->s[regsel - SIM_REG_S0] = value;
    else return false;
    return true;
}

/* BXWritePC / LoadWritePC: interworking branch, or exception return in handler mode. */
static bool bx_write_pc(sim_target *t, uint32_t target)
{
    sim_cpu *c = &t->cpu;
    if (sim_cpu_handler_mode(c) && (target & 0xF0000000u) == 0xF0000000u) return sim_exc_return(t, target);
    if (target & 1) c->xpsr |= XPSR_T;
    else c->xpsr &= ~XPSR_T; /* the next instruction faults (INVSTATE) */
    c->r[15] = target & ~1u;
    return true;
}

/* --- the executor ------------------------------------------------------------------------------ */

#define FAULT() return sim_cpu_fault(&t->cpu, 0, 0, false)

/* Reads a register as an operand: the PC reads as the instruction address + 4. */
static uint32_t reg(const sim_cpu *c, unsigned n, uint32_t pc)
{
    return n == 15 ? pc + 4 : c->r[n];
}

static sim_step_result step_32bit(sim_target *t, uint32_t hw1, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    uint32_t hw2;
    if (!fetch16(t, pc + 2, &hw2)) FAULT();
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
        if ((hw1 & 0xF) == 13 || (hw1 & 0xF) == 15) FAULT();
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
            c->control = (c->control & ~1u) | (value & 1);
            break;
        default: FAULT();
        }
        c->r[15] = pc + 4;
        *cycles = 3;
        return SIM_STEP_OK;
    }
    if (hw1 == 0xF3EF && (hw2 & 0xF000) == 0x8000) { /* MRS (A6.7.45) */
        unsigned d = (hw2 >> 8) & 0xF;
        if (d == 13 || d == 15) FAULT();
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
        default: FAULT();
        }
        c->r[d] = value;
        c->r[15] = pc + 4;
        *cycles = 3;
        return SIM_STEP_OK;
    }
    if ((hw1 & 0xFFF0) == 0xF3B0 && (hw2 & 0xFF00) == 0x8F00) { /* DSB, DMB, ISB (A6.7.21...) */
        unsigned op = (hw2 >> 4) & 0xF;
        if (op != 4 && op != 5 && op != 6) FAULT();
        c->r[15] = pc + 4;
        *cycles = 3;
        return SIM_STEP_OK;
    }
    FAULT(); /* UDF.W and everything else */
}

sim_step_result sim_cpu_step(sim_target *t, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    uint32_t pc = c->r[15];
    uint32_t op;
    *cycles = 1;
    if (!(c->xpsr & XPSR_T) || !fetch16(t, pc, &op)) FAULT();
    uint32_t next = pc + 2;
    unsigned rd = op & 7, rn = (op >> 3) & 7, rm = (op >> 6) & 7;

    switch (op >> 11) {
    case 0x00: case 0x01: case 0x02: { /* LSL, LSR, ASR (immediate) */
        unsigned imm5 = (op >> 6) & 31;
        shift_type type = (shift_type)(op >> 11);
        unsigned amount = (type != SHIFT_LSL && imm5 == 0) ? 32 : imm5;
        uint32_t result = shift_c(c, c->r[rn], type, amount, true);
        c->r[rd] = result;
        set_nz(c, result);
        break;
    }
    case 0x03: { /* ADD/SUB register or 3-bit immediate */
        uint32_t operand = (op & 0x400) ? rm : c->r[rm];
        bool sub = op & 0x200;
        c->r[rd] = add_with_carry(c, c->r[rn], sub ? ~operand : operand, sub, true);
        break;
    }
    case 0x04: c->r[(op >> 8) & 7] = op & 0xFF; set_nz(c, op & 0xFF); break;         /* MOVS */
    case 0x05: add_with_carry(c, c->r[(op >> 8) & 7], ~(op & 0xFF), true, true); break; /* CMP */
    case 0x06: { unsigned d = (op >> 8) & 7; c->r[d] = add_with_carry(c, c->r[d], op & 0xFF, false, true); break; }
    case 0x07: { unsigned d = (op >> 8) & 7; c->r[d] = add_with_carry(c, c->r[d], ~(op & 0xFF), true, true); break; }
    case 0x08:
        if (!(op & 0x400)) { /* data processing (A5.2.2) */
            uint32_t a = c->r[rd], b = c->r[rn], result;
            switch ((op >> 6) & 15) {
            case 0x0: result = a & b; set_nz(c, result); c->r[rd] = result; break;
            case 0x1: result = a ^ b; set_nz(c, result); c->r[rd] = result; break;
            case 0x2: result = shift_c(c, a, SHIFT_LSL, b & 0xFF, true); set_nz(c, result); c->r[rd] = result; break;
            case 0x3: result = shift_c(c, a, SHIFT_LSR, b & 0xFF, true); set_nz(c, result); c->r[rd] = result; break;
            case 0x4: result = shift_c(c, a, SHIFT_ASR, b & 0xFF, true); set_nz(c, result); c->r[rd] = result; break;
            case 0x5: c->r[rd] = add_with_carry(c, a, b, carry_in(c), true); break;
            case 0x6: c->r[rd] = add_with_carry(c, a, ~b, carry_in(c), true); break;
            case 0x7: result = shift_c(c, a, SHIFT_ROR, b & 0xFF, true); set_nz(c, result); c->r[rd] = result; break;
            case 0x8: set_nz(c, a & b); break;
            case 0x9: c->r[rd] = add_with_carry(c, ~b, 0, true, true); break; /* RSBS #0 */
            case 0xA: add_with_carry(c, a, ~b, true, true); break;
            case 0xB: add_with_carry(c, a, b, false, true); break;
            case 0xC: result = a | b; set_nz(c, result); c->r[rd] = result; break;
            case 0xD: result = a * b; set_nz(c, result); c->r[rd] = result; break;
            case 0xE: result = a & ~b; set_nz(c, result); c->r[rd] = result; break;
            default: result = ~b; set_nz(c, result); c->r[rd] = result; break;
            }
            break;
        }
        /* special data processing and branch-exchange (A5.2.3) */
        {
            unsigned d = (op & 7) | ((op >> 4) & 8), m = (op >> 3) & 15;
            switch ((op >> 8) & 3) {
            case 0: /* ADD (register), high registers */
                if (d == 13 && m == 13) FAULT();
                if (d == 15) {
                    if (m == 15) FAULT();
                    next = (reg(c, 15, pc) + c->r[m]) & ~1u;
                    *cycles = 2;
                } else {
                    c->r[d] = reg(c, d, pc) + reg(c, m, pc);
                    if (d == 13) c->r[13] &= ~3u;
                }
                break;
            case 1: /* CMP (register), high registers */
                if ((d < 8 && m < 8) || d == 15 || m == 15) FAULT();
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
                if (op & 7) FAULT();
                if (op & 0x80) {
                    if (m == 15) FAULT();
                    uint32_t target = c->r[m];
                    c->r[14] = (pc + 2) | 1;
                    if (!bx_write_pc(t, target)) FAULT();
                } else {
                    if (!bx_write_pc(t, reg(c, m, pc))) FAULT();
                }
                *cycles = 2;
                c->cycles += *cycles;
                return SIM_STEP_OK;
            }
        }
        break;
    case 0x09: { /* LDR (literal) */
        uint32_t v;
        if (!load(t, ((pc + 4) & ~3u) + (op & 0xFF) * 4, 4, &v)) FAULT();
        c->r[(op >> 8) & 7] = v;
        *cycles = 2;
        break;
    }
    case 0x0A: case 0x0B: { /* load/store, register offset (A5.2.4) */
        uint32_t addr = c->r[rn] + c->r[rm], v;
        *cycles = 2;
        switch ((op >> 9) & 7) {
        case 0: if (!store(t, addr, 4, c->r[rd])) FAULT(); break;
        case 1: if (!store(t, addr, 2, c->r[rd] & 0xFFFF)) FAULT(); break;
        case 2: if (!store(t, addr, 1, c->r[rd] & 0xFF)) FAULT(); break;
        case 3: if (!load(t, addr, 1, &v)) FAULT(); c->r[rd] = (uint32_t)(int32_t)(int8_t)v; break;
        case 4: if (!load(t, addr, 4, &v)) FAULT(); c->r[rd] = v; break;
        case 5: if (!load(t, addr, 2, &v)) FAULT(); c->r[rd] = v; break;
        case 6: if (!load(t, addr, 1, &v)) FAULT(); c->r[rd] = v; break;
        default: if (!load(t, addr, 2, &v)) FAULT(); c->r[rd] = (uint32_t)(int32_t)(int16_t)v; break;
        }
        break;
    }
    case 0x0C: case 0x0D: case 0x0E: case 0x0F: case 0x10: case 0x11: { /* load/store immediate */
        unsigned imm5 = (op >> 6) & 31, size = (op >> 11) >= 0x10 ? 2 : (op & 0x1000) ? 1 : 4;
        uint32_t addr = c->r[rn] + imm5 * size, v;
        *cycles = 2;
        if (op & 0x800) {
            if (!load(t, addr, size, &v)) FAULT();
            c->r[rd] = v;
        } else if (!store(t, addr, size, c->r[rd] & (size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1))) {
            FAULT();
        }
        break;
    }
    case 0x12: case 0x13: { /* STR/LDR SP-relative */
        unsigned d = (op >> 8) & 7;
        uint32_t addr = c->r[13] + (op & 0xFF) * 4, v;
        *cycles = 2;
        if (op & 0x800) {
            if (!load(t, addr, 4, &v)) FAULT();
            c->r[d] = v;
        } else if (!store(t, addr, 4, c->r[d])) {
            FAULT();
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
            if (count == 0) FAULT();
            uint32_t addr = c->r[13] - 4 * count;
            for (unsigned i = 0, a = addr; i < 15; i++)
                if (list & (1u << i)) {
                    if (!store(t, a, 4, c->r[i])) FAULT();
                    a += 4;
                }
            c->r[13] = addr;
            *cycles = 1 + count;
        } else if ((op & 0xFFEF) == 0xB662) { /* CPSIE/CPSID i */
            c->primask = (op & 0x10) ? 1 : 0;
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
            if (count == 0) FAULT();
            uint32_t a = c->r[13];
            for (unsigned i = 0; i < 16; i++)
                if (list & (1u << i)) {
                    if (!load(t, a, 4, &v[i])) FAULT();
                    a += 4;
                }
            for (unsigned i = 0; i < 8; i++)
                if (list & (1u << i)) c->r[i] = v[i];
            c->r[13] = a;
            *cycles = 1 + count;
            if (list & 0x8000) {
                *cycles += 2;
                if (!bx_write_pc(t, v[15])) FAULT();
                c->cycles += *cycles;
                return SIM_STEP_OK;
            }
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
        } else {
            FAULT(); /* CBZ/CBNZ, IT and the rest are ARMv7-M only */
        }
        break;
    case 0x18: { /* STM (STMIA Rn!, {list}) */
        unsigned n = (op >> 8) & 7, count = (unsigned)__builtin_popcount(op & 0xFF);
        if (count == 0) FAULT();
        /* Rn in the list but not the lowest register: UNPREDICTABLE. */
        if ((op & (1u << n)) && (op & ((1u << n) - 1))) FAULT();
        uint32_t a = c->r[n];
        for (unsigned i = 0; i < 8; i++)
            if (op & (1u << i)) {
                if (!store(t, a, 4, c->r[i])) FAULT();
                a += 4;
            }
        c->r[n] = a;
        *cycles = 1 + count;
        break;
    }
    case 0x19: { /* LDM (LDMIA Rn{!}, {list}): writeback unless Rn is in the list */
        unsigned n = (op >> 8) & 7, count = (unsigned)__builtin_popcount(op & 0xFF);
        uint32_t a = c->r[n], v[8];
        if (count == 0) FAULT();
        for (unsigned i = 0; i < 8; i++)
            if (op & (1u << i)) {
                if (!load(t, a, 4, &v[i])) FAULT();
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
        if (cond == 14) FAULT(); /* UDF */
        if (cond == 15) {       /* SVC */
            c->r[15] = next;
            c->cycles += 1;
            return SIM_STEP_SVC;
        }
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
    default: /* 32-bit encodings */
        if ((op >> 11) == 0x1D) FAULT();
        {
            sim_step_result r = step_32bit(t, op, pc, cycles);
            if (r == SIM_STEP_OK) c->cycles += *cycles;
            return r;
        }
    }
    c->r[15] = next;
    c->cycles += *cycles;
    return SIM_STEP_OK;
}
