#include "sim_profile.h"

#include <string.h>

#define KIB(n) ((uint32_t)(n) * 1024u)

/* Values from shared FACTS.md (reference manuals RM0008, RM0090, RM0433). */
static const sim_profile profiles[] = {
    {
        .name = "stm32f103",
        .part = "STM32F103 medium density",
        .core = SIM_CORE_M3,
        .has_fpu = false,
        .dpidr = 0x1BA01477,
        .dp_version = 1,
        .ap_count = 1,
        .aps = {{.idr = 0x14770011, .base = 0xE00FF003}},
        .cpuid = 0x411FC231,
        .dbgmcu_base = 0xE0042000,
        .dbgmcu_idcode = 0x20036410,
        .rom_table_base = 0xE00FF000,
        .rom_part_number = 0x410,
        .fpb_revision = 1,
        .fpb_code_comparators = 6,
        .fpb_literal_comparators = 2,
        .dwt_comparators = 4,
        .core_hz = 8000000, /* HSI */
        .flash_family = SIM_FLASH_F1,
        .flash_base = 0x08000000,
        .flash_size = KIB(128),
        .flash_banks = 1,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFFF7E0,
        .uid_base = 0x1FFFF7E8,
        .memory_count = 3,
        .memories = {
            {"SRAM", 0x20000000, KIB(20), SIM_REGION_RAM, 0},
            {"system memory", 0x1FFFF000, 0x7E0, SIM_REGION_ROM, 0xFF}, /* ID registers follow */
            {"option bytes", 0x1FFFF800, 16, SIM_REGION_ROM, 0xFF},
        },
    },
    {
        .name = "stm32f407",
        .part = "STM32F407",
        .core = SIM_CORE_M4,
        .has_fpu = true,
        .dpidr = 0x2BA01477,
        .dp_version = 1,
        .ap_count = 1,
        .aps = {{.idr = 0x24770011, .base = 0xE00FF003}},
        .cpuid = 0x410FC241,
        .dbgmcu_base = 0xE0042000,
        .dbgmcu_idcode = 0x10076413,
        .rom_table_base = 0xE00FF000,
        .rom_part_number = 0x413,
        .fpb_revision = 1,
        .fpb_code_comparators = 6,
        .fpb_literal_comparators = 2,
        .dwt_comparators = 4,
        .core_hz = 16000000, /* HSI */
        .flash_family = SIM_FLASH_F4,
        .flash_base = 0x08000000,
        .flash_size = KIB(1024),
        .flash_banks = 1,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFF7A22,
        .uid_base = 0x1FFF7A10,
        .memory_count = 4,
        .memories = {
            {"CCM RAM", 0x10000000, KIB(64), SIM_REGION_RAM, 0},
            {"SRAM", 0x20000000, KIB(128), SIM_REGION_RAM, 0}, /* SRAM1 112 KiB + SRAM2 16 KiB */
            {"system memory", 0x1FFF0000, KIB(30), SIM_REGION_ROM, 0xFF},
            {"option bytes", 0x1FFFC000, 16, SIM_REGION_ROM, 0xFF},
        },
    },
    {
        .name = "stm32h743",
        .part = "STM32H743",
        .core = SIM_CORE_M7,
        .has_fpu = true,
        .dpidr = 0x6BA02477,
        .dp_version = 2,
        .targetid = 0x04500041, /* TPARTNO 0x450, TDESIGNER ST (0x020) */
        .ap_count = 3,
        .aps = {
            {.idr = 0x84770001, .base = 0xE00FE003}, /* Cortex-M7 AHB-AP */
            {.idr = 0x84770001, .base = 0x00000002}, /* system AHB-AP: no debug entries */
            {.idr = 0x54770002, .base = 0xE00E0003, .debug_bus = true}, /* APB-AP, debug bus */
        },
        .cpuid = 0x411FC271,
        .dbgmcu_base = 0x5C001000,
        .dbgmcu_debug_base = 0xE00E1000,
        .dbgmcu_idcode = 0x10036450,
        .rom_table_base = 0xE00FE000,
        .rom_part_number = 0x450,
        .fpb_revision = 2,
        .fpb_code_comparators = 8,
        .fpb_literal_comparators = 0,
        .dwt_comparators = 4,
        .core_hz = 64000000, /* HSI */
        .flash_family = SIM_FLASH_H7,
        .flash_base = 0x08000000,
        .flash_size = KIB(2048),
        .flash_banks = 2,
        .flash_alias_at_zero = false,
        .flash_size_reg = 0x1FF1E880,
        .uid_base = 0x1FF1E800,
        .memory_count = 6,
        .memories = {
            {"ITCM", 0x00000000, KIB(64), SIM_REGION_RAM, 0},
            {"DTCM", 0x20000000, KIB(128), SIM_REGION_RAM, 0},
            {"AXI SRAM", 0x24000000, KIB(512), SIM_REGION_RAM, 0},
            {"SRAM1-3", 0x30000000, KIB(288), SIM_REGION_RAM, 0},
            {"SRAM4", 0x38000000, KIB(64), SIM_REGION_RAM, 0},
            {"system memory", 0x1FF00000, 0x1E800, SIM_REGION_ROM, 0xFF}, /* ID registers follow */
        },
    },
};

const sim_profile *sim_profile_at(unsigned index)
{
    return index < sizeof profiles / sizeof profiles[0] ? &profiles[index] : NULL;
}

const sim_profile *sim_profile_find(const char *name)
{
    for (unsigned i = 0; sim_profile_at(i); i++)
        if (name && strcmp(profiles[i].name, name) == 0) return &profiles[i];
    return NULL;
}
