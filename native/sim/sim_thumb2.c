/* The 32-bit Thumb-2 encodings of ARMv7-M (ARMv7-M ARM DDI 0403: A5.3 encodings, A7.7
 * instruction details, B5.2 system instructions). The DSP extension's encodings go to sim_dsp,
 * the coprocessor space CP10/CP11 to sim_fpu.
 *
 * Every path checks the encoding completely before it changes anything, so a fault leaves the
 * registers as they were (memory written by a multi-word store before the fault stays written,
 * as on silicon). UNPREDICTABLE register choices fault as UNDEFINED. */
#include "sim_cpu_impl.h"
#include "sim_dsp.h"
#include "sim_exc.h"
#include "sim_fpu.h"

#define UNDEF() return undefined(c)
#define MEMFAULT() return SIM_STEP_FAULT /* cpu.fault set by the access */

static inline bool has_dsp(const sim_target *t)
{
    return t->profile->core == SIM_CORE_M4 || t->profile->core == SIM_CORE_M7;
}

static inline bool bad_reg(unsigned r) /* SP or PC where the manual says UNPREDICTABLE */
{
    return r == 13 || r == 15;
}

static inline uint32_t ror32(uint32_t v, unsigned r)
{
    r &= 31;
    return r ? (v >> r) | (v << (32 - r)) : v;
}

static inline sim_step_result done(sim_cpu *c, uint32_t pc, unsigned *cycles, unsigned n)
{
    c->r[15] = pc + 4;
    *cycles = n;
    return SIM_STEP_OK;
}

/* ThumbExpandImm_C (A5.3.2): the carry out is the carry in unless the constant is rotated. */
static uint32_t expand_imm_c(uint32_t imm12, bool *carry)
{
    uint32_t b = imm12 & 0xFF;
    if ((imm12 >> 10) == 0) {
        switch ((imm12 >> 8) & 3) {
        case 0: return b;
        case 1: return b << 16 | b;
        case 2: return b << 24 | b << 8;
        default: return b * 0x01010101u;
        }
    }
    uint32_t v = ror32(0x80 | (imm12 & 0x7F), (imm12 >> 7) & 31);
    *carry = v >> 31;
    return v;
}

/* DecodeImmShift (A7.4.2) and the shift itself. */
static uint32_t imm_shift(uint32_t value, unsigned type, unsigned imm5, bool *carry)
{
    if (type == SHIFT_ROR && imm5 == 0) return shift_carry(value, SHIFT_RRX, 1, carry);
    if (type != SHIFT_LSL && imm5 == 0) imm5 = 32;
    return shift_carry(value, (shift_type)type, imm5, carry);
}

/* Data processing with a modified immediate (A5.3.1) or a shifted register (A5.3.11): `b` is
 * the second operand and `carry` its shifter carry. Rn = PC makes ORR/ORN into MOV/MVN. */
static sim_step_result data_processing(sim_cpu *c, uint32_t hw1, uint32_t hw2, uint32_t b, bool carry, uint32_t pc,
                                       unsigned *cycles)
{
    unsigned op = (hw1 >> 5) & 15, n = hw1 & 15, d = (hw2 >> 8) & 15;
    bool s = hw1 & 0x10;
    bool test = d == 15 && s && (op == 0 || op == 4 || op == 8 || op == 13); /* TST TEQ CMN CMP */
    if (n == 15 && op != 2 && op != 3) UNDEF();
    if (d == 15 && !test) UNDEF();
    if (d == 13 && !((op == 8 || op == 13) && n == 13)) UNDEF();
    uint32_t a = n == 15 ? 0 : c->r[n], result;
    switch (op) {
    case 0: result = a & b; break;
    case 1: result = a & ~b; break;
    case 2: result = a | b; break;
    case 3: result = a | ~b; break;
    case 4: result = a ^ b; break;
    case 8: result = add_with_carry(c, a, b, false, s); goto write;
    case 10: result = add_with_carry(c, a, b, carry_in(c), s); goto write;
    case 11: result = add_with_carry(c, a, ~b, carry_in(c), s); goto write;
    case 13: result = add_with_carry(c, a, ~b, true, s); goto write;
    case 14: result = add_with_carry(c, ~a, b, true, s); goto write;
    default: UNDEF();
    }
    if (s) {
        set_nz(c, result);
        set_c(c, carry);
    }
write:
    if (!test) c->r[d] = d == 13 ? result & ~3u : result; /* SP[1:0] are zero */
    return done(c, pc, cycles, 1);
}

