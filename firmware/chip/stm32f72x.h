/* STM32F72x facts this firmware uses (RM0431, and the STM32F723 datasheet). */
#ifndef STM32F72X_H
#define STM32F72X_H

/* Interrupts: positions 0..103 of the vector table after the 16 system exceptions. */
#define CHIP_IRQ_COUNT 104u

/* The internal oscillator the core runs on after reset. */
#define CHIP_RESET_CORE_HZ 16000000u

/* U(S)ARTs a board may choose for the target UART. */
#define CHIP_UART6_BASE 0x40011400u
#define CHIP_UART6_IRQ 71

/* SWD bit-banging: the cycles that the shortest half period of the GPIO swd_phy costs when it
 * never waits (swd_gpio.c). An estimate, not a measurement: see swd_gpio.c. */
#define CHIP_SWD_MIN_HALF_PERIOD_CYCLES 6u

#endif
