#include "link/cmsis_dap_link.h"

#include "common/bytes.h"
#include "swd/swd.h" /* the TARGETSEL bits */

#include <string.h>

enum { ID_INFO = 0x00, ID_CONNECT = 0x02, ID_TRANSFER_CONFIGURE = 0x04, ID_TRANSFER = 0x05,
       ID_TRANSFER_BLOCK = 0x06, ID_SWJ_SEQUENCE = 0x12, ID_SWD_CONFIGURE = 0x13, ID_SWD_SEQUENCE = 0x1D,
       ID_EXECUTE_COMMANDS = 0x7F };
enum { REQ_AP = 1, REQ_READ = 2, REQ_MATCH_VALUE = 0x10, REQ_MATCH_MASK = 0x20 };

static bmp_status ack_status(uint8_t response)
{
    if (response & 0x08) return BMP_ERR_PARITY;
    if (response & 0x10) return BMP_ERR_MISMATCH; /* DAP_Transfer: a value match failed */
    switch (response & 7) {
    case 1: return BMP_OK;
    case 2: return BMP_ERR_WAIT;
    case 4: return BMP_ERR_FAULT;
    default: return BMP_ERR_NO_RESPONSE;
    }
}

/* --- the pipeline: packets in flight and their responses ------------------------------------- */

/* A DAP_TransferBlock response `r` of `got` bytes for packet `p`: check it, deliver reads. */
static bmp_status finish_block(const cmsis_dap_pending *p, const uint8_t *r, int got)
{
    if (got < 4 || r[0] != ID_TRANSFER_BLOCK) return BMP_ERR_TRANSPORT;
    bmp_status s = ack_status(r[3]);
    size_t done = get_le16(r + 1);
    if (s == BMP_OK && (done != p->count || (p->read && (size_t)got < 4 + 4u * p->count)))
        s = BMP_ERR_TRANSPORT;
    if (s == BMP_OK && p->read)
        for (size_t i = 0; i < p->count; i++) p->dest[i] = get_le32(r + 4 + 4 * i);
    return s;
}

/* Checks a response against what its packet asked for and delivers read data. */
static bmp_status finish(cmsis_dap_link *l, const cmsis_dap_pending *p, int got)
{
    const uint8_t *r = l->response;
    if (p->combined) { /* 0x7F 2, then 0x05 count ack, then the block's response */
        if (got < 9 || r[0] != ID_EXECUTE_COMMANDS || r[2] != ID_TRANSFER) return BMP_ERR_TRANSPORT;
        bmp_status s = ack_status(r[4]);
        if (s != BMP_OK) return s;
        if (r[3] != p->transfers) return BMP_ERR_TRANSPORT;
        return finish_block(p, r + 5, got - 5);
    }
    if (p->block) return finish_block(p, r, got);
    if (got < 3 || r[0] != ID_TRANSFER) return BMP_ERR_TRANSPORT;
    bmp_status s = ack_status(r[2]);
    if (s == BMP_OK && (r[1] != p->count || (size_t)got < 3 + 4u * p->reads)) s = BMP_ERR_TRANSPORT;
    if (s == BMP_OK)
        for (unsigned i = 0; i < p->reads; i++)
            *l->read_ring[(p->first_read + i) % CMSIS_DAP_LINK_READ_RING] = get_le32(r + 3 + 4 * i);
    return s;
}

static void record(cmsis_dap_link *l, bmp_status s)
{
    if (l->error == BMP_OK) l->error = s;
}

/* Receives the oldest outstanding response. */
static void collect_one(cmsis_dap_link *l)
{
    const dap_transport *tr = l->transport;
    cmsis_dap_pending *p = &l->pending[l->pending_head];
    l->pending_head = (l->pending_head + 1) % CMSIS_DAP_LINK_MAX_IN_FLIGHT;
    l->pending_count--;
    int got = tr->collect(tr->ctx, l->response, sizeof l->response);
    record(l, finish(l, p, got));
}

/* Sends the packet in l->request; with a pipelining transport it stays in flight until its
 * response is needed (window full, or flush). */
