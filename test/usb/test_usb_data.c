/* The probe's data paths through the whole USB stack (device core, class drivers, DWC2 driver,
 * OTG register model), at full speed (H7 OTG_FS) and high speed (F723 OTG_HS): CDC-ACM bytes both
 * ways with zero-length packets on packet edges, line coding and control lines, CMSIS-DAP
 * requests and responses over HID and over bulk with their sources kept apart, flow control when
 * the application is slow, endpoint halt and its clear (data toggles included), the DFU vendor
 * request, and reconfiguration. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "usb_host.h"

#define EP_GDB_OUT 0x02
#define EP_GDB_IN 0x82
#define EP_UART_OUT 0x04
#define EP_UART_IN 0x84
#define EP_HID_OUT 0x05
#define EP_HID_IN 0x85
#define EP_DAP_OUT 0x06
#define EP_DAP_IN 0x86

static usb_rig rig;
static usb_host host;
static uint16_t bulk; /* the bulk packet size of this run */

/* A stand-in for the probe's main loop: runs the USB task, and optionally drains the CDC ports
 * into sinks and answers CMSIS-DAP requests (echoing them with a marker and the source). */
static struct app {
    bool drain_cdc, answer_dap;
    uint8_t sink[2][16384];
    size_t sunk[2];
    unsigned requests[2];
} app;

static void app_pump(void *ctx)
{
    (void)ctx;
    usb_probe_task();
    for (unsigned port = 0; port < 2 && app.drain_cdc; port++) {
        size_t room = sizeof app.sink[port] - app.sunk[port];
        app.sunk[port] += usb_probe_cdc_read(port, app.sink[port] + app.sunk[port], room);
    }
    if (app.answer_dap) {
        uint8_t request[1024], response[1024];
        unsigned source = 9;
        size_t n = usb_probe_dap_read(request, sizeof request, &source);
        if (n && source < 2) {
            app.requests[source]++;
            response[0] = 0xA0;
            response[1] = (uint8_t)source;
            memcpy(response + 2, request, 8);
            size_t length = source == 1 ? (size_t)request[1] | ((size_t)request[2] << 8) : 10;
            if (length < 10) length = 10;
            for (size_t i = 10; i < length; i++) response[i] = (uint8_t)(i * 7u);
            usb_probe_dap_write(source, response, length);
        }
    }
}

static void start(otg_model_kind kind, bool hs_host)
{
    memset(&app, 0, sizeof app);
    CHECK(usb_rig_start(&rig, kind));
    usb_host_init(&host, &rig.otg);
    host.pump = app_pump;
    CHECK(usb_host_reset(&host, hs_host));
    CHECK_EQ(usb_host_control(&host, 0x00, 5, 3, 0, 0, NULL, NULL), HOST_OK);
    host.address = 3;
    CHECK_EQ(usb_host_control(&host, 0x00, 9, 1, 0, 0, NULL, NULL), HOST_OK);
    bulk = rig.otg.high_speed ? 512 : 64;
}

/* Speed 0: the H7's OTG_FS; speed 1: the F723's OTG_HS on a high-speed host. */
static void start_speed(unsigned speed)
{
    start(speed ? OTG_MODEL_HS_UTMI : OTG_MODEL_FS, speed == 1);
    app.answer_dap = true;
}

static void finish(void)
{
    CHECK_EQ(rig.otg.errors, 0);
    if (rig.otg.errors) fprintf(stderr, "    model: %s\n", rig.otg.error);
    CHECK_EQ(rig.otg.toggle_mismatches, 0);
    CHECK_EQ(host.toggle_errors, 0);
    CHECK_EQ(rig.dwc2.lost_events, 0);
}

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 31u + seed * 17u + (i >> 8));
}

/* ---- CDC ---- */

