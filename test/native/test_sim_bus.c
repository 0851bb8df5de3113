/* The simulator's bus: address decoding, the device-ID block, DBGMCU and the back doors. */
#include "check.h"
#include "sim_target.h"

static void test_profiles_exist(void)
{
    CHECK(sim_profile_find("stm32f103") != NULL);
    CHECK(sim_profile_find("stm32f407") != NULL);
    CHECK(sim_profile_find("stm32h743") != NULL);
    CHECK(sim_profile_find("stm32f999") == NULL);
    CHECK(sim_profile_find(NULL) == NULL);
}

static void test_unknown_profile_fails(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "nope"), SIM_ERR_PROFILE);
}

static void test_ram_round_trip_and_widths(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    uint32_t v = 0;
    CHECK_EQ(sim_bus_write(&t, 0x20000100, 4, 0x11223344, SIM_MASTER_CPU), SIM_BUS_OK);
    CHECK_EQ(sim_bus_read(&t, 0x20000100, 1, &v, SIM_MASTER_CPU), SIM_BUS_OK);
    CHECK_EQ(v, 0x44);
    CHECK_EQ(sim_bus_read(&t, 0x20000102, 2, &v, SIM_MASTER_DEBUG), SIM_BUS_OK);
    CHECK_EQ(v, 0x1122);
    CHECK_EQ(sim_bus_write(&t, 0x20000101, 1, 0xAA, SIM_MASTER_DEBUG), SIM_BUS_OK);
    CHECK_EQ(sim_bus_read(&t, 0x20000100, 4, &v, SIM_MASTER_CPU), SIM_BUS_OK);
    CHECK_EQ(v, 0x1122AA44);
    sim_target_free(&t);
}

static void test_faults(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    uint32_t v;
    /* unmapped: F103 has 20 KiB of SRAM */
    CHECK_EQ(sim_bus_read(&t, 0x20005000, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_FAULT);
    CHECK_EQ(sim_bus_read(&t, 0x60000000, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_FAULT);
    /* misaligned and odd sizes */
    CHECK_EQ(sim_bus_read(&t, 0x20000002, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_FAULT);
    CHECK_EQ(sim_bus_read(&t, 0x20000000, 3, &v, SIM_MASTER_DEBUG), SIM_BUS_FAULT);
    /* last word of SRAM is fine */
    CHECK_EQ(sim_bus_read(&t, 0x20004FFC, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_OK);
    sim_target_free(&t);
}

static void test_identity_registers(void)
{
    static const struct { const char *name; uint32_t idcode_addr, idcode, fsize_addr, kib; } cases[] = {
        {"stm32f103", 0xE0042000, 0x20036410, 0x1FFFF7E0, 128},
        {"stm32f407", 0xE0042000, 0x10076413, 0x1FFF7A22, 1024},
        {"stm32h743", 0x5C001000, 0x10036450, 0x1FF1E880, 2048},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_target t;
        CHECK_EQ(sim_target_init(&t, cases[i].name), SIM_OK);
        uint32_t v = 0;
        CHECK_EQ(sim_bus_read(&t, cases[i].idcode_addr, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_OK);
        CHECK_EQ(v & 0xFFF, cases[i].idcode & 0xFFF);
        CHECK_EQ(sim_bus_read(&t, cases[i].fsize_addr, 2, &v, SIM_MASTER_DEBUG), SIM_BUS_OK);
        CHECK_EQ(v, cases[i].kib);
        /* the ID registers are read-only */
        CHECK_EQ(sim_bus_write(&t, cases[i].fsize_addr, 2, 0x1234, SIM_MASTER_DEBUG), SIM_BUS_OK);
        CHECK_EQ(sim_bus_read(&t, cases[i].fsize_addr, 2, &v, SIM_MASTER_DEBUG), SIM_BUS_OK);
        CHECK_EQ(v, cases[i].kib);
        sim_target_free(&t);
    }
}

static void test_h7_debug_bus_dbgmcu_is_debug_only(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32h743"), SIM_OK);
    uint32_t v = 0;
    CHECK_EQ(sim_bus_read(&t, 0xE00E1000, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_OK);
    CHECK_EQ(v & 0xFFF, 0x450);
    CHECK_EQ(sim_bus_read(&t, 0xE00E1000, 4, &v, SIM_MASTER_CPU), SIM_BUS_FAULT);
    sim_target_free(&t);
}

static void test_backdoor_load_spans_regions(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f407"), SIM_OK);
    uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8}, back[8] = {0};
    CHECK_EQ(sim_target_load(&t, 0x08000000, data, sizeof data), SIM_OK);
    CHECK_EQ(sim_target_peek(&t, 0x00000000, back, sizeof back), SIM_OK); /* boot alias */
    CHECK(memcmp(data, back, sizeof data) == 0);
    CHECK_EQ(sim_target_load(&t, 0x2001FFFC, data, 8), SIM_ERR_RANGE); /* runs off the end of SRAM */
    sim_target_free(&t);
}

static void test_time_conversions(void)
{
    CHECK_EQ(sim_time_cycles_to_ps(1, 1000000), 1000000);
    CHECK_EQ(sim_time_cycles_to_ps(1, 3), 333333333334ull);
    CHECK_EQ(sim_time_ps_to_cycles(1000000, 1000000), 1);
    CHECK_EQ(sim_time_ps_to_cycles(999999, 1000000), 0);
    /* a full day at 480 MHz does not overflow */
    CHECK_EQ(sim_time_ps_to_cycles(86400ull * SIM_PS_PER_SECOND, 480000000), 86400ull * 480000000);
}

int main(void)
{
    RUN(test_profiles_exist);
    RUN(test_unknown_profile_fails);
    RUN(test_ram_round_trip_and_widths);
    RUN(test_faults);
    RUN(test_identity_registers);
    RUN(test_h7_debug_bus_dbgmcu_is_debug_only);
    RUN(test_backdoor_load_spans_regions);
    RUN(test_time_conversions);
    return CHECK_SUMMARY();
}
