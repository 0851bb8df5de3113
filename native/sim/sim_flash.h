/* Flash memories and their controllers (STM32F1, STM32F4, STM32H7), faithful to the reference
 * manuals: key sequences, erase granularity, program width, busy time, error flags.
 *
 * Timing: an operation starts when it is triggered and is busy until now + its typical
 * duration (FACTS.md); the memory contents change at the start, BSY/QW and EOP follow virtual
 * time and are evaluated lazily when the registers are read. An operation triggered while
 * another is in progress queues behind it (the real bus would stall; the total time is the same). */
#ifndef SIM_FLASH_H
#define SIM_FLASH_H

#include "sim_types.h"

typedef struct sim_flash_bank {
    uint32_t cr;
    uint32_t sr;              /* error and EOP flags; BSY/QW are computed */
    uint32_t ar;              /* F1: page address */
    bool unlocked;
    bool key1_seen;           /* the first key of the sequence was written */
    bool locked_until_reset;  /* a wrong key sequence */
    uint64_t busy_until_ps;
    bool eop_pending;         /* EOP appears when the operation in progress ends */
    /* H7 write buffer: one 256-bit flash word */
    uint32_t wb_addr;
    uint8_t wb_data[32];
    uint8_t wb_bytes;         /* bytes written into the buffer */
} sim_flash_bank;

typedef struct sim_flash {
    uint8_t *mem;          /* the whole array, erased to 0xFF when the target is created */
    uint8_t *programmed;   /* H7: one bit per 32-byte flash word written since its erase */
    uint32_t base;
    uint32_t size;
    sim_flash_bank banks[2];
    bool opt_unlocked;
    bool opt_key1_seen;
    uint32_t optcr;        /* F4/F7 OPTCR as written, H7 OPTCR */
    uint32_t wrpr;         /* F1 WRPR (1 = not protected) */
    /* F1: the option bytes as programmed (PM0075: RDP, nRDP, USER, nUSER, Data0, nData0, Data1,
     * nData1, WRP0, nWRP0 .. WRP3, nWRP3 at 0x1FFFF800), and OBR as the last reset loaded it. */
    uint8_t f1_ob[16];
    uint32_t f1_obr;
    bool load_options;     /* F0/F3: the reset under way loads the option bytes (power-on, or
                            * OBL_LAUNCH's; a plain system reset does not: RM0091 4, RM0316) */
    bool inject_error;     /* the next erase or program operation fails with an error flag */
    /* Option bytes (F4/F7/H7): the programmed values, kept across every reset (the factory's
     * until something programs them), and the RDP byte in effect. F4/F7 load the option bytes
     * at reset, so a new RDP level protects from the next reset on; the H7 applies them when
     * the programming ends (its OPTSR_CUR). */
    uint32_t option_nv;    /* F4/F7: OPTCR's option fields; H7: OPTSR */
    uint32_t option1_nv;   /* F7: OPTCR1 (boot addresses) */
    uint32_t optcr1;       /* F7 OPTCR1 as written */
    uint32_t optsr_prg;    /* H7 OPTSR_PRG */
    uint8_t rdp_loaded;    /* the RDP byte that protects now */
    uint64_t opt_busy_until_ps; /* H7: OPTSR_CUR.OPT_BUSY until then */
    bool opt_change_error; /* H7: OPTSR_CUR.OPTCHANGEERR */
    /* nRF52 (sim_nrf52.c) */
    uint8_t *uicr;         /* the UICR's 4 KiB of NVM */
    bool ap_protected;     /* APPROTECT as read from the UICR at the last reset */
    bool ctrl_reset;       /* CTRL-AP RESET holds the chip in reset */
    uint64_t eraseall_until_ps; /* CTRL-AP ERASEALL busy until then */
} sim_flash;

/* Allocates the array, adds the flash region(s), its boot alias and the controller to the bus.
 * Returns false when out of memory. */
bool sim_flash_attach(sim_target *t);
void sim_flash_free(sim_target *t);
void sim_flash_reset(sim_target *t, sim_reset_kind kind);
void sim_flash_inject_error(sim_target *t);