/* SignedSatQ / UnsignedSatQ (A2.2.2) setting APSR.Q on saturation. */
static uint32_t saturate(sim_cpu *c, int64_t v, unsigned bits, bool is_signed)
{
    int64_t hi = is_signed ? ((int64_t)1 << (bits - 1)) - 1 : ((int64_t)1 << bits) - 1;
    int64_t lo = is_signed ? -((int64_t)1 << (bits - 1)) : 0;
    if (v > hi || v < lo) {
        c->xpsr |= XPSR_Q;
        v = v > hi ? hi : lo;
    }
    return (uint32_t)v;
}

/* Data processing with a plain binary immediate (A5.3.3). */
static sim_step_result plain_immediate(sim_target *t, uint32_t hw1, uint32_t hw2, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    unsigned op = (hw1 >> 4) & 0x1F, n = hw1 & 15, d = (hw2 >> 8) & 15;
    uint32_t imm12 = ((hw1 >> 10) & 1) << 11 | ((hw2 >> 12) & 7) << 8 | (hw2 & 0xFF);
    uint32_t imm16 = (hw1 & 15) << 12 | imm12;
    unsigned imm5 = ((hw2 >> 12) & 7) << 2 | ((hw2 >> 6) & 3), low5 = hw2 & 31;
    if (d == 15 || (d == 13 && !((op == 0 || op == 0xA) && n == 13))) UNDEF();
    if (op >= 0x10 && ((hw1 & 0x400) || (hw2 & 0x20) || n == 13 || (n == 15 && op != 0x16))) UNDEF();
    uint32_t v = c->r[n];
    switch (op) {
    case 0x00: /* ADDW, ADR.W */
        c->r[d] = (n == 15 ? ((pc + 4) & ~3u) + imm12 : v + imm12) & (d == 13 ? ~3u : ~0u);
        break;
    case 0x0A: /* SUBW, ADR.W (subtract) */
        c->r[d] = (n == 15 ? ((pc + 4) & ~3u) - imm12 : v - imm12) & (d == 13 ? ~3u : ~0u);
        break;
    case 0x04: c->r[d] = imm16; break;                                /* MOVW */
    case 0x0C: c->r[d] = (c->r[d] & 0xFFFF) | imm16 << 16; break;     /* MOVT */
    case 0x10: case 0x12: case 0x18: case 0x1A: { /* SSAT, USAT (A7.7.127, A7.7.190) */
        bool asr = op & 2, is_signed = op < 0x18;
        if (asr && imm5 == 0) { /* SSAT16, USAT16: the DSP extension */
            if (!has_dsp(t)) UNDEF();
            sim_dsp_result r = sim_dsp_execute(t, hw1 << 16 | hw2, pc, cycles);
            if (r == SIM_DSP_DONE) return SIM_STEP_OK;
            if (r == SIM_DSP_FAULT) return SIM_STEP_FAULT;
            UNDEF();
        }
        int64_t operand = asr ? (int64_t)((int32_t)v >> imm5) : (int64_t)(int32_t)(v << imm5);
        c->r[d] = saturate(c, operand, is_signed ? low5 + 1 : low5, is_signed);
        break;
    }
    case 0x14: case 0x1C: { /* SBFX, UBFX */
        unsigned width = low5 + 1;
        if (imm5 + width > 32) UNDEF();
        uint32_t field = (v >> imm5) & (width == 32 ? 0xFFFFFFFFu : (1u << width) - 1);
        if (op == 0x14 && width < 32 && (field >> (width - 1)) & 1) field |= ~0u << width;
        c->r[d] = field;
        break;
    }
    case 0x16: { /* BFI, BFC */
        if (low5 < imm5) UNDEF();
        uint32_t mask = (uint32_t)((2ull << low5) - (1ull << imm5));
        uint32_t src = n == 15 ? 0 : v << imm5;
        c->r[d] = (c->r[d] & ~mask) | (src & mask);
        break;
    }
    default: UNDEF();
    }
    return done(c, pc, cycles, 1);
}

