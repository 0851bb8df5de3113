/* The floating-point extension: see sim_fpu.h. Decoding follows ARMv7-M ARM A6.4-A6.6 (the
 * FPv4-SP instructions) and the FPv5 additions of ARMv8-M (VSEL, VMAXNM/VMINNM, VRINT*, VCVT{A,N,
 * P,M}, double <-> half VCVTB/VCVTT). The arithmetic is sim_fpu_arith.
 *
 * Order of checks, as QEMU's M-profile model makes them: an encoding the FPU does not implement
 * (double precision on a single-precision FPU, an FPv5 instruction on FPv4, D16-D31 on a D16 FPU,
 * an UNPREDICTABLE register choice) is UNDEFINSTR; then CPACR (and the privilege level) may refuse
 * with NOCP; then sim_exc_fp_used; then the instruction runs. A fault changes no register. */
#include "sim_fpu.h"
#include "sim_exc.h"
#include "sim_fpu_arith.h"
#include "sim_target.h"

#define FPSCR_NZCV 0xF0000000u
#define FPSCR_WRITABLE 0xF7C0009Fu /* N Z C V, AHP DN FZ RMode, IDC IXC UFC OFC DZC IOC */

/* Cortex-M4 FPU timing (Cortex-M4 TRM 7.2.3) */
enum { CYC_BASIC = 1, CYC_MAC = 3, CYC_DIV = 14, CYC_LDR = 2 };

typedef struct fpu_exec {
    sim_target *t;
    sim_cpu *c;
    uint32_t insn;
    sim_fpu_kind kind;
    unsigned *cycles;
    sf_ctx *fx; /* the arithmetic's controls, read again once the gate has passed */
} fpu_exec;

static sim_step_result undefined(fpu_exec *x)
{
    return sim_cpu_fault(x->c, SIM_CFSR_UNDEFINSTR, 0, false);
}

/* The CPACR gate for coprocessor 10 + `cp` (B3.2.20), then lazy state preservation. */
static sim_step_result gate(fpu_exec *x)
{
    unsigned cp = (x->insn >> 8) & 1;
    unsigned access = (x->t->core.cpacr >> (20 + 2 * cp)) & 3;
    bool privileged = sim_cpu_handler_mode(x->c) || !(x->c->control & CONTROL_NPRIV);
    if (!(access == 3 || (access == 1 && privileged))) return sim_cpu_fault(x->c, SIM_CFSR_NOCP, 0, false);
    if (!sim_exc_fp_used(x->t)) return SIM_STEP_FAULT;
    if (x->fx) x->fx->fpscr = x->c->fpscr; /* a new FP context may have loaded FPSCR from FPDSCR */
    return SIM_STEP_OK;
}

#define GATE(x)                                                                                     \
    do {                                                                                            \
        sim_step_result gate_ = gate(x);                                                            \
        if (gate_ != SIM_STEP_OK) return gate_;                                                     \
    } while (0)

/* --- registers ----------------------------------------------------------------------------- */

static uint64_t get_reg(const sim_cpu *c, bool dp, unsigned i)
{
    return dp ? (uint64_t)c->s[2 * i + 1] << 32 | c->s[2 * i] : c->s[i];
}

static void set_reg(sim_cpu *c, bool dp, unsigned i, uint64_t v)
{
    if (dp) {
        c->s[2 * i] = (uint32_t)v;
        c->s[2 * i + 1] = (uint32_t)(v >> 32);
    } else {
        c->s[i] = (uint32_t)v;
    }
}

/* A register number from a 4-bit field and its extra bit: Vx:X for single, X:Vx for double. */
static unsigned reg_num(bool dp, unsigned v, unsigned x) { return dp ? x << 4 | v : v << 1 | x; }
static unsigned reg_d(bool dp, uint32_t insn) { return reg_num(dp, (insn >> 12) & 15, (insn >> 22) & 1); }
static unsigned reg_n(bool dp, uint32_t insn) { return reg_num(dp, (insn >> 16) & 15, (insn >> 7) & 1); }
static unsigned reg_m(bool dp, uint32_t insn) { return reg_num(dp, insn & 15, (insn >> 5) & 1); }
/* D16-D31 do not exist on the D16 FPUs of these parts */
static bool dreg_ok(bool dp, unsigned r) { return !dp || r < 16; }