/* Read-out protection (RM0090, RM0431, RM0433, their sections on read protection): the RDP byte 0xAA is level 0,
 * 0xCC level 2 (permanent), anything else level 1. The model of what a debugger meets:
 *   level 1: once a debugger has accessed the system since power-on, its reads of the flash
 *            fault on the bus and every erase or program operation fails with WRPERR, whoever
 *            starts it (the core's own fetches and loads are not modelled as blocked); changing
 *            RDP to 0xAA through the option bytes mass-erases the flash;
 *   level 2: the debug port does not answer at all (sim_dp).
 * The F1 has level 1 only (RDP 0xA5 is unprotected, anything else protected: PM0075), modelled
 * the same way; its option bytes are erased (OPTER) and programmed (OPTPG) half-word by half-word,
 * and programming RDP 0xA5 while protected mass-erases the flash first. G0 and L4 parts are
 * always level 0 here. */
unsigned sim_flash_rdp_level(const sim_target *t);
/* Level 1 with a debugger seen since power-on. */
bool sim_flash_debug_locked_out(const sim_target *t);
/* Level 2: the debug port is disabled. */
bool sim_flash_debug_disabled(const sim_target *t);
/* Sets the programmed RDP byte and puts it in effect now, as if it had been programmed before
 * this power-up (tests). False on a family without this model (F1). */
bool sim_flash_set_rdp(sim_target *t, uint8_t rdp);
/* The RDP byte in effect, and the programmed one (they differ on F4/F7 after an option change
 * until the next reset). False on a family without this model. */
bool sim_flash_get_rdp(const sim_target *t, uint8_t *loaded, uint8_t *programmed);

/* --- shared by the per-family files (sim_flash_f1.c, _f4.c, _h7.c) ---------------------------- */

#define SIM_FLASH_KEY1 0x45670123u
#define SIM_FLASH_KEY2 0xCDEF89ABu
#define SIM_FLASH_OPTKEY1 0x08192A3Bu
#define SIM_FLASH_OPTKEY2 0x4C5D6E7Fu

/* The unlock state machine of a KEYR register: true if the write was accepted. A wrong key,
 * or any key while unlocked, locks the bank until the next reset (the caller faults the bus). */
bool sim_flash_key(sim_flash_bank *bank, uint32_t value);
/* Queues an operation of `duration_ps` on the bank, after any in progress. */
void sim_flash_start(sim_target *t, sim_flash_bank *bank, uint64_t duration_ps);
bool sim_flash_busy(const sim_target *t, const sim_flash_bank *bank);
/* Takes the pending error injection, if any. */
bool sim_flash_take_injected_error(sim_target *t);
/* The option-key sequence of F4/H7 OPTKEYR: true if the write was accepted (else bus fault). */
bool sim_flash_opt_key(sim_flash *f, uint32_t value);

typedef struct sim_flash_family_ops {
    sim_bus_status (*reg_read)(sim_target *t, uint32_t offset, uint32_t *value);
    sim_bus_status (*reg_write)(sim_target *t, uint32_t offset, uint32_t value);
    sim_bus_status (*array_write)(sim_target *t, uint32_t offset, unsigned size, uint32_t value);
    void (*reset)(sim_target *t);
    /* Sets the factory option bytes when the target is created; NULL: none modelled. */
    void (*attach)(sim_target *t);
    uint32_t reg_base;
    uint32_t reg_size;
} sim_flash_family_ops;

extern const sim_flash_family_ops sim_flash_f1_ops;
extern const sim_flash_family_ops sim_flash_f4_ops;
extern const sim_flash_family_ops sim_flash_h7_ops;
extern const sim_flash_family_ops sim_flash_g0_ops;
extern const sim_flash_family_ops sim_flash_nrf52_ops;

/* The nRF52's CTRL-AP registers (sim_nrf52.c), and whether APPROTECT makes AP `apsel` refuse
 * memory accesses. */
uint32_t sim_nrf52_ctrl_ap_read(sim_target *t, unsigned reg);
void sim_nrf52_ctrl_ap_write(sim_target *t, unsigned reg, uint32_t value);
bool sim_nrf52_ap_refused(const sim_target *t, unsigned apsel);

/* The RP2040 (sim_rp2040.c): its flash interface, boot ROM and system registers. */
extern const sim_flash_family_ops sim_flash_rp2040_ops;
/* The rescue DP saw CDBGPWRUPREQ: the whole chip resets, and the boot ROM stops (rescue). */
void sim_rp2040_rescue(sim_target *t);
/* Core 1's target: shares core 0's memories and flash (sim_target_init). */
int sim_rp2040_add_core1(sim_target *t); /* a sim_status */

#endif
