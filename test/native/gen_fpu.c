/* Random floating-point instruction encodings: see gen_fpu.h. Encodings from the ARMv7-M ARM
 * A6.4-A6.6 and, for FPv5, the ARMv8-M ARM. */
#include "gen_fpu.h"

#define PICK(n) diff_pick(rng, (n))

uint32_t gen_fpu_fpscr(uint64_t *rng)
{
    uint32_t f = diff_rand(rng) & 0xF0000000u;
    if (PICK(4) == 0) f |= 1u << 26; /* AHP */
    if (PICK(4) == 0) f |= 1u << 25; /* DN */
    if (PICK(3) == 0) f |= 1u << 24; /* FZ */
    f |= PICK(4) << 22;
    if (PICK(4) == 0) f |= diff_rand(rng) & 0x9F;
    return f;
}

/* A register number in the Vx/X fields: Vx:X for single, X:Vx for double. */
static uint32_t fd(bool dp, unsigned r) { return dp ? ((r & 15) << 12 | (r >> 4) << 22) : ((r >> 1) << 12 | (r & 1) << 22); }
static uint32_t fn(bool dp, unsigned r) { return dp ? ((r & 15) << 16 | (r >> 4) << 7) : ((r >> 1) << 16 | (r & 1) << 7); }
static uint32_t fm(bool dp, unsigned r) { return dp ? ((r & 15) | (r >> 4) << 5) : ((r >> 1) | (r & 1) << 5); }
static unsigned reg(uint64_t *rng, bool dp) { return PICK(dp ? 16 : 32); }
static uint32_t sz(bool dp) { return dp ? 0x100u : 0; }

static uint32_t arith(uint64_t *rng, bool dp)
{
    static const unsigned opc1[] = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA};
    unsigned o = opc1[PICK(7)];
    unsigned op = o == 0x8 ? 0 : PICK(2);
    return 0xEE000A00u | o << 20 | op << 6 | sz(dp) | fd(dp, reg(rng, dp)) | fn(dp, reg(rng, dp)) |
           fm(dp, reg(rng, dp));
}

uint32_t gen_fpu_arith_sp(uint64_t *rng) { return arith(rng, false); }
uint32_t gen_fpu_arith_dp(uint64_t *rng) { return arith(rng, true); }

static uint32_t unary(uint64_t *rng, bool dp)
{
    uint32_t base = 0xEEB00A40u | sz(dp) | fd(dp, reg(rng, dp));
    switch (PICK(7)) {
    case 0: return 0xEEB00A00u | sz(dp) | fd(dp, reg(rng, dp)) | PICK(16) << 16 | PICK(16); /* VMOV #imm */
    case 1: return base | PICK(2) << 7 | fm(dp, reg(rng, dp));              /* VMOV, VABS */
    case 2: case 3: return base | 1u << 16 | PICK(2) << 7 | fm(dp, reg(rng, dp)); /* VNEG, VSQRT */
    case 4: case 5: return base | 4u << 16 | PICK(2) << 7 | fm(dp, reg(rng, dp)); /* VCMP{E} */
    default: return base | 5u << 16 | PICK(2) << 7;                       /* VCMP{E} #0.0 */
    }
}

uint32_t gen_fpu_unary_sp(uint64_t *rng) { return unary(rng, false); }
uint32_t gen_fpu_unary_dp(uint64_t *rng) { return unary(rng, true); }