static void cdc_host_to_device(otg_model_kind kind, bool hs)
{
    start(kind, hs);
    const uint8_t hello[] = "$qSupported#37";
    CHECK_EQ(usb_host_write(&host, EP_GDB_OUT, bulk, hello, sizeof hello - 1, false), HOST_OK);
    usb_host_pump(&host);
    uint8_t got[64];
    CHECK_EQ(usb_probe_cdc_read(1, got, sizeof got), 0);
    size_t n = usb_probe_cdc_read(0, got, 4);
    n += usb_probe_cdc_read(0, got + n, sizeof got - n);
    CHECK_EQ(n, sizeof hello - 1);
    CHECK(memcmp(got, hello, n) == 0);
    CHECK_EQ(usb_probe_cdc_read(0, got, sizeof got), 0);

    /* A long stream on both ports: the device takes a packet at a time as the application reads
     * (NAKing in between), and nothing is lost or reordered. */
    static uint8_t data[2][6000];
    pattern(data[0], sizeof data[0], 1);
    pattern(data[1], sizeof data[1], 2);
    app.drain_cdc = true;
    CHECK_EQ(usb_host_write(&host, EP_GDB_OUT, bulk, data[0], sizeof data[0], true), HOST_OK);
    CHECK_EQ(usb_host_write(&host, EP_UART_OUT, bulk, data[1], sizeof data[1], true), HOST_OK);
    for (unsigned i = 0; i < 4; i++) usb_host_pump(&host);
    CHECK_EQ(app.sunk[0], sizeof data[0]);
    CHECK_EQ(app.sunk[1], sizeof data[1]);
    CHECK(memcmp(app.sink[0], data[0], sizeof data[0]) == 0);
    CHECK(memcmp(app.sink[1], data[1], sizeof data[1]) == 0);
    finish();
}

static void cdc_device_to_host(otg_model_kind kind, bool hs)
{
    start(kind, hs);
    uint8_t buffer[8192];
    size_t n = 0;
    const uint8_t reply[] = "$OK#9a";
    CHECK_EQ(usb_probe_cdc_write(0, reply, sizeof reply - 1), sizeof reply - 1);
    CHECK_EQ(usb_host_read(&host, EP_GDB_IN, bulk, buffer, sizeof buffer, &n), HOST_OK);
    CHECK_EQ(n, sizeof reply - 1);
    CHECK(memcmp(buffer, reply, n) == 0);

    /* Two full packets and nothing after them: the transfer ends with a ZLP, so a host reading
     * with a larger buffer returns with exactly those bytes. */
    uint8_t two[1024];
    pattern(two, sizeof two, 3);
    CHECK_EQ(usb_probe_cdc_write(1, two, 2u * bulk), 2u * bulk);
    CHECK_EQ(usb_host_read(&host, EP_UART_IN, bulk, buffer, sizeof buffer, &n), HOST_OK);
    CHECK_EQ(n, 2u * bulk);
    CHECK(memcmp(buffer, two, n) == 0);
    host.tries = 3;
    CHECK_EQ(usb_host_in_packet(&host, EP_UART_IN, buffer, bulk, &n), OTG_NAK); /* nothing more */
    host.tries = 200;

    /* More than the device's buffer: the application writes what fits, the host reads. */
    static uint8_t data[10000];
    pattern(data, sizeof data, 4);
    size_t written = 0, read = 0;
    static uint8_t got[10000];
    for (unsigned round = 0; round < 1000 && read < sizeof data; round++) {
        written += usb_probe_cdc_write(0, data + written, sizeof data - written);
        size_t chunk = 0;
        host.tries = 2;
        host_result r = usb_host_read(&host, EP_GDB_IN, bulk, got + read, sizeof got - read, &chunk);
        host.tries = 200;
        if (r == HOST_OK) read += chunk;
        usb_host_pump(&host);
    }
    CHECK_EQ(written, sizeof data);
    CHECK_EQ(read, sizeof data);
    CHECK(memcmp(got, data, sizeof data) == 0);
    finish();
}

static void cdc_full_speed(void)
{
    cdc_host_to_device(OTG_MODEL_FS, false);
    cdc_device_to_host(OTG_MODEL_FS, false);
}

