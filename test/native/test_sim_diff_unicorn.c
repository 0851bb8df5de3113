/* Differential test of the simulator's executor against Unicorn (QEMU's TCG inside): random
 * instruction streams, and the fixture firmware, must leave identical registers, flags and
 * memory after every instruction.
 *  - ARMv6-M: the Cortex-M0 model against an ARMv6-M profile (stm32f103's memory map, its core
 *    taken as a Cortex-M0+), 16-bit streams.
 *  - ARMv7-M/ARMv7E-M: stm32f103 (Cortex-M3), stm32f407 (Cortex-M4), stm32h743 (Cortex-M7) against
 *    the same Unicorn models, streams drawn from the encoding classes of diff_gen.h (gen_*.c), with
 *    IT blocks and short forward branches woven in by the harness. On the FPU profiles the
 *    streams include the single-precision FPU classes (gen_fpu.c; FPv5 on stm32h743), with the
 *    FPU enabled and an FP context active in both, and S0-S31 and FPSCR are compared as well.
 * BMP_DIFF_SEED=<n> repeats a run, BMP_DIFF_QUICK=1 runs a short one, BMP_DIFF_TRACE=1 prints
 * each instruction. Not compared here (they leave the stream or raise exceptions; see
 * test_sim_thumb2.c): SVC, BKPT, WFI/WFE, UDF, faults, MSR to special registers, STREXB/STREXH.
 * Backward branches, TBB/TBH, calls, PUSH/POP and loads into PC run in the Thumb-2 kernels
 * (thumb2_kernels.h), in lockstep like the fixture firmware. */
#include <stdlib.h>
#include <unicorn/unicorn.h>

#include "check.h"
#include "diff_gen.h"
#include "elf_load.h"
#include "gen_fpu.h"
#include "sim_target.h"
#include "thumb2_kernels.h"

#define RAM_BASE 0x20000000u
#define RAM_SIZE (20u * 1024u)     /* the smallest SRAM of the profiles (stm32f103) */
#define CODE_BASE 0x20000000u      /* random code: up to 4 KiB */
#define DATA_BASE 0x20002000u      /* ARMv6-M streams: r6 points here */
#define STACK_TOP 0x20004C00u
#define STACK_WORDS 32
#define V7_SP 0x20004A00u          /* ARMv7-M streams: SP, with DIFF_STACK_SLACK above it */

/* The encoding classes of the ARMv7-M streams: one table per gen_*.c file. */
static const diff_gen_class *const class_tables[] = {diff_gen_base, diff_gen_dsp, diff_gen_fpu};

/* Classes the streams leave out: the FPU's SP and r7 writeback (VPUSH/VPOP, VLDM/VSTM!), which the
 * stream's fixed SP and r7 cannot take, and double precision, which Unicorn's Cortex-M7 does not
 * execute (test_sim_fpu.c runs both, against Unicorn and QEMU). */
#define SKIPPED_CLASSES (GEN_FPU_WRITEBACK | DIFF_ISA_FPDP)

