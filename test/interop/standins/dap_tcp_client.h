/* Test-only: the client side of CMSIS-DAP over TCP (the framing of `bmp-dap serve`), shared by
 * the USB library stand-ins. It connects to 127.0.0.1 only, on $BMP_DAP_PORT (default 4441). */
#ifndef DAP_TCP_CLIENT_H
#define DAP_TCP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* A connected socket, or -1. */
int dap_tcp_connect(void);
/* Sends one request packet; returns 0, or -1 on error. */
int dap_tcp_send(int fd, const uint8_t *payload, size_t length);
/* Receives one response packet into `out` (up to `cap` bytes, the rest dropped); returns its
 * length, 0 when nothing arrived within `timeout_ms`, -1 on error. */
int dap_tcp_receive(int fd, uint8_t *out, size_t cap, int timeout_ms);

#endif
