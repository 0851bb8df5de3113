/* The probe application's USB transports (app_usb.h). */
#include "app/app_usb.h"

#include "usb/usb_probe.h"

#define GDB_PORT 0u               /* usb_probe's CDC-ACM port of the GDB server */
#define GDB_WRITE_TIMEOUT_MS 200u /* a host that reads nothing for this long loses the reply */

static const app_usb_hooks *hooks;

static size_t gdb_read(void *ctx, uint8_t *buffer, size_t capacity)
{
    (void)ctx;
    size_t n = usb_probe_cdc_read(GDB_PORT, buffer, capacity);
    if (n && hooks->activity) hooks->activity();
    return n;
}

/* Waits for room while the USB device sends what it holds, and gives up on a host that has
 * stopped reading (GDB gone without closing the port), so the probe never hangs on it. */
static void gdb_write(void *ctx, const uint8_t *data, size_t length)
{
    (void)ctx;
    uint32_t since = hooks->millis();
    while (length) {
        size_t n = usb_probe_cdc_write(GDB_PORT, data, length);
        if (n) {
            data += n;
            length -= n;
            since = hooks->millis();
        } else if (hooks->millis() - since > GDB_WRITE_TIMEOUT_MS) {
            return;
        } else {
            hooks->wait();
        }
    }
}

static size_t dap_read(void *ctx, uint8_t *buffer, size_t capacity, unsigned *source)
{
    (void)ctx;
    size_t n = usb_probe_dap_read(buffer, capacity, source);
    if (n && hooks->activity) hooks->activity();
    return n;
}

static void dap_write(void *ctx, unsigned source, const uint8_t *data, size_t length)
{
    (void)ctx;
    usb_probe_dap_write(source, data, length);
}

static uint32_t millis(void *ctx)
{
    (void)ctx;
    return hooks->millis();
}

/* HID reports are 64 bytes; bulk packets 512 once the bus came up at high speed (a high-speed
 * probe on a full-speed port has 64-byte ones). */
static uint16_t dap_packet_size(void *ctx, unsigned source)
{
    (void)ctx;
    return source == 1u && usb_probe_high_speed() ? 512u : 64u;
}

/* The host reset or reconfigured the device since the last look: the GDB session is over. */
static bool gdb_hangup(void *ctx)
{
    (void)ctx;
    static uint32_t seen;
    uint32_t now = usb_probe_restarts();
    bool changed = now != seen;
    seen = now;
    return changed;
}

static const app_io io = {0, gdb_read, gdb_write, dap_read, dap_write, millis, dap_packet_size, gdb_hangup};

const app_io *app_usb_io(const app_usb_hooks *given)
{
    hooks = given;
    return &io;
}
