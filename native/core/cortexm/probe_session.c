#include "cortexm/probe_session.h"

#include "common/bytes.h"

#define CPUID 0xE000ED00u

void probe_session_init(probe_session *p, dp_link *link)
{
    *p = (probe_session){0};
    p->link = link;
    p->attached = -1;
}

const char *probe_core_name(cortexm_core core)
{
    switch (core) {
    case CORTEXM_M0: return "Cortex-M0";
    case CORTEXM_M0P: return "Cortex-M0+";
    case CORTEXM_M3: return "Cortex-M3";
    case CORTEXM_M4: return "Cortex-M4";
    case CORTEXM_M7: return "Cortex-M7";
    case CORTEXM_M33: return "Cortex-M33";
    default: return "Cortex-M";
    }
}

bmp_status probe_scan(probe_session *p)
{
    adiv5_ap_info aps[8];
    p->connected = false;
    p->attached = -1;
    p->part_known = false;
    p->target_count = p->ap_count = p->component_count = 0;
    p->dp = (adiv5_dp){0};
    bmp_status s = adiv5_connect(&p->dp, p->link, p->dormant);
    if (s != BMP_OK && !p->dormant) {
        /* A DPv2 part may sit in the dormant state, deaf to JTAG-to-SWD (ADIv5.2 B5.3). */
        p->dp = (adiv5_dp){0};
        if (adiv5_connect(&p->dp, p->link, true) == 0) {
            p->dormant = true;
            s = 0;
        }
    }
    if (s != BMP_OK) return s;
    p->connected = true;
    unsigned n = 0;
    if ((s = adiv5_discover_aps(&p->dp, aps, 8, &n)) != BMP_OK) return s;
    p->ap_count = n;
    for (unsigned i = 0; i < n; i++) {
        if (!aps[i].mem_ap) continue;
        /* BASE bit 0: a debug entry is present (ADIv5.2 C2.6.1); bits 31:12 its address. */
        if ((aps[i].base & 1u) && p->component_count < PROBE_MAX_COMPONENTS) {
            unsigned c = 0;
            coresight_walk(&p->dp, aps[i].apsel, aps[i].base & 0xFFFFF000u, p->components + p->component_count,
                           PROBE_MAX_COMPONENTS - p->component_count, &c);
            p->component_count += c;
        }
        uint32_t cpuid = 0;
        if (adiv5_mem_read32(&p->dp, aps[i].apsel, CPUID, &cpuid) != BMP_OK) continue;
        cortexm_core core = cortexm_core_from_cpuid(cpuid);
        if (core == CORTEXM_UNKNOWN || p->target_count == PROBE_MAX_TARGETS) continue;
        probe_target *t = &p->targets[p->target_count++];
        *t = (probe_target){.apsel = aps[i].apsel, .cpuid = cpuid, .core = core};
        for (unsigned a = 0; a < sizeof part_idcode_addresses / sizeof part_idcode_addresses[0] && !t->idcode; a++)
            adiv5_mem_read32(&p->dp, aps[i].apsel, part_idcode_addresses[a], &t->idcode); /* 0 if it fails */
    }
    return BMP_OK;
}

static void identify_part(probe_session *p, uint8_t apsel)
{
    p->part_known = false;
    for (unsigned i = 0; i < sizeof part_idcode_addresses / sizeof part_idcode_addresses[0]; i++) {
        uint32_t idcode = 0;
        uint8_t k[2] = {0};
        if (adiv5_mem_read32(&p->dp, apsel, part_idcode_addresses[i], &idcode) != BMP_OK) continue;
        uint16_t dev_id = (uint16_t)(idcode & 0xFFF);
        uint32_t size_reg = part_flash_size_register(dev_id), kib = 0;
        if (size_reg && adiv5_mem_read(&p->dp, apsel, size_reg, k, 2) == BMP_OK) kib = get_le16(k);
        if (part_identify(dev_id, kib, &p->part)) {
            p->part_known = true;
            return;
        }
    }
}

bmp_status probe_attach(probe_session *p, unsigned index)
{
    bmp_status s;
    if (!p->connected) {
        if ((s = probe_scan(p)) != BMP_OK) return s;
    } else {
        /* Connect again (line reset, power-up): the wire may have been lost since the scan. */
        p->dp = (adiv5_dp){0};
        if ((s = adiv5_connect(&p->dp, p->link, p->dormant)) != BMP_OK) {
            p->connected = false;
            return s;
        }
    }
    if (index >= p->target_count) return BMP_ERR_NO_TARGET;
    p->attached = -1;
    p->core = (cortexm){0};
    if ((s = cortexm_attach(&p->core, &p->dp, p->targets[index].apsel)) != BMP_OK) return s;
    p->attached = (int)index;
    identify_part(p, p->targets[index].apsel);
    return BMP_OK;
}

bmp_status probe_detach(probe_session *p)
{
    if (p->attached < 0) return BMP_OK;
    p->attached = -1;
    return cortexm_detach(&p->core);
}

const char *probe_part_name(const probe_session *p)
{
    return p->part_known ? p->part.name : "unknown Cortex-M part";
}
