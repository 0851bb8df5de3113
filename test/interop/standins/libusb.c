/* Test-only stand-in for libusb-1.0: it presents one CMSIS-DAP device with a v2 interface (vendor
 * class, a bulk OUT and a bulk IN endpoint, "CMSIS-DAP" in its strings) and a v1 interface (HID
 * class, interrupt endpoints, for pyOCD 0.13 which speaks HID through pyusb). Packets on either
 * go to a CMSIS-DAP-over-TCP server on loopback. Written for this project from the libusb-1.0
 * ABI (prototypes, descriptor struct layouts, error codes); no libusb code.
 *
 * Every libusb symbol that OpenOCD, libftdi, libjaylink and pyusb resolve is exported; those
 * this device does not need answer LIBUSB_ERROR_NOT_SUPPORTED. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dap_tcp_client.h"

#include "libusb_abi.h"

#define VENDOR_ID 0x1d50
#define PRODUCT_ID 0x6018
#define EP_OUT 0x01
#define EP_IN 0x81
#define EP_HID_OUT 0x02
#define EP_HID_IN 0x82
#define MAX_PACKET 512
#define HID_PACKET 64

struct libusb_device_handle {
    libusb_device *dev;
    int fd;
};

static libusb_device the_device = {1};

static const struct libusb_device_descriptor device_descriptor = {
    18, 1, 0x0200, 0xEF, 0x02, 0x01, 64, VENDOR_ID, PRODUCT_ID, 0x0100, 1, 2, 3, 1};

static const struct libusb_endpoint_descriptor bulk_endpoints[2] = {
    {7, 5, EP_OUT, 2, MAX_PACKET, 0, 0, 0, NULL, 0},
    {7, 5, EP_IN, 2, MAX_PACKET, 0, 0, 0, NULL, 0},
};
static const struct libusb_endpoint_descriptor hid_endpoints[2] = {
    {7, 5, EP_HID_OUT, 3, HID_PACKET, 1, 0, 0, NULL, 0},
    {7, 5, EP_HID_IN, 3, HID_PACKET, 1, 0, 0, NULL, 0},
};
static const struct libusb_interface_descriptor bulk_altsetting = {9, 4, 0, 0, 2, 0xFF, 0, 0, 4, bulk_endpoints, NULL, 0};
static const struct libusb_interface_descriptor hid_altsetting = {9, 4, 1, 0, 2, 0x03, 0, 0, 5, hid_endpoints, NULL, 0};
static const struct libusb_interface interfaces[2] = {{&bulk_altsetting, 1}, {&hid_altsetting, 1}};
static const struct libusb_config_descriptor config = {9, 2, 55, 2, 1, 0, 0x80, 50, interfaces, NULL, 0};

/* The same configuration as raw bytes, for GET_DESCRIPTOR(CONFIGURATION) control transfers. */
static const uint8_t config_bytes[55] = {
    9, 2, 55, 0, 2, 1, 0, 0x80, 50,
    9, 4, 0, 0, 2, 0xFF, 0, 0, 4,
    7, 5, EP_OUT, 2, MAX_PACKET & 0xFF, MAX_PACKET >> 8, 0,
    7, 5, EP_IN, 2, MAX_PACKET & 0xFF, MAX_PACKET >> 8, 0,
    9, 4, 1, 0, 2, 0x03, 0, 0, 5,
    7, 5, EP_HID_OUT, 3, HID_PACKET, 0, 1,
    7, 5, EP_HID_IN, 3, HID_PACKET, 0, 1};

static const char *string_at(unsigned index)
{
    switch (index) {
    case 1: return "bmp-gdbserver";
    case 2: return "bmp-gdbserver CMSIS-DAP";
    case 3: return "SIM00001";
    case 4: return "bmp-gdbserver CMSIS-DAP v2";
    case 5: return "bmp-gdbserver CMSIS-DAP v1";
    default: return NULL;
    }
}

/* --- library, devices, descriptors -------------------------------------------------------------- */



EXPORT long libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
    (void)ctx;
    libusb_device **l = calloc(2, sizeof *l);
    if (!l) return LIBUSB_ERROR_NO_MEM;
    l[0] = &the_device;
    *list = l;
    return 1;
}


EXPORT int libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
    (void)dev;
    *desc = device_descriptor;
    return LIBUSB_SUCCESS;
}

EXPORT int libusb_get_config_descriptor(libusb_device *dev, uint8_t index, struct libusb_config_descriptor **out)
{
    (void)dev;
    if (index != 0) return LIBUSB_ERROR_NOT_FOUND;
    *out = (struct libusb_config_descriptor *)&config;
    return LIBUSB_SUCCESS;
}

EXPORT int libusb_get_device_speed(libusb_device *dev) { (void)dev; return 3; /* high speed */ }
EXPORT int libusb_get_max_packet_size(libusb_device *dev, unsigned char endpoint) { (void)dev, (void)endpoint; return MAX_PACKET; }
EXPORT int libusb_get_max_iso_packet_size(libusb_device *dev, unsigned char endpoint) { (void)dev, (void)endpoint; return LIBUSB_ERROR_NOT_FOUND; }

/* --- handles ------------------------------------------------------------------------------------- */

EXPORT int libusb_open(libusb_device *dev, libusb_device_handle **out)
{
    libusb_device_handle *h = calloc(1, sizeof *h);
    if (!h) return LIBUSB_ERROR_NO_MEM;
    h->dev = dev;
    h->fd = -1; /* connected lazily: enumeration opens devices just to read strings */
    *out = h;
    return LIBUSB_SUCCESS;
}

