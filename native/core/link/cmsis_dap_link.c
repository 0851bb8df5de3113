#include "link/cmsis_dap_link.h"

#include <string.h>

enum { ID_INFO = 0x00, ID_CONNECT = 0x02, ID_TRANSFER_CONFIGURE = 0x04, ID_TRANSFER = 0x05,
       ID_TRANSFER_BLOCK = 0x06, ID_SWJ_SEQUENCE = 0x12, ID_SWD_CONFIGURE = 0x13 };
enum { REQ_AP = 1, REQ_READ = 2 };

static dp_link_status ack_status(uint8_t response)
{
    if (response & 0x08) return DP_LINK_PARITY;
    switch (response & 7) {
    case 1: return DP_LINK_OK;
    case 2: return DP_LINK_WAIT;
    case 4: return DP_LINK_FAULT;
    default: return DP_LINK_NO_RESPONSE;
    }
}

/* One command packet, answered by the same command ID. */
static int exchange(cmsis_dap_link *l, const uint8_t *request, size_t length)
{
    l->packets++;
    int n = l->transport->exchange(l->transport->ctx, request, length, l->response, sizeof l->response);
    if (n < 1 || l->response[0] != request[0]) return -1;
    return n;
}

/* Sends the DAP_Transfer being assembled and distributes its read data. */
static dp_link_status send_transfers(cmsis_dap_link *l)
{
    if (l->request_length == 0) return l->error;
    unsigned count = l->request[2];
    size_t length = l->request_length;
    l->request_length = 0;
    if (l->error != DP_LINK_OK) return l->error; /* after an error the rest of the queue is dropped */
    int n = exchange(l, l->request, length);
    if (n < 3) return l->error = DP_LINK_TRANSPORT;
    dp_link_status s = ack_status(l->response[2]);
    unsigned done = l->response[1];
    if (s == DP_LINK_OK && done != count) s = DP_LINK_TRANSPORT;
    if ((size_t)n < 3 + 4u * (s == DP_LINK_OK ? l->reads : 0)) s = DP_LINK_TRANSPORT;
    if (s == DP_LINK_OK)
        for (unsigned i = 0; i < l->reads; i++) {
            const uint8_t *p = l->response + 3 + 4 * i;
            *l->read_to[i] = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
        }
    l->reads = 0;
    return l->error = s;
}

/* Room for one more transfer: request bytes, response bytes, count. */
static dp_link_status make_room(cmsis_dap_link *l, bool read)
{
    size_t request_bytes = read ? 1 : 5, response_bytes = 3 + 4u * (l->reads + (read ? 1 : 0));
    if (l->request_length &&
        (l->request_length + request_bytes > l->packet_size || response_bytes > l->packet_size ||
         l->request[2] == 255))
        send_transfers(l);
    if (l->request_length == 0) {
        l->request[0] = ID_TRANSFER;
        l->request[1] = 0; /* DAP index */
        l->request[2] = 0;
        l->request_length = 3;
        l->reads = 0;
    }
    return l->error;
}

static dp_link_status link_read(dp_link *link, bool ap, uint8_t addr, uint32_t *value)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    if (addr & ~0xCu) return DP_LINK_INVALID;
    if (make_room(l, true) != DP_LINK_OK) return l->error;
    l->request[l->request_length++] = (uint8_t)((ap ? REQ_AP : 0) | REQ_READ | addr);
    l->request[2]++;
    l->read_to[l->reads++] = value;
    return DP_LINK_OK;
}

static dp_link_status link_write(dp_link *link, bool ap, uint8_t addr, uint32_t value)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    if (addr & ~0xCu) return DP_LINK_INVALID;
    if (make_room(l, false) != DP_LINK_OK) return l->error;
    uint8_t *p = l->request + l->request_length;
    p[0] = (uint8_t)((ap ? REQ_AP : 0) | addr);
    p[1] = (uint8_t)value;
    p[2] = (uint8_t)(value >> 8);
    p[3] = (uint8_t)(value >> 16);
    p[4] = (uint8_t)(value >> 24);
    l->request_length += 5;
    l->request[2]++;
    return DP_LINK_OK;
}

