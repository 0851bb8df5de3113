/* What a debugger does with a probe, above the link: scan the debug port for Cortex-M cores
 * (the Black Magic Probe's `swdp_scan`), attach to one of them by number, and identify the part
 * behind it. One context per probe; no global state. The GDB server and the addon's Target API
 * both stand on this. */
#ifndef PROBE_SESSION_H
#define PROBE_SESSION_H

#include "cortexm/cortexm.h"
#include "families/parts.h"
#include "adiv5/romtable.h"

#define PROBE_MAX_TARGETS 4
#define PROBE_MAX_COMPONENTS 32

struct target_family;

typedef struct probe_target {
    uint32_t targetsel; /* the TARGETSEL that selects its DP on a multidrop wire (0: none) */
    uint8_t apsel;      /* the MEM-AP the core sits behind */
    uint32_t cpuid;
    cortexm_core core;
    uint32_t idcode;    /* the part's identity register as its family read it (ST: DBGMCU IDCODE; 0 if unknown) */
    const char *part_name; /* the part as its family identified it, "Cortex-M" if none did */
    const char *refusal;   /* why this core cannot be attached as it is (its family's reason), or NULL */
    bool flash_closed;     /* its flash faults the debugger's reads: read-out protection */
} probe_target;

typedef struct probe_session {
    dp_link *link;
    adiv5_dp dp;
    bool connected;
    bool dormant;                 /* wake the DP from dormant state (DPv2) rather than JTAG-to-SWD */
    unsigned target_count;        /* found by the last scan */
    probe_target targets[PROBE_MAX_TARGETS];
    unsigned ap_count;
    unsigned component_count;     /* CoreSight components found by the last scan's ROM walk */
    /* The family the scan recognised from the APs alone (a part whose MEM-AP refuses access:
     * its monitor commands, e.g. a recovery, are reachable without attaching), or NULL. */
    const struct target_family *scan_family;
    const char *attach_reason;    /* why the last attach was refused, if its family said (else NULL) */
    coresight_component components[PROBE_MAX_COMPONENTS];
    int attached;                 /* index into targets, or -1 */
    cortexm core;
    bool part_known;
    part_info part;
} probe_session;

void probe_session_init(probe_session *p, dp_link *link);

/* Connects to the DP (JTAG-to-SWD, then the dormant wake-up if that finds nothing), finds the MEM-APs, walks their ROM tables and lists the Cortex-M cores.
 * A multidrop part (its DP TARGETID, or a plain connection failing where one of the families'
 * TARGETSELs answers) is scanned DP by DP through its family's TARGETSEL list.
 * Forgets any attached target (without touching it). The cores found are in targets[0,
 * target_count): none is not an error. */
bmp_status probe_scan(probe_session *p);

/* Attaches to target `index` (0-based) of the last scan: reconnects to the DP, asks the family
 * whether the part can be attached as it is (attach_reason says why not), turns halting debug
 * on and identifies the part through the family table. Scans first if no scan has been done. */
bmp_status probe_attach(probe_session *p, unsigned index);

/* Leaves the attached core running with debug off. No-op when nothing is attached. */
bmp_status probe_detach(probe_session *p);

/* The part's name, or a generic one when it was not identified. */
const char *probe_part_name(const probe_session *p);

/* The family whose monitor commands apply now: the attached part's, else the one the scan
 * recognised. NULL if none. */
const struct target_family *probe_family(const probe_session *p);

/* Names of core kinds, for messages ("Cortex-M4"). */
const char *probe_core_name(cortexm_core core);

#endif
