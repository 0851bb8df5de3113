/* The STM32 independent watchdog (IWDG: RM0008 19, RM0090 21, RM0444 27, RM0351 37): KR, PR,
 * RLR and SR at the profile's iwdg_base, counting down at the LSI clock divided by the
 * prescaler once started, and resetting the chip when it reaches zero. The debugger's freeze
 * bit (DBG_IWDG_STOP in DBGMCU) stops it while the core is halted. */
#ifndef SIM_IWDG_H
#define SIM_IWDG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sim_target sim_target;

typedef struct sim_iwdg {
    bool started;     /* KR = 0xCCCC seen since the last reset */
    bool unlocked;    /* KR = 0x5555: PR and RLR take writes until another key */
    uint8_t pr;       /* prescaler: LSI / (4 << pr), at most / 256 */
    uint16_t rlr;     /* reload value, 12 bits */
    uint64_t elapsed_ps; /* counting time since the last reload (frozen time excluded) */
    uint32_t bites;   /* resets it caused since power-on (for tests) */
} sim_iwdg;

/* Maps the registers when the profile has an IWDG; false if the bus is full. */
bool sim_iwdg_attach(sim_target *t);
/* A system or power-on reset stops it and restores the reset values. */
void sim_iwdg_reset(sim_target *t);
/* Counts `ps` of virtual time just run; resets the chip if the counter ran out. */
void sim_iwdg_advance(sim_target *t, uint64_t ps);

#endif
