/* Flash memories and their controllers (STM32F1, STM32F4, STM32H7), faithful to the reference
 * manuals: key sequences, erase granularity, program width, busy time, error flags. */
#ifndef SIM_FLASH_H
#define SIM_FLASH_H

#include "sim_types.h"

typedef struct sim_flash {
    uint8_t *mem;          /* the whole array, erased to 0xFF at power-on of a new target */
    uint32_t base;
    uint32_t size;
    /* controller registers and busy state: the module adds what it needs */
    bool inject_error;     /* the next erase or program operation fails with an error flag */
} sim_flash;

/* Allocates the array, adds the flash region(s), its boot alias and the controller to the bus.
 * Returns false when out of memory. */
bool sim_flash_attach(sim_target *t);
void sim_flash_free(sim_target *t);
void sim_flash_reset(sim_target *t, sim_reset_kind kind);
void sim_flash_inject_error(sim_target *t);

#endif
