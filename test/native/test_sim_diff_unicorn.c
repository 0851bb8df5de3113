/* Differential test of the simulator's ARMv6-M executor against Unicorn (Cortex-M0 model): random
 * instruction streams with defined behaviour, and the fixture firmware, must leave identical
 * registers, flags and memory after every instruction. */
#include <stdlib.h>
#include <unicorn/unicorn.h>

#include "check.h"
#include "elf_load.h"
#include "sim_target.h"

#define RAM_BASE 0x20000000u
#define RAM_SIZE (20u * 1024u)
#define CODE_BASE 0x20000000u      /* random code: up to 4 KiB */
#define DATA_BASE 0x20002000u      /* r6 points here; loads and stores stay within 2 KiB */
#define STACK_TOP 0x20004C00u
#define STACK_WORDS 32

/* xorshift64*: deterministic, seedable */
static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}
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

static uc_engine *new_unicorn(void)
{
    uc_engine *uc = NULL;
    if (uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc) != UC_ERR_OK) return NULL;
    uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M0);
    return uc;
}

/* Compares registers, NZCV and PRIMASK; prints the first difference. */
static bool same_state(sim_target *t, uc_engine *uc, const char *where, unsigned index)
{
    for (unsigned i = 0; i < 16; i++) {
        uint32_t v = 0;
        uc_reg_read(uc, uc_regs[i], &v);
        if (i == 15) v &= ~1u;
        if (v != t->cpu.r[i]) {
            fprintf(stderr, "  %s #%u: r%u sim 0x%08x unicorn 0x%08x\n", where, index, i, t->cpu.r[i], v);
            return false;
        }
    }
    uint32_t xpsr = 0, primask = 0;
    uc_reg_read(uc, UC_ARM_REG_XPSR, &xpsr);
    uc_reg_read(uc, UC_ARM_REG_PRIMASK, &primask);
    if ((xpsr & 0xF0000000u) != (t->cpu.xpsr & 0xF0000000u) || (primask & 1) != (t->cpu.primask & 1)) {
        fprintf(stderr, "  %s #%u: flags sim 0x%08x/%u unicorn 0x%08x/%u\n", where, index,
                t->cpu.xpsr, t->cpu.primask, xpsr, primask);
        return false;
    }
    return true;
}

static bool same_memory(sim_target *t, uc_engine *uc, uint32_t base, uint32_t size)
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

static void test_random_streams(void)
{
    const char *env = getenv("BMP_DIFF_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5EEDC0DEull;
    rng_state = seed;
    printf("random streams: seed 0x%llx (set BMP_DIFF_SEED to repeat another)\n", (unsigned long long)seed);
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    uc_engine *uc = new_unicorn();
    CHECK(uc != NULL);
    if (!uc) return;
    uc_mem_map(uc, RAM_BASE, 0x8000, UC_PROT_ALL);
    static uint8_t ram_init[RAM_SIZE];
    static stream s;
    const unsigned blocks = 1600, per_block = 80;
    bool ok = true;
    for (unsigned block = 0; block < blocks && ok; block++) {
        s.len = 0;
        s.stack_depth = 0;
        while (s.len < per_block) gen_one(&s);
        /* pad so B/skip and LDR literal never run off the end */
        for (unsigned i = 0; i < 8; i++) emit(&s, 0xBF00);
        for (uint32_t i = 0; i < RAM_SIZE; i++) ram_init[i] = (uint8_t)rnd();
        memcpy(ram_init, s.code, s.len * 2);
        sim_target_load(&t, RAM_BASE, ram_init, RAM_SIZE);
        uc_mem_write(uc, RAM_BASE, ram_init, RAM_SIZE);
        uc_ctl_remove_cache(uc, CODE_BASE, CODE_BASE + 0x1000); /* new code at the same address */
        sim_cpu_reset(&t);
        for (unsigned i = 0; i < 13; i++) t.cpu.r[i] = rnd();
        t.cpu.r[6] = DATA_BASE;
        t.cpu.r[7] = 0x40 + 4 * pick(16);
        t.cpu.r[13] = STACK_TOP - 4 * STACK_WORDS - 64;
        t.cpu.r[15] = CODE_BASE;
        t.cpu.xpsr = 0x01000000u | (rnd() & 0xF0000000u);
        t.cpu.r[14] = rnd() | 1;
        for (unsigned i = 0; i < 15; i++) uc_reg_write(uc, uc_regs[i], &t.cpu.r[i]);
        uint32_t xpsr = t.cpu.xpsr, zero = 0;
        uc_reg_write(uc, UC_ARM_REG_XPSR, &xpsr);
        uc_reg_write(uc, UC_ARM_REG_PRIMASK, &zero);
        uint32_t end = CODE_BASE + (s.len - 8) * 2;
        while (t.cpu.r[15] < end && ok) {
            uint32_t pc = t.cpu.r[15];
            unsigned cycles;
            if (getenv("BMP_DIFF_TRACE")) {
                uint16_t hw[2];
                sim_target_peek(&t, pc, (uint8_t *)hw, 4);
                fprintf(stderr, "    %08x: %04x %04x\n", pc, hw[0], hw[1]);
            }
            sim_step_result r = sim_cpu_step(&t, &cycles);
            if (r != SIM_STEP_OK) {
                uint16_t hw[2];
                sim_target_peek(&t, pc, (uint8_t *)hw, 4);
                fprintf(stderr, "  block %u: sim stopped with %d at 0x%08x (%04x %04x)\n", block, r, pc, hw[0], hw[1]);
                ok = false;
                break;
            }
            uc_err e = uc_emu_start(uc, pc | 1, 0xFFFFFFFF, 0, 1);
            if (e != UC_ERR_OK) {
                fprintf(stderr, "  block %u: unicorn error %s at 0x%08x\n", block, uc_strerror(e), pc);
                ok = false;
                break;
            }
            instructions_compared++;
            clear_q_flag(uc);
            ok = same_state(&t, uc, "random", (unsigned)instructions_compared);
            if (!ok) {
                uint16_t hw[2];
                sim_target_peek(&t, pc, (uint8_t *)hw, 4);
                fprintf(stderr, "  instruction at 0x%08x: %04x %04x (block %u, seed 0x%llx)\n", pc,
                        hw[0], hw[1], block, (unsigned long long)seed);
            }
        }
        if (ok) ok = same_memory(&t, uc, RAM_BASE, RAM_SIZE);
    }
    CHECK(ok);
    CHECK(instructions_compared >= 100000);
    printf("random streams: %lu instructions compared\n", instructions_compared);
    uc_close(uc);
    sim_target_free(&t);
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
    uc_engine *uc = new_unicorn();
    CHECK(uc != NULL);
    if (!uc) return;
    uc_mem_map(uc, 0x08000000, 128 * 1024, UC_PROT_ALL);
    uc_mem_map(uc, RAM_BASE, 0x8000, UC_PROT_ALL);
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
        ok = same_state(&t, uc, "fixture", steps);
    }
    if (ok) ok = same_memory(&t, uc, RAM_BASE, 4096);
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
    RUN(test_random_streams);
    RUN(test_fixture_firmware);
    return CHECK_SUMMARY();
}
