#include "dap.h"

#include "common/bytes.h"

/* Command IDs (CMSIS-DAP "Commands") */
enum {
    ID_INFO = 0x00,
    ID_HOST_STATUS = 0x01,
    ID_CONNECT = 0x02,
    ID_DISCONNECT = 0x03,
    ID_TRANSFER_CONFIGURE = 0x04,
    ID_TRANSFER = 0x05,
    ID_TRANSFER_BLOCK = 0x06,
    ID_TRANSFER_ABORT = 0x07,
    ID_WRITE_ABORT = 0x08,
    ID_DELAY = 0x09,
    ID_RESET_TARGET = 0x0A,
    ID_SWJ_PINS = 0x10,
    ID_SWJ_CLOCK = 0x11,
    ID_SWJ_SEQUENCE = 0x12,
    ID_SWD_CONFIGURE = 0x13,
    ID_SWD_SEQUENCE = 0x1D,
    ID_QUEUE_COMMANDS = 0x7E,
    ID_EXECUTE_COMMANDS = 0x7F,
    ID_INVALID = 0xFF
};

enum { DAP_OK = 0x00, DAP_ERROR = 0xFF };

/* Transfer request bits beyond APnDP/RnW/A[3:2] */
#define REQ_MATCH_VALUE 0x10u
#define REQ_MATCH_MASK 0x20u
#define REQ_TIMESTAMP 0x80u
#define RESP_PROTOCOL_ERROR 0x08u
#define RESP_MISMATCH 0x10u
#define RDBUFF_READ (SWD_REQ_READ | SWD_REQ_A2 | SWD_REQ_A3)

/* The longest DAP_SWJ_Pins wait (the specification's 3 s); a build may shorten it (the fuzzer
 * does, so that a run stays short). */
#ifndef SWJ_PINS_MAX_WAIT_US
#define SWJ_PINS_MAX_WAIT_US 3000000u
#endif

void dap_init(dap_engine *e, const swd_phy *phy, const dap_strings *strings, uint16_t packet_size,
              uint8_t packet_count)
{
    e->phy = phy;
    e->strings = *strings;
    e->packet_size = packet_size < 64 ? 64 : packet_size > DAP_MAX_PACKET_SIZE ? DAP_MAX_PACKET_SIZE : packet_size;
    e->packet_count = packet_count ? packet_count : 1;
    e->swd = (swd_config){.turnaround = 1, .data_phase = false, .idle_cycles = 0};
    e->wait_retry = 100;
    e->match_retry = 0;
    e->match_mask = 0xFFFFFFFFu;
    e->clock_hz = 1000000;
    e->connected = false;
    e->abort = false;
    e->queued = 0;
}

/* --- validation: the request and response size of one command, before anything runs --------- */

static size_t string_length(const char *s)
{
    size_t n = 0;
    while (s && s[n]) n++;
    return n;
}

static const char *info_string(const dap_engine *e, uint8_t id)
{
    switch (id) {
    case 0x01: return e->strings.vendor;
    case 0x02: return e->strings.product;
    case 0x03: return e->strings.serial;
    case 0x04: return e->strings.protocol;
    case 0x05: return e->strings.target_vendor;
    case 0x06: return e->strings.target_name;
    case 0x07: return e->strings.board_vendor;
    case 0x08: return e->strings.board_name;
    case 0x09: return e->strings.firmware;
    default: return 0;
    }
}

/* Size of the DAP_Info response for `id` (command byte included). */
static size_t info_response_size(const dap_engine *e, uint8_t id)
{
    const char *s = info_string(e, id);
    if (s) return 2 + string_length(s) + 1;
    switch (id) {
    case 0xF0: return 3; /* capabilities: one byte */
    case 0xFE: return 3; /* packet count */
    case 0xFF: return 4; /* packet size */
    default: return 2;   /* not available: length 0 */
    }
}

/* Length of the command at `p` (at most `len` bytes), and the size of its response. Returns 0
 * for a truncated or malformed command. `nested` forbids Execute/Queue inside Execute. */
