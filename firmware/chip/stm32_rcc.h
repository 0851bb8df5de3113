/* What the F7's and the H7's clock set-up share: the prescaler codes of their RCC (the same
 * encoding in RCC_CFGR on the F7 and RCC_DxCFGR on the H7) and a bounded wait for a ready bit. */
#ifndef STM32_RCC_H
#define STM32_RCC_H

#include <stdbool.h>
#include <stdint.h>

/* AHB (HPRE): 0xxx divides by 1, 1000 by 2, 1001 by 4, 1010 by 8, 1011 by 16. */
static inline uint32_t stm32_ahb_prescaler(unsigned div)
{
    return div == 2 ? 8u : div == 4 ? 9u : div == 8 ? 10u : div == 16 ? 11u : 0u;
}

/* APB (PPRE): 0xx divides by 1, 100 by 2, 101 by 4, 110 by 8, 111 by 16. */
static inline uint32_t stm32_apb_prescaler(unsigned div)
{
    return div == 2 ? 4u : div == 4 ? 5u : div == 8 ? 6u : div == 16 ? 7u : 0u;
}

/* Waits for `mask` to be set in `reg`; false after `spins` reads (before SysTick runs, so
 * counted in reads: 2 million is tens of milliseconds at the reset clock). */
static inline bool stm32_wait_set(volatile uint32_t *reg, uint32_t mask, uint32_t spins)
{
    while (!(*reg & mask)) {
        if (!spins--) return false;
    }
    return true;
}

#endif
