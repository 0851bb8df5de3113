/* The DSP extension of ARMv7E-M (sim_dsp.c): random instructions of every encoding class with
 * random registers and flags run through Unicorn's Cortex-M4 and through sim_dsp_execute on a
 * simulated STM32F407, compared register by register with the N/Z/C/V/Q flags and the GE bits;
 * hand-worked examples from the manual's pseudo-code; UNDEFINSTR on the Cortex-M3 (STM32F103)
 * and for the UNPREDICTABLE uses of SP and PC. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <stdlib.h>
#include <unicorn/unicorn.h>

#include "check.h"
#include "diff_gen.h"
#include "sim_dsp.h"
#include "sim_target.h"

#define CODE_BASE 0x08000000u
#define CHUNK 16384u /* instructions written to Unicorn's code memory at a time */

static const int uc_regs[16] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                                UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7,
                                UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
                                UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_PC};

#define FLAGS_COMPARED (XPSR_N | XPSR_Z | XPSR_C | XPSR_V | XPSR_Q | XPSR_GE_MASK)

static uint64_t seed_from_env(void)
{
    const char *env = getenv("BMP_DIFF_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : 0xD5B0C0DEull;
    return seed ? seed : 1;
}

/* BMP_DIFF_QUICK=1 (the sanitizer build, npm test --quick): a tenth of the instructions. */
static bool quick_run(void)
{
    const char *q = getenv("BMP_DIFF_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

static unsigned class_count(void)
{
    unsigned n = 0;
    while (diff_gen_dsp[n].name) n++;
    return n;
}

/* Operands that reach the saturation and overflow edges more often than uniform values do. */
static uint32_t operand(uint64_t *rng)
{
    static const uint32_t edges[] = {0, 1, 0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u, 0x7FFF, 0x8000,
                                     0xFFFF, 0x80008000u, 0x7FFF7FFFu, 0x7F7F7F7Fu, 0x80808080u,
                                     0xFF00FF00u, 0x00010001u, 0x40000000u, 0xC0000000u};
    uint32_t r = diff_rand(rng);
    if ((r & 7) == 0) return edges[(r >> 3) % (sizeof edges / sizeof edges[0])];
    if ((r & 7) == 1) return edges[(r >> 3) % 16] ^ (1u << ((r >> 8) & 31));
    return diff_rand(rng);
}

static void randomize(sim_target *t, uc_engine *uc, uint64_t *rng)
{
    for (unsigned i = 0; i < 15; i++) {
        if (i == 13) continue; /* SP keeps its value: no DSP instruction may use it */
        t->cpu.r[i] = operand(rng);
        uc_reg_write(uc, uc_regs[i], &t->cpu.r[i]);
    }
    t->cpu.xpsr = XPSR_T | (diff_rand(rng) & FLAGS_COMPARED);
    uint32_t xpsr = t->cpu.xpsr;
    uc_reg_write(uc, UC_ARM_REG_XPSR_NZCVQG, &xpsr); /* plain XPSR writes leave GE alone */
}

/* Unicorn 2.0.1 (QEMU 5.0's translator) checks SMLAD/SMLADX for overflow twice, after adding the
 * two products and after adding Ra, and sets Q when only the intermediate sum overflows (both
 * products 0x8000 * 0x8000 = 2^30, and a negative Ra bringing the total back into range). The
 * pseudo-code (ARMv7-M ARM, SMLAD) tests the complete sum once, and so does QEMU 7.2. Such cases
 * are checked by hand in test_multiplies and against QEMU in test_against_qemu. */
static bool unicorn_smlad_q_bug(uint32_t insn, const uint32_t r[16])
{
    if ((insn & 0xFFF000E0u) != 0xFB200000u || (insn & 0xF000) == 0xF000) return false;
    uint32_t rn = r[(insn >> 16) & 15], rm = r[insn & 15];
    if (insn & 0x10) rm = rm >> 16 | rm << 16;
    int64_t p = (int64_t)(int16_t)rn * (int16_t)rm + (int64_t)(int16_t)(rn >> 16) * (int16_t)(rm >> 16);
    return p != (int32_t)p;
}

/* Compares the registers, flags and GE bits; prints the first difference. */
static bool same_state(sim_target *t, uc_engine *uc, uint32_t insn, const uint32_t before[16], uint32_t xpsr_before)
{
    uint32_t v[16], xpsr = 0;
    for (unsigned i = 0; i < 16; i++) uc_reg_read(uc, uc_regs[i], &v[i]);
    v[15] &= ~1u;
    uc_reg_read(uc, UC_ARM_REG_XPSR, &xpsr);
    bool same = (xpsr & FLAGS_COMPARED) == (t->cpu.xpsr & FLAGS_COMPARED);
    for (unsigned i = 0; i < 16; i++) same = same && v[i] == t->cpu.r[i];
    if (same) return true;
    fprintf(stderr, "  %04x %04x: xpsr before 0x%08x, sim 0x%08x, unicorn 0x%08x\n", insn >> 16,
            insn & 0xFFFF, xpsr_before, t->cpu.xpsr & FLAGS_COMPARED, xpsr & FLAGS_COMPARED);
    for (unsigned i = 0; i < 16; i++)
        fprintf(stderr, "    r%-2u before 0x%08x  sim 0x%08x  unicorn 0x%08x%s\n", i, before[i],
                t->cpu.r[i], v[i], v[i] != t->cpu.r[i] ? "  <--" : "");
    return false;
}

static uc_engine *new_unicorn(int model)
{
    uc_engine *uc = NULL;
    if (uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc) != UC_ERR_OK) return NULL;
    uc_ctl_set_cpu_model(uc, model);
    uc_mem_map(uc, CODE_BASE, CHUNK * 4 + 0x1000, UC_PROT_ALL);
    return uc;
}

#define PER_CLASS 100000u /* a tenth of it in a quick run */

static unsigned long unicorn_deviations; /* instructions where Unicorn's Q flag was overridden */

/* Where the simulator runs the instructions: sim_dsp_execute directly, or sim_cpu_step, whose
 * Thumb-2 decoder fetches them from flash and routes them to sim_dsp. */
typedef struct {
    const char *profile;
    int unicorn_model;
    bool through_step;
} dsp_run;

/* One class: `count` instructions, each compared after one step. The state is re-randomised
 * before three in four instructions; the rest run on what the previous one left (GE then SEL,
 * the sticky Q flag). */
static unsigned long run_class(const dsp_run *how, const diff_gen_class *cls, unsigned count, uint64_t *rng, uint64_t seed)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, how->profile), SIM_OK);
    uc_engine *uc = new_unicorn(how->unicorn_model);
    CHECK(uc != NULL);
    if (!uc) return 0;
    static uint32_t insns[CHUNK];
    static uint16_t code[CHUNK * 2 + 4];
    unsigned long compared = 0;
    bool ok = true;
    uint32_t sp = 0x20001000u;
    t.cpu.r[13] = sp;
    uc_reg_write(uc, UC_ARM_REG_SP, &sp);
    randomize(&t, uc, rng);
    for (unsigned done = 0; done < count && ok; done += CHUNK) {
        unsigned n = count - done < CHUNK ? count - done : CHUNK;
        for (unsigned i = 0; i < n; i++) {
            insns[i] = cls->gen(rng);
            code[2 * i] = (uint16_t)(insns[i] >> 16);
            code[2 * i + 1] = (uint16_t)insns[i];
        }
        uc_mem_write(uc, CODE_BASE, code, n * 4);
        uc_ctl_remove_cache(uc, CODE_BASE, CODE_BASE + CHUNK * 4);
        if (how->through_step) CHECK_EQ(sim_target_load(&t, CODE_BASE, (const uint8_t *)code, n * 4), SIM_OK);
        for (unsigned i = 0; i < n && ok; i++) {
            if (diff_rand(rng) & 3) randomize(&t, uc, rng);
            uint32_t pc = CODE_BASE + 4 * i, before[16], xpsr_before = t.cpu.xpsr;
            t.cpu.r[15] = pc;
            memcpy(before, t.cpu.r, sizeof before);
            unsigned cycles = 0;
            bool done_ok = how->through_step ? sim_cpu_step(&t, &cycles) == SIM_STEP_OK
                                             : sim_dsp_execute(&t, insns[i], pc, &cycles) == SIM_DSP_DONE;
            /* one instruction: up to the next address (a count of 1 makes Unicorn 2.0 retranslate
             * at every start, 100 times slower) */
            uc_err e = uc_emu_start(uc, pc | 1, pc + 4, 0, 0);
            if (!done_ok || cycles != 1 || e != UC_ERR_OK) {
                fprintf(stderr, "  %04x %04x on %s: sim %s (%u cycles), unicorn %s\n", insns[i] >> 16,
                        insns[i] & 0xFFFF, how->profile, done_ok ? "done" : "refused", cycles, uc_strerror(e));
                ok = false;
                break;
            }
            compared++;
            if (unicorn_smlad_q_bug(insns[i], before)) {
                uint32_t xpsr = t.cpu.xpsr;
                uc_reg_write(uc, UC_ARM_REG_XPSR_NZCVQG, &xpsr);
                unicorn_deviations++;
            }
            ok = same_state(&t, uc, insns[i], before, xpsr_before);
        }
    }
    if (!ok) fprintf(stderr, "  class %s on %s, seed 0x%llx\n", cls->name, how->profile, (unsigned long long)seed);
    CHECK(ok);
    CHECK_EQ(compared, count);
    uc_close(uc);
    sim_target_free(&t);
    return compared;
}

