/* The DSP extension of ARMv7E-M: see sim_dsp.h. Encodings from the ARMv7-M ARM A5.3.3 (plain
 * binary immediate), A5.3.11 (shifted register), A5.3.12-A5.3.17 (register data processing,
 * parallel add/subtract, miscellaneous, multiply, long multiply); semantics from each
 * instruction's pseudo-code in A7.7. */
#include "sim_dsp.h"
#include "sim_target.h"

typedef enum {
    OP_NONE,
    OP_PARALLEL, /* the S/Q/SH/U/UQ/UH ADD16/ASX/SAX/SUB16/ADD8/SUB8 family */
    OP_EXTEND,   /* SXTAB/SXTAH/UXTAB/UXTAH, SXTAB16/UXTAB16 and SXTB16/UXTB16 (Rn = 15) */
    OP_QARITH,   /* QADD, QDADD, QSUB, QDSUB */
    OP_SEL,
    OP_SMLAXY,   /* SMLA<x><y>, SMUL<x><y> (Ra = 15) */
    OP_SMLAD,    /* SMLAD(X), SMUAD(X) */
    OP_SMLAW,    /* SMLAW<y>, SMULW<y> */
    OP_SMLSD,    /* SMLSD(X), SMUSD(X) */
    OP_SMMLA,    /* SMMLA(R), SMMUL(R) */
    OP_SMMLS,    /* SMMLS(R) */
    OP_USADA8,   /* USADA8, USAD8 (Ra = 15) */
    OP_SMLALXY,
    OP_SMLALD,
    OP_SMLSLD,
    OP_UMAAL,
    OP_PKH,
    OP_SSAT16,
    OP_USAT16,
    OP_UNDEFINED /* a DSP row's encoding that the manual makes UNDEFINED (PKH with S or T set) */
} dsp_op;

/* Register checks, as the pseudo-code's "UNPREDICTABLE" lines say. */
typedef enum {
    REGS_DNM,      /* BadReg(d) || BadReg(n) || BadReg(m) */
    REGS_EXTEND,   /* BadReg(d) || n == 13 || BadReg(m); n == 15 is the form without add */
    REGS_ACC,      /* BadReg(d) || BadReg(n) || BadReg(m) || a == 13; a == 15: no accumulate */
    REGS_ACC_ALWAYS, /* the same, and a == 15 too */
    REGS_LONG,     /* BadReg(dLo) || BadReg(dHi) || BadReg(n) || BadReg(m) || dHi == dLo */
    REGS_DN        /* BadReg(d) || BadReg(n) */
} dsp_regs;

static bool bad_reg(unsigned r) { return r == 13 || r == 15; }

static uint32_t ror32(uint32_t v, unsigned n) { return n ? (v >> n) | (v << (32 - n)) : v; }

static int32_t sx16(uint32_t v) { return (int32_t)(int16_t)(uint16_t)v; }
static int32_t sx8(uint32_t v) { return (int32_t)(int8_t)(uint8_t)v; }

/* SignedSatQ / UnsignedSatQ (A2.2.1): `bits` wide; *sat set when the value was clipped. */
static int64_t signed_sat(int64_t v, unsigned bits, bool *sat)
{
    int64_t max = ((int64_t)1 << (bits - 1)) - 1, min = -((int64_t)1 << (bits - 1));
    if (v > max) { *sat = true; return max; }
    if (v < min) { *sat = true; return min; }
    return v;
}

static int64_t unsigned_sat(int64_t v, unsigned bits, bool *sat)
{
    int64_t max = ((int64_t)1 << bits) - 1;
    if (v > max) { *sat = true; return max; }
    if (v < 0) { *sat = true; return 0; }
    return v;
}

/* Which instruction `insn` is, if it is one of the extension's; the register numbers it uses. */
typedef struct {
    dsp_op op;
    dsp_regs regs;
    unsigned d, n, m, a; /* for the long forms: d = RdHi, a = RdLo */
} dsp_decoded;

