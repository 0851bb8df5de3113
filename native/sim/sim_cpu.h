/* The instruction executor: the register file and one-instruction steps. Exception entry and
 * return live in sim_exc, the FPU's instructions in sim_fpu, the DSP extension's in sim_dsp;
 * halting debug, the NVIC, SysTick and fault routing in sim_core. */
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

/* xPSR and CONTROL bits (ARMv7-M B1.4.2, B1.4.4) */
#define XPSR_N (1u << 31)
#define XPSR_Z (1u << 30)
#define XPSR_C (1u << 29)
#define XPSR_V (1u << 28)
#define XPSR_Q (1u << 27)
#define XPSR_T (1u << 24)
#define XPSR_ALIGN (1u << 9) /* stacked xPSR: the frame was realigned (B1.5.6) */
#define XPSR_IPSR 0x1FFu     /* 9 bits on ARMv7-M; ARMv6-M implements the low 6 */
#define CONTROL_NPRIV (1u << 0)
#define CONTROL_SPSEL (1u << 1)
#define CONTROL_FPCA (1u << 2)

/* Why a step ended in SIM_STEP_FAULT, as silicon records it (ARMv7-M B3.2.15):
 * - `cfsr` is the one CFSR bit the fault sets: UsageFault bits are CFSR[31:16]
 *   (UNDEFINSTR 1<<16, INVSTATE 1<<17, INVPC 1<<18, NOCP 1<<19, UNALIGNED 1<<24,
 *   DIVBYZERO 1<<25), BusFault bits CFSR[15:8] (IBUSERR 1<<8, PRECISERR 1<<9, ...),
 *   MemManage bits CFSR[7:0]. 0 means a fault with no CFSR bit (a HardFault by itself,
 *   e.g. BKPT with the debugger off, or a vector table read).
 * - `address` is the faulting data address for BFAR/MMFAR when `address_valid`.
 * On ARMv6-M the core takes HardFault whatever the bit, and no CFSR exists. */
typedef struct sim_fault_info {
    uint32_t cfsr;
    uint32_t address;
    bool address_valid;
} sim_fault_info;

#define SIM_CFSR_IACCVIOL (1u << 0)
#define SIM_CFSR_DACCVIOL (1u << 1)
#define SIM_CFSR_MMARVALID (1u << 7)
#define SIM_CFSR_IBUSERR (1u << 8)
#define SIM_CFSR_PRECISERR (1u << 9)
#define SIM_CFSR_IMPRECISERR (1u << 10)
#define SIM_CFSR_UNSTKERR (1u << 11)
#define SIM_CFSR_STKERR (1u << 12)
#define SIM_CFSR_LSPERR (1u << 13)
#define SIM_CFSR_BFARVALID (1u << 15)
#define SIM_CFSR_UNDEFINSTR (1u << 16)
#define SIM_CFSR_INVSTATE (1u << 17)
#define SIM_CFSR_INVPC (1u << 18)
#define SIM_CFSR_NOCP (1u << 19)
#define SIM_CFSR_UNALIGNED (1u << 24)
#define SIM_CFSR_DIVBYZERO (1u << 25)

typedef struct sim_cpu {
    uint32_t r[16];       /* r[13] is the active SP, r[15] the address of the next instruction */
    uint32_t sp_other;    /* the banked SP that is not active (PSP in handler mode, etc.) */
    uint32_t xpsr;        /* APSR flags, EPSR.T (bit 24), IPSR (exception number) */
    uint32_t primask;     /* bit 0 */
    uint32_t control;     /* bit 0 nPRIV, bit 1 SPSEL */
    uint32_t basepri;     /* ARMv7-M only */
    uint32_t faultmask;   /* ARMv7-M only */
    uint32_t s[64];       /* FPU registers: S0-S31, and D16-D31 as s[32..63] on FPv5-D32 parts */
    uint32_t fpscr;
    sim_fault_info fault; /* set whenever a step returns SIM_STEP_FAULT */
    bool event;           /* the event register (SEV, WFE) */
    bool excl_open;       /* the local exclusive monitor is in the Exclusive Access state */
    uint8_t excl_size;    /* ... for the LDREX{B,H} of this size (1, 2, 4) */
    uint32_t excl_addr;   /* ... at this address */
    bool exc_returned;    /* the current step made an exception return (keeps the restored IT) */
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
    SIM_STEP_FAULT     /* UNDEFINED, bus fault, unaligned access, T bit clear, ...: cpu.fault says
                          which; the caller takes the fault; PC points at the faulting instruction */
} sim_step_result;