static void test_against_unicorn(void)
{
    uint64_t seed = seed_from_env(), rng = seed;
    unsigned count = quick_run() ? PER_CLASS / 10 : PER_CLASS;
    printf("DSP against Unicorn: seed 0x%llx (set BMP_DIFF_SEED to repeat another)\n", (unsigned long long)seed);
    const dsp_run how = {"stm32f407", UC_CPU_ARM_CORTEX_M4, false};
    unsigned long total = 0;
    for (unsigned c = 0; c < class_count(); c++) {
        unsigned long n = run_class(&how, &diff_gen_dsp[c], count, &rng, seed);
        printf("  %-36s %lu instructions compared\n", diff_gen_dsp[c].name, n);
        total += n;
    }
    printf("DSP against Unicorn: %lu instructions compared (Q flag taken from the simulator on %lu "
           "SMLAD(X) with an intermediate overflow, a Unicorn bug)\n", total, unicorn_deviations);
}

/* The same through sim_cpu_step on the Cortex-M4 and Cortex-M7 parts: the Thumb-2 decoder sends
 * every class to sim_dsp. */
static void test_through_cpu_step(void)
{
    uint64_t seed = seed_from_env() ^ 0x57E9u, rng = seed;
    unsigned count = quick_run() ? 500 : 5000;
    static const dsp_run runs[] = {{"stm32f407", UC_CPU_ARM_CORTEX_M4, true},
                                   {"stm32h743", UC_CPU_ARM_CORTEX_M7, true}};
    unsigned long total = 0;
    for (unsigned k = 0; k < 2; k++)
        for (unsigned c = 0; c < class_count(); c++) total += run_class(&runs[k], &diff_gen_dsp[c], count, &rng, seed);
    printf("DSP through sim_cpu_step (stm32f407, stm32h743): %lu instructions compared with Unicorn (seed 0x%llx)\n",
           total, (unsigned long long)seed);
}