static dsp_decoded decode(uint32_t insn)
{
    uint32_t hw1 = insn >> 16, hw2 = insn & 0xFFFF;
    dsp_decoded x = {OP_NONE, REGS_DNM, (hw2 >> 8) & 15, hw1 & 15, hw2 & 15, hw2 >> 12};
    if ((hw1 & 0xFFE0) == 0xEAC0) { /* A5.3.11 op = 0110: PKHBT/PKHTB */
        x.op = ((hw1 & 0x10) || (hw2 & 0x10)) ? OP_UNDEFINED : OP_PKH;
        return x;
    }
    if ((hw1 & 0xFF70) == 0xF320 && !(hw2 & 0x8000) && !(hw2 & 0x70C0)) { /* A5.3.3 */
        x.op = (hw1 & 0x80) ? OP_USAT16 : OP_SSAT16;
        x.regs = REGS_DN;
        return x;
    }
    if ((hw1 & 0xFF00) == 0xFA00) { /* A5.3.12 data processing (register) */
        if ((hw2 & 0xF000) != 0xF000) return x;
        unsigned op1 = (hw1 >> 4) & 15, op2 = (hw2 >> 4) & 15;
        if (!(op1 & 8)) { /* 0xxx: shifts (base) and the extends */
            if (!(op2 & 8) || op1 > 5) return x;
            if (op1 >= 2 && op1 <= 3) x.op = OP_EXTEND; /* SXTAB16/UXTAB16, SXTB16/UXTB16 */
            else if (x.n != 15) x.op = OP_EXTEND;       /* SXTAH/UXTAH/SXTAB/UXTAB; Rn=15: base */
            x.regs = REGS_EXTEND;
            return x;
        }
        if (op2 < 8) { /* A5.3.13/A5.3.14 parallel add/subtract */
            unsigned kind = (hw1 >> 4) & 7, prefix = (hw2 >> 4) & 3;
            if (kind == 3 || kind == 7 || prefix == 3) return x;
            x.op = OP_PARALLEL;
            return x;
        }
        if ((op1 & 0xC) == 8 && (op2 & 0xC) == 8) { /* A5.3.15 miscellaneous */
            unsigned mop1 = op1 & 3, mop2 = op2 & 3;
            if (mop1 == 0) x.op = OP_QARITH;
            else if (mop1 == 2 && mop2 == 0) x.op = OP_SEL;
        }
        return x;
    }
    if ((hw1 & 0xFF80) == 0xFB00) { /* A5.3.16 multiply, multiply accumulate, absolute difference */
        if (hw2 & 0xC0) return x;
        unsigned op1 = (hw1 >> 4) & 7, op2 = (hw2 >> 4) & 3;
        static const dsp_op ops[8] = {OP_NONE, OP_SMLAXY, OP_SMLAD, OP_SMLAW, OP_SMLSD, OP_SMMLA, OP_SMMLS, OP_USADA8};
        if (op1 == 0) return x;                    /* MUL/MLA/MLS */
        if (op1 != 1 && (op2 & 2)) return x;       /* unallocated */
        if (op1 == 7 && op2 != 0) return x;
        x.op = ops[op1];
        x.regs = op1 == 6 ? REGS_ACC_ALWAYS : REGS_ACC; /* SMMLS has no form without Ra */
        return x;
    }
    if ((hw1 & 0xFF80) == 0xFB80) { /* A5.3.17 long multiply, long multiply accumulate */
        unsigned op1 = (hw1 >> 4) & 7, op2 = (hw2 >> 4) & 15;
        x.a = hw2 >> 12;       /* RdLo */
        x.d = (hw2 >> 8) & 15; /* RdHi */
        x.regs = REGS_LONG;
        if (op1 == 4 && (op2 & 0xC) == 8) x.op = OP_SMLALXY;
        else if (op1 == 4 && (op2 & 0xE) == 0xC) x.op = OP_SMLALD;
        else if (op1 == 5 && (op2 & 0xE) == 0xC) x.op = OP_SMLSLD;
        else if (op1 == 6 && op2 == 6) x.op = OP_UMAAL;
        return x;
    }
    return x;
}