static void send_packet(cmsis_dap_link *l, size_t length, const cmsis_dap_pending *meta)
{
    const dap_transport *tr = l->transport;
    l->packets++;
    if (l->window <= 1) {
        int got = tr->exchange(tr->ctx, l->request, length, l->response, sizeof l->response);
        record(l, finish(l, meta, got));
        return;
    }
    if (l->pending_count == l->window) collect_one(l);
    if (tr->submit(tr->ctx, l->request, length) < 0) {
        record(l, BMP_ERR_TRANSPORT);
        return;
    }
    l->pending[(l->pending_head + l->pending_count) % CMSIS_DAP_LINK_MAX_IN_FLIGHT] = *meta;
    l->pending_count++;
}

/* Sends the DAP_Transfer being assembled, if any. */
static void send_transfers(cmsis_dap_link *l)
{
    if (l->request_length == 0) return;
    cmsis_dap_pending meta = {.block = false, .count = l->request[2], .first_read = l->read_head,
                              .reads = (uint16_t)l->reads};
    size_t length = l->request_length;
    l->request_length = 0;
    l->read_head = (uint16_t)((l->read_head + l->reads) % CMSIS_DAP_LINK_READ_RING);
    l->reads = 0;
    send_packet(l, length, &meta);
}

/* --- dp_link operations -------------------------------------------------------------------- */

/* Room for one more transfer in the packet being assembled: request bytes, response bytes, the
 * count byte, and read slots in flight. */
static void make_room(cmsis_dap_link *l, bool read)
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
    }
}

static bmp_status link_read(dp_link *link, bool ap, uint8_t addr, uint32_t *value)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    if (addr & ~0xCu) return BMP_ERR_INVALID;
    make_room(l, true);
    l->request[l->request_length++] = (uint8_t)((ap ? REQ_AP : 0) | REQ_READ | addr);
    l->request[2]++;
    l->read_ring[(l->read_head + l->reads) % CMSIS_DAP_LINK_READ_RING] = value;
    l->reads++;
    return l->error;
}

/* A transfer request with a data word and no read data in the response: a write, a match mask,
 * or a value-match read. */
static void queue_with_word(cmsis_dap_link *l, uint8_t request, uint32_t value)
{
    make_room(l, false);
    uint8_t *p = l->request + l->request_length;
    p[0] = request;
    put_le32(p + 1, value);
    l->request_length += 5;
    l->request[2]++;
}

static bmp_status link_read_match(dp_link *link, bool ap, uint8_t addr, uint32_t mask, uint32_t match)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    if (addr & ~0xCu) return BMP_ERR_INVALID;
    queue_with_word(l, REQ_MATCH_MASK, mask); /* the probe keeps the mask for later matches */
    queue_with_word(l, (uint8_t)((ap ? REQ_AP : 0) | REQ_READ | REQ_MATCH_VALUE | addr), match);
    return l->error;
}

static bmp_status link_write(dp_link *link, bool ap, uint8_t addr, uint32_t value)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    if (addr & ~0xCu) return BMP_ERR_INVALID;
    queue_with_word(l, (uint8_t)((ap ? REQ_AP : 0) | addr), value);
    return l->error;
}

/* A DAP_Transfer of writes only (typically SELECT, CSW, TAR) and the first chunk of a block
 * read in one DAP_ExecuteCommands packet: one packet less per TAR block (writes instead join
 * the assembled DAP_Transfer, see block()). Returns the words it took. */
static size_t combined_block(cmsis_dap_link *l, uint32_t *in, size_t count)
{
    size_t transfer = l->request_length;
    size_t n = (l->packet_size - (2 + 3 + 4)) / 4; /* the response's room */
    if (n > count) n = count;
    if (n == 0) return 0;
    /* the assembled DAP_Transfer moves two bytes up, behind the ExecuteCommands header */
    memmove(l->request + 2, l->request, transfer);
    l->request[0] = ID_EXECUTE_COMMANDS;
    l->request[1] = 2;
    uint8_t *b = l->request + 2 + transfer;
    b[0] = ID_TRANSFER_BLOCK;
    b[1] = 0;
    put_le16(b + 2, (uint16_t)n);
    b[4] = (uint8_t)(REQ_AP | REQ_READ | 0xC);
    cmsis_dap_pending meta = {.combined = true, .transfers = l->request[2 + 2], .read = true, .dest = in, .count = (uint16_t)n};
    l->request_length = 0;
    send_packet(l, 2 + transfer + 5, &meta);
    return n;
}

