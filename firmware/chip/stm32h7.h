/* STM32H742/743/750/753 facts this firmware uses (RM0433, and the STM32H743/H750 datasheets). */
#ifndef STM32H7_H
#define STM32H7_H

/* Interrupts: positions 0..149 of the vector table after the 16 system exceptions. */
#define CHIP_IRQ_COUNT 150u

/* The internal oscillator the core runs on after reset (HSI 64 MHz). */
#define CHIP_RESET_CORE_HZ 64000000u

/* U(S)ARTs a board may choose for the target UART (both on APB1, D2 domain). */
#define CHIP_UART2_BASE 0x40004400u
#define CHIP_UART2_IRQ 38
#define CHIP_UART7_BASE 0x40007800u
#define CHIP_UART7_IRQ 82

/* SWD bit-banging: the cycles that the shortest half period of the GPIO swd_phy costs when it
 * never waits (swd_gpio.c). An estimate, not a measurement: see swd_gpio.c. */
#define CHIP_SWD_MIN_HALF_PERIOD_CYCLES 24u

#endif