static bool regs_unpredictable(const dsp_decoded *x)
{
    switch (x->regs) {
    case REGS_DNM: return bad_reg(x->d) || bad_reg(x->n) || bad_reg(x->m);
    case REGS_EXTEND: return bad_reg(x->d) || x->n == 13 || bad_reg(x->m);
    case REGS_ACC: return bad_reg(x->d) || bad_reg(x->n) || bad_reg(x->m) || x->a == 13;
    case REGS_ACC_ALWAYS: return bad_reg(x->d) || bad_reg(x->n) || bad_reg(x->m) || bad_reg(x->a);
    case REGS_LONG: return bad_reg(x->d) || bad_reg(x->a) || bad_reg(x->n) || bad_reg(x->m) || x->d == x->a;
    case REGS_DN: return bad_reg(x->d) || bad_reg(x->n);
    }
    return true;
}

/* --- the parallel adds and subtracts (A5.3.13, A5.3.14) ----------------------------------- */

/* hw1[6:4]: ADD8 000, ADD16 001, ASX 010, SUB8 100, SUB16 101, SAX 110.
 * hw2[6]: unsigned; hw2[5:4]: 00 plain (sets GE), 01 saturating, 10 halving. */
static uint32_t parallel(sim_cpu *c, uint32_t hw1, uint32_t hw2, uint32_t rn, uint32_t rm)
{
    unsigned kind = (hw1 >> 4) & 7, prefix = (hw2 >> 4) & 3;
    bool is_unsigned = (hw2 >> 6) & 1, bytes = (kind & 3) == 0;
    unsigned width = bytes ? 8 : 16, lanes = bytes ? 4 : 2;
    uint32_t lane_mask = bytes ? 0xFFu : 0xFFFFu, result = 0, ge = 0;
    for (unsigned i = 0; i < lanes; i++) {
        /* which lane of Rm pairs with lane i of Rn, and whether it adds */
        unsigned mi = i;
        bool add;
        switch (kind) {
        case 0: case 1: add = true; break;                 /* ADD8, ADD16 */
        case 4: case 5: add = false; break;                /* SUB8, SUB16 */
        case 2: mi = 1 - i; add = i == 1; break;           /* ASX: lo - m.hi, hi + m.lo */
        default: mi = 1 - i; add = i == 0; break;          /* SAX: lo + m.hi, hi - m.lo */
        }
        uint32_t a = (rn >> (i * width)) & lane_mask, b = (rm >> (mi * width)) & lane_mask;
        int32_t sa = is_unsigned ? (int32_t)a : bytes ? sx8(a) : sx16(a);
        int32_t sb = is_unsigned ? (int32_t)b : bytes ? sx8(b) : sx16(b);
        int32_t v = add ? sa + sb : sa - sb;
        bool dummy = false;
        if (prefix == 1) v = (int32_t)(is_unsigned ? unsigned_sat(v, width, &dummy) : signed_sat(v, width, &dummy));
        else if (prefix == 2) v >>= 1; /* arithmetic: the halving forms keep the sign */
        else {
            bool set = is_unsigned && add ? v >= (int32_t)1 << width : v >= 0;
            if (set) ge |= (bytes ? 1u : 3u) << (i * (bytes ? 1 : 2));
        }
        result |= ((uint32_t)v & lane_mask) << (i * width);
    }
    if (prefix == 0) c->xpsr = (c->xpsr & ~XPSR_GE_MASK) | (ge << XPSR_GE_SHIFT);
    return result;
}

/* --- the rest ------------------------------------------------------------------------------ */

