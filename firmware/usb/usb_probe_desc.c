/* The probe's descriptors, written field by field as the specifications lay them out (USB 2.0
 * chapter 9 and the LPM ECN for the BOS, the IAD ECN, CDC 1.2 / PSTN 1.2, HID 1.11, MS OS 2.0). */
#include "usb/usb_probe_desc.h"

#include "usb/usb_std.h"

/* The device interface GUID that Windows registers for the CMSIS-DAP v2 interface (WinUSB);
 * generated for this project. */
#define DAP_V2_INTERFACE_GUID "{A7A51B9F-0459-4EF6-978E-759A0D9565B8}"
#define BCD_USB 0x0210u /* 2.1: the host reads the BOS (MS OS 2.0 lives there) */
#define MAX_POWER_2MA 250u /* 500 mA: a probe may power its target */

/* A descriptor being written: bytes past `cap` are counted but not stored. */
typedef struct desc {
    uint8_t *out;
    uint16_t cap;
    uint32_t len;
} desc;

static void u8(desc *d, uint32_t v)
{
    if (d->len < d->cap) d->out[d->len] = (uint8_t)v;
    d->len++;
}

static void u16(desc *d, uint32_t v)
{
    u8(d, v & 0xFFu);
    u8(d, (v >> 8) & 0xFFu);
}

static void u32(desc *d, uint32_t v)
{
    u16(d, v & 0xFFFFu);
    u16(d, v >> 16);
}

/* Overwrites the 16-bit field at `at` (a length known only at the end). */
static void patch16(desc *d, uint32_t at, uint32_t v)
{
    if (at + 1u < d->cap) {
        d->out[at] = (uint8_t)(v & 0xFFu);
        d->out[at + 1u] = (uint8_t)(v >> 8);
    }
}

/* ASCII as UTF-16LE; with `nul`, the terminating NUL too. */
static void utf16(desc *d, const char *s, bool nul)
{
    for (; *s; s++) u16(d, (uint8_t)*s);
    if (nul) u16(d, 0);
}

static uint16_t finish(const desc *d)
{
    return d->len <= d->cap ? (uint16_t)d->len : 0;
}

uint16_t usb_probe_desc_device(uint8_t *out, uint16_t cap, const usb_probe_config *config)
{
    desc d = {out, cap, 0};
    u8(&d, 18);
    u8(&d, USB_DT_DEVICE);
    u16(&d, BCD_USB);
    u8(&d, USB_CLASS_MISC); /* the function classes are in the interfaces, grouped by IADs */
    u8(&d, USB_MISC_SUBCLASS_COMMON);
    u8(&d, USB_MISC_PROTOCOL_IAD);
    u8(&d, USB_PROBE_EP0_SIZE);
    u16(&d, config->vid);
    u16(&d, config->pid);
    u16(&d, config->bcd_device);
    u8(&d, USB_PROBE_STR_MANUFACTURER);
    u8(&d, USB_PROBE_STR_PRODUCT);
    u8(&d, USB_PROBE_STR_SERIAL);
    u8(&d, 1); /* configurations */
    return finish(&d);
}

uint16_t usb_probe_desc_qualifier(uint8_t *out, uint16_t cap)
{
    desc d = {out, cap, 0};
    u8(&d, 10);
    u8(&d, USB_DT_DEVICE_QUALIFIER);
    u16(&d, BCD_USB);
    u8(&d, USB_CLASS_MISC);
    u8(&d, USB_MISC_SUBCLASS_COMMON);
    u8(&d, USB_MISC_PROTOCOL_IAD);
    u8(&d, USB_PROBE_EP0_SIZE);
    u8(&d, 1); /* configurations at the other speed */
    u8(&d, 0);
    return finish(&d);
}

static void interface(desc *d, uint8_t number, uint8_t endpoints, uint8_t cls, uint8_t subclass, uint8_t string)
{
    u8(d, 9);
    u8(d, USB_DT_INTERFACE);
    u8(d, number);
    u8(d, 0); /* alternate setting */
    u8(d, endpoints);
    u8(d, cls);
    u8(d, subclass);
    u8(d, 0); /* protocol: none (for CDC-ACM: no AT commands, so modem managers leave it alone) */
    u8(d, string);
}

