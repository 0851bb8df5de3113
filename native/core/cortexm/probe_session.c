#include "cortexm/probe_session.h"

#include "families/family.h"

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

/* Connects with `targetsel` (0: point to point): JTAG-to-SWD, then the dormant wake-up if that
 * finds nothing (a DPv2 part may sit dormant, deaf to JTAG-to-SWD: ADIv5.2 B5.3). */
static bmp_status connect(probe_session *p, uint32_t targetsel)
{
    p->link->targetsel = targetsel;
    p->dp = (adiv5_dp){0};
    bmp_status s = adiv5_connect(&p->dp, p->link, p->dormant);
    if (s != BMP_OK && !p->dormant) {
        p->dp = (adiv5_dp){0};
        if (adiv5_connect(&p->dp, p->link, true) == BMP_OK) {
            p->dormant = true;
            s = BMP_OK;
        }
    }
    return s;
}

/* DP TARGETID (DPv2: bank 2 of register 0x4), 0 on a DPv1 part or on failure. */
static uint32_t read_targetid(probe_session *p)
{
    if (((p->dp.dpidr >> 12) & 0xFu) < 2) return 0;
    uint32_t id = 0;
    const dp_link_ops *ops = p->link->ops;
    ops->write(p->link, false, 0x8, 2);
    ops->read(p->link, false, 0x4, &id);
    ops->write(p->link, false, 0x8, 0);
    p->dp.select_valid = false;
    return ops->flush(p->link) == BMP_OK ? id : 0;
}

/* A part whose family drives read-out protection, and whose flash answers the debugger's read
 * with a bus error (not a WAIT that ran out: an erase in progress stalls reads): protected. GDB
 * itself only says "Error finishing flash operation" when it then loads. */
static bool flash_closed(probe_session *p, uint8_t apsel, const part_info *info)
{
    if (!info->family || !info->family->flash || !info->family->flash->read_protection) return false;
    for (unsigned i = 0; i < info->memory_count; i++) {
        uint32_t word = 0;
        if (info->memories[i].kind == PART_MEMORY_FLASH)
            return adiv5_mem_read32(&p->dp, apsel, info->memories[i].start, &word) == BMP_ERR_FAULT;
    }
    return false;
}

/* The APs of the DP connected now: their ROM tables, and the cores behind them. */
static bmp_status scan_dp(probe_session *p, uint32_t targetsel)
{
    adiv5_ap_info aps[8];
    unsigned n = 0;
    bmp_status s = adiv5_discover_aps(&p->dp, aps, 8, &n);
    if (s != BMP_OK) return s;
    p->ap_count += n;
    if (!p->scan_family) p->scan_family = family_from_aps(aps, n);
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
        if (adiv5_mem_read32(&p->dp, aps[i].apsel, CPUID, &cpuid) != BMP_OK) {
            /* A MEM-AP that refuses access on a part whose family knows why (APPROTECT): listed,
             * so that attaching to it says why it fails and what to do. */
            if (p->scan_family && p->scan_family->attach_check && p->target_count < PROBE_MAX_TARGETS) {
                probe_target *t = &p->targets[p->target_count++];
                *t = (probe_target){.targetsel = targetsel, .apsel = aps[i].apsel, .core = CORTEXM_UNKNOWN,
                                    .part_name = p->scan_family->name};
                p->scan_family->attach_check(p, aps[i].apsel, &t->refusal);
            }
            continue;
        }
        cortexm_core core = cortexm_core_from_cpuid(cpuid);
        if (core == CORTEXM_UNKNOWN || p->target_count == PROBE_MAX_TARGETS) continue;
        probe_target *t = &p->targets[p->target_count++];
        *t = (probe_target){.targetsel = targetsel, .apsel = aps[i].apsel, .cpuid = cpuid, .core = core,
                            .part_name = "Cortex-M"};
        part_info info;
        if (family_identify(p, aps[i].apsel, &info)) {
            t->idcode = info.idcode;
            t->part_name = info.name;
            t->flash_closed = flash_closed(p, aps[i].apsel, &info);
        }
    }
    return BMP_OK;
}

/* A plain connection that failed: does a family's multidrop part answer its first TARGETSEL? */
static const target_family *multidrop_answering(probe_session *p)
{
    for (const target_family *const *f = target_families; *f; f++)
        if ((*f)->targetsel_count && connect(p, (*f)->targetsels[0]) == BMP_OK) return *f;
    return 0;
}

bmp_status probe_scan(probe_session *p)
{
    p->connected = false;
    p->attached = -1;
    p->part_known = false;
    p->target_count = p->ap_count = p->component_count = 0;
    p->scan_family = 0;
    const target_family *multidrop = 0;
    bmp_status s = connect(p, 0);
    if (s == BMP_OK) multidrop = family_from_targetid(read_targetid(p));
    else if ((multidrop = multidrop_answering(p)) == 0) {
        p->link->targetsel = 0;
        return s;
    }
    p->connected = true;
    if (!multidrop) return scan_dp(p, 0);
    /* One DP per core: each selected in turn (the others keep off the wire). */
    for (unsigned i = 0; i < multidrop->targetsel_count; i++) {
        if (connect(p, multidrop->targetsels[i]) != BMP_OK) continue;
        if ((s = scan_dp(p, multidrop->targetsels[i])) != BMP_OK) return s;
    }
    return p->target_count ? BMP_OK : BMP_ERR_NO_RESPONSE;
}

bmp_status probe_attach(probe_session *p, unsigned index)
{
    bmp_status s;
    if (!p->connected) {
        if ((s = probe_scan(p)) != BMP_OK) return s;
    } else {
        if (index >= p->target_count) return BMP_ERR_NO_TARGET;
        /* Connect again (line reset, TARGETSEL, power-up): the wire may have been lost since
         * the scan, and a multidrop part's core sits behind its own DP. */
        p->link->targetsel = p->targets[index].targetsel;
        p->dp = (adiv5_dp){0};
        if ((s = adiv5_connect(&p->dp, p->link, p->dormant)) != BMP_OK) {
            p->connected = false;
            return s;
        }
    }
    p->attach_reason = 0;
    if (index >= p->target_count) return BMP_ERR_NO_TARGET;
    if (p->link->targetsel != p->targets[index].targetsel) { /* just scanned: another DP selected */
        p->link->targetsel = p->targets[index].targetsel;
        p->dp = (adiv5_dp){0};
        if ((s = adiv5_connect(&p->dp, p->link, p->dormant)) != BMP_OK) return s;
    }
    p->attached = -1;
    p->core = (cortexm){0};
    p->part_known = false;
    uint8_t apsel = p->targets[index].apsel;
    const target_family *f = p->scan_family;
    if (f && f->attach_check && (s = f->attach_check(p, apsel, &p->attach_reason)) != BMP_OK) return s;
    if ((s = cortexm_attach(&p->core, &p->dp, apsel)) != BMP_OK) return s;
    p->attached = (int)index;
    p->part_known = family_identify(p, apsel, &p->part);
    return BMP_OK;
}

bmp_status probe_detach(probe_session *p)
{
    if (p->attached < 0) return BMP_OK;
    p->attached = -1;
    return cortexm_detach(&p->core);
}

const target_family *probe_family(const probe_session *p)
{
    if (p->attached >= 0 && p->part_known) return p->part.family;
    return p->scan_family;
}

const char *probe_part_name(const probe_session *p)
{
    return p->part_known ? p->part.name : "unknown Cortex-M part";
}
