/* The simulated core around the executor, driven as a debugger drives it: through SCS, FPB and DWT
 * registers on the bus, with the fixture firmware (or small hand-assembled programs) running. */
#include "check.h"
#include "sim_bus_check.h"
#include "elf_load.h"
#include "sim_target.h"

#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DEMCR 0xE000EDFCu
#define DFSR 0xE000ED30u
#define AIRCR 0xE000ED0Cu
#define VTOR 0xE000ED08u
#define KEY 0xA05F0000u
#define S_REGRDY (1u << 16)
#define S_HALT (1u << 17)
#define S_SLEEP (1u << 18)
#define S_LOCKUP (1u << 19)
#define S_RETIRE_ST (1u << 24)
#define S_RESET_ST (1u << 25)
#define MS 1000000000ull /* one millisecond in picoseconds */

static const char *const profiles[] = {"stm32f103", "stm32f407", "stm32h743"};

static uint32_t read_reg(sim_target *t, unsigned regsel)
{
    dbg_wr32(t, DCRSR, regsel);
    CHECK(dbg_rd32(t, DHCSR) & S_REGRDY);
    return dbg_rd32(t, DCRDR);
}

/* A target running the fixture from reset. */
static bool start_fixture(sim_target *t, const char *profile, elf_image *image)
{
    char path[512];
    snprintf(path, sizeof path, "%s/test/fixtures/firmware/build/%s.elf", BMP_SOURCE_DIR, profile);
    if (sim_target_init(t, profile) != SIM_OK || !elf_load_file(path, image)) return false;
    for (unsigned i = 0; i < image->count; i++)
        sim_target_load(t, image->segments[i].paddr, image->segments[i].data, image->segments[i].filesz);
    sim_target_reset(t, SIM_RESET_SYSTEM);
    return true;
}

static void stop_fixture(sim_target *t, elf_image *image)
{
    elf_free(image);
    sim_target_free(t);
}

static void test_fixture_runs_in_virtual_time(void)
{
    for (unsigned p = 0; p < 3; p++) {
        sim_target t;
        elf_image image;
        CHECK(start_fixture(&t, profiles[p], &image));
        uint32_t counter = elf_symbol(&image, "counter");
        uint64_t cycles0 = t.cpu.cycles;
        sim_target_advance(&t, MS);
        uint32_t a = dbg_rd32(&t, counter);
        sim_target_advance(&t, MS);
        uint32_t b = dbg_rd32(&t, counter);
        CHECK(a > 100);
        CHECK(b > a);
        /* about core_hz / 1000 cycles in 1 ms of virtual time */
        uint64_t per_ms = (t.cpu.cycles - cycles0) / 2;
        CHECK(per_ms > t.core_hz / 1000 * 9 / 10 && per_ms <= t.core_hz / 1000 + 16);
        stop_fixture(&t, &image);
    }
}

static void test_dhcsr_needs_key_and_halts(void)
{
    sim_target t;
    elf_image image;
    CHECK(start_fixture(&t, "stm32f407", &image));
    uint32_t counter = elf_symbol(&image, "counter");
    sim_target_advance(&t, MS);
    dbg_wr32(&t, DHCSR, 0x00000003); /* no key: ignored */
    CHECK(!(dbg_rd32(&t, DHCSR) & S_HALT));
    dbg_wr32(&t, DHCSR, KEY | 3);
    CHECK(dbg_rd32(&t, DHCSR) & S_HALT);
    CHECK(dbg_rd32(&t, DFSR) & 1); /* HALTED */
    uint32_t a = dbg_rd32(&t, counter);
    sim_target_advance(&t, MS);
    CHECK_EQ(dbg_rd32(&t, counter), a);
    /* the CPU cannot write DHCSR */
    CHECK_EQ(sim_bus_write(&t, DHCSR, 4, KEY | 1, SIM_MASTER_CPU), SIM_BUS_OK);
    CHECK(dbg_rd32(&t, DHCSR) & S_HALT);
    dbg_wr32(&t, DHCSR, KEY | 1); /* resume */
    sim_target_advance(&t, MS);
    CHECK(dbg_rd32(&t, counter) > a);
    stop_fixture(&t, &image);
}