static bool quick_run(void)
{
    const char *q = getenv("BMP_DIFF_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

static uint64_t seed_from_env(void)
{
    const char *env = getenv("BMP_DIFF_SEED");
    return env ? strtoull(env, NULL, 0) : 0x5EEDC0DEull;
}

/* xorshift64* for the ARMv6-M generator below */
static uint64_t rng_state;
static uint32_t rnd(void) { return diff_rand(&rng_state); }
static unsigned pick(unsigned n) { return rnd() % n; }

/* Registers the generator may write: r0-r5 and r8-r12. r6 (data base), r7 (small offset),
 * SP and PC keep values that keep every access inside the windows. */
static unsigned low_dest(void) { return pick(6); }
static unsigned any_low(void) { return pick(8); }
static unsigned high_dest(void)
{
    static const unsigned regs[] = {0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12};
    return regs[pick(11)];
}

typedef struct {
    uint16_t code[2048];
    unsigned len;
    int stack_depth; /* words pushed, kept within 0..STACK_WORDS */
} stream;

static void emit(stream *s, uint16_t hw) { s->code[s->len++] = hw; }

/* Appends one random instruction with defined behaviour. */
static void gen_one(stream *s)
{
    unsigned d = low_dest(), n = any_low(), m = any_low();
    switch (pick(24)) {
    case 0: emit(s, (uint16_t)((pick(3) << 11) | (pick(32) << 6) | (n << 3) | d)); break; /* shift imm */
    case 1: emit(s, (uint16_t)(0x1800 | (pick(4) << 9) | (m << 6) | (n << 3) | d)); break;  /* add/sub */
    case 2: emit(s, (uint16_t)(0x2000 | (pick(4) << 11) | (d << 8) | pick(256))); break;    /* imm8 ops */
    case 3: case 4: case 5: { /* data processing; MUL only into r0-r5 */
        emit(s, (uint16_t)(0x4000 | (pick(16) << 6) | (n << 3) | d));
        break;
    }
    case 6: { /* ADD/MOV high registers */
        unsigned hd = high_dest(), hm = pick(13);
        if (pick(2)) emit(s, (uint16_t)(0x4400 | ((hd & 8) << 4) | (hm << 3) | (hd & 7)));
        else emit(s, (uint16_t)(0x4600 | ((hd & 8) << 4) | (hm << 3) | (hd & 7)));
        break;
    }
    case 7: { /* CMP high registers: not both low */
        unsigned a = 8 + pick(5), b = pick(13);
        emit(s, (uint16_t)(0x4500 | ((a & 8) << 4) | (b << 3) | (a & 7)));
        break;
    }
    case 8: case 9: { /* load/store immediate off r6 */
        static const uint16_t ops[] = {0x6000, 0x6800, 0x7000, 0x7800, 0x8000, 0x8800};
        emit(s, (uint16_t)(ops[pick(6)] | (pick(32) << 6) | (6 << 3) | d));
        break;
    }
    case 10: { /* load/store register offset r6 + r7 */
        emit(s, (uint16_t)(0x5000 | (pick(8) << 9) | (7 << 6) | (6 << 3) | (pick(2) ? d : 0)));
        break;
    }
    case 11: { /* SP-relative: offsets inside the current frame area */
        emit(s, (uint16_t)((pick(2) ? 0x9000 : 0x9800) | (d << 8) | pick(16)));
        break;
    }
    case 12: emit(s, (uint16_t)(0xA000 | (d << 8) | pick(256))); break;       /* ADR */
    case 13: emit(s, (uint16_t)(0xA800 | (d << 8) | pick(256))); break;       /* ADD Rd, SP, #imm */
    case 14: emit(s, (uint16_t)(0xB200 | (pick(4) << 6) | (n << 3) | d)); break; /* extend */
    case 15: { static const unsigned r[] = {0, 1, 3}; emit(s, (uint16_t)(0xBA00 | (r[pick(3)] << 6) | (n << 3) | d)); break; }
    case 16: { /* PUSH/POP keeping the depth in range; registers r0-r5 only (and LR on push) */
        unsigned list = pick(64), count = (unsigned)__builtin_popcount(list);
        if (pick(2) && s->stack_depth + (int)count + 1 <= STACK_WORDS) {
            bool lr = pick(2);
            if (count == 0 && !lr) list = 1, count = 1;
            emit(s, (uint16_t)(0xB400 | (lr ? 0x100 : 0) | list));
            s->stack_depth += (int)count + lr;
        } else if (count && s->stack_depth >= (int)count) {
            emit(s, (uint16_t)(0xBC00 | list));
            s->stack_depth -= (int)count;
        } else {
            emit(s, 0xBF00);
        }
        break;
    }
    case 17: case 18: { /* B<cond> or B skipping 1-3 instructions, all 16-bit so none is split */
        unsigned skip = pick(3);
        emit(s, (uint16_t)(pick(2) ? 0xD000 | (pick(14) << 8) | skip : 0xE000 | skip));
        for (unsigned i = 0; i <= skip; i++) emit(s, (uint16_t)(0x4000 | (pick(16) << 6) | (any_low() << 3) | low_dest()));
        break;
    }
    case 19: emit(s, pick(2) ? 0xB662 : 0xB672); break;                       /* CPSIE/CPSID i */
    case 20: { /* LDR literal: within the code window */
        emit(s, (uint16_t)(0x4800 | (d << 8) | pick(64)));
        break;
    }
    case 21: { /* MRS/MSR APSR, barriers */
        switch (pick(3)) {
        case 0: emit(s, 0xF3EF); emit(s, (uint16_t)(0x8000 | (d << 8))); break;
        case 1: emit(s, (uint16_t)(0xF380 | d)); emit(s, 0x8800); break;
        default: emit(s, 0xF3BF); emit(s, (uint16_t)(0x8F40 | (pick(3) << 4) | 0xF)); break;
        }
        break;
    }
    case 22: emit(s, 0xF000); emit(s, 0xF800); break; /* BL to the next instruction */
    default: { /* ADD/SUB SP, #imm7 kept in range (small, then undone later by the depth budget) */
        int words = (int)pick(4);
        if (pick(2) && s->stack_depth + words <= STACK_WORDS) {
            emit(s, (uint16_t)(0xB080 | (unsigned)words));
            s->stack_depth += words;
        } else if (s->stack_depth >= words) {
            emit(s, (uint16_t)(0xB000 | (unsigned)words));
            s->stack_depth -= words;
        } else {
            emit(s, 0xBF00);
        }
        break;
    }
    }
}

static const int uc_regs[16] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                                UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7,
                                UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
                                UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_PC};

/* The memory writes Unicorn made in the current step, compared byte by byte with the
 * simulator's memory after each instruction. */
typedef struct {
    uint32_t addr[64];
    unsigned size[64];
    unsigned count;
} write_log;

static void on_uc_write(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user)
{
    (void)uc;
    (void)type;
    (void)value;
    write_log *log = user;
    if (log->count < 64) {
        log->addr[log->count] = (uint32_t)address;
        log->size[log->count++] = (unsigned)size;
    }
}

static uc_engine *new_unicorn(int model, write_log *log)
{
    uc_engine *uc = NULL;
    if (uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc) != UC_ERR_OK) return NULL;
    uc_ctl_set_cpu_model(uc, model);
    uc_mem_map(uc, RAM_BASE, 0x8000, UC_PROT_ALL);
    if (log) {
        uc_hook h;
        uc_hook_add(uc, &h, UC_HOOK_MEM_WRITE, (void *)on_uc_write, log, 1, 0);
    }
    return uc;
}

