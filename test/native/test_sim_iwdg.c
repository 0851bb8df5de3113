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
#define DHCSR 0xE000EDF0u
#define MS 1000000000ull /* picoseconds */

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

/* PR 0 (LSI / 4), RLR 99: 100 ticks of 125 us at 32 kHz is 12.5 ms; at 40 kHz (F1) 10 ms. */
static void check_timeout(const char *profile, uint64_t timeout_ps)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, profile), SIM_OK);
    uint32_t resets = t.reset_count;
    dbg_wr32(&t, KR, 0x5555);
    dbg_wr32(&t, PR, 0);
    dbg_wr32(&t, RLR, 99);
    dbg_wr32(&t, KR, 0xCCCC);
    CHECK(t.iwdg.started);
    sim_target_advance(&t, timeout_ps - MS);
    CHECK_EQ(t.reset_count, resets);
    dbg_wr32(&t, KR, 0xAAAA); /* fed in time: the count starts again */
    sim_target_advance(&t, timeout_ps - MS);
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

static void test_timeout_f407(void) { check_timeout("stm32f407", 12500000000ull); }
static void test_timeout_f103(void) { check_timeout("stm32f103", 10000000000ull); }

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
    dbg_wr32(&t, KR, 0x5555);
    dbg_wr32(&t, RLR, 99);
    dbg_wr32(&t, KR, 0xCCCC);
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
    RUN(test_timeout_f407);
    RUN(test_timeout_f103);
    RUN(test_longest_timeout);
    RUN(test_freeze_f407);
    RUN(test_freeze_f103);
    RUN(test_freeze_g071);
    RUN(test_not_modelled);
    return CHECK_SUMMARY();
}
