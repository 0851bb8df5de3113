/* Random instructions of the ARMv7-M base instruction set (ARMv7-M ARM A5.2, A5.3) for the
 * differential test; the rules they follow are in diff_gen.h. */
#include "diff_gen.h"

#define R6 6u
#define R7 7u

static unsigned low_dest(uint64_t *rng) { return diff_pick(rng, 6); } /* r0-r5 */
static unsigned low_src(uint64_t *rng) { return diff_pick(rng, 8); }  /* r0-r7 */
static bool coin(uint64_t *rng) { return diff_rand(rng) & 1; }


/* An offset from r6 that a store may use: never into the exclusive monitor's area. */
static uint32_t store_offset(uint32_t off)
{
    return diff_in_excl(off, 4) ? off + 0x20 : off;
}

/* --- 16-bit encodings (A5.2) ---------------------------------------------------------------- */

static uint32_t gen_t16_alu(uint64_t *rng)
{
    unsigned d = low_dest(rng), n = low_src(rng), m = low_src(rng);
    switch (diff_pick(rng, 6)) {
    case 0: return DIFF_T16((diff_pick(rng, 3) << 11) | (diff_pick(rng, 32) << 6) | (n << 3) | d); /* shift imm */
    case 1: return DIFF_T16(0x1800 | (diff_pick(rng, 4) << 9) | (m << 6) | (n << 3) | d);            /* add/sub */
    case 2: return DIFF_T16(0x2000 | (diff_pick(rng, 4) << 11) | (d << 8) | diff_pick(rng, 256));    /* imm8 */
    case 3: {                                                                                           /* high regs */
        unsigned hd = diff_dest(rng), hm = diff_src(rng);
        if (coin(rng)) return DIFF_T16(0x4400 | ((hd & 8) << 4) | (hm << 3) | (hd & 7));
        return DIFF_T16(0x4600 | ((hd & 8) << 4) | (hm << 3) | (hd & 7));
    }
    case 4: { unsigned a = 8 + diff_pick(rng, 5), b = diff_src(rng); return DIFF_T16(0x4500 | ((a & 8) << 4) | (b << 3) | (a & 7)); }
    default: return DIFF_T16(0x4000 | (diff_pick(rng, 16) << 6) | (n << 3) | d);                     /* data processing */
    }
}

static uint32_t gen_t16_misc(uint64_t *rng)
{
    static const unsigned rev[] = {0, 1, 3};
    unsigned d = low_dest(rng), n = low_src(rng);
    switch (diff_pick(rng, 5)) {
    case 0: return DIFF_T16(0xB200 | (diff_pick(rng, 4) << 6) | (n << 3) | d);      /* extend */
    case 1: return DIFF_T16(0xBA00 | (rev[diff_pick(rng, 3)] << 6) | (n << 3) | d);  /* REV* */
    case 2: return DIFF_T16(0xA000 | (d << 8) | diff_pick(rng, 256));               /* ADR */
    case 3: return DIFF_T16(0xA800 | (d << 8) | diff_pick(rng, DIFF_STACK_SLACK / 4)); /* ADD Rd, SP, #imm */
    default: return DIFF_T16(coin(rng) ? 0xBF00 : 0xBF40);                           /* NOP, SEV */
    }
}

static uint32_t gen_t16_mem(uint64_t *rng)
{
    static const uint16_t imm_ops[] = {0x6000, 0x6800, 0x7000, 0x7800, 0x8000, 0x8800};
    unsigned d = low_dest(rng);
    switch (diff_pick(rng, 4)) {
    case 0: return DIFF_T16(imm_ops[diff_pick(rng, 6)] | (diff_pick(rng, 32) << 6) | (R6 << 3) | d);
    case 1: return DIFF_T16(0x5000 | (diff_pick(rng, 8) << 9) | (R7 << 6) | (R6 << 3) | d);
    case 2: return DIFF_T16((coin(rng) ? 0x9000 : 0x9800) | (d << 8) | diff_pick(rng, DIFF_STACK_SLACK / 4));
    default: return DIFF_T16(0x4800 | (d << 8) | diff_pick(rng, 256)); /* LDR literal */
    }
}

/* --- data processing (A5.3.1, A5.3.3, A5.3.11) ---------------------------------------------- */

static const unsigned dp_ops[] = {0, 1, 2, 3, 4, 8, 10, 11, 13, 14};

/* Rd/Rn for a data-processing op: the test forms (TST, TEQ, CMN, CMP) write PC with S,
 * ORR/ORN with Rn = PC are MOV/MVN. */
