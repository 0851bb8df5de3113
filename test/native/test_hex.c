/* The GDB folder's hex text (gdb/hex.c): digits, bounded number parsing, byte decoding and
 * encoding, fixed and minimal-width formatting. */
#include "check.h"
#include "gdb/hex.h"

static void test_digits(void)
{
    CHECK_EQ(hex_digit('0'), 0);
    CHECK_EQ(hex_digit('9'), 9);
    CHECK_EQ(hex_digit('a'), 10);
    CHECK_EQ(hex_digit('F'), 15);
    CHECK(hex_digit('g') < 0);
    CHECK(hex_digit(':') < 0);
    CHECK(hex_digit(0) < 0);
}

static void test_parse(void)
{
    const char *p = "8000000,40";
    uint32_t v = 0;
    CHECK(hex_parse_u32(&p, &v));
    CHECK_EQ(v, 0x8000000);
    CHECK_EQ(*p, ',');
    p = "FFFFffff#";
    CHECK(hex_parse_u32(&p, &v));
    CHECK_EQ(v, 0xFFFFFFFFu);
    CHECK_EQ(*p, '#');
    p = "123456789"; /* nine digits: more than 32 bits */
    CHECK(!hex_parse_u32(&p, &v));
    p = ",1";
    CHECK(!hex_parse_u32(&p, &v));
    CHECK_EQ(*p, ',');
}

static void test_decode_encode(void)
{
    uint8_t out[4];
    CHECK_EQ(hex_decode("00ff7A", 6, out, sizeof out), 3);
    CHECK_EQ(out[0], 0x00);
    CHECK_EQ(out[1], 0xFF);
    CHECK_EQ(out[2], 0x7A);
    CHECK_EQ(hex_decode("0", 1, out, sizeof out), -1);         /* odd */
    CHECK_EQ(hex_decode("0g", 2, out, sizeof out), -1);        /* bad digit */
    CHECK_EQ(hex_decode("0011223344", 10, out, sizeof out), -1); /* does not fit */
    CHECK_EQ(hex_decode("", 0, out, sizeof out), 0);
    char text[8] = {0};
    hex_encode(out, 3, text);
    CHECK(memcmp(text, "00ff7a", 6) == 0);
    CHECK_EQ(text[6], 0); /* nothing written past the digits */
}

static void test_format(void)
{
    char s[9];
    CHECK_EQ(hex_format_u32(0x4000, 8, s), 8);
    CHECK(strcmp(s, "00004000") == 0);
    CHECK_EQ(hex_format_u32(0x1ab, 2, s), 2); /* higher digits dropped */
    CHECK(strcmp(s, "ab") == 0);
    CHECK_EQ(hex_format_u32(0, 0, s), 1);
    CHECK(strcmp(s, "0") == 0);
    CHECK_EQ(hex_format_u32(0x20000ff0, 0, s), 8);
    CHECK(strcmp(s, "20000ff0") == 0);
    CHECK_EQ(hex_format_u32(0x10, 0, s), 2);
    CHECK(strcmp(s, "10") == 0);
}

int main(void)
{
    RUN(test_digits);
    RUN(test_parse);
    RUN(test_decode_encode);
    RUN(test_format);
    return CHECK_SUMMARY();
}