static bool core_reg_ok(unsigned r) { return r != 13 && r != 15; }

/* --- data processing (A6.4) ----------------------------------------------------------------- */

static sim_step_result vcvt_int_or_fixed(fpu_exec *x, bool dp, unsigned opc2, sf_ctx *fx)
{
    sim_cpu *c = x->c;
    uint32_t insn = x->insn;
    bool bit7 = (insn >> 7) & 1;
    if (opc2 == 8) { /* VCVT.F32/F64.<S32|U32> Sd|Dd, Sm */
        unsigned d = reg_d(dp, insn), m = reg_m(false, insn);
        if (!dreg_ok(dp, d)) return undefined(x);
        GATE(x);
        set_reg(c, dp, d, sf_from_fixed(fx, dp ? 64 : 32, c->s[m], 32, 0, !bit7, sf_fpscr_rounding(fx)));
        return SIM_STEP_OK;
    }
    if (opc2 == 12 || opc2 == 13) { /* VCVT{R}.<S32|U32>.F32/F64 Sd, Sm|Dm */
        unsigned d = reg_d(false, insn), m = reg_m(dp, insn);
        if (!dreg_ok(dp, m)) return undefined(x);
        GATE(x);
        sf_rounding r = bit7 ? SF_RZ : sf_fpscr_rounding(fx);
        c->s[d] = (uint32_t)sf_to_fixed(fx, dp ? 64 : 32, get_reg(c, dp, m), 32, 0, !(opc2 & 1), r);
        return SIM_STEP_OK;
    }
    /* fixed point: opc2 1010/1011 to float, 1110/1111 to fixed; bit 16 = U, bit 7 = sx */
    unsigned d = reg_d(dp, insn);
    if (!dreg_ok(dp, d)) return undefined(x);
    unsigned size = bit7 ? 32 : 16;
    unsigned imm = (insn & 15) << 1 | ((insn >> 5) & 1);
    if (imm > size) return undefined(x); /* frac_bits < 0: UNPREDICTABLE */
    unsigned frac = size - imm;
    bool is_unsigned = opc2 & 1;
    GATE(x);
    unsigned n = dp ? 64 : 32;
    uint64_t v = get_reg(c, dp, d);
    if (opc2 & 4) {
        uint64_t r = sf_to_fixed(fx, n, v, size, frac, is_unsigned, SF_RZ);
        set_reg(c, dp, d, dp ? r : (uint32_t)r);
    } else {
        set_reg(c, dp, d, sf_from_fixed(fx, n, v, size, frac, is_unsigned, sf_fpscr_rounding(fx)));
    }
    return SIM_STEP_OK;
}

