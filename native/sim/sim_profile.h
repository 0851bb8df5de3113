/* Device profiles: the identity and memory map of each simulated part (see shared FACTS.md). */
#ifndef SIM_PROFILE_H
#define SIM_PROFILE_H

#include "sim_bus.h"

/* SIM_FLASH_F7: the F4's controller with the F7's differences (OPTCR layout, OPTCR1, SR bit 7
 * named ERSERR); sim_flash_f4.c models both. */
/* SIM_FLASH_G0 and SIM_FLASH_L4: the newer ST controller (double-word programming), both in
 * sim_flash_g0.c. */
typedef enum {
    SIM_FLASH_F1, SIM_FLASH_F4, SIM_FLASH_F7, SIM_FLASH_H7, SIM_FLASH_G0, SIM_FLASH_L4,
    SIM_FLASH_NRF52, /* the NVMC, with FICR, UICR and the CTRL-AP: sim_nrf52.c */
    SIM_FLASH_RP2040, /* QSPI flash behind XIP, programmed by the boot ROM's functions: sim_rp2040.c */
    SIM_FLASH_F0 /* the F0's and F3's: the F1's controller with 2 KiB pages, RDP levels 0xAA/0xCC,
                  * OBL_LAUNCH and the F0's OBR layout; sim_flash_f1.c models both */
} sim_flash_family;
/* SIM_CORE_M0: ARMv6-M as the M0+, without VTOR, with the Cortex-M0's ROM table. */
typedef enum { SIM_CORE_M0P, SIM_CORE_M3, SIM_CORE_M4, SIM_CORE_M7, SIM_CORE_M0 } sim_core_kind;

/* The instruction set a core executes: ARMv6-M (Cortex-M0/M0+), ARMv7-M (Cortex-M3) or ARMv7E-M
 * with the DSP extension (Cortex-M4/M7). */
typedef enum { SIM_ISA_V6M, SIM_ISA_V7M, SIM_ISA_V7EM } sim_isa;

/* The floating-point extension: none, FPv4-SP (Cortex-M4F), FPv5 single precision, or FPv5 with
 * double precision (Cortex-M7 parts with the DP FPU: D0-D15). */
typedef enum { SIM_FPU_NONE, SIM_FPU_V4_SP, SIM_FPU_V5_SP, SIM_FPU_V5_DP } sim_fpu_kind;

typedef struct sim_memory_desc {
    const char *name;
    uint32_t base;
    uint32_t size;
    sim_region_kind kind; /* SIM_REGION_RAM or SIM_REGION_ROM */
    uint8_t fill;         /* initial contents of ROM (0xFF for system memory stand-ins) */
} sim_memory_desc;

#define SIM_PROFILE_MAX_MEMORIES 8
#define SIM_PROFILE_MAX_APS 4

typedef struct sim_ap_desc {
    uint32_t idr;
    uint32_t base;     /* BASE register: ROM table address with bit 0 (entry present) and bit 1 (format) */
    uint32_t cfg;
    bool debug_bus;    /* an APB-AP onto the debug bus (H7 AP2): sees only debug components */
    bool ctrl_ap;      /* the nRF52's CTRL-AP: not a MEM-AP (sim_nrf52.c answers it) */
} sim_ap_desc;

typedef struct sim_profile {
    const char *name;       /* "stm32f103" */
    const char *part;       /* "STM32F103C8" */
    sim_core_kind core;
    bool has_fpu;           /* single-precision FPU (S0-S31, FPSCR) */
    bool fpu_double;        /* the FPU also does double precision (MVFR0), as on the H7 */
    uint32_t dpidr;
    unsigned dp_version;    /* 1 = ADIv5 DPv1, 2 = DPv2 (TARGETID, DLPIDR, dormant state) */
    uint32_t targetid;      /* DPv2 only */
    unsigned core_count;    /* cores, each behind its own DP on one multidrop wire (RP2040: 2;
                             * 0 means 1); DP n answers TARGETSEL with TINSTANCE n */
    uint8_t rescue_instance; /* nonzero: the TINSTANCE of a rescue DP (RP2040: 0xF, sim_rp2040.c) */
    unsigned ap_count;
    sim_ap_desc aps[SIM_PROFILE_MAX_APS];
    uint32_t cpuid;
    uint32_t dbgmcu_base;   /* DBGMCU block as the core sees it (IDCODE at +0, CR at +4); 0: none (not ST) */
    uint32_t dbgmcu_debug_base; /* DBGMCU as the debug-bus AP sees it, 0 if none */
    uint32_t dbgmcu_idcode;
    uint32_t rom_table_base;      /* the top-level ROM table the core's AP points at (sim_rom.c
                                   * picks the chain from it on Cortex-M7 parts) */
    uint16_t rom_part_number;     /* part number of the top-level ST table (= DEV_ID) */
    unsigned fpb_revision;        /* 1: Cortex-M3/M4, 2: Cortex-M7 */
    unsigned fpb_code_comparators;
    unsigned fpb_literal_comparators;
    unsigned dwt_comparators;
    uint32_t core_hz;             /* core clock after reset (internal RC oscillator) */
    sim_flash_family flash_family;
    uint32_t flash_base;
    uint32_t flash_size;          /* all banks together */
    unsigned flash_banks;
    bool flash_alias_at_zero;     /* boot from flash: 0x00000000 mirrors the flash */
    uint32_t flash_size_reg;      /* address of the flash-size register (KiB, 16 bit) */
    uint32_t uid_base;            /* 96-bit unique device ID (0 with flash_size_reg 0: none, not ST) */
    /* The independent watchdog (sim_iwdg.c): registers at iwdg_base (0: none modelled), its LSI
     * clock, and DBG_IWDG_STOP: bit iwdg_freeze_bit of the DBGMCU register at
     * iwdg_freeze_offset (4: CR, as on the F1; 8: APB1_FZ / APB_FZ1). */
    uint32_t iwdg_base;
    uint32_t iwdg_lsi_hz;
    uint8_t iwdg_freeze_offset;
    uint8_t iwdg_freeze_bit;
    bool iwdg_has_window;         /* IWDG_WINR (F7, G0, L4) */
    unsigned memory_count;
    sim_memory_desc memories[SIM_PROFILE_MAX_MEMORIES];
} sim_profile;

static inline sim_isa sim_profile_isa(const sim_profile *p)
{
    return p->core == SIM_CORE_M0P || p->core == SIM_CORE_M0 ? SIM_ISA_V6M : p->core == SIM_CORE_M3 ? SIM_ISA_V7M : SIM_ISA_V7EM;
}

static inline sim_fpu_kind sim_profile_fpu(const sim_profile *p)
{
    if (!p->has_fpu) return SIM_FPU_NONE;
    if (p->core == SIM_CORE_M4) return SIM_FPU_V4_SP;
    return p->fpu_double ? SIM_FPU_V5_DP : SIM_FPU_V5_SP;
}

/* NULL if no profile has that name. */
const sim_profile *sim_profile_find(const char *name);
/* Profiles in a stable order; NULL past the end. */
const sim_profile *sim_profile_at(unsigned index);

#endif
