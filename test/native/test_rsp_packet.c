/* GDB RSP packet layer: framing, checksums, acks, interrupts, escapes, overflow. */
#include "check.h"
#include "gdb/rsp_packet.h"

static rsp_event feed_all(rsp_parser *p, const char *bytes, unsigned *packets)
{
    rsp_event last = RSP_EVENT_NONE;
    for (const char *c = bytes; *c; c++) {
        rsp_event e = rsp_parser_feed(p, (uint8_t)*c);
        if (e != RSP_EVENT_NONE) last = e;
        if (e == RSP_EVENT_PACKET && packets) (*packets)++;
    }
    return last;
}

static void test_good_packet(void)
{
    uint8_t buf[64];
    rsp_parser p;
    rsp_parser_init(&p, buf, sizeof buf);
    CHECK_EQ(feed_all(&p, "$qSupported#37", NULL), RSP_EVENT_PACKET);
    CHECK_EQ(p.len, 10);
    CHECK(memcmp(buf, "qSupported", 10) == 0);
}

static void test_bad_checksum_then_retransmission(void)
{
    uint8_t buf[64];
    rsp_parser p;
    rsp_parser_init(&p, buf, sizeof buf);
    CHECK_EQ(feed_all(&p, "$g#68", NULL), RSP_EVENT_BAD_CHECKSUM);
    CHECK_EQ(feed_all(&p, "$g#67", NULL), RSP_EVENT_PACKET);
    CHECK_EQ(feed_all(&p, "$g#zz", NULL), RSP_EVENT_BAD_CHECKSUM);
    CHECK_EQ(feed_all(&p, "$g#6G", NULL), RSP_EVENT_BAD_CHECKSUM);
}

static void test_acks_interrupt_and_garbage(void)
{
    uint8_t buf[16];
    rsp_parser p;
    rsp_parser_init(&p, buf, sizeof buf);
    CHECK_EQ(rsp_parser_feed(&p, '+'), RSP_EVENT_ACK);
    CHECK_EQ(rsp_parser_feed(&p, '-'), RSP_EVENT_NAK);
    CHECK_EQ(rsp_parser_feed(&p, 0x03), RSP_EVENT_INTERRUPT);
    unsigned packets = 0;
    feed_all(&p, "hello\r\n$?#3f junk $s#73", &packets);
    CHECK_EQ(packets, 2);
    CHECK_EQ(p.garbage, 13);
}

static void test_restart_inside_packet(void)
{
    uint8_t buf[16];
    rsp_parser p;
    rsp_parser_init(&p, buf, sizeof buf);
    CHECK_EQ(feed_all(&p, "$m2000$?#3f", NULL), RSP_EVENT_PACKET);
    CHECK_EQ(p.len, 1);
    CHECK_EQ(buf[0], '?');
}

static void test_overflow_is_dropped_and_parser_recovers(void)
{
    uint8_t buf[4];
    rsp_parser p;
    rsp_parser_init(&p, buf, sizeof buf);
    /* "qSupported" checksum 0x37, 10 bytes into a 4-byte buffer */
    CHECK_EQ(feed_all(&p, "$qSupported#37", NULL), RSP_EVENT_OVERFLOW);
    CHECK_EQ(p.total, 10);
    CHECK_EQ(feed_all(&p, "$g#67", NULL), RSP_EVENT_PACKET);
    /* too long and corrupted: a bad checksum (a retransmission may be whole) */
    CHECK_EQ(feed_all(&p, "$qSupported#38", NULL), RSP_EVENT_BAD_CHECKSUM);
}

static void test_frame_and_escape_round_trip(void)
{
    const uint8_t payload[] = {'O', 'K', '$', '#', '}', '*', 0x00, 0xff};
    uint8_t framed[64];
    size_t n = rsp_frame(payload, sizeof payload, framed, sizeof framed);
    CHECK(n > 0);
    CHECK_EQ(framed[0], '$');
    uint8_t buf[64];
    rsp_parser p;
    rsp_parser_init(&p, buf, sizeof buf);
    rsp_event last = RSP_EVENT_NONE;
    for (size_t i = 0; i < n; i++) last = rsp_parser_feed(&p, framed[i]);
    CHECK_EQ(last, RSP_EVENT_PACKET);
    size_t len = rsp_unescape(buf, p.len);
    CHECK_EQ(len, sizeof payload);
    CHECK(memcmp(buf, payload, sizeof payload) == 0);
    /* no room */
    CHECK_EQ(rsp_frame(payload, sizeof payload, framed, 8), 0);
    /* a lone escape at the end is malformed */
    uint8_t lone[] = {'a', '}'};
    CHECK_EQ(rsp_unescape(lone, 2), (size_t)-1);
}

int main(void)
{
    RUN(test_good_packet);
    RUN(test_bad_checksum_then_retransmission);
    RUN(test_acks_interrupt_and_garbage);
    RUN(test_restart_inside_packet);
    RUN(test_overflow_is_dropped_and_parser_recovers);
    RUN(test_frame_and_escape_round_trip);
    return CHECK_SUMMARY();
}