/* S0-S31 and FPSCR (its ARMv7-M bits, as test_sim_fpu.c compares them). */
static bool same_fp(sim_target *t, uc_engine *uc, const char *where, unsigned long index)
{
    for (unsigned i = 0; i < 32; i++) {
        uint32_t v = 0;
        uc_reg_read(uc, UC_ARM_REG_S0 + (int)i, &v);
        if (v != t->cpu.s[i]) {
            fprintf(stderr, "  %s #%lu: s%u sim 0x%08x unicorn 0x%08x\n", where, index, i, t->cpu.s[i], v);
            return false;
        }
    }
    uint32_t fpscr = 0;
    uc_reg_read(uc, UC_ARM_REG_FPSCR, &fpscr);
    if ((fpscr & GEN_FPU_FPSCR_MASK) != t->cpu.fpscr) {
        fprintf(stderr, "  %s #%lu: FPSCR sim 0x%08x unicorn 0x%08x\n", where, index, t->cpu.fpscr,
                fpscr & GEN_FPU_FPSCR_MASK);
        return false;
    }
    return true;
}

/* Compares r0-r15, the xPSR bits in `xpsr_mask` and PRIMASK, and with `fp` S0-S31 and FPSCR;
 * prints the first difference. */
static bool same_state(sim_target *t, uc_engine *uc, uint32_t xpsr_mask, bool fp, const char *where,
                       unsigned long index)
{
    for (unsigned i = 0; i < 16; i++) {
        uint32_t v = 0;
        uc_reg_read(uc, uc_regs[i], &v);
        if (i == 15) v &= ~1u;
        if (v != t->cpu.r[i]) {
            fprintf(stderr, "  %s #%lu: r%u sim 0x%08x unicorn 0x%08x\n", where, index, i, t->cpu.r[i], v);
            return false;
        }
    }
    uint32_t xpsr = 0, primask = 0;
    uc_reg_read(uc, UC_ARM_REG_XPSR, &xpsr);
    uc_reg_read(uc, UC_ARM_REG_PRIMASK, &primask);
    if ((xpsr & xpsr_mask) != (t->cpu.xpsr & xpsr_mask) || (primask & 1) != (t->cpu.primask & 1)) {
        fprintf(stderr, "  %s #%lu: xPSR sim 0x%08x unicorn 0x%08x, PRIMASK sim %u unicorn %u\n", where, index,
                t->cpu.xpsr & xpsr_mask, xpsr & xpsr_mask, t->cpu.primask, primask);
        return false;
    }
    return !fp || same_fp(t, uc, where, index);
}

static bool same_bytes(sim_target *t, uc_engine *uc, uint32_t base, uint32_t size)
{
    static uint8_t a[32768], b[32768];
    if (size > sizeof a) return false;
    sim_target_peek(t, base, a, size);
    uc_mem_read(uc, base, b, size);
    for (uint32_t i = 0; i < size; i++)
        if (a[i] != b[i]) {
            fprintf(stderr, "  memory at 0x%08x: sim %02x unicorn %02x\n", base + i, a[i], b[i]);
            return false;
        }
    return true;
}

static void print_instruction(sim_target *t, uint32_t pc, const char *what)
{
    uint16_t hw[2];
    sim_target_peek(t, pc, (uint8_t *)hw, 4);
    fprintf(stderr, "  %s at 0x%08x: %04x %04x\n", what, pc, hw[0], hw[1]);
}

/* One instruction in both; false (with the reason printed) if they disagree. Unicorn 2.0.1
 * (QEMU's translator) does not count the instructions of an IT block one by one: a run with a
 * count of 1 from an IT instruction ends anywhere up to the end of the block (where its
 * translation block ends). So an IT block is stepped instruction by instruction in the
 * simulator, Unicorn is run until it reaches the same PC, and the two are compared at the end of
 * the block (ITSTATE inside blocks is checked by test_sim_thumb2.c).
 * `*count` gets the number of instructions the simulator executed. */
