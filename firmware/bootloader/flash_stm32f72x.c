/* The STM32F72x flash controller for the bootloader (RM0431, "Embedded Flash memory"; the
 * register layout is the F4's): sector erase and 32-bit programming (PSIZE x32, for a 2.7 to
 * 3.6 V supply), one operation at a time with the controller locked again after it. Code runs
 * from the same flash, so the core stalls on its fetches while the controller is busy: the
 * host meanwhile waits the bwPollTimeout the DFU core told it. */
#include <string.h>

#include "bootloader/flash.h"
#include "chip/chip.h"
#include "dfu/dfu.h"

#define FLASH_BASE_REG 0x40023C00u
#define FLASH_KEYR REG32(FLASH_BASE_REG + 0x04u)
#define FLASH_SR REG32(FLASH_BASE_REG + 0x0Cu)
#define FLASH_CR REG32(FLASH_BASE_REG + 0x10u)
#define SR_BSY (1u << 16)
#define SR_WRPERR (1u << 4)
#define SR_ERRORS (0x2u | SR_WRPERR | 0x20u | 0x40u | 0x80u) /* OPERR, WRPERR, PGAERR, PGPERR, ERSERR */
#define CR_PG (1u << 0)
#define CR_SER (1u << 1)
#define CR_SNB_SHIFT 3u
#define CR_PSIZE_X32 (2u << 8)
#define CR_STRT (1u << 16)
#define CR_LOCK (1u << 31)

/* The F72x's sectors: 4 x 16 KiB, 1 x 64 KiB, 3 x 128 KiB from 0x08000000. */
static int sector_of(uint32_t address)
{
    static const uint32_t starts[] = {0x08000000u, 0x08004000u, 0x08008000u, 0x0800C000u,
                                      0x08010000u, 0x08020000u, 0x08040000u, 0x08060000u};
    for (int n = 0; n < 8; n++)
        if (address == starts[n]) return n;
    return -1;
}

static void unlock(void)
{
    if (FLASH_CR & CR_LOCK) {
        FLASH_KEYR = 0x45670123u;
        FLASH_KEYR = 0xCDEF89ABu;
    }
}

/* Waits for the operation, locks the controller, and says how it went. */
static uint8_t finish(uint8_t failure)
{
    while (FLASH_SR & SR_BSY) continue;
    uint32_t sr = FLASH_SR;
    FLASH_SR = SR_ERRORS; /* write 1 to clear */
    FLASH_CR = CR_LOCK;
    if (sr & SR_WRPERR) return DFU_STATUS_ERR_WRITE;
    return sr & SR_ERRORS ? failure : DFU_STATUS_OK;
}

uint8_t flash_erase(void *ctx, uint32_t address, uint32_t size)
{
    (void)ctx, (void)size;
    int sector = sector_of(address);
    if (sector < 0) return DFU_STATUS_ERR_ERASE;
    while (FLASH_SR & SR_BSY) continue;
    unlock();
    FLASH_SR = SR_ERRORS;
    FLASH_CR = CR_SER | CR_PSIZE_X32 | (uint32_t)sector << CR_SNB_SHIFT;
    FLASH_CR |= CR_STRT;
    cm7_dsb();
    return finish(DFU_STATUS_ERR_ERASE);
}

uint8_t flash_program(void *ctx, uint32_t address, const uint8_t *data, uint32_t length)
{
    (void)ctx;
    while (FLASH_SR & SR_BSY) continue;
    unlock();
    FLASH_SR = SR_ERRORS;
    FLASH_CR = CR_PG | CR_PSIZE_X32;
    for (uint32_t done = 0; done < length; done += 4u) {
        uint8_t word[4] = {0xFF, 0xFF, 0xFF, 0xFF};
        memcpy(word, &data[done], length - done < 4u ? length - done : 4u);
        REG32(address + done) = (uint32_t)word[0] | (uint32_t)word[1] << 8 | (uint32_t)word[2] << 16 |
                                (uint32_t)word[3] << 24;
        cm7_dsb();
        while (FLASH_SR & SR_BSY) continue;
        if (FLASH_SR & SR_ERRORS) break;
    }
    return finish(DFU_STATUS_ERR_PROG);
}

void flash_read(void *ctx, uint32_t address, uint8_t *data, uint32_t length)
{
    (void)ctx;
    memcpy(data, (const void *)(uintptr_t)address, length);
}