static void test_register_transfer_and_sticky_status(void)
{
    sim_target t;
    elf_image image;
    CHECK(start_fixture(&t, "stm32f103", &image));
    CHECK(dbg_rd32(&t, DHCSR) & S_RESET_ST);
    CHECK(!(dbg_rd32(&t, DHCSR) & S_RESET_ST)); /* cleared by the read */
    sim_target_advance(&t, MS);
    CHECK(dbg_rd32(&t, DHCSR) & S_RETIRE_ST);
    dbg_wr32(&t, DCRSR, 15); /* while running: never ready */
    CHECK(!(dbg_rd32(&t, DHCSR) & S_REGRDY));
    dbg_wr32(&t, DHCSR, KEY | 3);
    CHECK_EQ(read_reg(&t, 15), t.cpu.r[15]);
    CHECK_EQ(read_reg(&t, 17), t.cpu.r[13]); /* MSP */
    dbg_wr32(&t, DCRDR, 0x12345678);
    dbg_wr32(&t, DCRSR, (1u << 16) | 4);
    CHECK(dbg_rd32(&t, DHCSR) & S_REGRDY);
    CHECK_EQ(t.cpu.r[4], 0x12345678);
    CHECK_EQ(read_reg(&t, 0x40), 0); /* no FPU on the F103: S0 reads as 0 */
    stop_fixture(&t, &image);
    /* the F407 (Cortex-M4F) holds S0-S31 and FPSCR */
    CHECK(start_fixture(&t, "stm32f407", &image));
    dbg_wr32(&t, DHCSR, KEY | 3);
    for (unsigned i = 0; i < 32; i++) {
        dbg_wr32(&t, DCRDR, 0x3F800000u + i);
        dbg_wr32(&t, DCRSR, (1u << 16) | (0x40 + i));
    }
    dbg_wr32(&t, DCRDR, 0x03C00000);
    dbg_wr32(&t, DCRSR, (1u << 16) | 0x21);
    for (unsigned i = 0; i < 32; i++) CHECK_EQ(read_reg(&t, 0x40 + i), 0x3F800000u + i);
    CHECK_EQ(read_reg(&t, 0x21), 0x03C00000);
    stop_fixture(&t, &image);
}

static void test_step_executes_one_instruction(void)
{
    sim_target t;
    elf_image image;
    CHECK(start_fixture(&t, "stm32f407", &image));
    sim_target_advance(&t, MS);
    dbg_wr32(&t, DHCSR, KEY | 3);
    for (unsigned i = 0; i < 50; i++) {
        uint32_t pc = t.cpu.r[15];
        uint16_t insn;
        sim_target_peek(&t, pc, (uint8_t *)&insn, 2);
        dbg_rd32(&t, DHCSR);         /* clear S_RETIRE_ST */
        dbg_wr32(&t, DHCSR, KEY | 5); /* C_STEP | C_DEBUGEN, C_HALT clear */
        sim_target_advance(&t, MS);
        uint32_t status = dbg_rd32(&t, DHCSR);
        CHECK(status & S_HALT);
        CHECK(status & S_RETIRE_ST);
        bool branch = (insn & 0xF000) == 0xD000 || (insn & 0xF800) == 0xE000 || (insn & 0xF800) == 0xF000 ||
                      (insn & 0xFF00) == 0xBD00 || (insn & 0xFF80) == 0x4700;
        if (!branch) CHECK_EQ(t.cpu.r[15], pc + 2);
    }
    stop_fixture(&t, &image);
}