static size_t command_size(const dap_engine *e, const uint8_t *p, size_t len, size_t *response, bool nested)
{
    if (len == 0) return 0;
    switch (p[0]) {
    case ID_INFO:
        if (len < 2) return 0;
        *response = info_response_size(e, p[1]);
        return 2;
    case ID_HOST_STATUS: *response = 2; return len >= 3 ? 3 : 0;
    case ID_CONNECT: *response = 2; return len >= 2 ? 2 : 0;
    case ID_DISCONNECT: *response = 2; return 1;
    case ID_TRANSFER_CONFIGURE: *response = 2; return len >= 6 ? 6 : 0;
    case ID_TRANSFER: {
        if (len < 3) return 0;
        size_t at = 3, reads = 0;
        for (unsigned i = 0; i < p[2]; i++) {
            if (at >= len) return 0;
            uint8_t rq = p[at++];
            bool read = rq & SWD_REQ_READ;
            if (rq & REQ_TIMESTAMP) return 0; /* timestamps are not advertised */
            if (!read || (rq & REQ_MATCH_VALUE)) at += 4;
            else reads++;
            if (at > len) return 0;
        }
        *response = 3 + 4 * reads;
        return at;
    }
    case ID_TRANSFER_BLOCK: {
        if (len < 5) return 0;
        uint16_t count = get_le16(p + 2);
        uint8_t rq = p[4];
        if (rq & (REQ_MATCH_VALUE | REQ_MATCH_MASK | REQ_TIMESTAMP)) return 0;
        bool read = rq & SWD_REQ_READ;
        size_t size = 5 + (read ? 0 : 4u * count);
        if (size > len) return 0;
        *response = 4 + (read ? 4u * count : 0);
        return size;
    }
    case ID_TRANSFER_ABORT: *response = 0; return 1;
    case ID_WRITE_ABORT: *response = 2; return len >= 6 ? 6 : 0;
    case ID_DELAY: *response = 2; return len >= 3 ? 3 : 0;
    case ID_RESET_TARGET: *response = 3; return 1;
    case ID_SWJ_PINS: *response = 2; return len >= 7 ? 7 : 0;
    case ID_SWJ_CLOCK: *response = 2; return len >= 5 ? 5 : 0;
    case ID_SWJ_SEQUENCE: {
        if (len < 2) return 0;
        unsigned bits = p[1] ? p[1] : 256;
        size_t size = 2 + (bits + 7) / 8;
        *response = 2;
        return size <= len ? size : 0;
    }
    case ID_SWD_CONFIGURE: *response = 2; return len >= 2 ? 2 : 0;
    case ID_SWD_SEQUENCE: {
        if (len < 2) return 0;
        size_t at = 2, input = 0;
        for (unsigned i = 0; i < p[1]; i++) {
            if (at >= len) return 0;
            uint8_t info = p[at++];
            unsigned bytes = ((info & 0x3F ? info & 0x3F : 64) + 7) / 8;
            if (info & 0x80) input += bytes;
            else at += bytes;
            if (at > len) return 0;
        }
        *response = 2 + input;
        return at;
    }
    case ID_EXECUTE_COMMANDS:
    case ID_QUEUE_COMMANDS: {
        if (nested || len < 2) return 0;
        size_t at = 2, total = 2;
        for (unsigned i = 0; i < p[1]; i++) {
            size_t r = 0, n = command_size(e, p + at, len - at, &r, true);
            if (n == 0 || p[at] == ID_TRANSFER_ABORT) return 0;
            at += n;
            total += r ? r : 1;
        }
        *response = total;
        return at;
    }
    default: *response = 1; return 1; /* unsupported: answered with 0xFF */
    }
}

/* --- execution ------------------------------------------------------------------------------------ */

static swd_result transfer(dap_engine *e, uint8_t request, uint32_t *data)
{
    unsigned retry = e->wait_retry;
    for (;;) {
        swd_result r = swd_transfer(e->phy, &e->swd, request & 0xF, data);
        if (r != SWD_ACK_WAIT || retry == 0 || e->abort) return r;
        retry--;
    }
}

