#include "dap_frame.h"

static const uint8_t signature[4] = {0x44, 0x41, 0x50, 0x00}; /* 0x00504144, little-endian */

void dap_frame_rx_init(dap_frame_rx *rx)
{
    rx->header_length = 0;
    rx->payload_length = 0;
    rx->received = 0;
}

size_t dap_frame_rx_byte(dap_frame_rx *rx, uint8_t byte)
{
    if (rx->payload_length) { /* inside a request's payload */
        rx->payload[rx->received++] = byte;
        if (rx->received < rx->payload_length) return 0;
        size_t n = rx->payload_length;
        rx->payload_length = 0;
        rx->received = 0;
        return n;
    }
    if (rx->header_length < sizeof signature && byte != signature[rx->header_length]) {
        /* Not a header here. "D" occurs only first in the signature, so a header can start
         * again at this byte only if it is a "D". */
        rx->header[0] = byte;
        rx->header_length = byte == signature[0] ? 1u : 0u;
        return 0;
    }
    rx->header[rx->header_length++] = byte;
    if (rx->header_length < DAP_FRAME_HEADER_SIZE) return 0;
    rx->header_length = 0;
    size_t length = (size_t)rx->header[4] | (size_t)rx->header[5] << 8;
    if (rx->header[6] == DAP_FRAME_REQUEST && length > 0 && length <= sizeof rx->payload) rx->payload_length = length;
    return 0;
}

void dap_frame_response_header(uint8_t header[DAP_FRAME_HEADER_SIZE], size_t length)
{
    for (unsigned i = 0; i < sizeof signature; i++) header[i] = signature[i];
    header[4] = (uint8_t)length;
    header[5] = (uint8_t)(length >> 8);
    header[6] = DAP_FRAME_RESPONSE;
    header[7] = 0;
}
