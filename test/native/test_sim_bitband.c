/* Bit-banding (sim_bitband.c): the SRAM and peripheral alias regions of the Cortex-M3/M4 parts,
 * for the core's loads and stores and for the debugger's accesses; none on the Cortex-M7 parts. */
#include "check.h"
#include "sim_bus_check.h"

#define bus_rd32(t, addr, m) bus_rd(t, addr, 4, m)
#include "sim_bitband.h"
#include "sim_target.h"

static void test_alias_addresses(void)
{
    /* the examples of the Cortex-M3 TRM's bit-band mapping figure */
    CHECK_EQ(sim_bitband_alias(0x200FFFFF, 0), 0x23FFFFE0);
    CHECK_EQ(sim_bitband_alias(0x200FFFFF, 7), 0x23FFFFFC);
    CHECK_EQ(sim_bitband_alias(0x20000000, 7), 0x2200001C);
    CHECK_EQ(sim_bitband_alias(0x40021018, 2), 0x42420308);
    CHECK_EQ(sim_bitband_alias(0x20100000, 0), 0);
    CHECK_EQ(sim_bitband_alias(0x10000000, 0), 0);
}

/* Word alias accesses set, clear and read single bits of SRAM, from either master. */
static void check_sram_bits(const char *profile)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, profile), SIM_OK);
    const sim_master masters[2] = {SIM_MASTER_CPU, SIM_MASTER_DEBUG};
    for (unsigned i = 0; i < 2; i++) {
        sim_master m = masters[i];
        CHECK_EQ(sim_bus_write(&t, 0x20000010, 4, 0x0000FF00, m), SIM_BUS_OK);
        CHECK_EQ(sim_bus_write(&t, sim_bitband_alias(0x20000010, 5), 4, 0xFFFFFFF1, m), SIM_BUS_OK);
        CHECK_EQ(bus_rd32(&t, 0x20000010, m), 0x0000FF20);
        CHECK_EQ(sim_bus_write(&t, sim_bitband_alias(0x20000013, 7), 4, 1, m), SIM_BUS_OK);
        CHECK_EQ(bus_rd32(&t, 0x20000010, m), 0x8000FF20);
        CHECK_EQ(sim_bus_write(&t, sim_bitband_alias(0x20000011, 3), 4, 0xFFFFFFFE, m), SIM_BUS_OK);
        CHECK_EQ(bus_rd32(&t, 0x20000010, m), 0x8000F720); /* bit 0 of the value decides */
        CHECK_EQ(bus_rd32(&t, sim_bitband_alias(0x20000010, 5), m), 1);
        CHECK_EQ(bus_rd32(&t, sim_bitband_alias(0x20000010, 4), m), 0);
        CHECK_EQ(bus_rd32(&t, sim_bitband_alias(0x20000011, 3), m), 0);
        CHECK_EQ(bus_rd32(&t, sim_bitband_alias(0x20000011, 4), m), 1);
        /* halfword and byte accesses to the alias reach the same bit */
        uint32_t v = 0;
        CHECK_EQ(sim_bus_read(&t, sim_bitband_alias(0x20000013, 7), 2, &v, m), SIM_BUS_OK);
        CHECK_EQ(v, 1);
        CHECK_EQ(sim_bus_write(&t, sim_bitband_alias(0x20000012, 0), 1, 1, m), SIM_BUS_OK);
        CHECK_EQ(bus_rd32(&t, 0x20000010, m), 0x8001F720);
    }
    /* a bit past the end of the SRAM is a bus error, as the SRAM itself is */
    uint32_t v;
    CHECK_EQ(sim_bus_read(&t, sim_bitband_alias(0x200FFFFC, 0), 4, &v, SIM_MASTER_CPU), SIM_BUS_FAULT);
    CHECK_EQ(sim_bus_write(&t, sim_bitband_alias(0x200FFFFC, 0), 4, 1, SIM_MASTER_DEBUG), SIM_BUS_FAULT);
    sim_target_free(&t);
}

static void test_sram_alias_f103(void) { check_sram_bits("stm32f103"); }
static void test_sram_alias_f407(void) { check_sram_bits("stm32f407"); }

/* Peripheral bits: the flash controller's CR (word accesses only, so a byte alias write faults,
 * as the bit-band transfer keeps the instruction's size). */
