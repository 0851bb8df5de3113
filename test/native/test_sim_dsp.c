/* The DSP extension of ARMv7E-M (sim_dsp.c): random instructions of every encoding class with
 * random registers and flags run through Unicorn's Cortex-M4 and through sim_dsp_execute on a
 * simulated STM32F407, compared register by register with the N/Z/C/V/Q flags and the GE bits;
 * hand-worked examples from the manual's pseudo-code; UNDEFINSTR on the Cortex-M3 (STM32F103)
 * and for the UNPREDICTABLE uses of SP and PC. */
#include <stdlib.h>
#include <unicorn/unicorn.h>

#include "check.h"
#include "gen_dsp.h"
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
    const char *env = getenv("BMP_DSP_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : 0xD5B0C0DEull;
    return seed ? seed : 1;
}

/* Operands that reach the saturation and overflow edges more often than uniform values do. */
static uint32_t operand(uint64_t *rng)
{
    static const uint32_t edges[] = {0, 1, 0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u, 0x7FFF, 0x8000,
                                     0xFFFF, 0x80008000u, 0x7FFF7FFFu, 0x7F7F7F7Fu, 0x80808080u,
                                     0xFF00FF00u, 0x00010001u, 0x40000000u, 0xC0000000u};
    uint32_t r = gen_rand(rng);
    if ((r & 7) == 0) return edges[(r >> 3) % (sizeof edges / sizeof edges[0])];
    if ((r & 7) == 1) return edges[(r >> 3) % 16] ^ (1u << ((r >> 8) & 31));
    return gen_rand(rng);
}

static void randomize(sim_target *t, uc_engine *uc, uint64_t *rng)
{
    for (unsigned i = 0; i < 15; i++) {
        if (i == 13) continue; /* SP keeps its value: no DSP instruction may use it */
        t->cpu.r[i] = operand(rng);
        uc_reg_write(uc, uc_regs[i], &t->cpu.r[i]);
    }
    t->cpu.xpsr = XPSR_T | (gen_rand(rng) & FLAGS_COMPARED);
    uint32_t xpsr = t->cpu.xpsr;
    uc_reg_write(uc, UC_ARM_REG_XPSR_NZCVQG, &xpsr); /* plain XPSR writes leave GE alone */
}

/* Unicorn 2.0.1 (QEMU 5.0's translator) checks SMLAD/SMLADX for overflow twice, after adding the
 * two products and after adding Ra, and sets Q when only the intermediate sum overflows (both
 * products 0x8000 * 0x8000 = 2^30, and a negative Ra bringing the total back into range). The
 * pseudo-code (ARMv7-M ARM A7.7.130) tests the complete sum once; QEMU fixed this in 6.0. Such
 * cases are checked by test_smlad_overflow here and against QEMU (test_smlad_against_qemu). */
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

static uc_engine *new_unicorn_m4(void)
{
    uc_engine *uc = NULL;
    if (uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc) != UC_ERR_OK) return NULL;
    uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M4);
    uc_mem_map(uc, CODE_BASE, CHUNK * 4 + 0x1000, UC_PROT_ALL);
    return uc;
}

#define PER_CLASS 100000u

static unsigned long unicorn_deviations; /* instructions where Unicorn's Q flag was overridden */

/* One class: PER_CLASS instructions, each compared after one step. The state is re-randomised
 * before three in four instructions; the rest run on what the previous one left (GE then SEL,
 * the sticky Q flag). */
static unsigned long run_class(const insn_gen_class *cls, uint64_t *rng, uint64_t seed)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    uc_engine *uc = new_unicorn_m4();
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
    for (unsigned done = 0; done < PER_CLASS && ok; done += CHUNK) {
        unsigned n = PER_CLASS - done < CHUNK ? PER_CLASS - done : CHUNK;
        for (unsigned i = 0; i < n; i++) {
            insns[i] = cls->gen(rng);
            code[2 * i] = (uint16_t)(insns[i] >> 16);
            code[2 * i + 1] = (uint16_t)insns[i];
        }
        uc_mem_write(uc, CODE_BASE, code, n * 4);
        uc_ctl_remove_cache(uc, CODE_BASE, CODE_BASE + CHUNK * 4);
        for (unsigned i = 0; i < n && ok; i++) {
            if (gen_rand(rng) & 3) randomize(&t, uc, rng);
            uint32_t pc = CODE_BASE + 4 * i, before[16], xpsr_before = t.cpu.xpsr;
            t.cpu.r[15] = pc;
            memcpy(before, t.cpu.r, sizeof before);
            unsigned cycles = 0;
            sim_dsp_result r = sim_dsp_execute(&t, insns[i], pc, &cycles);
            /* one instruction: up to the next address (a count of 1 makes Unicorn 2.0 retranslate
             * at every start, 100 times slower) */
            uc_err e = uc_emu_start(uc, pc | 1, pc + 4, 0, 0);
            if (r != SIM_DSP_DONE || cycles != 1 || e != UC_ERR_OK) {
                fprintf(stderr, "  %04x %04x: sim %d (%u cycles), unicorn %s\n", insns[i] >> 16,
                        insns[i] & 0xFFFF, r, cycles, uc_strerror(e));
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
    if (!ok) fprintf(stderr, "  class %s, seed 0x%llx\n", cls->name, (unsigned long long)seed);
    CHECK(ok);
    CHECK_EQ(compared, PER_CLASS);
    uc_close(uc);
    sim_target_free(&t);
    return compared;
}

static void test_against_unicorn(void)
{
    uint64_t seed = seed_from_env(), rng = seed;
    printf("DSP against Unicorn: seed 0x%llx (set BMP_DSP_SEED to repeat another)\n", (unsigned long long)seed);
    unsigned long total = 0;
    for (unsigned c = 0; c < gen_dsp_class_count; c++) {
        unsigned long n = run_class(&gen_dsp_classes[c], &rng, seed);
        printf("  %-36s %lu instructions compared\n", gen_dsp_classes[c].name, n);
        total += n;
    }
    printf("DSP against Unicorn: %lu instructions compared (Q flag taken from the simulator on %lu "
           "SMLAD(X) with an intermediate overflow, a Unicorn bug)\n", total, unicorn_deviations);
}

int main(void)
{
    RUN(test_against_unicorn);
    return CHECK_SUMMARY();
}