/* --- directed tests: hand-worked from the pseudo-code --------------------------------------- */

static sim_target directed;

static void set_regs(uint32_t r0, uint32_t r1, uint32_t r2, uint32_t r3)
{
    directed.cpu.r[0] = r0, directed.cpu.r[1] = r1, directed.cpu.r[2] = r2, directed.cpu.r[3] = r3;
}

/* Runs one instruction at 0x08000100; returns r0. Checks DONE, 1 cycle, PC. */
static uint32_t run1(uint32_t insn)
{
    unsigned cycles = 0;
    directed.cpu.r[15] = 0x08000100u;
    CHECK_EQ(sim_dsp_execute(&directed, insn, 0x08000100u, &cycles), SIM_DSP_DONE);
    CHECK_EQ(cycles, 1);
    CHECK_EQ(directed.cpu.r[15], 0x08000104u);
    return directed.cpu.r[0];
}

static bool q_flag(void) { return (directed.cpu.xpsr & XPSR_Q) != 0; }
static uint32_t ge_flags(void) { return (directed.cpu.xpsr & XPSR_GE_MASK) >> XPSR_GE_SHIFT; }
static void clear_flags(void) { directed.cpu.xpsr = XPSR_T; }

/* QADD/QSUB/QDADD/QDSUB r0, r1, r2 (Rd = r0, Rm = r1, Rn = r2) */
static void test_saturating_arithmetic(void)
{
    clear_flags();
    set_regs(0, 0x7FFFFFFF, 1, 0);
    CHECK_EQ(run1(0xFA82F081), 0x7FFFFFFF); /* QADD saturates */
    CHECK(q_flag());
    set_regs(0, 5, (uint32_t)-3, 0);
    CHECK_EQ(run1(0xFA82F081), 2);
    CHECK(q_flag()); /* sticky */
    clear_flags();
    CHECK_EQ(run1(0xFA82F081), 2);
    CHECK(!q_flag());
    set_regs(0, 0x80000000u, 1, 0);
    CHECK_EQ(run1(0xFA82F0A1), 0x80000000u); /* QSUB */
    CHECK(q_flag());
    clear_flags();
    set_regs(0, (uint32_t)-1, 0x40000000, 0);
    CHECK_EQ(run1(0xFA82F091), 0x7FFFFFFE); /* QDADD: only the doubling saturates, and sets Q */
    CHECK(q_flag());
    clear_flags();
    set_regs(0, 0, 0xC0000000u, 0);
    CHECK_EQ(run1(0xFA82F0B1), 0x7FFFFFFF); /* QDSUB: 0 - (-2^31) */
    CHECK(q_flag());
}

