/* The USB device core (firmware/usb): endpoint 0's control transfers (SETUP, data and status
 * stages, the zero-length packet that ends a short data stage on a packet edge) and the
 * standard requests every device answers alike (address, configuration, status, endpoint halt,
 * interfaces), above the controller seam (usb_dcd.h). A device's functions plug in as a
 * usb_device_class: its descriptors, what a configuration opens, its class and vendor requests
 * and its endpoints' transfers. The probe's composite device (usb_probe.c) and the bootloader's
 * DFU device (usb_dfu.c) are two such classes on the same core.
 *
 * Everything runs in the main loop (usb_device_task); the controller's interrupt only records
 * events. */
#ifndef USB_DEVICE_H
#define USB_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usb/usb_dcd.h"

#define USB_DEVICE_EP0_SIZE 64u /* endpoint 0's packet at either speed */

typedef struct usb_device usb_device;

/* A request's setup fields: bmRequestType, bRequest, wValue, wIndex, wLength. */
typedef struct usb_setup {
    uint8_t type, request;
    uint16_t value, index, length;
} usb_setup;

typedef struct usb_device_class {
    /* The interfaces of the configuration (GET_STATUS, GET/SET_INTERFACE check their number). */
    uint8_t interfaces;
    /* GET_DESCRIPTOR (recipient device or interface, as in d->setup): writes the descriptor into
     * `out` and returns its full length, or 0 when there is none (the request stalls). */
    uint16_t (*descriptor)(usb_device *d, uint8_t *out, uint16_t cap);
    /* SET_CONFIGURATION(1): opens the functions' endpoints. False stalls the request. */
    bool (*configure)(usb_device *d);
    /* SET_INTERFACE(n, 0): reopens interface n. False stalls. */
    bool (*set_interface)(usb_device *d, uint16_t interface);
    /* Whether `ep` is one of the configuration's endpoints (halt features apply to those). */
    bool (*endpoint_exists)(uint8_t ep);
    /* Class and vendor requests: answer with usb_device_send, usb_device_receive or
     * usb_device_status; false stalls. */
    bool (*request)(usb_device *d, const usb_setup *setup);
    /* A control write's data stage arrived (`length` bytes in d->ctrl): usb_device_status, or
     * false to stall. May be NULL when `request` never receives. */
    bool (*data)(usb_device *d, const usb_setup *setup, uint16_t length);
    /* The control transfer of `setup` is complete (its status stage is done). May be NULL. */
    void (*done)(usb_device *d, const usb_setup *setup);
    /* A transfer on an endpoint other than 0 finished. May be NULL. */
    void (*transfer)(usb_device *d, uint8_t ep, uint16_t length);
    /* A bus reset or SET_CONFIGURATION(0) left the device unconfigured: the functions reset. */
    void (*deconfigured)(usb_device *d);
} usb_device_class;

typedef enum { USB_CTRL_IDLE, USB_CTRL_DATA_IN, USB_CTRL_STATUS_OUT, USB_CTRL_DATA_OUT, USB_CTRL_STATUS_IN } usb_ctrl_stage;

struct usb_device {
    const usb_dcd *dcd;
    const usb_device_class *cls;
    void *ctx;                /* the class's */
    uint8_t *ctrl;            /* the control transfers' data, the class's buffer */
    uint16_t ctrl_size;
    uint8_t setup[8];
    usb_ctrl_stage stage;
    bool ctrl_zlp;            /* the IN data stage ends with a ZLP (short of wLength, on a packet edge) */
    bool high_speed, configured, suspended;
    uint32_t halted;          /* endpoint halt features: bit n OUT n, bit 16 + n IN n */
};

/* Starts the device on the controller `dcd` (initialised by the board) and connects. `ctrl` is
 * the buffer for control data stages: it bounds the longest one. */
void usb_device_init(usb_device *d, const usb_dcd *dcd, const usb_device_class *cls, void *ctx, uint8_t *ctrl,
                     uint16_t ctrl_size);
/* Handles what the controller reported since the last call. */
void usb_device_task(usb_device *d);

/* Answers to a request (from the class's `request` or `data`): */
/* the IN data stage: `length` bytes of d->ctrl, cut to wLength */
bool usb_device_send(usb_device *d, uint16_t length);
/* the same from `data` (copied into d->ctrl first) */
bool usb_device_send_bytes(usb_device *d, const uint8_t *data, uint16_t length);
/* the OUT data stage: wLength bytes into d->ctrl (false if they do not fit) */
bool usb_device_receive(usb_device *d);
/* the status stage of a request with no data stage, or after its OUT data */
bool usb_device_status(usb_device *d);

/* A transfer on a function's endpoint (see usb_dcd.h). */
bool usb_device_xfer(usb_device *d, uint8_t ep, uint8_t *buffer, uint16_t length);
/* The endpoint was (re)opened: its halt feature is clear. */
void usb_device_unhalt(usb_device *d, uint8_t ep);
/* The packet size of bulk endpoints at the bus's speed. */
uint16_t usb_device_bulk_size(const usb_device *d);

#endif
