#include "adiv5/romtable.h"

#define AP_BASE 0xF8
#define AP_IDR 0xFC
#define ID_BLOCK 0xFD0     /* PIDR4-7, PIDR0-3, CIDR0-3: 12 words up to 0xFFF */
#define MAX_DEPTH 4
#define MAX_ENTRIES 960    /* a 4 KiB table: entries below the ID registers */

bmp_status adiv5_discover_aps(adiv5_dp *dp, adiv5_ap_info *aps, unsigned max, unsigned *count)
{
    *count = 0;
    for (unsigned apsel = 0; apsel < 256 && *count < max; apsel++) {
        uint32_t idr = 0, base = 0;
        bmp_status s = adiv5_ap_read(dp, (uint8_t)apsel, AP_IDR, &idr);
        if (s != BMP_OK) return s;
        if (idr == 0) break;
        if ((s = adiv5_ap_read(dp, (uint8_t)apsel, AP_BASE, &base)) != BMP_OK) return s;
        aps[(*count)++] = (adiv5_ap_info){.apsel = (uint8_t)apsel, .idr = idr, .base = base,
                                          .mem_ap = ((idr >> 13) & 0xF) == 0x8};
    }
    return BMP_OK;
}

/* Reads the identification block of the 4 KiB component at `address`; *found is false when it
 * has no CoreSight preamble. */
static bmp_status identify(adiv5_dp *dp, uint8_t apsel, uint32_t address, coresight_component *c, bool *found)
{
    uint8_t id[48];
    *found = false;
    bmp_status s = adiv5_mem_read(dp, apsel, address + ID_BLOCK, id, sizeof id);
    if (s != BMP_OK) return s;
    /* each register holds one byte in bits 7:0: PIDR4 at +0x00, PIDR0 at +0x10, CIDR0 at +0x20 */
    const uint8_t pidr0 = id[0x10], pidr1 = id[0x14], pidr2 = id[0x18], pidr4 = id[0x00];
    const uint8_t cidr0 = id[0x20], cidr1 = id[0x24], cidr2 = id[0x28], cidr3 = id[0x2C];
    if (cidr0 != 0x0D || (cidr1 & 0x0F) != 0 || cidr2 != 0x05 || cidr3 != 0xB1) return BMP_OK;
    c->address = address;
    c->cls = cidr1 >> 4;
    c->part = (uint16_t)(pidr0 | (pidr1 & 0xF) << 8);
    c->designer = (uint16_t)((pidr4 & 0xF) << 8 | (pidr2 & 7) << 4 | pidr1 >> 4);
    *found = true;
    return BMP_OK;
}

static bmp_status walk(adiv5_dp *dp, uint8_t apsel, uint32_t table, coresight_component *out, unsigned max,
                       unsigned *count, unsigned depth)
{
    for (unsigned i = 0; i < MAX_ENTRIES; i++) {
        uint32_t entry = 0;
        bmp_status s = adiv5_mem_read32(dp, apsel, table + 4 * i, &entry);
        if (s != BMP_OK) return s;
        if (entry == 0) break;                 /* end of the table */
        if (!(entry & 1) || !(entry & 2)) continue; /* not present, or 8-bit format */
        uint32_t address = table + (entry & 0xFFFFF000u); /* signed offset, modulo 2^32 */
        coresight_component c = {0};
        bool found;
        if ((s = identify(dp, apsel, address, &c, &found)) != BMP_OK) return s;
        if (!found) continue;
        c.depth = (uint8_t)(depth + 1);
        if (*count < max) out[(*count)++] = c;
        if (c.cls == 0x1 && depth + 1 < MAX_DEPTH && (s = walk(dp, apsel, address, out, max, count, depth + 1)) != BMP_OK)
            return s;
    }
    return BMP_OK;
}

bmp_status coresight_walk(adiv5_dp *dp, uint8_t apsel, uint32_t base, coresight_component *out, unsigned max,
                          unsigned *count)
{
    coresight_component top = {0};
    uint32_t table = base & 0xFFFFF000u;
    bool found;
    *count = 0;
    bmp_status s = identify(dp, apsel, table, &top, &found);
    if (s != BMP_OK || !found || top.cls != 0x1) return s; /* BASE points at no ROM table */
    if (max > 0) out[(*count)++] = top;
    return walk(dp, apsel, table, out, max, count, 0);
}
