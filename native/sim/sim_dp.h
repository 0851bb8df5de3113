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
    uint32_t bd_latch;    /* placeholder; the module adds what it needs */
    bool debug_bus;
} sim_ap;

typedef struct sim_dp {
    /* SW-DP registers and wire state: the module adds what it needs. */
    uint32_t ctrl_stat;
    uint32_t select;
    uint32_t rdbuff;
    unsigned ap_count;
    sim_ap aps[SIM_MAX_APS];
    uint32_t swd_hz;      /* SWD clock for virtual time; default 4 MHz */
    /* fault injection */
    uint32_t inject_wait;
    uint32_t inject_fault;
    uint32_t inject_no_ack;
    bool inject_no_ack_forever;
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

#endif
