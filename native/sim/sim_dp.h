/* The debug port as a debugger sees it: the SWD wire (bit level), the SW-DP (ADIv5.2 B4),
 * the MEM-APs (ADIv5.2 C2), and fault injection. */
#ifndef SIM_DP_H
#define SIM_DP_H

#include "sim_types.h"

/* ACK values on the wire (ADIv5.2 B4.2.2); 7 is what a host reads when nobody answers. */
enum { SIM_ACK_OK = 1, SIM_ACK_WAIT = 2, SIM_ACK_FAULT = 4, SIM_ACK_NONE = 7 };

typedef enum {
    SIM_FAULT_WAIT,         /* the next `count` AP accesses answer WAIT */
    SIM_FAULT_FAULT,        /* the next AP access faults on the bus (sets STICKYERR) */
    SIM_FAULT_NO_ACK,       /* the target stops answering (absent) for `count` transfers; 0 = until cleared */
    SIM_FAULT_STICKY_ORUN,  /* set STICKYORUN now */
    SIM_FAULT_CLEAR         /* cancel every injected fault */
} sim_fault_kind;

#define SIM_MAX_APS 4

typedef struct sim_ap {
    uint32_t csw, tar, idr, base, cfg;
    bool debug_bus;       /* APB-AP onto the debug bus: reaches only debug_only regions */
    bool ctrl_ap;         /* the nRF52's CTRL-AP */
} sim_ap;

/* Protocol state of the SWD wire, seen from the target (ADIv5.2 B4, B5). */
typedef enum {
    SIM_WIRE_JTAG,        /* SWJ-DP after power-on: waits for a select sequence */
    SIM_WIRE_DORMANT,     /* DPv2: waits for the selection alert and activation code */
    SIM_WIRE_NEED_RESET,  /* SWD selected: a line reset must follow */
    SIM_WIRE_LINE_RESET,  /* 50+ ones seen: leaves on the first 0 */
    SIM_WIRE_IDLE,        /* between packets */
    SIM_WIRE_REQUEST,     /* collecting the 8 request bits */
    SIM_WIRE_TURN_TO_ACK, /* turnaround before the target drives ACK */
    SIM_WIRE_ACK,
    SIM_WIRE_READ_DATA,   /* target drives 32 data bits and parity */
    SIM_WIRE_TURN_BACK,   /* turnaround back to the host */
    SIM_WIRE_WRITE_TURN,  /* turnaround before the host drives write data */
    SIM_WIRE_WRITE_DATA,  /* host drives 32 data bits and parity */
    SIM_WIRE_TARGETSEL,   /* multidrop TARGETSEL: nobody answers; collect the data */
    SIM_WIRE_LOCKOUT      /* protocol error or deselected: silent until a line reset */
} sim_wire_state;

typedef struct sim_wire {
    sim_wire_state state;
    uint32_t ones;         /* consecutive host-driven ones */
    uint32_t history[4];   /* the last 128 host-driven bits, for the DPv2 selection alert */
    uint32_t shift;        /* bits being collected */
    unsigned count;        /* bits collected, or cycles left in a turnaround */
    uint32_t request;
    unsigned ack;
    uint64_t data;         /* read data and parity, or write data collected */
    unsigned select_bits;  /* JTAG-to-SWD or activation code collection (0 = not collecting) */
    uint32_t select_shift;
    bool alerted;          /* DPv2: selection alert seen */
    unsigned after_reset;  /* host bits since the last line reset (SWD-to-dormant detection) */
    uint32_t after_reset_shift;
} sim_wire;

typedef struct sim_dp {
    uint32_t ctrl_stat;   /* writable bits and sticky flags; the ACK bits are computed */
    uint64_t power_request_ps; /* when CxxxPWRUPREQ last changed: the ACKs follow 1 µs later */
    uint32_t select;
    uint32_t rdbuff;      /* result of the last AP read (posted reads, ADIv5.2 B4.2.5) */
    uint32_t turnaround;  /* DLCR.TURNROUND + 1, in cycles */
    bool need_dpidr;      /* after a line reset only a DPIDR read is answered */
    bool deselected;      /* DPv2 multidrop: TARGETSEL did not match */
    unsigned ap_count;
    sim_ap aps[SIM_MAX_APS];
    uint32_t swd_hz;      /* SWD clock for virtual time; default 4 MHz */
    uint32_t tar_wrap;    /* TAR auto-increment stays inside blocks of this size (bytes) */
    sim_wire wire;
    /* fault injection */
    uint32_t inject_wait;
    uint32_t inject_fault;
    uint32_t inject_no_ack;
    bool inject_no_ack_forever;
    uint32_t inject_after;  /* transfers that pass untouched before the injected faults act */
} sim_dp;

void sim_dp_init(sim_target *t);                        /* from the profile */
void sim_dp_reset(sim_target *t, sim_reset_kind kind);  /* POWER_ON resets the DP; others do not */

/* Transaction level: one complete SWD transfer without the bit-level wire. `addr` is A[3:2]
 * as a byte offset (0, 4, 8, 0xC). Advances virtual time by the cycles the transfer takes on
 * the wire. Returns the ACK (SIM_ACK_*). */
unsigned sim_dp_transfer(sim_target *t, bool ap, bool read, unsigned addr, uint32_t *data);

/* Bit level (the simulated side of swd_phy): clock `n` (1..32) cycles with the host driving
 * SWDIO with `bits`, LSB first; or with the host's driver off, returning what the host samples
 * (an undriven line reads 1: pull-up). Each cycle advances virtual time by one SWD period. */
void sim_wire_out(sim_target *t, uint32_t bits, unsigned n);
uint32_t sim_wire_in(sim_target *t, unsigned n);

void sim_fault_inject(sim_target *t, sim_fault_kind kind, uint32_t count);
/* The injected faults wait until `transfers` more SWD transfers have passed: a fault in the
 * middle of a long operation, scheduled before it starts. */
void sim_fault_defer(sim_target *t, uint32_t transfers);
void sim_dp_set_swd_hz(sim_target *t, uint32_t hz);
/* TAR auto-increment block: 4096 on the Cortex-M AHB-APs modelled here (what OpenOCD relies on,
 * ADIv5 IHI0031C 7.2.2); 1024 is the architectural minimum, for testing hosts that must not rely
 * on more. A power of two from 1024 to 4096; returns false otherwise. */
bool sim_dp_set_tar_wrap(sim_target *t, uint32_t bytes);

/* Used by the wire: the two halves of a transfer. begin decides the ACK (and, for a read, the
 * data); finish applies a write's data once its data phase has been clocked. */
unsigned sim_dp_begin(sim_target *t, bool ap, bool read, unsigned addr, uint32_t *data);
void sim_dp_finish_write(sim_target *t, bool ap, unsigned addr, uint32_t data, bool parity_ok);
/* Line reset seen on the wire. */
void sim_dp_line_reset(sim_target *t);

#endif