void sim_cpu_reset(sim_target *t); /* registers to their reset values; does not load SP/PC */
/* Loads SP_main from vtor+0 and PC (with the T bit) from vtor+4, as a reset does. */
bool sim_cpu_load_reset_vector(sim_target *t, uint32_t vtor);

/* Executes one instruction. `*cycles` gets the cycles it took (Cortex-M0+ timing on ARMv6-M
 * profiles, Cortex-M3/M4 figures for the 32-bit encodings). */
sim_step_result sim_cpu_step(sim_target *t, unsigned *cycles);

/* Data accesses as the core's load/store unit makes them (the bus, the DWT watchpoints), for
 * sim_fpu and sim_dsp. The address must be aligned to `size` (as VLDR/VSTR/VLDM/VSTM require):
 * an unaligned one faults UNALIGNED; a bus error faults PRECISERR with BFAR. False on a fault,
 * with cpu.fault set. */
bool sim_cpu_load(sim_target *t, uint32_t addr, unsigned size, uint32_t *out);
bool sim_cpu_store(sim_target *t, uint32_t addr, unsigned size, uint32_t value);

/* Records why the current step faults; returns SIM_STEP_FAULT for `return sim_cpu_fault(...)`. */
static inline sim_step_result sim_cpu_fault(sim_cpu *c, uint32_t cfsr_bit, uint32_t address, bool address_valid)
{
    c->fault.cfsr = cfsr_bit;
    c->fault.address = address;
    c->fault.address_valid = address_valid;
    return SIM_STEP_FAULT;
}

/* Clears the local exclusive monitor (CLREX; exception entry and return do it too, B1.5.6). */
static inline void sim_cpu_clear_exclusive(sim_cpu *c)
{
    c->excl_open = false;
}

/* Debugger access to the register file by DCRSR.REGSEL. False for a REGSEL that does not exist
 * on this core (the FPU registers without an FPU, reserved numbers). */
bool sim_cpu_read_reg(sim_target *t, unsigned regsel, uint32_t *value);
bool sim_cpu_write_reg(sim_target *t, unsigned regsel, uint32_t value);

/* --- mode and stack pointer banking (B1.4.1, B1.4.4) ------------------------------------- */

static inline bool sim_cpu_handler_mode(const sim_cpu *c)
{
    return (c->xpsr & XPSR_IPSR) != 0;
}

static inline bool sim_cpu_psp_active(const sim_cpu *c)
{
    return !sim_cpu_handler_mode(c) && (c->control & CONTROL_SPSEL);
}

static inline uint32_t sim_cpu_get_msp(const sim_cpu *c)
{
    return sim_cpu_psp_active(c) ? c->sp_other : c->r[13];
}

static inline uint32_t sim_cpu_get_psp(const sim_cpu *c)
{
    return sim_cpu_psp_active(c) ? c->r[13] : c->sp_other;
}

static inline void sim_cpu_set_msp(sim_cpu *c, uint32_t v)
{
    if (sim_cpu_psp_active(c)) c->sp_other = v & ~3u;
    else c->r[13] = v & ~3u;
}

static inline void sim_cpu_set_psp(sim_cpu *c, uint32_t v)
{
    if (sim_cpu_psp_active(c)) c->r[13] = v & ~3u;
    else c->sp_other = v & ~3u;
}

/* Changes mode/SPSEL while keeping MSP and PSP where they belong. */
static inline void sim_cpu_switch_stack(sim_cpu *c, uint32_t new_ipsr, uint32_t new_control)
{
    uint32_t msp = sim_cpu_get_msp(c), psp = sim_cpu_get_psp(c);
    c->xpsr = (c->xpsr & ~XPSR_IPSR) | (new_ipsr & XPSR_IPSR);
    c->control = new_control;
    sim_cpu_set_msp(c, msp);
    sim_cpu_set_psp(c, psp);
}

#endif