static bool step_both(sim_target *t, uc_engine *uc, write_log *log, uint32_t xpsr_mask, bool fp, unsigned long index,
                      unsigned *count)
{
    uint32_t pc = t->cpu.r[15];
    unsigned cycles;
    *count = 0;
    if (log) log->count = 0;
    do {
        if (getenv("BMP_DIFF_TRACE")) print_instruction(t, t->cpu.r[15], "trace");
        uint32_t at = t->cpu.r[15];
        sim_step_result r = sim_cpu_step(t, &cycles);
        if (r != SIM_STEP_OK) {
            fprintf(stderr, "  sim stopped with %d (CFSR bit 0x%x)\n", r, t->cpu.fault.cfsr);
            print_instruction(t, at, "instruction");
            return false;
        }
        ++*count;
    } while (t->cpu.xpsr & 0x0600FC00u); /* inside an IT block */
    /* always a count of 1: switching to a run without a count and back makes Unicorn drop its
     * translation cache each time */
    uc_err e = uc_emu_start(uc, pc | 1, 0xFFFFFFFF, 0, 1);
    for (unsigned i = 0; e == UC_ERR_OK && *count > 1 && i < 5; i++) {
        uint32_t uc_pc = 0;
        uc_reg_read(uc, UC_ARM_REG_PC, &uc_pc);
        if ((uc_pc & ~1u) == t->cpu.r[15]) break;
        e = uc_emu_start(uc, uc_pc | 1, 0xFFFFFFFF, 0, 1);
    }
    if (e != UC_ERR_OK) {
        fprintf(stderr, "  unicorn: %s\n", uc_strerror(e));
        print_instruction(t, pc, "instruction");
        return false;
    }
    bool ok = same_state(t, uc, xpsr_mask, fp, "step", index);
    for (unsigned i = 0; ok && log && i < log->count; i++) ok = same_bytes(t, uc, log->addr[i], log->size[i]);
    if (!ok) print_instruction(t, pc, "instruction");
    return ok;
}

/* The simulated part and its Unicorn model, writes logged in `log`; NULL (a failed check) if
 * either does not open. */
static uc_engine *open_both(sim_target *t, const char *profile, int model, write_log *log)
{
    CHECK_EQ(sim_target_init(t, profile), SIM_OK);
    uc_engine *uc = new_unicorn(model, log);
    CHECK(uc != NULL);
    return uc;
}

/* Fresh random RAM with `code` at CODE_BASE, in both. */
static void load_block(sim_target *t, uc_engine *uc, uint64_t *rng, const uint16_t *code, unsigned halfwords)
{
    static uint8_t ram[RAM_SIZE];
    for (uint32_t i = 0; i < RAM_SIZE; i += 4) {
        uint32_t v = diff_rand(rng);
        memcpy(ram + i, &v, 4);
    }
    memcpy(ram, code, halfwords * 2);
    sim_target_load(t, RAM_BASE, ram, RAM_SIZE);
    uc_mem_write(uc, RAM_BASE, ram, RAM_SIZE);
    uc_ctl_remove_cache(uc, CODE_BASE, CODE_BASE + 0x2000); /* new code at the same address */
}

/* The simulator's r0-r14 and xPSR into Unicorn. */
static void copy_state(sim_target *t, uc_engine *uc)
{
    for (unsigned i = 0; i < 15; i++) uc_reg_write(uc, uc_regs[i], &t->cpu.r[i]);
    uint32_t xpsr = t->cpu.xpsr, zero = 0;
    uc_reg_write(uc, UC_ARM_REG_XPSR, &xpsr);
    uc_reg_write(uc, UC_ARM_REG_XPSR_NZCVQG, &xpsr); /* the plain XPSR write leaves GE alone */
    uc_reg_write(uc, UC_ARM_REG_PRIMASK, &zero);
}

static unsigned long instructions_compared;

/* Unicorn keeps an APSR.Q bit that MSR can set; ARMv6-M has no Q flag (its APSR bits 27:0 are
 * reserved, ARMv6-M ARM B1.4.2), so a later MRS would differ. Clear it after every step. */
static void clear_q_flag(uc_engine *uc)
{
    uint32_t xpsr = 0;
    uc_reg_read(uc, UC_ARM_REG_XPSR, &xpsr);
    if (xpsr & (1u << 27)) {
        xpsr &= ~(1u << 27);
        uc_reg_write(uc, UC_ARM_REG_XPSR, &xpsr);
    }
}

/* --- ARMv6-M ---------------------------------------------------------------------------------- */

/* No profile has an ARMv6-M core yet: stm32f103's, with its core taken as a Cortex-M0+. */
static sim_profile v6m_profile;