/* MSR (B5.2.3): unprivileged writes to anything but the APSR are ignored. */
static sim_step_result msr(sim_target *t, uint32_t hw1, uint32_t hw2, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    unsigned n = hw1 & 15, sysm = hw2 & 0xFF, mask = (hw2 >> 10) & 3;
    uint32_t v = c->r[n];
    if (bad_reg(n) || (hw2 & 0x300)) UNDEF();
    if (sysm <= 3) {
        if (mask == 0 || ((mask & 1) && !has_dsp(t))) UNDEF();
        if (mask & 2) c->xpsr = (c->xpsr & ~0xF8000000u) | (v & 0xF8000000u);
        if (mask & 1) c->xpsr = (c->xpsr & ~XPSR_GE_MASK) | (v & XPSR_GE_MASK);
        return done(c, pc, cycles, 1);
    }
    if (mask != 2) UNDEF();
    bool priv = privileged(c);
    switch (sysm) {
    case 5: case 6: case 7: break; /* IPSR, EPSR: read-only */
    case 8: if (priv) sim_cpu_set_msp(c, v); break;
    case 9: if (priv) sim_cpu_set_psp(c, v); break;
    case 16: if (priv) c->primask = v & 1; break;
    case 17: if (priv) c->basepri = v & 0xF0; break;
    case 18: /* BASEPRI_MAX: only raises the priority boost */
        if (priv && (v & 0xF0) && (c->basepri == 0 || (v & 0xF0) < c->basepri)) c->basepri = v & 0xF0;
        break;
    case 19: { /* FAULTMASK: cannot be set at priority -1 or above */
        unsigned ipsr = c->xpsr & XPSR_IPSR;
        if (priv && (!(v & 1) || (ipsr != 2 && ipsr != 3))) c->faultmask = v & 1;
        break;
    }
    case 20:
        if (!priv) break;
        if (!sim_cpu_handler_mode(c))
            sim_cpu_switch_stack(c, 0, (c->control & ~CONTROL_SPSEL) | (v & CONTROL_SPSEL));
        c->control = (c->control & ~(CONTROL_NPRIV | CONTROL_FPCA)) | (v & CONTROL_NPRIV) |
                     (t->profile->has_fpu ? v & CONTROL_FPCA : 0);
        break;
    default: UNDEF();
    }
    return done(c, pc, cycles, 2);
}

/* MRS (B5.2.2): EPSR (T, ITSTATE) reads as zero. */
static sim_step_result mrs(sim_target *t, uint32_t hw1, uint32_t hw2, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    unsigned d = (hw2 >> 8) & 15;
    if (bad_reg(d) || (hw1 & 0x1F) != 0xF || (hw2 & 0x2000)) UNDEF();
    uint32_t apsr = c->xpsr & (0xF8000000u | (has_dsp(t) ? XPSR_GE_MASK : 0)), v;
    switch (hw2 & 0xFF) {
    case 0: case 2: v = apsr; break;
    case 1: case 3: v = apsr | (c->xpsr & XPSR_IPSR); break;
    case 5: case 7: v = c->xpsr & XPSR_IPSR; break;
    case 6: v = 0; break;
    case 8: v = sim_cpu_get_msp(c); break;
    case 9: v = sim_cpu_get_psp(c); break;
    case 16: v = c->primask & 1; break;
    case 17: case 18: v = c->basepri; break;
    case 19: v = c->faultmask & 1; break;
    case 20: v = c->control & (t->profile->has_fpu ? 7 : 3); break;
    default: UNDEF();
    }
    c->r[d] = v;
    return done(c, pc, cycles, 2);
}

