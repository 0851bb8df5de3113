/* The QEMU build's main (qemu-system-arm -M mps2-an500): the probe application (app/app.h) as
 * every board runs it, with UARTs for transports and the simulated target (native/sim) for the
 * SWD wire:
 *   UART0  the GDB server's byte stream (connect GDB with `target extended-remote`);
 *   UART1  CMSIS-DAP packets in the framing of `bmp-dap serve` (dap_frame.h);
 *   UART2  one line at start, or the reason it could not start.
 * The simulated target is compiled in behind the swd_phy seam, as on the PC (sim_swd_phy.c),
 * with the test fixture (test/fixtures/firmware) in its flash. Its memories come from malloc. */
#include <string.h>

#include "app/app.h"
#include "dap_frame.h"
#include "qemu_board.h"
#include "sim_swd_phy.h"
#include "sim_target.h"

#ifndef BMP_QEMU_PROFILE
#error "BMP_QEMU_PROFILE names the simulated target's profile (firmware/qemu/CMakeLists.txt)"
#endif

/* The fixture's flash image (.bin), linked in by firmware/qemu/CMakeLists.txt. */
extern const uint8_t bmp_fixture_start[], bmp_fixture_end[];

/* Status reads to wait for the next byte of a burst: QEMU hands a UART one byte at a time. */
#define UART_PATIENCE 200u
/* Virtual time the simulated target runs per turn of the loop while GDB lets it run, as the PC's
 * GDB server lets it run in 1 ms slices between polls (native/addon/gdb_wrap.cc). */
#define SIM_SLICE_PS (SIM_PS_PER_SECOND / 1000u)
/* app_io's source number for a UART (app.h: 0 HID, 1 bulk, 2 UART). */
#define DAP_SOURCE_UART 2u
/* The DAP engine's packets: as a high-speed bulk endpoint's (OpenOCD's usb_bulk backend). */
#define DAP_PACKET_SIZE 512u
#define DAP_PACKET_COUNT 4u

static sim_target target;
static swd_phy phy;
static dap_frame_rx dap_rx;
static app probe_app;

static size_t gdb_read(void *ctx, uint8_t *buffer, size_t capacity)
{
    (void)ctx;
    return cmsdk_uart_read(CMSDK_UART(QEMU_UART_GDB), buffer, capacity, UART_PATIENCE);
}

static void gdb_write(void *ctx, const uint8_t *data, size_t length)
{
    (void)ctx;
    cmsdk_uart_write(CMSDK_UART(QEMU_UART_GDB), data, length);
}

static size_t dap_read(void *ctx, uint8_t *buffer, size_t capacity, unsigned *source)
{
    (void)ctx;
    cmsdk_uart *uart = CMSDK_UART(QEMU_UART_DAP);
    unsigned idle = 0;
    for (;;) {
        uint8_t byte;
        if (!cmsdk_uart_getc(uart, &byte)) {
            /* Wait a little for the rest of a packet that has begun, not for a new one. */
            bool within = dap_rx.header_length || dap_rx.payload_length;
            if (!within || ++idle > UART_PATIENCE) return 0;
            continue;
        }
        idle = 0;
        size_t length = dap_frame_rx_byte(&dap_rx, byte);
        if (length && length <= capacity) {
            memcpy(buffer, dap_rx.payload, length);
            *source = DAP_SOURCE_UART;
            return length;
        }
    }
}

static void dap_write(void *ctx, unsigned source, const uint8_t *data, size_t length)
{
    (void)ctx, (void)source;
    uint8_t header[DAP_FRAME_HEADER_SIZE];
    dap_frame_response_header(header, length);
    cmsdk_uart_write(CMSDK_UART(QEMU_UART_DAP), header, sizeof header);
    cmsdk_uart_write(CMSDK_UART(QEMU_UART_DAP), data, length);
}

static uint32_t millis(void *ctx)
{
    (void)ctx;
    return qemu_millis();
}

static void log_line(const char *text)
{
    cmsdk_uart_write(CMSDK_UART(QEMU_UART_LOG), (const uint8_t *)text, strlen(text));
}

static const app_io io = {0, gdb_read, gdb_write, dap_read, dap_write, millis, 0, 0}; /* one packet size, no USB */
static const dap_strings strings = {"bmp-gdbserver", "bmp-gdbserver CMSIS-DAP (QEMU)", "QEMU0001", "2.1.0",
                                    0, 0, 0, 0, "0.1.0"};

int main(void)
{
    qemu_clock_init();
    cmsdk_uart_init(CMSDK_UART(QEMU_UART_GDB), QEMU_PCLK_HZ, 115200u, true);
    cmsdk_uart_init(CMSDK_UART(QEMU_UART_DAP), QEMU_PCLK_HZ, 115200u, true);
    cmsdk_uart_init(CMSDK_UART(QEMU_UART_LOG), QEMU_PCLK_HZ, 115200u, false);
    qemu_rx_wakeup_init();

    if (sim_target_init(&target, BMP_QEMU_PROFILE) != SIM_OK) {
        log_line("bmp-gdbserver (QEMU): cannot create the simulated " BMP_QEMU_PROFILE " (out of memory?)\n");
        for (;;) qemu_idle();
    }
    size_t fixture_size = (size_t)(bmp_fixture_end - bmp_fixture_start);
    if (sim_target_load(&target, target.profile->flash_base, bmp_fixture_start, fixture_size) != SIM_OK) {
        log_line("bmp-gdbserver (QEMU): the fixture does not fit the simulated flash\n");
        for (;;) qemu_idle();
    }
    sim_target_reset(&target, SIM_RESET_SYSTEM);
    sim_swd_phy_init(&phy, &target);
    dap_frame_rx_init(&dap_rx);
    app_init(&probe_app, &io, &phy, &strings, DAP_PACKET_SIZE, DAP_PACKET_COUNT);
    log_line("bmp-gdbserver (QEMU): simulated " BMP_QEMU_PROFILE "; GDB on UART0, CMSIS-DAP on UART1\n");

    for (;;) {
        app_poll(&probe_app);
        if (probe_app.gdb.run == GDB_RUNNING)
            sim_target_advance(&target, SIM_SLICE_PS);
        else
            qemu_idle();
    }
}
