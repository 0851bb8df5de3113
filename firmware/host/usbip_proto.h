/* The USB/IP wire format (the Linux kernel's Documentation/usb/usbip_protocol.rst): the
 * operations before import (OP_REQ_DEVLIST, OP_REQ_IMPORT and their replies) and the URB
 * commands after it (USBIP_CMD_SUBMIT / RET_SUBMIT, USBIP_CMD_UNLINK / RET_UNLINK). Every field
 * is big-endian. Pure encoding and decoding: no sockets here. */
#ifndef USBIP_PROTO_H
#define USBIP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USBIP_VERSION 0x0111u
#define USBIP_OP_REQ_DEVLIST 0x8005u
#define USBIP_OP_REP_DEVLIST 0x0005u
#define USBIP_OP_REQ_IMPORT 0x8003u
#define USBIP_OP_REP_IMPORT 0x0003u
#define USBIP_OP_HEADER_SIZE 8u      /* version, code, status */
#define USBIP_BUSID_SIZE 32u
#define USBIP_DEVICE_SIZE 312u       /* the exported device, as OP_REP_IMPORT carries it */

#define USBIP_CMD_SUBMIT 1u
#define USBIP_CMD_UNLINK 2u
#define USBIP_RET_SUBMIT 3u
#define USBIP_RET_UNLINK 4u
#define USBIP_URB_HEADER_SIZE 48u

#define USBIP_DIR_OUT 0u
#define USBIP_DIR_IN 1u

/* Linux URB transfer flags that matter here. */
#define USBIP_URB_SHORT_NOT_OK 0x0001u
#define USBIP_URB_ZERO_PACKET 0x0040u

/* The kernel's speeds (enum usb_device_speed). */
#define USBIP_SPEED_FULL 2u
#define USBIP_SPEED_HIGH 3u

#define USBIP_MAX_INTERFACES 16u

typedef struct usbip_interface {
    uint8_t class_code, subclass, protocol;
} usbip_interface;

/* What OP_REP_DEVLIST and OP_REP_IMPORT say of the exported device. */
typedef struct usbip_device {
    char path[256];
    char busid[USBIP_BUSID_SIZE];
    uint32_t busnum, devnum, speed;
    uint16_t vendor, product, bcd_device;
    uint8_t device_class, device_subclass, device_protocol;
    uint8_t configuration_value, num_configurations, num_interfaces;
    usbip_interface interfaces[USBIP_MAX_INTERFACES];
} usbip_device;

/* A URB command's header, decoded. For CMD_SUBMIT: direction, ep, flags, length, setup; for
 * CMD_UNLINK: unlink_seqnum. */
typedef struct usbip_urb_header {
    uint32_t command, seqnum, devid, direction, ep;
    uint32_t flags, length;        /* transfer_flags, transfer_buffer_length */
    uint32_t start_frame, number_of_packets, interval;
    uint8_t setup[8];
    uint32_t unlink_seqnum;
} usbip_urb_header;

/* Writes OP_REP_DEVLIST with one device and its interfaces into `out`; returns its length, or 0
 * if `capacity` is too small. */
size_t usbip_encode_devlist(uint8_t *out, size_t capacity, const usbip_device *device);
/* Writes OP_REP_IMPORT: the device when `ok`, else the status alone (the kernel gives up). */
size_t usbip_encode_import(uint8_t *out, size_t capacity, const usbip_device *device, bool ok);
/* Decodes an operation header: false if the version is not 1.1.1. */
bool usbip_decode_op(const uint8_t in[USBIP_OP_HEADER_SIZE], uint16_t *code);
/* Decodes a URB command header (48 bytes): false for a command this side never receives. */
bool usbip_decode_urb(const uint8_t in[USBIP_URB_HEADER_SIZE], usbip_urb_header *h);
/* RET_SUBMIT's header (the data of an IN follows it); status is 0 or a negative errno. */
void usbip_encode_ret_submit(uint8_t out[USBIP_URB_HEADER_SIZE], uint32_t seqnum, int32_t status, uint32_t actual);
/* RET_UNLINK: status -ECONNRESET when the URB was still pending and is now cancelled, 0 when it
 * had already completed. */
void usbip_encode_ret_unlink(uint8_t out[USBIP_URB_HEADER_SIZE], uint32_t seqnum, int32_t status);

#endif