static void test_parallel_and_sel(void)
{
    clear_flags();
    set_regs(0, 0x01FF7F80, 0x01010101, 0);
    CHECK_EQ(run1(0xFA81F002), 0x02008081); /* SADD8 r0, r1, r2 */
    CHECK_EQ(ge_flags(), 0xE);
    directed.cpu.r[4] = 0xAAAAAAAA, directed.cpu.r[5] = 0xBBBBBBBB;
    run1(0xFAA4F385); /* SEL r3, r4, r5 */
    CHECK_EQ(directed.cpu.r[3], 0xAAAAAABB);
    set_regs(0, 0xFF01FF01, 0x01010101, 0);
    CHECK_EQ(run1(0xFA81F042), 0x00020002); /* UADD8: GE from the carries */
    CHECK_EQ(ge_flags(), 0xA);
    set_regs(0, 0x00010005, 0x00020003, 0);
    CHECK_EQ(run1(0xFAD1F042), 0xFFFF0002); /* USUB16: GE from no borrow */
    CHECK_EQ(ge_flags(), 0x3);
    set_regs(0, 0x00057FFF, 0x00010001, 0);
    CHECK_EQ(run1(0xFAA1F002), 0x00067FFE); /* SASX: hi 5 + 1, lo 0x7FFF - 1 */
    CHECK_EQ(ge_flags(), 0xF);
    set_regs(0, 0x80807F7F, 0x80FF7F01, 0);
    CHECK_EQ(run1(0xFA81F022), 0x80BF7F40); /* SHADD8: halved, rounding down */
    CHECK_EQ(ge_flags(), 0xF);              /* the halving forms leave GE alone */
    set_regs(0, 0x00050003, 0x00030005, 0);
    CHECK_EQ(run1(0xFAD1F052), 0x00020000); /* UQSUB16: clips to 0 ... */
    CHECK(!q_flag());                       /* ... without touching Q */
    set_regs(0, 0x7FFF8000, 0x00010001, 0);
    CHECK_EQ(run1(0xFA91F012), 0x7FFF8001); /* QADD16 */
}

