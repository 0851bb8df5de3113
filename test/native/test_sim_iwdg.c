/* The independent watchdog (sim_iwdg.c): its registers' keys and write protection, the time it
 * takes to bite at the LSI clock and prescaler, reloads, the reset it causes, and the debugger's
 * freeze bit; parts without a modelled IWDG fault at its address. */
#include "check.h"
#include "sim_bus_check.h"
#include "sim_target.h"

#define IWDG 0x40003000u
#define KR (IWDG + 0x0)
#define PR (IWDG + 0x4)
#define RLR (IWDG + 0x8)
#define SR (IWDG + 0xC)
#define WINR (IWDG + 0x10)
#define DHCSR 0xE000EDF0u
#define MS 1000000000ull /* picoseconds */

/* The HAL's order: start, unlock, the reload value, reload (PR stays 0: LSI / 4). */
static void start_reloaded(sim_target *t, uint32_t rlr)
{
    dbg_wr32(t, KR, 0xCCCC);
    dbg_wr32(t, KR, 0x5555);
    dbg_wr32(t, RLR, rlr);
    dbg_wr32(t, KR, 0xAAAA);
}

static void test_registers_and_keys(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    CHECK_EQ(dbg_rd32(&t, PR), 0);
    CHECK_EQ(dbg_rd32(&t, RLR), 0xFFF);
    CHECK_EQ(dbg_rd32(&t, SR), 0);
    dbg_wr32(&t, PR, 3);
    dbg_wr32(&t, RLR, 0x123);
    CHECK_EQ(dbg_rd32(&t, PR), 0); /* locked: ignored */
    CHECK_EQ(dbg_rd32(&t, RLR), 0xFFF);
    dbg_wr32(&t, KR, 0x5555);
    dbg_wr32(&t, PR, 0xFF);
    dbg_wr32(&t, RLR, 0xF123);
    CHECK_EQ(dbg_rd32(&t, PR), 7);
    CHECK_EQ(dbg_rd32(&t, RLR), 0x123);
    CHECK_EQ(dbg_rd32(&t, KR), 0); /* KR reads as zero */
    dbg_wr32(&t, KR, 0xAAAA); /* a reload locks again */
    dbg_wr32(&t, RLR, 0x456);
    CHECK_EQ(dbg_rd32(&t, RLR), 0x123);
    CHECK(!t.iwdg.started); /* reloading does not start it */
    sim_target_advance(&t, 60000 * MS);
    CHECK_EQ(t.iwdg.bites, 0);
    sim_target_free(&t);
}

/* Started, it counts down from 0xFFF whatever RLR holds (only a reload loads RLR): at PR 0
 * (LSI / 4) that is 4096 ticks, 512 ms at 32 kHz, 409.6 ms at 40 kHz (F1). A second start key
 * does not reload it. */
static void check_start(const char *profile, uint64_t timeout_ps)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, profile), SIM_OK);
    uint32_t resets = t.reset_count;
    dbg_wr32(&t, KR, 0x5555);
    dbg_wr32(&t, RLR, 99);
    dbg_wr32(&t, KR, 0xCCCC);
    CHECK(t.iwdg.started);
    sim_target_advance(&t, timeout_ps / 2);
    dbg_wr32(&t, KR, 0xCCCC); /* no reload */
    sim_target_advance(&t, timeout_ps / 2 - MS);
    CHECK_EQ(t.reset_count, resets);
    sim_target_advance(&t, 2 * MS);
    CHECK_EQ(t.reset_count, resets + 1);
    CHECK_EQ(t.iwdg.bites, 1);
    /* the reset stopped it and restored its registers */
    CHECK(!t.iwdg.started);
    CHECK_EQ(dbg_rd32(&t, RLR), 0xFFF);
    sim_target_advance(&t, 60000 * MS);
    CHECK_EQ(t.reset_count, resets + 1);
    sim_target_free(&t);
}

static void test_start_f407(void) { check_start("stm32f407", 512 * MS); }
static void test_start_f103(void) { check_start("stm32f103", 409600000000ull); }

/* A reload loads RLR: PR 0, RLR 99 is 100 ticks of 125 us at 32 kHz, 12.5 ms. */
static void test_reload(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    start_reloaded(&t, 99);
    sim_target_advance(&t, 12 * MS);
    dbg_wr32(&t, KR, 0xAAAA); /* fed in time */
    dbg_wr32(&t, KR, 0x5555);
    dbg_wr32(&t, RLR, 0xFFF); /* a new RLR applies from the next reload on, not to this count */
    sim_target_advance(&t, 12 * MS);
    CHECK_EQ(t.iwdg.bites, 0);
    sim_target_advance(&t, 1 * MS);
    CHECK_EQ(t.iwdg.bites, 1);
    sim_target_free(&t);
}

/* A program that feeds the watchdog in a loop is never reset, however long one advance is; the
 * same watchdog bites once the core is halted (no freeze bit), at its deadline. */