/* opc1 = 1x11 with opc3 = x1: the two-register group of A6.4 (opc2 in bits 19:16). */
static sim_step_result other_dp(fpu_exec *x, bool dp, sf_ctx *fx)
{
    sim_cpu *c = x->c;
    uint32_t insn = x->insn;
    unsigned opc2 = (insn >> 16) & 15, n = dp ? 64 : 32;
    bool bit7 = (insn >> 7) & 1, v5 = x->kind != SIM_FPU_V4_SP;
    unsigned d = reg_d(dp, insn), m = reg_m(dp, insn);
    switch (opc2) {
    case 0: case 1: case 4: case 5: case 6: {
        if (opc2 == 6 && !v5) return undefined(x);
        if (opc2 == 5 && (insn & 0x2F)) return undefined(x); /* VCMP with #0.0: Vm, M zero */
        if (!dreg_ok(dp, d) || !dreg_ok(dp, m)) return undefined(x);
        GATE(x);
        uint64_t a = get_reg(c, dp, m);
        if (opc2 == 4 || opc2 == 5) {
            unsigned nzcv = sf_compare(fx, n, get_reg(c, dp, d), opc2 == 5 ? 0 : a, bit7);
            c->fpscr = (c->fpscr & ~FPSCR_NZCV) | nzcv << 28;
            return SIM_STEP_OK;
        }
        uint64_t r;
        if (opc2 == 0) r = bit7 ? sf_abs(n, a) : a;
        else if (opc2 == 1 && !bit7) r = sf_neg(n, a);
        else if (opc2 == 1) {
            r = sf_sqrt(fx, n, a);
            *x->cycles = CYC_DIV;
        } else r = sf_round_int(fx, n, a, bit7 ? SF_RZ : sf_fpscr_rounding(fx), false);
        set_reg(c, dp, d, r);
        return SIM_STEP_OK;
    }
    case 2: case 3: { /* VCVTB/VCVTT: half <-> single, and (FPv5 with DP) half <-> double */
        bool to_half = opc2 & 1;
        unsigned shift = bit7 ? 16 : 0;
        if (dp && !v5) return undefined(x);
        unsigned hd = to_half ? reg_d(false, insn) : reg_d(dp, insn);
        unsigned hm = to_half ? reg_m(dp, insn) : reg_m(false, insn);
        if (!dreg_ok(dp, to_half ? hm : hd)) return undefined(x);
        GATE(x);
        if (to_half) {
            uint32_t h = (uint32_t)sf_convert(fx, 16, n, get_reg(c, dp, hm));
            c->s[hd] = (c->s[hd] & ~(0xFFFFu << shift)) | h << shift;
        } else {
            set_reg(c, dp, hd, sf_convert(fx, n, 16, (c->s[hm] >> shift) & 0xFFFF));
        }
        return SIM_STEP_OK;
    }
    case 7: {
        if (!bit7) { /* VRINTX */
            if (!v5) return undefined(x);
            if (!dreg_ok(dp, d) || !dreg_ok(dp, m)) return undefined(x);
            GATE(x);
            set_reg(c, dp, d, sf_round_int(fx, n, get_reg(c, dp, m), sf_fpscr_rounding(fx), true));
            return SIM_STEP_OK;
        }
        /* VCVT.F64.F32 Dd, Sm (sz 0) or VCVT.F32.F64 Sd, Dm (sz 1) */
        if (x->kind != SIM_FPU_V5_DP) return undefined(x);
        unsigned cd = reg_d(!dp, insn), cm = reg_m(dp, insn);
        if (!dreg_ok(!dp, cd) || !dreg_ok(dp, cm)) return undefined(x);
        GATE(x);
        set_reg(c, !dp, cd, sf_convert(fx, dp ? 32 : 64, n, get_reg(c, dp, cm)));
        return SIM_STEP_OK;
    }
    case 8: case 10: case 11: case 12: case 13: case 14: case 15:
        return vcvt_int_or_fixed(x, dp, opc2, fx);
    default:
        return undefined(x);
    }
}

