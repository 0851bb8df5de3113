/* The fixture programs built for each part's own core (test/fixtures/firmware: the workload and
 * the fixture, Cortex-M3/M4F/M7F), run in lockstep in the simulator and in Unicorn's model of the
 * same core: after every instruction the core registers, the flags (APSR with Q and GE), the FP
 * registers and FPSCR must be the same, and so must RAM at the end.
 *
 * Where Unicorn cannot follow, the run stops or adopts the simulator's state, and says so:
 *   - peripherals and the System Control Space are not in Unicorn's model: a load from 0x40000000
 *     up gives the simulator's value (its registers are copied into Unicorn after that step);
 *   - semihosting BKPTs: both skip the BKPT; r0 gets the answer a console-only host gives;
 *   - IT blocks are compared at their end (Unicorn does not stop inside one);
 *   - Unicorn's Cortex-M7 has no double precision: the H743's double-precision instructions
 *     are adopted from the simulator (QEMU's M7 checks them in test/sim-vs-qemu);
 *   - exceptions (the workload's deliberate faults, interrupts): Unicorn does not take them, so
 *     the run ends at the first step that faults in the simulator. */
#include <stdlib.h>
#include <unicorn/unicorn.h>

#include "check.h"
#include "elf_load.h"
#include "sim_core.h"
#include "sim_target.h"

static const int uc_regs[16] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                                UC_ARM_REG_R4, UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7,
                                UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
                                UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_PC};

typedef struct {
    const char *elf;      /* under test/fixtures/firmware/build */
    const char *profile;
    int model;            /* Unicorn CPU model */
    bool fpu;
    unsigned min_steps;   /* the run must get at least this far before it ends */
    unsigned max_steps;   /* the fixture never ends: this many steps are enough */
} lockstep_case;

static bool peripheral_read; /* set by the hook: the current step read a peripheral */

static void on_read(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user)
{
    (void)uc, (void)type, (void)size, (void)value, (void)user;
    if (address >= 0x40000000u) peripheral_read = true;
}

/* Maps the page an access to unmapped memory wants (peripherals, the SCS), so Unicorn goes on. */
static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value, void *user)
{
    (void)type, (void)size, (void)value, (void)user;
    if (address < 0x40000000u) return false;
    if (type == UC_MEM_READ_UNMAPPED) peripheral_read = true;
    return uc_mem_map(uc, address & ~0xFFFull, 0x1000, UC_PROT_READ | UC_PROT_WRITE) == UC_ERR_OK;
}

/* EPSR.ITSTATE (xPSR bits 26:25 and 15:10) is not zero. */
static bool in_it_block(const sim_target *t) { return (t->cpu.xpsr & 0x0600FC00u) != 0; }

/* The first halfword may be a store (16-bit STR/STRB/STRH/STM/PUSH; 32-bit STM/STRD/STREX,
 * VSTR/VSTM, STR/STRB/STRH): an IT block the simulator ran alone has its memory copied too. */
static bool may_store(uint16_t hw)
{
    if ((hw & 0xF800) == 0x5000 || (hw & 0xF800) == 0x6000 || (hw & 0xF800) == 0x7000 ||
        (hw & 0xF800) == 0x8000 || (hw & 0xF800) == 0x9000 || (hw & 0xF800) == 0xC000 ||
        (hw & 0xFE00) == 0xB400)
        return true;
    return (hw & 0xFE00) == 0xE800 || (hw & 0xFE00) == 0xEC00 || (hw & 0xFF00) == 0xF800;
}

/* A floating-point instruction on coprocessor 11 with the double-precision size bit (sz, bit 8
 * of the second halfword) set: VLDR/VSTR/VLDM/VSTM of D registers, and the data-processing
 * and VMOV forms on D registers; and VCVT.F64.F32, which has sz clear. */
static bool is_double_precision(sim_target *t, uint32_t pc)
{
    uint8_t b[4];
    sim_target_peek(t, pc, b, 4);
    uint16_t hw1 = (uint16_t)(b[0] | b[1] << 8), hw2 = (uint16_t)(b[2] | b[3] << 8);
    if ((hw1 & 0xFFBF) == 0xEEB7 && (hw2 & 0x0FD0) == 0x0AC0) return true; /* VCVT.F64.F32 */
    return (hw1 & 0xEC00) == 0xEC00 && (hw2 & 0x0F00) == 0x0B00;
}