static void cdc_high_speed(void)
{
    cdc_host_to_device(OTG_MODEL_HS_UTMI, true);
    CHECK_EQ(bulk, 512);
    cdc_device_to_host(OTG_MODEL_HS_UTMI, true);
}

static void cdc_line_coding_and_control_lines(void)
{
    start(OTG_MODEL_FS, false);
    uint32_t baud = 0;
    CHECK(!usb_probe_line_coding(1, &baud));
    CHECK_EQ(baud, 115200);
    uint8_t coding[7] = {0x00, 0x10, 0x0E, 0x00, 0, 0, 8}; /* 921600 8N1 */
    CHECK_EQ(usb_host_control(&host, 0x21, 0x20, 0, 2, 7, coding, NULL), HOST_OK);
    CHECK(usb_probe_line_coding(1, &baud));
    CHECK_EQ(baud, 921600);
    CHECK(!usb_probe_line_coding(1, &baud)); /* reported once */
    CHECK(!usb_probe_line_coding(0, &baud)); /* the other port kept its own */
    CHECK_EQ(baud, 115200);
    uint8_t back[7] = {0};
    size_t n = 0;
    CHECK_EQ(usb_host_control(&host, 0xA1, 0x21, 0, 2, 7, back, &n), HOST_OK);
    CHECK_EQ(n, 7);
    CHECK(memcmp(back, coding, 7) == 0);
    /* port 0 through its data interface number works too */
    coding[0] = 0x80;
    coding[1] = 0x25;
    coding[2] = 0;
    CHECK_EQ(usb_host_control(&host, 0x21, 0x20, 0, 1, 7, coding, NULL), HOST_OK);
    CHECK(usb_probe_line_coding(0, &baud));
    CHECK_EQ(baud, 9600);
    CHECK_EQ(usb_host_control(&host, 0x21, 0x22, 3, 0, 0, NULL, NULL), HOST_OK); /* DTR and RTS */
    CHECK_EQ(usb_host_control(&host, 0x21, 0x23, 100, 2, 0, NULL, NULL), HOST_OK); /* SEND_BREAK */
    CHECK_EQ(usb_host_control(&host, 0x21, 0x20, 0, 2, 6, coding, NULL), HOST_STALL); /* short */
    CHECK_EQ(usb_host_control(&host, 0x21, 0x20, 0, 4, 7, coding, NULL), HOST_STALL); /* HID */
    CHECK(!usb_probe_line_coding(1, &baud));
    CHECK_EQ(baud, 921600);
    finish();
}

/* ---- CMSIS-DAP ---- */