static void test_v6m_streams(void)
{
    uint64_t seed = seed_from_env();
    rng_state = seed;
    printf("ARMv6-M streams: seed 0x%llx (set BMP_DIFF_SEED to repeat another)\n", (unsigned long long)seed);
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    v6m_profile = *t.profile;
    v6m_profile.core = SIM_CORE_M0P;
    t.profile = &v6m_profile;
    uc_engine *uc = new_unicorn(UC_CPU_ARM_CORTEX_M0, NULL);
    CHECK(uc != NULL);
    if (!uc) return;
    static stream s;
    const unsigned blocks = quick_run() ? 200 : 1600, per_block = 80;
    unsigned long compared = 0;
    bool ok = true;
    for (unsigned block = 0; block < blocks && ok; block++) {
        s.len = 0;
        s.stack_depth = 0;
        while (s.len < per_block) gen_one(&s);
        /* pad so B/skip and LDR literal never run off the end */
        for (unsigned i = 0; i < 8; i++) emit(&s, 0xBF00);
        load_block(&t, uc, &rng_state, s.code, s.len);
        sim_cpu_reset(&t);
        for (unsigned i = 0; i < 13; i++) t.cpu.r[i] = rnd();
        t.cpu.r[6] = DATA_BASE;
        t.cpu.r[7] = 0x40 + 4 * pick(16);
        t.cpu.r[13] = STACK_TOP - 4 * STACK_WORDS - 64;
        t.cpu.r[15] = CODE_BASE;
        t.cpu.xpsr = 0x01000000u | (rnd() & 0xF0000000u);
        t.cpu.r[14] = rnd() | 1;
        copy_state(&t, uc);
        uint32_t end = CODE_BASE + (s.len - 8) * 2;
        while (t.cpu.r[15] < end && ok) {
            unsigned n;
            ok = step_both(&t, uc, NULL, 0xF0000000u, false, compared, &n);
            compared += n;
            clear_q_flag(uc);
            if (!ok) fprintf(stderr, "  block %u, seed 0x%llx\n", block, (unsigned long long)seed);
        }
        if (ok) ok = same_bytes(&t, uc, RAM_BASE, RAM_SIZE);
    }
    CHECK(ok);
    CHECK(compared >= (quick_run() ? 10000u : 100000u));
    printf("ARMv6-M streams: %lu instructions compared\n", compared);
    instructions_compared += compared;
    uc_close(uc);
    sim_target_free(&t);
}

/* --- ARMv7-M and ARMv7E-M --------------------------------------------------------------------- */

typedef struct {
    uint16_t code[2048];
    unsigned len;
} t2_stream;

static void emit_insn(t2_stream *s, uint32_t insn)
{
    if (DIFF_IS_T16(insn)) {
        s->code[s->len++] = (uint16_t)insn;
    } else {
        s->code[s->len++] = (uint16_t)(insn >> 16);
        s->code[s->len++] = (uint16_t)insn;
    }
}

typedef struct {
    const diff_gen_class *classes[64];
    unsigned count, total_weight;
} class_set;

static void classes_for(class_set *set, unsigned have, unsigned skip)
{
    set->count = set->total_weight = 0;
    for (unsigned k = 0; k < sizeof class_tables / sizeof class_tables[0]; k++)
        for (const diff_gen_class *c = class_tables[k]; c->name; c++)
            if ((c->needs & have) == c->needs && !(c->needs & skip) && set->count < 64) {
                set->classes[set->count++] = c;
                set->total_weight += c->weight;
            }
}

static uint32_t draw(const class_set *set, uint64_t *rng)
{
    unsigned w = diff_pick(rng, set->total_weight);
    for (unsigned i = 0; i < set->count; i++) {
        if (w < set->classes[i]->weight) return set->classes[i]->gen(rng);
        w -= set->classes[i]->weight;
    }
    return DIFF_T16(0xBF00);
}

/* A forward branch over the next instruction (`halfwords` long): B, B<cond>, CBZ/CBNZ, their
 * 32-bit forms, BL. */
static uint32_t branch_over(uint64_t *rng, unsigned halfwords)
{
    unsigned cond = diff_pick(rng, 14), h = halfwords;
    switch (diff_pick(rng, 6)) {
    case 0: return DIFF_T16(0xE000 | (h - 1));
    case 1: return DIFF_T16(0xD000 | (cond << 8) | (h - 1));
    case 2: return DIFF_T16(0xB100 | (diff_pick(rng, 2) << 11) | ((h - 1) << 3) | diff_pick(rng, 8));
    case 3: return (0xF000u | cond << 6) << 16 | 0x8000 | h;
    case 4: return 0xF000u << 16 | 0xB800 | h;
    default: return 0xF000u << 16 | 0xF800 | h;
    }
}

/* What an IT block in the streams leaves out:
 *  - a load or store that writes its base register back: the harness puts r6 back after each
 *    compared step, and an IT block is one step (see step_both);
 *  - MSR, MRS, VMSR, hints and barriers: they end Unicorn's translation block, and Unicorn
 *    resumes after them as if outside the IT block (it loses ITSTATE when a run starts inside a
 *    block), so the rest of the block would run unconditionally there. test_sim_thumb2.c has an
 *    MSR inside an IT block. */
