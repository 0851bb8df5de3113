/* The probe application: the main loop that every probe build runs (the boards over USB, the
 * QEMU build over UARTs). It owns one probe session: the GDB server core on a GDB byte stream,
 * and the CMSIS-DAP engine on CMSIS-DAP packets, both over the same SWD wire (swd_phy). The
 * cores in native/core are linked as they are; nothing here forks their logic.
 *
 * The embedding (a board's main, or the QEMU main) provides the transports as an app_io and
 * calls app_poll() from its loop; nothing blocks. When its transport can tell that GDB went away
 * (CDC-ACM: the host dropped DTR), it calls gdb_server_disconnect(&a->gdb), which leaves the
 * target running as the PC's server does on a closed socket. A UART cannot tell: there the
 * server turns acknowledgements back on at the next GDB's first packet (qSupported), and the
 * newcomer finds the target as the previous one left it. */
#ifndef APP_H
#define APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dap/dap.h"
#include "gdb/gdb_server.h"
#include "link/swd_link.h"
#include "swd/swd_phy.h"
#include "cortexm/probe_session.h"

typedef struct app_io {
    void *ctx;
    /* The GDB stream (CDC-ACM interface 0, or UART0): bytes as they come. Non-blocking: returns
     * how many it copied, 0 if none are waiting. */
    size_t (*gdb_read)(void *ctx, uint8_t *buffer, size_t capacity);
    /* Queues bytes for GDB; the transport keeps them until they are sent (it may block briefly
     * when its buffer is full, never forever). */
    void (*gdb_write)(void *ctx, const uint8_t *data, size_t length);
    /* CMSIS-DAP: one whole request packet if one has arrived (HID report, bulk transfer, or a
     * framed packet on a UART), else 0. `source` says where it came from, so that the response
     * goes back the same way (0: HID, 1: bulk, 2: UART). */
    size_t (*dap_read)(void *ctx, uint8_t *buffer, size_t capacity, unsigned *source);
    /* Sends one response packet to `source`. */
    void (*dap_write)(void *ctx, unsigned source, const uint8_t *data, size_t length);
    /* Milliseconds since start (for the GDB server's poll interval while the target runs). */
    uint32_t (*millis)(void *ctx);
    /* Optional: the CMSIS-DAP packet size of a source, when they differ (HID reports are 64
     * bytes, bulk packets 512 at high speed); NULL: the size given to app_init for all. */
    uint16_t (*dap_packet_size)(void *ctx, unsigned source);
    /* Optional: whether the GDB stream's host went away since the last call (a USB bus reset or
     * a new configuration): the GDB session ends as on a closed connection, so that the next
     * GDB finds the server as at power-up. NULL: never. */
    bool (*gdb_hangup)(void *ctx);
} app_io;

/* A DAP_TransferAbort that arrives while a request runs is handled out of band, as the
 * specification asks: the transport sets `dap.abort` from its interrupt. */
typedef struct app {
    const app_io *io;
    swd_link link;
    probe_session probe;
    gdb_server gdb;
    dap_engine dap;
    uint32_t last_poll_ms;
    uint8_t packet[DAP_MAX_PACKET_SIZE];
} app;

/* Sets up the session over `phy`: the DAP engine answers with `strings` (the product string must
 * contain "CMSIS-DAP") and `packet_size`/`packet_count` (64/4 for full-speed HID, 512/4 for
 * high-speed bulk, as the board's descriptors say). */
void app_init(app *a, const app_io *io, const swd_phy *phy, const dap_strings *strings, uint16_t packet_size,
              uint8_t packet_count);
/* One turn of the main loop: GDB input, CMSIS-DAP requests, and, while the target runs under
 * GDB, a poll every few milliseconds. Returns at once when there is nothing to do. */
void app_poll(app *a);

#endif
