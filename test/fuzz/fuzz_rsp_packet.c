// fuzz-sources: native/core/gdb/rsp_packet.c native/core/gdb/hex.c
/* libFuzzer target for the GDB RSP packet layer (native/core/gdb/rsp_packet.c).
 *
 * The input is a byte stream as it would arrive from GDB. It is fed one byte at a time to two
 * parsers: one with a small buffer (so the overflow path is taken) and one with a large buffer.
 * Checked for every byte:
 *   - both parsers report the same events, except that the small one may say OVERFLOW where
 *     the large one completes a packet (good or bad checksum); when both say PACKET their
 *     payloads are equal;
 *   - a PACKET's length never exceeds its parser's capacity.
 * Checked for every PACKET (payload copied into a buffer of exactly its size first):
 *   - rsp_unescape never returns more than its input length, and returns (size_t)-1 only when
 *     the data ends in a lone '}';
 *   - rsp_frame, into output buffers of several sizes (several too small), either returns 0
 *     when the framed packet cannot fit or exactly the predicted framed length;
 *   - round trip: a successfully framed packet, fed to a fresh parser whose buffer is exactly
 *     the size of the escaped payload, yields exactly one event other than NONE, a PACKET on
 *     the last byte, whose payload unescapes to the original payload; with a buffer one byte
 *     smaller it yields exactly one OVERFLOW instead.
 * This is done for the received payload as is (escapes left in) and for its unescaped form.
 * The input is run twice: as it is, then with the checksum of every packet in it rewritten to
 * the right value (random bytes almost never carry a good checksum, so without this the fuzzer
 * would rarely get past the checksum test); on that second run no packet may be reported with
 * a bad checksum, and the parser must complete exactly as many packets as were repaired.
 * Every buffer handed to the code under test is heap-allocated at its exact size so that
 * AddressSanitizer catches any access past its end. Any violated property calls abort(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdb/rsp_packet.h"

#define SMALL_CAP 64u
#define LARGE_CAP 8192u

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_rsp_packet: property violated: %s\n", what);
    abort();
}

#define CHECK(cond)                  \
    do {                             \
        if (!(cond)) fail(#cond);    \
    } while (0)

/* malloc that never returns NULL and gives a real allocation even for 0 bytes. */
static uint8_t *alloc_exact(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (!p) fail("out of memory");
    return p;
}

static uint8_t *dup_exact(const uint8_t *data, size_t n)
{
    uint8_t *p = alloc_exact(n);
    if (n) memcpy(p, data, n);
    return p;
}

static bool needs_escape(uint8_t c)
{
    return c == '$' || c == '#' || c == '}' || c == '*';
}

/* Length of the payload once escaped, i.e. what a parser buffers between '$' and '#'. */
static size_t escaped_len(const uint8_t *payload, size_t len)
{
    size_t n = len;
    for (size_t i = 0; i < len; i++)
        if (needs_escape(payload[i])) n++;
    return n;
}

/* Independent model of rsp_unescape's result length; (size_t)-1 for a trailing lone '}'. */
static size_t model_unescaped_len(const uint8_t *data, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++, out++) {
        if (data[i] == '}') {
            if (i + 1 == len) return (size_t)-1;
            i++;
        }
    }
    return out;
}

/* Feeds a framed packet to a fresh parser of capacity `cap` and checks that exactly one event
 * other than NONE happens, on the last byte, and that it is `expect`. On a PACKET the received
 * payload must be `escaped` and must unescape to `payload`. */
static void check_reparse(const uint8_t *framed, size_t framed_len, size_t cap, rsp_event expect,
                          const uint8_t *payload, size_t payload_len)
{
    uint8_t *buf = alloc_exact(cap);
    rsp_parser p;
    rsp_parser_init(&p, buf, cap);
    size_t events = 0;
    for (size_t i = 0; i < framed_len; i++) {
        rsp_event ev = rsp_parser_feed(&p, framed[i]);
        if (ev == RSP_EVENT_NONE) continue;
        events++;
        CHECK(i + 1 == framed_len);
        CHECK(ev == expect);
        if (ev == RSP_EVENT_PACKET) {
            CHECK(p.buf == buf);
            CHECK(p.len <= cap);
            CHECK(p.len == framed_len - 4);
            CHECK(p.len == 0 || memcmp(p.buf, framed + 1, p.len) == 0);
            uint8_t *copy = dup_exact(p.buf, p.len);
            size_t n = rsp_unescape(copy, p.len);
            CHECK(n == payload_len);
            CHECK(n == 0 || memcmp(copy, payload, n) == 0);
            free(copy);
        }
    }
    CHECK(events == 1);
    CHECK(p.garbage == 0);
    free(buf);
}

/* Frames `payload` into buffers of several sizes and checks each result; round-trips the
 * framings that succeed. */
static void check_frame(const uint8_t *payload, size_t len)
{
    const size_t esc = escaped_len(payload, len);
    const size_t need = esc + 4; /* '$' escaped-payload '#' hex hex */
    const size_t caps[] = {0, 1, 3, 4, 5, need / 2, need - 1, need, need + 1, need + 7, SMALL_CAP};
    bool round_tripped = false;

    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        const size_t cap = caps[k];
        uint8_t *out = alloc_exact(cap);
        size_t n = rsp_frame(payload, len, out, cap);
        if (cap < need) {
            CHECK(n == 0);
        } else {
            CHECK(n == need);
            CHECK(out[0] == '$');
            CHECK(out[n - 3] == '#');
            /* No unescaped framing characters inside the body. */
            for (size_t i = 1; i < n - 3; i++) {
                CHECK(out[i] != '$' && out[i] != '#' && out[i] != '*');
                if (out[i] == '}') {
                    CHECK(i + 1 < n - 3);
                    i++;
                }
            }
            if (!round_tripped) {
                check_reparse(out, n, esc, RSP_EVENT_PACKET, payload, len);
                if (esc > 0) check_reparse(out, n, esc - 1, RSP_EVENT_OVERFLOW, payload, len);
                round_tripped = true;
            }
        }
        free(out);
    }
    CHECK(round_tripped);
}

