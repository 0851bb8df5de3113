/* The STM32 independent watchdog (IWDG: RM0008 19, RM0090 21, RM0431 23, RM0444 27, RM0351 37):
 * KR, PR, RLR, SR (and WINR on the parts with the window option) at the profile's iwdg_base,
 * counting down at the LSI clock divided by the prescaler once started, and resetting the chip
 * when it runs out. The debugger's freeze bit (DBG_IWDG_STOP in DBGMCU) stops it while the core
 * is halted. sim_target_advance runs the core in slices that end at the watchdog's deadline, so
 * the reset comes when it is due, however long the time asked for. */
#ifndef SIM_IWDG_H
#define SIM_IWDG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sim_target sim_target;

typedef struct sim_iwdg {
    bool started;        /* KR = 0xCCCC seen since the last reset */
    bool unlocked;       /* KR = 0x5555: PR, RLR and WINR take writes until another key */
    uint8_t pr;          /* prescaler: LSI / (4 << pr), at most / 256 */
    uint16_t rlr;        /* reload value, 12 bits */
    uint16_t winr;       /* window value, 12 bits (parts with the window option) */
    uint16_t load;       /* the counter's value when it was last loaded (0xFFF on start, RLR on reload) */
    uint64_t load_ps;    /* when that was */
    uint64_t frozen_ps;  /* time since then that it did not count (halted, DBG_IWDG_STOP set) */
    uint32_t bites;      /* resets it caused since power-on (for tests) */
} sim_iwdg;

/* Maps the registers when the profile has an IWDG; false if the bus is full. */
bool sim_iwdg_attach(sim_target *t);
/* A system or power-on reset stops it and restores the reset values. */
void sim_iwdg_reset(sim_target *t);
/* When it will run out, in virtual time; UINT64_MAX while it is stopped or frozen. */
uint64_t sim_iwdg_deadline(const sim_target *t);
/* Whether it is frozen now: the core halted with DBG_IWDG_STOP set. */
bool sim_iwdg_frozen(const sim_target *t);
/* The chip's reset by the watchdog. */
void sim_iwdg_bite(sim_target *t);

#endif
