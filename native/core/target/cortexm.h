/* Cortex-M halting debug over ADIv5 (ARMv7-M ARM C1, ARMv6-M ARM C1): identification, halt,
 * resume, step, reset with vector catch, core registers through DCRSR/DCRDR, breakpoints through
 * the FPB (revisions 1 and 2), watchpoints through the DWT, and the halt reason from DFSR. */
#ifndef CORTEXM_H
#define CORTEXM_H

#include "target/adiv5.h"

/* Errors: the dp_link_status values (negative, -1..-6) pass through; these follow. */
typedef enum {
    CORTEXM_OK = 0,
    CORTEXM_TIMEOUT = -20,      /* the core did not halt, or a register transfer never completed */
    CORTEXM_NOT_HALTED = -21,   /* the operation needs a halted core */
    CORTEXM_NO_RESOURCE = -22,  /* no free FPB or DWT comparator */
    CORTEXM_INVALID = -23       /* an address, size or register the hardware cannot take */
} cortexm_status;

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

/* The core named by a CPUID value (CORTEXM_UNKNOWN for anything else). */
cortexm_core cortexm_core_from_cpuid(uint32_t cpuid);

/* Identifies the core, enables halting debug (C_DEBUGEN) and the DWT (DEMCR.TRCENA). */
int cortexm_attach(cortexm *c, adiv5_dp *dp, uint8_t apsel);
/* Clears breakpoints and watchpoints and leaves the core running with debug disabled. */
int cortexm_detach(cortexm *c);
int cortexm_halt(cortexm *c);
int cortexm_resume(cortexm *c);
/* One instruction, optionally with interrupts masked (C_MASKINTS). */
int cortexm_step(cortexm *c, bool mask_interrupts);
/* Reset through AIRCR.SYSRESETREQ; with `halt`, stop before the first instruction (VC_CORERESET). */
int cortexm_reset(cortexm *c, bool halt);
/* Reset through the probe's nRST line (pulsed), with the same vector catch. */
int cortexm_reset_pin(cortexm *c, bool halt);
/* Why the core is halted (CORTEXM_HALT_NONE while it runs); `watch_address` for watchpoints. */
int cortexm_halt_reason_of(cortexm *c, cortexm_halt_reason *reason, uint32_t *watch_address);
/* Core registers by DCRSR.REGSEL (0-15, 16 xPSR, 17 MSP, 18 PSP, 20 CONTROL/.../PRIMASK,
 * 0x21 FPSCR, 0x40+n S<n>); the core must be halted. */
int cortexm_read_register(cortexm *c, unsigned regsel, uint32_t *value);
int cortexm_write_register(cortexm *c, unsigned regsel, uint32_t value);
/* Reads `count` registers (at most CORTEXM_MAX_BATCH) in one batch: one or two packets on a
 * CMSIS-DAP probe instead of several per register. */
#define CORTEXM_MAX_BATCH 64
int cortexm_read_registers(cortexm *c, const unsigned *regsel, unsigned count, uint32_t *values);
int cortexm_write_registers(cortexm *c, const unsigned *regsel, unsigned count, const uint32_t *values);

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
int cortexm_step_batched(cortexm *c, bool mask_interrupts, cortexm_step_batch *b);
/* The halt reason from DHCSR and DFSR values already read (reads the DWT only for a watchpoint). */
int cortexm_halt_reason_from(cortexm *c, uint32_t dhcsr, uint32_t dfsr, cortexm_halt_reason *reason,
                             uint32_t *watch_address);

int cortexm_set_breakpoint(cortexm *c, uint32_t addr);
int cortexm_clear_breakpoint(cortexm *c, uint32_t addr);
/* `size` a power of two up to 32 KiB, `addr` aligned to it. */
int cortexm_set_watchpoint(cortexm *c, uint32_t addr, uint32_t size, cortexm_watch kind);
int cortexm_clear_watchpoint(cortexm *c, uint32_t addr, uint32_t size);

#endif
