// fuzz-sources: firmware/usb/usb_device.c firmware/usb/usb_dwc2.c firmware/usb/usb_phyc_f72x.c
// fuzz-sources: firmware/usb/usb_probe.c firmware/usb/usb_probe_desc.c firmware/usb/usb_dfu.c
// fuzz-sources: native/core/dfu/dfu_device.c native/core/dfu/dfu_desc.c
// fuzz-sources: test/usb/otg_model.c test/usb/usb_host.c
// fuzz-flags: -I firmware -I test/usb -I test/native -DUSB_MMIO_MODEL
/* libFuzzer target for the firmware's USB device stack (firmware/usb), compiled for the PC as
 * test/usb does: the Synopsys OTG driver over the register model (test/usb/otg_model.c), the
 * device core's control transfers and standard requests, and above it either the probe's
 * composite device (usb_probe.c: two CDC-ACM, HID and vendor CMSIS-DAP interfaces, MS OS 2.0
 * descriptors, the DFU vendor request) or the bootloader's DfuSe device (usb_dfu.c). The input
 * is a host: transactions, whole control transfers, bus resets, and the firmware's main loop
 * reading and writing its streams.
 *
 * Input: one configuration byte, then records.
 *   cfg bit 0  the controller: OTG_HS with the F723's UTMI PHY (else the H7's OTG_FS)
 *       bit 1  a high-speed host (on OTG_HS)
 *       bit 2  enumerate first: reset, SET_ADDRESS(1), SET_CONFIGURATION(1)
 *       bit 3  the bootloader's DFU device instead of the probe's
 *   records (at most 64), op bits 0-2:
 *     0  a control transfer: 8 setup bytes, then for a host-to-device one the data (what the
 *        input lacks reads as zero; at most 1 KiB is sent, the rest never comes)
 *     1  a SETUP transaction alone (8 bytes): whatever stage was running is abandoned
 *     2  an IN transaction on the endpoint of the next byte (bits 0-3)
 *     3  an OUT transaction: next byte endpoint (bits 0-3) and length (bits 4-7, x 4 bytes; 0x0F
 *        means 64), then the data
 *     4  a bus reset (op bit 3: at high speed)
 *     5  suspend, then (op bit 3) resume
 *     6  the main loop takes what arrived: a CMSIS-DAP request (answered with the next byte's
 *        count of bytes, or not at all for 0), and CDC bytes (echoed back)
 *     7  the device runs (op bits 3-5: 1 to 8 times)
 *
 * Checked, after every record:
 *   - the model saw no misuse of the controller by the driver (otg_model errors: FIFO
 *     overflows, pushes past a transfer, packets too long for the endpoint or the speed,
 *     disabled endpoints, the RX FIFO's bookkeeping);
 *   - a control transfer's IN data stage is never longer than wLength, and comes in packets of
 *     at most 64 bytes; a status stage is zero-length;
 *   - every IN packet of an endpoint fits its max packet size (64, or 512 for bulk at high
 *     speed), a HID report is 64 bytes, a CMSIS-DAP request the main loop takes is at most one
 *     packet;
 * and at the end of the run, when the device is configured: for every endpoint of the
 * configuration, the halt state GET_STATUS reports is the STALL the controller applies (the
 * endpoint state of the device core and of the controller agree). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usb/usb_dfu.h"
#include "usb/usb_probe_desc.h"
#include "usb_host.h"

static usb_rig rig;
static usb_host host;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_usb: property violated: %s (model: %u errors, last: %s)\n", what, rig.otg.errors,
            rig.otg.error);
    abort();
}

#define CHECK(cond)               \
    do {                          \
        if (!(cond)) fail(#cond); \
    } while (0)

/* ---- the bootloader's flash: a small region in RAM ---- */

#define DFU_BASE 0x08008000u
#define DFU_SIZE 4096u
static uint8_t dfu_flash[DFU_SIZE];
static const dfu_sector_group dfu_sectors[] = {{2, 1024, 10}, {1, 2048, 20}};

static uint8_t dfu_erase(void *ctx, uint32_t address, uint32_t size)
{
    (void)ctx;
    CHECK(address >= DFU_BASE && size <= DFU_SIZE && address - DFU_BASE <= DFU_SIZE - size);
    memset(&dfu_flash[address - DFU_BASE], 0xFF, size);
    return DFU_STATUS_OK;
}