static void test_multiplies(void)
{
    clear_flags();
    set_regs(0, 0x80008000, 0x80008000, 0);
    CHECK_EQ(run1(0xFB213002), 0x80000000); /* SMLAD r0, r1, r2, r3: 2^30 + 2^30 + 0 overflows */
    CHECK(q_flag());
    clear_flags();
    set_regs(0, 0x80008000, 0x80008000, 0xFFFFFFFF);
    CHECK_EQ(run1(0xFB213002), 0x7FFFFFFF); /* 2^31 - 1 fits: no Q (Unicorn sets it) */
    CHECK(!q_flag());
    CHECK_EQ(run1(0xFB21F002), 0x80000000); /* SMUAD overflows too */
    CHECK(q_flag());
    clear_flags();
    set_regs(0, 0x7FFF, 0x7FFF, 0x7FFFFFFF);
    CHECK_EQ(run1(0xFB113002), 0xBFFF0000); /* SMLABB */
    CHECK(q_flag());
    clear_flags();
    set_regs(0, 0x7FFFFFFF, 0x7FFF, 0x7FFFFFFF);
    CHECK_EQ(run1(0xFB313002), 0xBFFF7FFE); /* SMLAWB: bits 47:16 of Rn * Rm.lo + (Ra << 16) */
    CHECK(q_flag());
    clear_flags();
    set_regs(0, 0x40000000, 3, 0);
    CHECK_EQ(run1(0xFB51F002), 0); /* SMMUL */
    CHECK_EQ(run1(0xFB51F012), 1); /* SMMULR rounds */
    set_regs(0, 1, 1, 1);
    CHECK_EQ(run1(0xFB613002), 0); /* SMMLS: (1 << 32) - 1 */
    CHECK_EQ(run1(0xFB613012), 1); /* SMMLSR */
    set_regs(0, 0x01FF0080, 0xFF010180, 100);
    CHECK_EQ(run1(0xFB71F002), 509); /* USAD8 */
    CHECK_EQ(run1(0xFB713002), 609); /* USADA8 */
    set_regs(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF);
    run1(0xFBE20163); /* UMAAL r0, r1, r2, r3: (2^32-1)^2 + 2 (2^32-1) = 2^64 - 1 */
    CHECK_EQ(directed.cpu.r[0], 0xFFFFFFFF);
    CHECK_EQ(directed.cpu.r[1], 0xFFFFFFFF);
    set_regs(0xFFFFFFFF, 0x7FFFFFFF, 1, 1);
    run1(0xFBC20183); /* SMLALBB r0, r1, r2, r3: wraps at 64 bits, Q untouched */
    CHECK_EQ(directed.cpu.r[0], 0);
    CHECK_EQ(directed.cpu.r[1], 0x80000000);
    CHECK(!q_flag());
    set_regs(0, 0, 0x00020003, 0x00050007);
    run1(0xFBD201C3); /* SMLSLD r0, r1, r2, r3: 3*7 - 2*5 */
    CHECK_EQ(directed.cpu.r[0], 11);
    CHECK_EQ(directed.cpu.r[1], 0);
}

static void test_pack_saturate_extend(void)
{
    clear_flags();
    set_regs(0, 0x0100FF00, 0, 0);
    CHECK_EQ(run1(0xF3210007), 0x007FFF80); /* SSAT16 r0, #8, r1 */
    CHECK(q_flag());
    clear_flags();
    CHECK_EQ(run1(0xF3A10008), 0x00FF0000); /* USAT16 r0, #8, r1 */
    CHECK(q_flag());
    clear_flags();
    set_regs(0, 0x00050FFF, 0, 0);
    CHECK_EQ(run1(0xF3A1000C), 0x00050FFF); /* USAT16 #12: in range, no Q */
    CHECK(!q_flag());
    set_regs(0, 0x12345678, 0x80000000, 0);
    CHECK_EQ(run1(0xEAC10022), 0x1234FFFF); /* PKHTB r0, r1, r2, ASR #32 */
    set_regs(0, 0x12345678, 0x0000ABCD, 0);
    CHECK_EQ(run1(0xEAC14002), 0xABCD5678); /* PKHBT r0, r1, r2, LSL #16 */
    set_regs(0, 0x00010001, 0x80FF7F01, 0);
    CHECK_EQ(run1(0xFA21F092), 0xFF810080); /* SXTAB16 r0, r1, r2, ROR #8 */
    CHECK_EQ(run1(0xFA2FF092), 0xFF80007F); /* SXTB16 r0, r2, ROR #8 */
    set_regs(0, 0xFFFFFFFF, 0x12340002, 0);
    CHECK_EQ(run1(0xFA11F082), 1);          /* UXTAH r0, r1, r2 */
}

/* Runs `insn` on `t` and checks it faults with UNDEFINSTR and changes nothing. */
static void check_undefined(sim_target *t, uint32_t insn)
{
    sim_cpu before = t->cpu;
    unsigned cycles = 77;
    CHECK_EQ(sim_dsp_execute(t, insn, t->cpu.r[15], &cycles), SIM_DSP_FAULT);
    CHECK_EQ(t->cpu.fault.cfsr, SIM_CFSR_UNDEFINSTR);
    CHECK(memcmp(t->cpu.r, before.r, sizeof before.r) == 0);
    CHECK_EQ(t->cpu.xpsr, before.xpsr);
    if (t->cpu.fault.cfsr != SIM_CFSR_UNDEFINSTR) fprintf(stderr, "    insn %08x\n", insn);
}