static void test_semihosting_bkpt_halts_with_debugen(void)
{
    sim_target t;
    elf_image image;
    CHECK(start_fixture(&t, "stm32f103", &image));
    dbg_wr32(&t, DHCSR, KEY | 1);
    sim_target_reset(&t, SIM_RESET_SYSTEM); /* C_DEBUGEN survives: the BKPT 0xAB now halts */
    sim_target_advance(&t, MS);
    CHECK(dbg_rd32(&t, DHCSR) & S_HALT);
    CHECK(dbg_rd32(&t, DFSR) & 2); /* BKPT */
    uint16_t insn = 0;
    sim_target_peek(&t, t.cpu.r[15], (uint8_t *)&insn, 2);
    CHECK_EQ(insn, 0xBEAB);
    CHECK_EQ(t.cpu.r[0], 4); /* SYS_WRITE0 */
    /* without a debugger the handler skipped it: hardfault_count stays 0 */
    stop_fixture(&t, &image);
    CHECK(start_fixture(&t, "stm32f103", &image));
    sim_target_advance(&t, MS);
    CHECK_EQ(dbg_rd32(&t, elf_symbol(&image, "hardfault_count")), 0);
    CHECK(dbg_rd32(&t, elf_symbol(&image, "counter")) > 0);
    stop_fixture(&t, &image);
}

static void test_fpb_breakpoints(void)
{
    for (unsigned p = 0; p < 3; p++) {
        sim_target t;
        elf_image image;
        CHECK(start_fixture(&t, profiles[p], &image));
        uint32_t tick = elf_symbol(&image, "fixture_tick") & ~1u;
        sim_target_advance(&t, MS); /* past the start-up semihosting BKPT */
        dbg_wr32(&t, DHCSR, KEY | 1);
        uint32_t ctrl = dbg_rd32(&t, 0xE0002000);
        CHECK_EQ(ctrl >> 28, p == 2 ? 1 : 0); /* FPB revision */
        CHECK(((ctrl >> 4) & 0xF) >= 6);
        dbg_wr32(&t, 0xE0002000, 3); /* KEY | ENABLE */
        uint32_t comp = p == 2 ? (tick | 1) : ((tick & 0x1FFFFFFC) | ((tick & 2) ? 2u << 30 : 1u << 30) | 1);
        dbg_wr32(&t, 0xE0002008, comp);
        sim_target_advance(&t, MS);
        CHECK(dbg_rd32(&t, DHCSR) & S_HALT);
        CHECK(dbg_rd32(&t, DFSR) & 2);
        CHECK_EQ(t.cpu.r[15], tick);
        /* disabled comparator: runs on */
        dbg_wr32(&t, 0xE0002008, 0);
        dbg_wr32(&t, DFSR, 0x1F);
        dbg_wr32(&t, DHCSR, KEY | 1);
        sim_target_advance(&t, MS);
        CHECK(!(dbg_rd32(&t, DHCSR) & S_HALT));
        stop_fixture(&t, &image);
    }
}

static void test_dwt_watchpoints(void)
{
    static const struct { unsigned function; const char *what; } kinds[] = {{6, "write"}, {7, "access"}, {5, "read"}};
    for (unsigned k = 0; k < 3; k++) {
        sim_target t;
        elf_image image;
        CHECK(start_fixture(&t, "stm32f407", &image));
        uint32_t watched = elf_symbol(&image, "watched"), counter = elf_symbol(&image, "counter");
        sim_target_advance(&t, MS);
        dbg_wr32(&t, DHCSR, KEY | 1);
        dbg_wr32(&t, DEMCR, 1u << 24); /* TRCENA */
        CHECK_EQ(dbg_rd32(&t, 0xE0001000) >> 28, 4);
        uint32_t target = kinds[k].function == 5 ? counter : watched; /* the loop reads counter */
        dbg_wr32(&t, 0xE0001020, target);
        dbg_wr32(&t, 0xE0001024, 0);
        dbg_wr32(&t, 0xE0001028, kinds[k].function);
        sim_target_advance(&t, MS);
        CHECK(dbg_rd32(&t, DHCSR) & S_HALT);
        CHECK(dbg_rd32(&t, DFSR) & 4); /* DWTTRAP */
        CHECK(dbg_rd32(&t, 0xE0001028) & (1u << 24)); /* MATCHED, then cleared by the read */
        CHECK(!(dbg_rd32(&t, 0xE0001028) & (1u << 24)));
        if (kinds[k].function != 5) { /* halted right after the store to watched */
            uint32_t n = dbg_rd32(&t, counter);
            CHECK_EQ(n % 16, 0);
            CHECK(dbg_rd32(&t, watched) > n);
        }
        stop_fixture(&t, &image);
    }
    /* without TRCENA the comparators do nothing */
    sim_target t;
    elf_image image;
    CHECK(start_fixture(&t, "stm32f407", &image));
    sim_target_advance(&t, MS);
    dbg_wr32(&t, DHCSR, KEY | 1);
    dbg_wr32(&t, 0xE0001020, elf_symbol(&image, "watched"));
    dbg_wr32(&t, 0xE0001028, 6);
    sim_target_advance(&t, MS);
    CHECK(!(dbg_rd32(&t, DHCSR) & S_HALT));
    stop_fixture(&t, &image);
}