static void endpoint(desc *d, uint8_t address, uint8_t type, uint16_t max_packet, uint8_t interval)
{
    u8(d, 7);
    u8(d, USB_DT_ENDPOINT);
    u8(d, address);
    u8(d, type);
    u16(d, max_packet);
    u8(d, interval);
}

static void cdc_acm(desc *d, uint8_t comm, uint8_t notify, uint8_t out, uint8_t in, uint8_t string, bool hs)
{
    uint16_t bulk = hs ? USB_PROBE_BULK_HS : USB_PROBE_BULK_FS;
    /* Interface association: the two interfaces are one function. */
    u8(d, 8);
    u8(d, USB_DT_INTERFACE_ASSOCIATION);
    u8(d, comm);
    u8(d, 2);
    u8(d, USB_CLASS_CDC);
    u8(d, USB_CDC_SUBCLASS_ACM);
    u8(d, 0);
    u8(d, string);

    interface(d, comm, 1, USB_CLASS_CDC, USB_CDC_SUBCLASS_ACM, string);
    /* Functional descriptors: header (CDC 1.10), call management (none, data interface given),
     * abstract control management (line coding and control line state), union. */
    u8(d, 5);
    u8(d, USB_DT_CS_INTERFACE);
    u8(d, USB_CDC_FUNC_HEADER);
    u16(d, 0x0110);
    u8(d, 5);
    u8(d, USB_DT_CS_INTERFACE);
    u8(d, USB_CDC_FUNC_CALL_MANAGEMENT);
    u8(d, 0);
    u8(d, (uint8_t)(comm + 1));
    u8(d, 4);
    u8(d, USB_DT_CS_INTERFACE);
    u8(d, USB_CDC_FUNC_ACM);
    u8(d, 0x02);
    u8(d, 5);
    u8(d, USB_DT_CS_INTERFACE);
    u8(d, USB_CDC_FUNC_UNION);
    u8(d, comm);
    u8(d, (uint8_t)(comm + 1));
    /* 16 ms: 16 frames, or 2^(8-1) microframes */
    endpoint(d, notify, USB_EP_INTERRUPT, USB_PROBE_NOTIFY_SIZE, hs ? 8 : 16);

    interface(d, (uint8_t)(comm + 1), 2, USB_CLASS_CDC_DATA, 0, 0);
    endpoint(d, out, USB_EP_BULK, bulk, 0);
    endpoint(d, in, USB_EP_BULK, bulk, 0);
}

/* The HID report descriptor: one vendor-defined application collection with a 64-byte input
 * report and a 64-byte output report, no report IDs (CMSIS-DAP v1). */
static void hid_report(desc *d)
{
    static const uint8_t items[] = {
        0x06, 0x00, 0xFF, /* Usage Page (vendor 0xFF00) */
        0x09, 0x01,       /* Usage 1 */
        0xA1, 0x01,       /* Collection (Application) */
        0x15, 0x00,       /*   Logical Minimum 0 */
        0x26, 0xFF, 0x00, /*   Logical Maximum 255 */
        0x75, 0x08,       /*   Report Size 8 bits */
        0x95, USB_PROBE_HID_REPORT, /* Report Count 64 */
        0x09, 0x01,       /*   Usage 1 */
        0x81, 0x02,       /*   Input (Data, Variable, Absolute) */
        0x95, USB_PROBE_HID_REPORT, /* Report Count 64 */
        0x09, 0x01,       /*   Usage 1 */
        0x91, 0x02,       /*   Output (Data, Variable, Absolute) */
        0xC0,             /* End Collection */
    };
    for (unsigned i = 0; i < sizeof items; i++) u8(d, items[i]);
}

static uint16_t hid_report_length(void)
{
    desc d = {0, 0, 0};
    hid_report(&d);
    return (uint16_t)d.len;
}

static void hid_class(desc *d)
{
    u8(d, 9);
    u8(d, USB_DT_HID);
    u16(d, 0x0111);
    u8(d, 0); /* country */
    u8(d, 1); /* class descriptors */
    u8(d, USB_DT_HID_REPORT);
    u16(d, hid_report_length());
}

