#include "sim_usb_probe.h"

#include <string.h>

#include "sim_swd_phy.h"
#include "sim_target.h"

static uint64_t align_up(uint64_t t, uint64_t frame)
{
    return (t + frame - 1) / frame * frame;
}

/* A transfer of `bytes` that may start at `start` on a direction free from `free_ps`: it goes
 * in the frames from the next boundary on, and is complete at the end of its last frame. */
static uint64_t usb_transfer(sim_usb_probe *p, uint64_t start, uint64_t *free_ps, size_t bytes)
{
    unsigned packets = (unsigned)((bytes + p->packet_bytes - 1) / p->packet_bytes);
    if (packets == 0) packets = 1;
    unsigned frames = (packets + p->packets_per_frame - 1) / p->packets_per_frame;
    uint64_t first = align_up(start > *free_ps ? start : *free_ps, p->frame_ps);
    uint64_t done = first + (uint64_t)frames * p->frame_ps;
    *free_ps = done;
    p->usb_packets += packets;
    return done;
}

static int submit(void *ctx, const uint8_t *request, size_t length)
{
    sim_usb_probe *p = ctx;
    if (p->count == SIM_USB_MAX_IN_FLIGHT) return -1;
    p->dap_packets++;
    /* A HID report is always whole: 64 bytes whatever the command's length. */
    size_t out_bytes = p->packets_per_frame == 1 ? p->packet_bytes : length;
    uint64_t arrived = usb_transfer(p, p->host_ps, &p->out_free_ps, out_bytes);
    /* The probe works through its packets in order, on the target's clock. */
    if (arrived > p->target->now_ps) sim_target_advance(p->target, arrived - p->target->now_ps);
    unsigned ready = dap_process(&p->engine, request, length);
    for (unsigned i = 0; i < ready; i++) {
        if (p->count == SIM_USB_MAX_IN_FLIGHT) return -1;
        size_t n;
        const uint8_t *r = dap_response(&p->engine, i, &n);
        unsigned slot = (p->head + p->count) % SIM_USB_MAX_IN_FLIGHT;
        memcpy(p->data[slot], r, n);
        p->length[slot] = (uint16_t)n;
        size_t in_bytes = p->packets_per_frame == 1 ? p->packet_bytes : n;
        p->ready_ps[slot] = usb_transfer(p, p->target->now_ps, &p->in_free_ps, in_bytes);
        p->count++;
    }
    return 0;
}

static int collect(void *ctx, uint8_t *response, size_t capacity)
{
    sim_usb_probe *p = ctx;
    if (p->count == 0) return -1;
    unsigned slot = p->head;
    p->head = (p->head + 1) % SIM_USB_MAX_IN_FLIGHT;
    p->count--;
    if (p->ready_ps[slot] > p->host_ps) p->host_ps = p->ready_ps[slot];
    size_t n = p->length[slot] < capacity ? p->length[slot] : capacity;
    memcpy(response, p->data[slot], n);
    return (int)n;
}

static int exchange(void *ctx, const uint8_t *request, size_t length, uint8_t *response, size_t capacity)
{
    if (submit(ctx, request, length) < 0) return -1;
    return collect(ctx, response, capacity);
}

const dap_strings sim_probe_strings = {
    .vendor = "bmp-gdbserver",
    .product = "bmp-gdbserver CMSIS-DAP", /* tools look for "CMSIS-DAP" */
    .serial = "SIM00001",
    .protocol = "2.1.0",
    .firmware = "0.1.0",
};

void sim_usb_probe_init(sim_usb_probe *p, sim_target *t, sim_usb_kind kind)
{
    memset(p, 0, sizeof *p);
    p->target = t;
    bool hid = kind == SIM_USB_FULL_SPEED_HID;
    p->frame_ps = hid ? 1000000000ull : 125000000ull;
    p->packet_bytes = hid ? 64 : 512;
    p->packets_per_frame = hid ? 1 : 13;
    p->host_ps = p->out_free_ps = p->in_free_ps = t->now_ps;
    sim_swd_phy_init(&p->phy, t);
    dap_init(&p->engine, &p->phy, &sim_probe_strings, hid ? 64 : 512, hid ? 4 : 8);
    p->transport = (dap_transport){.ctx = p, .exchange = exchange, .submit = submit, .collect = collect,
                                   .in_flight = hid ? 4 : 8};
}
