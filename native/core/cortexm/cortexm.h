/* Cortex-M halting debug over ADIv5 (ARMv7-M ARM C1, ARMv6-M ARM C1): identification, halt,
 * resume, step, reset with vector catch, core registers through DCRSR/DCRDR, breakpoints through
 * the FPB (revisions 1 and 2), watchpoints through the DWT, and the halt reason from DFSR. */
#ifndef CORTEXM_H
#define CORTEXM_H

#include "adiv5/adiv5.h"

typedef enum { CORTEXM_UNKNOWN, CORTEXM_M0, CORTEXM_M0P, CORTEXM_M3, CORTEXM_M4, CORTEXM_M7, CORTEXM_M33 } cortexm_core;

typedef enum {
    CORTEXM_HALT_NONE,        /* running */
    CORTEXM_HALT_REQUEST,
    CORTEXM_HALT_STEP,
    CORTEXM_HALT_BREAKPOINT,  /* FPB match or BKPT instruction */
    CORTEXM_HALT_WATCHPOINT,
    CORTEXM_HALT_VECTOR_CATCH,
    CORTEXM_HALT_LOCKUP
} cortexm_halt_reason;

typedef enum { CORTEXM_WATCH_READ = 5, CORTEXM_WATCH_WRITE = 6, CORTEXM_WATCH_ACCESS = 7 } cortexm_watch;

#define CORTEXM_MAX_BREAKPOINTS 8
#define CORTEXM_MAX_WATCHPOINTS 4

typedef struct cortexm {
    adiv5_dp *dp;
    uint8_t apsel;
    uint32_t cpuid;
    cortexm_core core;
    bool has_fpu;
    unsigned fpb_revision;
    unsigned breakpoints;          /* FPB code comparators */
    unsigned watchpoints;          /* DWT comparators */
    uint32_t breakpoint_at[CORTEXM_MAX_BREAKPOINTS]; /* address | 1 when in use */
    uint32_t watchpoint_at[CORTEXM_MAX_WATCHPOINTS];
    uint32_t watchpoint_size[CORTEXM_MAX_WATCHPOINTS];
    unsigned polls;                /* status reads before a time-out */
    uint32_t watch_hit;            /* the comparator address of the last DWT halt | 1 (0: none) */
} cortexm;

/* One word of the target's memory through the core's MEM-AP (adiv5_mem_read32/write32). */
static inline bmp_status cortexm_read32(cortexm *c, uint32_t addr, uint32_t *value)
{
    return adiv5_mem_read32(c->dp, c->apsel, addr, value);
}

static inline bmp_status cortexm_write32(cortexm *c, uint32_t addr, uint32_t value)
{
    return adiv5_mem_write32(c->dp, c->apsel, addr, value);
}

/* The core named by a CPUID value (CORTEXM_UNKNOWN for anything else). */
cortexm_core cortexm_core_from_cpuid(uint32_t cpuid);

/* Identifies the core, enables halting debug (C_DEBUGEN) and the DWT (DEMCR.TRCENA). */
bmp_status cortexm_attach(cortexm *c, adiv5_dp *dp, uint8_t apsel);
/* Clears breakpoints and watchpoints and leaves the core running with debug disabled. */
bmp_status cortexm_detach(cortexm *c);
bmp_status cortexm_halt(cortexm *c);
bmp_status cortexm_resume(cortexm *c);
/* Waits until a core that runs a routine of ours halts or locks up (the routine ends on BKPT):
 * the probe repeats the DHCSR read until S_HALT shows (a value match: no round trip per poll),
 * with a plain read when a match runs out. At most `max_waits` matches (at least one; each
 * DP_LINK_MATCH_RETRIES reads); BMP_ERR_LOADER_TIMEOUT after them. `dhcsr` gets the last value. */