static uint32_t extend_add(uint32_t hw1, uint32_t hw2, unsigned n, uint32_t rn, uint32_t rm)
{
    unsigned op1 = (hw1 >> 4) & 7;
    uint32_t rot = ror32(rm, ((hw2 >> 4) & 3) * 8);
    bool add = n != 15;
    switch (op1) {
    case 0: return (add ? rn : 0) + (uint32_t)sx16(rot);       /* SXTAH */
    case 1: return (add ? rn : 0) + (rot & 0xFFFF);            /* UXTAH */
    case 2: case 3: {                                          /* SXTAB16/UXTAB16, SXTB16/UXTB16 */
        uint32_t lo = op1 == 2 ? (uint32_t)sx8(rot) : rot & 0xFF;
        uint32_t hi = op1 == 2 ? (uint32_t)sx8(rot >> 16) : (rot >> 16) & 0xFF;
        if (add) lo += rn, hi += rn >> 16;
        return (lo & 0xFFFF) | (hi << 16);
    }
    case 4: return (add ? rn : 0) + (uint32_t)sx8(rot);        /* SXTAB */
    default: return (add ? rn : 0) + (rot & 0xFF);             /* UXTAB */
    }
}

/* The two signed 16x16 products of SMLAD/SMUAD/SMLSD/SMUSD/SMLALD/SMLSLD (X swaps Rm's halves). */
static void dual_products(uint32_t rn, uint32_t rm, bool swap, int64_t *p1, int64_t *p2)
{
    if (swap) rm = ror32(rm, 16);
    *p1 = (int64_t)sx16(rn) * sx16(rm);
    *p2 = (int64_t)sx16(rn >> 16) * sx16(rm >> 16);
}

static uint32_t half(uint32_t v, bool top) { return (uint32_t)sx16(top ? v >> 16 : v); }

