/* The USB/IP wire format (usbip_proto.h). */
#include "usbip_proto.h"

#include <string.h>

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_op_header(uint8_t *p, uint16_t code, uint32_t status)
{
    put16(p, USBIP_VERSION);
    put16(p + 2, code);
    put32(p + 4, status);
}

/* The 312 bytes of struct usbip_usb_device. */
static void put_device(uint8_t *p, const usbip_device *d)
{
    memset(p, 0, USBIP_DEVICE_SIZE);
    memcpy(p, d->path, strnlen(d->path, sizeof d->path - 1));
    memcpy(p + 256, d->busid, strnlen(d->busid, sizeof d->busid - 1));
    put32(p + 288, d->busnum);
    put32(p + 292, d->devnum);
    put32(p + 296, d->speed);
    put16(p + 300, d->vendor);
    put16(p + 302, d->product);
    put16(p + 304, d->bcd_device);
    p[306] = d->device_class;
    p[307] = d->device_subclass;
    p[308] = d->device_protocol;
    p[309] = d->configuration_value;
    p[310] = d->num_configurations;
    p[311] = d->num_interfaces;
}

size_t usbip_encode_devlist(uint8_t *out, size_t capacity, const usbip_device *device)
{
    unsigned interfaces = device->num_interfaces < USBIP_MAX_INTERFACES ? device->num_interfaces : USBIP_MAX_INTERFACES;
    size_t length = USBIP_OP_HEADER_SIZE + 4 + USBIP_DEVICE_SIZE + 4u * interfaces;
    if (capacity < length) return 0;
    put_op_header(out, USBIP_OP_REP_DEVLIST, 0);
    put32(out + 8, 1);
    put_device(out + 12, device);
    uint8_t *p = out + 12 + USBIP_DEVICE_SIZE;
    for (unsigned i = 0; i < interfaces; i++, p += 4) {
        p[0] = device->interfaces[i].class_code;
        p[1] = device->interfaces[i].subclass;
        p[2] = device->interfaces[i].protocol;
        p[3] = 0;
    }
    return length;
}

size_t usbip_encode_import(uint8_t *out, size_t capacity, const usbip_device *device, bool ok)
{
    size_t length = USBIP_OP_HEADER_SIZE + (ok ? USBIP_DEVICE_SIZE : 0);
    if (capacity < length) return 0;
    put_op_header(out, USBIP_OP_REP_IMPORT, ok ? 0 : 1);
    if (ok) put_device(out + USBIP_OP_HEADER_SIZE, device);
    return length;
}

bool usbip_decode_op(const uint8_t in[USBIP_OP_HEADER_SIZE], uint16_t *code)
{
    *code = (uint16_t)(in[2] << 8 | in[3]);
    return (in[0] << 8 | in[1]) == USBIP_VERSION;
}

bool usbip_decode_urb(const uint8_t in[USBIP_URB_HEADER_SIZE], usbip_urb_header *h)
{
    memset(h, 0, sizeof *h);
    h->command = get32(in);
    h->seqnum = get32(in + 4);
    h->devid = get32(in + 8);
    h->direction = get32(in + 12);
    h->ep = get32(in + 16);
    if (h->command == USBIP_CMD_SUBMIT) {
        h->flags = get32(in + 20);
        h->length = get32(in + 24);
        h->start_frame = get32(in + 28);
        h->number_of_packets = get32(in + 32);
        h->interval = get32(in + 36);
        memcpy(h->setup, in + 40, 8);
        return h->direction <= USBIP_DIR_IN && h->ep < 16;
    }
    if (h->command == USBIP_CMD_UNLINK) {
        h->unlink_seqnum = get32(in + 20);
        return true;
    }
    return false;
}

static void put_urb_basic(uint8_t *out, uint32_t command, uint32_t seqnum)
{
    memset(out, 0, USBIP_URB_HEADER_SIZE);
    put32(out, command);
    put32(out + 4, seqnum);
    /* devid, direction and ep are 0 in replies (usbip_protocol.rst) */
}

void usbip_encode_ret_submit(uint8_t out[USBIP_URB_HEADER_SIZE], uint32_t seqnum, int32_t status, uint32_t actual)
{
    put_urb_basic(out, USBIP_RET_SUBMIT, seqnum);
    put32(out + 20, (uint32_t)status);
    put32(out + 24, actual);
    put32(out + 32, 0xFFFFFFFFu); /* number_of_packets: not isochronous */
}

void usbip_encode_ret_unlink(uint8_t out[USBIP_URB_HEADER_SIZE], uint32_t seqnum, int32_t status)
{
    put_urb_basic(out, USBIP_RET_UNLINK, seqnum);
    put32(out + 20, (uint32_t)status);
}