static void dap_over_hid(void)
{
    start(OTG_MODEL_FS, false);
    uint8_t report[64] = {0x00, 0xFE}; /* DAP_Info: packet size */
    CHECK_EQ(usb_host_write(&host, EP_HID_OUT, 64, report, 64, false), HOST_OK);
    usb_host_pump(&host);
    uint8_t request[1024];
    unsigned source = 9;
    size_t n = usb_probe_dap_read(request, sizeof request, &source);
    CHECK_EQ(n, 64);
    CHECK_EQ(source, 0);
    CHECK(memcmp(request, report, 64) == 0);
    CHECK_EQ(usb_probe_dap_read(request, sizeof request, &source), 0);

    const uint8_t response[] = {0x00, 0x02, 0x40, 0x00};
    usb_probe_dap_write(0, response, sizeof response);
    uint8_t in[64];
    CHECK_EQ(usb_host_read(&host, EP_HID_IN, 64, in, sizeof in, &n), HOST_OK);
    CHECK_EQ(n, 64); /* a whole report, zero padded */
    CHECK(memcmp(in, response, sizeof response) == 0);
    for (size_t i = sizeof response; i < 64; i++) CHECK_EQ(in[i], 0);
    /* nothing went to the bulk side */
    host.tries = 3;
    CHECK_EQ(usb_host_in_packet(&host, EP_DAP_IN, in, sizeof in, &n), OTG_NAK);
    host.tries = 200;

    /* HID class requests */
    CHECK_EQ(usb_host_control(&host, 0xA1, 0x01, 0x0100, 4, 64, in, &n), HOST_OK); /* input report */
    CHECK_EQ(n, 64);
    CHECK_EQ(usb_host_control(&host, 0xA1, 0x01, 0x0300, 4, 64, in, &n), HOST_STALL); /* feature */
    CHECK_EQ(usb_host_control(&host, 0x21, 0x0A, 0x0400, 4, 0, NULL, NULL), HOST_OK); /* SET_IDLE 16 ms */
    CHECK_EQ(usb_host_control(&host, 0xA1, 0x02, 0, 4, 1, in, &n), HOST_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(in[0], 4);
    CHECK_EQ(usb_host_control(&host, 0xA1, 0x03, 0, 4, 1, in, &n), HOST_STALL); /* GET_PROTOCOL */
    CHECK_EQ(usb_host_control(&host, 0x21, 0x09, 0x0200, 4, 64, report, NULL), HOST_STALL);
    finish();
}

static void dap_over_bulk(otg_model_kind kind, bool hs)
{
    start(kind, hs);
    uint8_t req[20];
    pattern(req, sizeof req, 5);
    CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, req, sizeof req, false), HOST_OK);
    usb_host_pump(&host);
    uint8_t request[1024];
    unsigned source = 9;
    size_t n = usb_probe_dap_read(request, sizeof request, &source);
    CHECK_EQ(n, sizeof req);
    CHECK_EQ(source, 1);
    CHECK(memcmp(request, req, n) == 0);

    uint8_t response[512], in[2048];
    pattern(response, sizeof response, 6);
    usb_probe_dap_write(1, response, 30);
    CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
    CHECK_EQ(n, 30);
    CHECK(memcmp(in, response, 30) == 0);
    host.tries = 3;
    CHECK_EQ(usb_host_in_packet(&host, EP_HID_IN, in, 64, &n), OTG_NAK); /* not on HID */
    host.tries = 200;

    /* A request of exactly one packet, as hosts send it (no ZLP), is one whole request; a
     * response of exactly one packet ends with a ZLP. */
    uint8_t full[512];
    pattern(full, sizeof full, 7);
    CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, full, bulk, false), HOST_OK);
    usb_host_pump(&host);
    n = usb_probe_dap_read(request, sizeof request, &source);
    CHECK_EQ(n, bulk);
    CHECK_EQ(source, 1);
    CHECK(memcmp(request, full, n) == 0);
    usb_probe_dap_write(1, response, bulk);
    CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
    CHECK_EQ(n, bulk);
    CHECK(memcmp(in, response, n) == 0);
    finish();
}

static void dap_bulk_full_speed(void)
{
    dap_over_bulk(OTG_MODEL_FS, false);
}

static void dap_bulk_high_speed(void)
{
    dap_over_bulk(OTG_MODEL_HS_UTMI, true);
    /* at high speed the HID reports stay 64 bytes */
    start(OTG_MODEL_HS_UTMI, true);
    app.answer_dap = true;
    uint8_t report[64] = {0x00, 0x04};
    CHECK_EQ(usb_host_write(&host, EP_HID_OUT, 64, report, 64, false), HOST_OK);
    uint8_t in[64];
    size_t n = 0;
    CHECK_EQ(usb_host_read(&host, EP_HID_IN, 64, in, sizeof in, &n), HOST_OK);
    CHECK_EQ(n, 64);
    CHECK_EQ(in[0], 0xA0);
    CHECK_EQ(in[1], 0);
    CHECK_EQ(in[2], 0x00);
    CHECK_EQ(in[3], 0x04);
    finish();
}

/* Requests pipelined by the host on both interfaces: each comes out once, with its source, in
 * order per source, and its response goes back the same way. */
