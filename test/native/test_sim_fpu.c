/* The floating-point extension (sim_fpu) against Unicorn, one instruction at a time, and directed
 * tests worked out by hand from the Arm pseudo-code.
 *
 * References:
 *  - stm32f407 (FPv4-SP): Unicorn's Cortex-M4 model.
 *  - stm32h743 (FPv5, double precision): Unicorn's Cortex-M7 model for single precision and the
 *    FPv5 instructions; Unicorn's Cortex-A15 in Thumb state for double precision.
 * Where Unicorn 2.0.1 (Debian) is not a usable reference:
 *  - Its Cortex-M4 and Cortex-M7 models both execute the FPv5 instructions (VSEL, VMAXNM, VRINT*,
 *    VCVTA...) and both refuse every double-precision instruction: the M-profile models share
 *    one FPv5 single-precision feature set, whatever the model. So UNDEFINSTR for FPv5 on the
 *    M4 is a directed test, and double precision is compared against the Cortex-A15 model (same
 *    VFPv4 encodings in Thumb state, same QEMU softfloat with Arm's NaN and tininess rules). Its
 *    "max" CPU refuses double precision too, so the FPv5 instructions in double precision
 *    (VSEL/VMAXNM/VRINT/VCVTA .F64, VCVTB/VCVTT .F64.F16) have no Unicorn reference: they are
 *    checked against QEMU instead (qemu-arm -cpu max, ARMv8-A AArch32, running
 *    fpu_qemu_runner.S), and by directed tests.
 *  - Unicorn has no SCS for M profile: CPACR cannot be cleared (the FPU is always on), so NOCP is
 *    a directed test.
 *
 * BMP_FPU_SEED (or BMP_DIFF_SEED) sets the seed (printed); BMP_FPU_QUICK=1 (or BMP_DIFF_QUICK=1) runs 5,000 instructions per class instead
 * of 100,000. */
#include <stdlib.h>
#include <unicorn/unicorn.h>

#include "check.h"
#include "gen_fpu.h"
#include "sim_fpu.h"
#include "sim_target.h"

#define CODE_BASE 0x20000000u
#define STREAM_BASE 0x08000000u /* the random streams, in Unicorn only */
#define STREAM_SIZE 0x100000u
#define WIN_BASE 0x20002000u /* data (r6 = 0x20003000) and the stacks (r7, SP) */
#define WIN_SIZE 0x6000u
#define R7_BASE 0x20005800u
#define SP_BASE 0x20007000u
#define BLOCK 32

static uint64_t rng;
static uint32_t rnd(void) { return diff_rand(&rng); }
static unsigned pick(unsigned n) { return rnd() % n; }

/* --- interesting values ------------------------------------------------------------------- */

static int block_exp; /* a shared exponent so operands are close: cancellation, halfway cases */

static uint32_t half_value(void)
{
    uint32_t s = pick(2) << 15;
    switch (pick(8)) {
    case 0: return s;
    case 1: return s | (1 + pick(0x3FF));        /* denormal */
    case 2: return s | 0x7C00;                   /* infinity */
    case 3: return s | 0x7C00 | (1 + pick(0x3FF)); /* NaN, either kind */
    case 4: return s | 0x7BFF;                   /* max */
    default: return s | (rnd() & 0x7FFF);
    }
}

static uint32_t value32(void)
{
    uint32_t s = pick(2) ? 0x80000000u : 0;
    switch (pick(20)) {
    case 0: return s;
    case 1: return s | (rnd() & 0x7FFFFF) | 1;              /* denormal */
    case 2: return s | (pick(2) ? 1 + pick(8) : 0x7FFFFF - pick(8));
    case 3: return s | 0x7F800000u;                          /* infinity */
    case 4: return s | 0x7FC00000u | (rnd() & 0x3FFFFF);     /* quiet NaN */
    case 5: return s | 0x7F800000u | ((rnd() & 0x3FFFFF) | 1); /* signalling NaN */
    case 6: return s | (0x7F7FFFFFu - pick(64));             /* near overflow */
    case 7: return s | (0x00800000u + pick(8) - 4);          /* around the smallest normal */
    case 8: { /* halves and small integers: rounding to integer */
        uint32_t k = pick(4096);
        int e = 127 + 11 - pick(14);
        return s | (uint32_t)e << 23 | (k << 12 & 0x7FFFFF);
    }
    case 9: return s | (uint32_t)(127 + 14 + pick(20)) << 23 | (rnd() & 0x7FFFFF); /* near 2^15..2^33 */
    case 10: return s | (uint32_t)(126 + pick(3)) << 23 | (pick(2) ? rnd() & 0x7FFFFF : pick(4) | 0x7FFFFC);
    case 11: return half_value() << 16 | half_value();
    case 12: return s | (uint32_t)(1 + pick(40)) << 23 | (rnd() & 0x7FFFFF);   /* tiny results ahead */
    case 13: return s | (uint32_t)(254 - pick(40)) << 23 | (rnd() & 0x7FFFFF); /* huge */
    case 14: case 15: case 16: { /* close to the block's exponent, or half an ulp below it */
        static const int offs[] = {0, 0, 1, -1, -23, -24, -25, -12};
        int e = block_exp + offs[pick(8)];
        uint32_t frac = pick(2) ? rnd() & 0x7FFFFF : (pick(2) ? 0x7FFFFF : 0) ^ pick(4);
        return s | (uint32_t)e << 23 | frac;
    }
    default: return rnd();
    }
}

static uint64_t value64(void)
{
    uint64_t s = pick(2) ? 1ull << 63 : 0, r = (uint64_t)rnd() << 32 | rnd(), frac = r & 0xFFFFFFFFFFFFFull;
    switch (pick(18)) {
    case 0: return s;
    case 1: return s | frac | 1;
    case 2: return s | 0x7FF0000000000000ull;
    case 3: return s | 0x7FF8000000000000ull | (frac >> 1);
    case 4: return s | 0x7FF0000000000000ull | ((frac >> 1) | 1);
    case 5: return s | (0x7FEFFFFFFFFFFFFFull - pick(64));
    case 6: return s | (0x0010000000000000ull + pick(8) - 4);
    case 7: { /* integers and halves */
        uint64_t k = pick(4096);
        return s | (uint64_t)(1023 + 11 - pick(14)) << 52 | (k << 41 & 0xFFFFFFFFFFFFFull);
    }
    case 8: return s | (uint64_t)(1023 + 14 + pick(20)) << 52 | frac;
    case 9: return s | (uint64_t)(1023 - 149 + pick(40)) << 52 | frac;      /* single's tiny range */
    case 10: return s | (uint64_t)(1023 + 100 + pick(40)) << 52 | frac;     /* single's overflow */
    case 11: return s | (uint64_t)(1023 - 30 + pick(46)) << 52 | (frac & ~0x1FFFFFFFull) |
                    (pick(2) ? 0x10000000ull : pick(2)); /* halfway for single and half conversions */
    case 12: case 13: case 14: {
        static const int offs[] = {0, 0, 1, -1, -52, -53, -54, -26};
        int e = 1023 + (block_exp - 127) + offs[pick(8)];
        return s | (uint64_t)e << 52 | (pick(2) ? frac : (pick(2) ? 0xFFFFFFFFFFFFFull : 0) ^ pick(4));
    }
    case 15: return s | (uint64_t)(1 + pick(60)) << 52 | frac;
    default: return r;
    }
}

