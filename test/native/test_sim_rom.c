/* The simulator's ROM tables: walked from each profile's AP BASE exactly as a debugger does
 * (ADIv5.2 D3.4), finding SCS, DWT, FPB and ITM by their peripheral IDs (the target layer's own
 * walk: test_romtable.c). */
#include "check.h"
#include "sim_bus_check.h"
#include "sim_target.h"

typedef struct {
    unsigned found[4]; /* SCS, DWT, FPB, ITM */
    unsigned tables;
    uint32_t component_addresses[16];
    unsigned components;
} walk_result;

static void read_ids(sim_target *t, uint32_t base, unsigned *cls, unsigned *part, unsigned *designer)
{
    uint32_t cid = 0, pid[5];
    for (unsigned i = 0; i < 4; i++) cid |= (dbg_rd32(t, base + 0xFF0 + 4 * i) & 0xFF) << (8 * i);
    for (unsigned i = 0; i < 4; i++) pid[i] = dbg_rd32(t, base + 0xFE0 + 4 * i) & 0xFF;
    pid[4] = dbg_rd32(t, base + 0xFD0) & 0xFF;
    CHECK_EQ(cid & 0xFFFF0FFFu, 0xB105000Du); /* CIDR preamble */
    *cls = (cid >> 12) & 0xF;
    *part = pid[0] | (pid[1] & 0xF) << 8;
    *designer = ((pid[4] & 0xF) << 8) | ((pid[2] & 7) << 4) | (pid[1] >> 4);
}

static void walk(sim_target *t, uint32_t table, walk_result *r, unsigned depth)
{
    unsigned cls, part, designer;
    read_ids(t, table, &cls, &part, &designer);
    CHECK_EQ(cls, 1);
    r->tables++;
    for (uint32_t i = 0; i < 960 && depth < 4; i++) {
        uint32_t entry = dbg_rd32(t, table + 4 * i);
        if (entry == 0) break;
        if (!(entry & 1)) continue;
        uint32_t addr = table + (entry & 0xFFFFF000u);
        read_ids(t, addr, &cls, &part, &designer);
        if (cls == 1) {
            walk(t, addr, r, depth + 1);
            continue;
        }
        if (r->components < 16) r->component_addresses[r->components++] = addr;
        if (designer == 0x43B) {
            if (part == 0x000 || part == 0x00C) r->found[0]++;
            if (part == 0x002) r->found[1]++;
            if (part == 0x003 || part == 0x00E) r->found[2]++;
            if (part == 0x001) r->found[3]++;
        }
    }
}

static void test_walk_each_profile(void)
{
    static const struct { const char *name; unsigned tables, top_part; } cases[] = {
        {"stm32f103", 1, 0x410}, {"stm32f407", 1, 0x413}, {"stm32h743", 2, 0x450},
        {"stm32f723", 3, 0x452}, /* ST table, the Cortex-M7 ROM table (0x4C8), the PPB table */
        {"stm32h750", 2, 0x450}};
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_target t;
        CHECK_EQ(sim_target_init(&t, cases[i].name), SIM_OK);
        uint32_t base = t.profile->aps[0].base & 0xFFFFF000u;
        unsigned cls, part, designer;
        read_ids(&t, base, &cls, &part, &designer);
        CHECK_EQ(part, cases[i].top_part);
        CHECK_EQ(designer, 0x020); /* STMicroelectronics */
        walk_result r = {0};
        walk(&t, base, &r, 0);
        CHECK_EQ(r.tables, cases[i].tables);
        for (unsigned k = 0; k < 4; k++) CHECK_EQ(r.found[k], 1);
        CHECK_EQ(r.component_addresses[0], 0xE000E000);
        sim_target_free(&t);
    }
}

/* F7: the chain FACTS.md gives, ST table -> Cortex-M7 ROM table at 0xE00FE000 (Arm, part 0x4C8)
 * -> PPB table at 0xE00FF000 (Arm, part 0x4C7). */
static void test_f7_chain(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32f723"), SIM_OK);
    uint32_t st = t.profile->aps[0].base & 0xFFFFF000u;
    uint32_t cm7 = st + (dbg_rd32(&t, st) & 0xFFFFF000u);
    CHECK_EQ(cm7, 0xE00FE000);
    unsigned cls, part, designer;
    read_ids(&t, cm7, &cls, &part, &designer);
    CHECK_EQ(cls, 1);
    CHECK_EQ(part, 0x4C8);
    CHECK_EQ(designer, 0x43B);
    uint32_t ppb = cm7 + (dbg_rd32(&t, cm7) & 0xFFFFF000u);
    CHECK_EQ(ppb, 0xE00FF000);
    read_ids(&t, ppb, &cls, &part, &designer);
    CHECK_EQ(part, 0x4C7);
    sim_target_free(&t);
}

static void test_h7_debug_bus_table(void)
{
    sim_target t;
    CHECK_EQ(sim_target_init(&t, "stm32h743"), SIM_OK);
    CHECK_EQ(t.profile->aps[2].base & 0xFFFFF000u, 0xE00E0000);
    uint32_t entry = dbg_rd32(&t, 0xE00E0000);
    CHECK_EQ(entry & 3, 3);
    CHECK_EQ(0xE00E0000 + (entry & 0xFFFFF000u), 0xE00E1000);
    CHECK_EQ(dbg_rd32(&t, 0xE00E0004), 0);
    uint32_t v;
    CHECK_EQ(sim_bus_read(&t, 0xE00E0000, 4, &v, SIM_MASTER_CPU), SIM_BUS_FAULT); /* debug bus only */
    sim_target_free(&t);
}

int main(void)
{
    RUN(test_walk_each_profile);
    RUN(test_f7_chain);
    RUN(test_h7_debug_bus_table);
    return CHECK_SUMMARY();
}
