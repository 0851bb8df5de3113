/* The probe's USB device, as the board's main sees it: a composite device with
 *   - CDC-ACM 0: the GDB server (a byte stream),
 *   - CDC-ACM 1: the target's UART (a byte stream, and the line coding the host asks for),
 *   - HID: CMSIS-DAP v1 (64-byte reports each way),
 *   - a vendor interface with bulk OUT and IN: CMSIS-DAP v2 (its interface string contains
 *     "CMSIS-DAP"; MS OS 2.0 descriptors bind WinUSB on Windows without a driver),
 * with interface association descriptors and the serial number from the chip's unique ID. The
 * interfaces, endpoints and strings are listed in usb_probe_desc.h.
 *
 * Layers (firmware/usb/): the device core (standard requests, descriptors, endpoint dispatch)
 * and the class drivers above the controller seam (usb_dcd.h); the Synopsys OTG controller
 * driver below it (full speed, and high speed with the STM32F723's internal PHY). None of it
 * touches a register outside the controller driver, so the rest runs on the PC unchanged. */
#ifndef USB_PROBE_H
#define USB_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "usb/usb_dcd.h"

/* Vendor requests (bmRequestType type "vendor"):
 *   USB_PROBE_VENDOR_MS_OS_20  device-to-host, recipient device, wIndex 7: the MS OS 2.0
 *                              descriptor set (the BOS platform capability names this code);
 *   USB_PROBE_VENDOR_DFU       host-to-device, recipient device (wIndex 0) or the CMSIS-DAP v2
 *                              interface (wIndex 5), wValue 0, no data: reboot into the DFU
 *                              bootloader. Recorded once the status stage is done, for the board
 *                              to act on (usb_probe_dfu_requested). */
#define USB_PROBE_VENDOR_MS_OS_20 0x01u
#define USB_PROBE_VENDOR_DFU 0x02u

typedef struct usb_probe_config {
    uint16_t vid, pid, bcd_device;
    /* ASCII; they must stay valid while the device runs. The product string contains
     * "CMSIS-DAP" (CMSIS-DAP v1 hosts find the HID interface by it). */
    const char *manufacturer, *product;
    const char *serial;                 /* from the chip's unique ID, as hex */
    bool high_speed;                    /* the controller can run at high speed: 512-byte bulk
                                         * packets when the bus does, and a device qualifier */
} usb_probe_config;

/* Starts the device on the controller `dcd` (already initialised by the board): resets all of the
 * device's state and connects. */
void usb_probe_init(const usb_probe_config *config, const usb_dcd *dcd);
/* Handles what the controller reported since the last call (setup packets, completed
 * transfers, resets). Call it from the main loop; the controller's interrupt only records. */
void usb_probe_task(void);

/* CDC-ACM 0 (GDB) and 1 (target UART): non-blocking byte streams. */
size_t usb_probe_cdc_read(unsigned port, uint8_t *buffer, size_t capacity);
/* Queues bytes; returns how many fitted (the rest is the caller's to retry). */
size_t usb_probe_cdc_write(unsigned port, const uint8_t *data, size_t length);
/* The line coding the host set on port 1 (for the target UART): baud, and whether it changed
 * since the last call. */
bool usb_probe_line_coding(unsigned port, uint32_t *baud);

/* CMSIS-DAP: one whole request from HID (source 0) or bulk (source 1), or 0. A HID request is
 * one 64-byte report; a bulk request is one transfer of at most a bulk packet (64 bytes at full
 * speed, 512 at high speed: the packet size the DAP engine must report), ended by a short
 * packet. A request is handed out only when its source has room for the response (two
 * responses may wait per source), so that usb_probe_dap_write never has to drop one. */
size_t usb_probe_dap_read(uint8_t *buffer, size_t capacity, unsigned *source);
/* Sends one response the way its request came: on HID as a 64-byte report (zero padded), on
 * bulk as a transfer of `length` bytes (at most 512) with a zero-length packet after it when it
 * fills its last packet. */
void usb_probe_dap_write(unsigned source, const uint8_t *data, size_t length);

/* Whether the bus came up at high speed (at the last reset). */
bool usb_probe_high_speed(void);
/* How many times the host started the device over (bus reset, SET_CONFIGURATION): a change
 * means whoever used the CDC-ACM ports before is gone (cable pulled, device re-imported). */
uint32_t usb_probe_restarts(void);
/* Whether the host asked for the DFU bootloader (USB_PROBE_VENDOR_DFU) since usb_probe_init. */
bool usb_probe_dfu_requested(void);

#endif