static uint32_t random_fpscr(void) { return gen_fpu_fpscr(&rng); }

/* --- the two machines ----------------------------------------------------------------------- */

typedef enum { REF_M4, REF_M7, REF_A15 } ref_kind;

typedef struct {
    sim_target t;
    uc_engine *uc;
    ref_kind ref;
} machines;

static bool machines_open(machines *m, const char *profile, ref_kind ref)
{
    m->ref = ref;
    if (sim_target_init(&m->t, profile) != SIM_OK) return false;
    m->t.core.cpacr = 0x00F00000u;
    /* An FP context is active in the simulator (CONTROL.FPCA), so that the FPSCR each case
     * writes stays: the first FP instruction of a new context would load FPDSCR into it. */
    m->t.cpu.control = CONTROL_FPCA;
    bool mclass = ref != REF_A15;
    if (uc_open(UC_ARCH_ARM, UC_MODE_THUMB | (mclass ? UC_MODE_MCLASS : 0), &m->uc) != UC_ERR_OK) return false;
    uc_ctl_set_cpu_model(m->uc, ref == REF_M4 ? UC_CPU_ARM_CORTEX_M4 : ref == REF_M7 ? UC_CPU_ARM_CORTEX_M7
                                                                                   : UC_CPU_ARM_CORTEX_A15);
    uc_mem_map(m->uc, CODE_BASE, 0x10000, UC_PROT_ALL);
    uc_mem_map(m->uc, STREAM_BASE, STREAM_SIZE, UC_PROT_ALL);
    if (!mclass) { /* the A-profile FPU is off after reset: FPEXC.EN and CPACR cp10/cp11 */
        uint32_t fpexc = 0x40000000u, cpacr = 0x00F00000u;
        uc_reg_write(m->uc, UC_ARM_REG_C1_C0_2, &cpacr);
        uc_reg_write(m->uc, UC_ARM_REG_FPEXC, &fpexc);
    }
    if (mclass) {
        /* Make an FP context active (CONTROL.FPCA) by running one FP instruction. Until then the
         * first FP instruction creates a context and loads FPSCR from FPDSCR (ARMv7-M
         * ExecuteFPCheck with FPCCR.ASPEN set), as Unicorn does, which would lose the FPSCR
         * written here; that part belongs to sim_exc_fp_used, not to these tests. Writing
         * CONTROL through Unicorn does not set FPCA. */
        static const uint16_t vmrs[4] = {0xEEF1, 0x0A10, 0xBF00, 0xBF00};
        uc_mem_write(m->uc, CODE_BASE, vmrs, sizeof vmrs);
        uc_emu_start(m->uc, CODE_BASE | 1, 0xFFFFFFFFu, 0, 1);
    }
    return true;
}

static void machines_close(machines *m)
{
    uc_close(m->uc);
    sim_target_free(&m->t);
}

static int flags_reg(const machines *m) { return m->ref == REF_A15 ? UC_ARM_REG_CPSR : UC_ARM_REG_XPSR; }

/* Loads the same registers and memory into both. */
static void machines_set(machines *m, const uint32_t *s, uint32_t fpscr, const uint32_t *r, uint32_t flags,
                         const uint8_t *win)
{
    sim_cpu *c = &m->t.cpu;
    for (unsigned i = 0; i < 32; i++) {
        c->s[i] = s[i];
        uc_reg_write(m->uc, UC_ARM_REG_S0 + (int)i, &s[i]);
    }
    c->fpscr = fpscr;
    uc_reg_write(m->uc, UC_ARM_REG_FPSCR, &fpscr);
    for (unsigned i = 0; i < 13; i++) {
        c->r[i] = r[i];
        uc_reg_write(m->uc, UC_ARM_REG_R0 + (int)i, &r[i]);
    }
    c->r[13] = SP_BASE;
    uint32_t sp = SP_BASE;
    uc_reg_write(m->uc, UC_ARM_REG_SP, &sp);
    c->xpsr = XPSR_T | flags;
    uint32_t ps;
    uc_reg_read(m->uc, flags_reg(m), &ps);
    ps = (ps & 0x0FFFFFFFu) | flags;
    uc_reg_write(m->uc, flags_reg(m), &ps);
    sim_target_load(&m->t, WIN_BASE, win, WIN_SIZE);
    uc_mem_write(m->uc, WIN_BASE, win, WIN_SIZE);
}

static bool same_registers(machines *m, char *why, size_t len)
{
    sim_cpu *c = &m->t.cpu;
    for (unsigned i = 0; i < 32; i++) {
        uint32_t v;
        uc_reg_read(m->uc, UC_ARM_REG_S0 + (int)i, &v);
        if (v != c->s[i]) return snprintf(why, len, "s%u sim %08x unicorn %08x", i, c->s[i], v), false;
    }
    uint32_t f;
    uc_reg_read(m->uc, UC_ARM_REG_FPSCR, &f);
    if ((f & GEN_FPU_FPSCR_MASK) != c->fpscr)
        return snprintf(why, len, "fpscr sim %08x unicorn %08x", c->fpscr, f & GEN_FPU_FPSCR_MASK), false;
    for (unsigned i = 0; i < 14; i++) {
        uint32_t v;
        uc_reg_read(m->uc, i == 13 ? UC_ARM_REG_SP : UC_ARM_REG_R0 + (int)i, &v);
        if (v != c->r[i]) return snprintf(why, len, "r%u sim %08x unicorn %08x", i, c->r[i], v), false;
    }
    uint32_t ps;
    uc_reg_read(m->uc, flags_reg(m), &ps);
    if ((ps ^ c->xpsr) & 0xF0000000u)
        return snprintf(why, len, "NZCV sim %x unicorn %x", c->xpsr >> 28, ps >> 28), false;
    return true;
}

