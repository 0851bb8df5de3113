#include "sim_profile.h"

#include <string.h>

#define KIB(n) ((uint32_t)(n) * 1024u)

/* Values from shared FACTS.md (reference manuals RM0008, RM0090, RM0431, RM0433). What FACTS.md
 * marks unconfirmed, or what it does not state and the model had to choose, is marked here too. */

/* What the H743 and the H750 share: the same die (DEV_ID 0x450), so the same debug identity. */
#define STM32H74X_DEBUG                                                                           \
    .core = SIM_CORE_M7, .has_fpu = true, .fpu_double = true, .dpidr = 0x6BA02477, .dp_version = 2, \
    .targetid = 0x04500041, /* TPARTNO 0x450, TDESIGNER ST (0x020) */                              \
    .ap_count = 3,                                                                                 \
    .aps =                                                                                         \
        {                                                                                          \
            {.idr = 0x84770001, .base = 0xE00FE003}, /* Cortex-M7 AHB-AP */                        \
            {.idr = 0x84770001, .base = 0x00000002}, /* system AHB-AP: no debug entries */         \
            {.idr = 0x54770002, .base = 0xE00E0003, .debug_bus = true}, /* APB-AP, debug bus */    \
        },                                                                                         \
    .cpuid = 0x411FC271, .dbgmcu_base = 0x5C001000, .dbgmcu_debug_base = 0xE00E1000,               \
    .dbgmcu_idcode = 0x10036450, .rom_table_base = 0xE00FE000, .rom_part_number = 0x450,           \
    .fpb_revision = 2, .fpb_code_comparators = 8, .fpb_literal_comparators = 0, .dwt_comparators = 4, \
    .core_hz = 64000000 /* HSI */, .flash_family = SIM_FLASH_H7, .flash_base = 0x08000000,          \
    .flash_alias_at_zero = false, .flash_size_reg = 0x1FF1E880, .uid_base = 0x1FF1E800

/* An ST Cortex-M4F's debug identity (F407, L476, F303, F411, F429, G431): its SW-DP (DPv1), one
 * AHB-AP, the CPUID, the DBGMCU and ROM table addresses, the FPB and DWT. */
#define ST_CORTEX_M4_DEBUG                                                                        \
    .core = SIM_CORE_M4, .has_fpu = true, .dpidr = 0x2BA01477, .dp_version = 1, .ap_count = 1,     \
    .aps = {{.idr = 0x24770011, .base = 0xE00FF003}}, .cpuid = 0x410FC241 /* Cortex-M4 r0p1 */,      \
    .dbgmcu_base = 0xE0042000, .rom_table_base = 0xE00FF000, CORTEX_M3_M4_FPB_DWT

/* The Cortex-M3/M4 FPB (revision 1: six code and two literal comparators) and four DWT comparators. */
#define CORTEX_M3_M4_FPB_DWT                                                                      \
    .fpb_revision = 1, .fpb_code_comparators = 6, .fpb_literal_comparators = 2, .dwt_comparators = 4