/* DAP_TransferBlock in chunks that fit the packet size. */
static dp_link_status block(cmsis_dap_link *l, bool read, uint32_t *in, const uint32_t *out, size_t count)
{
    if (send_transfers(l) != DP_LINK_OK) return l->error;
    size_t per_packet = read ? (l->packet_size - 4u) / 4 : (l->packet_size - 5u) / 4;
    while (count > 0) {
        size_t n = count < per_packet ? count : per_packet;
        uint8_t *r = l->request;
        r[0] = ID_TRANSFER_BLOCK;
        r[1] = 0;
        r[2] = (uint8_t)n;
        r[3] = (uint8_t)(n >> 8);
        r[4] = (uint8_t)(REQ_AP | (read ? REQ_READ : 0) | 0xC);
        if (!read)
            for (size_t i = 0; i < n; i++) {
                uint8_t *p = r + 5 + 4 * i;
                p[0] = (uint8_t)out[i], p[1] = (uint8_t)(out[i] >> 8), p[2] = (uint8_t)(out[i] >> 16),
                p[3] = (uint8_t)(out[i] >> 24);
            }
        int got = exchange(l, r, read ? 5 : 5 + 4 * n);
        if (got < 4) return l->error = DP_LINK_TRANSPORT;
        size_t done = l->response[1] | l->response[2] << 8;
        dp_link_status s = ack_status(l->response[3]);
        if (s == DP_LINK_OK && (done != n || (read && (size_t)got < 4 + 4 * n))) s = DP_LINK_TRANSPORT;
        if (s != DP_LINK_OK) return l->error = s;
        if (read)
            for (size_t i = 0; i < n; i++) {
                const uint8_t *p = l->response + 4 + 4 * i;
                in[i] = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
            }
        if (read) in += n;
        else out += n;
        count -= n;
    }
    return DP_LINK_OK;
}

static dp_link_status link_read_block(dp_link *link, uint32_t *values, size_t count)
{
    return block((cmsis_dap_link *)link, true, values, NULL, count);
}

static dp_link_status link_write_block(dp_link *link, const uint32_t *values, size_t count)
{
    return block((cmsis_dap_link *)link, false, NULL, values, count);
}

static dp_link_status link_flush(dp_link *link)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    dp_link_status s = send_transfers(l);
    l->error = DP_LINK_OK;
    return s;
}

/* SWJ sequences: line reset and select (JTAG-to-SWD, or the DPv2 dormant wake-up). */
static dp_link_status link_connect(dp_link *link, bool dormant, uint32_t *dpidr)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    static const uint8_t line_reset[] = {ID_SWJ_SEQUENCE, 56, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const uint8_t jtag_to_swd[] = {ID_SWJ_SEQUENCE, 16, 0x9E, 0xE7};
    static const uint8_t jtag_to_dormant[] = {ID_SWJ_SEQUENCE, 39, 0xFF, 0xBA, 0xBB, 0xBB, 0x33};
    static const uint8_t alert[] = {ID_SWJ_SEQUENCE, 148, 0xFF, 0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D, 0x85, 0x86, 0xE9,
                                    0xAF, 0xDD, 0xE3, 0xA2, 0x0E, 0xBC, 0x19, 0xA0, 0x01};
    static const uint8_t reset_idle[] = {ID_SWJ_SEQUENCE, 64, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    static const uint8_t connect[] = {ID_CONNECT, 1};
    l->request_length = 0;
    l->error = DP_LINK_OK;
    if (exchange(l, connect, sizeof connect) < 2 || l->response[1] != 1) return DP_LINK_TRANSPORT;
    if (exchange(l, line_reset, sizeof line_reset) < 2) return DP_LINK_TRANSPORT;
    if (dormant) {
        if (exchange(l, jtag_to_dormant, sizeof jtag_to_dormant) < 2) return DP_LINK_TRANSPORT;
        if (exchange(l, alert, sizeof alert) < 2) return DP_LINK_TRANSPORT;
    } else if (exchange(l, jtag_to_swd, sizeof jtag_to_swd) < 2) {
        return DP_LINK_TRANSPORT;
    }
    if (exchange(l, reset_idle, sizeof reset_idle) < 2) return DP_LINK_TRANSPORT;
    link_read(link, false, 0, dpidr);
    return link_flush(link);
}

static const dp_link_ops cmsis_dap_link_ops = {
    link_connect, link_read, link_write, link_read_block, link_write_block, link_flush,
};

dp_link_status cmsis_dap_link_init(cmsis_dap_link *l, const dap_transport *transport)
{
    memset(l, 0, sizeof *l);
    l->link.ops = &cmsis_dap_link_ops;
    l->transport = transport;
    l->packet_size = 64;
    static const uint8_t packet_size[] = {ID_INFO, 0xFF};
    int n = exchange(l, packet_size, sizeof packet_size);
    if (n < 4 || l->response[1] != 2) return DP_LINK_TRANSPORT;
    uint16_t size = (uint16_t)(l->response[2] | l->response[3] << 8);
    l->packet_size = size < 64 ? 64 : size > CMSIS_DAP_LINK_MAX_PACKET ? CMSIS_DAP_LINK_MAX_PACKET : size;
    /* idle cycles 0, 100 WAIT retries, no match retries; turnaround 1, no data phase */
    static const uint8_t configure[] = {ID_TRANSFER_CONFIGURE, 0, 100, 0, 0, 0};
    static const uint8_t swd[] = {ID_SWD_CONFIGURE, 0};
    if (exchange(l, configure, sizeof configure) < 2 || exchange(l, swd, sizeof swd) < 2) return DP_LINK_TRANSPORT;
    return DP_LINK_OK;
}
