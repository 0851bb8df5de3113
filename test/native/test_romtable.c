/* AP discovery and the ROM-table walk of the target layer (romtable.c) over the simulated wire,
 * on each profile (the simulator's tables themselves: test_sim_rom.c). */
#include "check.h"
#include "link/swd_link.h"
#include "sim_swd_phy.h"
#include "sim_target.h"
#include "adiv5/romtable.h"

static sim_target t;
static swd_phy phy;
static swd_link link;
static adiv5_dp dp;

static bool open_target(const char *profile)
{
    if (sim_target_init(&t, profile) != SIM_OK) return false;
    sim_swd_phy_init(&phy, &t);
    swd_link_init(&link, &phy);
    dp = (adiv5_dp){0};
    return adiv5_connect(&dp, &link.link, t.profile->dp_version >= 2) == BMP_OK;
}

static bool has(const coresight_component *c, unsigned n, uint16_t designer, uint16_t part, uint32_t address)
{
    for (unsigned i = 0; i < n; i++)
        if (c[i].designer == designer && c[i].part == part && c[i].address == address) return true;
    return false;
}

static void test_discover_and_walk(void)
{
    static const struct { const char *name; unsigned aps; uint16_t top; uint16_t scs; uint16_t fpb; int tables; } cases[] = {
        {"stm32f103", 1, 0x410, 0x000, 0x003, 1}, {"stm32f407", 1, 0x413, 0x00C, 0x003, 1}, {"stm32h743", 3, 0x450, 0x00C, 0x00E, 2}};
    for (unsigned i = 0; i < 3; i++) {
        CHECK(open_target(cases[i].name));
        adiv5_ap_info aps[8];
        unsigned n = 0;
        CHECK_EQ(adiv5_discover_aps(&dp, aps, 8, &n), BMP_OK);
        CHECK_EQ(n, cases[i].aps);
        CHECK(aps[0].mem_ap);
        coresight_component c[16];
        unsigned found = 0;
        CHECK_EQ(coresight_walk(&dp, 0, aps[0].base, c, 16, &found), BMP_OK);
        CHECK(found > 0);
        CHECK_EQ(c[0].part, cases[i].top);
        CHECK_EQ(c[0].designer, 0x020); /* STMicroelectronics */
        int tables = 0;
        for (unsigned k = 0; k < found; k++) tables += c[k].cls == 1;
        CHECK_EQ(tables, cases[i].tables);
        CHECK(has(c, found, 0x43B, cases[i].scs, 0xE000E000));
        CHECK(has(c, found, 0x43B, 0x002, 0xE0001000)); /* DWT */
        CHECK(has(c, found, 0x43B, cases[i].fpb, 0xE0002000));
        CHECK(has(c, found, 0x43B, 0x001, 0xE0000000)); /* ITM */
        if (cases[i].aps == 3) { /* the H7's debug-bus AP: a table, and the DBGMCU entry it lists */
            CHECK(!aps[2].mem_ap || aps[2].idr == 0x54770002);
            uint32_t entry = 0;
            CHECK_EQ(adiv5_mem_read32(&dp, 2, 0xE00E0000, &entry), BMP_OK);
            CHECK_EQ(entry & 3, 3);
        }
        sim_target_free(&t);
    }
}

static void test_base_without_table(void)
{
    CHECK(open_target("stm32h743"));
    coresight_component c[4];
    /* AP1 of the H7 reports BASE with no debug entry (0x2: format only, not present) */
    unsigned found = 99;
    CHECK_EQ(coresight_walk(&dp, 1, 0x20000000, c, 4, &found), BMP_OK);
    CHECK_EQ(found, 0); /* RAM: no CIDR preamble */
    sim_target_free(&t);
}

int main(void)
{
    RUN(test_discover_and_walk);
    RUN(test_base_without_table);
    return CHECK_SUMMARY();
}
