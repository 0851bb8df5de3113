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
    uint32_t cyccnt;      /* CYCCNT when last frozen or written */
    uint64_t cyccnt_since;/* cpu.cycles at that moment, while counting */
    uint32_t comp[SIM_DWT_MAX_COMPARATORS];
    uint32_t mask[SIM_DWT_MAX_COMPARATORS];
    uint32_t function[SIM_DWT_MAX_COMPARATORS];
    bool active;          /* a data-address comparator is enabled: the executor reports accesses */
    bool hit;             /* a comparator matched during the current instruction */
} sim_dwt;

#define SIM_NVIC_IRQS 96
#define SIM_EXCEPTIONS (16 + SIM_NVIC_IRQS)

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
    bool running;         /* inside sim_core_run: sim_core_now_ps follows the instructions */
    uint64_t clock_cycles;/* core clock cycles since power-on, asleep and halted included */
    uint64_t epoch_ps;    /* time and clock count when core_hz was last taken up */
    uint64_t epoch_cycles;
    uint32_t epoch_hz;
    bool step_pending;    /* C_STEP: halt after the next instruction */
    bool regrdy;          /* DHCSR.S_REGRDY */
    bool retire_st;       /* DHCSR.S_RETIRE_ST (clears on read) */
    bool reset_st;        /* DHCSR.S_RESET_ST (clears on read) */
    /* System control block */
    uint32_t aircr_prigroup;
    uint32_t scr, ccr, shcsr, cfsr, hfsr, mmfar, bfar, cpacr, fpccr;
    uint8_t shpr[12];     /* SHPR1-3: priorities of exceptions 4..15 */
    /* SysTick (B3.3) */
    uint32_t syst_csr, syst_rvr, syst_cvr;
    uint8_t syst_prescale;/* external reference clock: core clock / 8 */
    /* NVIC and exception state, by exception number */
    bool pending[SIM_EXCEPTIONS];
    bool pending_any;     /* some pending[] may be set: the run loop looks only then */
    bool active[SIM_EXCEPTIONS];
    bool irq_enabled[SIM_NVIC_IRQS];
    uint8_t irq_priority[SIM_NVIC_IRQS];
    sim_fpb fpb;
    sim_dwt dwt;
} sim_core;

/* DFSR bits (ARMv7-M C1.6.1) */
#define SIM_DFSR_HALTED 0x01u
#define SIM_DFSR_BKPT 0x02u
#define SIM_DFSR_DWTTRAP 0x04u
#define SIM_DFSR_VCATCH 0x08u
#define SIM_DFSR_EXTERNAL 0x10u

/* Adds the PPB components (SCS, DWT, FPB, ITM, ROM tables) to the bus. */
void sim_core_attach(sim_target *t);
void sim_core_reset(sim_target *t, sim_reset_kind kind);

/* Lets the core run (if it is not halted or asleep) up to virtual time `until_ps`. */
void sim_core_run(sim_target *t, uint64_t until_ps);

/* Called by the executor when an exception return has unstacked exception `number`. */
void sim_core_exception_returned(sim_target *t, unsigned number);
/* Raises an interrupt line (external interrupt `irq`): sets it pending. */
void sim_core_set_irq_pending(sim_target *t, unsigned irq);

/* Called by the executor after each data access when dwt.active is set. */
void sim_dwt_on_access(sim_target *t, uint32_t addr, unsigned size, bool is_write, uint32_t value);

/* The time as a bus access sees it: inside the run loop, the time of the executing instruction
 * (t->now_ps is already the end of the run); else t->now_ps. */
uint64_t sim_core_now_ps(const sim_target *t);

#endif