static void dp_regs(uint64_t *rng, unsigned op, bool *s, unsigned *n, unsigned *d)
{
    *n = diff_src(rng);
    *d = diff_dest(rng);
    if ((op == 2 || op == 3) && coin(rng)) *n = 15;
    if ((op == 0 || op == 4 || op == 8 || op == 13) && diff_pick(rng, 4) == 0) {
        *d = 15;
        *s = true;
    }
}

static uint32_t gen_dp_modified_imm(uint64_t *rng)
{
    unsigned op = dp_ops[diff_pick(rng, 10)], n, d;
    bool s = coin(rng);
    dp_regs(rng, op, &s, &n, &d);
    uint32_t imm12 = diff_pick(rng, 4096);
    if ((imm12 & 0xC00) == 0 && (imm12 & 0x300) && !(imm12 & 0xFF)) imm12 |= 1; /* UNPREDICTABLE zero */
    return diff_t32(0xF000 | ((imm12 >> 11) << 10) | (op << 5) | (s << 4) | n, (((imm12 >> 8) & 7) << 12) | (d << 8) | (imm12 & 0xFF));
}

static uint32_t gen_dp_shifted_reg(uint64_t *rng)
{
    unsigned op = dp_ops[diff_pick(rng, 10)], n, d, m = diff_src(rng), imm5 = diff_pick(rng, 32);
    bool s = coin(rng);
    dp_regs(rng, op, &s, &n, &d);
    return diff_t32(0xEA00 | (op << 5) | (s << 4) | n, ((imm5 >> 2) << 12) | (d << 8) | ((imm5 & 3) << 6) | (diff_pick(rng, 4) << 4) | m);
}

static uint32_t gen_plain_imm(uint64_t *rng)
{
    unsigned d = diff_dest(rng), n = diff_src(rng), imm5 = diff_pick(rng, 32), low5 = diff_pick(rng, 32);
    uint32_t imm12 = diff_pick(rng, 4096), imm16 = diff_rand(rng) & 0xFFFF;
    uint32_t i_imm3_imm8 = ((imm12 >> 11) << 26) | (((imm12 >> 8) & 7) << 12) | (imm12 & 0xFF);
    uint32_t bits = ((imm5 >> 2) << 12) | (d << 8) | ((imm5 & 3) << 6);
    switch (diff_pick(rng, 8)) {
    case 0: /* ADDW, SUBW, ADR.W */
        if (diff_pick(rng, 4) == 0) n = 15;
        return diff_t32(0xF200 | (coin(rng) ? 0xA0 : 0) | n, d << 8) | i_imm3_imm8;
    case 1: /* MOVW, MOVT */
        return diff_t32(0xF240 | (coin(rng) ? 0x80 : 0) | (imm16 >> 12) | ((imm16 >> 11) & 1) << 10,
                   (((imm16 >> 8) & 7) << 12) | (d << 8) | (imm16 & 0xFF));
    case 2: case 3: { /* SSAT, USAT: LSL, or ASR by 1-31 */
        bool asr = coin(rng);
        if (asr && imm5 == 0) imm5 = 1 + diff_pick(rng, 31);
        bits = ((imm5 >> 2) << 12) | (d << 8) | ((imm5 & 3) << 6);
        return diff_t32(0xF300 | (coin(rng) ? 0x80 : 0) | (asr ? 0x20 : 0) | n, bits | low5);
    }
    case 4: case 5: { /* SBFX, UBFX */
        unsigned width = 1 + diff_pick(rng, 32 - imm5);
        return diff_t32((coin(rng) ? 0xF340 : 0xF3C0) | n, bits | (width - 1));
    }
    default: { /* BFI, BFC */
        unsigned msb = imm5 + diff_pick(rng, 32 - imm5);
        return diff_t32(0xF360 | (diff_pick(rng, 4) == 0 ? 15 : n), bits | msb);
    }
    }
}

/* --- data processing (register), multiplies, divides (A5.3.12, A5.3.16, A5.3.17) ----------- */

