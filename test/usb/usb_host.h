/* The host side of the USB tests: a rig that runs the probe's USB firmware (the DWC2 driver and
 * the device core, firmware/usb) over the OTG register model, and a small host that talks to it
 * the way a USB host controller and its drivers do: transactions with data toggles and NAK
 * retries, control transfers with their three stages, bulk and interrupt transfers that end on a
 * short packet. Between retries the host "pumps" the device (runs its main loop once). */
#ifndef USB_HOST_H
#define USB_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otg_model.h"
#include "usb/usb_dwc2.h"
#include "usb/usb_probe.h"

/* The firmware under test on a model of one of the two probes' controllers. */
typedef struct usb_rig {
    phyc_model phyc;
    otg_model otg;
    usb_dwc2 dwc2;
    usb_probe_config config;
    bool started;
} usb_rig;

/* The controller alone (the DWC2 driver on the model), for a device other than the probe's. */
bool usb_rig_start_controller(usb_rig *r, otg_model_kind kind);
/* The STLINK-V3MINI (OTG_HS, UTMI PHY, 25 MHz HSE) or the DevEBox H7 (OTG_FS). */
bool usb_rig_start(usb_rig *r, otg_model_kind kind);
/* usb_rig_start with a product string of the caller's. */
bool usb_rig_start_with(usb_rig *r, otg_model_kind kind, const char *product);

typedef enum { HOST_OK, HOST_STALL, HOST_TIMEOUT, HOST_ERROR } host_result;

typedef struct usb_host {
    otg_model *otg;
    void (*pump)(void *ctx); /* runs the device once (default: usb_probe_task) */
    void *ctx;
    uint8_t address;
    bool in_data1[16], out_data1[16]; /* the toggle the host expects / sends next */
    unsigned tries;                    /* NAKs before a transaction times out */
    unsigned naks, toggle_errors;
} usb_host;

void usb_host_init(usb_host *h, otg_model *otg);
/* A bus reset at the host's speed; the device is pumped until it has taken the reset. */
bool usb_host_reset(usb_host *h, bool high_speed);
void usb_host_pump(usb_host *h);
/* After SET_CONFIGURATION, SET_INTERFACE or CLEAR_FEATURE(halt): the toggle starts at DATA0. */
void usb_host_reset_toggle(usb_host *h, uint8_t ep);

/* One transaction, retried while the device NAKs. */
otg_handshake usb_host_in_packet(usb_host *h, uint8_t ep, uint8_t *buffer, size_t capacity, size_t *length);
otg_handshake usb_host_out_packet(usb_host *h, uint8_t ep, const uint8_t *data, size_t length);

/* A control transfer: SETUP, the data stage (IN into `data`, or OUT from it), the status stage.
 * `*actual` gets the bytes of an IN data stage. */
host_result usb_host_control(usb_host *h, uint8_t request_type, uint8_t request, uint16_t value, uint16_t index,
                             uint16_t length, uint8_t *data, size_t *actual);
/* Reads a bulk or interrupt IN transfer: packets until a short one (a ZLP included) or until
 * `capacity` is full. */
host_result usb_host_read(usb_host *h, uint8_t ep, uint16_t max_packet, uint8_t *buffer, size_t capacity,
                          size_t *length);
/* Writes an OUT transfer in packets; with `zlp`, a transfer that fills its last packet is
 * followed by a zero-length packet. */
host_result usb_host_write(usb_host *h, uint8_t ep, uint16_t max_packet, const uint8_t *data, size_t length,
                           bool zlp);

/* GET_DESCRIPTOR(type, index) from the device (language 0x0409 for strings). */
host_result usb_host_get_descriptor(usb_host *h, uint8_t type, uint8_t index, uint8_t *buffer, uint16_t length,
                                    size_t *actual);

#endif