/* DAP_Transfer: posted AP reads are collected with the next AP read or RDBUFF; a write at the
 * end is checked with an RDBUFF read so that its FAULT is seen. */
static size_t do_transfer(dap_engine *e, const uint8_t *req, uint8_t *resp)
{
    unsigned count = req[2], done = 0;
    const uint8_t *p = req + 3;
    uint8_t *out = resp + 3;
    swd_result ack = SWD_ACK_OK;
    uint8_t flags = 0;
    bool posted = false, check_write = false;
    uint32_t v = 0;
    e->abort = false;
    for (; done < count; done++) {
        if (e->abort) break;
        uint8_t rq = *p++;
        if (posted && !((rq & SWD_REQ_READ) && (rq & SWD_REQ_AP) && !(rq & REQ_MATCH_VALUE))) {
            ack = transfer(e, RDBUFF_READ, &v); /* collect the posted read */
            if (ack != SWD_ACK_OK) break;
            put_le32(out, v);
            out += 4;
            posted = false;
        }
        if (!(rq & SWD_REQ_READ)) {
            uint32_t data = get_le32(p);
            p += 4;
            if (rq & REQ_MATCH_MASK) {
                e->match_mask = data;
                continue;
            }
            ack = transfer(e, rq, &data);
            if (ack != SWD_ACK_OK) break;
            check_write = true;
            continue;
        }
        check_write = false;
        if (rq & REQ_MATCH_VALUE) {
            uint32_t match = get_le32(p);
            p += 4;
            if (rq & SWD_REQ_AP) { /* post the first read; each next read returns a sample */
                ack = transfer(e, rq, &v);
                if (ack != SWD_ACK_OK) break;
            }
            unsigned retry = e->match_retry;
            for (;;) {
                ack = transfer(e, rq, &v);
                if (ack != SWD_ACK_OK || (v & e->match_mask) == match || retry == 0 || e->abort) break;
                retry--;
            }
            if (ack != SWD_ACK_OK) break;
            if ((v & e->match_mask) != match) {
                flags = RESP_MISMATCH;
                break;
            }
            continue;
        }
        ack = transfer(e, rq, &v);
        if (ack != SWD_ACK_OK) break;
        if (rq & SWD_REQ_AP) {
            if (posted) {
                put_le32(out, v);
                out += 4;
            }
            posted = true;
        } else {
            put_le32(out, v);
            out += 4;
        }
    }
    if (ack == SWD_ACK_OK && !flags) {
        if (posted) {
            ack = transfer(e, RDBUFF_READ, &v);
            if (ack == SWD_ACK_OK) {
                put_le32(out, v);
                out += 4;
            }
        } else if (check_write) {
            ack = transfer(e, RDBUFF_READ, &v);
        }
    }
    resp[0] = ID_TRANSFER;
    resp[1] = (uint8_t)done;
    resp[2] = (uint8_t)((ack == SWD_PARITY_ERROR ? RESP_PROTOCOL_ERROR : ack) | flags);
    return (size_t)(out - resp);
}

static size_t do_transfer_block(dap_engine *e, const uint8_t *req, uint8_t *resp)
{
    unsigned count = get_le16(req + 2), done = 0;
    uint8_t rq = req[4];
    const uint8_t *p = req + 5;
    uint8_t *out = resp + 4;
    swd_result ack = SWD_ACK_OK;
    uint32_t v = 0;
    e->abort = false;
    if (count && (rq & SWD_REQ_READ)) {
        bool ap = rq & SWD_REQ_AP;
        if (ap) ack = transfer(e, rq, &v); /* posted: the first result arrives with the next read */
        for (; ack == SWD_ACK_OK && done < count && !e->abort; done++) {
            ack = transfer(e, ap && done == count - 1 ? RDBUFF_READ : rq, &v);
            if (ack != SWD_ACK_OK) break;
            put_le32(out, v);
            out += 4;
        }
    } else if (count) {
        for (; done < count && !e->abort; done++) {
            uint32_t data = get_le32(p);
            p += 4;
            ack = transfer(e, rq, &data);
            if (ack != SWD_ACK_OK) break;
        }
        if (ack == SWD_ACK_OK) ack = transfer(e, RDBUFF_READ, &v); /* the write check */
    }
    resp[0] = ID_TRANSFER_BLOCK;
    put_le16(resp + 1, (uint16_t)done);
    resp[3] = (uint8_t)(ack == SWD_PARITY_ERROR ? RESP_PROTOCOL_ERROR : ack);
    return (size_t)(out - resp);
}