/* FPv5's unconditional group (first halfword 0xFExx). */
static sim_step_result fpv5_group(fpu_exec *x, bool dp, sf_ctx *fx)
{
    sim_cpu *c = x->c;
    uint32_t insn = x->insn;
    unsigned n = dp ? 64 : 32, d = reg_d(dp, insn), m = reg_m(dp, insn), rn = reg_n(dp, insn);
    if (x->kind == SIM_FPU_V4_SP || (insn & 0x10)) return undefined(x);
    if (!((insn >> 23) & 1)) { /* VSEL<cc> */
        if (insn & 0x40) return undefined(x);
        if (!dreg_ok(dp, d) || !dreg_ok(dp, m) || !dreg_ok(dp, rn)) return undefined(x);
        GATE(x);
        uint32_t f = c->xpsr;
        bool nf = f & XPSR_N, z = f & XPSR_Z, v = f & XPSR_V, take;
        switch ((insn >> 20) & 3) {
        case 0: take = z; break;
        case 1: take = v; break;
        case 2: take = nf == v; break;
        default: take = !z && nf == v; break;
        }
        set_reg(c, dp, d, get_reg(c, dp, take ? rn : m));
        return SIM_STEP_OK;
    }
    unsigned op = (insn >> 16) & 0x3F;
    if ((op & 0x30) == 0) { /* VMAXNM / VMINNM: bits 21:20 = 00 */
        if (!dreg_ok(dp, d) || !dreg_ok(dp, m) || !dreg_ok(dp, rn)) return undefined(x);
        GATE(x);
        set_reg(c, dp, d, sf_maxnum(fx, n, get_reg(c, dp, rn), get_reg(c, dp, m), (insn >> 6) & 1));
        return SIM_STEP_OK;
    }
    static const sf_rounding rm_modes[4] = {SF_RA, SF_RN, SF_RP, SF_RM};
    sf_rounding r = rm_modes[op & 3];
    if ((op & 0x3C) == 0x38 && (insn & 0xC0) == 0x40) { /* VRINT{A,N,P,M} */
        if (!dreg_ok(dp, d) || !dreg_ok(dp, m)) return undefined(x);
        GATE(x);
        set_reg(c, dp, d, sf_round_int(fx, n, get_reg(c, dp, m), r, false));
        return SIM_STEP_OK;
    }
    if ((op & 0x3C) == 0x3C && (insn & 0x40)) { /* VCVT{A,N,P,M}.<S32|U32> Sd, Sm|Dm */
        unsigned sd = reg_d(false, insn);
        if (!dreg_ok(dp, m)) return undefined(x);
        GATE(x);
        c->s[sd] = (uint32_t)sf_to_fixed(fx, n, get_reg(c, dp, m), 32, 0, !((insn >> 7) & 1), r);
        return SIM_STEP_OK;
    }
    return undefined(x);
}

static sim_step_result data_processing(fpu_exec *x)
{
    sim_cpu *c = x->c;
    uint32_t insn = x->insn;
    bool dp = (insn >> 8) & 1;
    if (dp && x->kind != SIM_FPU_V5_DP) return undefined(x);
    sf_ctx fx = {c->fpscr, 0};
    x->fx = &fx;
    unsigned n = dp ? 64 : 32;
    *x->cycles = CYC_BASIC;
    sim_step_result res;
    if ((insn >> 28) & 1) {
        res = fpv5_group(x, dp, &fx);
    } else {
        unsigned opc1 = (insn >> 20) & 0xB;
        bool op = (insn >> 6) & 1;
        if (opc1 == 0xB) {
            if (!op) { /* VMOV immediate */
                unsigned d = reg_d(dp, insn);
                if (!dreg_ok(dp, d) || (insn & 0xA0)) return undefined(x);
                GATE(x);
                set_reg(c, dp, d, sf_expand_imm(n, ((insn >> 12) & 0xF0) | (insn & 15)));
                return SIM_STEP_OK;
            }
            res = other_dp(x, dp, &fx);
        } else {
            unsigned d = reg_d(dp, insn), rn = reg_n(dp, insn), m = reg_m(dp, insn);
            if (!dreg_ok(dp, d) || !dreg_ok(dp, rn) || !dreg_ok(dp, m)) return undefined(x);
            if (opc1 == 0x8 && op) return undefined(x);
            GATE(x);
            uint64_t a = get_reg(c, dp, rn), b = get_reg(c, dp, m), acc = get_reg(c, dp, d), r;
            switch (opc1) {
            case 0x0: /* VMLA, VMLS */
                r = sf_mul(&fx, n, a, b);
                r = sf_add(&fx, n, acc, op ? sf_neg(n, r) : r);
                *x->cycles = CYC_MAC;
                break;
            case 0x1: /* VNMLS (op 0), VNMLA (op 1) */
                r = sf_mul(&fx, n, a, b);
                r = sf_add(&fx, n, sf_neg(n, acc), op ? sf_neg(n, r) : r);
                *x->cycles = CYC_MAC;
                break;
            case 0x2: /* VMUL, VNMUL */
                r = sf_mul(&fx, n, a, b);
                if (op) r = sf_neg(n, r);
                break;
            case 0x3: r = op ? sf_sub(&fx, n, a, b) : sf_add(&fx, n, a, b); break;
            case 0x8:
                r = sf_div(&fx, n, a, b);
                *x->cycles = CYC_DIV;
                break;
            default: /* 0x9 VFNMS/VFNMA, 0xA VFMA/VFMS: the negations are of the inputs */
                if (op) a = sf_neg(n, a);
                if (opc1 == 0x9) acc = sf_neg(n, acc);
                r = sf_muladd(&fx, n, acc, a, b);
                *x->cycles = CYC_MAC;
                break;
            }
            set_reg(c, dp, d, r);
            res = SIM_STEP_OK;
        }
    }
    if (res == SIM_STEP_OK) c->fpscr |= fx.exc;
    return res;
}