/* Branches and miscellaneous control (A5.3.4). */
static sim_step_result branch_misc(sim_target *t, uint32_t hw1, uint32_t hw2, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    unsigned op1 = (hw2 >> 12) & 5, op = (hw1 >> 4) & 0x7F;
    uint32_t s = (hw1 >> 10) & 1, j1 = (hw2 >> 13) & 1, j2 = (hw2 >> 11) & 1;
    if (op1 & 1) { /* B.W (T4), BL */
        uint32_t i1 = !(j1 ^ s), i2 = !(j2 ^ s);
        uint32_t imm = i1 << 23 | i2 << 22 | (hw1 & 0x3FF) << 12 | (hw2 & 0x7FF) << 1;
        if (s) imm |= 0xFF000000u;
        if (op1 & 4) c->r[14] = (pc + 4) | 1;
        c->r[15] = pc + 4 + imm;
        *cycles = op1 & 4 ? 4 : 3;
        return SIM_STEP_OK;
    }
    if (op1 == 4) UNDEF(); /* BLX (immediate): ARM state does not exist */
    if ((op & 0x38) != 0x38) { /* B<cond>.W (T3) */
        if (in_it_block(c)) UNDEF();
        uint32_t imm = j2 << 19 | j1 << 18 | (hw1 & 0x3F) << 12 | (hw2 & 0x7FF) << 1;
        if (s) imm |= 0xFFF00000u;
        if (condition_passed(c, (hw1 >> 6) & 15)) {
            c->r[15] = pc + 4 + imm;
            *cycles = 3;
        } else {
            c->r[15] = pc + 4;
        }
        return SIM_STEP_OK;
    }
    if (hw2 & 0x4000) UNDEF(); /* op1 = 010: UDF.W (permanently undefined) and the rest */
    switch (op) {
    case 0x38: case 0x39: return msr(t, hw1, hw2, pc, cycles);
    case 0x3A: /* hints (A5.3.4); CPS.W does not exist on M profile */
        if (hw2 & 0x700) UNDEF();
        switch (hw2 & 0xFF) {
        case 2: /* WFE */
            done(c, pc, cycles, 2);
            if (c->event) {
                c->event = false;
                return SIM_STEP_OK;
            }
            return SIM_STEP_WFE;
        case 3: done(c, pc, cycles, 2); return SIM_STEP_WFI;
        case 4: c->event = true; break; /* SEV */
        default: break;                 /* NOP, YIELD, DBG, unallocated hints */
        }
        return done(c, pc, cycles, 1);
    case 0x3B: /* CLREX, DSB, DMB, ISB */
        switch ((hw2 >> 4) & 15) {
        case 2: sim_cpu_clear_exclusive(c); return done(c, pc, cycles, 1);
        case 4: case 5: case 6: return done(c, pc, cycles, 3);
        default: UNDEF();
        }
    case 0x3E: case 0x3F: return mrs(t, hw1, hw2, pc, cycles);
    default: UNDEF(); /* BXJ, SUBS PC, LR: not on M profile */
    }
}

/* LoadWritePC after a load that also changed other registers: undoes them if the exception
 * return faults. */
static sim_step_result load_write_pc(sim_target *t, uint32_t value, const uint32_t *saved, unsigned *cycles,
                                     unsigned n)
{
    sim_cpu *c = &t->cpu;
    *cycles = n;
    if (sim_cpu_bx_write_pc(t, value)) return SIM_STEP_OK;
    for (unsigned i = 0; i < 15; i++) c->r[i] = saved[i];
    return SIM_STEP_FAULT;
}

/* LDM, STM, PUSH.W, POP.W (A5.3.5). */
static sim_step_result load_store_multiple(sim_target *t, uint32_t hw1, uint32_t hw2, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    unsigned op = (hw1 >> 7) & 3, n = hw1 & 15, count = (unsigned)__builtin_popcount(hw2);
    bool wback = hw1 & 0x20, is_load = hw1 & 0x10;
    if (op == 0 || op == 3 || n == 15 || count < 2 || (hw2 & 0x2000)) UNDEF();
    if (is_load ? (hw2 & 0xC000) == 0xC000 : (hw2 & 0x8000)) UNDEF();
    if (wback && (hw2 & (1u << n))) UNDEF();
    uint32_t base = c->r[n], start = op == 1 ? base : base - 4 * count;
    uint32_t end = op == 1 ? base + 4 * count : start, a = start, v[16];
    for (unsigned i = 0; i < 16; i++) {
        if (!(hw2 & (1u << i))) continue;
        if (is_load ? !cpu_load(t, a, 4, &v[i], true) : !cpu_store(t, a, 4, c->r[i], true)) MEMFAULT();
        a += 4;
    }
    if (!is_load) {
        if (wback) c->r[n] = end;
        return done(c, pc, cycles, 1 + count);
    }
    uint32_t saved[15];
    for (unsigned i = 0; i < 15; i++) saved[i] = c->r[i];
    if (wback) c->r[n] = end;
    for (unsigned i = 0; i < 15; i++)
        if (hw2 & (1u << i)) c->r[i] = v[i];
    if (hw2 & 0x8000) return load_write_pc(t, v[15], saved, cycles, 3 + count);
    return done(c, pc, cycles, 1 + count);
}