static size_t do_info(const dap_engine *e, uint8_t id, uint8_t *resp)
{
    resp[0] = ID_INFO;
    const char *s = info_string(e, id);
    if (s) {
        size_t n = string_length(s) + 1;
        resp[1] = (uint8_t)n;
        for (size_t i = 0; i < n; i++) resp[2 + i] = (uint8_t)s[i];
        return 2 + n;
    }
    switch (id) {
    case 0xF0: /* capabilities: SWD, atomic commands; no JTAG, SWO, UART, test domain timer */
        resp[1] = 1;
        resp[2] = 0x01 | 0x10;
        return 3;
    case 0xFE:
        resp[1] = 1;
        resp[2] = e->packet_count;
        return 3;
    case 0xFF:
        resp[1] = 2;
        put_le16(resp + 2, e->packet_size);
        return 4;
    default: resp[1] = 0; return 2;
    }
}

static size_t do_swj_pins(dap_engine *e, const uint8_t *req, uint8_t *resp)
{
    uint8_t value = req[1], select = req[2];
    uint32_t wait = get_le32(req + 3);
    if (wait > SWJ_PINS_MAX_WAIT_US) wait = SWJ_PINS_MAX_WAIT_US;
    uint8_t levels = e->phy->pins ? e->phy->pins(e->phy->ctx, value, select) : 0;
    for (uint32_t waited = 0; wait && ((levels ^ value) & select) && waited < wait; waited++) {
        e->phy->delay_us(e->phy->ctx, 1);
        levels = e->phy->pins(e->phy->ctx, value, 0);
    }
    resp[0] = ID_SWJ_PINS;
    resp[1] = levels;
    return 2;
}

static size_t do_swd_sequence(dap_engine *e, const uint8_t *req, uint8_t *resp)
{
    const uint8_t *p = req + 2;
    uint8_t *out = resp + 2;
    for (unsigned i = 0; i < req[1]; i++) {
        uint8_t info = *p++;
        unsigned bits = info & 0x3F ? info & 0x3F : 64;
        if (info & 0x80) {
            swd_read_sequence(e->phy, out, bits);
            out += (bits + 7) / 8;
        } else {
            swd_write_sequence(e->phy, p, bits);
            p += (bits + 7) / 8;
        }
    }
    resp[0] = ID_SWD_SEQUENCE;
    resp[1] = DAP_OK;
    return (size_t)(out - resp);
}

static size_t execute(dap_engine *e, const uint8_t *req, size_t len, uint8_t *resp);

static size_t do_execute(dap_engine *e, const uint8_t *req, size_t len, uint8_t *resp)
{
    size_t at = 2, out = 2;
    for (unsigned i = 0; i < req[1]; i++) {
        size_t r = 0, n = command_size(e, req + at, len - at, &r, true);
        out += execute(e, req + at, n, resp + out);
        at += n;
    }
    resp[0] = ID_EXECUTE_COMMANDS;
    resp[1] = req[1];
    return out;
}

