/* CMSIS-DAP v2.1 command processor for SWD (the "Commands" chapter of the CMSIS-DAP
 * specification). Portable: no heap, no stdio, no global state; one dap_engine per probe. */
#ifndef DAP_H
#define DAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "swd/swd.h"

/* Sizes: DAP_MAX_PACKET_SIZE and DAP_MAX_QUEUED (response packets held back by
 * DAP_QueueCommands), from common/config.h; the engine keeps one more response than that. */
#define DAP_RESPONSE_SLOTS (DAP_MAX_QUEUED + 1u)

/* Strings for DAP_Info (IDs 0x01-0x09); NULL ones are reported as absent. */
typedef struct dap_strings {
    const char *vendor;          /* 0x01 */
    const char *product;         /* 0x02: must contain "CMSIS-DAP" */
    const char *serial;          /* 0x03 */
    const char *protocol;        /* 0x04: CMSIS-DAP protocol version, "2.1.0" */
    const char *target_vendor;   /* 0x05 */
    const char *target_name;     /* 0x06 */
    const char *board_vendor;    /* 0x07 */
    const char *board_name;      /* 0x08 */
    const char *firmware;        /* 0x09: product firmware version */
} dap_strings;

typedef struct dap_engine {
    const swd_phy *phy;
    dap_strings strings;
    uint16_t packet_size;        /* 64 for full-speed HID, 512 for bulk, 1024 over TCP */
    uint8_t packet_count;
    swd_config swd;
    uint16_t wait_retry;
    uint16_t match_retry;
    uint32_t match_mask;
    uint32_t clock_hz;
    bool connected;
    /* Set by the transport, out of band, when a DAP_TransferAbort arrives (the specification
     * wants it handled while a transfer runs); cleared when the next transfer command starts. */
    volatile bool abort;
    /* Responses: the current one, after any that DAP_QueueCommands held back. */
    uint8_t responses[DAP_RESPONSE_SLOTS][DAP_MAX_PACKET_SIZE];
    uint16_t response_length[DAP_RESPONSE_SLOTS];
    unsigned queued;
} dap_engine;

/* Sets up an engine over `phy`: turnaround 1, no idle cycles, 100 WAIT retries, no match
 * retries. `packet_size` is clamped to 64..DAP_MAX_PACKET_SIZE, `packet_count` to 1..255. */
void dap_init(dap_engine *e, const swd_phy *phy, const dap_strings *strings, uint16_t packet_size,
              uint8_t packet_count);

/* Processes one request packet. Returns how many response packets are ready: 0 after
 * DAP_QueueCommands or DAP_TransferAbort, otherwise 1 plus the responses queued before it.
 * Read them in order with dap_response(). A truncated or malformed request is answered with
 * the single byte 0xFF and changes nothing. */
unsigned dap_process(dap_engine *e, const uint8_t *request, size_t length);
const uint8_t *dap_response(const dap_engine *e, unsigned index, size_t *length);

/* An in-process exchange with the engine `ctx` (a dap_engine *), in the shape of a packet
 * transport (cmsis_dap_link's dap_transport): one request, one response copied out. Returns the
 * response length, or -1 when the request gave no single response or it does not fit. */
int dap_exchange(void *ctx, const uint8_t *request, size_t length, uint8_t *response, size_t capacity);

#endif
