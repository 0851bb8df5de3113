/* The bootloader's DFU-mode device (usb_dfu.h): the DfuSe device core behind the DFU interface's
 * class requests, on the USB device core. */
#include "usb/usb_dfu.h"

#include <string.h>

#include "usb/usb_device.h"
#include "usb/usb_std.h"

static struct usb_dfu_state {
    usb_device dev;
    usb_dfu_config config;
    dfu_device dfu;
    uint8_t ctrl[DFU_MAX_TRANSFER]; /* the longest data stage: one DfuSe block */
} s;

static void setup_bytes(const usb_setup *setup, uint8_t out[8])
{
    out[0] = setup->type;
    out[1] = setup->request;
    out[2] = (uint8_t)setup->value;
    out[3] = (uint8_t)(setup->value >> 8);
    out[4] = (uint8_t)setup->index;
    out[5] = (uint8_t)(setup->index >> 8);
    out[6] = (uint8_t)setup->length;
    out[7] = (uint8_t)(setup->length >> 8);
}

static bool for_dfu(const usb_setup *setup)
{
    return (setup->type & USB_TYPE_MASK) == USB_TYPE_CLASS && (setup->type & USB_RECIP_MASK) == USB_RECIP_INTERFACE &&
           setup->index == DFU_DESC_INTERFACE;
}

static uint16_t descriptor(usb_device *d, uint8_t *out, uint16_t cap)
{
    if ((d->setup[0] & USB_RECIP_MASK) != USB_RECIP_DEVICE) return 0;
    return dfu_desc_get(&s.config.desc, &s.config.dfu, d->setup[3], d->setup[2], out, cap);
}

static bool configure(usb_device *d)
{
    (void)d;
    return true; /* endpoint 0 only */
}

static bool set_interface(usb_device *d, uint16_t interface)
{
    (void)d;
    return interface == DFU_DESC_INTERFACE;
}

static bool no_endpoint(uint8_t ep)
{
    (void)ep;
    return false;
}

/* The DfuSe core's answer to a request (the data stage's bytes in d->ctrl for a download). */
static bool answer(usb_device *d, const usb_setup *setup)
{
    uint8_t raw[8];
    uint16_t length = 0;
    setup_bytes(setup, raw);
    if (!dfu_device_request(&s.dfu, raw, d->ctrl, &length)) return false;
    return (setup->type & USB_DIR_IN) ? usb_device_send(d, length) : usb_device_status(d);
}

static bool request(usb_device *d, const usb_setup *setup)
{
    if (!for_dfu(setup)) return false;
    if (setup->length > d->ctrl_size) {
        dfu_device_stalled(&s.dfu);
        return false;
    }
    /* A download's data comes first (request_data). */
    if (!(setup->type & USB_DIR_IN) && setup->length) return usb_device_receive(d);
    return answer(d, setup);
}

static bool request_data(usb_device *d, const usb_setup *setup, uint16_t length)
{
    if (length != setup->length) { /* a data stage that came short */
        dfu_device_stalled(&s.dfu);
        return false;
    }
    return answer(d, setup);
}

/* The host has the answer: announced work may now run (usb_dfu_task). */
static void request_done(usb_device *d, const usb_setup *setup)
{
    (void)d;
    if (for_dfu(setup)) dfu_device_delivered(&s.dfu);
}

static void deconfigured(usb_device *d)
{
    (void)d;
    dfu_device_bus_reset(&s.dfu);
}

static const usb_device_class dfu_class = {
    .interfaces = 1,
    .descriptor = descriptor,
    .configure = configure,
    .set_interface = set_interface,
    .endpoint_exists = no_endpoint,
    .request = request,
    .data = request_data,
    .done = request_done,
    .deconfigured = deconfigured,
};

bool usb_dfu_init(const usb_dfu_config *config, const usb_dcd *dcd)
{
    memset(&s, 0, sizeof s);
    s.config = *config;
    if (!dfu_device_init(&s.dfu, &s.config.dfu)) return false;
    usb_device_init(&s.dev, dcd, &dfu_class, NULL, s.ctrl, sizeof s.ctrl);
    return true;
}

void usb_dfu_task(void)
{
    usb_device_task(&s.dev);
    dfu_device_run(&s.dfu);
}

dfu_state usb_dfu_state(void)
{
    return s.dfu.state;
}
