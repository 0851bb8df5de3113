/* The STM32H74x/H75x flash controller for the bootloader (RM0433, "Embedded flash memory"): two
 * banks of 8 x 128 KiB sectors, each with its own registers; sector erase, and programming by
 * 256-bit flash word through the write buffer (8 aligned 32-bit writes program one word; a
 * flash word is programmed once per erase, so a short last word is completed with 0xFF here).
 * Parallelism x32 (PSIZE), which the LDO's voltage scale 1 allows. */
#include <string.h>

#include "bootloader/flash.h"
#include "chip/chip.h"
#include "dfu/dfu.h"

#define FLASH_REGS 0x52002000u
#define BANK_SIZE 0x00100000u
#define SECTOR_SIZE 0x00020000u
#define FLASH_WORD 32u
#define KEYR(b) REG32(FLASH_REGS + (b) * 0x100u + 0x04u)
#define CR(b) REG32(FLASH_REGS + (b) * 0x100u + 0x0Cu)
#define SR(b) REG32(FLASH_REGS + (b) * 0x100u + 0x10u)
#define CCR(b) REG32(FLASH_REGS + (b) * 0x100u + 0x14u)
#define SR_BSY (1u << 0)
#define SR_QW (1u << 2)
#define SR_WRPERR (1u << 17)
/* WRPERR, PGSERR, STRBERR, INCERR, OPERR: what an erase or a program can run into */
#define SR_ERRORS (SR_WRPERR | (1u << 18) | (1u << 19) | (1u << 21) | (1u << 22))
#define CR_LOCK (1u << 0)
#define CR_PG (1u << 1)
#define CR_SER (1u << 2)
#define CR_PSIZE_X32 (2u << 4)
#define CR_START (1u << 7)
#define CR_SNB_SHIFT 8u

static unsigned bank_of(uint32_t address)
{
    return (address - 0x08000000u) / BANK_SIZE;
}

static void unlock(unsigned bank)
{
    if (CR(bank) & CR_LOCK) {
        KEYR(bank) = 0x45670123u;
        KEYR(bank) = 0xCDEF89ABu;
    }
}

static void wait(unsigned bank)
{
    while (SR(bank) & (SR_BSY | SR_QW)) continue;
}

static uint8_t finish(unsigned bank, uint8_t failure)
{
    wait(bank);
    uint32_t sr = SR(bank);
    CCR(bank) = SR_ERRORS;
    CR(bank) = CR_LOCK;
    if (sr & SR_WRPERR) return DFU_STATUS_ERR_WRITE;
    return sr & SR_ERRORS ? failure : DFU_STATUS_OK;
}

uint8_t flash_erase(void *ctx, uint32_t address, uint32_t size)
{
    (void)ctx;
    if (address < 0x08000000u || (address - 0x08000000u) % SECTOR_SIZE || size != SECTOR_SIZE || bank_of(address) > 1)
        return DFU_STATUS_ERR_ERASE;
    unsigned bank = bank_of(address);
    uint32_t sector = (address - 0x08000000u) % BANK_SIZE / SECTOR_SIZE;
    wait(bank);
    unlock(bank);
    CCR(bank) = SR_ERRORS;
    CR(bank) = CR_SER | CR_PSIZE_X32 | sector << CR_SNB_SHIFT;
    CR(bank) |= CR_START;
    cm7_dsb();
    return finish(bank, DFU_STATUS_ERR_ERASE);
}

uint8_t flash_program(void *ctx, uint32_t address, const uint8_t *data, uint32_t length)
{
    (void)ctx;
    if (address % FLASH_WORD) return DFU_STATUS_ERR_PROG;
    unsigned bank = bank_of(address);
    wait(bank);
    unlock(bank);
    CCR(bank) = SR_ERRORS;
    CR(bank) = CR_PG | CR_PSIZE_X32;
    for (uint32_t done = 0; done < length; done += FLASH_WORD) {
        uint8_t word[FLASH_WORD];
        memset(word, 0xFF, sizeof word);
        memcpy(word, &data[done], length - done < FLASH_WORD ? length - done : FLASH_WORD);
        for (unsigned i = 0; i < FLASH_WORD; i += 4u)
            REG32(address + done + i) = (uint32_t)word[i] | (uint32_t)word[i + 1] << 8 |
                                        (uint32_t)word[i + 2] << 16 | (uint32_t)word[i + 3] << 24;
        cm7_dsb();
        wait(bank);
        if (SR(bank) & SR_ERRORS) break;
    }
    return finish(bank, DFU_STATUS_ERR_PROG);
}

void flash_read(void *ctx, uint32_t address, uint8_t *data, uint32_t length)
{
    (void)ctx;
    memcpy(data, (const void *)(uintptr_t)address, length);
}
