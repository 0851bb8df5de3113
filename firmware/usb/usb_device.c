/* The USB device core: endpoint 0 and the standard requests (usb_device.h). */
#include "usb/usb_device.h"

#include <string.h>

#include "usb/usb_std.h"

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static usb_setup parsed(const usb_device *d)
{
    return (usb_setup){d->setup[0], d->setup[1], get16(&d->setup[2]), get16(&d->setup[4]), get16(&d->setup[6])};
}

static uint32_t halt_bit(uint8_t ep)
{
    return 1u << ((ep & 0x0Fu) + (ep & 0x80u ? 16u : 0u));
}

bool usb_device_xfer(usb_device *d, uint8_t ep, uint8_t *buffer, uint16_t length)
{
    return d->dcd->ep_xfer(d->dcd->ctx, ep, buffer, length);
}

void usb_device_unhalt(usb_device *d, uint8_t ep)
{
    d->halted &= ~halt_bit(ep);
}

uint16_t usb_device_bulk_size(const usb_device *d)
{
    return d->high_speed ? 512u : 64u;
}

/* ---- answers ---- */

static void ctrl_stall(usb_device *d)
{
    d->stage = USB_CTRL_IDLE;
    d->dcd->ep_stall(d->dcd->ctx, 0x80, true);
}

bool usb_device_send(usb_device *d, uint16_t length)
{
    uint16_t asked = get16(&d->setup[6]);
    if (length > asked) length = asked;
    d->ctrl_zlp = length < asked && length > 0 && length % USB_DEVICE_EP0_SIZE == 0;
    d->stage = USB_CTRL_DATA_IN;
    return usb_device_xfer(d, 0x80, d->ctrl, length);
}

bool usb_device_send_bytes(usb_device *d, const uint8_t *data, uint16_t length)
{
    if (length > d->ctrl_size) return false;
    memcpy(d->ctrl, data, length);
    return usb_device_send(d, length);
}

bool usb_device_status(usb_device *d)
{
    d->stage = USB_CTRL_STATUS_IN;
    return usb_device_xfer(d, 0x80, NULL, 0);
}

bool usb_device_receive(usb_device *d)
{
    uint16_t length = get16(&d->setup[6]);
    if (length > d->ctrl_size) return false;
    d->stage = USB_CTRL_DATA_OUT;
    return usb_device_xfer(d, 0x00, d->ctrl, length);
}

/* ---- the standard requests ---- */

static void deconfigure(usb_device *d)
{
    d->configured = false;
    if (d->cls->deconfigured) d->cls->deconfigured(d);
}

static bool endpoint_exists(const usb_device *d, uint8_t ep)
{
    return d->configured && d->cls->endpoint_exists && d->cls->endpoint_exists(ep);
}

static bool standard_request(usb_device *d, const usb_setup *s)
{
    uint8_t recipient = s->type & USB_RECIP_MASK;
    bool in = (s->type & USB_DIR_IN) != 0;
    uint8_t reply[2] = {0, 0};
    switch (s->request) {
    case USB_REQ_GET_DESCRIPTOR: {
        if (!in) return false;
        uint16_t length = d->cls->descriptor(d, d->ctrl, d->ctrl_size);
        return length && usb_device_send(d, length);
    }
    case USB_REQ_SET_ADDRESS:
        if (recipient != USB_RECIP_DEVICE || in || s->value > 127 || s->index || s->length || d->configured) return false;
        /* Before the status stage: the Synopsys core answers the status with the old address. */
        d->dcd->set_address(d->dcd->ctx, (uint8_t)s->value);
        return usb_device_status(d);
    case USB_REQ_GET_CONFIGURATION:
        if (!in || recipient != USB_RECIP_DEVICE) return false;
        reply[0] = d->configured ? 1 : 0;
        return usb_device_send_bytes(d, reply, 1);
    case USB_REQ_SET_CONFIGURATION:
        if (in || recipient != USB_RECIP_DEVICE || s->value > 1) return false;
        deconfigure(d);
        if (s->value == 1) {
            if (!d->cls->configure(d)) return false;
            d->configured = true;
        }
        return usb_device_status(d);
    case USB_REQ_GET_STATUS:
        if (!in) return false;
        if (recipient == USB_RECIP_DEVICE) return usb_device_send_bytes(d, reply, 2); /* bus powered */
        if (recipient == USB_RECIP_INTERFACE)
            return d->configured && s->index < d->cls->interfaces && usb_device_send_bytes(d, reply, 2);
        if (recipient == USB_RECIP_ENDPOINT) {
            uint8_t ep = (uint8_t)s->index;
            if ((ep & 0x7Fu) != 0 && !endpoint_exists(d, ep)) return false;
            reply[0] = (d->halted & halt_bit(ep)) ? 1 : 0;
            return usb_device_send_bytes(d, reply, 2);
        }
        return false;
    case USB_REQ_CLEAR_FEATURE:
    case USB_REQ_SET_FEATURE: {
        if (in || recipient != USB_RECIP_ENDPOINT || s->value != USB_FEATURE_ENDPOINT_HALT) return false;
        uint8_t ep = (uint8_t)s->index;
        bool set = s->request == USB_REQ_SET_FEATURE;
        if ((ep & 0x7Fu) == 0) return usb_device_status(d); /* endpoint 0 is never halted for long */
        if (!endpoint_exists(d, ep)) return false;
        /* Clearing also puts the toggle back to DATA0, halted or not (USB 2.0, 9.4.5). */
        d->dcd->ep_stall(d->dcd->ctx, ep, set);
        if (set)
            d->halted |= halt_bit(ep);
        else
            d->halted &= ~halt_bit(ep);
        return usb_device_status(d);
    }
    case USB_REQ_GET_INTERFACE:
        if (!in || recipient != USB_RECIP_INTERFACE || !d->configured || s->index >= d->cls->interfaces) return false;
        return usb_device_send_bytes(d, reply, 1); /* every interface has only alternate setting 0 */
    case USB_REQ_SET_INTERFACE:
        if (in || recipient != USB_RECIP_INTERFACE || !d->configured || s->index >= d->cls->interfaces || s->value != 0)
            return false;
        return d->cls->set_interface(d, s->index) && usb_device_status(d);
    default: /* SET_DESCRIPTOR, SYNCH_FRAME, and anything else */
        return false;
    }
}

