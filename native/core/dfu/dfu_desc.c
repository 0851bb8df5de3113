/* A DfuSe device's descriptors (dfu_desc.h), laid out as USB 2.0 chapter 9 and DFU 1.1 section
 * 4.2 give them. */
#include "dfu/dfu_desc.h"

#include <string.h>

#include "common/bytes.h"

#define DT_DEVICE 1u
#define DT_CONFIGURATION 2u
#define DT_STRING 3u
#define DT_INTERFACE 4u
#define DT_DEVICE_QUALIFIER 6u
#define DT_OTHER_SPEED_CONFIGURATION 7u
#define BCD_USB 0x0200u
#define MAX_POWER_2MA 50u /* 100 mA */

static uint16_t functional(const dfu_config *dfu, uint8_t *p)
{
    p[0] = DFU_FUNCTIONAL_LENGTH;
    p[1] = DFU_DT_FUNCTIONAL;
    p[2] = dfu->attributes;
    put_le16(&p[3], DFU_DESC_DETACH_TIMEOUT_MS);
    put_le16(&p[5], dfu->transfer_size);
    put_le16(&p[7], DFU_VERSION_DFUSE);
    return DFU_FUNCTIONAL_LENGTH;
}

static uint16_t configuration(const dfu_config *dfu, uint8_t type, uint8_t *p)
{
    static const uint8_t head[18] = {
        9, 0, DFU_DESC_CONFIG_LENGTH, 0, 1 /* interfaces */, 1 /* bConfigurationValue */, 0,
        0x80 /* bus powered */, MAX_POWER_2MA,
        9, DT_INTERFACE, DFU_DESC_INTERFACE, 0 /* alternate setting */, 0 /* endpoints */,
        DFU_INTERFACE_CLASS, DFU_INTERFACE_SUBCLASS, DFU_INTERFACE_PROTOCOL_DFU_MODE, DFU_STR_ALT0};
    memcpy(p, head, sizeof head);
    p[1] = type;
    return (uint16_t)(sizeof head + functional(dfu, &p[sizeof head]));
}

/* The device descriptor (18 bytes) or, with `qualifier`, the device qualifier (10 bytes): the
 * two share their first fields. */
static uint16_t device(const dfu_desc_config *desc, bool qualifier, uint8_t *p)
{
    memset(p, 0, 18);
    p[0] = qualifier ? 10 : 18;
    p[1] = qualifier ? DT_DEVICE_QUALIFIER : DT_DEVICE;
    put_le16(&p[2], BCD_USB);
    /* class, subclass, protocol 0: the interface says what it is */
    p[7] = DFU_DESC_EP0_SIZE;
    if (qualifier) {
        p[8] = 1; /* configurations at the other speed */
        return 10;
    }
    put_le16(&p[8], desc->vid);
    put_le16(&p[10], desc->pid);
    put_le16(&p[12], desc->bcd_device);
    p[14] = DFU_STR_MANUFACTURER;
    p[15] = DFU_STR_PRODUCT;
    p[16] = DFU_STR_SERIAL;
    p[17] = 1; /* configurations */
    return 18;
}

/* An ASCII string as a string descriptor (UTF-16LE), cut at 126 characters. */
static uint16_t string(const char *s, uint8_t *p)
{
    unsigned n = 0;
    for (; s && s[n] && n < DFU_ALT_STRING_MAX; n++) put_le16(&p[2 + 2 * n], (uint8_t)s[n]);
    p[0] = (uint8_t)(2 + 2 * n);
    p[1] = DT_STRING;
    return p[0];
}

uint16_t dfu_desc_get(const dfu_desc_config *desc, const dfu_config *dfu, uint8_t type, uint8_t index,
                      uint8_t *out, uint16_t cap)
{
    uint8_t p[2 + 2 * DFU_ALT_STRING_MAX]; /* the longest: a string descriptor */
    char alt[DFU_ALT_STRING_MAX + 1];
    uint16_t length = 0;
    switch (type) {
    case DT_DEVICE:
        if (index == 0) length = device(desc, false, p);
        break;
    case DT_DEVICE_QUALIFIER:
        if (index == 0 && desc->high_speed_capable) length = device(desc, true, p);
        break;
    case DT_CONFIGURATION:
        if (index == 0) length = configuration(dfu, DT_CONFIGURATION, p);
        break;
    case DT_OTHER_SPEED_CONFIGURATION:
        /* EP0 is 64 bytes at either speed, and DFU has no other endpoint: the same interface. */
        if (index == 0 && desc->high_speed_capable) length = configuration(dfu, DT_OTHER_SPEED_CONFIGURATION, p);
        break;
    case DFU_DT_FUNCTIONAL:
        if (index == 0) length = functional(dfu, p);
        break;
    case DT_STRING:
        switch (index) {
        case DFU_STR_LANGUAGES:
            p[0] = 4;
            p[1] = DT_STRING;
            put_le16(&p[2], 0x0409); /* English (United States) */
            length = 4;
            break;
        case DFU_STR_MANUFACTURER: length = string(desc->manufacturer, p); break;
        case DFU_STR_PRODUCT: length = string(desc->product, p); break;
        case DFU_STR_SERIAL: length = string(desc->serial, p); break;
        case DFU_STR_ALT0:
            if (dfu_alt_string(dfu, alt, sizeof alt)) length = string(alt, p);
            break;
        default: break;
        }
        break;
    default:
        break;
    }
    if (!length || length > cap) return 0;
    memcpy(out, p, length);
    return length;
}
