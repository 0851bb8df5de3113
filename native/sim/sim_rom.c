#include "sim_rom.h"

#include "sim_target.h"

/* JEP106 identities: Arm (bank 4, code 0x3B) and STMicroelectronics (bank 0, code 0x20). */
#define JEP_ARM 0x43Bu
#define JEP_ST 0x020u
#define JEP_NORDIC 0x244u

#define CLASS_ROM_TABLE 0x1u
#define CLASS_GENERIC_IP 0xEu

/* PIDR/CIDR word at offset 0xFD0..0xFFC for a 4 KiB component (CoreSight B2.2). */
static uint32_t id_register(uint32_t offset, unsigned part, unsigned jep106, unsigned revision,
                            unsigned cls)
{
    unsigned code = jep106 & 0x7F, bank = jep106 >> 8;
    switch (offset) {
    case 0xFD0: return bank & 0xF;                         /* PIDR4: JEP106 continuation, 4 KiB */
    case 0xFE0: return part & 0xFF;                        /* PIDR0 */
    case 0xFE4: return ((part >> 8) & 0xF) | (code & 0xF) << 4; /* PIDR1 */
    case 0xFE8: return ((code >> 4) & 7) | 0x8 | (revision & 0xF) << 4; /* PIDR2: JEDEC */
    case 0xFEC: return 0;                                  /* PIDR3 */
    case 0xFF0: return 0x0D;                               /* CIDR0..3: preamble and class */
    case 0xFF4: return (cls & 0xF) << 4;
    case 0xFF8: return 0x05;
    case 0xFFC: return 0xB1;
    default: return 0;
    }
}

uint32_t sim_rom_component_id(const sim_target *t, sim_component component, uint32_t offset)
{
    bool m3 = t->profile->core == SIM_CORE_M3, m7 = t->profile->core == SIM_CORE_M7;
    bool m0p = t->profile->core == SIM_CORE_M0P || t->profile->core == SIM_CORE_M0; /* the same parts */
    unsigned part;
    switch (component) {
    case SIM_COMPONENT_SCS: part = m0p ? 0x008 : m3 ? 0x000 : 0x00C; break;
    case SIM_COMPONENT_DWT: part = m0p ? 0x00A : 0x002; break;
    case SIM_COMPONENT_FPB: part = m0p ? 0x00B : m7 ? 0x00E : 0x003; break; /* the M0+ has the BPU */
    default: part = 0x001; break; /* ITM */
    }
    return id_register(offset, part, JEP_ARM, m3 ? 3 : 0, CLASS_GENERIC_IP);
}

/* A ROM table: entries (offsets from the table, format 32-bit, present) and its identity. */
typedef struct {
    uint32_t base;
    unsigned part;
    unsigned jep106;
    unsigned count;
    uint32_t targets[6];
} rom_table;

static sim_bus_status rom_read(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                               uint32_t *value, sim_master m)
{
    (void)t;
    (void)m;
    const rom_table *table = ctx;
    uint32_t o = offset & ~3u, w = 0;
    if (o < 4 * table->count) w = (table->targets[o / 4] - table->base) | 3u; /* present, 32-bit */
    else if (o == 0xFCC) w = 1;                                              /* MEMTYPE: SYSMEM */
    else if (o >= 0xFD0) w = id_register(o, table->part, table->jep106, 0, CLASS_ROM_TABLE);
    *value = sim_lanes(w, offset, size);
    return SIM_BUS_OK;
}

/* The tables are constant per profile, so they live in static storage (read-only). */
static const rom_table ppb_m3 = {0xE00FF000, 0x410, JEP_ST, 4, {0xE000E000, 0xE0001000, 0xE0002000, 0xE0000000}};
/* The ST Cortex-M4 parts' tables: ST's designer code, the part's DEV_ID, SCS, DWT, FPB, ITM. */
#define ST_M4_TABLE(part) {0xE00FF000, part, JEP_ST, 4, {0xE000E000, 0xE0001000, 0xE0002000, 0xE0000000}}
static const rom_table ppb_st_m4[] = {ST_M4_TABLE(0x413), ST_M4_TABLE(0x415), ST_M4_TABLE(0x422), ST_M4_TABLE(0x431),
                                      ST_M4_TABLE(0x419), ST_M4_TABLE(0x468)};
