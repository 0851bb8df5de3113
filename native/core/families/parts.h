/* What a debugger needs to know of a part: its name, its memories, and its flash geometry (for
 * GDB's memory map and the flash drivers), filled in by its family (family.h). */
#ifndef PARTS_H
#define PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

typedef enum {
    PART_MEMORY_RAM,
    PART_MEMORY_FLASH,
    PART_MEMORY_ROM,    /* read-only: system memory (boot ROM), ID registers, option bytes */
    PART_MEMORY_DEVICE  /* peripherals and the system control space: read and written as GDB
                         * asks, never cached or read ahead (reads can have side effects) */
} part_memory_kind;

typedef struct part_memory {
    part_memory_kind kind;
    uint32_t start;
    uint32_t length;
    uint32_t block_size; /* flash: erase unit of this region */
} part_memory;

#define PART_MAX_MEMORIES 16
#define PART_MEMORY_MAP_XML_MAX 2560u /* the longest memory map, its terminator included (parts.c checks) */

struct target_family;

typedef struct part_info {
    const char *name;      /* "STM32F40x/41x" */
    const struct target_family *family; /* the family that identified it (family.h) */
    uint16_t dev_id;       /* ST: DBGMCU IDCODE[11:0]; other vendors: 0 */
    uint32_t idcode;       /* the identity register as read (ST: DBGMCU IDCODE; nRF: FICR INFO.PART) */
    unsigned memory_count;
    part_memory memories[PART_MAX_MEMORIES];
} part_info;

/* Fills `info` for the ST part with this DEV_ID, asking each family (family.h); `flash_kib`
 * (from the flash-size register, 0 if unknown) sizes the flash. False for a DEV_ID no family has. */
bool part_identify(uint16_t dev_id, uint32_t flash_kib, part_info *info);
/* Address of the flash-size register (KiB, 16 bits) for the ST part, 0 if none. */
uint32_t part_flash_size_register(uint16_t dev_id);

/* For the family files: appends a memory region (dropped past PART_MAX_MEMORIES), and the
 * regions every Cortex-M part has (the peripheral region and the Private Peripheral Bus). */
void part_add(part_info *info, part_memory_kind kind, uint32_t start, uint32_t length, uint32_t block);
void part_add_system_regions(part_info *info);

/* Whether [addr, addr+length) lies wholly in regions of the kinds in `kinds` (a mask of
 * 1 << part_memory_kind), contiguous ones joined. False for length 0. */
bool part_holds(const part_info *info, unsigned kinds, uint32_t addr, uint32_t length);
#define PART_KIND(k) (1u << (k))

/* GDB's memory map (qXfer:memory-map:read) into `out`; returns its length, or 0 if it does not fit. */
size_t part_memory_map_xml(const part_info *info, char *out, size_t capacity);

#endif