uint16_t usb_probe_desc_configuration(uint8_t *out, uint16_t cap, bool high_speed, uint8_t type)
{
    desc d = {out, cap, 0};
    uint16_t bulk = high_speed ? USB_PROBE_BULK_HS : USB_PROBE_BULK_FS;
    u8(&d, 9);
    u8(&d, type);
    u16(&d, 0); /* total length, below */
    u8(&d, USB_PROBE_INTERFACES);
    u8(&d, 1); /* bConfigurationValue */
    u8(&d, 0);
    u8(&d, 0x80); /* bus powered, no remote wake-up */
    u8(&d, MAX_POWER_2MA);

    cdc_acm(&d, USB_PROBE_IF_GDB_COMM, USB_PROBE_EP_GDB_NOTIFY, USB_PROBE_EP_GDB_OUT, USB_PROBE_EP_GDB_IN,
            USB_PROBE_STR_GDB, high_speed);
    cdc_acm(&d, USB_PROBE_IF_UART_COMM, USB_PROBE_EP_UART_NOTIFY, USB_PROBE_EP_UART_OUT, USB_PROBE_EP_UART_IN,
            USB_PROBE_STR_UART, high_speed);

    interface(&d, USB_PROBE_IF_HID, 2, USB_CLASS_HID, 0, USB_PROBE_STR_DAP_V1);
    hid_class(&d);
    endpoint(&d, USB_PROBE_EP_HID_IN, USB_EP_INTERRUPT, USB_PROBE_HID_REPORT, 1);
    endpoint(&d, USB_PROBE_EP_HID_OUT, USB_EP_INTERRUPT, USB_PROBE_HID_REPORT, 1);

    /* CMSIS-DAP v2: bulk OUT first, then bulk IN (the order the specification asks). */
    interface(&d, USB_PROBE_IF_VENDOR, 2, USB_CLASS_VENDOR, 0, USB_PROBE_STR_DAP_V2);
    endpoint(&d, USB_PROBE_EP_DAP_OUT, USB_EP_BULK, bulk, 0);
    endpoint(&d, USB_PROBE_EP_DAP_IN, USB_EP_BULK, bulk, 0);

    patch16(&d, 2, d.len);
    return finish(&d);
}

uint16_t usb_probe_desc_hid(uint8_t *out, uint16_t cap)
{
    desc d = {out, cap, 0};
    hid_class(&d);
    return finish(&d);
}

uint16_t usb_probe_desc_hid_report(uint8_t *out, uint16_t cap)
{
    desc d = {out, cap, 0};
    hid_report(&d);
    return finish(&d);
}

uint16_t usb_probe_desc_string(uint8_t *out, uint16_t cap, uint8_t index, const usb_probe_config *config)
{
    const char *s = 0;
    switch (index) {
    case USB_PROBE_STR_LANGUAGES: {
        desc d = {out, cap, 0};
        u8(&d, 4);
        u8(&d, USB_DT_STRING);
        u16(&d, 0x0409); /* English (United States) */
        return finish(&d);
    }
    case USB_PROBE_STR_MANUFACTURER: s = config->manufacturer; break;
    case USB_PROBE_STR_PRODUCT: s = config->product; break;
    case USB_PROBE_STR_SERIAL: s = config->serial; break;
    case USB_PROBE_STR_GDB: s = "GDB Server"; break;
    case USB_PROBE_STR_UART: s = "Target UART"; break;
    case USB_PROBE_STR_DAP_V1: s = "CMSIS-DAP v1"; break;
    case USB_PROBE_STR_DAP_V2: s = "CMSIS-DAP v2"; break;
    default: return 0;
    }
    if (!s) s = "";
    desc d = {out, cap, 0};
    u8(&d, 0);
    u8(&d, USB_DT_STRING);
    for (unsigned i = 0; s[i] && i < 126u; i++) u16(&d, (uint8_t)s[i]); /* bLength is one byte */
    if (d.len <= d.cap) out[0] = (uint8_t)d.len;
    return finish(&d);
}