/* Whether the DAP_Transfer being assembled has room for one more write. */
static bool write_fits(const cmsis_dap_link *l)
{
    return l->request_length && l->request_length + 5 <= l->packet_size && l->request[2] < 255;
}

/* DAP_TransferBlock in chunks that fit the packet size, all in flight together.
 *
 * Writes also fill the packets around a block: its first words go as DRW writes into the
 * DAP_Transfer being assembled (typically the TAR write that starts the block), and a last
 * chunk too short for a packet of its own waits, as DRW writes, in a DAP_Transfer that the next
 * block's TAR write joins. A stream of 1 KiB TAR blocks over 64-byte packets then needs 18.5
 * packets per KiB instead of 19-20: on full-speed USB every packet is a millisecond. */
static bmp_status block(cmsis_dap_link *l, bool read, uint32_t *in, const uint32_t *out, size_t count)
{
    size_t first = 0;
    if (!read) {
        for (; first < count && write_fits(l); first++) link_write(&l->link, true, 0xC, out[first]);
    } else if (l->atomic && l->request_length && l->reads == 0) {
        first = combined_block(l, in, count);
    }
    if (first == count) return l->error;
    send_transfers(l);
    size_t per_packet = read ? (l->packet_size - 4u) / 4 : (l->packet_size - 5u) / 4;
    /* The short last chunk of a write, if a DAP_Transfer can carry it with a TAR write and at
     * least one more word beside it. */
    size_t tail = read ? 0 : (count - first) % per_packet;
    if (tail * 5 + 3 + 5 + 5 > l->packet_size) tail = 0;
    for (size_t at = first; at < count - tail; at += per_packet) {
        size_t n = count - tail - at < per_packet ? count - tail - at : per_packet;
        uint8_t *r = l->request;
        r[0] = ID_TRANSFER_BLOCK;
        r[1] = 0;
        put_le16(r + 2, (uint16_t)n);
        r[4] = (uint8_t)(REQ_AP | (read ? REQ_READ : 0) | 0xC);
        for (size_t i = 0; !read && i < n; i++) put_le32(r + 5 + 4 * i, out[at + i]);
        cmsis_dap_pending meta = {.block = true, .read = read, .dest = read ? in + at : NULL, .count = (uint16_t)n};
        send_packet(l, read ? 5 : 5 + 4 * n, &meta);
    }
    for (size_t i = count - tail; i < count; i++) link_write(&l->link, true, 0xC, out[i]);
    return l->error;
}

static bmp_status link_read_block(dp_link *link, uint32_t *values, size_t count)
{
    return block((cmsis_dap_link *)link, true, values, NULL, count);
}

static bmp_status link_write_block(dp_link *link, const uint32_t *values, size_t count)
{
    return block((cmsis_dap_link *)link, false, NULL, values, count);
}

static bmp_status link_flush(dp_link *link)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    send_transfers(l);
    while (l->pending_count) collect_one(l);
    bmp_status s = l->error;
    l->error = BMP_OK;
    return s;
}

/* One command packet, answered at once (outside the pipeline). */
static int command(cmsis_dap_link *l, const uint8_t *request, size_t length)
{
    l->packets++;
    int n = l->transport->exchange(l->transport->ctx, request, length, l->response, sizeof l->response);
    return n >= 1 && l->response[0] == request[0] ? n : -1;
}