static uint32_t gen_dp_register(uint64_t *rng)
{
    static const unsigned misc[] = {0x90 << 4 | 0x8, 0x90 << 4 | 0x9, 0x90 << 4 | 0xA, 0x90 << 4 | 0xB, 0xB0 << 4 | 0x8};
    unsigned d = diff_dest(rng), n = diff_src(rng), m = diff_src(rng);
    switch (diff_pick(rng, 3)) {
    case 0: /* LSL, LSR, ASR, ROR (register) */
        return diff_t32(0xFA00 | (diff_pick(rng, 8) << 4) | n, 0xF000 | (d << 8) | m);
    case 1: { /* SXTH, UXTH, SXTB, UXTB with rotation */
        static const unsigned ext[] = {0, 1, 4, 5};
        return diff_t32(0xFA0F | (ext[diff_pick(rng, 4)] << 4), 0xF080 | (d << 8) | (diff_pick(rng, 4) << 4) | m);
    }
    default: { /* REV, REV16, RBIT, REVSH, CLZ */
        unsigned k = misc[diff_pick(rng, 5)];
        return diff_t32(0xFA00 | ((k >> 4) & 0xF0) | m, 0xF000 | (d << 8) | ((k & 0xF) << 4) | m);
    }
    }
}

static uint32_t gen_multiply(uint64_t *rng)
{
    unsigned d = diff_dest(rng), n = diff_src(rng), m = diff_src(rng), a = diff_src(rng), hi = diff_dest(rng);
    switch (diff_pick(rng, 4)) {
    case 0: return diff_t32(0xFB00 | n, (diff_pick(rng, 3) == 0 ? 0xF000 : a << 12) | (d << 8) | m); /* MUL, MLA */
    case 1: return diff_t32(0xFB00 | n, (a << 12) | (d << 8) | 0x10 | m);                            /* MLS */
    case 2: { /* SMULL, UMULL, SMLAL, UMLAL */
        static const unsigned ops[] = {0x80, 0xA0, 0xC0, 0xE0};
        while (hi == d) hi = diff_dest(rng);
        return diff_t32(0xFB00 | ops[diff_pick(rng, 4)] | n, (d << 12) | (hi << 8) | m);
    }
    default: /* SDIV, UDIV */
        return diff_t32(0xFB00 | (coin(rng) ? 0x90 : 0xB0) | n, 0xF0F0 | (d << 8) | m);
    }
}

/* --- loads and stores (A5.3.5-A5.3.10) ------------------------------------------------------ */

/* size bits: 0 byte, 1 halfword, 2 word; signed loads only for bytes and halfwords */
static void pick_access(uint64_t *rng, unsigned *size_bits, bool *sign, bool *load)
{
    *size_bits = diff_pick(rng, 3);
    *load = coin(rng);
    *sign = *load && *size_bits < 2 && coin(rng);
}

static uint32_t gen_load_store(uint64_t *rng)
{
    unsigned size_bits, t = diff_dest(rng);
    bool sign, load;
    pick_access(rng, &size_bits, &sign, &load);
    uint32_t hw1 = 0xF800 | (sign ? 0x100 : 0) | (size_bits << 5) | (load ? 0x10 : 0);
    if (!load) {
        t = diff_src(rng);
        if (t == R6) t = R7; /* Rt = Rn with writeback: UNPREDICTABLE */
    }
    switch (diff_pick(rng, 5)) {
    case 0: { /* imm12, unaligned offsets included */
        uint32_t off = diff_pick(rng, 4096);
        return diff_t32(hw1 | 0x80 | R6, (t << 12) | (load ? off : store_offset(off)));
    }
    case 1: { /* imm8: offset, pre-indexed or post-indexed with writeback (r6 is put back) */
        static const unsigned puw[] = {0x4, 0x5, 0x7, 0x1, 0x3}; /* P U W */
        unsigned mode = puw[diff_pick(rng, 5)];
        return diff_t32(hw1 | R6, (t << 12) | 0x800 | (mode << 8) | diff_pick(rng, 256));
    }
    case 2: /* register, LSL #0-3 */
        return diff_t32(hw1 | R6, (t << 12) | (diff_pick(rng, 4) << 4) | R7);
    case 3: /* the unprivileged T forms */
        return diff_t32(hw1 | R6, (t << 12) | 0xE00 | diff_pick(rng, 256));
    default: /* literal (loads), forward; PLD/PLI [r6, #imm] as hints otherwise */
        if (load) return diff_t32(hw1 | 0x80 | 15, (t << 12) | diff_pick(rng, 4096));
        return diff_t32((coin(rng) ? 0xF890 : 0xF990) | R6, 0xF000 | diff_pick(rng, 4096));
    }
}