/* The exclusive monitor: LDREX opens it for an address and size, STREX succeeds only then. */
static sim_step_result load_exclusive(sim_target *t, unsigned tr, uint32_t addr, unsigned size, uint32_t pc,
                                      unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    uint32_t v;
    if (!cpu_load(t, addr, size, &v, true)) MEMFAULT();
    c->r[tr] = v;
    c->excl_open = true;
    c->excl_addr = addr;
    c->excl_size = (uint8_t)size;
    return done(c, pc, cycles, 2);
}

static sim_step_result store_exclusive(sim_target *t, unsigned d, unsigned tr, uint32_t addr, unsigned size,
                                       uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    if (addr & (size - 1)) return sim_cpu_fault(c, SIM_CFSR_UNALIGNED, addr, false);
    bool pass = c->excl_open && c->excl_addr == addr && c->excl_size == size;
    if (pass && !cpu_store(t, addr, size, c->r[tr], true)) MEMFAULT();
    c->excl_open = false;
    c->r[d] = pass ? 0 : 1;
    return done(c, pc, cycles, 2);
}

/* LDRD/STRD, LDREX/STREX (B, H, word), TBB/TBH (A5.3.6). */
static sim_step_result dual_exclusive_table(sim_target *t, uint32_t hw1, uint32_t hw2, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    unsigned op1 = (hw1 >> 7) & 3, op2 = (hw1 >> 4) & 3, op3 = (hw2 >> 4) & 15;
    unsigned n = hw1 & 15, tr = hw2 >> 12, t2 = (hw2 >> 8) & 15;
    uint32_t imm8 = (hw2 & 0xFF) << 2;
    if (op1 == 0 && op2 == 0) { /* STREX */
        if (bad_reg(t2) || bad_reg(tr) || n == 15 || t2 == n || t2 == tr) UNDEF();
        return store_exclusive(t, t2, tr, c->r[n] + imm8, 4, pc, cycles);
    }
    if (op1 == 0 && op2 == 1) { /* LDREX */
        if (bad_reg(tr) || n == 15 || t2 != 15) UNDEF();
        return load_exclusive(t, tr, c->r[n] + imm8, 4, pc, cycles);
    }
    if (op1 == 1 && op2 == 0) { /* STREXB, STREXH */
        unsigned d = hw2 & 15;
        if ((op3 != 4 && op3 != 5) || t2 != 15 || bad_reg(d) || bad_reg(tr) || n == 15 || d == n || d == tr) UNDEF();
        return store_exclusive(t, d, tr, c->r[n], op3 == 4 ? 1 : 2, pc, cycles);
    }
    if (op1 == 1 && op2 == 1) {
        if (op3 == 0 || op3 == 1) { /* TBB, TBH */
            unsigned m = hw2 & 15;
            uint32_t v;
            if (n == 13 || bad_reg(m) || (hw2 & 0xFF00) != 0xF000) UNDEF();
            if (it_not_last(c)) UNDEF();
            uint32_t base = reg(c, n, pc);
            if (op3 == 0 ? !cpu_load(t, base + c->r[m], 1, &v, false) : !cpu_load(t, base + 2 * c->r[m], 2, &v, false))
                MEMFAULT();
            c->r[15] = pc + 4 + 2 * v;
            *cycles = 4;
            return SIM_STEP_OK;
        }
        if (op3 == 4 || op3 == 5) { /* LDREXB, LDREXH */
            if ((hw2 & 0xF0F) != 0xF0F || bad_reg(tr) || n == 15) UNDEF();
            return load_exclusive(t, tr, c->r[n], op3 == 4 ? 1 : 2, pc, cycles);
        }
        UNDEF();
    }
    /* LDRD, STRD (immediate), LDRD (literal) */
    bool p = hw1 & 0x100, u = hw1 & 0x80, w = hw1 & 0x20, is_load = hw1 & 0x10;
    if (w && (n == tr || n == t2)) UNDEF();
    if (bad_reg(tr) || bad_reg(t2) || (is_load && tr == t2) || (n == 15 && (!is_load || w))) UNDEF();
    uint32_t base = n == 15 ? (pc + 4) & ~3u : c->r[n];
    uint32_t offset_addr = u ? base + imm8 : base - imm8, addr = p ? offset_addr : base;
    if (is_load) {
        uint32_t a, b;
        if (!cpu_load(t, addr, 4, &a, true) || !cpu_load(t, addr + 4, 4, &b, true)) MEMFAULT();
        if (w) c->r[n] = offset_addr;
        c->r[tr] = a;
        c->r[t2] = b;
    } else {
        if (!cpu_store(t, addr, 4, c->r[tr], true) || !cpu_store(t, addr + 4, 4, c->r[t2], true)) MEMFAULT();
        if (w) c->r[n] = offset_addr;
    }
    return done(c, pc, cycles, 3);
}

