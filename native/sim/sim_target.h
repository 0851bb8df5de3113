/* A whole simulated microcontroller: one context struct, no global state, so that any number
 * of targets can run side by side. This is the simulator's public entry point. */
#ifndef SIM_TARGET_H
#define SIM_TARGET_H

#include "sim_bus.h"
#include "sim_core.h"
#include "sim_cpu.h"
#include "sim_dp.h"
#include "sim_flash.h"
#include "sim_iwdg.h"
#include "sim_profile.h"
#include "sim_time.h"

struct sim_target {
    const sim_profile *profile;
    uint64_t now_ps;         /* virtual time */
    uint32_t core_hz;        /* core clock, from the profile unless set */
    sim_bus bus;
    sim_cpu cpu;
    sim_core core;
    sim_dp dp;
    sim_flash flash;
    uint8_t *memories[SIM_PROFILE_MAX_MEMORIES];
    uint8_t id_block[0x100]; /* unique ID and flash-size registers */
    uint32_t dbgmcu_cr;
    uint32_t dbgmcu_apb_fz;  /* DBGMCU +8: APB1_FZ (F4, F7, L4) or APB_FZ1 (G0) */
    sim_iwdg iwdg;
    bool nrst_low;           /* the reset pin is held low */
    bool debugger_seen;      /* a debugger has accessed the bus since power-on (RDP level 1) */
    uint32_t reset_count;    /* system resets seen since power-on (for tests) */
    /* Multidrop parts (profile core_count 2, the RP2040): core 0's target owns core 1's (peer),
     * which shares its memories and flash and sits on the same wire (sim_rp2040.c). */
    sim_target *peer;
    bool secondary;          /* this is core 1: peer is core 0, the owner */
    uint8_t instance;        /* TINSTANCE: which TARGETSEL selects this DP */
    uint32_t chip_reset;     /* RP2040 CHIP_RESET (PSM_RESTART_FLAG), core 0's copy */
    struct sim_rp2040 *rp2040; /* the RP2040's flash interface state, core 0's */
};

typedef enum {
    SIM_OK = 0,
    SIM_ERR_PROFILE = -1,  /* unknown profile name */
    SIM_ERR_NOMEM = -2,
    SIM_ERR_RANGE = -3     /* address range not backed by memory */
} sim_status;

sim_status sim_target_init(sim_target *t, const char *profile_name);
/* Core `instance` (> 0) of a multidrop part, as its owner (core 0) creates it. */
sim_status sim_target_init_instance(sim_target *t, const char *profile_name, unsigned instance);
/* Core `index` of a multidrop part (0: t itself), or NULL. */
sim_target *sim_target_core(sim_target *t, unsigned index);
void sim_target_free(sim_target *t);

/* Lets `ps` picoseconds of virtual time pass: the core runs, flash operations progress. */
void sim_target_advance(sim_target *t, uint64_t ps);
void sim_target_reset(sim_target *t, sim_reset_kind kind);
/* Drives the nRST pin. Holding it low keeps the core in reset; releasing it starts the core. */
void sim_target_set_nrst(sim_target *t, bool low);

/* Back doors for tests and loaders: copy bytes into or out of RAM, ROM or flash storage
 * directly, bypassing the bus and the flash controller. */
sim_status sim_target_load(sim_target *t, uint32_t addr, const uint8_t *data, size_t len);
sim_status sim_target_peek(sim_target *t, uint32_t addr, uint8_t *data, size_t len);

#endif
