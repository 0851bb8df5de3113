/* The bootloader's USB device: a DfuSe device in DFU mode (one interface, alternate setting 0,
 * the DFU functional descriptor) on the USB device core (usb_device.h), with the portable DfuSe
 * device core (native/core/dfu: the DFU 1.1 state machine, DfuSe's commands, the region guard)
 * behind its class requests. The descriptors are the core's (dfu_desc.h), so the bootloader and
 * the virtual device on the PC present the same bytes.
 *
 * One device per firmware: its state is a static of usb_dfu.c, reset by usb_dfu_init. */
#ifndef USB_DFU_H
#define USB_DFU_H

#include <stdbool.h>

#include "dfu/dfu_desc.h"
#include "dfu/dfu_device.h"
#include "usb/usb_dcd.h"

typedef struct usb_dfu_config {
    dfu_desc_config desc; /* identity; its strings must stay valid while the device runs */
    dfu_config dfu;       /* the region, its sectors, the flash operations (kept by reference) */
} usb_dfu_config;

/* Starts the device on the controller `dcd` (initialised by the board) and connects. False if
 * the DfuSe core refuses the configuration. */
bool usb_dfu_init(const usb_dfu_config *config, const usb_dcd *dcd);

/* Handles the controller's events, then the work a delivered DFU_GETSTATUS announced: an erase
 * or a block's programming can take seconds (the host waits bwPollTimeout meanwhile), and
 * leaving DFU mode calls the flash operations' `leave`, which resets the chip. */
void usb_dfu_task(void);

/* The DFU state (dfu.h), for an LED. */
dfu_state usb_dfu_state(void);

#endif