sim_dsp_result sim_dsp_execute(sim_target *t, uint32_t insn, uint32_t pc, unsigned *cycles)
{
    dsp_decoded x = decode(insn);
    if (x.op == OP_NONE) return SIM_DSP_NOT_MINE;
    sim_cpu *c = &t->cpu;
    if (sim_profile_isa(t->profile) != SIM_ISA_V7EM || x.op == OP_UNDEFINED || regs_unpredictable(&x)) {
        sim_cpu_fault(c, SIM_CFSR_UNDEFINSTR, 0, false);
        return SIM_DSP_FAULT;
    }
    uint32_t hw1 = insn >> 16, hw2 = insn & 0xFFFF;
    uint32_t rn = c->r[x.n], rm = c->r[x.m], ra = x.a == 15 ? 0 : c->r[x.a];
    bool top_n = (hw2 >> 5) & 1, top_m = (hw2 >> 4) & 1, sat = false;
    uint32_t result = 0;
    int64_t p1, p2, acc64;
    switch (x.op) {
    case OP_PARALLEL: result = parallel(c, hw1, hw2, rn, rm); break;
    case OP_EXTEND: result = extend_add(hw1, hw2, x.n, rn, rm); break;
    case OP_QARITH: {
        int64_t operand = (int32_t)rn;
        if (hw2 & 0x10) operand = signed_sat(2 * operand, 32, &sat); /* QDADD, QDSUB */
        int64_t v = (hw2 & 0x20) ? (int64_t)(int32_t)rm - operand : (int64_t)(int32_t)rm + operand;
        result = (uint32_t)signed_sat(v, 32, &sat);
        break;
    }
    case OP_SEL: {
        uint32_t ge = (c->xpsr & XPSR_GE_MASK) >> XPSR_GE_SHIFT;
        for (unsigned i = 0; i < 4; i++)
            result |= (((ge >> i) & 1) ? rn : rm) & (0xFFu << (i * 8));
        break;
    }
    case OP_SMLAXY: {
        int64_t v = (int64_t)(int32_t)half(rn, top_n) * (int32_t)half(rm, top_m) + (int32_t)ra;
        result = (uint32_t)v;
        sat = v != (int32_t)result;
        break;
    }
    case OP_SMLAD: case OP_SMLSD: {
        dual_products(rn, rm, top_m, &p1, &p2);
        int64_t v = (x.op == OP_SMLAD ? p1 + p2 : p1 - p2) + (int32_t)ra;
        result = (uint32_t)v;
        sat = v != (int32_t)result;
        break;
    }
    case OP_SMLAW: {
        int64_t v = (int64_t)(int32_t)rn * (int32_t)half(rm, top_m) + ((int64_t)(int32_t)ra * 65536);
        result = (uint32_t)(v >> 16);
        sat = (v >> 16) != (int32_t)result;
        break;
    }
    case OP_SMMLA: case OP_SMMLS: {
        /* bits 63:32 of (Ra << 32) +/- Rn * Rm, + 0x80000000 when rounding: modulo 2^64 suffices */
        uint64_t product = (uint64_t)((int64_t)(int32_t)rn * (int32_t)rm);
        uint64_t v = ((uint64_t)ra << 32) + (x.op == OP_SMMLA ? product : 0 - product);
        if (top_m) v += 0x80000000u;
        result = (uint32_t)(v >> 32);
        break;
    }
    case OP_USADA8:
        result = ra;
        for (unsigned i = 0; i < 32; i += 8) {
            int32_t diff = (int32_t)((rn >> i) & 0xFF) - (int32_t)((rm >> i) & 0xFF);
            result += (uint32_t)(diff < 0 ? -diff : diff);
        }
        break;
    case OP_SMLALXY: case OP_SMLALD: case OP_SMLSLD: case OP_UMAAL: {
        uint32_t lo = c->r[x.a], hi = c->r[x.d];
        uint64_t v;
        acc64 = (int64_t)(((uint64_t)hi << 32) | lo);
        if (x.op == OP_UMAAL) {
            v = (uint64_t)rn * rm + hi + lo;
        } else if (x.op == OP_SMLALXY) {
            v = (uint64_t)acc64 + (uint64_t)((int64_t)(int32_t)half(rn, top_n) * (int32_t)half(rm, top_m));
        } else {
            dual_products(rn, rm, top_m, &p1, &p2);
            v = (uint64_t)acc64 + (uint64_t)(x.op == OP_SMLALD ? p1 + p2 : p1 - p2);
        }
        c->r[x.a] = (uint32_t)v;
        c->r[x.d] = (uint32_t)(v >> 32);
        c->r[15] = pc + 4;
        *cycles = 1;
        return SIM_DSP_DONE;
    }
    case OP_PKH: {
        unsigned shift = ((hw2 >> 10) & 0x1C) | ((hw2 >> 6) & 3);
        if (hw2 & 0x20) { /* PKHTB: Rn's top, ASR(Rm) bottom; ASR #0 encodes #32 */
            uint32_t low = shift ? (uint32_t)((int32_t)rm >> shift) : (uint32_t)((int32_t)rm >> 31);
            result = (rn & 0xFFFF0000u) | (low & 0xFFFF);
        } else {          /* PKHBT: LSL(Rm)'s top, Rn's bottom */
            result = ((rm << shift) & 0xFFFF0000u) | (rn & 0xFFFF);
        }
        break;
    }
    case OP_SSAT16: case OP_USAT16: {
        unsigned imm = hw2 & 0xF;
        for (unsigned i = 0; i < 32; i += 16) {
            int64_t v = sx16(rn >> i);
            v = x.op == OP_SSAT16 ? signed_sat(v, imm + 1, &sat) : unsigned_sat(v, imm, &sat);
            result |= ((uint32_t)v & 0xFFFF) << i;
        }
        break;
    }
    default:
        return SIM_DSP_NOT_MINE;
    }
    c->r[x.d] = result;
    if (sat) c->xpsr |= XPSR_Q;
    c->r[15] = pc + 4;
    *cycles = 1;
    return SIM_DSP_DONE;
}