/* The Cortex-M3 has no DSP extension: every encoding of every class is UNDEFINED. */
static void test_undefined_on_cortex_m3(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    uint64_t rng = 99;
    for (unsigned c = 0; c < class_count(); c++) {
        for (unsigned i = 0; i < 200; i++) {
            for (unsigned r = 0; r < 13; r++) t.cpu.r[r] = diff_rand(&rng);
            t.cpu.r[15] = 0x08000200;
            t.cpu.xpsr = XPSR_T | (diff_rand(&rng) & FLAGS_COMPARED);
            check_undefined(&t, diff_gen_dsp[c].gen(&rng));
        }
    }
    /* and a whole step: SADD8 r0, r1, r2 from flash faults on the M3, runs on the M4 */
    static const uint16_t sadd8[] = {0xFA81, 0xF002};
    sim_target m4;
    CHECK_EQ(sim_target_init(&m4, "stm32f407"), SIM_OK);
    sim_target *both[2] = {&t, &m4};
    for (unsigned k = 0; k < 2; k++) {
        CHECK_EQ(sim_target_load(both[k], 0x08000000, (const uint8_t *)sadd8, sizeof sadd8), SIM_OK);
        both[k]->cpu.r[15] = 0x08000000;
        both[k]->cpu.xpsr = XPSR_T;
        both[k]->cpu.r[1] = 0x01020304, both[k]->cpu.r[2] = 0x10101010;
        unsigned cycles;
        CHECK_EQ(sim_cpu_step(both[k], &cycles), k ? SIM_STEP_OK : SIM_STEP_FAULT);
    }
    CHECK_EQ(t.cpu.fault.cfsr, SIM_CFSR_UNDEFINSTR);
    CHECK_EQ(t.cpu.r[15], 0x08000000);
    CHECK_EQ(m4.cpu.r[0], 0x11121314);
    CHECK_EQ(m4.cpu.r[15], 0x08000004);
    sim_target_free(&m4);
    sim_target_free(&t);
}

/* SP or PC where the pseudo-code says UNPREDICTABLE, and PKH with S or T set: UNDEFINSTR. */
static void test_unpredictable_registers(void)
{
    static const uint32_t bad[] = {
        0xFA82FD81, /* QADD sp, r1, r2 */
        0xFA8FF002, /* SADD8 r0, pc, r2 */
        0xFA81F00D, /* SADD8 r0, r1, sp */
        0xFAA4FF85, /* SEL pc, r4, r5 */
        0xFA2DF092, /* SXTAB16 r0, sp, r2 */
        0xFA21F09F, /* SXTAB16 r0, r1, pc */
        0xFB21D002, /* SMLAD r0, r1, r2, sp */
        0xFB61F002, /* SMMLS r0, r1, r2, pc */
        0xFBE20063, /* UMAAL r0, r0, r2, r3: RdHi == RdLo */
        0xFBC2D183, /* SMLALBB sp, r1, r2, r3 */
        0xF32D0007, /* SSAT16 r0, #8, sp */
        0xEAC10D22, /* PKHTB sp, r1, r2 */
        0xEAD10022, /* PKH with S = 1 */
        0xEAC10032, /* PKH with T = 1 */
    };
    directed.cpu.r[15] = 0x08000300;
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) check_undefined(&directed, bad[i]);
}

