/* The Cortex-M core around the executor: the System Control Space (DHCSR, DCRSR, DCRDR,
 * DEMCR, AIRCR, DFSR, VTOR, ICSR, SHPR, SysTick, NVIC), halting debug, the FPB, the DWT,
 * the ITM stub and the ROM tables that let a debugger discover them. */
#ifndef SIM_CORE_H
#define SIM_CORE_H

#include "sim_types.h"

#define SIM_FPB_MAX_COMPARATORS 8
#define SIM_DWT_MAX_COMPARATORS 4

typedef struct sim_fpb {
    uint32_t ctrl;
    uint32_t remap;
    uint32_t comp[SIM_FPB_MAX_COMPARATORS + 2];
    bool active; /* any comparator enabled and FP_CTRL.ENABLE set: the run loop checks PCs */
} sim_fpb;

typedef struct sim_dwt {
    uint32_t ctrl;
    uint32_t cyccnt_base; /* CYCCNT = cpu.cycles - cyccnt_base while enabled */
    uint32_t comp[SIM_DWT_MAX_COMPARATORS];
    uint32_t mask[SIM_DWT_MAX_COMPARATORS];
    uint32_t function[SIM_DWT_MAX_COMPARATORS];
    bool active;          /* a data-address comparator is enabled: the executor reports accesses */
} sim_dwt;

typedef struct sim_core {
    uint32_t dhcsr;       /* control bits as written, plus the S_ status bits */
    uint32_t dcrsr;
    uint32_t dcrdr;
    uint32_t demcr;
    uint32_t dfsr;
    uint32_t vtor;
    bool halted;
    bool sleeping;        /* WFI/WFE until an interrupt or event */
    bool lockup;
    uint64_t time_ps;     /* virtual time the core has run up to */
    sim_fpb fpb;
    sim_dwt dwt;
    /* NVIC, SysTick, SHPR, pending and active exception state: the module adds what it needs. */
} sim_core;

/* Adds the PPB components (SCS, DWT, FPB, ITM, ROM tables) to the bus. */
void sim_core_attach(sim_target *t);
void sim_core_reset(sim_target *t, sim_reset_kind kind);

/* Lets the core run (if it is not halted or asleep) up to virtual time `until_ps`. */
void sim_core_run(sim_target *t, uint64_t until_ps);

/* Called by the executor when an exception return has unstacked exception `number`. */
void sim_core_exception_returned(sim_target *t, unsigned number);
/* Called by the executor after each data access when dwt.active is set. */
void sim_dwt_on_access(sim_target *t, uint32_t addr, unsigned size, bool is_write, uint32_t value);

#endif
