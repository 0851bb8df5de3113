/* The probe application's transports over the probe's USB device (usb/usb_probe.h): GDB on
 * CDC-ACM 0, CMSIS-DAP on HID (source 0) and on the vendor bulk interface (source 1). Every
 * build with the USB device uses it: the boards, and the PC build of the firmware served over
 * USB/IP (firmware/host). */
#ifndef APP_USB_H
#define APP_USB_H

#include <stdint.h>

#include "app/app.h"

typedef struct app_usb_hooks {
    /* Milliseconds since start. */
    uint32_t (*millis)(void);
    /* Something moved (a GDB byte or a CMSIS-DAP request arrived): the board's activity LED. */
    void (*activity)(void);
    /* Called while a GDB reply waits for room in the CDC-ACM buffer: lets the USB device (and,
     * on the PC, its host) move what it holds. The boards pass usb_probe_task. */
    void (*wait)(void);
} app_usb_hooks;

/* The app_io over usb_probe with `hooks` (which must outlive it; one per program). */
const app_io *app_usb_io(const app_usb_hooks *hooks);

#endif
