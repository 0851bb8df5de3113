/* The Cortex-M layer over both links, on each profile running the fixture firmware: attach,
 * halt, registers (FPU ones where present), step, breakpoints and watchpoints with their halt
 * reasons, and reset-and-halt. */
#include "check.h"
#include "fixture_target.h"

static const char *const profiles[] = {"stm32f103", "stm32f407", "stm32h743"};
static const cortexm_core cores[] = {CORTEXM_M3, CORTEXM_M4, CORTEXM_M7};

static void each(void (*fn)(const char *profile, unsigned index, bool over_dap))
{
    for (unsigned link = 0; link < 2; link++)
        for (unsigned p = 0; p < 3; p++) fn(profiles[p], p, link == 1);
}

static void identify_halt_registers(const char *profile, unsigned p, bool over_dap)
{
    CHECK(open_fixture(profile, over_dap));
    CHECK_EQ(core.core, cores[p]);
    CHECK_EQ(core.has_fpu, p != 0);
    CHECK_EQ(core.fpb_revision, p == 2 ? 2 : 1);
    CHECK_EQ(cortexm_halt(&core), BMP_OK);
    cortexm_halt_reason reason;
    CHECK_EQ(cortexm_halt_reason_of(&core, &reason, NULL), BMP_OK);
    CHECK_EQ(reason, CORTEXM_HALT_REQUEST);
    uint32_t pc = 0;
    CHECK_EQ(cortexm_read_register(&core, 15, &pc), BMP_OK);
    CHECK_EQ(pc, t.cpu.r[15]);
    for (unsigned r = 0; r <= 12; r++) CHECK_EQ(cortexm_write_register(&core, r, 0x1000 + r), BMP_OK);
    uint32_t v = 0;
    CHECK_EQ(cortexm_read_register(&core, 7, &v), BMP_OK);
    CHECK_EQ(v, 0x1007);
    if (core.has_fpu) {
        CHECK_EQ(cortexm_write_register(&core, 0x45, 0x40490FDB), BMP_OK); /* S5 = pi */
        CHECK_EQ(cortexm_read_register(&core, 0x45, &v), BMP_OK);
        CHECK_EQ(v, 0x40490FDB);
    } else {
        CHECK_EQ(cortexm_read_register(&core, 0x45, &v), BMP_ERR_INVALID);
    }
    /* The batched read gives what one-by-one reads give, the FPU ones included. */
    unsigned sels[24] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 0x21, 0x44, 0x45, 0x46};
    unsigned n = core.has_fpu ? 24 : 20;
    uint32_t batch[24] = {0}, single = 0;
    CHECK_EQ(cortexm_read_registers(&core, sels, n, batch), BMP_OK);
    for (unsigned i = 0; i < n; i++) {
        CHECK_EQ(cortexm_read_register(&core, sels[i], &single), BMP_OK);
        CHECK_EQ(batch[i], single);
    }
    CHECK_EQ(batch[7], 0x1007);
    if (!core.has_fpu) CHECK_EQ(cortexm_read_registers(&core, sels, 24, batch), BMP_ERR_INVALID);
    close_fixture();
}

static void step_breakpoint_watchpoint_reset(const char *profile, unsigned p, bool over_dap)
{
    (void)p;
    CHECK(open_fixture(profile, over_dap));
    uint32_t tick = elf_symbol(&image, "fixture_tick") & ~1u, watched = elf_symbol(&image, "watched");
    CHECK_EQ(cortexm_halt(&core), BMP_OK);
    /* a step moves the PC by one instruction (or to a branch target) and reports STEP */
    uint32_t before = 0, after = 0;
    cortexm_read_register(&core, 15, &before);
    CHECK_EQ(cortexm_step(&core, true), BMP_OK);
    cortexm_read_register(&core, 15, &after);
    CHECK(after != before);
    cortexm_halt_reason reason;
    cortexm_halt_reason_of(&core, &reason, NULL);
    CHECK_EQ(reason, CORTEXM_HALT_STEP);
    /* breakpoint */
    CHECK_EQ(cortexm_set_breakpoint(&core, tick), BMP_OK);
    CHECK_EQ(cortexm_resume(&core), BMP_OK);
    sim_target_advance(&t, 1000000000ull);
    CHECK_EQ(cortexm_halt_reason_of(&core, &reason, NULL), BMP_OK);
    CHECK_EQ(reason, CORTEXM_HALT_BREAKPOINT);
    CHECK_EQ(t.cpu.r[15], tick);
    CHECK_EQ(cortexm_clear_breakpoint(&core, tick), BMP_OK);
    /* write watchpoint on `watched` */
    CHECK_EQ(cortexm_set_watchpoint(&core, watched, 4, CORTEXM_WATCH_WRITE), BMP_OK);
    CHECK_EQ(cortexm_resume(&core), BMP_OK);
    sim_target_advance(&t, 1000000000ull);
    uint32_t where = 0;
    CHECK_EQ(cortexm_halt_reason_of(&core, &reason, &where), BMP_OK);
    CHECK_EQ(reason, CORTEXM_HALT_WATCHPOINT);
    CHECK_EQ(where, watched);
    CHECK_EQ(cortexm_clear_watchpoint(&core, watched, 4), BMP_OK);
    CHECK_EQ(cortexm_set_watchpoint(&core, watched + 1, 4, CORTEXM_WATCH_WRITE), BMP_ERR_INVALID);
    /* reset and halt: stops at the reset handler */
    CHECK_EQ(cortexm_reset(&core, true), BMP_OK);
    CHECK_EQ(cortexm_halt_reason_of(&core, &reason, NULL), BMP_OK);
    CHECK_EQ(reason, CORTEXM_HALT_VECTOR_CATCH);
    uint32_t pc = 0;
    cortexm_read_register(&core, 15, &pc);
    CHECK_EQ(pc, elf_symbol(&image, "Reset_Handler") & ~1u);
    /* the same through the nRST pin */
    uint32_t resets = t.reset_count;
    CHECK_EQ(cortexm_resume(&core), BMP_OK);
    CHECK_EQ(cortexm_reset_pin(&core, true), BMP_OK);
    CHECK_EQ(t.reset_count, resets + 1);
    CHECK_EQ(cortexm_halt_reason_of(&core, &reason, NULL), BMP_OK);
    CHECK_EQ(reason, CORTEXM_HALT_VECTOR_CATCH);
    CHECK_EQ(t.cpu.r[15], elf_symbol(&image, "Reset_Handler") & ~1u);
    CHECK_EQ(cortexm_detach(&core), BMP_OK);
    close_fixture();
}

