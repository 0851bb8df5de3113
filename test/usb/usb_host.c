/* The test rig and host (see usb_host.h). */
#include "usb_host.h"

#include <string.h>

#include "usb/usb_phyc_f72x.h"

#define EP0_SIZE 64u

static bool board_phy_init(void *ctx)
{
    usb_rig *r = ctx;
    /* What the STLINK-V3MINI's board code does: its HSE is 25 MHz. */
    return usb_phyc_f72x_init(phyc_model_base(&r->phyc), 25000000u, 0);
}

bool usb_rig_start_controller(usb_rig *r, otg_model_kind kind)
{
    memset(r, 0, sizeof *r);
    phyc_model_init(&r->phyc, 5);
    otg_model_init(&r->otg, kind, kind == OTG_MODEL_HS_UTMI ? &r->phyc : NULL);
    usb_dwc2_config config = {
        .base = otg_model_base(&r->otg),
        .endpoints = OTG_MODEL_ENDPOINTS,
        .fifo_words = OTG_MODEL_FIFO_WORDS,
        .utmi_phy = kind == OTG_MODEL_HS_UTMI,
        .ctx = r,
        .phy_init = kind == OTG_MODEL_HS_UTMI ? board_phy_init : NULL,
    };
    return usb_dwc2_init(&r->dwc2, &config);
}

bool usb_rig_start_with(usb_rig *r, otg_model_kind kind, const char *product)
{
    if (!usb_rig_start_controller(r, kind)) return false;
    r->config = (usb_probe_config){
        .vid = 0x1d50,
        .pid = 0x6018,
        .bcd_device = 0x0100,
        .manufacturer = "Black Magic Debug",
        .product = product,
        .serial = "0123456789ABCDEF01234567",
        .high_speed = kind == OTG_MODEL_HS_UTMI,
    };
    usb_probe_init(&r->config, usb_dwc2_dcd(&r->dwc2));
    r->started = true;
    return true;
}

bool usb_rig_start(usb_rig *r, otg_model_kind kind)
{
    return usb_rig_start_with(r, kind, kind == OTG_MODEL_HS_UTMI ? "Black Magic Probe CMSIS-DAP HS"
                                                                 : "Black Magic Probe CMSIS-DAP FS");
}

static void probe_pump(void *ctx)
{
    (void)ctx;
    usb_probe_task();
}

void usb_host_init(usb_host *h, otg_model *otg)
{
    memset(h, 0, sizeof *h);
    h->otg = otg;
    h->pump = probe_pump;
    h->tries = 200;
}

void usb_host_pump(usb_host *h)
{
    h->pump(h->ctx);
}

void usb_host_reset_toggle(usb_host *h, uint8_t ep)
{
    if (ep & 0x80u)
        h->in_data1[ep & 0x0Fu] = false;
    else
        h->out_data1[ep & 0x0Fu] = false;
}

bool usb_host_reset(usb_host *h, bool high_speed)
{
    h->address = 0;
    memset(h->in_data1, 0, sizeof h->in_data1);
    memset(h->out_data1, 0, sizeof h->out_data1);
    if (!otg_model_bus_reset(h->otg, high_speed)) return false;
    usb_host_pump(h);
    return true;
}

otg_handshake usb_host_in_packet(usb_host *h, uint8_t ep, uint8_t *buffer, size_t capacity, size_t *length)
{
    unsigned n = ep & 0x0Fu;
    for (unsigned i = 0; i <= h->tries; i++) {
        bool data1 = false;
        otg_handshake r = otg_model_in(h->otg, h->address, ep, buffer, capacity, length, &data1);
        if (r == OTG_NAK) {
            h->naks++;
            usb_host_pump(h);
            continue;
        }
        if (r == OTG_ACK) {
            if (data1 != h->in_data1[n]) h->toggle_errors++;
            h->in_data1[n] = !data1;
        }
        return r;
    }
    return OTG_NAK;
}

