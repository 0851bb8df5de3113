/* GDB Remote Serial Protocol, packet layer (GDB manual, "Overview" of the Remote Protocol):
 * framing `$payload#cs`, the modulo-256 checksum, `+`/`-` acknowledgements, the 0x03
 * interrupt byte, and `}` escapes. Portable: no heap, no stdio; the caller owns the buffer. */
#ifndef RSP_PACKET_H
#define RSP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    RSP_EVENT_NONE = 0,     /* the byte was consumed; nothing complete yet */
    RSP_EVENT_PACKET,       /* a packet with a good checksum: payload in buf[0..len) */
    RSP_EVENT_BAD_CHECKSUM, /* a complete packet whose checksum did not match: send '-' */
    RSP_EVENT_OVERFLOW,     /* a packet with a good checksum but longer than the buffer: its
                             * payload is lost (`total` says how long it was); acknowledge it
                             * and answer with an error, or the client resends it forever */
    RSP_EVENT_ACK,          /* '+' outside a packet */
    RSP_EVENT_NAK,          /* '-' outside a packet: retransmit the last reply */
    RSP_EVENT_INTERRUPT     /* 0x03 outside a packet: the user pressed Ctrl-C */
} rsp_event;

typedef struct rsp_parser {
    uint8_t *buf;      /* payload as received (escapes are left in; see rsp_unescape) */
    size_t cap;
    size_t len;
    size_t total;      /* payload bytes received, counting those past the buffer */
    uint8_t state;
    uint8_t sum;       /* running checksum of the payload */
    uint8_t check;     /* checksum digits as received */
    bool overflow;
    uint32_t garbage;  /* bytes seen between packets that were none of + - 0x03 $ (counted) */
} rsp_parser;

void rsp_parser_init(rsp_parser *p, uint8_t *buf, size_t cap);
/* Feeds one byte; returns what it completed. After RSP_EVENT_PACKET the payload stays valid
 * until the next call. */
rsp_event rsp_parser_feed(rsp_parser *p, uint8_t byte);

/* Removes `}` escapes (byte after `}` is XOR 0x20) in place; returns the new length, or
 * (size_t)-1 if the data ends in a lone `}`. For binary payloads (X, vFlashWrite). */
size_t rsp_unescape(uint8_t *data, size_t len);

/* Frames `payload` as `$...#cs` into `out`, escaping `$ # } *`. Returns the framed length, or 0
 * if it does not fit in `cap`. */
size_t rsp_frame(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

#endif