/* LDR/STR{B,H,SB,SH,T} and the hints PLD/PLI (A5.3.7-A5.3.10). */
static sim_step_result load_store_single(sim_target *t, uint32_t hw1, uint32_t hw2, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    unsigned size_bits = (hw1 >> 5) & 3, n = hw1 & 15, tr = hw2 >> 12, size = 1u << size_bits;
    bool sign = hw1 & 0x100, is_load = hw1 & 0x10, wback = false;
    if (size_bits == 3 || (sign && size_bits == 2) || (!is_load && (sign || n == 15))) UNDEF();
    uint32_t addr, offset_addr = 0;
    if (n == 15) { /* literal */
        uint32_t base = (pc + 4) & ~3u, imm12 = hw2 & 0xFFF;
        addr = (hw1 & 0x80) ? base + imm12 : base - imm12;
    } else if (hw1 & 0x80) { /* imm12 */
        addr = c->r[n] + (hw2 & 0xFFF);
    } else if (hw2 & 0x800) { /* imm8 with P, U, W; or the unprivileged T form */
        bool p = hw2 & 0x400, u = hw2 & 0x200, w = hw2 & 0x100;
        uint32_t imm8 = hw2 & 0xFF;
        if (!p && !w) UNDEF();
        offset_addr = u ? c->r[n] + imm8 : c->r[n] - imm8;
        addr = p ? offset_addr : c->r[n];
        wback = w; /* P=1 U=1 W=0 is the unprivileged T form */
    } else if ((hw2 & 0xFC0) == 0) { /* register, LSL #0-3 */
        unsigned m = hw2 & 15;
        if (bad_reg(m)) UNDEF();
        addr = c->r[n] + (c->r[m] << ((hw2 >> 4) & 3));
    } else {
        UNDEF();
    }
    if (tr == 15 && size < 4) { /* PLD, PLI and the unallocated hints: no access */
        if (!is_load || wback) UNDEF();
        return done(c, pc, cycles, 1);
    }
    if (wback && n == tr) UNDEF();
    if ((tr == 13 && size < 4) || (!is_load && tr == 15)) UNDEF();
    if (!is_load) {
        uint32_t v = c->r[tr];
        if (!cpu_store(t, addr, size, size == 4 ? v : v & ((1u << (8 * size)) - 1), false)) MEMFAULT();
        if (wback) c->r[n] = offset_addr;
        return done(c, pc, cycles, 2);
    }
    uint32_t v;
    if (!cpu_load(t, addr, size, &v, tr == 15)) MEMFAULT();
    if (sign) v = size == 1 ? (uint32_t)(int32_t)(int8_t)v : (uint32_t)(int32_t)(int16_t)v;
    if (tr == 15) { /* LDR PC: an interworking branch, last in an IT block */
        if (it_not_last(c)) UNDEF();
        uint32_t saved[15];
        for (unsigned i = 0; i < 15; i++) saved[i] = c->r[i];
        if (wback) c->r[n] = offset_addr;
        return load_write_pc(t, v, saved, cycles, 4);
    }
    if (wback) c->r[n] = offset_addr;
    c->r[tr] = v;
    return done(c, pc, cycles, 2);
}

/* Data processing (register) of the base architecture (A5.3.12): shifts by register, the
 * extends without add, REV/REV16/REVSH/RBIT/CLZ. The rest of this space is the DSP extension. */
