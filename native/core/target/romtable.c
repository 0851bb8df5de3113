#include "target/romtable.h"

#define AP_BASE 0xF8
#define AP_IDR 0xFC
#define ID_BLOCK 0xFD0     /* PIDR4-7, PIDR0-3, CIDR0-3: 12 words up to 0xFFF */
#define MAX_DEPTH 4
#define MAX_ENTRIES 960    /* a 4 KiB table: entries below the ID registers */

int adiv5_discover_aps(adiv5_dp *dp, adiv5_ap_info *aps, unsigned max)
{
    unsigned n = 0;
    for (unsigned apsel = 0; apsel < 256 && n < max; apsel++) {
        uint32_t idr = 0, base = 0;
        int s = adiv5_ap_read(dp, (uint8_t)apsel, AP_IDR, &idr);
        if (s != 0) return s;
        if (idr == 0) break;
        if ((s = adiv5_ap_read(dp, (uint8_t)apsel, AP_BASE, &base)) != 0) return s;
        aps[n++] = (adiv5_ap_info){.apsel = (uint8_t)apsel, .idr = idr, .base = base,
                                   .mem_ap = ((idr >> 13) & 0xF) == 0x8};
    }
    return (int)n;
}

/* Reads the identification block of the 4 KiB component at `address`. */
static int identify(adiv5_dp *dp, uint8_t apsel, uint32_t address, coresight_component *c)
{
    uint8_t id[48];
    int s = adiv5_mem_read(dp, apsel, address + ID_BLOCK, id, sizeof id);
    if (s != 0) return s;
    /* each register holds one byte in bits 7:0: PIDR4 at +0x00, PIDR0 at +0x10, CIDR0 at +0x20 */
    const uint8_t pidr0 = id[0x10], pidr1 = id[0x14], pidr2 = id[0x18], pidr4 = id[0x00];
    const uint8_t cidr0 = id[0x20], cidr1 = id[0x24], cidr2 = id[0x28], cidr3 = id[0x2C];
    if (cidr0 != 0x0D || (cidr1 & 0x0F) != 0 || cidr2 != 0x05 || cidr3 != 0xB1) return 1; /* no preamble */
    c->address = address;
    c->cls = cidr1 >> 4;
    c->part = (uint16_t)(pidr0 | (pidr1 & 0xF) << 8);
    c->designer = (uint16_t)((pidr4 & 0xF) << 8 | (pidr2 & 7) << 4 | pidr1 >> 4);
    return 0;
}

static int walk(adiv5_dp *dp, uint8_t apsel, uint32_t table, coresight_component *out, unsigned max,
                unsigned *count, unsigned depth)
{
    for (unsigned i = 0; i < MAX_ENTRIES; i++) {
        uint8_t b[4];
        int s = adiv5_mem_read(dp, apsel, table + 4 * i, b, 4);
        if (s != 0) return s;
        uint32_t entry = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
        if (entry == 0) break;                 /* end of the table */
        if (!(entry & 1) || !(entry & 2)) continue; /* not present, or 8-bit format */
        uint32_t address = table + (entry & 0xFFFFF000u); /* signed offset, modulo 2^32 */
        coresight_component c = {0};
        s = identify(dp, apsel, address, &c);
        if (s < 0) return s;
        if (s > 0) continue;
        c.depth = (uint8_t)(depth + 1);
        if (*count < max) out[(*count)++] = c;
        if (c.cls == 0x1 && depth + 1 < MAX_DEPTH && (s = walk(dp, apsel, address, out, max, count, depth + 1)) != 0)
            return s;
    }
    return 0;
}

int coresight_walk(adiv5_dp *dp, uint8_t apsel, uint32_t base, coresight_component *out, unsigned max)
{
    unsigned count = 0;
    coresight_component top = {0};
    uint32_t table = base & 0xFFFFF000u;
    int s = identify(dp, apsel, table, &top);
    if (s < 0) return s;
    if (s > 0 || top.cls != 0x1) return 0; /* BASE points at no ROM table */
    if (max > 0) out[count++] = top;
    if ((s = walk(dp, apsel, table, out, max, &count, 0)) != 0) return s;
    return (int)count;
}