/* Runs one validated command; returns its response length. */
static size_t execute(dap_engine *e, const uint8_t *req, size_t len, uint8_t *resp)
{
    resp[0] = req[0];
    switch (req[0]) {
    case ID_INFO: return do_info(e, req[1], resp);
    case ID_HOST_STATUS: resp[1] = DAP_OK; return 2;
    case ID_CONNECT:
        /* Port 0 (default) and 1 mean SWD; JTAG is not implemented (capabilities say so). */
        e->connected = req[1] <= 1;
        resp[1] = e->connected ? 1 : 0;
        return 2;
    case ID_DISCONNECT: e->connected = false; resp[1] = DAP_OK; return 2;
    case ID_TRANSFER_CONFIGURE:
        e->swd.idle_cycles = req[1];
        e->wait_retry = get_le16(req + 2);
        e->match_retry = get_le16(req + 4);
        resp[1] = DAP_OK;
        return 2;
    case ID_TRANSFER: return do_transfer(e, req, resp);
    case ID_TRANSFER_BLOCK: return do_transfer_block(e, req, resp);
    case ID_WRITE_ABORT: {
        uint32_t value = get_le32(req + 2);
        swd_result r = swd_transfer(e->phy, &e->swd, 0 /* DP write, A=0: ABORT */, &value);
        resp[1] = r == SWD_ACK_OK ? DAP_OK : DAP_ERROR;
        return 2;
    }
    case ID_DELAY: e->phy->delay_us(e->phy->ctx, get_le16(req + 1)); resp[1] = DAP_OK; return 2;
    case ID_RESET_TARGET:
        resp[1] = DAP_OK;
        resp[2] = 0; /* no device-specific reset sequence: use SYSRESETREQ or DAP_SWJ_Pins nRESET */
        return 3;
    case ID_SWJ_PINS: return do_swj_pins(e, req, resp);
    case ID_SWJ_CLOCK: {
        uint32_t hz = get_le32(req + 1);
        if (hz == 0) {
            resp[1] = DAP_ERROR;
            return 2;
        }
        e->clock_hz = e->phy->set_clock ? e->phy->set_clock(e->phy->ctx, hz) : hz;
        resp[1] = DAP_OK;
        return 2;
    }
    case ID_SWJ_SEQUENCE:
        swd_write_sequence(e->phy, req + 2, req[1] ? req[1] : 256);
        resp[1] = DAP_OK;
        return 2;
    case ID_SWD_CONFIGURE:
        e->swd.turnaround = (uint8_t)((req[1] & 3) + 1);
        e->swd.data_phase = (req[1] & 4) != 0;
        resp[1] = DAP_OK;
        return 2;
    case ID_SWD_SEQUENCE: return do_swd_sequence(e, req, resp);
    case ID_EXECUTE_COMMANDS: return do_execute(e, req, len, resp);
    default: resp[0] = ID_INVALID; return 1; /* JTAG, SWO, UART and unknown commands */
    }
}

unsigned dap_process(dap_engine *e, const uint8_t *request, size_t length)
{
    size_t response_size = 0;
    size_t size = command_size(e, request, length, &response_size, false);
    unsigned slot = e->queued;
    uint8_t *resp = e->responses[slot];
    if (size == 0 || response_size > e->packet_size) {
        resp[0] = ID_INVALID;
        e->response_length[slot] = 1;
    } else if (request[0] == ID_TRANSFER_ABORT) {
        e->abort = false; /* in band: no transfer is running, nothing to answer */
        return 0;
    } else if (request[0] == ID_QUEUE_COMMANDS) {
        if (slot < DAP_MAX_QUEUED) {
            e->response_length[slot] = (uint16_t)do_execute(e, request, size, resp);
            resp[0] = ID_QUEUE_COMMANDS;
            e->queued++;
            return 0;
        }
        resp[0] = ID_INVALID; /* the queue is full */
        e->response_length[slot] = 1;
    } else {
        e->response_length[slot] = (uint16_t)execute(e, request, size, resp);
    }
    unsigned ready = slot + 1;
    e->queued = 0;
    return ready;
}

const uint8_t *dap_response(const dap_engine *e, unsigned index, size_t *length)
{
    if (index >= DAP_RESPONSE_SLOTS) {
        *length = 0;
        return 0;
    }
    *length = e->response_length[index];
    return e->responses[index];
}

int dap_exchange(void *ctx, const uint8_t *request, size_t length, uint8_t *response, size_t capacity)
{
    dap_engine *e = ctx;
    size_t n;
    if (dap_process(e, request, length) != 1) return -1;
    const uint8_t *r = dap_response(e, 0, &n);
    if (n > capacity) return -1;
    for (size_t i = 0; i < n; i++) response[i] = r[i];
    return (int)n;
}