static void copy_ram_to_unicorn(sim_target *t, uc_engine *uc, uint32_t base, uint32_t size)
{
    static uint8_t buffer[128 * 1024];
    sim_target_peek(t, base, buffer, size);
    uc_mem_write(uc, base, buffer, size);
}

static void copy_to_unicorn(sim_target *t, uc_engine *uc, bool fpu)
{
    for (unsigned i = 0; i < 15; i++) uc_reg_write(uc, uc_regs[i], &t->cpu.r[i]);
    uint32_t pc = t->cpu.r[15] | 1, xpsr = t->cpu.xpsr;
    uc_reg_write(uc, UC_ARM_REG_PC, &pc);
    uc_reg_write(uc, UC_ARM_REG_XPSR, &xpsr);
    if (fpu) {
        for (unsigned i = 0; i < 32; i++) uc_reg_write(uc, UC_ARM_REG_S0 + (int)i, &t->cpu.s[i]);
        uc_reg_write(uc, UC_ARM_REG_FPSCR, &t->cpu.fpscr);
    }
}

static bool same_state(sim_target *t, uc_engine *uc, bool fpu, unsigned step, uint32_t pc)
{
    for (unsigned i = 0; i < 16; i++) {
        uint32_t v = 0;
        uc_reg_read(uc, uc_regs[i], &v);
        if (i == 15) v &= ~1u;
        if (v != t->cpu.r[i]) {
            fprintf(stderr, "  step %u (instruction at 0x%08x): r%u sim 0x%08x unicorn 0x%08x\n", step, pc, i, t->cpu.r[i], v);
            return false;
        }
    }
    uint32_t xpsr = 0;
    uc_reg_read(uc, UC_ARM_REG_XPSR, &xpsr);
    /* N Z C V Q, GE[3:0]; IT/ICI and T are execution state, compared through the PC path */
    if ((xpsr & 0xF80F0000u) != (t->cpu.xpsr & 0xF80F0000u)) {
        fprintf(stderr, "  step %u (instruction at 0x%08x): APSR sim 0x%08x unicorn 0x%08x\n", step, pc, t->cpu.xpsr, xpsr);
        return false;
    }
    if (fpu) {
        for (unsigned i = 0; i < 32; i++) {
            uint32_t v = 0;
            uc_reg_read(uc, UC_ARM_REG_S0 + (int)i, &v);
            if (v != t->cpu.s[i]) {
                fprintf(stderr, "  step %u (instruction at 0x%08x): s%u sim 0x%08x unicorn 0x%08x\n", step, pc, i, t->cpu.s[i], v);
                return false;
            }
        }
        uint32_t fpscr = 0;
        uc_reg_read(uc, UC_ARM_REG_FPSCR, &fpscr);
        if (fpscr != t->cpu.fpscr) {
            fprintf(stderr, "  step %u (instruction at 0x%08x): FPSCR sim 0x%08x unicorn 0x%08x\n", step, pc, t->cpu.fpscr, fpscr);
            return false;
        }
    }
    return true;
}

/* Semihosting as a host with only a console answers it: ":tt" opens, writes succeed, the
 * feature file does not exist. Returns false at SYS_EXIT. */
static bool semihost(sim_target *t, unsigned *handles)
{
    uint32_t op = t->cpu.r[0], param = t->cpu.r[1], result = 0;
    uint8_t block[12];
    switch (op) {
    case 0x01: { /* SYS_OPEN */
        char name[4] = {0};
        sim_target_peek(t, param, block, 12);
        sim_target_peek(t, elf_u32(block), (uint8_t *)name, 3);
        result = strcmp(name, ":tt") == 0 ? ++*handles : 0xFFFFFFFFu;
        break;
    }
    case 0x05: result = 0; break;            /* SYS_WRITE: all written */
    case 0x09: result = 1; break;            /* SYS_ISTTY */
    case 0x13: result = 2; break;            /* SYS_ERRNO: ENOENT */
    case 0x18: case 0x20: return false;      /* SYS_EXIT, SYS_EXIT_EXTENDED */
    default: result = 0; break;
    }
    t->cpu.r[0] = result;
    t->cpu.r[15] += 2;
    return true;
}