/* --- transfers between core and FP registers (A6.6) ----------------------------------------- */

static sim_step_result transfer32(fpu_exec *x)
{
    sim_cpu *c = x->c;
    uint32_t insn = x->insn;
    bool to_core = (insn >> 20) & 1;
    unsigned a = (insn >> 21) & 7, rt = (insn >> 12) & 15;
    *x->cycles = CYC_BASIC;
    if ((insn >> 28) & 1) return undefined(x);
    if (!((insn >> 8) & 1)) {
        if (a == 0) { /* VMOV Sn, Rt / VMOV Rt, Sn */
            unsigned sn = reg_n(false, insn);
            if (!core_reg_ok(rt)) return undefined(x);
            GATE(x);
            if (to_core) c->r[rt] = c->s[sn];
            else c->s[sn] = c->r[rt];
            return SIM_STEP_OK;
        }
        if (a == 7 && ((insn >> 16) & 15) == 1) { /* VMRS / VMSR with FPSCR */
            if (to_core ? rt == 13 : !core_reg_ok(rt)) return undefined(x);
            GATE(x);
            if (!to_core) c->fpscr = c->r[rt] & FPSCR_WRITABLE;
            else if (rt == 15) c->xpsr = (c->xpsr & ~FPSCR_NZCV) | (c->fpscr & FPSCR_NZCV); /* APSR_nzcv */
            else c->r[rt] = c->fpscr;
            return SIM_STEP_OK;
        }
        return undefined(x);
    }
    /* VMOV Dd[x], Rt / VMOV Rt, Dn[x] (32-bit scalar) */
    if ((a & 6) || (insn & 0x60) || !core_reg_ok(rt)) return undefined(x);
    unsigned dd = ((insn >> 7) & 1) << 4 | ((insn >> 16) & 15);
    if (dd >= 16) return undefined(x);
    GATE(x);
    unsigned s = 2 * dd + (a & 1);
    if (to_core) c->r[rt] = c->s[s];
    else c->s[s] = c->r[rt];
    return SIM_STEP_OK;
}

/* --- loads, stores and 64-bit transfers (A6.5) ---------------------------------------------- */

static bool fp_load(fpu_exec *x, uint32_t addr, uint32_t *out)
{
    if (addr & 3) {
        sim_cpu_fault(x->c, SIM_CFSR_UNALIGNED, 0, false);
        return false;
    }
    return sim_cpu_load(x->t, addr, 4, out);
}

static bool fp_store(fpu_exec *x, uint32_t addr, uint32_t v)
{
    if (addr & 3) {
        sim_cpu_fault(x->c, SIM_CFSR_UNALIGNED, 0, false);
        return false;
    }
    return sim_cpu_store(x->t, addr, 4, v);
}

static sim_step_result transfer64(fpu_exec *x)
{
    sim_cpu *c = x->c;
    uint32_t insn = x->insn;
    bool dp = (insn >> 8) & 1, to_core = (insn >> 20) & 1;
    unsigned rt = (insn >> 12) & 15, rt2 = (insn >> 16) & 15, m = reg_m(dp, insn);
    if ((insn & 0xD0) != 0x10 || !core_reg_ok(rt) || !core_reg_ok(rt2) || (to_core && rt == rt2))
        return undefined(x);
    if ((!dp && m == 31) || !dreg_ok(dp, m)) return undefined(x);
    GATE(x);
    unsigned s = dp ? 2 * m : m;
    if (to_core) {
        c->r[rt] = c->s[s];
        c->r[rt2] = c->s[s + 1];
    } else {
        c->s[s] = c->r[rt];
        c->s[s + 1] = c->r[rt2];
    }
    *x->cycles = 2;
    return SIM_STEP_OK;
}

