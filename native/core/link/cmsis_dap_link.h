/* dp_link over a CMSIS-DAP probe: queued transfers are packed into DAP_Transfer packets up to
 * the probe's packet size, and blocks go out as DAP_TransferBlock. The probe is reached
 * through a packet transport (USB HID, USB bulk, TCP, or the in-process virtual probe). */
#ifndef CMSIS_DAP_LINK_H
#define CMSIS_DAP_LINK_H

#include "link/dp_link.h"

#define CMSIS_DAP_LINK_MAX_PACKET 1024u

typedef struct dap_transport {
    void *ctx;
    /* Sends one command packet and receives its response. Returns the response length, or a
     * negative number when the transport failed. */
    int (*exchange)(void *ctx, const uint8_t *request, size_t length, uint8_t *response, size_t capacity);
} dap_transport;

typedef struct cmsis_dap_link {
    dp_link link;                 /* first: a cmsis_dap_link * is a dp_link * */
    const dap_transport *transport;
    uint16_t packet_size;         /* from DAP_Info, read by cmsis_dap_link_init */
    uint8_t request[CMSIS_DAP_LINK_MAX_PACKET];
    size_t request_length;        /* the DAP_Transfer being assembled (0: none) */
    uint32_t *read_to[CMSIS_DAP_LINK_MAX_PACKET / 4];
    unsigned reads;
    unsigned last_was_write;
    dp_link_status error;
    uint32_t packets;             /* packets exchanged, for benchmarks */
    uint8_t response[CMSIS_DAP_LINK_MAX_PACKET];
} cmsis_dap_link;

/* Asks the probe for its packet size and sets the transfer parameters. */
dp_link_status cmsis_dap_link_init(cmsis_dap_link *l, const dap_transport *transport);

#endif