static uint32_t cvt(uint64_t *rng, bool dp)
{
    uint32_t base = 0xEEB00A40u | sz(dp);
    switch (PICK(4)) {
    case 0: /* VCVT.F32/F64.S32/U32 */
        return base | 8u << 16 | PICK(2) << 7 | fd(dp, reg(rng, dp)) | fm(false, reg(rng, false));
    case 1: /* VCVT{R}.S32/U32.F32/F64 */
        return base | (12u + PICK(2)) << 16 | PICK(2) << 7 | fd(false, reg(rng, false)) | fm(dp, reg(rng, dp));
    case 2: { /* fixed point: opc2 1x1U, sx, imm4:i <= size */
        unsigned sx = PICK(2), imm = PICK(sx ? 32 : 17); /* frac_bits = size - imm >= 0 */
        unsigned opc2 = 0xA | PICK(2) << 2 | PICK(2);
        return base | opc2 << 16 | sx << 7 | fd(dp, reg(rng, dp)) | (imm >> 1) | (imm & 1) << 5;
    }
    default:
        if (dp) /* VCVT.F32.F64 Sd, Dm / VCVT.F64.F32 Dd, Sm */
            return PICK(2) ? 0xEEB70BC0u | fd(false, reg(rng, false)) | fm(true, reg(rng, true))
                           : 0xEEB70AC0u | fd(true, reg(rng, true)) | fm(false, reg(rng, false));
        /* VCVTB/VCVTT between half and single */
        return 0xEEB20A40u | PICK(2) << 16 | PICK(2) << 7 | fd(false, reg(rng, false)) | fm(false, reg(rng, false));
    }
}

uint32_t gen_fpu_cvt_sp(uint64_t *rng) { return cvt(rng, false); }
uint32_t gen_fpu_cvt_dp(uint64_t *rng) { return cvt(rng, true); }

uint32_t gen_fpu_ldst(uint64_t *rng)
{
    bool dp = PICK(2), load = PICK(2);
    if (PICK(3)) { /* VLDR / VSTR [r6, #+-imm8*4]; a store stays out of the exclusive monitor's area */
        unsigned up = PICK(2), imm8 = PICK(256);
        if (!load && up && diff_in_excl(imm8 * 4, dp ? 8 : 4)) imm8 -= 8;
        return 0xED000A00u | up << 23 | load << 20 | 6u << 16 | sz(dp) | fd(dp, reg(rng, dp)) | imm8;
    }
    /* VLDM / VSTM r6, {list}: increment after, no writeback */
    unsigned d = reg(rng, dp), max = (dp ? 16 : 32) - d, count = 1 + PICK(max);
    return 0xEC800A00u | load << 20 | 6u << 16 | sz(dp) | fd(dp, d) | (dp ? 2 * count : count);
}

uint32_t gen_fpu_move(uint64_t *rng)
{
    bool to_core = PICK(2);
    switch (PICK(6)) {
    case 0: /* VMOV Sn, Rt / Rt, Sn */
        return 0xEE000A10u | to_core << 20 | fn(false, reg(rng, false)) | (to_core ? diff_dest(rng) : diff_src(rng)) << 12;
    case 1: { /* VMOV Sm, Sm1, Rt, Rt2 (and back) */
        unsigned rt = to_core ? diff_dest(rng) : diff_src(rng), rt2 = to_core ? diff_dest(rng) : diff_src(rng);
        while (to_core && rt2 == rt) rt2 = diff_dest(rng);
        return 0xEC400A10u | to_core << 20 | rt2 << 16 | rt << 12 | fm(false, PICK(31));
    }
    case 2: { /* VMOV Dm, Rt, Rt2 (and back) */
        unsigned rt = to_core ? diff_dest(rng) : diff_src(rng), rt2 = to_core ? diff_dest(rng) : diff_src(rng);
        while (to_core && rt2 == rt) rt2 = diff_dest(rng);
        return 0xEC400B10u | to_core << 20 | rt2 << 16 | rt << 12 | fm(true, PICK(16));
    }
    case 3: /* VMOV Dd[x], Rt / Rt, Dn[x] */
        return 0xEE000B10u | to_core << 20 | PICK(2) << 21 | PICK(16) << 16 | (to_core ? diff_dest(rng) : diff_src(rng)) << 12;
    case 4: /* VMRS Rt|APSR_nzcv, FPSCR */
        return 0xEEF10A10u | (PICK(3) ? diff_dest(rng) : 15u) << 12;
    default: /* VMSR FPSCR, Rt */
        return 0xEEE10A10u | diff_src(rng) << 12;
    }
}

