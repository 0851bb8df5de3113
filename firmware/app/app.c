/* The probe application's main loop (app.h): the GDB server core and the CMSIS-DAP engine side
 * by side over one SWD wire. Everything is in the caller's `app`; no heap, no stdio. */
#include "app/app.h"

/* While the target runs under GDB, how often to ask whether it halted (milliseconds). */
#define APP_POLL_INTERVAL_MS 2u

void app_init(app *a, const app_io *io, const swd_phy *phy, const dap_strings *strings, uint16_t packet_size,
              uint8_t packet_count)
{
    a->io = io;
    swd_link_init(&a->link, phy);
    probe_session_init(&a->probe, &a->link.link);
    /* The GDB server's output callback has the shape of gdb_write: replies go straight out. */
    gdb_server_init(&a->gdb, &a->probe, io->gdb_write, io->ctx);
    dap_init(&a->dap, phy, strings, packet_size, packet_count);
    a->last_poll_ms = io->millis(io->ctx);
}

/* Runs one CMSIS-DAP request and sends back every response it releases (a request after
 * DAP_QueueCommands releases the ones held back, in order). */
static void serve_dap(app *a, size_t length, unsigned source)
{
    const app_io *io = a->io;
    if (io->dap_packet_size) { /* DAP_Info and the engine's limits follow the request's source */
        uint16_t size = io->dap_packet_size(io->ctx, source);
        a->dap.packet_size = size < 64u ? 64u : size > DAP_MAX_PACKET_SIZE ? DAP_MAX_PACKET_SIZE : size;
    }
    unsigned ready = dap_process(&a->dap, a->packet, length);
    for (unsigned i = 0; i < ready; i++) {
        size_t n = 0;
        const uint8_t *response = dap_response(&a->dap, i, &n);
        if (response && n) io->dap_write(io->ctx, source, response, n);
    }
}

void app_poll(app *a)
{
    const app_io *io = a->io;

    if (io->gdb_hangup && io->gdb_hangup(io->ctx)) gdb_server_disconnect(&a->gdb);

    /* GDB bytes first: a Ctrl-C must reach the server before the next poll. The packet buffer
     * is free between DAP requests, so it doubles as the GDB receive buffer. */
    size_t n = io->gdb_read(io->ctx, a->packet, sizeof a->packet);
    if (n) gdb_server_input(&a->gdb, a->packet, n);

    unsigned source = 0;
    n = io->dap_read(io->ctx, a->packet, sizeof a->packet, &source);
    if (n) serve_dap(a, n, source);

    if (a->gdb.run == GDB_RUNNING) {
        uint32_t now = io->millis(io->ctx);
        if ((uint32_t)(now - a->last_poll_ms) >= APP_POLL_INTERVAL_MS) {
            a->last_poll_ms = now;
            gdb_server_poll(&a->gdb);
        }
    }
}
