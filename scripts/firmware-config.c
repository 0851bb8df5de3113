/* The probe firmware's configuration of the portable core, as scripts/cross-compile-core.sh
 * links it to measure code and static RAM against the firmware's budget: one SWD wire (GPIO,
 * stubbed here), one DAP engine (CMSIS-DAP to the host), one probe session over an swd_link,
 * and one GDB server on it, all allocated statically as the firmware will. The USB side is a
 * stub on fixed peripheral addresses (its buffers belong to the USB stack, not to the core).
 * Built with GDB_PACKET_SIZE=4096 and DAP_MAX_PACKET_SIZE=1024; not part of any other build. */
#include "dap/dap.h"
#include "gdb/gdb_server.h"
#include "link/swd_link.h"

#define GPIO_IDR (*(volatile uint32_t *)0x40020010u)
#define GPIO_BSRR (*(volatile uint32_t *)0x40020018u)
#define USB_RX_STATUS (*(volatile uint32_t *)0x40040000u) /* endpoint << 16 | length, 0: nothing */
#define USB_FIFO ((const uint8_t *)0x40041000u)
#define USB_TX (*(volatile uint32_t *)0x40040004u)

enum { PIN_SWCLK = 1u << 2, PIN_SWDIO = 1u << 3, PIN_NRESET = 1u << 4 };

static void write_bits(void *ctx, uint32_t bits, unsigned count)
{
    (void)ctx;
    for (unsigned i = 0; i < count; i++, bits >>= 1) {
        GPIO_BSRR = (bits & 1 ? PIN_SWDIO : PIN_SWDIO << 16) | PIN_SWCLK << 16;
        GPIO_BSRR = PIN_SWCLK;
    }
}

static uint32_t read_bits(void *ctx, unsigned count)
{
    uint32_t bits = 0;
    (void)ctx;
    for (unsigned i = 0; i < count; i++) {
        GPIO_BSRR = PIN_SWCLK << 16;
        bits |= (uint32_t)((GPIO_IDR & PIN_SWDIO) != 0) << i;
        GPIO_BSRR = PIN_SWCLK;
    }
    return bits;
}

static uint32_t set_clock(void *ctx, uint32_t hz)
{
    (void)ctx;
    return hz;
}

static uint8_t pins(void *ctx, uint8_t value, uint8_t select)
{
    (void)ctx;
    if (select & SWD_PIN_NRESET) GPIO_BSRR = value & SWD_PIN_NRESET ? PIN_NRESET : PIN_NRESET << 16;
    return (uint8_t)(GPIO_IDR & PIN_NRESET ? SWD_PIN_NRESET : 0);
}

static void delay_us(void *ctx, uint32_t us)
{
    (void)ctx;
    for (volatile uint32_t i = 0; i < us * 50u; i++) continue;
}

static void usb_send(void *ctx, const uint8_t *data, size_t length)
{
    (void)ctx;
    for (size_t i = 0; i < length; i++) USB_TX = data[i];
}

static const swd_phy phy = {0, write_bits, read_bits, set_clock, pins, delay_us};
static const dap_strings strings = {"bmp-gdbserver", "bmp-gdbserver CMSIS-DAP", "00000001", "2.1.0",
                                    0, 0, 0, 0, "0.1.0"};

/* The core's state in the firmware. */
static dap_engine dap;
static swd_link wire;
static probe_session probe;
static gdb_server gdb;

void firmware_main(void)
{
    dap_init(&dap, &phy, &strings, DAP_MAX_PACKET_SIZE, 4);
    swd_link_init(&wire, &phy);
    probe_session_init(&probe, &wire.link);
    gdb_server_init(&gdb, &probe, usb_send, 0);
    for (;;) {
        uint32_t status = USB_RX_STATUS, length = status & 0xFFFFu;
        if (length && status >> 16 == 1) { /* endpoint 1: CMSIS-DAP */
            unsigned ready = dap_process(&dap, USB_FIFO, length);
            for (unsigned i = 0; i < ready; i++) {
                size_t n;
                const uint8_t *response = dap_response(&dap, i, &n);
                usb_send(0, response, n);
            }
        } else if (length) { /* the GDB serial port */
            gdb_server_input(&gdb, USB_FIFO, length);
        } else if (status & 0x80000000u) { /* the host closed the serial port */
            gdb_server_disconnect(&gdb);
        }
        gdb_server_poll(&gdb);
    }
}