static uint8_t dfu_program(void *ctx, uint32_t address, const uint8_t *data, uint32_t length)
{
    (void)ctx;
    CHECK(address >= DFU_BASE && length <= DFU_SIZE && address - DFU_BASE <= DFU_SIZE - length);
    for (uint32_t i = 0; i < length; i++) dfu_flash[address - DFU_BASE + i] &= data[i];
    return DFU_STATUS_OK;
}

static void dfu_read(void *ctx, uint32_t address, uint8_t *data, uint32_t length)
{
    (void)ctx;
    CHECK(address >= DFU_BASE && length <= DFU_SIZE && address - DFU_BASE <= DFU_SIZE - length);
    memcpy(data, &dfu_flash[address - DFU_BASE], length);
}

static const dfu_flash_ops dfu_ops = {NULL, dfu_erase, dfu_program, dfu_read, NULL};

static void dfu_pump(void *ctx)
{
    (void)ctx;
    usb_dfu_task();
}

/* ---- the host's side ---- */

static bool dfu_mode;

static void check_model(void)
{
    if (rig.otg.errors) fail("the driver misused the controller");
}

/* The max packet size an IN endpoint of the configuration may use. */
static size_t in_max_packet(uint8_t n)
{
    if (n == 0) return 64;
    bool bulk = (0x80u | n) == USB_PROBE_EP_GDB_IN || (0x80u | n) == USB_PROBE_EP_UART_IN ||
                (0x80u | n) == USB_PROBE_EP_DAP_IN;
    return bulk && rig.otg.high_speed ? 512 : 64;
}

static otg_handshake in_packet(uint8_t ep, uint8_t *buffer, size_t *length)
{
    bool data1 = false;
    otg_handshake r = otg_model_in(&rig.otg, host.address, ep, buffer, 1024, length, &data1);
    if (r == OTG_ACK) {
        CHECK(*length <= in_max_packet(ep & 0x0Fu));
        if ((ep & 0x0F) == (USB_PROBE_EP_HID_IN & 0x0F) && !dfu_mode) CHECK(*length == USB_PROBE_HID_REPORT);
    }
    return r;
}

/* Retries while the device NAKs, running it in between, a few times. */
static otg_handshake in_retry(uint8_t ep, uint8_t *buffer, size_t *length)
{
    otg_handshake r = OTG_NAK;
    for (unsigned i = 0; i < 8 && r == OTG_NAK; i++) {
        r = in_packet(ep, buffer, length);
        if (r == OTG_NAK) usb_host_pump(&host);
    }
    return r;
}

static otg_handshake out_retry(uint8_t ep, const uint8_t *data, size_t length, bool data1)
{
    otg_handshake r = OTG_NAK;
    for (unsigned i = 0; i < 8 && r == OTG_NAK; i++) {
        r = otg_model_out(&rig.otg, host.address, ep, data, length, data1);
        if (r == OTG_NAK) usb_host_pump(&host);
    }
    return r;
}

/* A whole control transfer; returns whether it completed, with the IN data in `in`. */
static bool control(const uint8_t setup[8], const uint8_t *out, size_t out_length, uint8_t *in, size_t *in_length)
{
    uint16_t wlength = (uint16_t)(setup[6] | setup[7] << 8);
    *in_length = 0;
    if (otg_model_setup(&rig.otg, host.address, setup) != OTG_ACK) return false;
    usb_host_pump(&host);
    check_model();
    if (setup[0] & 0x80) {
        if (wlength) {
            /* Packets until a short one, with room for more than wLength: a device that sent
             * more would show here. */
            for (;;) {
                size_t got = 0;
                otg_handshake r = in_retry(0x80, in + *in_length, &got);
                check_model();
                if (r != OTG_ACK) return false;
                *in_length += got;
                CHECK(*in_length <= wlength);
                if (got < 64 || *in_length == wlength) break;
            }
        }
        otg_handshake r = out_retry(0x00, NULL, 0, true);
        usb_host_pump(&host);
        check_model();
        return r == OTG_ACK;
    }
    bool data1 = true;
    for (size_t done = 0; done < wlength;) {
        size_t chunk = wlength - done < 64 ? wlength - done : 64;
        if (done + chunk > out_length) return false; /* the rest never comes */
        otg_handshake r = out_retry(0x00, out + done, chunk, data1);
        usb_host_pump(&host);
        check_model();
        if (r != OTG_ACK) return false;
        data1 = !data1;
        done += chunk;
    }
    uint8_t status[1024];
    size_t got = 0;
    otg_handshake r = in_retry(0x80, status, &got);
    usb_host_pump(&host);
    check_model();
    if (r == OTG_ACK) CHECK(got == 0);
    return r == OTG_ACK;
}