/* The H7s' RAMs and system memory (ID registers follow it). */
#define STM32H74X_MEMORIES                                                                        \
    .memory_count = 6,                                                                             \
    .memories = {                                                                                  \
        {"ITCM", 0x00000000, KIB(64), SIM_REGION_RAM, 0},                                          \
        {"DTCM", 0x20000000, KIB(128), SIM_REGION_RAM, 0},                                         \
        {"AXI SRAM", 0x24000000, KIB(512), SIM_REGION_RAM, 0},                                     \
        {"SRAM1-3", 0x30000000, KIB(288), SIM_REGION_RAM, 0},                                      \
        {"SRAM4", 0x38000000, KIB(64), SIM_REGION_RAM, 0},                                         \
        {"system memory", 0x1FF00000, 0x1E800, SIM_REGION_ROM, 0xFF},                              \
    }

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
        CORTEX_M3_M4_FPB_DWT,
        .core_hz = 8000000, /* HSI */
        .flash_family = SIM_FLASH_F1,
        .flash_base = 0x08000000,
        .flash_size = KIB(128),
        .flash_banks = 1,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFFF7E0,
        .uid_base = 0x1FFFF7E8,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 40000, .iwdg_freeze_offset = 4, .iwdg_freeze_bit = 8,
        .memory_count = 2,
        .memories = {
            {"SRAM", 0x20000000, KIB(20), SIM_REGION_RAM, 0},
            {"system memory", 0x1FFFF000, 0x7E0, SIM_REGION_ROM, 0xFF}, /* ID registers follow */
            /* the option bytes (0x1FFFF800, 16 bytes) are the flash model's (sim_flash_f1.c) */
        },
    },
    {
        .name = "stm32f407",
        .part = "STM32F407",
        ST_CORTEX_M4_DEBUG,
        .dbgmcu_idcode = 0x10076413,
        .rom_part_number = 0x413,
        .core_hz = 16000000, /* HSI */
        .flash_family = SIM_FLASH_F4,
        .flash_base = 0x08000000,
        .flash_size = KIB(1024),
        .flash_banks = 1,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFF7A22,
        .uid_base = 0x1FFF7A10,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 32000, .iwdg_freeze_offset = 8, .iwdg_freeze_bit = 12,
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
        STM32H74X_DEBUG,
        .flash_size = KIB(2048),
        .flash_banks = 2,
        STM32H74X_MEMORIES,
    },
    {
        /* The STLINK-V3MINI's MCU. FACTS.md gives the DPIDR 0x5BA02477: its VERSION field (15:12)
         * says DPv2, although most documents describe the F7's SW-DP as DPv1; the model follows
         * the DPIDR, so the part also has TARGETID and the dormant state. */
        .name = "stm32f723",
        .part = "STM32F723",
        .core = SIM_CORE_M7,
        .has_fpu = true, /* FPv5, single precision only */
        .dpidr = 0x5BA02477,
        .dp_version = 2,
        .targetid = 0x04520041, /* TPARTNO 0x452, TDESIGNER ST: by the H7's pattern, unconfirmed */
        .ap_count = 1,
        .aps = {{.idr = 0x74770001, .base = 0xE00FD003}}, /* AHB-AP as seen on F746/F767 */
        .cpuid = 0x411FC270,                              /* Cortex-M7 r1p0: revision unconfirmed */
        .dbgmcu_base = 0xE0042000,
        .dbgmcu_idcode = 0x10006452, /* DEV_ID 0x452; REV_ID 0x1000 chosen, unconfirmed */
        .rom_table_base = 0xE00FD000, /* ST table, then the Cortex-M7 ROM (0xE00FE000): the ST
                                       * table's address is the model's choice */
        .rom_part_number = 0x452,
        .fpb_revision = 2,
        .fpb_code_comparators = 8,
        .fpb_literal_comparators = 0,
        .dwt_comparators = 4,
        .core_hz = 16000000, /* HSI */
        .flash_family = SIM_FLASH_F7,
        .flash_base = 0x08000000,
        .flash_size = KIB(512), /* sectors 4 x 16 KiB, 1 x 64 KiB, 3 x 128 KiB */
        .flash_banks = 1,
        .flash_alias_at_zero = false, /* ITCM RAM sits at 0; the core boots at BOOT_ADD0 */
        .flash_size_reg = 0x1FF07A22,
        .uid_base = 0x1FF07A10,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 32000, .iwdg_freeze_offset = 8, .iwdg_freeze_bit = 12, .iwdg_has_window = true,
        .memory_count = 5,
        .memories = {
            {"ITCM RAM", 0x00000000, KIB(16), SIM_REGION_RAM, 0},
            {"DTCM", 0x20000000, KIB(64), SIM_REGION_RAM, 0},
            {"SRAM1", 0x20010000, KIB(176), SIM_REGION_RAM, 0},
            {"SRAM2", 0x2003C000, KIB(16), SIM_REGION_RAM, 0},
            /* system memory and OTP up to the unique ID (their extent is the model's choice) */
            {"system memory", 0x1FF00000, 0x7A10, SIM_REGION_ROM, 0xFF},
        },
    },
    {
        /* The H743's die with one 128 KiB flash sector: the same identity (DEV_ID 0x450); only
         * the flash-size register tells them apart. */
        .name = "stm32h750",
        .part = "STM32H750",
        STM32H74X_DEBUG,
        .flash_size = KIB(128), /* bank 1, sector 0 only */
        .flash_banks = 1,
        STM32H74X_MEMORIES,
    },
    {
        /* RM0444 and the STM32G071 datasheet (DS12232); docs/TARGETS.md lists the facts. */
        .name = "stm32g071",
        .part = "STM32G071",
        .core = SIM_CORE_M0P,
        .has_fpu = false,
        .dpidr = 0x0BC11477, /* Cortex-M0+ SW-DP, DPv1 */
        .dp_version = 1,
        .ap_count = 1,
        .aps = {{.idr = 0x04770031, .base = 0xF0000003}}, /* AHB-AP (Cortex-M0+) */
        .cpuid = 0x410CC601,                               /* Cortex-M0+ r0p1 */
        .dbgmcu_base = 0x40015800,
        .dbgmcu_idcode = 0x20006460, /* DEV_ID 0x460; REV_ID 0x2000 (rev B) */
        .rom_table_base = 0xF0000000, /* the ST table, then the Cortex-M0+ table at 0xE00FF000 */
        .rom_part_number = 0x460,
        .fpb_revision = 1, /* the Cortex-M0+ BPU: four breakpoint comparators */
        .fpb_code_comparators = 4,
        .fpb_literal_comparators = 0,
        .dwt_comparators = 2,
        .core_hz = 16000000, /* HSI16 */
        .flash_family = SIM_FLASH_G0,
        .flash_base = 0x08000000,
        .flash_size = KIB(128), /* 64 pages of 2 KiB */
        .flash_banks = 1,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFF75E0,
        .uid_base = 0x1FFF7590,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 32000, .iwdg_freeze_offset = 8, .iwdg_freeze_bit = 12, .iwdg_has_window = true,
        .memory_count = 4,
        .memories = {
            {"SRAM", 0x20000000, KIB(36), SIM_REGION_RAM, 0},
            {"system memory", 0x1FFF0000, 0x7000, SIM_REGION_ROM, 0xFF},
            {"OTP", 0x1FFF7000, 0x400, SIM_REGION_ROM, 0xFF},
            {"option bytes", 0x1FFF7800, 0x80, SIM_REGION_ROM, 0xFF},
        },
    },
    {
        /* RM0351 and the STM32L476 datasheet (DS10198); docs/TARGETS.md lists the facts. */
        .name = "stm32l476",
        .part = "STM32L476",
        ST_CORTEX_M4_DEBUG,
        .dbgmcu_idcode = 0x10076415, /* DEV_ID 0x415 */
        .rom_part_number = 0x415,
        .core_hz = 4000000, /* MSI 4 MHz after reset */
        .flash_family = SIM_FLASH_L4,
        .flash_base = 0x08000000,
        .flash_size = KIB(1024), /* two banks of 256 pages of 2 KiB */
        .flash_banks = 2,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFF75E0,
        .uid_base = 0x1FFF7590,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 32000, .iwdg_freeze_offset = 8, .iwdg_freeze_bit = 12, .iwdg_has_window = true,
        .memory_count = 5,
        .memories = {
            {"SRAM2", 0x10000000, KIB(32), SIM_REGION_RAM, 0},
            {"SRAM1", 0x20000000, KIB(96), SIM_REGION_RAM, 0},
            {"system memory", 0x1FFF0000, 0x7000, SIM_REGION_ROM, 0xFF},
            {"OTP", 0x1FFF7000, 0x400, SIM_REGION_ROM, 0xFF},
            {"option bytes", 0x1FFF7800, 0x10, SIM_REGION_ROM, 0xFF},
        },
    },
    {
        /* The nRF52840 Product Specification; docs/TARGETS.md lists the facts. */
        .name = "nrf52840",
        .part = "nRF52840",
        .core = SIM_CORE_M4,
        .has_fpu = true,
        .dpidr = 0x2BA01477,
        .dp_version = 1,
        .ap_count = 2,
        .aps = {
            {.idr = 0x24770011, .base = 0xE00FF003}, /* AHB-AP */
            {.idr = 0x02880000, .ctrl_ap = true},    /* CTRL-AP (Nordic): not a MEM-AP */
        },
        .cpuid = 0x410FC241, /* Cortex-M4 r0p1 */
        .dbgmcu_base = 0,    /* no DBGMCU: the FICR identifies the part */
        .rom_table_base = 0xE00FF000,
        .rom_part_number = 0x008, /* Nordic's table (JEP106 0x244); the part number is the model's choice */
        CORTEX_M3_M4_FPB_DWT,
        .core_hz = 64000000,
        .flash_family = SIM_FLASH_NRF52,
        .flash_base = 0x00000000,
        .flash_size = KIB(1024), /* 256 pages of 4 KiB */
        .flash_banks = 1,
        .flash_alias_at_zero = false,
        .memory_count = 1,
        .memories = {
            {"RAM", 0x20000000, KIB(256), SIM_REGION_RAM, 0},
        },
    },
    {
        /* The RP2040 Datasheet; docs/TARGETS.md lists the facts. Two cores on one multidrop
         * wire (sim_rp2040.c): this describes each core's DP and AP; core 1's TARGETSEL has
         * TINSTANCE 1, the rescue DP TINSTANCE 0xF. */
        .name = "rp2040",
        .part = "RP2040",
        .core = SIM_CORE_M0P,
        .has_fpu = false,
        .dpidr = 0x0BC12477, /* Cortex-M0+ SW-DP, DPv2 (multidrop) */
        .dp_version = 2,
        .targetid = 0x01002927, /* TPARTNO 0x0002, TDESIGNER 0x493 (Raspberry Pi) */
        .core_count = 2,
        .rescue_instance = 0xF,
        .ap_count = 1,
        .aps = {{.idr = 0x04770031, .base = 0xE00FF003}}, /* AHB-AP (Cortex-M0+) */
        .cpuid = 0x410CC601,                               /* Cortex-M0+ r0p1 */
        .dbgmcu_base = 0,                                  /* no DBGMCU: SYSINFO identifies it */
        .rom_table_base = 0xE00FF000,
        .rom_part_number = 0x4C0,
        .fpb_revision = 1, /* the Cortex-M0+ BPU: four breakpoint comparators */
        .fpb_code_comparators = 4,
        .fpb_literal_comparators = 0,
        .dwt_comparators = 2,
        .core_hz = 6500000, /* ROSC, nominal, after reset */
        .flash_family = SIM_FLASH_RP2040,
        .flash_base = 0x10000000,
        .flash_size = KIB(2048), /* a Pico's W25Q16JV */
        .flash_banks = 1,
        .flash_alias_at_zero = false,
        .memory_count = 2,
        .memories = {
            {"boot ROM", 0x00000000, KIB(16), SIM_REGION_ROM, 0},
            {"SRAM", 0x20000000, KIB(264), SIM_REGION_RAM, 0}, /* SRAM0-3 striped, SRAM4, SRAM5 */
        },
    },
    {
        /* RM0091 and the STM32F072 datasheet (DS9826); docs/TARGETS.md lists the facts. */
        .name = "stm32f072",
        .part = "STM32F072RB",
        .core = SIM_CORE_M0,
        .has_fpu = false,
        .dpidr = 0x0BB11477, /* Cortex-M0 SW-DP, DPv1 */
        .dp_version = 1,
        .ap_count = 1,
        .aps = {{.idr = 0x04770021, .base = 0xE00FF003}}, /* AHB-AP (Cortex-M0) */
        .cpuid = 0x410CC200,                               /* Cortex-M0 r0p0 */
        .dbgmcu_base = 0x40015800,
        .dbgmcu_idcode = 0x20006448, /* DEV_ID 0x448; REV_ID 0x2000 chosen */
        .rom_table_base = 0xE00FF000, /* ST's table, part 0x448 (sim_rom.c) */
        .rom_part_number = 0x448,
        .fpb_revision = 1, /* the Cortex-M0 BPU: four breakpoint comparators */
        .fpb_code_comparators = 4,
        .fpb_literal_comparators = 0,
        .dwt_comparators = 2,
        .core_hz = 8000000, /* HSI */
        .flash_family = SIM_FLASH_F0,
        .flash_base = 0x08000000,
        .flash_size = KIB(128), /* 64 pages of 2 KiB */
        .flash_banks = 1,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFFF7CC,
        .uid_base = 0x1FFFF7AC,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 40000, .iwdg_freeze_offset = 8, .iwdg_freeze_bit = 12, .iwdg_has_window = true,
        .memory_count = 2,
        .memories = {
            {"SRAM", 0x20000000, KIB(16), SIM_REGION_RAM, 0},
            {"system memory", 0x1FFFC800, 0x2FA0, SIM_REGION_ROM, 0xFF}, /* ID registers follow */
            /* the option bytes (0x1FFFF800, 16 bytes) are the flash model's (sim_flash_f1.c) */
        },
    },
    {
        /* RM0316 and the STM32F303xC datasheet (DS9118); docs/TARGETS.md lists the facts. */
        .name = "stm32f303",
        .part = "STM32F303xC",
        ST_CORTEX_M4_DEBUG,
        .dbgmcu_idcode = 0x10036422, /* DEV_ID 0x422; REV_ID 0x1003 chosen */
        .rom_part_number = 0x422,
        .core_hz = 8000000, /* HSI */
        .flash_family = SIM_FLASH_F0,
        .flash_base = 0x08000000,
        .flash_size = KIB(256), /* 128 pages of 2 KiB */
        .flash_banks = 1,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFFF7CC,
        .uid_base = 0x1FFFF7AC,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 40000, .iwdg_freeze_offset = 8, .iwdg_freeze_bit = 12, .iwdg_has_window = true,
        .memory_count = 3,
        .memories = {
            {"CCM SRAM", 0x10000000, KIB(8), SIM_REGION_RAM, 0},
            {"SRAM", 0x20000000, KIB(40), SIM_REGION_RAM, 0},
            {"system memory", 0x1FFFD800, 0x1FA0, SIM_REGION_ROM, 0xFF}, /* ID registers follow */
        },
    },
    {
        /* RM0383 and the STM32F411xC/E datasheet (DS10314): the "Black Pill" boards' MCU; the
         * F407's flash controller with 512 KiB (sectors 0-7); docs/TARGETS.md lists the facts. */
        .name = "stm32f411",
        .part = "STM32F411CE",
        ST_CORTEX_M4_DEBUG,
        .dbgmcu_idcode = 0x10006431, /* DEV_ID 0x431; REV_ID 0x1000 (rev A) */
        .rom_part_number = 0x431,
        .core_hz = 16000000, /* HSI */
        .flash_family = SIM_FLASH_F4,
        .flash_base = 0x08000000,
        .flash_size = KIB(512),
        .flash_banks = 1,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFF7A22,
        .uid_base = 0x1FFF7A10,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 32000, .iwdg_freeze_offset = 8, .iwdg_freeze_bit = 12,
        .memory_count = 3,
        .memories = {
            {"SRAM", 0x20000000, KIB(128), SIM_REGION_RAM, 0},
            {"system memory", 0x1FFF0000, KIB(30), SIM_REGION_ROM, 0xFF},
            {"option bytes", 0x1FFFC000, 16, SIM_REGION_ROM, 0xFF},
        },
    },
    {
        /* RM0090 and the STM32F429xx datasheet (DS9405): the F429I-DISCO's MCU; 2 MiB in two
         * banks of 1 MiB (sectors 0-11 and 12-23, sim_flash_f4.c); docs/TARGETS.md. */
        .name = "stm32f429",
        .part = "STM32F429ZI",
        ST_CORTEX_M4_DEBUG,
        .dbgmcu_idcode = 0x20036419, /* DEV_ID 0x419; REV_ID 0x2003 chosen */
        .rom_part_number = 0x419,
        .core_hz = 16000000, /* HSI */
        .flash_family = SIM_FLASH_F4,
        .flash_base = 0x08000000,
        .flash_size = KIB(2048),
        .flash_banks = 2,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFF7A22,
        .uid_base = 0x1FFF7A10,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 32000, .iwdg_freeze_offset = 8, .iwdg_freeze_bit = 12,
        .memory_count = 5,
        .memories = {
            {"CCM RAM", 0x10000000, KIB(64), SIM_REGION_RAM, 0},
            {"SRAM", 0x20000000, KIB(192), SIM_REGION_RAM, 0}, /* SRAM1 112, SRAM2 16, SRAM3 64 KiB */
            {"system memory", 0x1FFF0000, KIB(30), SIM_REGION_ROM, 0xFF},
            {"option bytes", 0x1FFFC000, 16, SIM_REGION_ROM, 0xFF},
            {"option bytes, bank 2", 0x1FFEC000, 16, SIM_REGION_ROM, 0xFF},
        },
    },
    {
        /* RM0440 and the STM32G431xB datasheet (DS12589): the Nucleo-G431RB's MCU; the L4's flash
         * controller (sim_flash_g0.c) with one bank of 64 pages of 2 KiB; docs/TARGETS.md. */
        .name = "stm32g431",
        .part = "STM32G431RB",
        ST_CORTEX_M4_DEBUG,
        .dbgmcu_idcode = 0x20006468, /* DEV_ID 0x468; REV_ID 0x2000 chosen */
        .rom_part_number = 0x468,
        .core_hz = 16000000, /* HSI16 */
        .flash_family = SIM_FLASH_L4,
        .flash_base = 0x08000000,
        .flash_size = KIB(128),
        .flash_banks = 1,
        .flash_alias_at_zero = true,
        .flash_size_reg = 0x1FFF75E0,
        .uid_base = 0x1FFF7590,
        .iwdg_base = 0x40003000, .iwdg_lsi_hz = 32000, .iwdg_freeze_offset = 8, .iwdg_freeze_bit = 12, .iwdg_has_window = true,
        .memory_count = 5,
        .memories = {
            /* CCM SRAM at 0x10000000, which silicon also maps after SRAM2 (0x20005800): the model
             * keeps the two apart (its choice) */
            {"CCM SRAM", 0x10000000, KIB(10), SIM_REGION_RAM, 0},
            {"SRAM", 0x20000000, KIB(32), SIM_REGION_RAM, 0},
            {"system memory", 0x1FFF0000, 0x7000, SIM_REGION_ROM, 0xFF},
            {"OTP", 0x1FFF7000, 0x400, SIM_REGION_ROM, 0xFF},
            {"option bytes", 0x1FFF7800, 0x10, SIM_REGION_ROM, 0xFF},
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
