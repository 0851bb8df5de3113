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

/* RESET: a bus reset ended (the speed is known); every endpoint but 0 is closed, and the device
 * core opens endpoint 0 again. SETUP: a SETUP packet arrived on endpoint 0 (it ends whatever
 * control transfer was in progress). XFER_DONE: a transfer started by ep_xfer finished. */
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
    /* Called as SET_ADDRESS arrives, before its status stage (the Synopsys core wants the address
     * at once and still answers the status stage at address 0); a controller that needs it after
     * the status stage defers it itself. */
    void (*set_address)(void *ctx, uint8_t address);
    /* Opens an endpoint: address (bit 7 IN), type (0 control, 2 bulk, 3 interrupt), max packet.
     * Opening again (SET_CONFIGURATION, SET_INTERFACE) cancels a transfer in progress there
     * without an XFER_DONE, and puts the data toggle back to DATA0. */
    bool (*ep_open)(void *ctx, uint8_t ep, uint8_t type, uint16_t max_packet);
    /* Starts a transfer of `length` bytes (0: a zero-length packet) from/to `buffer`, which stays
     * valid until its XFER_DONE event. An OUT transfer ends on a short packet or at `length`
     * (bytes past `length` in its last packet are dropped). False if the endpoint is busy; on
     * endpoint 0 a new transfer replaces an unfinished one instead. */
    bool (*ep_xfer)(void *ctx, uint8_t ep, uint8_t *buffer, uint16_t length);
    /* Halts or resumes an endpoint; resuming puts the data toggle back to DATA0. On endpoint 0
     * (either direction) it is the protocol stall of both directions, lifted by the next SETUP. */
    void (*ep_stall)(void *ctx, uint8_t ep, bool stall);
    /* The next event, if any (false when there is none): the driver's interrupt handler or its
     * poll records events, the device core takes them in its task. */
    bool (*next_event)(void *ctx, usb_event *event);
} usb_dcd;

#endif