/* SWJ sequences: line reset and select (JTAG-to-SWD, or the DPv2 dormant wake-up). */
static bmp_status link_connect(dp_link *link, bool dormant, uint32_t *dpidr)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    static const uint8_t line_reset[] = {ID_SWJ_SEQUENCE, 56, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const uint8_t jtag_to_swd[] = {ID_SWJ_SEQUENCE, 16, 0x9E, 0xE7};
    static const uint8_t jtag_to_dormant[] = {ID_SWJ_SEQUENCE, 39, 0xFF, 0xBA, 0xBB, 0xBB, 0x33};
    static const uint8_t alert[] = {ID_SWJ_SEQUENCE, 148, 0xFF, 0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D, 0x85, 0x86, 0xE9,
                                    0xAF, 0xDD, 0xE3, 0xA2, 0x0E, 0xBC, 0x19, 0xA0, 0x01};
    static const uint8_t reset_idle[] = {ID_SWJ_SEQUENCE, 64, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    static const uint8_t connect[] = {ID_CONNECT, 1};
    link_flush(link); /* nothing of an earlier session stays in flight */
    if (command(l, connect, sizeof connect) < 2 || l->response[1] != 1) return BMP_ERR_TRANSPORT;
    if (command(l, line_reset, sizeof line_reset) < 2) return BMP_ERR_TRANSPORT;
    if (dormant) {
        if (command(l, jtag_to_dormant, sizeof jtag_to_dormant) < 2) return BMP_ERR_TRANSPORT;
        if (command(l, alert, sizeof alert) < 2) return BMP_ERR_TRANSPORT;
    } else if (command(l, jtag_to_swd, sizeof jtag_to_swd) < 2) {
        return BMP_ERR_TRANSPORT;
    }
    if (command(l, reset_idle, sizeof reset_idle) < 2) return BMP_ERR_TRANSPORT;
    if (link->targetsel) { /* DAP_SWD_Sequence: the request out, 5 cycles in, value and parity out */
        uint8_t sequence[11] = {ID_SWD_SEQUENCE, 3, 8, 0, 0x80 | 5, 33};
        swd_targetsel_bits(link->targetsel, &sequence[3], &sequence[6]);
        if (command(l, sequence, sizeof sequence) < 3 || l->response[1] != 0) return BMP_ERR_TRANSPORT;
    }
    link_read(link, false, 0, dpidr);
    return link_flush(link);
}

/* DAP_SWJ_Pins on nRESET (bit 7); no wait. */
static bmp_status link_reset_pin(dp_link *link, bool asserted)
{
    cmsis_dap_link *l = (cmsis_dap_link *)link;
    uint8_t request[] = {0x10, (uint8_t)(asserted ? 0x00 : 0x80), 0x80, 0, 0, 0, 0};
    link_flush(link);
    return command(l, request, sizeof request) >= 2 ? BMP_OK : BMP_ERR_TRANSPORT;
}

static const dp_link_ops cmsis_dap_link_ops = {
    link_connect, link_read, link_write, link_read_block, link_write_block, link_flush, link_reset_pin,
    link_read_match,
};

bmp_status cmsis_dap_link_init(cmsis_dap_link *l, const dap_transport *transport)
{
    memset(l, 0, sizeof *l);
    l->link.ops = &cmsis_dap_link_ops;
    l->transport = transport;
    l->packet_size = 64;
    bool pipelined = transport->submit && transport->collect && transport->in_flight > 1;
    l->window = pipelined ? transport->in_flight : 1;
    if (l->window > CMSIS_DAP_LINK_MAX_IN_FLIGHT) l->window = CMSIS_DAP_LINK_MAX_IN_FLIGHT;
    static const uint8_t packet_size[] = {ID_INFO, 0xFF};
    int n = command(l, packet_size, sizeof packet_size);
    if (n < 4 || l->response[1] != 2) return BMP_ERR_TRANSPORT;
    uint16_t size = get_le16(l->response + 2);
    l->packet_size = size < 64 ? 64 : size > CMSIS_DAP_LINK_MAX_PACKET ? CMSIS_DAP_LINK_MAX_PACKET : size;
    static const uint8_t capabilities[] = {ID_INFO, 0xF0};
    if (command(l, capabilities, sizeof capabilities) >= 3 && l->response[1] >= 1) l->atomic = (l->response[2] & 0x10) != 0;
    /* idle cycles 0, 100 WAIT retries, DP_LINK_MATCH_RETRIES match retries; turnaround 1, no
     * data phase */
    static const uint8_t configure[] = {ID_TRANSFER_CONFIGURE, 0, 100, 0, DP_LINK_MATCH_RETRIES & 0xFF,
                                        DP_LINK_MATCH_RETRIES >> 8};
    static const uint8_t swd[] = {ID_SWD_CONFIGURE, 0};
    if (command(l, configure, sizeof configure) < 2 || command(l, swd, sizeof swd) < 2) return BMP_ERR_TRANSPORT;
    return BMP_OK;
}