static void platform_capability(desc *d, uint16_t set_length)
{
    /* The MS OS 2.0 platform capability UUID {D8DD60DF-4589-4CC7-9CD2-659D9E648A9F}, in the
     * byte order of the wire (the first three fields little-endian). */
    static const uint8_t uuid[16] = {0xDF, 0x60, 0xDD, 0xD8, 0x89, 0x45, 0xC7, 0x4C,
                                     0x9C, 0xD2, 0x65, 0x9D, 0x9E, 0x64, 0x8A, 0x9F};
    u8(d, 28);
    u8(d, USB_DT_DEVICE_CAPABILITY);
    u8(d, USB_CAP_PLATFORM);
    u8(d, 0);
    for (unsigned i = 0; i < sizeof uuid; i++) u8(d, uuid[i]);
    u32(d, MS_OS_20_WINDOWS_8_1);
    u16(d, set_length);
    u8(d, USB_PROBE_VENDOR_MS_OS_20);
    u8(d, 0); /* no alternate enumeration */
}

static void ms_os_20(desc *d)
{
    uint32_t start = d->len;
    u16(d, 10);
    u16(d, MS_OS_20_SET_HEADER_DESCRIPTOR);
    u32(d, MS_OS_20_WINDOWS_8_1);
    u16(d, 0); /* total length, below */

    uint32_t config = d->len;
    u16(d, 8);
    u16(d, MS_OS_20_SUBSET_HEADER_CONFIGURATION);
    u8(d, 0); /* the configuration's index (Windows reads it so), not its value */
    u8(d, 0);
    u16(d, 0); /* subset length, below */

    uint32_t function = d->len;
    u16(d, 8);
    u16(d, MS_OS_20_SUBSET_HEADER_FUNCTION);
    u8(d, USB_PROBE_IF_VENDOR);
    u8(d, 0);
    u16(d, 0); /* subset length, below */

    u16(d, 20);
    u16(d, MS_OS_20_FEATURE_COMPATIBLE_ID);
    static const char winusb[8] = {'W', 'I', 'N', 'U', 'S', 'B', 0, 0};
    for (unsigned i = 0; i < 8; i++) u8(d, (uint8_t)winusb[i]);
    for (unsigned i = 0; i < 8; i++) u8(d, 0); /* sub-compatible ID */

    uint32_t property = d->len;
    u16(d, 0); /* its length, below */
    u16(d, MS_OS_20_FEATURE_REG_PROPERTY);
    u16(d, MS_OS_20_REG_MULTI_SZ);
    u16(d, 2u * (sizeof "DeviceInterfaceGUIDs"));
    utf16(d, "DeviceInterfaceGUIDs", true);
    u16(d, 2u * (sizeof DAP_V2_INTERFACE_GUID + 1u)); /* the GUID, its NUL, and the list's NUL */
    utf16(d, DAP_V2_INTERFACE_GUID, true);
    u16(d, 0);

    patch16(d, property, d->len - property);
    patch16(d, function + 6u, d->len - function);
    patch16(d, config + 6u, d->len - config);
    patch16(d, start + 8u, d->len - start);
}

uint16_t usb_probe_desc_ms_os_20(uint8_t *out, uint16_t cap)
{
    desc d = {out, cap, 0};
    ms_os_20(&d);
    return finish(&d);
}

uint16_t usb_probe_desc_bos(uint8_t *out, uint16_t cap)
{
    desc set = {0, 0, 0};
    ms_os_20(&set);
    desc d = {out, cap, 0};
    u8(&d, 5);
    u8(&d, USB_DT_BOS);
    u16(&d, 0); /* total length, below */
    u8(&d, 2);  /* capabilities */
    /* USB 2.0 extension: no link power management */
    u8(&d, 7);
    u8(&d, USB_DT_DEVICE_CAPABILITY);
    u8(&d, USB_CAP_USB20_EXTENSION);
    u32(&d, 0);
    platform_capability(&d, (uint16_t)set.len);
    patch16(&d, 2, d.len);
    return finish(&d);
}