static bool not_in_it_block(uint32_t insn)
{
    uint32_t hw1 = insn >> 16, hw2 = insn & 0xFFFF;
    if (DIFF_IS_T16(insn)) return false;
    if ((hw1 & 0xF800) == 0xF000 && (hw2 & 0x8000)) return true;
    if (hw1 == 0xEEE1 && (hw2 & 0x0FFF) == 0x0A10) return true;             /* VMSR FPSCR, Rt */
    if ((hw1 & 0xFE00) == 0xE800) return (hw1 & 0x20) != 0;                 /* LDM/STM, LDRD/STRD */
    if ((hw1 & 0xFE00) == 0xF800)                                           /* imm8 forms with W */
        return !(hw1 & 0x80) && (hw1 & 15) != 15 && (hw2 & 0x900) == 0x900;
    return false;
}

/* A random stream: the classes' instructions, IT blocks of 1-4 of them, forward branches. */
static void build_stream(t2_stream *s, const class_set *set, uint64_t *rng, unsigned halfwords)
{
    s->len = 0;
    emit_insn(s, 0xF3BF8F2Fu); /* CLREX: Unicorn's monitor outlives a block */
    while (s->len < halfwords) {
        unsigned kind = diff_pick(rng, 100);
        if (kind < 8) { /* IT block */
            unsigned fc = diff_pick(rng, 15), k = 1 + diff_pick(rng, 4), mask = 1u << (4 - k);
            for (unsigned i = 1; i < k; i++) {
                unsigned bit = (fc == 14 || diff_pick(rng, 2)) ? (fc & 1) : !(fc & 1);
                mask |= bit << (4 - i);
            }
            emit_insn(s, DIFF_T16(0xBF00 | fc << 4 | mask));
            for (unsigned i = 0; i < k; i++) {
                uint32_t insn = draw(set, rng);
                while (not_in_it_block(insn)) insn = draw(set, rng);
                emit_insn(s, insn);
            }
        } else if (kind < 12) {
            uint32_t next = draw(set, rng);
            emit_insn(s, branch_over(rng, DIFF_IS_T16(next) ? 1 : 2));
            emit_insn(s, next);
        } else {
            emit_insn(s, draw(set, rng));
        }
    }
}

static uint32_t interesting(uint64_t *rng)
{
    static const uint32_t special[] = {0, 1, 2, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu, 0xFFFF, 0x8000, 0x80, 31, 32};
    switch (diff_pick(rng, 4)) {
    case 0: return special[diff_pick(rng, sizeof special / sizeof special[0])];
    case 1: return diff_rand(rng) & 0xFF;
    default: return diff_rand(rng);
    }
}

/* An FP context in Unicorn, as test_sim_fpu.c makes one: Unicorn's first FP instruction creates
 * it and loads FPSCR from FPDSCR, and writing CONTROL.FPCA through Unicorn does not take. So one
 * VMRS runs here, before any stream. */
static void fp_context_on(uc_engine *uc)
{
    static const uint16_t vmrs[4] = {0xEEF1, 0x0A10, 0xBF00, 0xBF00}; /* VMRS r0, FPSCR */
    uc_mem_write(uc, CODE_BASE, vmrs, sizeof vmrs);
    uc_emu_start(uc, CODE_BASE | 1, 0xFFFFFFFFu, 0, 1);
    uc_ctl_remove_cache(uc, CODE_BASE, CODE_BASE + 0x2000);
}

/* A floating-point value for S0-S31: zeros, infinities, NaNs of both kinds, denormals, the
 * extremes, small integers and halves, or any bits. */
static uint32_t fp_value(uint64_t *rng)
{
    uint32_t sign = diff_pick(rng, 2) << 31, r = diff_rand(rng);
    switch (diff_pick(rng, 10)) {
    case 0: return sign;
    case 1: return sign | 0x7F800000u;
    case 2: return sign | 0x7F800000u | (r & 0x7FFFFFu) | (diff_pick(rng, 2) ? 0x400000u : 1u); /* NaN */
    case 3: return sign | (r & 0x7FFFFFu);                                                    /* denormal */
    case 4: return sign | (diff_pick(rng, 2) ? 0x7F7FFFFFu : 0x00800000u);
    case 5: return sign | (uint32_t)(126 + diff_pick(rng, 24)) << 23 | (r & 0x7FF000u);
    case 6: case 7: return sign | (uint32_t)(100 + diff_pick(rng, 60)) << 23 | (r & 0x7FFFFFu);
    default: return r;
    }
}

/* Random S0-S31 and FPSCR in both; the simulator's FP context active (CONTROL.FPCA), so that the
 * FPSCR written stays (a new context would take FPDSCR), and CP10/CP11 enabled. */
static void random_fp_state(sim_target *t, uc_engine *uc, uint64_t *rng)
{
    t->core.cpacr = 0x00F00000u;
    t->cpu.control |= CONTROL_FPCA;
    for (unsigned i = 0; i < 32; i++) {
        t->cpu.s[i] = fp_value(rng);
        uc_reg_write(uc, UC_ARM_REG_S0 + (int)i, &t->cpu.s[i]);
    }
    t->cpu.fpscr = gen_fpu_fpscr(rng);
    uc_reg_write(uc, UC_ARM_REG_FPSCR, &t->cpu.fpscr);
}

