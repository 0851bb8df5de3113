/* The Cortex-M core around the executor: the System Control Space (DHCSR, DCRSR, DCRDR,
 * DEMCR, AIRCR, DFSR, VTOR, ICSR, SHPR, SHCSR, the fault status registers, the FP context
 * registers, SysTick, NVIC), exception priorities and fault routing, halting debug, the FPB,
 * the DWT, the ITM stub and the ROM tables that let a debugger discover them. */
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

#define SIM_NVIC_IRQS 160 /* the most any profile implements (sim_core.c irq_lines) */
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
    bool sleep_wfe;       /* ... asleep in WFE: an event wakes it too */
    bool sev_event;       /* SCR.SEVONPEND: an interrupt became pending (sets the event register) */
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
    /* System control block. `shcsr` holds only the enable bits (16-18); the active and pending
     * bits are read from active[] and pending[]. */
    uint32_t aircr_prigroup;
    uint32_t scr, ccr, shcsr, cfsr, hfsr, mmfar, bfar, cpacr;
    uint32_t fpccr, fpcar, fpdscr; /* FP context control (ARMv7-M B3.2.20-B3.2.22) */
    uint8_t shpr[12];     /* SHPR1-3: priorities of exceptions 4..15 */
    /* SysTick (B3.3) */
    uint32_t syst_csr, syst_rvr, syst_cvr;
    uint8_t syst_prescale;/* external reference clock: core clock / 8 */
    /* NVIC and exception state, by exception number */
    bool pending[SIM_EXCEPTIONS];
    bool pending_any;     /* some pending[] may be set: the run loop looks only then */
    /* Bumped on every change of the pending, active, enabled or priority state; the run loop
     * does not look again at pending exceptions it found masked until this or the masks
     * (PRIMASK, BASEPRI, FAULTMASK) change. */
    uint32_t state_version;
    bool masked_valid;
    uint32_t masked_version, masked_masks;
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

/* Exception numbers (ARMv7-M B1.5.2) */
enum {
    SIM_EXC_RESET = 1,
    SIM_EXC_NMI = 2,
    SIM_EXC_HARDFAULT = 3,
    SIM_EXC_MEMMANAGE = 4,
    SIM_EXC_BUSFAULT = 5,
    SIM_EXC_USAGEFAULT = 6,
    SIM_EXC_SVCALL = 11,
    SIM_EXC_DEBUGMON = 12,
    SIM_EXC_PENDSV = 14,
    SIM_EXC_SYSTICK = 15
};

/* HFSR, SHCSR, CCR and FPCCR bits (ARMv7-M B3.2) */
#define SIM_HFSR_VECTTBL (1u << 1)
#define SIM_HFSR_FORCED (1u << 30)
#define SIM_HFSR_DEBUGEVT (1u << 31)
#define SIM_SHCSR_MEMFAULTENA (1u << 16)
#define SIM_SHCSR_BUSFAULTENA (1u << 17)
#define SIM_SHCSR_USGFAULTENA (1u << 18)
#define SIM_CCR_NONBASETHRDENA (1u << 0)
#define SIM_CCR_USERSETMPEND (1u << 1)
#define SIM_CCR_UNALIGN_TRP (1u << 3)
#define SIM_CCR_DIV_0_TRP (1u << 4)
#define SIM_CCR_BFHFNMIGN (1u << 8)
#define SIM_CCR_STKALIGN (1u << 9)
#define SIM_FPCCR_LSPACT (1u << 0)
#define SIM_FPCCR_USER (1u << 1)
#define SIM_FPCCR_THREAD (1u << 3)
#define SIM_FPCCR_HFRDY (1u << 4)
#define SIM_FPCCR_MMRDY (1u << 5)
#define SIM_FPCCR_BFRDY (1u << 6)
#define SIM_FPCCR_MONRDY (1u << 8)
#define SIM_FPCCR_LSPEN (1u << 30)
#define SIM_FPCCR_ASPEN (1u << 31)

/* Execution priority (B1.5.4): the group priority of the highest-priority active exception,
 * boosted by BASEPRI, PRIMASK and FAULTMASK; 256 in thread mode with nothing boosting. */
int sim_core_execution_priority(const sim_target *t);
/* The priority of exception `number` as programmed (-3, -2, -1 for Reset, NMI, HardFault). */
int sim_core_exception_priority(const sim_target *t, unsigned number);

/* Takes the fault cpu.fault describes (the step that returned SIM_STEP_FAULT): records it in
 * CFSR/BFAR/MMFAR, then enters its handler, escalates it to HardFault (HFSR.FORCED) when the
 * handler is disabled or cannot preempt, or locks up at priority -1/-2. On ARMv6-M profiles:
 * HardFault, no status registers. Vector catch halts as DEMCR asks. */
void sim_core_fault(sim_target *t);

/* For sim_exc: an exception return failed (INVPC, UNSTKERR in cpu.fault) after the returning
 * exception was deactivated. The fault is taken without stacking: the frame is still on the
 * stack and LR holds the EXC_RETURN value (B1.5.8). */
void sim_core_fault_on_return(sim_target *t);

/* Called by sim_exc when an exception return deactivates exception `number`: clears its
 * active state and, unless it is NMI, FAULTMASK (B1.5.8 DeActivate). */
void sim_core_exception_returned(sim_target *t, unsigned number);
/* Number of active exceptions. */
unsigned sim_core_active_count(const sim_target *t);
/* Raises an interrupt line (external interrupt `irq`): sets it pending. */
void sim_core_set_irq_pending(sim_target *t, unsigned irq);

/* Called by the executor after each data access when dwt.active is set. */
void sim_dwt_on_access(sim_target *t, uint32_t addr, unsigned size, bool is_write, uint32_t value);

/* The time as a bus access sees it: inside the run loop, the time of the executing instruction
 * (t->now_ps is already the end of the run); else t->now_ps. */
uint64_t sim_core_now_ps(const sim_target *t);

#endif