static void check_peripheral_bits(const char *profile, uint32_t flash_regs, unsigned lock_bit)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, profile), SIM_OK);
    uint32_t cr = flash_regs + 0x10, lock = sim_bitband_alias(cr + lock_bit / 8, lock_bit % 8);
    CHECK_EQ(bus_rd32(&t, lock, SIM_MASTER_DEBUG), 1); /* locked after reset */
    CHECK_EQ(sim_bus_write(&t, flash_regs + 4, 4, 0x45670123, SIM_MASTER_DEBUG), SIM_BUS_OK);
    CHECK_EQ(sim_bus_write(&t, flash_regs + 4, 4, 0xCDEF89AB, SIM_MASTER_DEBUG), SIM_BUS_OK);
    CHECK_EQ(bus_rd32(&t, lock, SIM_MASTER_CPU), 0);
    CHECK_EQ(sim_bus_write(&t, sim_bitband_alias(cr, 0), 4, 1, SIM_MASTER_CPU), SIM_BUS_OK); /* PG */
    CHECK_EQ(bus_rd32(&t, cr, SIM_MASTER_DEBUG) & 1, 1);
    CHECK_EQ(sim_bus_write(&t, sim_bitband_alias(cr, 0), 1, 0, SIM_MASTER_CPU), SIM_BUS_FAULT);
    CHECK_EQ(sim_bus_write(&t, lock, 4, 1, SIM_MASTER_DEBUG), SIM_BUS_OK);
    CHECK_EQ(bus_rd32(&t, lock, SIM_MASTER_CPU), 1);
    CHECK_EQ(bus_rd32(&t, cr, SIM_MASTER_DEBUG), 1u << lock_bit); /* locking cleared CR */
    sim_target_free(&t);
}

static void test_peripheral_alias_f103(void) { check_peripheral_bits("stm32f103", 0x40022000, 7); }
static void test_peripheral_alias_f407(void) { check_peripheral_bits("stm32f407", 0x40023C00, 31); }

/* The core's own loads and stores (Thumb STR/LDR/STRB/LDRH) go through the alias too. */
static void test_cpu_instructions(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f103"), SIM_OK);
    static const uint16_t code[] = {
        0x6001, /* str  r1, [r0]      bit 2 of 0x20000200 */
        0x6842, /* ldr  r2, [r0, #4]  bit 3 */
        0x6803, /* ldr  r3, [r0]      bit 2 */
        0x7301, /* strb r1, [r0, #12] bit 5 */
        0x8A04, /* ldrh r4, [r0, #16] bit 6 */
    };
    CHECK_EQ(sim_target_load(&t, 0x20000400, (const uint8_t *)code, sizeof code), SIM_OK);
    CHECK_EQ(sim_bus_write(&t, 0x20000200, 4, 0x40, SIM_MASTER_DEBUG), SIM_BUS_OK);
    sim_cpu_reset(&t);
    t.cpu.r[0] = sim_bitband_alias(0x20000200, 2);
    t.cpu.r[1] = 0xFFFFFFFF;
    t.cpu.r[13] = 0x20001000;
    t.cpu.r[15] = 0x20000400;
    t.cpu.xpsr = XPSR_T;
    for (unsigned i = 0; i < sizeof code / sizeof code[0]; i++) {
        unsigned cycles;
        CHECK_EQ(sim_cpu_step(&t, &cycles), SIM_STEP_OK);
    }
    CHECK_EQ(bus_rd32(&t, 0x20000200, SIM_MASTER_DEBUG), 0x64);
    CHECK_EQ(t.cpu.r[2], 0);
    CHECK_EQ(t.cpu.r[3], 1);
    CHECK_EQ(t.cpu.r[4], 1);
    /* no instruction fetch from the alias */
    t.cpu.r[15] = sim_bitband_alias(0x20000400, 0);
    unsigned cycles;
    CHECK_EQ(sim_cpu_step(&t, &cycles), SIM_STEP_FAULT);
    sim_target_free(&t);
}

/* The Cortex-M7 parts have no bit-banding: the alias addresses are not mapped. */
static void test_no_bitband_on_cortex_m7(void)
{
    static const char *const profiles[] = {"stm32h743", "stm32f723", "stm32h750"};
    for (unsigned i = 0; i < 3; i++) {
        sim_target t;
        if (sim_profile_find(profiles[i]) == NULL) continue;
        CHECK_EQ(sim_target_init(&t, profiles[i]), SIM_OK);
        uint32_t v;
        CHECK_EQ(sim_bus_read(&t, 0x22000000, 4, &v, SIM_MASTER_DEBUG), SIM_BUS_FAULT);
        CHECK_EQ(sim_bus_write(&t, 0x42000000, 4, 1, SIM_MASTER_CPU), SIM_BUS_FAULT);
        sim_target_free(&t);
    }
}

int main(void)
{
    RUN(test_alias_addresses);
    RUN(test_sram_alias_f103);
    RUN(test_sram_alias_f407);
    RUN(test_peripheral_alias_f103);
    RUN(test_peripheral_alias_f407);
    RUN(test_cpu_instructions);
    RUN(test_no_bitband_on_cortex_m7);
    return CHECK_SUMMARY();
}