static sim_step_result load_store(fpu_exec *x, uint32_t pc)
{
    sim_cpu *c = x->c;
    uint32_t insn = x->insn;
    bool p = (insn >> 24) & 1, u = (insn >> 23) & 1, w = (insn >> 21) & 1, load = (insn >> 20) & 1;
    bool dp = (insn >> 8) & 1;
    unsigned rn = (insn >> 16) & 15, imm8 = insn & 255, d = reg_d(dp, insn);
    if ((insn >> 28) & 1) return undefined(x);
    if (!p && !u && !w) {
        if (!((insn >> 22) & 1)) return undefined(x);
        return transfer64(x);
    }
    if (p && !w) { /* VLDR / VSTR */
        if (!dreg_ok(dp, d) || (rn == 15 && !load)) return undefined(x);
        GATE(x);
        uint32_t base = rn == 15 ? (pc + 4) & ~3u : c->r[rn];
        uint32_t addr = u ? base + imm8 * 4 : base - imm8 * 4;
        uint32_t v[2] = {0, 0};
        unsigned words = dp ? 2 : 1;
        for (unsigned i = 0; i < words; i++) {
            if (load ? !fp_load(x, addr + 4 * i, &v[i]) : !fp_store(x, addr + 4 * i, c->s[(dp ? 2 * d : d) + i]))
                return SIM_STEP_FAULT;
        }
        if (load) set_reg(c, dp, d, (uint64_t)v[1] << 32 | v[0]);
        *x->cycles = CYC_LDR + (dp ? 1 : 0);
        return SIM_STEP_OK;
    }
    if (p == u) return undefined(x); /* P=1 U=1 W=1, and P=0 U=0 W=1 */
    /* VLDM / VSTM, increment after or decrement before (VPUSH and VPOP among them) */
    unsigned regs = dp ? imm8 / 2 : imm8;
    unsigned first = dp ? 2 * d : d, words = dp ? 2 * regs : regs;
    if (regs == 0 || rn == 15 || (dp ? (regs > 16 || d + regs > 16) : d + regs > 32)) return undefined(x);
    GATE(x);
    uint32_t base = c->r[rn];
    uint32_t addr = p ? base - imm8 * 4 : base;
    uint32_t buf[32];
    for (unsigned i = 0; i < words; i++) {
        if (load ? !fp_load(x, addr + 4 * i, &buf[i]) : !fp_store(x, addr + 4 * i, c->s[first + i]))
            return SIM_STEP_FAULT;
    }
    if (load)
        for (unsigned i = 0; i < words; i++) c->s[first + i] = buf[i];
    if (w) c->r[rn] = u ? base + imm8 * 4 : base - imm8 * 4;
    *x->cycles = 1 + words;
    return SIM_STEP_OK;
}

sim_step_result sim_fpu_execute(sim_target *t, uint32_t insn, uint32_t pc, unsigned *cycles)
{
    fpu_exec x = {t, &t->cpu, insn, sim_profile_fpu(t->profile), cycles, NULL};
    *cycles = CYC_BASIC;
    if (x.kind == SIM_FPU_NONE || ((insn >> 9) & 7) != 5) return sim_cpu_fault(&t->cpu, SIM_CFSR_NOCP, 0, false);
    sim_step_result r;
    if (((insn >> 24) & 0xF) == 0xE) r = (insn & 0x10) ? transfer32(&x) : data_processing(&x);
    else if (((insn >> 25) & 7) == 6) r = load_store(&x, pc);
    else r = undefined(&x);
    if (r == SIM_STEP_OK) t->cpu.r[15] = pc + 4;
    return r;
}