static bool simple(uint8_t type, uint8_t request, uint16_t value, uint16_t index, uint16_t length, uint8_t *in,
                   size_t *in_length)
{
    const uint8_t setup[8] = {type, request, (uint8_t)value, (uint8_t)(value >> 8), (uint8_t)index,
                              (uint8_t)(index >> 8), (uint8_t)length, (uint8_t)(length >> 8)};
    return control(setup, NULL, 0, in, in_length);
}

/* The halt state each endpoint's GET_STATUS reports matches the controller's STALL. */
static void check_halts(void)
{
    static uint8_t in[4096 + 64];
    size_t n = 0;
    if (!simple(0x80, 8, 0, 0, 1, in, &n) || n != 1 || in[0] != 1) return; /* not configured */
    static const uint8_t eps[] = {USB_PROBE_EP_GDB_NOTIFY, USB_PROBE_EP_GDB_OUT, USB_PROBE_EP_GDB_IN,
                                  USB_PROBE_EP_UART_NOTIFY, USB_PROBE_EP_UART_OUT, USB_PROBE_EP_UART_IN,
                                  USB_PROBE_EP_HID_OUT, USB_PROBE_EP_HID_IN, USB_PROBE_EP_DAP_OUT,
                                  USB_PROBE_EP_DAP_IN};
    for (size_t i = 0; i < sizeof eps; i++) {
        uint8_t ep = eps[i];
        bool ok = simple(0x82, 0, 0, ep, 2, in, &n);
        CHECK(ok && n == 2);
        bool stalled = (ep & 0x80) ? rig.otg.in[ep & 0x0F].stall : rig.otg.out[ep & 0x0F].stall;
        if ((in[0] & 1) != stalled) {
            fprintf(stderr, "endpoint 0x%02x: GET_STATUS says %s, the controller %s\n", ep,
                    (in[0] & 1) ? "halted" : "not halted", stalled ? "stalls" : "does not stall");
            fail("endpoint halt state and controller STALL differ");
        }
    }
}

