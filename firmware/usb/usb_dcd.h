/* The USB controller seam (firmware/usb): what the device core needs from a device controller
 * driver, in the manner of TinyUSB's split of class drivers from controller drivers. The
 * Synopsys OTG driver (usb_dwc2.c) implements it over the controller's registers; on the PC the
 * same driver runs over a register model of the OTG core (test/usb/), and the device core and
 * class drivers above this seam never touch a register. */
#ifndef USB_DCD_H
#define USB_DCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { USB_EVENT_RESET, USB_EVENT_SETUP, USB_EVENT_XFER_DONE, USB_EVENT_SUSPEND, USB_EVENT_RESUME } usb_event_kind;

typedef struct usb_event {
    usb_event_kind kind;
    uint8_t ep;            /* endpoint address (bit 7: IN) for XFER_DONE */
    uint16_t length;       /* bytes transferred for XFER_DONE */
    uint8_t setup[8];      /* for SETUP */
    bool high_speed;       /* for RESET: the speed the bus came up at */
} usb_event;

typedef struct usb_dcd {
    void *ctx;
    /* Connects (pull-up on) or disconnects. */
    void (*connect)(void *ctx, bool on);
    void (*set_address)(void *ctx, uint8_t address);
    /* Opens an endpoint: address (bit 7 IN), type (0 control, 2 bulk, 3 interrupt), max packet. */
    bool (*ep_open)(void *ctx, uint8_t ep, uint8_t type, uint16_t max_packet);
    /* Starts a transfer of `length` bytes (0: a zero-length packet) from/to `buffer`, which stays
     * valid until its XFER_DONE event. An OUT transfer ends on a short packet or at `length`. */
    bool (*ep_xfer)(void *ctx, uint8_t ep, uint8_t *buffer, uint16_t length);
    void (*ep_stall)(void *ctx, uint8_t ep, bool stall);
    /* The next event, if any (false when there is none): the driver's interrupt handler or its
     * poll records events, the device core takes them in its task. */
    bool (*next_event)(void *ctx, usb_event *event);
} usb_dcd;

#endif
