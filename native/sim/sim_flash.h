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
    uint32_t optcr;        /* F4 OPTCR, H7 OPTCR */
    uint32_t wrpr;         /* F1 WRPR (1 = not protected) */
    bool inject_error;     /* the next erase or program operation fails with an error flag */
} sim_flash;

/* Allocates the array, adds the flash region(s), its boot alias and the controller to the bus.
 * Returns false when out of memory. */
bool sim_flash_attach(sim_target *t);
void sim_flash_free(sim_target *t);
void sim_flash_reset(sim_target *t, sim_reset_kind kind);
void sim_flash_inject_error(sim_target *t);

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
    uint32_t reg_base;
    uint32_t reg_size;
} sim_flash_family_ops;

extern const sim_flash_family_ops sim_flash_f1_ops;
extern const sim_flash_family_ops sim_flash_f4_ops;
extern const sim_flash_family_ops sim_flash_h7_ops;

#endif
