/* The QEMU build's board: qemu-system-arm -M mps2-an500 (Cortex-M7). Addresses and interrupt
 * numbers from the MPS2 AN500 application note; the clock is the image's 25 MHz SYSCLK, which
 * drives the core (SysTick) and the APB (the UARTs). */
#ifndef QEMU_BOARD_H
#define QEMU_BOARD_H

#include <stdint.h>

#include "cmsdk_uart.h"

#define QEMU_CPU_HZ 25000000u
#define QEMU_PCLK_HZ 25000000u

/* CMSDK APB UARTs: QEMU connects its first -serial to UART0, the second to UART1, and so on. */
#define CMSDK_UART(n) ((cmsdk_uart *)(uintptr_t)((n) < 4u ? 0x40004000u + 0x1000u * (n) : 0x40009000u))
#define QEMU_UART_GDB 0u   /* the GDB server's byte stream */
#define QEMU_UART_DAP 1u   /* CMSIS-DAP packets in the framing of `bmp-dap serve` */
#define QEMU_UART_LOG 2u   /* a line at start and any fatal error */

/* External interrupts (NVIC numbers). */
#define QEMU_IRQ_UART0_RX 0u
#define QEMU_IRQ_UART1_RX 2u

/* SysTick at 1 kHz; milliseconds since qemu_clock_init. */
void qemu_clock_init(void);
uint32_t qemu_millis(void);
/* Lets the GDB and DAP UARTs' receive interrupts wake qemu_idle. */
void qemu_rx_wakeup_init(void);
/* Sleeps until a byte arrives on either UART or the next millisecond tick. */
void qemu_idle(void);

#endif