static sim_step_result data_processing_register(sim_cpu *c, uint32_t hw1, uint32_t hw2, uint32_t pc,
                                                unsigned *cycles)
{
    unsigned op1 = (hw1 >> 4) & 15, op2 = (hw2 >> 4) & 15, n = hw1 & 15, d = (hw2 >> 8) & 15, m = hw2 & 15;
    if ((hw2 & 0xF000) != 0xF000 || bad_reg(d) || bad_reg(m)) UNDEF();
    uint32_t v = c->r[m], result;
    if (op1 < 8 && op2 == 0) { /* LSL, LSR, ASR, ROR (register) */
        bool s = op1 & 1;
        if (bad_reg(n)) UNDEF();
        result = shift_c(c, c->r[n], (shift_type)(op1 >> 1), v & 0xFF, s);
        if (s) set_nz(c, result);
    } else if (op1 < 6 && (op2 & 0xC) == 8 && n == 15 && op1 != 2 && op1 != 3) { /* SXTH UXTH SXTB UXTB */
        v = ror32(v, (op2 & 3) * 8);
        switch (op1) {
        case 0: result = (uint32_t)(int32_t)(int16_t)v; break;
        case 1: result = v & 0xFFFF; break;
        case 4: result = (uint32_t)(int32_t)(int8_t)v; break;
        default: result = v & 0xFF; break;
        }
    } else if ((op1 & 0xC) == 8 && (op2 & 0xC) == 8 && n == m) {
        switch ((op1 & 3) << 2 | (op2 & 3)) {
        case 0x4: result = __builtin_bswap32(v); break;                                       /* REV */
        case 0x5: result = ((v & 0x00FF00FFu) << 8) | ((v >> 8) & 0x00FF00FFu); break;         /* REV16 */
        case 0x6: /* RBIT */
            v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
            v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
            v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
            result = __builtin_bswap32(v);
            break;
        case 0x7: result = (uint32_t)(int32_t)(int16_t)(((v & 0xFF) << 8) | ((v >> 8) & 0xFF)); break; /* REVSH */
        case 0xC: result = v ? (uint32_t)__builtin_clz(v) : 32; break;                         /* CLZ */
        default: UNDEF();
        }
    } else {
        UNDEF();
    }
    c->r[d] = result;
    return done(c, pc, cycles, 1);
}

/* Divide cycles on Cortex-M3/M4: 2 to 12, fewer when the quotient has few significant bits. */
static unsigned divide_cycles(uint32_t n, uint32_t m)
{
    if (m == 0 || n < m) return 2;
    unsigned bits = (unsigned)(__builtin_clz(m) - __builtin_clz(n)) + 1;
    return 2 + (bits + 3) / 4 > 12 ? 12 : 2 + (bits + 3) / 4;
}

/* MUL, MLA, MLS (A5.3.16) and the long multiplies and divides (A5.3.17). */
static sim_step_result multiply(sim_target *t, uint32_t hw1, uint32_t hw2, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    unsigned op1 = (hw1 >> 4) & 7, n = hw1 & 15, lo = hw2 >> 12, hi = (hw2 >> 8) & 15, m = hw2 & 15;
    uint32_t a = c->r[n], b = c->r[m];
    if (bad_reg(n) || bad_reg(m) || bad_reg(hi)) UNDEF();
    if (!(hw1 & 0x80)) { /* 0xFB0x-0xFB7x */
        unsigned op2 = (hw2 >> 4) & 15;
        if (op1 != 0 || op2 > 1 || lo == 13 || (op2 == 1 && lo == 15)) UNDEF();
        uint32_t acc = lo == 15 ? 0 : c->r[lo];
        c->r[hi] = op2 ? acc - a * b : acc + a * b;
        return done(c, pc, cycles, lo == 15 ? 1 : 2);
    }
    unsigned op2 = (hw2 >> 4) & 15;
    if (op2 == 15 && (op1 == 1 || op1 == 3)) { /* SDIV, UDIV */
        if (lo != 15) UNDEF();
        uint32_t q;
        if (b == 0) {
            if (t->core.ccr & CCR_DIV_0_TRP) return sim_cpu_fault(c, SIM_CFSR_DIVBYZERO, 0, false);
            q = 0;
        } else if (op1 == 1) {
            q = (a == 0x80000000u && b == 0xFFFFFFFFu) ? a : (uint32_t)((int32_t)a / (int32_t)b);
        } else {
            q = a / b;
        }
        c->r[hi] = q;
        return done(c, pc, cycles, op1 == 1 ? divide_cycles(a >> 31 ? -a : a, b >> 31 ? -b : b) : divide_cycles(a, b));
    }
    if (op2 != 0 || (op1 & 1) || bad_reg(lo) || lo == hi) UNDEF(); /* the rest is the DSP extension */
    bool is_signed = !(op1 & 2), accumulate = op1 & 4;
    uint64_t product = is_signed ? (uint64_t)((int64_t)(int32_t)a * (int32_t)b) : (uint64_t)a * b;
    if (accumulate) product += (uint64_t)c->r[hi] << 32 | c->r[lo];
    c->r[lo] = (uint32_t)product;
    c->r[hi] = (uint32_t)(product >> 32);
    return done(c, pc, cycles, accumulate ? 4 : 3);
}

