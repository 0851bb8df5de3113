/* Test-only stand-in for libhidapi (hidraw and libusb flavours): it presents one CMSIS-DAP HID
 * device whose reports go to a CMSIS-DAP-over-TCP server on loopback. Written for this project
 * from the hidapi ABI (prototypes and struct hid_device_info's layout); no hidapi code. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "dap_tcp_client.h"

#define VENDOR_ID 0x1d50
#define PRODUCT_ID 0x6018
#define REPORT_SIZE 64

struct hid_device_info {
    char *path;
    unsigned short vendor_id;
    unsigned short product_id;
    wchar_t *serial_number;
    unsigned short release_number;
    wchar_t *manufacturer_string;
    wchar_t *product_string;
    unsigned short usage_page;
    unsigned short usage;
    int interface_number;
    struct hid_device_info *next;
    int bus_type; /* hidapi 0.13: HID_API_BUS_USB = 1 */
};

typedef struct hid_device {
    int fd;
    int nonblocking;
} hid_device;

static const wchar_t *last_error = L"no error";

int hid_init(void) { return 0; }
int hid_exit(void) { return 0; }

struct hid_device_info *hid_enumerate(unsigned short vendor_id, unsigned short product_id)
{
    if ((vendor_id && vendor_id != VENDOR_ID) || (product_id && product_id != PRODUCT_ID)) return NULL;
    struct hid_device_info *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->path = strdup("bmp-dap-tcp");
    d->vendor_id = VENDOR_ID;
    d->product_id = PRODUCT_ID;
    d->serial_number = wcsdup(L"SIM00001");
    d->release_number = 0x0100;
    d->manufacturer_string = wcsdup(L"bmp-gdbserver");
    d->product_string = wcsdup(L"bmp-gdbserver CMSIS-DAP");
    d->usage_page = 0xFF00;
    d->usage = 1;
    d->interface_number = 0;
    d->bus_type = 1;
    return d;
}

void hid_free_enumeration(struct hid_device_info *devs)
{
    while (devs) {
        struct hid_device_info *next = devs->next;
        free(devs->path);
        free(devs->serial_number);
        free(devs->manufacturer_string);
        free(devs->product_string);
        free(devs);
        devs = next;
    }
}

hid_device *hid_open_path(const char *path)
{
    if (!path || strcmp(path, "bmp-dap-tcp") != 0) {
        last_error = L"no such device";
        return NULL;
    }
    int fd = dap_tcp_connect();
    if (fd < 0) {
        last_error = L"cannot reach the CMSIS-DAP server on 127.0.0.1 ($BMP_DAP_PORT)";
        return NULL;
    }
    hid_device *dev = calloc(1, sizeof *dev);
    if (!dev) {
        close(fd);
        return NULL;
    }
    dev->fd = fd;
    return dev;
}

hid_device *hid_open(unsigned short vendor_id, unsigned short product_id, const wchar_t *serial)
{
    (void)serial;
    if (vendor_id != VENDOR_ID || product_id != PRODUCT_ID) {
        last_error = L"no such device";
        return NULL;
    }
    return hid_open_path("bmp-dap-tcp");
}

/* A report: byte 0 is the report ID (0), the rest is one CMSIS-DAP command packet. */
int hid_write(hid_device *dev, const unsigned char *data, size_t length)
{
    if (!dev || length < 2) return -1;
    size_t payload = length - 1 > REPORT_SIZE ? REPORT_SIZE : length - 1;
    if (dap_tcp_send(dev->fd, data + 1, payload) != 0) {
        last_error = L"the CMSIS-DAP server closed the connection";
        return -1;
    }
    return (int)length;
}

/* A read returns a whole 64-byte report, or 0 on time-out (which OpenOCD treats as such). */
int hid_read_timeout(hid_device *dev, unsigned char *data, size_t length, int milliseconds)
{
    if (!dev) return -1;
    unsigned char report[REPORT_SIZE] = {0};
    int n = dap_tcp_receive(dev->fd, report, sizeof report, milliseconds < 0 ? 60000 : milliseconds);
    if (n < 0) {
        last_error = L"the CMSIS-DAP server closed the connection";
        return -1;
    }
    if (n == 0) return 0;
    size_t out = length < REPORT_SIZE ? length : REPORT_SIZE;
    memcpy(data, report, out);
    return (int)out;
}

int hid_read(hid_device *dev, unsigned char *data, size_t length)
{
    return hid_read_timeout(dev, data, length, dev && dev->nonblocking ? 0 : -1);
}

int hid_set_nonblocking(hid_device *dev, int nonblock)
{
    if (!dev) return -1;
    dev->nonblocking = nonblock;
    return 0;
}

void hid_close(hid_device *dev)
{
    if (!dev) return;
    close(dev->fd);
    free(dev);
}

const wchar_t *hid_error(hid_device *dev)
{
    (void)dev;
    return last_error;
}

static int copy_string(const wchar_t *s, wchar_t *out, size_t max)
{
    if (!out || max == 0) return -1;
    wcsncpy(out, s, max);
    out[max - 1] = 0;
    return 0;
}

int hid_get_manufacturer_string(hid_device *dev, wchar_t *s, size_t n) { (void)dev; return copy_string(L"bmp-gdbserver", s, n); }
int hid_get_product_string(hid_device *dev, wchar_t *s, size_t n) { (void)dev; return copy_string(L"bmp-gdbserver CMSIS-DAP", s, n); }
int hid_get_serial_number_string(hid_device *dev, wchar_t *s, size_t n) { (void)dev; return copy_string(L"SIM00001", s, n); }