static uint32_t gen_load_store_dual(uint64_t *rng)
{
    unsigned t = diff_dest(rng), t2 = diff_dest(rng);
    bool load = coin(rng);
    if (!load) { /* not r6: Rt = Rn with writeback is UNPREDICTABLE */
        t = diff_src(rng);
        t2 = diff_src(rng);
        if (t == R6) t = R7;
        if (t2 == R6) t2 = R7;
    }
    while (load && t2 == t) t2 = diff_dest(rng);
    static const unsigned puw[] = {0x10, 0x18, 0x12, 0x1A, 0x0A, 0x02}; /* P U - W bits of hw1[8:5] */
    unsigned mode = puw[diff_pick(rng, 6)], n = R6;
    if (load && diff_pick(rng, 6) == 0) {
        mode = 0x18; /* LDRD (literal), forward */
        n = 15;
    }
    /* offsets up to 0x3E0: the stores stay below the exclusive area */
    return diff_t32(0xE840 | (mode << 4) | (load ? 0x10 : 0) | n, (t << 12) | (t2 << 8) | diff_pick(rng, 0xF9));
}

static uint32_t gen_load_store_multiple(uint64_t *rng)
{
    bool load = coin(rng), wback = coin(rng), db = coin(rng);
    uint32_t list = 0;
    while (__builtin_popcount(list) < 2) {
        unsigned r = load ? diff_dest(rng) : diff_src(rng);
        if (!(wback && r == R6)) list |= 1u << r;
    }
    return diff_t32(0xE800 | (db ? 0x100 : 0x80) | (wback ? 0x20 : 0) | (load ? 0x10 : 0) | R6, list);
}

/* LDREX/STREX (word) in the exclusive area, so that no other store changes what Unicorn's STREX
 * compares; LDREXB/LDREXH at r6 (a STREX after them fails in both: another address); CLREX.
 * STREXB/STREXH are in the directed tests: their address would be r6 itself, which other
 * stores change (Unicorn would then fail a STREX that the architecture lets succeed). */
static uint32_t gen_exclusive(uint64_t *rng)
{
    unsigned t = diff_dest(rng), d = diff_dest(rng), word = (DIFF_EXCL_OFFSET >> 2) + diff_pick(rng, 4);
    switch (diff_pick(rng, 4)) {
    case 0: return diff_t32(0xE850 | R6, (t << 12) | 0xF00 | word);                        /* LDREX */
    case 1: return diff_t32(0xE8D0 | R6, (t << 12) | 0xF0F | (coin(rng) ? 0x50 : 0x40));   /* LDREXB/H */
    case 2: /* STREX */
        t = diff_src(rng);
        while (d == t) d = diff_dest(rng);
        return diff_t32(0xE840 | R6, (t << 12) | (d << 8) | word);
    default: return diff_t32(0xF3BF, 0x8F2F); /* CLREX */
    }
}

/* --- system ---------------------------------------------------------------------------------- */

static uint32_t gen_system(uint64_t *rng)
{
    switch (diff_pick(rng, 4)) {
    case 0: return diff_t32(0xF3EF, 0x8000 | (diff_dest(rng) << 8)); /* MRS Rd, APSR */
    case 1: return diff_t32(0xF380 | diff_src(rng), 0x8800);          /* MSR APSR_nzcvq, Rn */
    /* NOP.W, SEV.W. YIELD stops Unicorn 2.0.1 with UC_ERR_INSN_INVALID (QEMU raises its internal
     * EXCP_YIELD for it): test_sim_thumb2.c checks YIELD. */
    case 2: return diff_t32(0xF3AF, coin(rng) ? 0x8000 : 0x8004);
    default: return diff_t32(0xF3BF, 0x8F4F | (diff_pick(rng, 3) << 4)); /* DSB, DMB, ISB */
    }
}

const diff_gen_class diff_gen_base[] = {
    {"t16 alu", gen_t16_alu, DIFF_ISA_V7M, 6},
    {"t16 misc", gen_t16_misc, DIFF_ISA_V7M, 2},
    {"t16 load/store", gen_t16_mem, DIFF_ISA_V7M, 3},
    {"dp modified immediate", gen_dp_modified_imm, DIFF_ISA_V7M, 6},
    {"dp shifted register", gen_dp_shifted_reg, DIFF_ISA_V7M, 6},
    {"dp plain immediate", gen_plain_imm, DIFF_ISA_V7M, 5},
    {"dp register", gen_dp_register, DIFF_ISA_V7M, 4},
    {"multiply/divide", gen_multiply, DIFF_ISA_V7M, 4},
    {"load/store", gen_load_store, DIFF_ISA_V7M, 6},
    {"load/store dual", gen_load_store_dual, DIFF_ISA_V7M, 2},
    {"load/store multiple", gen_load_store_multiple, DIFF_ISA_V7M, 2},
    {"exclusive", gen_exclusive, DIFF_ISA_V7M, 2},
    {"system", gen_system, DIFF_ISA_V7M, 1},
    {NULL, NULL, 0, 0},
};