EXPORT libusb_device_handle *libusb_open_device_with_vid_pid(libusb_context *ctx, uint16_t vid, uint16_t pid)
{
    (void)ctx;
    libusb_device_handle *h = NULL;
    if (vid == VENDOR_ID && pid == PRODUCT_ID) libusb_open(&the_device, &h);
    return h;
}

EXPORT void libusb_close(libusb_device_handle *h)
{
    if (!h) return;
    if (h->fd >= 0) close(h->fd);
    free(h);
}

EXPORT libusb_device *libusb_get_device(libusb_device_handle *h) { return h->dev; }

EXPORT int libusb_get_configuration(libusb_device_handle *h, int *value)
{
    (void)h;
    *value = 1;
    return LIBUSB_SUCCESS;
}

EXPORT int libusb_set_configuration(libusb_device_handle *h, int value) { (void)h; return value == 1 || value == -1 ? 0 : LIBUSB_ERROR_NOT_FOUND; }
EXPORT int libusb_claim_interface(libusb_device_handle *h, int n) { (void)h; return n == 0 || n == 1 ? 0 : LIBUSB_ERROR_NOT_FOUND; }
EXPORT int libusb_release_interface(libusb_device_handle *h, int n) { (void)h; return n == 0 || n == 1 ? 0 : LIBUSB_ERROR_NOT_FOUND; }
EXPORT int libusb_set_interface_alt_setting(libusb_device_handle *h, int n, int alt) { (void)h; return (n == 0 || n == 1) && alt == 0 ? 0 : LIBUSB_ERROR_NOT_FOUND; }
EXPORT int libusb_reset_device(libusb_device_handle *h) { (void)h; return LIBUSB_SUCCESS; }

/* --- transfers ------------------------------------------------------------------------------------- */

static int ascii_to_descriptor(const char *s, unsigned char *data, int length)
{
    int n = 2;
    for (; *s && n + 2 <= length && n + 2 <= 254; s++, n += 2) {
        data[n] = (unsigned char)*s;
        data[n + 1] = 0;
    }
    data[0] = (unsigned char)n;
    data[1] = 3;
    return n;
}

/* Standard GET_DESCRIPTOR requests are answered; everything else stalls. */
EXPORT int libusb_control_transfer(libusb_device_handle *h, uint8_t request_type, uint8_t request,
                                   uint16_t value, uint16_t index, unsigned char *data, uint16_t length,
                                   unsigned int timeout)
{
    (void)h, (void)index, (void)timeout;
    if (request_type != 0x80 || request != 6 || !data) return LIBUSB_ERROR_PIPE;
    unsigned type = value >> 8, n = value & 0xFF;
    int size;
    if (type == 1) {
        uint8_t raw[18] = {18, 1, 0x00, 0x02, 0xEF, 0x02, 0x01, 64, VENDOR_ID & 0xFF, VENDOR_ID >> 8,
                           PRODUCT_ID & 0xFF, PRODUCT_ID >> 8, 0x00, 0x01, 1, 2, 3, 1};
        size = length < 18 ? length : 18;
        memcpy(data, raw, (size_t)size);
    } else if (type == 2 && n == 0) {
        size = length < sizeof config_bytes ? length : (int)sizeof config_bytes;
        memcpy(data, config_bytes, (size_t)size);
    } else if (type == 3 && n == 0) {
        if (length < 4) return LIBUSB_ERROR_PIPE;
        data[0] = 4, data[1] = 3, data[2] = 0x09, data[3] = 0x04; /* English (US) */
        size = 4;
    } else if (type == 3 && string_at(n)) {
        size = ascii_to_descriptor(string_at(n), data, length);
    } else {
        return LIBUSB_ERROR_PIPE;
    }
    return size;
}

EXPORT int libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t index, unsigned char *data, int length)
{
    (void)h;
    const char *s = string_at(index);
    if (!s || length <= 0) return LIBUSB_ERROR_PIPE;
    int n = (int)strlen(s);
    if (n > length - 1) n = length - 1;
    memcpy(data, s, (size_t)n);
    data[n] = 0;
    return n;
}

/* One CMSIS-DAP packet per OUT transfer, one response per IN transfer. A HID IN report is
 * always a whole report: the response padded with zeros. */
static int transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data, int length,
                    int *transferred, unsigned int timeout, unsigned char out_ep, unsigned char in_ep, int report)
{
    if (transferred) *transferred = 0;
    if (h->fd < 0 && (h->fd = dap_tcp_connect()) < 0) return LIBUSB_ERROR_NO_DEVICE;
    if (endpoint == out_ep) {
        if (length <= 0 || dap_tcp_send(h->fd, data, (size_t)length) != 0) return LIBUSB_ERROR_IO;
        if (transferred) *transferred = length;
        return LIBUSB_SUCCESS;
    }
    if (endpoint != in_ep) return LIBUSB_ERROR_PIPE;
    int n = dap_tcp_receive(h->fd, data, (size_t)length, timeout ? (int)timeout : 60000);
    if (n < 0) return LIBUSB_ERROR_IO;
    if (n == 0) return LIBUSB_ERROR_TIMEOUT;
    if (report && n < length && length <= report) {
        memset(data + n, 0, (size_t)(length - n));
        n = length;
    }
    if (transferred) *transferred = n;
    return LIBUSB_SUCCESS;
}

EXPORT int libusb_bulk_transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data,
                                int length, int *transferred, unsigned int timeout)
{
    return transfer(h, endpoint, data, length, transferred, timeout, EP_OUT, EP_IN, 0);
}

EXPORT int libusb_interrupt_transfer(libusb_device_handle *h, unsigned char endpoint, unsigned char *data,
                                     int length, int *transferred, unsigned int timeout)
{
    return transfer(h, endpoint, data, length, transferred, timeout, EP_HID_OUT, EP_HID_IN, HID_PACKET);
}