static void v7_streams(const char *profile, int model, unsigned have)
{
    uint64_t seed = seed_from_env(), rng = seed ^ (uint64_t)model << 32;
    printf("%s streams: seed 0x%llx (set BMP_DIFF_SEED to repeat another)\n", profile, (unsigned long long)seed);
    sim_target t;
    static write_log log;
    uc_engine *uc = open_both(&t, profile, model, &log);
    if (!uc) return;
    class_set set;
    classes_for(&set, have, SKIPPED_CLASSES);
    bool fp = (have & DIFF_ISA_FPU) != 0;
    if (fp) fp_context_on(uc);
    uint32_t xpsr_mask = 0xFF00FC00u | ((have & DIFF_ISA_DSP) ? 0x000F0000u : 0);
    static t2_stream s;
    const unsigned long goal = quick_run() ? 30000 : 1000000;
    unsigned long compared = 0;
    bool ok = true;
    for (unsigned block = 0; compared < goal && ok; block++) {
        build_stream(&s, &set, &rng, 240);
        unsigned code_len = s.len;
        for (unsigned i = 0; i < 8; i++) emit_insn(&s, DIFF_T16(0xBF00));
        load_block(&t, uc, &rng, s.code, s.len);
        sim_cpu_reset(&t);
        for (unsigned i = 0; i < 13; i++) t.cpu.r[i] = interesting(&rng);
        t.cpu.r[6] = DIFF_DATA_BASE;
        t.cpu.r[7] = 4 * diff_pick(&rng, DIFF_R7_MAX / 4 + 1);
        t.cpu.r[13] = V7_SP;
        t.cpu.r[14] = diff_rand(&rng) | 1;
        t.cpu.r[15] = CODE_BASE;
        t.cpu.xpsr = XPSR_T | (diff_rand(&rng) & 0xF8000000u) | ((have & DIFF_ISA_DSP) ? diff_rand(&rng) & 0x000F0000u : 0);
        if (fp) random_fp_state(&t, uc, &rng);
        copy_state(&t, uc);
        uint32_t end = CODE_BASE + code_len * 2;
        while (t.cpu.r[15] < end && ok) {
            unsigned n;
            ok = step_both(&t, uc, &log, xpsr_mask, fp, compared, &n);
            compared += n;
            if (!ok) {
                fprintf(stderr, "  %s block %u, seed 0x%llx\n", profile, block, (unsigned long long)seed);
            } else if (t.cpu.r[6] != DIFF_DATA_BASE) { /* a base writeback, compared: put r6 back */
                t.cpu.r[6] = DIFF_DATA_BASE;
                uc_reg_write(uc, UC_ARM_REG_R6, &t.cpu.r[6]);
            }
        }
        if (ok) ok = same_bytes(&t, uc, RAM_BASE, RAM_SIZE);
    }
    CHECK(ok);
    CHECK(compared >= goal);
    printf("%s streams: %lu instructions compared, from %u encoding classes%s\n", profile, compared, set.count,
           fp ? ", FPU ones included" : "");
    instructions_compared += compared;
    uc_close(uc);
    sim_target_free(&t);
}

static void test_m3_streams(void) { v7_streams("stm32f103", UC_CPU_ARM_CORTEX_M3, DIFF_ISA_V7M); }
static void test_m4_streams(void) { v7_streams("stm32f407", UC_CPU_ARM_CORTEX_M4, DIFF_ISA_V7M | DIFF_ISA_DSP | DIFF_ISA_FPU); }
static void test_m7_streams(void)
{
    v7_streams("stm32h743", UC_CPU_ARM_CORTEX_M7,
               DIFF_ISA_V7M | DIFF_ISA_DSP | DIFF_ISA_FPU | DIFF_ISA_FPDP | DIFF_ISA_FPV5);
}

/* The Thumb-2 kernels (thumb2_kernels.h) from their reset vector, in lockstep: what the streams
 * leave out (backward branches, TBB/TBH, calls and returns, PUSH/POP and LDR into PC). */