static bool same_memory(machines *m, char *why, size_t len)
{
    static uint8_t a[WIN_SIZE], b[WIN_SIZE];
    sim_target_peek(&m->t, WIN_BASE, a, WIN_SIZE);
    uc_mem_read(m->uc, WIN_BASE, b, WIN_SIZE);
    for (uint32_t i = 0; i < WIN_SIZE; i++)
        if (a[i] != b[i]) return snprintf(why, len, "memory %08x sim %02x unicorn %02x", WIN_BASE + i, a[i], b[i]), false;
    return true;
}

/* Runs `count` random instructions of one class through both; returns the number compared. */
static unsigned long run_class(machines *m, const diff_gen_class *cls, unsigned long count, uint64_t seed)
{
    static uint8_t win[WIN_SIZE];
    unsigned long done = 0;
    unsigned failures = 0;
    bool dp = (cls->needs & DIFF_ISA_FPDP) != 0;
    /* The whole stream is written once, so Unicorn translates each instruction once. */
    unsigned long total = (count + BLOCK - 1) / BLOCK * BLOCK;
    uint32_t *code = malloc(total * 4);
    uint16_t *hw = malloc(total * 4 + 4);
    if (!code || !hw || total * 4 + 4 > STREAM_SIZE) {
        free(code), free(hw);
        return 0;
    }
    for (unsigned long i = 0; i < total; i++) {
        code[i] = cls->gen(&rng);
        hw[2 * i] = (uint16_t)(code[i] >> 16);
        hw[2 * i + 1] = (uint16_t)code[i];
    }
    hw[2 * total] = hw[2 * total + 1] = 0xBF00;
    uc_mem_write(m->uc, STREAM_BASE, hw, total * 4 + 4);
    uc_ctl_remove_cache(m->uc, STREAM_BASE, STREAM_BASE + STREAM_SIZE);
    for (unsigned long at = 0; at < total && failures < 5; at += BLOCK) {
        block_exp = 20 + (int)pick(214);
        uint32_t s[32], r[13];
        for (unsigned i = 0; i < 32; i += 2) {
            if (dp && pick(2)) {
                uint64_t v = value64();
                s[i] = (uint32_t)v, s[i + 1] = (uint32_t)(v >> 32);
            } else {
                s[i] = value32(), s[i + 1] = value32();
            }
        }
        for (unsigned i = 0; i < 13; i++) r[i] = pick(2) ? value32() : rnd();
        r[6] = DIFF_DATA_BASE;
        r[7] = R7_BASE;
        for (uint32_t i = 0; i < WIN_SIZE; i += 8) {
            uint64_t v = dp && pick(2) ? value64() : (uint64_t)value32() << 32 | value32();
            for (unsigned k = 0; k < 8; k++) win[i + k] = (uint8_t)(v >> (8 * k));
        }
        uint32_t fpscr = random_fpscr();
        machines_set(m, s, fpscr, r, rnd() & 0xF0000000u, win);
        char why[160] = "";
        bool ok = true;
        for (unsigned long i = at; i < at + BLOCK && ok; i++) {
            uint32_t pc = STREAM_BASE + 4 * (uint32_t)i;
            uint32_t before_s[32], before_fpscr = m->t.cpu.fpscr;
            memcpy(before_s, m->t.cpu.s, sizeof before_s);
            unsigned cycles;
            sim_step_result res = sim_fpu_execute(&m->t, code[i], pc, &cycles);
            uc_err e = uc_emu_start(m->uc, pc | 1, pc + 4, 0, 0);
            if (res != SIM_STEP_OK || e != UC_ERR_OK) {
                snprintf(why, sizeof why, "sim %d (cfsr %08x), unicorn %s", res, m->t.cpu.fault.cfsr, uc_strerror(e));
                ok = false;
            } else {
                ok = same_registers(m, why, sizeof why);
            }
            if (!ok) {
                uint32_t insn = code[i];
                fprintf(stderr, "  %s: %04x %04x: %s (fpscr before %08x, seed 0x%llx)\n", cls->name, insn >> 16,
                        insn & 0xFFFF, why, before_fpscr, (unsigned long long)seed);
                fprintf(stderr, "    operands: d %08x n %08x m %08x (as singles: Sd=s%u Sn=s%u Sm=s%u)\n",
                        before_s[((insn >> 12) & 15) << 1 | ((insn >> 22) & 1)],
                        before_s[((insn >> 16) & 15) << 1 | ((insn >> 7) & 1)],
                        before_s[(insn & 15) << 1 | ((insn >> 5) & 1)], ((insn >> 12) & 15) << 1 | ((insn >> 22) & 1),
                        ((insn >> 16) & 15) << 1 | ((insn >> 7) & 1), (insn & 15) << 1 | ((insn >> 5) & 1));
                fprintf(stderr, "    as doubles: d %08x%08x n %08x%08x m %08x%08x\n",
                        before_s[2 * ((insn >> 12) & 15) + 1], before_s[2 * ((insn >> 12) & 15)],
                        before_s[2 * ((insn >> 16) & 15) + 1], before_s[2 * ((insn >> 16) & 15)],
                        before_s[2 * (insn & 15) + 1], before_s[2 * (insn & 15)]);
                failures++;
                break;
            }
            done++;
        }
        if (ok && !same_memory(m, why, sizeof why)) {
            fprintf(stderr, "  %s: %s (seed 0x%llx)\n", cls->name, why, (unsigned long long)seed);
            failures++;
        }
    }
    free(code);
    free(hw);
    return failures ? 0 : done;
}

/* The short form under BMP_FPU_QUICK=1 or BMP_DIFF_QUICK=1 (what `npm test -- --quick` and the
 * sanitizer build set for every differential test). */
static unsigned long per_class(void)
{
    const char *names[] = {"BMP_FPU_QUICK", "BMP_DIFF_QUICK"};
    for (unsigned i = 0; i < 2; i++) {
        const char *q = getenv(names[i]);
        if (q && *q && *q != '0') return 5000;
    }
    return 100000;
}

static uint64_t the_seed(void)
{
    const char *env = getenv("BMP_FPU_SEED");
    if (!env) env = getenv("BMP_DIFF_SEED");
    return env ? strtoull(env, NULL, 0) : 0xF10A7C0DEull;
}