static void on_packet(const uint8_t *data, size_t len, size_t cap)
{
    CHECK(len <= cap);

    /* The raw payload (escapes still in) is itself a payload one could send. */
    uint8_t *raw = dup_exact(data, len);
    check_frame(raw, len);

    /* Its unescaped form: what an X or vFlashWrite handler would see. */
    uint8_t *copy = dup_exact(data, len);
    size_t n = rsp_unescape(copy, len);
    CHECK(n == model_unescaped_len(raw, len));
    if (n == (size_t)-1) {
        CHECK(len > 0 && raw[len - 1] == '}');
    } else {
        CHECK(n <= len);
        /* The unescaped bytes are exactly what an independent decoding of the raw payload
         * gives; then the unescaped payload, copied to a buffer of its exact size, is framed
         * and round-tripped too. */
        uint8_t *exact = dup_exact(copy, n);
        size_t j = 0;
        for (size_t i = 0; i < len; i++, j++) {
            uint8_t want = raw[i];
            if (want == '}') want = (uint8_t)(raw[++i] ^ 0x20);
            CHECK(exact[j] == want);
        }
        CHECK(j == n);
        check_frame(exact, n);
        free(exact);
    }
    free(copy);
    free(raw);
}

/* Rewrites, in place, the two bytes after each packet's '#' to the packet's correct checksum,
 * following the framing rules independently of the parser: '$' starts (or restarts) a packet,
 * '#' ends its payload. Random bytes almost never carry a matching checksum; this lets the
 * fuzzer reach everything behind a good packet. Returns how many checksums it wrote. */
static size_t repair_checksums(uint8_t *data, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    size_t written = 0;
    bool in_packet = false;
    uint8_t sum = 0;
    for (size_t i = 0; i < size; i++) {
        uint8_t c = data[i];
        if (!in_packet) {
            if (c == '$') {
                in_packet = true;
                sum = 0;
            }
        } else if (c == '$') {
            sum = 0;
        } else if (c == '#') {
            in_packet = false;
            /* A packet cut short after its first checksum digit gets that digit too. */
            if (i + 1 < size) data[i + 1] = (uint8_t)digits[sum >> 4];
            if (i + 2 < size) {
                data[i + 2] = (uint8_t)digits[sum & 15];
                written++;
            }
            i += 2;
        } else {
            sum = (uint8_t)(sum + c);
        }
    }
    return written;
}

/* Feeds a stream to a small and a large parser side by side, checking every event; returns
 * how many packets (good or overflowed) the large parser completed. With `checksums_good` the
 * stream came from repair_checksums, so no packet may have a bad checksum. */
static size_t run_stream(const uint8_t *data, size_t size, bool checksums_good)
{
    uint8_t *small_buf = alloc_exact(SMALL_CAP);
    uint8_t *large_buf = alloc_exact(LARGE_CAP);
    rsp_parser small, large;
    rsp_parser_init(&small, small_buf, SMALL_CAP);
    rsp_parser_init(&large, large_buf, LARGE_CAP);
    size_t completed = 0;

    for (size_t i = 0; i < size; i++) {
        rsp_event es = rsp_parser_feed(&small, data[i]);
        rsp_event el = rsp_parser_feed(&large, data[i]);

        CHECK((int)es >= (int)RSP_EVENT_NONE && (int)es <= (int)RSP_EVENT_INTERRUPT);
        CHECK((int)el >= (int)RSP_EVENT_NONE && (int)el <= (int)RSP_EVENT_INTERRUPT);
        if (es == RSP_EVENT_OVERFLOW)
            CHECK(el == RSP_EVENT_OVERFLOW || el == RSP_EVENT_PACKET ||
                  el == RSP_EVENT_BAD_CHECKSUM);
        else
            CHECK(es == el);
        if (el == RSP_EVENT_OVERFLOW) CHECK(es == RSP_EVENT_OVERFLOW);
        if (checksums_good) CHECK(el != RSP_EVENT_BAD_CHECKSUM);
        if (el == RSP_EVENT_PACKET || el == RSP_EVENT_OVERFLOW) completed++;

        if (es == RSP_EVENT_PACKET) {
            CHECK(small.buf == small_buf);
            CHECK(small.len == large.len);
            CHECK(small.len == 0 || memcmp(small.buf, large.buf, small.len) == 0);
            on_packet(small.buf, small.len, SMALL_CAP);
        } else if (el == RSP_EVENT_PACKET) {
            CHECK(large.buf == large_buf);
            CHECK(large.len > SMALL_CAP);
            on_packet(large.buf, large.len, LARGE_CAP);
        }
        CHECK(small.garbage == large.garbage);
    }

    free(large_buf);
    free(small_buf);
    return completed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The input as it is: bad checksums, truncated packets, noise. */
    run_stream(data, size, false);

    /* The same input with every packet's checksum made right. */
    uint8_t *fixed = dup_exact(data, size);
    size_t packets = repair_checksums(fixed, size);
    CHECK(run_stream(fixed, size, true) == packets);
    free(fixed);
    return 0;
}