/* Base ARMv7-M encodings in the same spaces are left to the integer decoder. */
static void test_base_encodings_not_mine(void)
{
    static const uint32_t base[] = {
        0xFB01F002, 0xFB013002, 0xFB013012, /* MUL, MLA, MLS */
        0xFB810102, 0xFBA10102, 0xFBC10102, 0xFBE10102, /* SMULL, UMULL, SMLAL, UMLAL */
        0xFB91F0F2, 0xFBB1F0F2,             /* SDIV, UDIV */
        0xFAB1F081, 0xFA91F081, 0xFA91F091, 0xFA91F0A1, 0xFA91F0B1, /* CLZ REV REV16 RBIT REVSH */
        0xFA0FF081, 0xFA1FF081, 0xFA4FF081, 0xFA5FF081, /* SXTH UXTH SXTB UXTB */
        0xFA01F002, 0xFA21F002, 0xFA41F002, 0xFA61F002, /* LSL LSR ASR ROR (register) */
        0xF3211007, 0xF3010007, 0xF3A11047, 0xF3810007, /* SSAT/USAT with a shift */
        0xEB010002, 0xEA410002,             /* ADD.W, ORR.W */
        0xFA81F0C2, 0xFAF1F081, 0xFB71F012, /* unallocated */
    };
    sim_target m3;
    CHECK_EQ(sim_target_init(&m3, "stm32f103"), SIM_OK);
    for (unsigned i = 0; i < sizeof base / sizeof base[0]; i++) {
        unsigned cycles = 0;
        sim_cpu before = directed.cpu;
        CHECK_EQ(sim_dsp_execute(&directed, base[i], 0x08000100u, &cycles), SIM_DSP_NOT_MINE);
        CHECK(memcmp(&before, &directed.cpu, sizeof before) == 0);
        CHECK_EQ(sim_dsp_execute(&m3, base[i], 0x08000100u, &cycles), SIM_DSP_NOT_MINE);
    }
    sim_target_free(&m3);
}

/* --- a second reference: QEMU's Cortex-M4 (mps2-an386) ---------------------------------------- */

/* The cases run under QEMU: random instructions of every class with random registers and flags,
 * and the SMLAD cases where Unicorn is wrong. Each case is r0-r12 and the APSR in, the same out. */
#define QEMU_PER_CLASS 300u
#define QEMU_MAX_CASES (QEMU_PER_CLASS * 16u + 16u)

typedef struct {
    uint32_t insn;
    uint32_t in[14]; /* r0-r12, APSR */
} qemu_case;

static unsigned make_qemu_cases(qemu_case *cases, uint64_t *rng)
{
    unsigned n = 0;
    for (unsigned c = 0; c < class_count(); c++)
        for (unsigned i = 0; i < QEMU_PER_CLASS; i++, n++) {
            cases[n].insn = diff_gen_dsp[c].gen(rng);
            for (unsigned r = 0; r < 13; r++) cases[n].in[r] = operand(rng);
            cases[n].in[13] = diff_rand(rng) & FLAGS_COMPARED;
        }
    /* SMLAD r0, r1, r2, r3 and SMLADX with both products 2^30 and Ra cancelling the overflow */
    static const uint32_t ras[] = {0xFFFFFFFF, 0x80000000, 0xC0000000, 0x80000001, 0, 0x7FFFFFFF};
    for (unsigned i = 0; i < 2 * sizeof ras / sizeof ras[0]; i++, n++) {
        cases[n].insn = i & 1 ? 0xFB213012 : 0xFB213002;
        for (unsigned r = 0; r < 13; r++) cases[n].in[r] = 0;
        cases[n].in[1] = cases[n].in[2] = 0x80008000;
        cases[n].in[3] = ras[i / 2];
        cases[n].in[13] = 0;
    }
    return n;
}

/* Writes the program: per case, load the APSR and r0-r12, run the instruction, store r0-r12 and
 * the APSR; at the end write the results to a file by semihosting and exit. */
static bool write_qemu_program(const char *path, const char *results, const qemu_case *cases, unsigned n)
{
    FILE *f = fopen(path, "w");
    if (!f) return false;
    fprintf(f, "  .syntax unified\n  .cpu cortex-m4\n  .thumb\n  .text\n"
               "  .word 0x20100000\n  .word _start\n  .thumb_func\n  .global _start\n_start:\n");
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "  movw r0, #:lower16:in%u\n  movt r0, #:upper16:in%u\n  ldr r1, [r0, #52]\n"
                   "  msr APSR_nzcvqg, r1\n  movw r1, #:lower16:out%u+52\n  movt r1, #:upper16:out%u+52\n"
                   "  mov sp, r1\n  ldm r0, {r0-r12}\n  .inst.w 0x%08x\n  push {r0-r12}\n"
                   "  mrs r0, APSR\n  str r0, [sp, #52]\n",
                i, i, i, i, cases[i].insn);
    /* SYS_OPEN(name, "wb", length), SYS_WRITE(handle, out, size), SYS_CLOSE, SYS_EXIT */
    fprintf(f, "  ldr sp, =0x20100000\n  adr r1, open_args\n  movs r0, #1\n  bkpt 0xab\n"
               "  adr r1, write_args\n  str r0, [r1]\n  movs r0, #5\n  bkpt 0xab\n"
               "  adr r1, write_args\n  movs r0, #2\n  bkpt 0xab\n"
               "  movs r0, #0x18\n  ldr r1, =0x20026\n  bkpt 0xab\n  b .\n  .ltorg\n  .align 2\n"
               "open_args: .word name, 9, %u\nwrite_args: .word 0, out0, %u\n"
               "name: .asciz \"%s\"\n  .align 2\n",
            (unsigned)strlen(results), n * 56, results);
    for (unsigned i = 0; i < n; i++) {
        fprintf(f, "in%u: .word", i);
        for (unsigned r = 0; r < 14; r++) fprintf(f, "%s0x%08x", r ? ", " : " ", cases[i].in[r]);
        fprintf(f, "\n");
    }
    fprintf(f, "  .data\n  .align 2\n");
    for (unsigned i = 0; i < n; i++) fprintf(f, "out%u: .space 56\n", i);
    return fclose(f) == 0;
}