static void kernel_lockstep(const char *profile, int model, const uint16_t *kernel, unsigned halfwords)
{
    sim_target t;
    static write_log log;
    uc_engine *uc = open_both(&t, profile, model, &log);
    if (!uc) return;
    uc_mem_map(uc, THUMB2_KERNEL_BASE, 0x10000, UC_PROT_ALL);
    static uint8_t image[1024];
    unsigned len = thumb2_kernel_bytes(kernel, halfwords, image);
    sim_target_load(&t, THUMB2_KERNEL_BASE, image, len);
    uc_mem_write(uc, THUMB2_KERNEL_BASE, image, len);
    sim_cpu_reset(&t);
    CHECK(sim_cpu_load_reset_vector(&t, THUMB2_KERNEL_BASE));
    copy_state(&t, uc);
    bool ok = true;
    unsigned long steps = 0;
    const unsigned long goal = quick_run() ? 20000 : 200000;
    while (steps < goal && ok) {
        unsigned n;
        ok = step_both(&t, uc, &log, 0xFF0FFC00u, false, steps, &n);
        steps += n;
    }
    if (ok) ok = same_bytes(&t, uc, RAM_BASE, RAM_SIZE);
    CHECK(ok);
    printf("%s kernel: %lu instructions compared\n", profile, steps);
    instructions_compared += steps;
    uc_close(uc);
    sim_target_free(&t);
}

static void test_thumb2_kernels(void)
{
    kernel_lockstep("stm32f103", UC_CPU_ARM_CORTEX_M3, thumb2_kernel_crc, sizeof thumb2_kernel_crc / 2);
    kernel_lockstep("stm32f103", UC_CPU_ARM_CORTEX_M3, thumb2_kernel_branches, sizeof thumb2_kernel_branches / 2);
    kernel_lockstep("stm32f407", UC_CPU_ARM_CORTEX_M4, thumb2_kernel_crc, sizeof thumb2_kernel_crc / 2);
    kernel_lockstep("stm32h743", UC_CPU_ARM_CORTEX_M7, thumb2_kernel_branches, sizeof thumb2_kernel_branches / 2);
}

/* The fixture firmware from its reset vector; a semihosting BKPT is stepped over in both. */
static void test_fixture_firmware(void)
{
    elf_image image;
    const char *path = BMP_SOURCE_DIR "/test/fixtures/firmware/build/stm32f103.elf";
    if (!elf_load_file(path, &image)) {
        fprintf(stderr, "  cannot read %s: build the fixture (test/fixtures/firmware/build.sh)\n", path);
        CHECK(false);
        return;
    }
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    uc_engine *uc = new_unicorn(UC_CPU_ARM_CORTEX_M3, NULL);
    CHECK(uc != NULL);
    if (!uc) return;
    uc_mem_map(uc, 0x08000000, 128 * 1024, UC_PROT_ALL);
    for (unsigned i = 0; i < image.count; i++) {
        sim_target_load(&t, image.segments[i].paddr, image.segments[i].data, image.segments[i].filesz);
        uc_mem_write(uc, image.segments[i].paddr, image.segments[i].data, image.segments[i].filesz);
    }
    sim_cpu_reset(&t);
    CHECK(sim_cpu_load_reset_vector(&t, 0x08000000));
    uc_reg_write(uc, UC_ARM_REG_SP, &t.cpu.r[13]);
    uint32_t xpsr = t.cpu.xpsr;
    uc_reg_write(uc, UC_ARM_REG_XPSR, &xpsr);
    for (unsigned i = 0; i < 13; i++) uc_reg_write(uc, uc_regs[i], &t.cpu.r[i]);
    uc_reg_write(uc, UC_ARM_REG_LR, &t.cpu.r[14]);
    bool ok = true;
    unsigned steps = 0, bkpts = 0;
    for (; steps < 200000 && ok; steps++) {
        uint32_t pc = t.cpu.r[15];
        unsigned cycles;
        sim_step_result r = sim_cpu_step(&t, &cycles);
        if (r == SIM_STEP_BKPT) { /* semihosting: skip it in both, as a debugger would */
            t.cpu.r[15] += 2;
            uint32_t next = t.cpu.r[15];
            uc_reg_write(uc, UC_ARM_REG_PC, &next);
            bkpts++;
            continue;
        }
        if (r != SIM_STEP_OK) {
            fprintf(stderr, "  fixture: sim stopped with %d at 0x%08x after %u steps\n", r, pc, steps);
            ok = false;
            break;
        }
        uc_err e = uc_emu_start(uc, pc | 1, 0xFFFFFFFF, 0, 1);
        if (e != UC_ERR_OK) {
            fprintf(stderr, "  fixture: unicorn %s at 0x%08x\n", uc_strerror(e), pc);
            ok = false;
            break;
        }
        ok = same_state(&t, uc, 0xFF00FC00u, false, "fixture", steps);
    }
    if (ok) ok = same_bytes(&t, uc, RAM_BASE, 4096);
    CHECK(ok);
    CHECK(steps >= 200000);
    printf("fixture: %u instructions compared, %u semihosting BKPTs stepped over\n", steps, bkpts);
    instructions_compared += steps;
    elf_free(&image);
    uc_close(uc);
    sim_target_free(&t);
}

int main(void)
{
    RUN(test_v6m_streams);
    RUN(test_m3_streams);
    RUN(test_m4_streams);
    RUN(test_m7_streams);
    RUN(test_thumb2_kernels);
    RUN(test_fixture_firmware);
    printf("%lu instructions compared in all\n", instructions_compared);
    return CHECK_SUMMARY();
}