/* The classes a profile runs against which reference. */
static void differential(const char *profile, bool fpv5, bool dp)
{
    uint64_t seed = the_seed();
    rng = seed ^ (fpv5 ? 0x5555 : 0);
    printf("%s: seed 0x%llx (BMP_FPU_SEED repeats another)\n", profile, (unsigned long long)seed);
    for (const diff_gen_class *cls = diff_gen_fpu; cls->name; cls++) {
        bool needs_dp = cls->needs & DIFF_ISA_FPDP, needs_v5 = cls->needs & DIFF_ISA_FPV5;
        if ((needs_v5 && !fpv5) || (needs_dp && !dp)) continue;
        if (needs_dp && needs_v5) continue; /* no reference: directed tests */
        machines m;
        bool opened = machines_open(&m, profile, needs_dp ? REF_A15 : fpv5 ? REF_M7 : REF_M4);
        CHECK(opened);
        if (!opened) return;
        unsigned long want = per_class(), got = run_class(&m, cls, want, seed);
        printf("  %-16s %lu instructions compared against Unicorn %s\n", cls->name, got,
               needs_dp ? "Cortex-A15" : fpv5 ? "Cortex-M7" : "Cortex-M4");
        CHECK(got >= want);
        machines_close(&m);
    }
}

static void test_diff_stm32f407(void) { differential("stm32f407", false, false); }
static void test_diff_stm32h743(void) { differential("stm32h743", true, true); }

/* --- FPv5 double precision against qemu-arm -cpu max ------------------------------------------ */

static sim_target *target(const char *profile);

/* Records in the format of fpu_qemu_runner.S: all of them go through one qemu-arm run. */
#define QREC_IN 35  /* words: insn, S0-S31, FPSCR, APSR */
#define QREC_OUT 34 /* words: S0-S31, FPSCR, APSR */