static void test_against_qemu(void)
{
    static qemu_case cases[QEMU_MAX_CASES];
    static uint32_t out[QEMU_MAX_CASES][14];
    uint64_t seed = seed_from_env() ^ 0x51E0u, rng = seed;
    unsigned n = make_qemu_cases(cases, &rng);
    char dir[] = "/tmp/bmp-dsp-qemu-XXXXXX", cmd[2048], src[64], elf[64], results[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(src, sizeof src, "%s/dsp.S", dir);
    snprintf(elf, sizeof elf, "%s/dsp.elf", dir);
    snprintf(results, sizeof results, "%s/results.bin", dir);
    CHECK(write_qemu_program(src, results, cases, n));
    snprintf(cmd, sizeof cmd,
             "arm-none-eabi-as -mcpu=cortex-m4 -mthumb %s -o %s/dsp.o && "
             "arm-none-eabi-ld -Ttext=0 -Tdata=0x20000000 -e _start %s/dsp.o -o %s && "
             "timeout 60 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none "
             "-semihosting-config enable=on,target=native -kernel %s",
             src, dir, dir, elf, elf);
    int status = system(cmd);
    CHECK_EQ(status, 0);
    FILE *f = fopen(results, "rb");
    size_t got = f ? fread(out, 56, n, f) : 0;
    if (f) fclose(f);
    CHECK_EQ(got, n);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
    if (got != n) return;
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    unsigned same = 0;
    for (unsigned i = 0; i < n; i++) {
        memcpy(t.cpu.r, cases[i].in, 13 * 4);
        t.cpu.xpsr = XPSR_T | cases[i].in[13];
        unsigned cycles;
        CHECK_EQ(sim_dsp_execute(&t, cases[i].insn, 0x100, &cycles), SIM_DSP_DONE);
        bool ok = memcmp(t.cpu.r, out[i], 13 * 4) == 0 &&
                  (t.cpu.xpsr & FLAGS_COMPARED) == (out[i][13] & FLAGS_COMPARED);
        if (!ok) {
            fprintf(stderr, "  %08x: apsr in 0x%08x, sim 0x%08x, qemu 0x%08x\n", cases[i].insn,
                    cases[i].in[13], t.cpu.xpsr & FLAGS_COMPARED, out[i][13] & FLAGS_COMPARED);
            for (unsigned r = 0; r < 13; r++)
                if (t.cpu.r[r] != out[i][r])
                    fprintf(stderr, "    r%u in 0x%08x sim 0x%08x qemu 0x%08x\n", r, cases[i].in[r], t.cpu.r[r], out[i][r]);
        }
        same += ok;
    }
    CHECK_EQ(same, n);
    printf("DSP against QEMU (mps2-an386): %u of %u instructions the same (seed 0x%llx)\n", same, n,
           (unsigned long long)seed);
    sim_target_free(&t);
}

int main(void)
{
    if (sim_target_init(&directed, "stm32f407") != SIM_OK) return 1;
    RUN(test_saturating_arithmetic);
    RUN(test_parallel_and_sel);
    RUN(test_multiplies);
    RUN(test_pack_saturate_extend);
    RUN(test_undefined_on_cortex_m3);
    RUN(test_unpredictable_registers);
    RUN(test_base_encodings_not_mine);
    RUN(test_against_unicorn);
    RUN(test_through_cpu_step);
    RUN(test_against_qemu);
    sim_target_free(&directed);
    return CHECK_SUMMARY();
}