static void dap_pipelined_on_both_sources(void)
{
    for (unsigned speed = 0; speed < 2; speed++) {
        start_speed(speed);
        uint8_t req[4][64];
        for (unsigned i = 0; i < 4; i++) {
            memset(req[i], 0, sizeof req[i]);
            req[i][0] = (uint8_t)(0x10 + i);
            req[i][1] = (uint8_t)(i == 3 ? bulk : 40 + i); /* the echo's length (bulk) */
            req[i][2] = 0;
        }
        /* three bulk requests back to back (the device NAKs while its buffer is full), and a
         * HID one */
        for (unsigned i = 0; i < 3; i++) CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, req[i], 8, false), HOST_OK);
        CHECK_EQ(usb_host_write(&host, EP_HID_OUT, 64, req[3], 64, false), HOST_OK);
        uint8_t in[1024];
        size_t n = 0;
        for (unsigned i = 0; i < 3; i++) {
            CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
            CHECK_EQ(n, 40u + i);
            CHECK_EQ(in[0], 0xA0);
            CHECK_EQ(in[1], 1);
            CHECK_EQ(in[2], 0x10 + i);
        }
        CHECK_EQ(usb_host_read(&host, EP_HID_IN, 64, in, 64, &n), HOST_OK);
        CHECK_EQ(n, 64);
        CHECK_EQ(in[1], 0);
        CHECK_EQ(in[2], 0x13);
        CHECK_EQ(app.requests[0], 1);
        CHECK_EQ(app.requests[1], 3);
        /* a response the size of a bulk packet, read with a large buffer, ends with the ZLP */
        req[0][1] = (uint8_t)(bulk & 0xFF);
        req[0][2] = (uint8_t)(bulk >> 8);
        CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, req[0], 8, false), HOST_OK);
        CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
        CHECK_EQ(n, bulk);
        finish();
    }
}

/* A slow application: the responses of two sources queue, and a third request waits (the
 * device keeps it, NAKing further OUT packets) until a response has gone. */
static void dap_flow_control(void)
{
    start(OTG_MODEL_FS, false);
    uint8_t r[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t request[64];
    unsigned source = 0;
    for (unsigned i = 0; i < 2; i++) {
        r[0] = (uint8_t)i;
        CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, r, 8, false), HOST_OK);
        usb_host_pump(&host);
        CHECK_EQ(usb_probe_dap_read(request, sizeof request, &source), 8);
        CHECK_EQ(request[0], i);
        usb_probe_dap_write(1, request, 8);
    }
    r[0] = 2;
    CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, r, 8, false), HOST_OK);
    usb_host_pump(&host);
    /* two responses wait: the third request is held back */
    CHECK_EQ(usb_probe_dap_read(request, sizeof request, &source), 0);
    uint8_t in[64];
    size_t n = 0;
    CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
    CHECK_EQ(in[0], 0);
    usb_host_pump(&host);
    CHECK_EQ(usb_probe_dap_read(request, sizeof request, &source), 8);
    CHECK_EQ(request[0], 2);
    CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
    CHECK_EQ(in[0], 1);
    finish();
}

/* ---- halt, toggles, reconfiguration ---- */

