/* The probe's USB descriptors (private to firmware/usb): the layout of the composite device and
 * the functions that write each descriptor for the speed the bus runs at.
 *
 *   interface 0  CDC-ACM communication "GDB Server"   (IAD 0-1)   interrupt IN  0x81, 16 bytes
 *   interface 1  CDC data                                         bulk OUT 0x02, bulk IN 0x82
 *   interface 2  CDC-ACM communication "Target UART"  (IAD 2-3)   interrupt IN  0x83, 16 bytes
 *   interface 3  CDC data                                         bulk OUT 0x04, bulk IN 0x84
 *   interface 4  HID "CMSIS-DAP v1", 64-byte reports              interrupt OUT 0x05, IN 0x85
 *   interface 5  vendor "CMSIS-DAP v2" (WinUSB via MS OS 2.0)     bulk OUT 0x06, bulk IN 0x86
 *
 * Bulk endpoints take 64-byte packets at full speed and 512 at high speed; interrupt endpoints
 * keep their size and poll every 1 ms (HID: every frame or microframe; notifications 16 ms). */
#ifndef USB_PROBE_DESC_H
#define USB_PROBE_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "usb/usb_probe.h"

enum {
    USB_PROBE_IF_GDB_COMM,
    USB_PROBE_IF_GDB_DATA,
    USB_PROBE_IF_UART_COMM,
    USB_PROBE_IF_UART_DATA,
    USB_PROBE_IF_HID,
    USB_PROBE_IF_VENDOR,
    USB_PROBE_INTERFACES
};

#define USB_PROBE_EP_GDB_NOTIFY 0x81u
#define USB_PROBE_EP_GDB_OUT 0x02u
#define USB_PROBE_EP_GDB_IN 0x82u
#define USB_PROBE_EP_UART_NOTIFY 0x83u
#define USB_PROBE_EP_UART_OUT 0x04u
#define USB_PROBE_EP_UART_IN 0x84u
#define USB_PROBE_EP_HID_OUT 0x05u
#define USB_PROBE_EP_HID_IN 0x85u
#define USB_PROBE_EP_DAP_OUT 0x06u
#define USB_PROBE_EP_DAP_IN 0x86u

#define USB_PROBE_EP0_SIZE 64u
#define USB_PROBE_NOTIFY_SIZE 16u
#define USB_PROBE_HID_REPORT 64u
#define USB_PROBE_BULK_FS 64u
#define USB_PROBE_BULK_HS 512u

enum {
    USB_PROBE_STR_LANGUAGES,
    USB_PROBE_STR_MANUFACTURER,
    USB_PROBE_STR_PRODUCT,
    USB_PROBE_STR_SERIAL,
    USB_PROBE_STR_GDB,
    USB_PROBE_STR_UART,
    USB_PROBE_STR_DAP_V1,
    USB_PROBE_STR_DAP_V2,
    USB_PROBE_STRINGS
};

/* Each writes its descriptor at `out` and returns its length, or 0 if it does not fit in `cap`
 * (or, for a string, if there is no string `index`). */
uint16_t usb_probe_desc_device(uint8_t *out, uint16_t cap, const usb_probe_config *config);
uint16_t usb_probe_desc_qualifier(uint8_t *out, uint16_t cap);
/* The configuration for `high_speed`, as descriptor `type` (configuration or other speed). */
uint16_t usb_probe_desc_configuration(uint8_t *out, uint16_t cap, bool high_speed, uint8_t type);
uint16_t usb_probe_desc_string(uint8_t *out, uint16_t cap, uint8_t index, const usb_probe_config *config);
uint16_t usb_probe_desc_bos(uint8_t *out, uint16_t cap);
uint16_t usb_probe_desc_ms_os_20(uint8_t *out, uint16_t cap);
uint16_t usb_probe_desc_hid(uint8_t *out, uint16_t cap);
uint16_t usb_probe_desc_hid_report(uint8_t *out, uint16_t cap);

#endif
