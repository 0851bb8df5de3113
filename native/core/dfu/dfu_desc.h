/* The USB descriptors of a DfuSe device in DFU mode: one configuration with one interface
 * (alternate setting 0, class 0xFE, subclass 1, protocol 2) and its DFU functional descriptor
 * (bmAttributes, wDetachTimeOut, wTransferSize, bcdDFUVersion 0x011A), and the alternate
 * setting's string made from the region table (dfu_alt_string). The bootloader's DFU class
 * (firmware/usb/usb_dfu.c) and the virtual device on the PC (native/sim/sim_dfu.c) serve the same
 * bytes from here.
 *
 *   string 1 manufacturer, 2 product, 3 serial number, 4 the alternate setting (the layout) */
#ifndef DFU_DESC_H
#define DFU_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "dfu/dfu_device.h"

#define DFU_DESC_EP0_SIZE 64u
#define DFU_DESC_INTERFACE 0u          /* the DFU interface's number */
#define DFU_DESC_DETACH_TIMEOUT_MS 255u
#define DFU_DESC_CONFIG_LENGTH 27u     /* configuration + interface + functional */

enum { DFU_STR_LANGUAGES, DFU_STR_MANUFACTURER, DFU_STR_PRODUCT, DFU_STR_SERIAL, DFU_STR_ALT0, DFU_STRINGS };

typedef struct dfu_desc_config {
    uint16_t vid, pid, bcd_device;
    const char *manufacturer, *product, *serial; /* ASCII */
    bool high_speed_capable;                     /* a device qualifier and other-speed configuration */
} dfu_desc_config;

/* The descriptor a device-recipient GET_DESCRIPTOR(type, index) asks for, written into `out`:
 * device, configuration (and other speed, device qualifier when high-speed capable), the
 * strings, and the DFU functional descriptor by itself (type 0x21). Returns its full length,
 * or 0 when there is no such descriptor or it does not fit `cap` (the caller stalls). */
uint16_t dfu_desc_get(const dfu_desc_config *desc, const dfu_config *dfu, uint8_t type, uint8_t index,
                      uint8_t *out, uint16_t cap);

#endif
