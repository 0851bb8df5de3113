/* The Arm CMSDK APB UART (Cortex-M System Design Kit TRM), as the MPS2 images have it: a
 * one-byte buffer each way, polled. Register layout and bits from the TRM. */
#ifndef CMSDK_UART_H
#define CMSDK_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cmsdk_uart {
    volatile uint32_t data;      /* 0x00: received byte on read, byte to send on write */
    volatile uint32_t state;     /* 0x04: CMSDK_UART_STATE_* */
    volatile uint32_t ctrl;      /* 0x08: CMSDK_UART_CTRL_* */
    volatile uint32_t intstatus; /* 0x0C: pending interrupts on read; write 1 to clear */
    volatile uint32_t bauddiv;   /* 0x10: PCLK / baud, at least 16 */
} cmsdk_uart;

enum {
    CMSDK_UART_STATE_TX_FULL = 1u << 0,
    CMSDK_UART_STATE_RX_FULL = 1u << 1,
    CMSDK_UART_STATE_TX_OVERRUN = 1u << 2,
    CMSDK_UART_STATE_RX_OVERRUN = 1u << 3,
    CMSDK_UART_CTRL_TX_EN = 1u << 0,
    CMSDK_UART_CTRL_RX_EN = 1u << 1,
    CMSDK_UART_CTRL_TX_INT_EN = 1u << 2,
    CMSDK_UART_CTRL_RX_INT_EN = 1u << 3,
    CMSDK_UART_INT_TX = 1u << 0,
    CMSDK_UART_INT_RX = 1u << 1,
};

/* Enables both directions at `baud` (from the APB clock `pclk_hz`); `rx_interrupt` raises the
 * receive interrupt on each byte. */
void cmsdk_uart_init(cmsdk_uart *u, uint32_t pclk_hz, uint32_t baud, bool rx_interrupt);

static inline bool cmsdk_uart_readable(const cmsdk_uart *u)
{
    return (u->state & CMSDK_UART_STATE_RX_FULL) != 0;
}

/* One byte if one has arrived. */
bool cmsdk_uart_getc(cmsdk_uart *u, uint8_t *byte);
/* Whatever arrives until `capacity` bytes or until no byte came for `patience` status reads in a
 * row (the buffer holds one byte: a burst from the host arrives byte by byte); 0 if none. */
size_t cmsdk_uart_read(cmsdk_uart *u, uint8_t *buffer, size_t capacity, unsigned patience);
/* Sends `length` bytes, waiting while the transmit buffer is full. */
void cmsdk_uart_write(cmsdk_uart *u, const uint8_t *data, size_t length);

#endif
