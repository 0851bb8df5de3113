/* ARMv6-M (Thumb) instruction executor: the register file, one-instruction steps,
 * exception entry and return (ARMv6-M ARM, B1.5). Halting debug, the NVIC and
 * SysTick live in sim_core; this module only executes. */
#ifndef SIM_CPU_H
#define SIM_CPU_H

#include "sim_types.h"

/* DCRSR.REGSEL numbers (ARMv7-M ARM C1.6.3), used by the debugger-facing accessors. */
enum {
    SIM_REG_SP = 13,
    SIM_REG_LR = 14,
    SIM_REG_PC = 15,            /* DebugReturnAddress */
    SIM_REG_XPSR = 16,
    SIM_REG_MSP = 17,
    SIM_REG_PSP = 18,
    SIM_REG_SPECIAL = 20,       /* CONTROL[31:24] FAULTMASK[23:16] BASEPRI[15:8] PRIMASK[7:0] */
    SIM_REG_FPSCR = 0x21,
    SIM_REG_S0 = 0x40           /* S0..S31 = 0x40..0x5F */
};

typedef struct sim_cpu {
    uint32_t r[16];       /* r[13] is the active SP, r[15] the address of the next instruction */
    uint32_t sp_other;    /* the banked SP that is not active (PSP in handler mode, etc.) */
    uint32_t xpsr;        /* APSR flags, EPSR.T (bit 24), IPSR (exception number) */
    uint32_t primask;     /* bit 0 */
    uint32_t control;     /* bit 0 nPRIV, bit 1 SPSEL */
    uint32_t basepri;     /* ARMv7-M only: held for the debugger, not acted on */
    uint32_t faultmask;   /* ARMv7-M only: held for the debugger, not acted on */
    uint32_t s[32];       /* FPU registers, held for the debugger on FPU profiles */
    uint32_t fpscr;
    bool event;           /* the event register (SEV, WFE) */
    uint8_t bkpt_imm;     /* immediate of the last BKPT that stopped a step */
    uint64_t cycles;      /* core cycles executed since power-on */
    uint64_t instructions;/* instructions retired since power-on (counted by the run loop) */
    /* Fast-path caches: the last regions hit by instruction fetch and by data accesses.
     * They point into t->bus.regions, which never moves after sim_target_init. */
    const struct sim_region *fetch_region;
    const struct sim_region *data_region;
} sim_cpu;

typedef enum {
    SIM_STEP_OK = 0,   /* executed; PC moved on */
    SIM_STEP_BKPT,     /* BKPT: PC still points at it, bkpt_imm holds the immediate */
    SIM_STEP_SVC,      /* SVC: PC moved past it; the caller takes SVCall (exception 11) */
    SIM_STEP_WFI,      /* WFI executed, PC moved past it */
    SIM_STEP_WFE,      /* WFE executed with the event register clear, PC moved past it */
    SIM_STEP_FAULT     /* UNDEFINED, bus fault, unaligned access or T bit clear: the
                          caller takes HardFault; PC points at the faulting instruction */
} sim_step_result;

void sim_cpu_reset(sim_target *t); /* registers to their reset values; does not load SP/PC */
/* Loads SP_main from vtor+0 and PC (with the T bit) from vtor+4, as a reset does. */
bool sim_cpu_load_reset_vector(sim_target *t, uint32_t vtor);

/* Executes one instruction. `*cycles` gets the cycles it took (Cortex-M0+ timing). */
sim_step_result sim_cpu_step(sim_target *t, unsigned *cycles);

/* Exception entry (ARMv6-M ARM B1.5.6): pushes the frame on the active stack, sets LR to the
 * EXC_RETURN value, IPSR to `number`, switches to MSP and loads PC from the vector table at
 * `vtor`. Returns false if the push or the vector fetch faults (the caller locks up or escalates). */
bool sim_cpu_exception_entry(sim_target *t, unsigned number, uint32_t vtor);

/* Debugger access to the register file by DCRSR.REGSEL. False for a REGSEL that does not exist
 * on this core (the FPU registers without an FPU, reserved numbers). */
bool sim_cpu_read_reg(sim_target *t, unsigned regsel, uint32_t *value);
bool sim_cpu_write_reg(sim_target *t, unsigned regsel, uint32_t value);

#endif