uint32_t gen_fpu_stack(uint64_t *rng)
{
    bool dp = PICK(2), load = PICK(2);
    unsigned d = reg(rng, dp), max = (dp ? 16 : 32) - d, count = 1 + PICK(max < 8 ? max : 8);
    uint32_t list = sz(dp) | fd(dp, d) | (dp ? 2 * count : count);
    if (PICK(2)) return (load ? 0xECBD0A00u : 0xED2D0A00u) | list; /* VPOP / VPUSH */
    return (PICK(2) ? 0xECA70A00u : 0xED270A00u) | load << 20 | list; /* VLDM/VSTM r7!, IA or DB */
}

static uint32_t v5(uint64_t *rng, bool dp)
{
    switch (PICK(dp ? 7 : 6)) {
    case 0: /* VSEL<cc> */
        return 0xFE000A00u | PICK(4) << 20 | sz(dp) | fd(dp, reg(rng, dp)) | fn(dp, reg(rng, dp)) | fm(dp, reg(rng, dp));
    case 1: /* VMAXNM / VMINNM */
        return 0xFE800A00u | PICK(2) << 6 | sz(dp) | fd(dp, reg(rng, dp)) | fn(dp, reg(rng, dp)) | fm(dp, reg(rng, dp));
    case 2: /* VRINT{A,N,P,M} */
        return 0xFEB80A40u | PICK(4) << 16 | sz(dp) | fd(dp, reg(rng, dp)) | fm(dp, reg(rng, dp));
    case 3: /* VCVT{A,N,P,M}.S32/U32 */
        return 0xFEBC0A40u | PICK(4) << 16 | PICK(2) << 7 | sz(dp) | fd(false, reg(rng, false)) | fm(dp, reg(rng, dp));
    case 4: /* VRINTZ / VRINTR */
        return 0xEEB60A40u | PICK(2) << 7 | sz(dp) | fd(dp, reg(rng, dp)) | fm(dp, reg(rng, dp));
    case 5: /* VRINTX */
        return 0xEEB70A40u | sz(dp) | fd(dp, reg(rng, dp)) | fm(dp, reg(rng, dp));
    default: /* VCVTB/VCVTT.F64.F16 and .F16.F64 */
        if (PICK(2)) return 0xEEB20B40u | PICK(2) << 7 | fd(true, reg(rng, true)) | fm(false, reg(rng, false));
        return 0xEEB30B40u | PICK(2) << 7 | fd(false, reg(rng, false)) | fm(true, reg(rng, true));
    }
}

uint32_t gen_fpu_v5_sp(uint64_t *rng) { return v5(rng, false); }
uint32_t gen_fpu_v5_dp(uint64_t *rng) { return v5(rng, true); }

const diff_gen_class diff_gen_fpu[] = {
    {"fp arith", gen_fpu_arith_sp, DIFF_ISA_FPU, 4},
    {"fp unary", gen_fpu_unary_sp, DIFF_ISA_FPU, 2},
    {"fp convert", gen_fpu_cvt_sp, DIFF_ISA_FPU, 2},
    {"fp load/store", gen_fpu_ldst, DIFF_ISA_FPU, 2},
    {"fp moves", gen_fpu_move, DIFF_ISA_FPU, 2},
    {"fp stack", gen_fpu_stack, DIFF_ISA_FPU | GEN_FPU_WRITEBACK, 1},
    {"fpv5", gen_fpu_v5_sp, DIFF_ISA_FPU | DIFF_ISA_FPV5, 2},
    {"fp arith f64", gen_fpu_arith_dp, DIFF_ISA_FPU | DIFF_ISA_FPDP, 4},
    {"fp unary f64", gen_fpu_unary_dp, DIFF_ISA_FPU | DIFF_ISA_FPDP, 2},
    {"fp convert f64", gen_fpu_cvt_dp, DIFF_ISA_FPU | DIFF_ISA_FPDP, 2},
    {"fpv5 f64", gen_fpu_v5_dp, DIFF_ISA_FPU | DIFF_ISA_FPDP | DIFF_ISA_FPV5, 2},
    {NULL, NULL, 0, 0},
};
