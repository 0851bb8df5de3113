/* The CRC-32 that GDB's qCRC and compare-sections use (GDB manual, "qCRC"): polynomial
 * 0x04C11DB7, most significant bit first, initial value 0xFFFFFFFF, no final inversion. */
#ifndef CRC32_H
#define CRC32_H

#include <stddef.h>
#include <stdint.h>

#define CRC32_GDB_INITIAL 0xFFFFFFFFu

uint32_t crc32_gdb(uint32_t crc, const uint8_t *data, size_t length);

#endif
