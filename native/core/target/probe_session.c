#include "target/probe_session.h"

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

int probe_scan(probe_session *p)
{
    adiv5_ap_info aps[8];
    p->connected = false;
    p->attached = -1;
    p->part_known = false;
    p->target_count = p->ap_count = p->component_count = 0;
    p->dp = (adiv5_dp){0};
    int s = adiv5_connect(&p->dp, p->link, p->dormant);
    if (s != 0 && !p->dormant) {
        /* A DPv2 part may sit in the dormant state, deaf to JTAG-to-SWD (ADIv5.2 B5.3). */
        p->dp = (adiv5_dp){0};
        if (adiv5_connect(&p->dp, p->link, true) == 0) {
            p->dormant = true;
            s = 0;
        }
    }
    if (s != 0) return s;
    p->connected = true;
    int n = adiv5_discover_aps(&p->dp, aps, 8);
    if (n < 0) return n;
    p->ap_count = (unsigned)n;
    for (int i = 0; i < n; i++) {
        if (!aps[i].mem_ap) continue;
        /* BASE bit 0: a debug entry is present (ADIv5.2 C2.6.1); bits 31:12 its address. */
        if ((aps[i].base & 1u) && p->component_count < PROBE_MAX_COMPONENTS) {
            int c = coresight_walk(&p->dp, aps[i].apsel, aps[i].base & 0xFFFFF000u,
                                   p->components + p->component_count,
                                   PROBE_MAX_COMPONENTS - p->component_count);
            if (c > 0) p->component_count += (unsigned)c;
        }
        uint8_t b[4];
        if (adiv5_mem_read(&p->dp, aps[i].apsel, CPUID, b, 4) != 0) continue;
        uint32_t cpuid = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        cortexm_core core = cortexm_core_from_cpuid(cpuid);
        if (core == CORTEXM_UNKNOWN || p->target_count == PROBE_MAX_TARGETS) continue;
        probe_target *t = &p->targets[p->target_count++];
        *t = (probe_target){.apsel = aps[i].apsel, .cpuid = cpuid, .core = core};
        for (unsigned a = 0; a < sizeof part_idcode_addresses / sizeof part_idcode_addresses[0] && !t->idcode; a++)
            if (adiv5_mem_read(&p->dp, aps[i].apsel, part_idcode_addresses[a], b, 4) == 0)
                t->idcode = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    }
    return (int)p->target_count;
}

static void identify_part(probe_session *p, uint8_t apsel)
{
    p->part_known = false;
    for (unsigned i = 0; i < sizeof part_idcode_addresses / sizeof part_idcode_addresses[0]; i++) {
        uint8_t b[4] = {0}, k[2] = {0};
        if (adiv5_mem_read(&p->dp, apsel, part_idcode_addresses[i], b, 4) != 0) continue;
        uint16_t dev_id = (uint16_t)((b[0] | b[1] << 8) & 0xFFF);
        uint32_t size_reg = part_flash_size_register(dev_id), kib = 0;
        if (size_reg && adiv5_mem_read(&p->dp, apsel, size_reg, k, 2) == 0) kib = (uint32_t)(k[0] | k[1] << 8);
        if (part_identify(dev_id, kib, &p->part)) {
            p->part_known = true;
            return;
        }
    }
}

int probe_attach(probe_session *p, unsigned index)
{
    int s;
    if (!p->connected) {
        if ((s = probe_scan(p)) < 0) return s;
    } else {
        /* Connect again (line reset, power-up): the wire may have been lost since the scan. */
        p->dp = (adiv5_dp){0};
        if ((s = adiv5_connect(&p->dp, p->link, p->dormant)) != 0) {
            p->connected = false;
            return s;
        }
    }
    if (index >= p->target_count) return CORTEXM_INVALID;
    p->attached = -1;
    p->core = (cortexm){0};
    if ((s = cortexm_attach(&p->core, &p->dp, p->targets[index].apsel)) != 0) return s;
    p->attached = (int)index;
    identify_part(p, p->targets[index].apsel);
    return 0;
}

int probe_detach(probe_session *p)
{
    if (p->attached < 0) return 0;
    p->attached = -1;
    return cortexm_detach(&p->core);
}

const char *probe_part_name(const probe_session *p)
{
    return p->part_known ? p->part.name : "unknown Cortex-M part";
}