/* The batched step against the simulator's own state, instruction after instruction through
 * the fixture (calls, returns, stores to the stack): the registers it read, the memory windows it
 * read after the halt, the halt reason; stepping off an FPB breakpoint at the PC; a watchpoint
 * hit by a step reported as such. */
static void batched_steps(const char *profile, unsigned p, bool over_dap)
{
    (void)p;
    CHECK(open_fixture(profile, over_dap));
    uint32_t watched = elf_symbol(&image, "watched");
    CHECK_EQ(cortexm_halt(&core), BMP_OK);
    static const unsigned sels[20] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20};
    uint32_t values[20], code[15], stack[30];
    uint8_t expect[120];
    unsigned watch_hits = 0;
    for (unsigned n = 0; n < 400; n++) {
        uint32_t pc = t.cpu.r[15], sp = t.cpu.r[13];
        if (n == 50) CHECK_EQ(cortexm_set_breakpoint(&core, pc), BMP_OK); /* step off it */
        if (n == 60) cortexm_clear_breakpoint(&core, core.breakpoint_at[0] & ~1u);
        if (n == 100) CHECK_EQ(cortexm_set_watchpoint(&core, watched, 4, CORTEXM_WATCH_WRITE), BMP_OK);
        cortexm_step_batch b = {.regsel = sels, .count = 20, .values = values, .pc_known = n % 2 == 0, .pc = pc};
        b.windows[0].addr = (pc & ~3u) - 24;
        b.windows[0].words = 15;
        b.windows[0].data = code;
        /* the stack window: from 64 bytes below SP, inside the RAM that holds the stack */
        uint32_t ram_start = 0, ram_end = 0;
        for (unsigned m = 0; m < t.profile->memory_count; m++) {
            const sim_memory_desc *d = &t.profile->memories[m];
            if (sp > d->base && sp - d->base <= d->size) ram_start = d->base, ram_end = d->base + d->size;
        }
        CHECK(ram_end != 0);
        uint32_t from = (sp & ~3u) - 64 < ram_start ? ram_start : (sp & ~3u) - 64;
        b.windows[1].addr = from;
        b.windows[1].words = ram_end - from < 120 ? (ram_end - from) / 4 : 30;
        b.windows[1].data = stack;
        b.window_count = 2;
        CHECK_EQ(cortexm_step_batched(&core, true, &b), BMP_OK);
        CHECK(b.windows_read);
        for (unsigned r = 0; r < 16; r++) CHECK_EQ(values[r], t.cpu.r[r]);
        CHECK_EQ(values[16], t.cpu.xpsr);
        CHECK_EQ(sim_target_peek(&t, b.windows[0].addr, expect, 60), SIM_OK);
        for (unsigned i = 0; i < 60; i++) CHECK_EQ((uint8_t)(code[i / 4] >> (8 * (i % 4))), expect[i]);
        CHECK_EQ(sim_target_peek(&t, b.windows[1].addr, expect, 4 * b.windows[1].words), SIM_OK);
        for (unsigned i = 0; i < 4 * b.windows[1].words; i++) CHECK_EQ((uint8_t)(stack[i / 4] >> (8 * (i % 4))), expect[i]);
        cortexm_halt_reason reason;
        uint32_t where = 0;
        CHECK_EQ(cortexm_halt_reason_from(&core, b.dhcsr, b.dfsr, &reason, &where), BMP_OK);
        if (reason == CORTEXM_HALT_WATCHPOINT) {
            CHECK_EQ(where, watched);
            watch_hits++;
        } else {
            CHECK_EQ(reason, CORTEXM_HALT_STEP);
        }
    }
    CHECK(watch_hits >= 1); /* the fixture writes `watched` in its loop */
    close_fixture();
}

static void test_batched_steps(void) { each(batched_steps); }

static void test_identify_halt_and_registers(void) { each(identify_halt_registers); }
static void test_step_breakpoints_watchpoints_reset(void) { each(step_breakpoint_watchpoint_reset); }

int main(void)
{
    RUN(test_identify_halt_and_registers);
    RUN(test_step_breakpoints_watchpoints_reset);
    RUN(test_batched_steps);
    return CHECK_SUMMARY();
}
