/* CMSIS-DAP packets on a byte stream, in the framing of `bmp-dap serve` (lib/dap-server.ts):
 * each packet follows an 8-byte little-endian header, u32 signature 0x00504144 ("DAP\0"), u16
 * payload length, u8 type (1 request, 2 response), u8 reserved. The receiver takes bytes one at
 * a time and skips anything that is not a request header, so it finds the next packet again
 * after a client went away in the middle of one. */
#ifndef DAP_FRAME_H
#define DAP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

#define DAP_FRAME_HEADER_SIZE 8u
#define DAP_FRAME_REQUEST 1u
#define DAP_FRAME_RESPONSE 2u

typedef struct dap_frame_rx {
    uint8_t header[DAP_FRAME_HEADER_SIZE];
    unsigned header_length;     /* header bytes so far */
    size_t payload_length;      /* from the header, once it is whole */
    size_t received;            /* payload bytes so far */
    uint8_t payload[DAP_MAX_PACKET_SIZE];
} dap_frame_rx;

void dap_frame_rx_init(dap_frame_rx *rx);
/* Takes one byte; returns the payload length when it completes a request (the payload is then
 * in rx->payload until the next byte), else 0. Requests longer than DAP_MAX_PACKET_SIZE and
 * frames of another type are skipped. */
size_t dap_frame_rx_byte(dap_frame_rx *rx, uint8_t byte);

/* The header for a response of `length` bytes. */
void dap_frame_response_header(uint8_t header[DAP_FRAME_HEADER_SIZE], size_t length);

#endif