static void test_vector_catch_and_sysresetreq(void)
{
    for (unsigned p = 0; p < 3; p++) {
        sim_target t;
        elf_image image;
        CHECK(start_fixture(&t, profiles[p], &image));
        uint32_t reset_handler = elf_symbol(&image, "Reset_Handler") & ~1u;
        sim_target_advance(&t, MS);
        dbg_wr32(&t, DHCSR, KEY | 1);
        dbg_wr32(&t, DEMCR, 1); /* VC_CORERESET */
        dbg_rd32(&t, DHCSR);
        uint32_t resets = t.reset_count;
        dbg_wr32(&t, AIRCR, 0x05FA0004); /* SYSRESETREQ */
        CHECK_EQ(t.reset_count, resets + 1);
        uint32_t status = dbg_rd32(&t, DHCSR);
        CHECK(status & S_HALT);
        CHECK(status & S_RESET_ST);
        CHECK(status & 1); /* C_DEBUGEN survived */
        CHECK(dbg_rd32(&t, DFSR) & 8); /* VCATCH */
        CHECK_EQ(t.cpu.r[15], reset_handler);
        CHECK_EQ(dbg_rd32(&t, DEMCR) & 1, 1);
        /* wrong key: no reset */
        dbg_wr32(&t, AIRCR, 0x12340004);
        CHECK_EQ(t.reset_count, resets + 1);
        CHECK_EQ(dbg_rd32(&t, AIRCR) >> 16, 0xFA05);
        stop_fixture(&t, &image);
    }
}

static void test_systick_hardfault_and_maskints(void)
{
    sim_target t;
    elf_image image;
    CHECK(start_fixture(&t, "stm32f103", &image));
    uint32_t systick_count = elf_symbol(&image, "systick_count");
    sim_target_advance(&t, MS / 10); /* past the start-up code that clears .bss */
    dbg_wr32(&t, elf_symbol(&image, "systick_enable"), 1);
    sim_target_advance(&t, MS); /* 8000 cycles at 8 MHz, SysTick every 1000 */
    uint32_t ticks = dbg_rd32(&t, systick_count);
    if (!(ticks >= 5 && ticks <= 8)) fprintf(stderr, "  systick_count %u\n", ticks);
    CHECK(ticks >= 5 && ticks <= 8);
    dbg_wr32(&t, elf_symbol(&image, "fault_request"), 1);
    sim_target_advance(&t, MS);
    CHECK_EQ(dbg_rd32(&t, elf_symbol(&image, "hardfault_count")), 1);
    CHECK_EQ(dbg_rd32(&t, elf_symbol(&image, "fault_request")), 0);
    /* stepping with C_MASKINTS never enters the SysTick handler */
    dbg_wr32(&t, DHCSR, KEY | 3);
    dbg_wr32(&t, DHCSR, KEY | 0xB); /* C_MASKINTS | C_HALT | C_DEBUGEN */
    uint32_t before = dbg_rd32(&t, systick_count);
    for (unsigned i = 0; i < 3000; i++) {
        dbg_wr32(&t, DHCSR, KEY | 0xD); /* step with C_MASKINTS */
        sim_target_advance(&t, MS / 100);
        CHECK((t.cpu.xpsr & 0x1FF) == 0);
    }
    CHECK_EQ(dbg_rd32(&t, systick_count), before);
    CHECK(dbg_rd32(&t, 0xE000ED04) & (1u << 26)); /* PENDSTSET: it is pending, just masked */
    dbg_wr32(&t, DHCSR, KEY | 1);
    sim_target_advance(&t, MS);
    CHECK(dbg_rd32(&t, systick_count) > before);
    stop_fixture(&t, &image);
}

