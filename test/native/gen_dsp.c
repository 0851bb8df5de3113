/* Random instructions of the DSP extension of ARMv7E-M (ARMv7-M ARM A5.3.3, A5.3.11-A5.3.17),
 * one generator per encoding class, for the differential tests (test_sim_dsp.c class by class,
 * and the mixed streams of test_sim_diff_unicorn.c); the rules they follow are in diff_gen.h:
 * destinations from diff_dest(), sources from diff_src(), should-be-zero bits zero, never SP or
 * PC (a 15 in Ra or Rn selects the form without accumulate or add). */
#include "diff_gen.h"

static uint32_t pick(uint64_t *rng, uint32_t n) { return diff_pick(rng, n); }
static uint32_t reg(uint64_t *rng) { return diff_src(rng); }                      /* r0-r12 */
static uint32_t dest(uint64_t *rng) { return diff_dest(rng); }                    /* r0-r5, r8-r12 */
static uint32_t reg_or_pc(uint64_t *rng) { return pick(rng, 4) ? reg(rng) : 15; } /* 15: no Ra/Rn */


/* hw1[6:4] of the six parallel operations: ADD8, ADD16, ASX, SUB8, SUB16, SAX */
static const uint32_t parallel_ops[6] = {0, 1, 2, 4, 5, 6};

static uint32_t gen_parallel(uint64_t *rng, uint32_t is_unsigned)
{
    return diff_t32(0xFA80 | parallel_ops[pick(rng, 6)] << 4 | reg(rng),
                0xF000 | dest(rng) << 8 | is_unsigned << 6 | pick(rng, 3) << 4 | reg(rng));
}
static uint32_t gen_parallel_signed(uint64_t *rng) { return gen_parallel(rng, 0); }
static uint32_t gen_parallel_unsigned(uint64_t *rng) { return gen_parallel(rng, 1); }

/* SXTAH UXTAH SXTAB16 UXTAB16 SXTAB UXTAB (hw1[6:4] 0-5), and SXTB16/UXTB16 with Rn = 15 */
static uint32_t gen_extend(uint64_t *rng)
{
    uint32_t op = pick(rng, 6), n = (op == 2 || op == 3) ? reg_or_pc(rng) : reg(rng);
    return diff_t32(0xFA00 | op << 4 | n, 0xF080 | dest(rng) << 8 | pick(rng, 4) << 4 | reg(rng));
}

/* QADD QDADD QSUB QDSUB */
static uint32_t gen_qarith(uint64_t *rng)
{
    return diff_t32(0xFA80 | reg(rng), 0xF080 | dest(rng) << 8 | pick(rng, 4) << 4 | reg(rng));
}

/* SEL: the harness gives the GE flags random values */
static uint32_t gen_sel(uint64_t *rng)
{
    return diff_t32(0xFAA0 | reg(rng), 0xF080 | dest(rng) << 8 | reg(rng));
}

/* The multiply table (A5.3.16): hw1 = 0xFB00 | op1 << 4 | Rn, hw2 = Ra Rd 00 op2 Rm */
static uint32_t gen_mul(uint64_t *rng, uint32_t op1, uint32_t op2, uint32_t ra)
{
    return diff_t32(0xFB00 | op1 << 4 | reg(rng), ra << 12 | dest(rng) << 8 | op2 << 4 | reg(rng));
}
static uint32_t gen_smlaxy(uint64_t *rng) { return gen_mul(rng, 1, pick(rng, 4), reg_or_pc(rng)); }
static uint32_t gen_smlad(uint64_t *rng) { return gen_mul(rng, 2, pick(rng, 2), reg_or_pc(rng)); }
static uint32_t gen_smlaw(uint64_t *rng) { return gen_mul(rng, 3, pick(rng, 2), reg_or_pc(rng)); }
static uint32_t gen_smlsd(uint64_t *rng) { return gen_mul(rng, 4, pick(rng, 2), reg_or_pc(rng)); }
static uint32_t gen_smmla(uint64_t *rng) { return gen_mul(rng, 5, pick(rng, 2), reg_or_pc(rng)); }
static uint32_t gen_smmls(uint64_t *rng) { return gen_mul(rng, 6, pick(rng, 2), reg(rng)); }
static uint32_t gen_usada8(uint64_t *rng) { return gen_mul(rng, 7, 0, reg_or_pc(rng)); }

/* The long multiply table (A5.3.17): hw1 = 0xFB80 | op1 << 4 | Rn, hw2 = RdLo RdHi op2 Rm */
static uint32_t gen_long(uint64_t *rng)
{
    static const uint32_t forms[][2] = {{4, 8}, {4, 9}, {4, 10}, {4, 11}, /* SMLAL<x><y> */
                                        {4, 12}, {4, 13},                 /* SMLALD(X) */
                                        {5, 12}, {5, 13},                 /* SMLSLD(X) */
                                        {6, 6}};                          /* UMAAL */
    uint32_t f = pick(rng, 9), lo = dest(rng), hi = dest(rng);
    while (hi == lo) hi = dest(rng);
    return diff_t32(0xFB80 | forms[f][0] << 4 | reg(rng), lo << 12 | hi << 8 | forms[f][1] << 4 | reg(rng));
}

/* PKHBT/PKHTB: hw2 = 0 imm3 Rd imm2 tb 0 Rm */
static uint32_t gen_pkh(uint64_t *rng)
{
    uint32_t shift = pick(rng, 32);
    return diff_t32(0xEAC0 | reg(rng), (shift >> 2) << 12 | dest(rng) << 8 | (shift & 3) << 6 |
                                        pick(rng, 2) << 5 | reg(rng));
}

/* SSAT16 / USAT16: hw2 = 0000 Rd 0000 sat_imm */
static uint32_t gen_sat16(uint64_t *rng)
{
    return diff_t32((pick(rng, 2) ? 0xF320 : 0xF3A0) | reg(rng), dest(rng) << 8 | pick(rng, 16));
}

const diff_gen_class diff_gen_dsp[] = {
    {"parallel signed (S, Q, SH)", gen_parallel_signed, DIFF_ISA_DSP, 1},
    {"parallel unsigned (U, UQ, UH)", gen_parallel_unsigned, DIFF_ISA_DSP, 1},
    {"extend and add, XTB16", gen_extend, DIFF_ISA_DSP, 1},
    {"QADD/QDADD/QSUB/QDSUB", gen_qarith, DIFF_ISA_DSP, 1},
    {"SEL", gen_sel, DIFF_ISA_DSP, 1},
    {"SMLA<x><y>/SMUL<x><y>", gen_smlaxy, DIFF_ISA_DSP, 1},
    {"SMLAD(X)/SMUAD(X)", gen_smlad, DIFF_ISA_DSP, 1},
    {"SMLAW<y>/SMULW<y>", gen_smlaw, DIFF_ISA_DSP, 1},
    {"SMLSD(X)/SMUSD(X)", gen_smlsd, DIFF_ISA_DSP, 1},
    {"SMMLA(R)/SMMUL(R)", gen_smmla, DIFF_ISA_DSP, 1},
    {"SMMLS(R)", gen_smmls, DIFF_ISA_DSP, 1},
    {"USADA8/USAD8", gen_usada8, DIFF_ISA_DSP, 1},
    {"SMLAL<x><y>/SMLALD/SMLSLD/UMAAL", gen_long, DIFF_ISA_DSP, 1},
    {"PKHBT/PKHTB", gen_pkh, DIFF_ISA_DSP, 1},
    {"SSAT16/USAT16", gen_sat16, DIFF_ISA_DSP, 1},
    {NULL, NULL, 0, 0},
};