static void enumerate(void)
{
    uint8_t in[64];
    size_t n = 0;
    if (!simple(0x00, 5, 1, 0, 0, in, &n)) return;
    host.address = 1;
    simple(0x00, 9, 1, 0, 0, in, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t cfg = data[0];
    size_t at = 1;
    otg_model_kind kind = (cfg & 1) ? OTG_MODEL_HS_UTMI : OTG_MODEL_FS;
    bool hs_host = (cfg & 2) && kind == OTG_MODEL_HS_UTMI;
    dfu_mode = (cfg & 8) != 0;
    if (dfu_mode) {
        if (!usb_rig_start_controller(&rig, kind)) fail("usb_rig_start_controller");
        memset(dfu_flash, 0xFF, sizeof dfu_flash);
        const usb_dfu_config config = {
            .desc = {0x1D50, 0x6017, 0x0100, "bmp-gdbserver", "bmp-gdbserver DFU (fuzz)", "0123456789ABCDEF01234567",
                     kind == OTG_MODEL_HS_UTMI},
            .dfu = {"Application", DFU_BASE, dfu_sectors, 2, 1024, 4, 26,
                    DFU_ATTR_CAN_DNLOAD | DFU_ATTR_CAN_UPLOAD | DFU_ATTR_WILL_DETACH, &dfu_ops},
        };
        if (!usb_dfu_init(&config, usb_dwc2_dcd(&rig.dwc2))) fail("usb_dfu_init");
        usb_host_init(&host, &rig.otg);
        host.pump = dfu_pump;
    } else {
        if (!usb_rig_start(&rig, kind)) fail("usb_rig_start");
        usb_host_init(&host, &rig.otg);
    }
    host.tries = 8;
    if (!usb_host_reset(&host, hs_host)) fail("usb_host_reset");
    check_model();
    if (cfg & 4) enumerate();
    check_model();

    static uint8_t buffer[4096 + 64], in[4096 + 64];
    for (unsigned records = 0; at < size && records < 64; records++) {
        uint8_t op = data[at++];
        switch (op & 7) {
        case 0:
        case 1: {
            uint8_t setup[8] = {0};
            for (unsigned i = 0; i < 8 && at < size; i++) setup[i] = data[at++];
            if ((op & 7) == 1) {
                otg_model_setup(&rig.otg, host.address, setup);
                usb_host_pump(&host);
                break;
            }
            uint16_t wlength = (uint16_t)(setup[6] | setup[7] << 8);
            size_t out_length = 0;
            if (!(setup[0] & 0x80)) {
                out_length = wlength > 1024 ? 1024 : wlength;
                size_t n = size - at < out_length ? size - at : out_length;
                memcpy(buffer, data + at, n);
                memset(buffer + n, 0, out_length - n);
                at += n;
            }
            size_t got = 0;
            control(setup, buffer, out_length, in, &got);
            /* A SET_ADDRESS that went through: the host follows it. */
            if (setup[0] == 0x00 && setup[1] == 5 && rig.otg.address == setup[2] && setup[2] < 128)
                host.address = setup[2];
            break;
        }
        case 2: {
            uint8_t ep = at < size ? data[at++] & 0x0F : 0;
            size_t got = 0;
            in_packet((uint8_t)(0x80 | ep), in, &got);
            usb_host_pump(&host);
            break;
        }
        case 3: {
            uint8_t b = at < size ? data[at++] : 0;
            size_t length = (b >> 4) == 0x0F ? 64 : (size_t)(b >> 4) * 4;
            size_t n = size - at < length ? size - at : length;
            memcpy(buffer, data + at, n);
            memset(buffer + n, 0, length - n);
            at += n;
            otg_model_out(&rig.otg, host.address, b & 0x0F, buffer, length, (op & 8) != 0);
            usb_host_pump(&host);
            break;
        }
        case 4:
            if (usb_host_reset(&host, (op & 8) && kind == OTG_MODEL_HS_UTMI)) host.address = 0;
            break;
        case 5:
            otg_model_suspend(&rig.otg);
            usb_host_pump(&host);
            if (op & 8) {
                otg_model_resume(&rig.otg);
                usb_host_pump(&host);
            }
            break;
        case 6: {
            uint8_t answer = at < size ? data[at++] : 0;
            if (dfu_mode) {
                usb_host_pump(&host);
                break;
            }
            unsigned source = 9;
            size_t n = usb_probe_dap_read(buffer, sizeof buffer, &source);
            if (n) {
                CHECK(source <= 1);
                CHECK(n <= (source == 0 ? USB_PROBE_HID_REPORT : usb_probe_high_speed() ? USB_PROBE_BULK_HS
                                                                                       : USB_PROBE_BULK_FS));
                if (answer) {
                    size_t length = (size_t)answer * 2 > 512 ? 512 : (size_t)answer * 2;
                    if (source == 0 && length > USB_PROBE_HID_REPORT) length = USB_PROBE_HID_REPORT;
                    usb_probe_dap_write(source, buffer, length);
                }
            }
            for (unsigned port = 0; port < 2; port++) {
                size_t c = usb_probe_cdc_read(port, buffer, 300);
                CHECK(c <= 300);
                if (c) CHECK(usb_probe_cdc_write(port, buffer, c) <= c);
            }
            uint32_t baud = 0;
            usb_probe_line_coding(1, &baud);
            usb_probe_task();
            break;
        }
        case 7:
            for (unsigned i = 0; i <= ((op >> 3) & 7u); i++) usb_host_pump(&host);
            break;
        }
        check_model();
    }
    if (!dfu_mode) check_halts();
    check_model();
    return 0;
}
