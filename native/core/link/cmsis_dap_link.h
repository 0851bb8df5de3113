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
    /* Optional pipelining (both or neither): send a packet without waiting (0, or negative on
     * failure), and receive the oldest outstanding response (its length, or negative). At most
     * `in_flight` packets may be outstanding: the probe's DAP_Info packet count. */
    int (*submit)(void *ctx, const uint8_t *request, size_t length);
    int (*collect)(void *ctx, uint8_t *response, size_t capacity);
    unsigned in_flight;
} dap_transport;

#define CMSIS_DAP_LINK_MAX_IN_FLIGHT 8
#define CMSIS_DAP_LINK_READ_RING 1024

/* A packet sent and not yet answered: what to do with its response. */
typedef struct cmsis_dap_pending {
    bool block;          /* DAP_TransferBlock, else DAP_Transfer */
    bool combined;       /* DAP_ExecuteCommands: a DAP_Transfer (writes only), then the block */
    uint8_t transfers;   /* combined: the DAP_Transfer's count */
    bool read;           /* block: reads */
    uint32_t *dest;      /* block reads land here */
    uint16_t count;      /* transfers or words requested */
    uint16_t first_read; /* DAP_Transfer: its read destinations in read_ring */
    uint16_t reads;
} cmsis_dap_pending;

typedef struct cmsis_dap_link {
    dp_link link;                 /* first: a cmsis_dap_link * is a dp_link * */
    const dap_transport *transport;
    uint16_t packet_size;         /* from DAP_Info, read by cmsis_dap_link_init */
    unsigned window;              /* packets in flight at most */
    bool atomic;                  /* the probe takes DAP_ExecuteCommands (capabilities bit 4) */
    uint8_t request[CMSIS_DAP_LINK_MAX_PACKET];
    size_t request_length;        /* the DAP_Transfer being assembled (0: none) */
    unsigned reads;               /* its reads so far */
    uint16_t read_head;           /* read_ring: where the assembled packet's reads start */
    uint32_t *read_ring[CMSIS_DAP_LINK_READ_RING];
    cmsis_dap_pending pending[CMSIS_DAP_LINK_MAX_IN_FLIGHT];
    unsigned pending_head, pending_count;
    bmp_status error;         /* the first error since the last flush */
    uint32_t packets;             /* packets sent, for benchmarks */
    uint8_t response[CMSIS_DAP_LINK_MAX_PACKET];
} cmsis_dap_link;

/* Asks the probe for its packet size and sets the transfer parameters. */
bmp_status cmsis_dap_link_init(cmsis_dap_link *l, const dap_transport *transport);

#endif