sim_step_result sim_thumb2_step(sim_target *t, uint32_t hw1, uint32_t pc, unsigned *cycles)
{
    sim_cpu *c = &t->cpu;
    uint32_t hw2;
    if (!fetch16(t, pc + 2, &hw2)) return sim_cpu_fault(c, SIM_CFSR_IBUSERR, 0, false);
    switch (hw1 >> 9) {
    case 0x74: /* 0xE800-0xE9FF */
        return (hw1 & 0x40) ? dual_exclusive_table(t, hw1, hw2, pc, cycles)
                            : load_store_multiple(t, hw1, hw2, pc, cycles);
    case 0x75: { /* 0xEA00-0xEBFF: data processing (shifted register) */
        if (((hw1 >> 5) & 15) == 6) { /* PKHBT, PKHTB: the DSP extension */
            if (!has_dsp(t)) UNDEF();
            sim_dsp_result r = sim_dsp_execute(t, hw1 << 16 | hw2, pc, cycles);
            if (r == SIM_DSP_DONE) return SIM_STEP_OK;
            if (r == SIM_DSP_FAULT) return SIM_STEP_FAULT;
            UNDEF();
        }
        unsigned m = hw2 & 15;
        if (bad_reg(m) || (hw2 & 0x8000)) UNDEF();
        bool carry = carry_in(c);
        uint32_t b = imm_shift(c->r[m], (hw2 >> 4) & 3, ((hw2 >> 12) & 7) << 2 | ((hw2 >> 6) & 3), &carry);
        return data_processing(c, hw1, hw2, b, carry, pc, cycles);
    }
    case 0x78: case 0x79: case 0x7A: case 0x7B: /* 0xF000-0xF7FF */
        if (hw2 & 0x8000) return branch_misc(t, hw1, hw2, pc, cycles);
        if (hw1 & 0x200) return plain_immediate(t, hw1, hw2, pc, cycles);
        {
            bool carry = carry_in(c);
            uint32_t imm12 = ((hw1 >> 10) & 1) << 11 | ((hw2 >> 12) & 7) << 8 | (hw2 & 0xFF);
            uint32_t b = expand_imm_c(imm12, &carry);
            return data_processing(c, hw1, hw2, b, carry, pc, cycles);
        }
    case 0x7C: /* 0xF800-0xF9FF: loads and stores */
        return load_store_single(t, hw1, hw2, pc, cycles);
    case 0x7D: { /* 0xFA00-0xFBFF: data processing (register), multiplies, divides */
        sim_dsp_result r = sim_dsp_execute(t, hw1 << 16 | hw2, pc, cycles);
        if (r == SIM_DSP_DONE) return SIM_STEP_OK;
        if (r == SIM_DSP_FAULT) return SIM_STEP_FAULT;
        return (hw1 & 0x100) ? multiply(t, hw1, hw2, pc, cycles) : data_processing_register(c, hw1, hw2, pc, cycles);
    }
    case 0x76: case 0x77: case 0x7E: case 0x7F: /* coprocessor space */
        if (((hw2 >> 9) & 7) == 5) return sim_fpu_execute(t, hw1 << 16 | hw2, pc, cycles);
        return sim_cpu_fault(c, SIM_CFSR_NOCP, 0, false);
    default:
        UNDEF();
    }
}