static void endpoint_halt_and_clear(void)
{
    for (unsigned speed = 0; speed < 2; speed++) {
        start_speed(speed);
        uint8_t status[2], in[1024], req[8] = {0x42, 12, 0};
        size_t n = 0;
        /* one exchange first, so that the toggles are not at DATA0 any more */
        CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, req, 8, false), HOST_OK);
        CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);

        CHECK_EQ(usb_host_control(&host, 0x02, 3, 0, EP_DAP_IN, 0, NULL, NULL), HOST_OK);
        CHECK_EQ(usb_host_control(&host, 0x82, 0, 0, EP_DAP_IN, 2, status, &n), HOST_OK);
        CHECK_EQ(status[0], 1);
        CHECK_EQ(usb_host_in_packet(&host, EP_DAP_IN, in, sizeof in, &n), OTG_STALL);
        /* a request while the IN endpoint is halted: its response waits behind the halt */
        CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, req, 8, false), HOST_OK);
        for (unsigned i = 0; i < 3; i++) usb_host_pump(&host);
        CHECK_EQ(usb_host_in_packet(&host, EP_DAP_IN, in, sizeof in, &n), OTG_STALL);
        CHECK_EQ(usb_host_control(&host, 0x02, 1, 0, EP_DAP_IN, 0, NULL, NULL), HOST_OK);
        usb_host_reset_toggle(&host, EP_DAP_IN);
        CHECK_EQ(usb_host_control(&host, 0x82, 0, 0, EP_DAP_IN, 2, status, &n), HOST_OK);
        CHECK_EQ(status[0], 0);
        CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
        CHECK_EQ(n, 12);
        CHECK_EQ(in[2], 0x42);

        /* the OUT side */
        CHECK_EQ(usb_host_control(&host, 0x02, 3, 0, EP_DAP_OUT, 0, NULL, NULL), HOST_OK);
        CHECK_EQ(usb_host_out_packet(&host, EP_DAP_OUT, req, 8), OTG_STALL);
        CHECK_EQ(usb_host_control(&host, 0x02, 1, 0, EP_DAP_OUT, 0, NULL, NULL), HOST_OK);
        usb_host_reset_toggle(&host, EP_DAP_OUT);
        req[0] = 0x43;
        CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, req, 8, false), HOST_OK);
        CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
        CHECK_EQ(in[2], 0x43);
        /* clearing a halt that is not set still resets the toggle */
        CHECK_EQ(usb_host_control(&host, 0x02, 1, 0, EP_DAP_OUT, 0, NULL, NULL), HOST_OK);
        usb_host_reset_toggle(&host, EP_DAP_OUT);
        req[0] = 0x44;
        CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, req, 8, false), HOST_OK);
        CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
        CHECK_EQ(in[2], 0x44);
        /* halting endpoint 0 or an endpoint that does not exist */
        CHECK_EQ(usb_host_control(&host, 0x02, 3, 0, 0x00, 0, NULL, NULL), HOST_OK);
        CHECK_EQ(usb_host_control(&host, 0x02, 3, 0, 0x07, 0, NULL, NULL), HOST_STALL);
        finish();
    }
}

static void reconfiguration_resets_the_functions(void)
{
    start(OTG_MODEL_HS_UTMI, true);
    app.answer_dap = true;
    uint8_t req[8] = {0x50, 16, 0}, in[1024];
    size_t n = 0;
    CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, req, 8, false), HOST_OK);
    for (unsigned i = 0; i < 3; i++) usb_host_pump(&host);
    /* the response waits in the device; the host configures again instead of reading it, and
     * the device counts a restart (the app ends its GDB session on it) */
    uint32_t restarts = usb_probe_restarts();
    CHECK(restarts >= 2); /* the bus reset and the first SET_CONFIGURATION */
    CHECK_EQ(usb_host_control(&host, 0x00, 9, 1, 0, 0, NULL, NULL), HOST_OK);
    CHECK_EQ(usb_probe_restarts(), restarts + 1);
    for (unsigned ep = 1; ep < 16; ep++) {
        usb_host_reset_toggle(&host, (uint8_t)ep);
        usb_host_reset_toggle(&host, (uint8_t)(0x80 | ep));
    }
    host.tries = 3;
    CHECK_EQ(usb_host_in_packet(&host, EP_DAP_IN, in, sizeof in, &n), OTG_NAK);
    host.tries = 200;
    req[0] = 0x51;
    CHECK_EQ(usb_host_write(&host, EP_DAP_OUT, bulk, req, 8, false), HOST_OK);
    CHECK_EQ(usb_host_read(&host, EP_DAP_IN, bulk, in, sizeof in, &n), HOST_OK);
    CHECK_EQ(n, 16);
    CHECK_EQ(in[2], 0x51);
    /* SET_INTERFACE on the CDC data interface: its toggles start again at DATA0 */
    const uint8_t text[] = "abc";
    CHECK_EQ(usb_host_write(&host, EP_GDB_OUT, bulk, text, 3, false), HOST_OK);
    usb_host_pump(&host);
    CHECK_EQ(usb_probe_cdc_read(0, in, sizeof in), 3);
    CHECK_EQ(usb_host_control(&host, 0x01, 11, 0, 1, 0, NULL, NULL), HOST_OK);
    usb_host_reset_toggle(&host, EP_GDB_OUT);
    usb_host_reset_toggle(&host, EP_GDB_IN);
    CHECK_EQ(usb_host_write(&host, EP_GDB_OUT, bulk, text, 3, false), HOST_OK);
    usb_host_pump(&host);
    CHECK_EQ(usb_probe_cdc_read(0, in, sizeof in), 3);
    CHECK(memcmp(in, text, 3) == 0);
    CHECK_EQ(usb_probe_restarts(), restarts + 1); /* SET_INTERFACE is no restart */
    finish();
}