static void run_case(const lockstep_case *c)
{
    char path[512];
    snprintf(path, sizeof path, "%s/test/fixtures/firmware/build/%s.elf", BMP_SOURCE_DIR, c->elf);
    elf_image image;
    if (!elf_load_file(path, &image)) {
        fprintf(stderr, "  cannot read %s: build the fixtures (test/fixtures/firmware/build.sh)\n", path);
        CHECK(false);
        return;
    }
    sim_target t;
    CHECK_EQ(sim_target_init(&t, c->profile), SIM_OK);
    uc_engine *uc = NULL;
    CHECK_EQ(uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &uc), UC_ERR_OK);
    if (!uc) return;
    uc_ctl_set_cpu_model(uc, c->model);
    /* Flash and the RAM the programs use (the H7 programs' RAM is the AXI SRAM). */
    uint32_t ram = strstr(c->profile, "h7") ? 0x24000000u : 0x20000000u;
    uint32_t ram_size = strcmp(c->profile, "stm32f103") == 0 ? 20u * 1024 : 128u * 1024;
    uc_mem_map(uc, 0x08000000, 1024 * 1024, UC_PROT_ALL);
    uc_mem_map(uc, ram, 512 * 1024, UC_PROT_ALL);
    uc_hook hooks[2];
    uc_hook_add(uc, &hooks[0], UC_HOOK_MEM_READ, (void *)on_read, NULL, 0x40000000, 0xFFFFFFFF);
    uc_hook_add(uc, &hooks[1], UC_HOOK_MEM_UNMAPPED, (void *)on_unmapped, NULL, 1, 0);
    for (unsigned i = 0; i < image.count; i++) {
        sim_target_load(&t, image.segments[i].paddr, image.segments[i].data, image.segments[i].filesz);
        uc_mem_write(uc, image.segments[i].paddr, image.segments[i].data, image.segments[i].filesz);
    }
    sim_cpu_reset(&t);
    CHECK(sim_cpu_load_reset_vector(&t, 0x08000000));
    copy_to_unicorn(&t, uc, c->fpu);
    if (c->fpu) { /* Unicorn has no CPACR to write through the bus: FPEXC.EN turns its FPU on */
        uint32_t en = 1u << 30;
        uc_reg_write(uc, UC_ARM_REG_FPEXC, &en);
    }
    bool ok = true;
    unsigned steps = 0, bkpts = 0, adopted = 0, handles = 0, it_blocks = 0, it_checked = 0, doubles = 0;
    const char *ended = "the step budget";
    for (; steps < c->max_steps && ok; steps++) {
        uint32_t pc = t.cpu.r[15];
        unsigned cycles;
        sim_step_result r = sim_cpu_step(&t, &cycles);
        /* Unicorn 2.0.1 cannot stop inside an IT block (a one-instruction run from an IT
         * executes the IT and its whole block): the simulator runs the block to its end, and
         * the state is compared there. A block Unicorn does not end at the same place (or one
         * that read a peripheral) is adopted from the simulator. */
        bool it_block = false, stored = false;
        while (r == SIM_STEP_OK && in_it_block(&t)) {
            it_block = true;
            uint8_t hw[2];
            sim_target_peek(&t, t.cpu.r[15], hw, 2);
            stored |= may_store((uint16_t)(hw[0] | hw[1] << 8));
            r = sim_cpu_step(&t, &cycles);
        }
        if (it_block && r == SIM_STEP_OK) {
            /* Unicorn runs an IT block to its end in one-instruction runs: compare there. */
            uint32_t upc = pc | 1;
            for (unsigned i = 0; i < 5 && (upc & ~1u) != t.cpu.r[15]; i++) {
                peripheral_read = false;
                if (uc_emu_start(uc, upc, 0xFFFFFFFF, 0, 1) != UC_ERR_OK) break;
                uc_reg_read(uc, UC_ARM_REG_PC, &upc);
            }
            if ((upc & ~1u) == t.cpu.r[15] && !peripheral_read) {
                it_checked++;
                ok = same_state(&t, uc, c->fpu, steps, pc);
                if (!ok) ended = "a difference";
                continue;
            }
        }
        if (it_block && r == SIM_STEP_OK) {
            copy_to_unicorn(&t, uc, c->fpu);
            if (stored) copy_ram_to_unicorn(&t, uc, ram, ram_size);
            it_blocks++;
            continue;
        }
        if (r == SIM_STEP_BKPT && t.cpu.bkpt_imm == 0xAB) {
            bkpts++;
            if (!semihost(&t, &handles)) {
                ended = "SYS_EXIT";
                break;
            }
            copy_to_unicorn(&t, uc, c->fpu);
            continue;
        }
        if (r == SIM_STEP_FAULT) {
            fprintf(stderr, "    %s: ends at 0x%08x, where the simulator faults (CFSR bit 0x%08x): Unicorn does not take exceptions\n",
                    c->elf, pc, (unsigned)t.cpu.fault.cfsr);
            ended = "the first fault";
            break;
        }
        if (r != SIM_STEP_OK) {
            fprintf(stderr, "  %s: the simulator stopped with %d at 0x%08x\n", c->elf, r, pc);
            ok = false;
            break;
        }
        peripheral_read = false;
        uc_err e = uc_emu_start(uc, pc | 1, 0xFFFFFFFF, 0, 1);
        if (e == UC_ERR_INSN_INVALID && is_double_precision(&t, pc)) {
            /* Unicorn 2.0.1's Cortex-M7 has no double precision (its FPv5 is single only):
             * adopt the simulator's result (checked against QEMU by test/sim-vs-qemu and by
             * test_sim_fpu against Unicorn's Cortex-A15). */
            copy_to_unicorn(&t, uc, c->fpu);
            copy_ram_to_unicorn(&t, uc, ram, ram_size);
            doubles++;
            continue;
        }
        if (e != UC_ERR_OK) {
            fprintf(stderr, "  %s: unicorn %s at 0x%08x after %u steps\n", c->elf, uc_strerror(e), pc, steps);
            ended = "a Unicorn error";
            ok = false;
            break;
        }
        if (peripheral_read) { /* the peripheral's value is the simulator's */
            copy_to_unicorn(&t, uc, c->fpu);
            adopted++;
            continue;
        }
        ok = same_state(&t, uc, c->fpu, steps, pc);
        if (!ok) ended = "a difference";
    }
    if (ok) {
        static uint8_t a[128 * 1024], b[128 * 1024];
        sim_target_peek(&t, ram, a, ram_size);
        uc_mem_read(uc, ram, b, ram_size);
        for (uint32_t i = 0; i < ram_size && ok; i++)
            if (a[i] != b[i]) {
                fprintf(stderr, "  %s: RAM at 0x%08x: sim %02x unicorn %02x\n", c->elf, ram + i, a[i], b[i]);
                ok = false;
            }
    }
    CHECK(ok);
    CHECK(steps >= c->min_steps);
    printf("%s on %s: %u steps in lockstep until %s (%u semihosting calls; %u IT blocks compared at their end; adopted: %u peripheral reads, %u IT blocks, %u double-precision instructions)\n",
           c->elf, c->profile, steps, ended, bkpts, it_checked, adopted, it_blocks, doubles);
    elf_free(&image);
    uc_close(uc);
    sim_target_free(&t);
}

static const lockstep_case cases[] = {
    {"workload-stm32f103", "stm32f103", UC_CPU_ARM_CORTEX_M3, false, 100000, 5000000},
    {"workload-stm32f407", "stm32f407", UC_CPU_ARM_CORTEX_M4, true, 100000, 5000000},
    {"workload-stm32h743", "stm32h743", UC_CPU_ARM_CORTEX_M7, true, 100000, 5000000},
    {"stm32f103-own", "stm32f103", UC_CPU_ARM_CORTEX_M3, false, 100000, 100000},
    {"stm32f407-own", "stm32f407", UC_CPU_ARM_CORTEX_M4, true, 100000, 100000},
    {"stm32h743-own", "stm32h743", UC_CPU_ARM_CORTEX_M7, true, 100000, 100000},
};

static void test_lockstep(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
}

int main(void)
{
    RUN(test_lockstep);
    return CHECK_SUMMARY();
}