/* ---- events ---- */

static void on_setup(usb_device *d, const uint8_t *setup)
{
    memcpy(d->setup, setup, sizeof d->setup);
    d->stage = USB_CTRL_IDLE;
    d->ctrl_zlp = false;
    usb_setup s = parsed(d);
    bool ok = false;
    switch (s.type & USB_TYPE_MASK) {
    case USB_TYPE_STANDARD: ok = standard_request(d, &s); break;
    case USB_TYPE_CLASS:
    case USB_TYPE_VENDOR: ok = d->cls->request(d, &s); break;
    default: break;
    }
    if (!ok) ctrl_stall(d);
}

static void on_ep0_done(usb_device *d, uint8_t ep, uint16_t length)
{
    bool in = (ep & 0x80u) != 0;
    usb_setup s = parsed(d);
    switch (d->stage) {
    case USB_CTRL_DATA_IN:
        if (!in) break;
        if (d->ctrl_zlp) {
            d->ctrl_zlp = false;
            usb_device_xfer(d, 0x80, NULL, 0);
        } else {
            d->stage = USB_CTRL_STATUS_OUT;
            usb_device_xfer(d, 0x00, NULL, 0);
        }
        break;
    case USB_CTRL_STATUS_OUT:
        if (in) break;
        d->stage = USB_CTRL_IDLE;
        if (d->cls->done) d->cls->done(d, &s);
        break;
    case USB_CTRL_DATA_OUT:
        if (in) break;
        if (!d->cls->data || !d->cls->data(d, &s, length)) ctrl_stall(d);
        break;
    case USB_CTRL_STATUS_IN:
        if (!in) break;
        d->stage = USB_CTRL_IDLE;
        if (d->cls->done) d->cls->done(d, &s);
        break;
    default:
        break;
    }
}

static void on_bus_reset(usb_device *d, bool high_speed)
{
    d->high_speed = high_speed;
    deconfigure(d);
    d->suspended = false;
    d->halted = 0;
    d->stage = USB_CTRL_IDLE;
    d->dcd->ep_open(d->dcd->ctx, 0x00, USB_EP_CONTROL, USB_DEVICE_EP0_SIZE);
    d->dcd->ep_open(d->dcd->ctx, 0x80, USB_EP_CONTROL, USB_DEVICE_EP0_SIZE);
}

void usb_device_init(usb_device *d, const usb_dcd *dcd, const usb_device_class *cls, void *ctx, uint8_t *ctrl,
                     uint16_t ctrl_size)
{
    memset(d, 0, sizeof *d);
    d->dcd = dcd;
    d->cls = cls;
    d->ctx = ctx;
    d->ctrl = ctrl;
    d->ctrl_size = ctrl_size;
    dcd->connect(dcd->ctx, true);
}

void usb_device_task(usb_device *d)
{
    usb_event e;
    /* Bounded, so that a busy bus cannot keep the main loop here. */
    for (unsigned n = 0; n < 64 && d->dcd->next_event(d->dcd->ctx, &e); n++) {
        switch (e.kind) {
        case USB_EVENT_RESET: on_bus_reset(d, e.high_speed); break;
        case USB_EVENT_SETUP: on_setup(d, e.setup); break;
        case USB_EVENT_XFER_DONE:
            if ((e.ep & 0x7Fu) == 0)
                on_ep0_done(d, e.ep, e.length);
            else if (d->configured && d->cls->transfer)
                d->cls->transfer(d, e.ep, e.length);
            break;
        case USB_EVENT_SUSPEND: d->suspended = true; break;
        case USB_EVENT_RESUME: d->suspended = false; break;
        }
    }
}