static const rom_table ppb_nrf52 = {0xE00FF000, 0x008, JEP_NORDIC, 4, {0xE000E000, 0xE0001000, 0xE0002000, 0xE0000000}};
/* G0: AP BASE -> ST table at 0xF0000000 (part 0x460) -> the Cortex-M0+ ROM table at 0xE00FF000
 * (Arm part 0x4C0) -> SCS, DWT, BPU (the M0+ has no ITM). */
static const rom_table st_g0 = {0xF0000000, 0x460, JEP_ST, 1, {0xE00FF000}};
static const rom_table ppb_m0p = {0xE00FF000, 0x4C0, JEP_ARM, 3, {0xE000E000, 0xE0001000, 0xE0002000}};
/* The F0's ROM table at its AP BASE: ST's designer code, a part number that is the DEV_ID on the
 * F072 modelled (not on every F0: an F042 shows 0x440 there and 0x445 in its IDCODE), and the
 * Cortex-M0's SCS, DWT and BPU (no ITM). */
static const rom_table ppb_m0 = {0xE00FF000, 0x448, JEP_ST, 3, {0xE000E000, 0xE0001000, 0xE0002000}};
/* H7: AP0 BASE → ST table at 0xE00FE000 (part 0x450) → Cortex-M7 PPB table at 0xE00FF000
 * (part 0x4C7) → SCS, DWT, FPB, ITM. The debug-bus AP sees its own table listing DBGMCU. */
static const rom_table st_h7 = {0xE00FE000, 0x450, JEP_ST, 1, {0xE00FF000}};
static const rom_table ppb_m7 = {0xE00FF000, 0x4C7, JEP_ARM, 4, {0xE000E000, 0xE0001000, 0xE0002000, 0xE0000000}};
static const rom_table debug_bus_h7 = {0xE00E0000, 0x450, JEP_ST, 1, {0xE00E1000}};
/* F7 (FACTS.md): AP0 BASE → ST table (part 0x452; its address 0xE00FD000 is the model's choice) →
 * the Arm Cortex-M7 ROM table at 0xE00FE000 (part 0x4C8) → the PPB table at 0xE00FF000. The
 * Cortex-M7 table's other entries (ETM, CTI) are not modelled. */
static const rom_table st_f7 = {0xE00FD000, 0x452, JEP_ST, 1, {0xE00FE000}};
static const rom_table cm7_f7 = {0xE00FE000, 0x4C8, JEP_ARM, 1, {0xE00FF000}};

static void add_table(sim_target *t, const rom_table *table, bool debug_only)
{
    sim_region r = {.name = "ROM table", .base = table->base, .size = 0x1000, .kind = SIM_REGION_MMIO,
                    .read = rom_read, .ctx = (void *)table, .debug_only = debug_only};
    sim_bus_add(&t->bus, &r);
}

void sim_rom_attach(sim_target *t)
{
    switch (t->profile->core) {
    case SIM_CORE_M0P:
        if (t->profile->rom_table_base == st_g0.base) add_table(t, &st_g0, false);
        add_table(t, &ppb_m0p, false);
        break;
    case SIM_CORE_M0: add_table(t, &ppb_m0, false); break;
    case SIM_CORE_M3: add_table(t, &ppb_m3, false); break;
    case SIM_CORE_M4: {
        const rom_table *table = &ppb_st_m4[0];
        for (unsigned i = 0; i < sizeof ppb_st_m4 / sizeof ppb_st_m4[0]; i++)
            if (ppb_st_m4[i].part == t->profile->rom_part_number) table = &ppb_st_m4[i];
        add_table(t, t->profile->flash_family == SIM_FLASH_NRF52 ? &ppb_nrf52 : table, false);
        break;
    }
    case SIM_CORE_M7:
        if (t->profile->rom_table_base == st_f7.base) {
            add_table(t, &st_f7, false);
            add_table(t, &cm7_f7, false);
            add_table(t, &ppb_m7, false);
        } else {
            add_table(t, &st_h7, false);
            add_table(t, &ppb_m7, false);
            add_table(t, &debug_bus_h7, true);
        }
        break;
    }
}
