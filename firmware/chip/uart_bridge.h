/* The target UART bridge: bytes between the USB device's CDC-ACM port 1 (usb_probe.h) and the
 * board's target U(S)ART, 8 data bits, no parity, one stop bit, at the baud rate the host sets
 * on the port. The USART's interrupt moves bytes to and from two rings, so nothing is lost while
 * the main loop is busy with a long SWD operation (up to the ring's size). */
#ifndef UART_BRIDGE_H
#define UART_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#define UART_BRIDGE_DEFAULT_BAUD 115200u

/* Pins, clock, 115200 baud, the interrupt. */
void uart_bridge_init(void);
/* One turn: a new baud rate if the host set one, USB to UART, UART to USB. Returns true if any
 * byte moved (the board shows activity). */
bool uart_bridge_poll(void);
/* Bytes received while the receive ring was full, since start. */
uint32_t uart_bridge_dropped(void);

#endif
