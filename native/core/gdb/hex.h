/* Hexadecimal text as GDB's remote protocol writes it: numbers in packets ("m8000000,40"),
 * memory and register contents as two lowercase digits a byte, checksums. Portable: no heap, no
 * stdio. (Also used for the hex numbers of GDB's memory-map XML.) */
#ifndef GDB_HEX_H
#define GDB_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern const char hex_digits[16]; /* "0123456789abcdef" */

/* The value of one hex digit (either case), or -1. */
int hex_digit(uint8_t c);

/* Parses one to eight hex digits at *p and advances *p past them; false (and *p wherever it
 * stopped) for no digit or more than eight. */
bool hex_parse_u32(const char **p, uint32_t *out);

/* Decodes `digits` hex characters into bytes; returns the byte count, or -1 for an odd count, a
 * bad digit, or more bytes than `capacity`. */
long hex_decode(const char *text, size_t digits, uint8_t *out, size_t capacity);

/* Writes two lowercase digits per byte into `out` (2 * length characters, no terminator). */
void hex_encode(const uint8_t *data, size_t length, char *out);

/* Writes `v` with exactly `digits` digits (1 to 8; higher digits are dropped), or with `digits`
 * 0 in as few as it needs; NUL-terminated (`out` holds 9). Returns the number of digits. */
size_t hex_format_u32(uint32_t v, unsigned digits, char *out);

#endif