static void test_fed_by_a_program(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    /* 0x20000000: ldr r0, =IWDG_KR; ldr r1, =0xAAAA; 1: str r1, [r0]; b 1b */
    static const uint8_t code[] = {0x02, 0x48, 0x03, 0x49, 0x01, 0x60, 0xFD, 0xE7, 0x00, 0xBF, 0x00, 0xBF,
                                   0x00, 0x30, 0x00, 0x40, 0xAA, 0xAA, 0x00, 0x00};
    static const uint8_t vectors[] = {0x00, 0x10, 0x00, 0x20, 0x01, 0x00, 0x00, 0x20};
    CHECK_EQ(sim_target_load(&t, 0x08000000, vectors, sizeof vectors), SIM_OK);
    CHECK_EQ(sim_target_load(&t, 0x20000000, code, sizeof code), SIM_OK);
    sim_target_reset(&t, SIM_RESET_SYSTEM);
    start_reloaded(&t, 99);
    sim_target_advance(&t, 10000 * MS); /* 10 s in one slice, 800 timeouts' worth */
    CHECK_EQ(t.iwdg.bites, 0);
    CHECK(!t.core.halted && !t.core.lockup);
    dbg_wr32(&t, DHCSR, 0xA05F0003);
    sim_target_advance(&t, 1000 * MS);
    CHECK_EQ(t.iwdg.bites, 1);
    /* the reset came 12.5 ms after the last feed, and the chip ran on from its reset vector */
    CHECK(!t.iwdg.started);
    sim_target_free(&t);
}

/* The window option (L4, G0, F7): writing WINR reloads; a refresh while the counter is still
 * above WINR resets the chip. */
static void test_window(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32l476"), SIM_OK);
    CHECK_EQ(dbg_rd32(&t, WINR), 0xFFF);
    dbg_wr32(&t, KR, 0xCCCC);
    dbg_wr32(&t, KR, 0x5555);
    dbg_wr32(&t, RLR, 99);
    dbg_wr32(&t, WINR, 50); /* reloads: 100 ticks from here */
    CHECK_EQ(dbg_rd32(&t, WINR), 50);
    sim_target_advance(&t, 7 * MS); /* 56 ticks: the counter is at 43, inside the window */
    dbg_wr32(&t, KR, 0xAAAA);
    CHECK_EQ(t.iwdg.bites, 0);
    sim_target_advance(&t, 1 * MS); /* 8 ticks: 91, above the window */
    dbg_wr32(&t, KR, 0xAAAA);
    CHECK_EQ(t.iwdg.bites, 1);
    sim_target_free(&t);
    /* without the option (F4) there is no WINR */
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    CHECK_EQ(dbg_rd32(&t, WINR), 0);
    sim_target_free(&t);
}

/* A larger prescaler: PR 6 and 7 both divide by 256; RLR 0xFFF is the longest, 32.768 s at 32 kHz. */
static void test_longest_timeout(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32l476"), SIM_OK);
    dbg_wr32(&t, KR, 0x5555);
    dbg_wr32(&t, PR, 7);
    dbg_wr32(&t, KR, 0xCCCC);
    sim_target_advance(&t, 32767 * MS);
    CHECK_EQ(t.iwdg.bites, 0);
    sim_target_advance(&t, 2 * MS);
    CHECK_EQ(t.iwdg.bites, 1);
    sim_target_free(&t);
}

/* Halted by the debugger, the IWDG runs on unless DBG_IWDG_STOP is set (F4: APB1_FZ bit 12;
 * F1: DBGMCU_CR bit 8). */
static void check_freeze(const char *profile, uint32_t freeze_reg, uint32_t freeze_bit)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, profile), SIM_OK);
    CHECK_EQ(sim_bus_write(&t, DHCSR, 4, 0xA05F0003, SIM_MASTER_DEBUG), SIM_BUS_OK); /* C_DEBUGEN | C_HALT */
    sim_target_advance(&t, MS);
    CHECK(t.core.halted);
    CHECK_EQ(sim_bus_write(&t, freeze_reg, 4, freeze_bit, SIM_MASTER_DEBUG), SIM_BUS_OK);
    start_reloaded(&t, 99);
    sim_target_advance(&t, 1000 * MS);
    CHECK_EQ(t.iwdg.bites, 0); /* frozen while halted */
    CHECK_EQ(sim_bus_write(&t, freeze_reg, 4, 0, SIM_MASTER_DEBUG), SIM_BUS_OK);
    sim_target_advance(&t, 20 * MS);
    CHECK_EQ(t.iwdg.bites, 1); /* not frozen: it bites a halted core too */
    sim_target_free(&t);
}

static void test_freeze_f407(void) { check_freeze("stm32f407", 0xE0042008, 1u << 12); }
static void test_freeze_f103(void) { check_freeze("stm32f103", 0xE0042004, 1u << 8); }
static void test_freeze_g071(void) { check_freeze("stm32g071", 0x40015808, 1u << 12); }

/* Parts whose IWDG is not modelled (the H7's IWDG1 is elsewhere; the nRF52 and RP2040 have other
 * watchdogs): nothing answers at 0x40003000. */
static void test_not_modelled(void)
{
    static const char *const profiles[] = {"stm32h743", "nrf52840", "rp2040"};
    for (unsigned i = 0; i < 3; i++) {
        sim_target t;
        CHECK_EQ(sim_target_init(&t, profiles[i]), SIM_OK);
        uint32_t v;
        CHECK_EQ(sim_bus_read(&t, KR, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_FAULT);
        sim_target_free(&t);
    }
}

int main(void)
{
    RUN(test_registers_and_keys);
    RUN(test_start_f407);
    RUN(test_start_f103);
    RUN(test_reload);
    RUN(test_fed_by_a_program);
    RUN(test_window);
    RUN(test_longest_timeout);
    RUN(test_freeze_f407);
    RUN(test_freeze_f103);
    RUN(test_freeze_g071);
    RUN(test_not_modelled);
    return CHECK_SUMMARY();
}
