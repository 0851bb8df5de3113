/* What ST's families share: identification through the DBGMCU IDCODE and the flash-size
 * register, and the flash controller's pattern of KEYR, SR and CR registers (unlock with the two
 * keys, a busy bit, error flags cleared by writing ones, LOCK in CR), which F1, F4/F7, H7, G0
 * and L4 all follow with their own offsets and bits. A family file describes its controller with
 * a stm32_flash and builds its family_flash from the functions here. */
#ifndef STM32_H
#define STM32_H

#include "families/family.h"
#include "flash/flash.h"

#define STM32_KEY1 0x45670123u /* RM0008 3.3.1, RM0090 3.5.1, RM0433 4.5.1, RM0444, RM0351 */
#define STM32_KEY2 0xCDEF89ABu
#define STM32_OPTKEY1 0x08192A3Bu /* F4, F7, H7, G0, L4 */
#define STM32_OPTKEY2 0x4C5D6E7Fu
#define STM32_BUSY_POLLS 20000000u

typedef struct stm32_flash {
    uint32_t base;         /* bank 1's registers */
    uint32_t bank2_regs;   /* bank 2's registers, from base (H7: 0x100); 0: one set for all banks */
    uint32_t bank2_start;  /* where the flash of bank 2's registers starts (H7: 0x08100000) */
    uint8_t keyr, sr, cr;
    uint8_t clear;         /* where writing ones clears SR flags (SR, or the H7's CCR) */
    uint32_t busy;         /* SR busy bits */
    uint32_t errors;       /* SR error bits */
    uint32_t eop;          /* SR end of operation */
    uint32_t lock;         /* CR LOCK */
    uint32_t pg_cr;        /* CR for programming */
    /* The controller's error bits as a status (BMP_OK if none it knows). */
    bmp_status (*decode)(uint32_t sr);
    /* The register writes that erase one block, `regs` being its bank's registers and `bank`
     * the bank's start (family_flash.bank; 0 where the family has none). */
    flash_loader_erase (*erase)(uint32_t regs, uint32_t bank, uint32_t start, uint32_t index);
    /* Optional: the register writes that erase the whole bank starting at `bank` (family_flash's
     * erase_bank and loader_bank_erase come from it). */
    flash_loader_erase (*bank_erase)(uint32_t regs, uint32_t bank);
} stm32_flash;

/* The family's stm32_flash (f->data). */
static inline const stm32_flash *stm32_flash_of(const family_flash *f)
{
    return (const stm32_flash *)f->data;
}

/* The registers of the bank holding `addr`. */
uint32_t stm32_regs(const probe_session *p, const family_flash *f, uint32_t addr);
/* Waits while busy, then checks and clears the error flags (and EOP). */
bmp_status stm32_wait(probe_session *p, const stm32_flash *c, uint32_t regs);
bmp_status stm32_unlock(probe_session *p, const stm32_flash *c, uint32_t regs);
void stm32_relock(probe_session *p, const stm32_flash *c, uint32_t regs);
/* Clears OPTLOCK (bit `optlock` of `optcr`) with the option-key sequence. */
bmp_status stm32_unlock_options(probe_session *p, uint32_t optkeyr, uint32_t optcr, uint32_t optlock);
/* RDP as its option byte (bits [15:8] of the option register at `reg`: F4/F7 OPTCR, H7
 * OPTSR_CUR), with the level that byte means. */
bmp_status stm32_read_rdp_byte(probe_session *p, uint32_t reg, flash_rdp *rdp);
/* Mass erase of one register set: `mer` into CR, then `mer | strt`. */
bmp_status stm32_mass_erase_regs(probe_session *p, const stm32_flash *c, uint32_t regs, uint32_t mer, uint32_t strt);

/* family_flash functions for a controller of this pattern. */
bmp_status stm32_begin(probe_session *p, const family_flash *f, uint32_t addr);
void stm32_end(probe_session *p, const family_flash *f, uint32_t addr);
bmp_status stm32_erase_block(probe_session *p, const family_flash *f, uint32_t start, uint32_t index);
bmp_status stm32_program(probe_session *p, const family_flash *f, uint32_t addr, const uint8_t *data, size_t length);
bmp_status stm32_loader_begin(probe_session *p, const family_flash *f, uint32_t addr, flash_loader_params *params);
flash_loader_erase stm32_loader_erase(const family_flash *f, uint32_t bank, uint32_t start, uint32_t index);
bmp_status stm32_erase_bank(probe_session *p, const family_flash *f, uint32_t bank);
flash_loader_erase stm32_loader_bank_erase(const family_flash *f, uint32_t bank);
bmp_status stm32_loader_end(probe_session *p, const family_flash *f, uint32_t addr, bmp_status s, uint32_t sr);

/* The entry for `dev_id` in a family's table of lines: `count` entries of `size` bytes, each
 * starting with its uint16_t DEV_ID; NULL if none. STM32_LINE_OF(table, dev_id) for an array. */
const void *stm32_line_of(const void *table, unsigned count, size_t size, uint16_t dev_id);
#define STM32_LINE_OF(table, dev_id) stm32_line_of((table), sizeof(table) / sizeof((table)[0]), sizeof((table)[0]), (dev_id))

/* Identification: DBGMCU IDCODE at `idcode_address`, its DEV_ID through the family's
 * part_by_dev_id, the flash size from its flash-size register. */
bool stm32_identify(probe_session *p, uint8_t apsel, uint32_t idcode_address, const target_family *family,
                    part_info *info);

#define STM32_KIB(n) ((uint32_t)(n) * 1024u)

#endif
