#include "cmsdk_uart.h"

void cmsdk_uart_init(cmsdk_uart *u, uint32_t pclk_hz, uint32_t baud, bool rx_interrupt)
{
    uint32_t divider = baud ? pclk_hz / baud : 16u;
    u->ctrl = 0;
    u->bauddiv = divider < 16u ? 16u : divider;
    u->intstatus = CMSDK_UART_INT_TX | CMSDK_UART_INT_RX;
    u->ctrl = CMSDK_UART_CTRL_TX_EN | CMSDK_UART_CTRL_RX_EN | (rx_interrupt ? CMSDK_UART_CTRL_RX_INT_EN : 0u);
}

bool cmsdk_uart_getc(cmsdk_uart *u, uint8_t *byte)
{
    if (!cmsdk_uart_readable(u)) return false;
    *byte = (uint8_t)u->data;
    return true;
}

size_t cmsdk_uart_read(cmsdk_uart *u, uint8_t *buffer, size_t capacity, unsigned patience)
{
    size_t n = 0;
    unsigned idle = 0;
    while (n < capacity) {
        if (cmsdk_uart_getc(u, &buffer[n])) {
            n++;
            idle = 0;
        } else if (n == 0 || ++idle > patience) {
            break;
        }
    }
    return n;
}

void cmsdk_uart_write(cmsdk_uart *u, const uint8_t *data, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        while (u->state & CMSDK_UART_STATE_TX_FULL) continue;
        u->data = data[i];
    }
}