otg_handshake usb_host_out_packet(usb_host *h, uint8_t ep, const uint8_t *data, size_t length)
{
    unsigned n = ep & 0x0Fu;
    for (unsigned i = 0; i <= h->tries; i++) {
        otg_handshake r = otg_model_out(h->otg, h->address, ep, data, length, h->out_data1[n]);
        if (r == OTG_NAK) {
            h->naks++;
            usb_host_pump(h);
            continue;
        }
        if (r == OTG_ACK) h->out_data1[n] = !h->out_data1[n];
        return r;
    }
    return OTG_NAK;
}

static host_result result_of(otg_handshake r)
{
    switch (r) {
    case OTG_ACK: return HOST_OK;
    case OTG_STALL: return HOST_STALL;
    case OTG_NAK: return HOST_TIMEOUT;
    default: return HOST_ERROR;
    }
}

host_result usb_host_control(usb_host *h, uint8_t request_type, uint8_t request, uint16_t value, uint16_t index,
                             uint16_t length, uint8_t *data, size_t *actual)
{
    uint8_t setup[8] = {request_type, request, (uint8_t)value, (uint8_t)(value >> 8),
                        (uint8_t)index, (uint8_t)(index >> 8), (uint8_t)length, (uint8_t)(length >> 8)};
    if (actual) *actual = 0;
    otg_handshake r = otg_model_setup(h->otg, h->address, setup);
    if (r != OTG_ACK) return HOST_ERROR;
    h->in_data1[0] = h->out_data1[0] = true; /* data and status stages start with DATA1 */
    usb_host_pump(h);

    bool in = (request_type & 0x80u) != 0;
    size_t done = 0;
    if (length && in) {
        for (;;) {
            size_t got = 0;
            r = usb_host_in_packet(h, 0x80, data + done, length - done, &got);
            if (r != OTG_ACK) return result_of(r);
            done += got;
            if (got < EP0_SIZE || done == length) break;
        }
        if (actual) *actual = done;
        /* status: a zero-length OUT */
        r = usb_host_out_packet(h, 0x00, NULL, 0);
        usb_host_pump(h);
        return result_of(r);
    }
    if (length) {
        while (done < length) {
            size_t chunk = length - done < EP0_SIZE ? length - done : EP0_SIZE;
            r = usb_host_out_packet(h, 0x00, data + done, chunk);
            if (r != OTG_ACK) return result_of(r);
            done += chunk;
        }
    }
    /* status: a zero-length IN; then the device runs on and sees it done */
    uint8_t scratch[EP0_SIZE];
    size_t got = 0;
    r = usb_host_in_packet(h, 0x80, scratch, sizeof scratch, &got);
    if (r == OTG_ACK && got != 0) return HOST_ERROR;
    usb_host_pump(h);
    return result_of(r);
}

host_result usb_host_read(usb_host *h, uint8_t ep, uint16_t max_packet, uint8_t *buffer, size_t capacity,
                          size_t *length)
{
    *length = 0;
    for (;;) {
        size_t got = 0;
        size_t room = capacity - *length;
        otg_handshake r = usb_host_in_packet(h, ep, buffer + *length, room < max_packet ? room : max_packet, &got);
        if (r != OTG_ACK) return result_of(r);
        *length += got;
        if (got < max_packet || *length == capacity) return HOST_OK;
    }
}

host_result usb_host_write(usb_host *h, uint8_t ep, uint16_t max_packet, const uint8_t *data, size_t length,
                           bool zlp)
{
    size_t done = 0;
    do {
        size_t chunk = length - done < max_packet ? length - done : max_packet;
        otg_handshake r = usb_host_out_packet(h, ep, data + done, chunk);
        if (r != OTG_ACK) return result_of(r);
        done += chunk;
        if (chunk < max_packet) return HOST_OK;
    } while (done < length);
    if (zlp) return result_of(usb_host_out_packet(h, ep, NULL, 0));
    return HOST_OK;
}

host_result usb_host_get_descriptor(usb_host *h, uint8_t type, uint8_t index, uint8_t *buffer, uint16_t length,
                                    size_t *actual)
{
    return usb_host_control(h, 0x80, 6, (uint16_t)((type << 8) | index), type == 3 && index ? 0x0409 : 0, length,
                            buffer, actual);
}