static void test_cyccnt(void)
{
    sim_target t;
    elf_image image;
    CHECK(start_fixture(&t, "stm32f407", &image));
    CHECK_EQ(dbg_rd32(&t, 0xE0001004), 0);
    dbg_wr32(&t, DEMCR, 1u << 24);
    dbg_wr32(&t, 0xE0001000, 1); /* CYCCNTENA */
    sim_target_advance(&t, MS);
    uint32_t n = dbg_rd32(&t, 0xE0001004);
    CHECK(n > 15000 && n <= 16020); /* 16 MHz */
    dbg_wr32(&t, DHCSR, KEY | 3);
    sim_target_advance(&t, MS);
    CHECK(dbg_rd32(&t, 0xE0001004) - n < 200); /* halted: no counting */
    stop_fixture(&t, &image);
}

/* Hand-assembled: vector table in SRAM, a WFI loop, and a HardFault handler that faults. */
static void test_wfi_sleep_and_lockup(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    const uint32_t base = 0x20000000;
    uint32_t vectors[16] = {0x20004000, base + 0x101, 0, base + 0x121};
    vectors[15] = base + 0x111; /* SysTick: bx lr */
    sim_target_load(&t, base, (const uint8_t *)vectors, sizeof vectors);
    const uint16_t loop[] = {0xBF30, 0x3001, 0xE7FC}; /* 0x100: wfi; adds r0,#1; b 0x100 */
    const uint16_t systick[] = {0x4770};             /* 0x110: bx lr */
    const uint16_t hardfault[] = {0xDE00};           /* 0x120: udf #0 */
    sim_target_load(&t, base + 0x100, (const uint8_t *)loop, sizeof loop);
    sim_target_load(&t, base + 0x110, (const uint8_t *)systick, sizeof systick);
    sim_target_load(&t, base + 0x120, (const uint8_t *)hardfault, sizeof hardfault);
    dbg_wr32(&t, DHCSR, KEY | 3);
    dbg_wr32(&t, VTOR, base);
    sim_cpu_load_reset_vector(&t, base);
    dbg_wr32(&t, 0xE000E014, 7999); /* SysTick every 1 ms at 8 MHz */
    dbg_wr32(&t, 0xE000E010, 7);
    dbg_wr32(&t, DHCSR, KEY | 1);
    sim_target_advance(&t, MS / 2);
    CHECK(dbg_rd32(&t, DHCSR) & S_SLEEP);
    CHECK_EQ(t.cpu.r[0], 0);
    sim_target_advance(&t, 10 * MS);
    CHECK(t.cpu.r[0] >= 9 && t.cpu.r[0] <= 11); /* woke once per SysTick */
    /* a fault in thread mode enters the HardFault handler, whose UDF locks up */
    const uint16_t udf = 0xDE00;
    sim_target_load(&t, base + 0x102, (const uint8_t *)&udf, 2);
    sim_target_advance(&t, 2 * MS);
    CHECK(dbg_rd32(&t, DHCSR) & S_LOCKUP);
    CHECK_EQ(t.cpu.r[15], 0xFFFFFFFE);
    sim_target_free(&t);
}

int main(void)
{
    RUN(test_fixture_runs_in_virtual_time);
    RUN(test_dhcsr_needs_key_and_halts);
    RUN(test_register_transfer_and_sticky_status);
    RUN(test_step_executes_one_instruction);
    RUN(test_semihosting_bkpt_halts_with_debugen);
    RUN(test_fpb_breakpoints);
    RUN(test_dwt_watchpoints);
    RUN(test_vector_catch_and_sysresetreq);
    RUN(test_systick_hardfault_and_maskints);
    RUN(test_cyccnt);
    RUN(test_wfi_sleep_and_lockup);
    return CHECK_SUMMARY();
}
