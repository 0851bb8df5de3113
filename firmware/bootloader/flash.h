/* The chip's flash controller as the bootloader's DFU device uses it (dfu_flash_ops): erase a
 * sector, program, read. One file per family (flash_stm32f72x.c, flash_stm32h7.c); the DfuSe
 * core has already checked that every address is inside the application region, and it reads
 * back what these did (erased, or the data programmed). Each returns a DFU status: OK,
 * errWRITE (write-protected), errERASE, errPROG. */
#ifndef BOOTLOADER_FLASH_H
#define BOOTLOADER_FLASH_H

#include <stdint.h>

uint8_t flash_erase(void *ctx, uint32_t address, uint32_t size);
/* `length` need not fill the last program unit: the rest of it is programmed erased (0xFF). */
uint8_t flash_program(void *ctx, uint32_t address, const uint8_t *data, uint32_t length);
void flash_read(void *ctx, uint32_t address, uint8_t *data, uint32_t length);

#endif
