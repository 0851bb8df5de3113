#include "gdb/rsp_packet.h"

#include "gdb/hex.h"

enum { WAIT_START, IN_PAYLOAD, CHECK_HIGH, CHECK_LOW };

void rsp_parser_init(rsp_parser *p, uint8_t *buf, size_t cap)
{
    p->buf = buf;
    p->cap = cap;
    p->len = 0;
    p->total = 0;
    p->state = WAIT_START;
    p->sum = 0;
    p->check = 0;
    p->overflow = false;
    p->garbage = 0;
}

static void start_packet(rsp_parser *p)
{
    p->state = IN_PAYLOAD;
    p->len = 0;
    p->total = 0;
    p->sum = 0;
    p->overflow = false;
}

rsp_event rsp_parser_feed(rsp_parser *p, uint8_t byte)
{
    switch (p->state) {
    case WAIT_START:
        switch (byte) {
        case '$': start_packet(p); return RSP_EVENT_NONE;
        case '+': return RSP_EVENT_ACK;
        case '-': return RSP_EVENT_NAK;
        case 0x03: return RSP_EVENT_INTERRUPT;
        default: p->garbage++; return RSP_EVENT_NONE;
        }
    case IN_PAYLOAD:
        if (byte == '#') {
            p->state = CHECK_HIGH;
        } else if (byte == '$') {
            /* A new start inside a packet: the old one was cut short; GDB resends whole
             * packets, so start over with this one. */
            start_packet(p);
        } else {
            p->sum = (uint8_t)(p->sum + byte);
            p->total++;
            if (p->len < p->cap) p->buf[p->len++] = byte;
            else p->overflow = true;
        }
        return RSP_EVENT_NONE;
    case CHECK_HIGH: {
        int v = hex_digit(byte);
        if (v < 0) {
            p->state = WAIT_START;
            return RSP_EVENT_BAD_CHECKSUM;
        }
        p->check = (uint8_t)(v << 4);
        p->state = CHECK_LOW;
        return RSP_EVENT_NONE;
    }
    case CHECK_LOW: {
        int v = hex_digit(byte);
        p->state = WAIT_START;
        if (v < 0) return RSP_EVENT_BAD_CHECKSUM;
        p->check = (uint8_t)(p->check | v);
        if (p->check != p->sum) return RSP_EVENT_BAD_CHECKSUM;
        return p->overflow ? RSP_EVENT_OVERFLOW : RSP_EVENT_PACKET;
    }
    default:
        p->state = WAIT_START;
        return RSP_EVENT_NONE;
    }
}

size_t rsp_unescape(uint8_t *data, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '}') {
            if (++i == len) return (size_t)-1;
            data[out++] = (uint8_t)(data[i] ^ 0x20);
        } else {
            data[out++] = data[i];
        }
    }
    return out;
}

size_t rsp_frame(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0;
    uint8_t sum = 0;
    if (cap < 4) return 0;
    out[n++] = '$';
    for (size_t i = 0; i < len; i++) {
        uint8_t c = payload[i];
        bool escape = c == '$' || c == '#' || c == '}' || c == '*';
        if (n + (escape ? 2 : 1) + 3 > cap) return 0;
        if (escape) {
            out[n++] = '}';
            sum = (uint8_t)(sum + '}');
            c ^= 0x20;
        }
        out[n++] = c;
        sum = (uint8_t)(sum + c);
    }
    out[n++] = '#';
    hex_encode(&sum, 1, (char *)out + n);
    n += 2;
    return n;
}
