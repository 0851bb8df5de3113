/* AP discovery and the ROM-table walk (ADIv5.2 C1.2 AP identification, D3 ROM tables;
 * CoreSight Architecture B2 component identification): what a debugger finds behind a DP. */
#ifndef ROMTABLE_H
#define ROMTABLE_H

#include "adiv5/adiv5.h"

typedef struct adiv5_ap_info {
    uint8_t apsel;
    uint32_t idr;
    uint32_t base;      /* BASE register: the debug base address with its format/present bits */
    bool mem_ap;        /* IDR CLASS = 0x8 (MEM-AP) */
} adiv5_ap_info;

typedef struct coresight_component {
    uint32_t address;
    uint16_t part;      /* PIDR part number */
    uint16_t designer;  /* JEP106: continuation code << 8 | identity code (0x43B Arm, 0x020 ST) */
    uint8_t cls;        /* CIDR class: 0x1 ROM table, 0x9 CoreSight, 0xE generic IP */
    uint8_t depth;      /* 0 for the top-level table */
} coresight_component;

/* Reads the IDR of APs 0, 1, ... until one reads as 0 (APs are numbered from 0 without gaps),
 * at most `max`; *count gets the number found. */
bmp_status adiv5_discover_aps(adiv5_dp *dp, adiv5_ap_info *aps, unsigned max, unsigned *count);

/* Walks the ROM table at `base` through MEM-AP `apsel` and its sub-tables (depth at most 4),
 * recording tables and components, at most `max`; *count gets the number recorded (0 when BASE
 * points at no ROM table). Entries not present, and components whose CIDR preamble is wrong,
 * are skipped. */
bmp_status coresight_walk(adiv5_dp *dp, uint8_t apsel, uint32_t base, coresight_component *out, unsigned max,
                          unsigned *count);

#endif