static void dfu_vendor_request(void)
{
    start(OTG_MODEL_FS, false);
    CHECK(!usb_probe_dfu_requested());
    CHECK_EQ(usb_host_control(&host, 0x40, USB_PROBE_VENDOR_DFU, 1, 0, 0, NULL, NULL), HOST_STALL);
    uint8_t b[4];
    CHECK_EQ(usb_host_control(&host, 0xC0, USB_PROBE_VENDOR_DFU, 0, 0, 4, b, NULL), HOST_STALL);
    CHECK(!usb_probe_dfu_requested());
    CHECK_EQ(usb_host_control(&host, 0x40, USB_PROBE_VENDOR_DFU, 0, 0, 0, NULL, NULL), HOST_OK);
    CHECK(usb_probe_dfu_requested());
    /* to the CMSIS-DAP v2 interface, as a WinUSB client would send it */
    start(OTG_MODEL_FS, false);
    CHECK(!usb_probe_dfu_requested());
    CHECK_EQ(usb_host_control(&host, 0x41, USB_PROBE_VENDOR_DFU, 0, 4, 0, NULL, NULL), HOST_STALL);
    CHECK_EQ(usb_host_control(&host, 0x41, USB_PROBE_VENDOR_DFU, 0, 5, 0, NULL, NULL), HOST_OK);
    CHECK(usb_probe_dfu_requested());
    finish();
}

static void nothing_flows_before_configuration(void)
{
    CHECK(usb_rig_start(&rig, OTG_MODEL_FS));
    usb_host_init(&host, &rig.otg);
    CHECK(usb_host_reset(&host, false));
    uint8_t b[64] = {0};
    size_t n = 0;
    CHECK_EQ(usb_probe_cdc_write(0, b, 10), 10); /* kept for when the host configures */
    CHECK_EQ(otg_model_out(&rig.otg, 0, EP_DAP_OUT, b, 8, false), OTG_NO_RESPONSE);
    bool data1 = false;
    CHECK_EQ(otg_model_in(&rig.otg, 0, EP_GDB_IN, b, 64, &n, &data1), OTG_NO_RESPONSE);
    CHECK_EQ(usb_host_control(&host, 0x00, 9, 1, 0, 0, NULL, NULL), HOST_OK);
    CHECK_EQ(usb_host_read(&host, EP_GDB_IN, 64, b, sizeof b, &n), HOST_OK);
    CHECK_EQ(n, 10);
    CHECK_EQ(rig.otg.errors, 0);
}

int main(void)
{
    RUN(cdc_full_speed);
    RUN(cdc_high_speed);
    RUN(cdc_line_coding_and_control_lines);
    RUN(dap_over_hid);
    RUN(dap_bulk_full_speed);
    RUN(dap_bulk_high_speed);
    RUN(dap_pipelined_on_both_sources);
    RUN(dap_flow_control);
    RUN(endpoint_halt_and_clear);
    RUN(reconfiguration_resets_the_functions);
    RUN(dfu_vendor_request);
    RUN(nothing_flows_before_configuration);
    return CHECK_SUMMARY();
}