static void test_diff_fpv5_double_qemu(void)
{
#ifndef BMP_FPU_RUNNER
    fprintf(stderr, "  built without arm-none-eabi-gcc or qemu-arm (scripts/install-test-deps.sh)\n");
    CHECK(false);
#else
    uint64_t seed = the_seed();
    rng = seed ^ 0xD0D0;
    unsigned long count = per_class();
    uint32_t *in = malloc(count * QREC_IN * 4), *out = malloc(count * QREC_OUT * 4);
    CHECK(in && out);
    if (!in || !out) return;
    for (unsigned long i = 0; i < count; i++) {
        uint32_t *r = in + i * QREC_IN;
        if (i % BLOCK == 0) block_exp = 20 + (int)pick(214);
        r[0] = gen_fpu_v5_dp(&rng);
        for (unsigned k = 0; k < 32; k += 2) {
            uint64_t v = pick(4) ? value64() : (uint64_t)value32() << 32 | value32();
            r[1 + k] = (uint32_t)v, r[2 + k] = (uint32_t)(v >> 32);
        }
        r[33] = random_fpscr();
        r[34] = rnd() & 0xF0000000u;
    }
    const char *in_path = BMP_FPU_RUNNER ".in", *out_path = BMP_FPU_RUNNER ".out";
    FILE *f = fopen(in_path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK_EQ(fwrite(in, 4 * QREC_IN, count, f), count);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s -cpu max %s < %s > %s", BMP_QEMU_ARM, BMP_FPU_RUNNER, in_path, out_path);
    CHECK_EQ(system(cmd), 0);
    f = fopen(out_path, "rb");
    CHECK(f != NULL);
    if (!f) return;
    size_t got = fread(out, 4 * QREC_OUT, count, f);
    fclose(f);
    CHECK_EQ(got, count);
    sim_target *t = target("stm32h743");
    unsigned long compared = 0, failures = 0;
    for (unsigned long i = 0; i < got && failures < 5; i++) {
        const uint32_t *r = in + i * QREC_IN, *q = out + i * QREC_OUT;
        memcpy(t->cpu.s, r + 1, 128);
        t->cpu.fpscr = r[33];
        t->cpu.xpsr = XPSR_T | r[34];
        unsigned cycles;
        sim_step_result res = sim_fpu_execute(t, r[0], CODE_BASE, &cycles);
        bool ok = res == SIM_STEP_OK && !memcmp(t->cpu.s, q, 128) && t->cpu.fpscr == (q[32] & GEN_FPU_FPSCR_MASK) &&
                  !((t->cpu.xpsr ^ q[33]) & 0xF0000000u);
        if (!ok) {
            failures++;
            fprintf(stderr, "  fpv5 f64: %04x %04x (fpscr before %08x, seed 0x%llx): sim %d fpscr %08x, qemu fpscr %08x\n",
                    r[0] >> 16, r[0] & 0xFFFF, r[33], (unsigned long long)seed, res, t->cpu.fpscr, q[32]);
            for (unsigned k = 0; k < 32; k++)
                if (t->cpu.s[k] != q[k])
                    fprintf(stderr, "    s%u: before %08x sim %08x qemu %08x\n", k, r[1 + k], t->cpu.s[k], q[k]);
        } else {
            compared++;
        }
    }
    printf("  %-16s %lu instructions compared against qemu-arm -cpu max\n", "fpv5 f64", compared);
    CHECK_EQ(compared, count);
    remove(in_path);
    remove(out_path);
    free(in);
    free(out);
#endif
}

/* --- directed tests ---------------------------------------------------------------------------- */

static sim_target *target(const char *profile)
{
    static sim_target t;
    static bool have;
    if (have) sim_target_free(&t);
    have = sim_target_init(&t, profile) == SIM_OK;
    t.core.cpacr = 0x00F00000u;
    t.cpu.xpsr = XPSR_T;
    t.cpu.control = CONTROL_FPCA; /* an FP context is active: the FPSCR a test writes stays */
    return &t;
}

static uint32_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Runs `insn` with the given FPSCR; returns the step result. */
static sim_step_result exec(sim_target *t, uint32_t insn, uint32_t fpscr)
{
    unsigned cycles;
    t->cpu.fpscr = fpscr;
    t->cpu.r[15] = CODE_BASE;
    return sim_fpu_execute(t, insn, CODE_BASE, &cycles);
}

#define VADD_S0_S1_S2 0xEE300A81u
#define VMUL_S0_S1_S2 0xEE200A81u
#define VDIV_S0_S1_S2 0xEE800A81u
#define VSQRT_S0_S1 0xEEB10AE0u
#define VFMA_S0_S1_S2 0xEEA00A81u
#define VMLA_S0_S1_S2 0xEE000A81u
#define RM(mode) ((uint32_t)(mode) << 22)
#define FZ (1u << 24)
#define DN (1u << 25)

static void test_rounding_halfway(void)
{
    sim_target *t = target("stm32f407");
    static const struct { uint32_t a, b; unsigned mode; uint32_t want; } cases[] = {
        /* 1 + 2^-24 lies halfway between 1.0 and the next single */
        {0x3F800000, 0x33800000, 0, 0x3F800000}, {0x3F800000, 0x33800000, 1, 0x3F800001},
        {0x3F800000, 0x33800000, 2, 0x3F800000}, {0x3F800000, 0x33800000, 3, 0x3F800000},
        /* 1 + 3*2^-24: halfway between odd ...01 and even ...02: ties to even goes up */
        {0x3F800001, 0x33800000, 0, 0x3F800002}, {0x3F800001, 0x33800000, 3, 0x3F800001},
        /* negative: toward minus infinity grows the magnitude */
        {0xBF800000, 0xB3800000, 2, 0xBF800001}, {0xBF800000, 0xB3800000, 1, 0xBF800000},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t->cpu.s[1] = cases[i].a;
        t->cpu.s[2] = cases[i].b;
        CHECK_EQ(exec(t, VADD_S0_S1_S2, RM(cases[i].mode)), SIM_STEP_OK);
        CHECK_EQ(t->cpu.s[0], cases[i].want);
        CHECK_EQ(t->cpu.fpscr, RM(cases[i].mode) | 0x10); /* IXC only */
    }
    /* x + (-x) is +0, but -0 when rounding toward minus infinity */
    t->cpu.s[1] = 0x40490FDB, t->cpu.s[2] = 0xC0490FDB;
    exec(t, VADD_S0_S1_S2, RM(0));
    CHECK_EQ(t->cpu.s[0], 0);
    exec(t, VADD_S0_S1_S2, RM(2));
    CHECK_EQ(t->cpu.s[0], 0x80000000u);
    CHECK_EQ(t->cpu.fpscr, RM(2));
}

static void test_flush_to_zero_and_underflow(void)
{
    sim_target *t = target("stm32f407");
    /* a denormal input with FZ: read as zero, IDC */
    t->cpu.s[1] = 0x00000001, t->cpu.s[2] = 0x80000000;
    exec(t, VADD_S0_S1_S2, FZ);
    CHECK_EQ(t->cpu.s[0], 0);
    CHECK_EQ(t->cpu.fpscr, FZ | 0x80);
    exec(t, VADD_S0_S1_S2, 0); /* without FZ it adds */
    CHECK_EQ(t->cpu.s[0], 1);
    CHECK_EQ(t->cpu.fpscr, 0);
    /* min normal * 0.5 = 2^-127: exact denormal, no flag; with FZ flushed, UFC (no IXC) */
    t->cpu.s[1] = 0x00800000, t->cpu.s[2] = 0x3F000000;
    exec(t, VMUL_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x00400000);
    CHECK_EQ(t->cpu.fpscr, 0);
    exec(t, VMUL_S0_S1_S2, FZ);
    CHECK_EQ(t->cpu.s[0], 0);
    CHECK_EQ(t->cpu.fpscr, FZ | 0x08);
    /* min normal * (1 - 2^-24) rounds up to min normal, but it is tiny before rounding (Arm):
     * UFC and IXC. (x86 detects tininess after rounding and would not raise underflow.) */
    t->cpu.s[1] = 0x00800000, t->cpu.s[2] = 0x3F7FFFFF;
    exec(t, VMUL_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x00800000);
    CHECK_EQ(t->cpu.fpscr, 0x18);
    /* overflow: max * 2 is infinity under RN, max normal under RZ; OFC and IXC */
    t->cpu.s[1] = 0x7F7FFFFF, t->cpu.s[2] = 0x40000000;
    exec(t, VMUL_S0_S1_S2, RM(0));
    CHECK_EQ(t->cpu.s[0], 0x7F800000);
    CHECK_EQ(t->cpu.fpscr, RM(0) | 0x14);
    exec(t, VMUL_S0_S1_S2, RM(3));
    CHECK_EQ(t->cpu.s[0], 0x7F7FFFFF);
}

static void test_nans(void)
{
    sim_target *t = target("stm32f407");
    t->cpu.s[1] = 0x7FC12345, t->cpu.s[2] = 0x3F800000;
    exec(t, VADD_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x7FC12345); /* quiet NaN propagates, no flag */
    CHECK_EQ(t->cpu.fpscr, 0);
    exec(t, VADD_S0_S1_S2, DN);
    CHECK_EQ(t->cpu.s[0], 0x7FC00000); /* default NaN */
    /* signalling before quiet, even as the second operand; quieted; IOC */
    t->cpu.s[1] = 0xFFC00001, t->cpu.s[2] = 0x7F812345;
    exec(t, VADD_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x7FC12345);
    CHECK_EQ(t->cpu.fpscr, 0x01);
    /* two quiet NaNs: the first operand */
    t->cpu.s[1] = 0xFFC00001, t->cpu.s[2] = 0x7FC00002;
    exec(t, VADD_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0xFFC00001);
    /* infinity - infinity: default NaN, IOC */
    t->cpu.s[1] = 0x7F800000, t->cpu.s[2] = 0xFF800000;
    exec(t, VADD_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x7FC00000);
    CHECK_EQ(t->cpu.fpscr, 0x01);
    /* VSQRT of a negative: default NaN, IOC; of -0: -0 without a flag */
    t->cpu.s[1] = 0xBF800000;
    exec(t, VSQRT_S0_S1, 0);
    CHECK_EQ(t->cpu.s[0], 0x7FC00000);
    CHECK_EQ(t->cpu.fpscr, 0x01);
    t->cpu.s[1] = 0x80000000;
    exec(t, VSQRT_S0_S1, 0);
    CHECK_EQ(t->cpu.s[0], 0x80000000);
    CHECK_EQ(t->cpu.fpscr, 0);
    t->cpu.s[1] = 0x40800000; /* sqrt(4) = 2, exact */
    exec(t, VSQRT_S0_S1, 0);
    CHECK_EQ(t->cpu.s[0], 0x40000000);
    CHECK_EQ(t->cpu.fpscr, 0);
}

static void test_divide(void)
{
    sim_target *t = target("stm32f407");
    t->cpu.s[1] = 0xBF800000, t->cpu.s[2] = 0;
    unsigned cycles;
    t->cpu.fpscr = 0;
    CHECK_EQ(sim_fpu_execute(t, VDIV_S0_S1_S2, CODE_BASE, &cycles), SIM_STEP_OK);
    CHECK_EQ(cycles, 14);
    CHECK_EQ(t->cpu.s[0], 0xFF800000); /* -1 / +0 = -infinity, DZC */
    CHECK_EQ(t->cpu.fpscr, 0x02);
    CHECK_EQ(t->cpu.r[15], CODE_BASE + 4);
    t->cpu.s[1] = 0;
    exec(t, VDIV_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x7FC00000); /* 0 / 0: invalid */
    CHECK_EQ(t->cpu.fpscr, 0x01);
    t->cpu.s[1] = f2u(1.0f), t->cpu.s[2] = f2u(3.0f);
    exec(t, VDIV_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x3EAAAAAB);
    CHECK_EQ(t->cpu.fpscr, 0x10);
    exec(t, VDIV_S0_S1_S2, RM(3));
    CHECK_EQ(t->cpu.s[0], 0x3EAAAAAA);
}

static void test_fused_rounds_once(void)
{
    sim_target *t = target("stm32f407");
    /* (1 + 2^-12)^2 - 1 = 2^-11 + 2^-24: exact when fused; VMLA rounds the product first (to
     * 1 + 2^-11, a tie to even) and gives 2^-11 */
    t->cpu.s[0] = 0xBF800000, t->cpu.s[1] = 0x3F800800, t->cpu.s[2] = 0x3F800800;
    exec(t, VFMA_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x3A000400);
    CHECK_EQ(t->cpu.fpscr, 0);
    t->cpu.s[0] = 0xBF800000;
    exec(t, VMLA_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x3A000000);
    CHECK_EQ(t->cpu.fpscr, 0x10);
    /* a quiet NaN addend does not hide infinity times zero: default NaN, IOC */
    t->cpu.s[0] = 0x7FC00123, t->cpu.s[1] = 0x7F800000, t->cpu.s[2] = 0x80000000;
    exec(t, VFMA_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x7FC00000);
    CHECK_EQ(t->cpu.fpscr, 0x01);
    /* otherwise the quiet NaN addend comes first, before a quiet NaN multiplicand */
    t->cpu.s[0] = 0x7FC00123, t->cpu.s[1] = 0xFFC00456;
    exec(t, VFMA_S0_S1_S2, 0);
    CHECK_EQ(t->cpu.s[0], 0x7FC00123);
    CHECK_EQ(t->cpu.fpscr, 0);
    /* VFMS negates the multiplicand before NaN propagation: the NaN comes out with its sign flipped */
    t->cpu.s[0] = 0x3F800000, t->cpu.s[1] = 0xFFC00456;
    exec(t, VFMA_S0_S1_S2 | 0x40, 0);
    CHECK_EQ(t->cpu.s[0], 0x7FC00456);
}

static void test_convert_saturation(void)
{
    sim_target *t = target("stm32f407");
    const uint32_t vcvt_s32 = 0xEEBD0AE0u /* VCVT.S32.F32 s0, s1 */, vcvtr_s32 = 0xEEBD0A60u,
                   vcvt_u32 = 0xEEBC0AE0u;
    static const struct { uint32_t insn, in, fpscr, out, flags; } cases[] = {
        {vcvt_s32, 0x4F32D05E /* 3e9 */, 0, 0x7FFFFFFF, 0x01},
        {vcvt_s32, 0xCF32D05E /* -3e9 */, 0, 0x80000000, 0x01},
        {vcvt_s32, 0xCF000000 /* -2^31 fits */, 0, 0x80000000, 0},
        {vcvt_u32, 0xBFC00000 /* -1.5 */, 0, 0, 0x01},
        {vcvt_u32, 0xBE99999A /* -0.3 truncates to 0: inexact, not invalid */, 0, 0, 0x10},
        {vcvt_s32, 0x7FC00000 /* NaN */, 0, 0, 0x01},
        {vcvt_s32, 0x40200000 /* 2.5 */, 0, 2, 0x10},
        {vcvtr_s32, 0x40200000, RM(0), 2, 0x10},
        {vcvtr_s32, 0x40600000 /* 3.5 */, RM(0), 4, 0x10},
        {vcvtr_s32, 0x40200000, RM(1), 3, 0x10},
        {vcvtr_s32, 0xC0200000, RM(2), (uint32_t)-3, 0x10},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t->cpu.s[1] = cases[i].in;
        exec(t, cases[i].insn, cases[i].fpscr);
        CHECK_EQ(t->cpu.s[0], cases[i].out);
        CHECK_EQ(t->cpu.fpscr, cases[i].fpscr | cases[i].flags);
    }
    /* VCVT.S16.F32 s0, s0, #0 (fixed point, 16 bits): 40000.0 saturates to 0x7FFF, sign-extended */
    t->cpu.s[0] = 0x471C4000;
    exec(t, 0xEEBE0A48u, 0);
    CHECK_EQ(t->cpu.s[0], 0x7FFF);
    CHECK_EQ(t->cpu.fpscr, 0x01);
    /* VCVT.F32.U16 s0, s0, #8 (8 fraction bits): 0x0180 = 1.5 */
    t->cpu.s[0] = 0xFFFF0180;
    exec(t, 0xEEBB0A44u, 0);
    CHECK_EQ(t->cpu.s[0], 0x3FC00000);
    /* half precision: VCVTB.F16.F32 of 65520 rounds to infinity (OFC IXC); the alternative format
     * has no infinity, its exponent 31 is 65536 (IXC only) */
    t->cpu.s[1] = 0x477FF000, t->cpu.s[0] = 0xABCD0000;
    exec(t, 0xEEB30A60u, 0);
    CHECK_EQ(t->cpu.s[0], 0xABCD7C00);
    CHECK_EQ(t->cpu.fpscr, 0x14);
    exec(t, 0xEEB30A60u, 1u << 26);
    CHECK_EQ(t->cpu.s[0], 0xABCD7C00);
    CHECK_EQ(t->cpu.fpscr, (1u << 26) | 0x10);
    /* and an infinity in the alternative format: the largest value, IOC */
    t->cpu.s[1] = 0xFF800000;
    exec(t, 0xEEB30A60u, 1u << 26);
    CHECK_EQ(t->cpu.s[0], 0xABCDFFFF);
    CHECK_EQ(t->cpu.fpscr, (1u << 26) | 0x01);
    /* VCVTT.F32.F16 s0, s1: the top half, a half denormal becomes a normal single */
    t->cpu.s[1] = 0x00011234;
    exec(t, 0xEEB20AE0u, FZ);
    CHECK_EQ(t->cpu.s[0], 0x33800000); /* 2^-24, FZ does not apply to half inputs */
    CHECK_EQ(t->cpu.fpscr, FZ);
}

static void test_access_faults(void)
{
    /* CPACR off: NOCP, nothing changes */
    sim_target *t = target("stm32f407");
    t->core.cpacr = 0;
    t->cpu.control = 0; /* no FP context yet: a refused instruction must not make one */
    t->cpu.s[0] = 0x12345678, t->cpu.s[1] = t->cpu.s[2] = 0x3F800000;
    CHECK_EQ(exec(t, VADD_S0_S1_S2, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_NOCP);
    CHECK_EQ(t->cpu.s[0], 0x12345678);
    CHECK_EQ(t->cpu.r[15], CODE_BASE);
    CHECK_EQ(t->cpu.control & CONTROL_FPCA, 0);
    /* privileged-only access: unprivileged thread mode faults, handler mode runs */
    t->core.cpacr = 0x00500000;
    t->cpu.control = CONTROL_NPRIV;
    CHECK_EQ(exec(t, VADD_S0_S1_S2, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_NOCP);
    t->cpu.xpsr |= 11; /* in SVCall */
    CHECK_EQ(exec(t, VADD_S0_S1_S2, 0), SIM_STEP_OK);
    CHECK_EQ(t->cpu.s[0], 0x40000000);
    CHECK(t->cpu.control & CONTROL_FPCA);
    /* full access, and unprivileged */
    t->core.cpacr = 0x00F00000;
    t->cpu.xpsr = XPSR_T;
    CHECK_EQ(exec(t, VADD_S0_S1_S2, 0), SIM_STEP_OK);
    /* double precision and FPv5 on the Cortex-M4: UNDEFINSTR */
    t->cpu.s[0] = 0x12345678;
    CHECK_EQ(exec(t, 0xEE300B01u /* VADD.F64 d0, d0, d1 */, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_UNDEFINSTR);
    CHECK_EQ(exec(t, 0xFE000A81u /* VSELEQ.F32 s0, s1, s2 */, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_UNDEFINSTR);
    CHECK_EQ(exec(t, 0xEEB60A60u /* VRINTR.F32 */, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_UNDEFINSTR);
    CHECK_EQ(t->cpu.s[0], 0x12345678);
    /* VMRS of a register other than FPSCR (MVFR0) */
    CHECK_EQ(exec(t, 0xEEF70A10u, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_UNDEFINSTR);
    /* VLDR from an unaligned address: UNALIGNED, s0 kept */
    t->cpu.r[0] = 0x20001002;
    CHECK_EQ(exec(t, 0xED900A00u /* VLDR s0, [r0] */, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_UNALIGNED);
    CHECK_EQ(t->cpu.s[0], 0x12345678);
    /* a bus fault half way through VLDM changes no register: r0 = last word of SRAM */
    t->cpu.r[0] = 0x20020000u - 4;
    t->cpu.s[1] = 0x11111111;
    CHECK_EQ(exec(t, 0xECB00A02u /* VLDMIA r0!, {s0, s1} */, 0), SIM_STEP_FAULT);
    CHECK(t->cpu.fault.cfsr & SIM_CFSR_PRECISERR);
    CHECK_EQ(t->cpu.s[0], 0x12345678);
    CHECK_EQ(t->cpu.s[1], 0x11111111);
    CHECK_EQ(t->cpu.r[0], 0x20020000u - 4);
    /* no FPU at all (Cortex-M3): NOCP */
    t = target("stm32f103");
    CHECK_EQ(exec(t, VADD_S0_S1_S2, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_NOCP);
    /* the STM32F723's Cortex-M7 has FPv5 in single precision only */
    t = target("stm32f723");
    CHECK_EQ(exec(t, 0xFE000A81u, 0), SIM_STEP_OK);
    CHECK_EQ(exec(t, 0xEE300B01u, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_UNDEFINSTR);
    /* on the H7, D16-D31 do not exist: VADD.F64 d16, d0, d1 */
    t = target("stm32h743");
    CHECK_EQ(exec(t, 0xEE700B01u, 0), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_UNDEFINSTR);
    CHECK_EQ(exec(t, 0xEE300B01u, 0), SIM_STEP_OK);
}

static uint64_t dreg(sim_target *t, unsigned d) { return (uint64_t)t->cpu.s[2 * d + 1] << 32 | t->cpu.s[2 * d]; }
static void set_dreg(sim_target *t, unsigned d, uint64_t v)
{
    t->cpu.s[2 * d] = (uint32_t)v;
    t->cpu.s[2 * d + 1] = (uint32_t)(v >> 32);
}

/* The FPv5 instructions in double precision, which no Unicorn model executes. */
static void test_fpv5_double(void)
{
    sim_target *t = target("stm32h743");
    const uint64_t two_and_half = 0x4004000000000000ull, minus_two_and_half = 0xC004000000000000ull;
    static const struct { unsigned rm; uint64_t in, out; } rint[] = {
        {0 /* A */, 0x4004000000000000ull, 0x4008000000000000ull}, /* 2.5 -> 3 */
        {1 /* N */, 0x4004000000000000ull, 0x4000000000000000ull}, /* 2.5 -> 2 */
        {2 /* P */, 0xC004000000000000ull, 0xC000000000000000ull}, /* -2.5 -> -2 */
        {3 /* M */, 0xC004000000000000ull, 0xC008000000000000ull}, /* -2.5 -> -3 */
        {2 /* P */, 0xBFE0000000000000ull, 0x8000000000000000ull}, /* -0.5 -> -0 */
    };
    for (unsigned i = 0; i < sizeof rint / sizeof rint[0]; i++) {
        set_dreg(t, 1, rint[i].in);
        CHECK_EQ(exec(t, 0xFEB80B41u | rint[i].rm << 16 /* VRINTx.F64 d0, d1 */, 0), SIM_STEP_OK);
        CHECK_EQ(dreg(t, 0), rint[i].out);
        CHECK_EQ(t->cpu.fpscr, 0); /* VRINT{A,N,P,M} never raise IXC */
    }
    /* VRINTX.F64 d0, d1 raises IXC */
    set_dreg(t, 1, two_and_half);
    exec(t, 0xEEB70B41u, RM(0));
    CHECK_EQ(dreg(t, 0), 0x4000000000000000ull);
    CHECK_EQ(t->cpu.fpscr, RM(0) | 0x10);
    /* VCVTA.S32.F64 s0, d1 of -2.5: -3 (ties away), IXC */
    set_dreg(t, 1, minus_two_and_half);
    exec(t, 0xFEBC0BC1u, 0);
    CHECK_EQ(t->cpu.s[0], (uint32_t)-3);
    CHECK_EQ(t->cpu.fpscr, 0x10);
    /* VMAXNM.F64 d0, d1, d2: a quiet NaN loses against a number; VMINNM of +0 and -0 is -0 */
    set_dreg(t, 1, 0x7FF8000000000001ull), set_dreg(t, 2, 0x3FF0000000000000ull);
    exec(t, 0xFE810B02u, 0);
    CHECK_EQ(dreg(t, 0), 0x3FF0000000000000ull);
    CHECK_EQ(t->cpu.fpscr, 0);
    set_dreg(t, 1, 0), set_dreg(t, 2, 0x8000000000000000ull);
    exec(t, 0xFE810B42u, 0);
    CHECK_EQ(dreg(t, 0), 0x8000000000000000ull);
    /* VSELGT.F64 d0, d1, d2 on the APSR flags */
    set_dreg(t, 1, 1), set_dreg(t, 2, 2);
    t->cpu.xpsr = XPSR_T; /* Z=0, N=V=0: GT holds */
    exec(t, 0xFE310B02u, 0);
    CHECK_EQ(dreg(t, 0), 1);
    t->cpu.xpsr = XPSR_T | XPSR_Z;
    exec(t, 0xFE310B02u, 0);
    CHECK_EQ(dreg(t, 0), 2);
    /* VCVTB.F16.F64 s0, d1 of 1.0 + 2^-11 (a tie: to even 1.0); VCVTT.F64.F16 d0, s3 of -2 */
    set_dreg(t, 1, 0x3FF0020000000000ull);
    t->cpu.s[0] = 0xAAAA5555;
    exec(t, 0xEEB30B41u, 0);
    CHECK_EQ(t->cpu.s[0], 0xAAAA3C00);
    CHECK_EQ(t->cpu.fpscr, 0x10);
    t->cpu.s[3] = 0xC0000000;
    exec(t, 0xEEB20BE1u, 0);
    CHECK_EQ(dreg(t, 0), 0xC000000000000000ull);
    /* VCVT.F32.F64 s0, d1 of a double below single's range: tiny, rounds to 0 with UFC IXC */
    set_dreg(t, 1, 0x3690000000000000ull);
    exec(t, 0xEEB70BC1u, 0);
    CHECK_EQ(t->cpu.s[0], 0);
    CHECK_EQ(t->cpu.fpscr, 0x18);
}

static void test_moves(void)
{
    sim_target *t = target("stm32f407");
    /* VMRS APSR_nzcv, FPSCR after VCMP: 1.0 < 2.0 gives N */
    t->cpu.s[0] = 0x3F800000, t->cpu.s[1] = 0x40000000;
    exec(t, 0xEEB40A60u /* VCMP.F32 s0, s1 */, 0);
    CHECK_EQ(t->cpu.fpscr, 0x80000000u);
    t->cpu.fpscr = 0x80000000u;
    unsigned cycles;
    CHECK_EQ(sim_fpu_execute(t, 0xEEF1FA10u, CODE_BASE, &cycles), SIM_STEP_OK);
    CHECK_EQ(t->cpu.xpsr & 0xF0000000u, 0x80000000u);
    /* VCMPE with a quiet NaN raises IOC, VCMP does not; unordered is C and V */
    t->cpu.s[1] = 0x7FC00000;
    exec(t, 0xEEB40A60u, 0);
    CHECK_EQ(t->cpu.fpscr, 0x30000000u);
    exec(t, 0xEEB40AE0u, 0);
    CHECK_EQ(t->cpu.fpscr, 0x30000001u);
    /* VMSR keeps only the bits FPSCR has */
    t->cpu.r[3] = 0xFFFFFFFF;
    exec(t, 0xEEE13A10u, 0);
    CHECK_EQ(t->cpu.fpscr, 0xF7C0009Fu);
    /* VPUSH {d8-d9} / VPOP: SP and memory */
    t->cpu.r[13] = 0x20001000;
    set_dreg(t, 8, 0x1111111122222222ull), set_dreg(t, 9, 0x3333333344444444ull);
    CHECK_EQ(exec(t, 0xED2D8B04u, 0), SIM_STEP_OK);
    CHECK_EQ(t->cpu.r[13], 0x20000FF0u);
    uint8_t mem[16];
    sim_target_peek(t, 0x20000FF0u, mem, 16);
    CHECK_EQ(mem[0], 0x22);
    CHECK_EQ(mem[15], 0x33);
    set_dreg(t, 8, 0), set_dreg(t, 9, 0);
    CHECK_EQ(exec(t, 0xECBD8B04u, 0), SIM_STEP_OK);
    CHECK_EQ(t->cpu.r[13], 0x20001000u);
    CHECK_EQ(dreg(t, 9), 0x3333333344444444ull);
}

/* VLDR from the literal pool: the base is Align(PC + 4, 4); and the cycle counts of a few forms */
static void test_literal_and_cycles(void)
{
    sim_target *t = target("stm32f407");
    static const uint8_t word[4] = {0x78, 0x56, 0x34, 0x12};
    sim_target_load(t, CODE_BASE + 12, word, 4);
    unsigned cycles;
    for (uint32_t pc = CODE_BASE; pc <= CODE_BASE + 2; pc += 2) {
        t->cpu.s[0] = 0;
        CHECK_EQ(sim_fpu_execute(t, 0xED9F0A02u /* VLDR s0, [pc, #8] */, pc, &cycles), SIM_STEP_OK);
        CHECK_EQ(t->cpu.s[0], 0x12345678);
        CHECK_EQ(t->cpu.r[15], pc + 4);
        CHECK_EQ(cycles, 2);
    }
    /* VSTR to the literal pool is UNPREDICTABLE in Thumb: refused */
    CHECK_EQ(sim_fpu_execute(t, 0xED8F0A02u, CODE_BASE, &cycles), SIM_STEP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_UNDEFINSTR);
    t->cpu.fpscr = 0;
    CHECK_EQ(sim_fpu_execute(t, VMLA_S0_S1_S2, CODE_BASE, &cycles), SIM_STEP_OK);
    CHECK_EQ(cycles, 3);
    CHECK_EQ(sim_fpu_execute(t, VADD_S0_S1_S2, CODE_BASE, &cycles), SIM_STEP_OK);
    CHECK_EQ(cycles, 1);
    CHECK_EQ(sim_fpu_execute(t, VSQRT_S0_S1, CODE_BASE, &cycles), SIM_STEP_OK);
    CHECK_EQ(cycles, 14);
    t->cpu.r[13] = 0x20001000;
    CHECK_EQ(sim_fpu_execute(t, 0xED2D8A04u /* VPUSH {s16-s19} */, CODE_BASE, &cycles), SIM_STEP_OK);
    CHECK_EQ(cycles, 5);
    CHECK_EQ(t->cpu.r[13], 0x20001000u - 16);
}

int main(void)
{
    RUN(test_rounding_halfway);
    RUN(test_flush_to_zero_and_underflow);
    RUN(test_nans);
    RUN(test_divide);
    RUN(test_fused_rounds_once);
    RUN(test_convert_saturation);
    RUN(test_access_faults);
    RUN(test_fpv5_double);
    RUN(test_moves);
    RUN(test_literal_and_cycles);
    RUN(test_diff_stm32f407);
    RUN(test_diff_stm32h743);
    RUN(test_diff_fpv5_double_qemu);
    return CHECK_SUMMARY();
}
