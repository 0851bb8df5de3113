#include "gdb/hex.h"

const char hex_digits[16] = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool hex_parse_u32(const char **p, uint32_t *out)
{
    uint32_t v = 0;
    unsigned count = 0;
    int d;
    while ((d = hex_digit((uint8_t)**p)) >= 0) {
        if (++count > 8) return false;
        v = v << 4 | (uint32_t)d;
        (*p)++;
    }
    *out = v;
    return count > 0;
}

long hex_decode(const char *text, size_t digits, uint8_t *out, size_t capacity)
{
    if (digits % 2 || digits / 2 > capacity) return -1;
    for (size_t i = 0; i < digits / 2; i++) {
        int hi = hex_digit((uint8_t)text[2 * i]), lo = hex_digit((uint8_t)text[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(digits / 2);
}

void hex_encode(const uint8_t *data, size_t length, char *out)
{
    for (size_t i = 0; i < length; i++) {
        *out++ = hex_digits[data[i] >> 4];
        *out++ = hex_digits[data[i] & 0xF];
    }
}

size_t hex_format_u32(uint32_t v, unsigned digits, char *out)
{
    if (digits == 0) {
        digits = 1;
        while (digits < 8 && v >> (4 * digits)) digits++;
    }
    if (digits > 8) digits = 8;
    for (unsigned i = 0; i < digits; i++) out[i] = hex_digits[(v >> (4 * (digits - 1 - i))) & 0xF];
    out[digits] = 0;
    return digits;
}