bmp_status cortexm_wait_halted(cortexm *c, uint32_t max_waits, uint32_t *dhcsr);
/* One instruction, optionally with interrupts masked (C_MASKINTS). */
bmp_status cortexm_step(cortexm *c, bool mask_interrupts);
/* Reset through AIRCR.SYSRESETREQ; with `halt`, stop before the first instruction (VC_CORERESET). */
bmp_status cortexm_reset(cortexm *c, bool halt);
/* Reset through the probe's nRST line (pulsed), with the same vector catch. */
bmp_status cortexm_reset_pin(cortexm *c, bool halt);
/* As cortexm_reset, for a reset the part's own register sets off: writing `value` to `addr`
 * (the STM32F0/F3's OBL_LAUNCH). */
bmp_status cortexm_reset_by_write(cortexm *c, bool halt, uint32_t addr, uint32_t value);
/* Why the core is halted (CORTEXM_HALT_NONE while it runs); `watch_address` for watchpoints. */
bmp_status cortexm_halt_reason_of(cortexm *c, cortexm_halt_reason *reason, uint32_t *watch_address);
/* Core registers by DCRSR.REGSEL (0-15, 16 xPSR, 17 MSP, 18 PSP, 20 CONTROL/.../PRIMASK,
 * 0x21 FPSCR, 0x40+n S<n>); the core must be halted. */
bmp_status cortexm_read_register(cortexm *c, unsigned regsel, uint32_t *value);
bmp_status cortexm_write_register(cortexm *c, unsigned regsel, uint32_t value);
/* Reads `count` registers (at most CORTEXM_MAX_BATCH) in one batch: one or two packets on a
 * CMSIS-DAP probe instead of several per register. */
#define CORTEXM_MAX_BATCH 64
bmp_status cortexm_read_registers(cortexm *c, const unsigned *regsel, unsigned count, uint32_t *values);
bmp_status cortexm_write_registers(cortexm *c, const unsigned *regsel, unsigned count, const uint32_t *values);

/* A step and what a debugger reads after it, in one queued batch: the step, a wait for the halt
 * (a value-match read: no round trip), the halt reason, the registers and up to two windows of
 * memory. On a CMSIS-DAP probe that is one round trip instead of a dozen. */
#define CORTEXM_STEP_WINDOWS 2
typedef struct cortexm_step_batch {
    /* in */
    const unsigned *regsel;        /* registers to read after the halt (at most CORTEXM_MAX_BATCH) */
    unsigned count;
    uint32_t *values;
    struct {
        uint32_t addr;             /* word-aligned; memory the caller knows is safe to read */
        uint32_t words;
        uint32_t *data;
    } windows[CORTEXM_STEP_WINDOWS];
    unsigned window_count;
    bool pc_known;                 /* the PC before the step is `pc` (saves a read when the FPB */
    uint32_t pc;                   /* has breakpoints, to step off one at the PC) */
    /* out */
    uint32_t dhcsr, dfsr;          /* after the step: cortexm_halt_reason_from decodes them */
    bool windows_read;             /* false if the slow path ran (the core took long to halt) */
} cortexm_step_batch;
bmp_status cortexm_step_batched(cortexm *c, bool mask_interrupts, cortexm_step_batch *b);
/* The halt reason from DHCSR and DFSR values already read (reads the DWT only for a watchpoint). */
bmp_status cortexm_halt_reason_from(cortexm *c, uint32_t dhcsr, uint32_t dfsr, cortexm_halt_reason *reason,
                                    uint32_t *watch_address);

bmp_status cortexm_set_breakpoint(cortexm *c, uint32_t addr);
bmp_status cortexm_clear_breakpoint(cortexm *c, uint32_t addr);
/* `size` a power of two up to 32 KiB, `addr` aligned to it. */
bmp_status cortexm_set_watchpoint(cortexm *c, uint32_t addr, uint32_t size, cortexm_watch kind);
bmp_status cortexm_clear_watchpoint(cortexm *c, uint32_t addr, uint32_t size);

#endif
