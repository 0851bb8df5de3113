/* The bit-level seam under the SWD protocol (docs/ARCHITECTURE.md, "The two seams"): clock bits out with SWDIO driven,
 * clock bits in with SWDIO released, drive and read the debug pins, wait. The firmware
 * implements it with GPIO; the PC with the simulated wire. No OS headers. */
#ifndef SWD_PHY_H
#define SWD_PHY_H

#include <stdint.h>

/* Pin bits as DAP_SWJ_Pins numbers them (CMSIS-DAP "DAP_SWJ_Pins"). */
enum {
    SWD_PIN_SWCLK = 1u << 0,
    SWD_PIN_SWDIO = 1u << 1,
    SWD_PIN_TDI = 1u << 2,
    SWD_PIN_TDO = 1u << 3,
    SWD_PIN_NTRST = 1u << 5,
    SWD_PIN_NRESET = 1u << 7
};

typedef struct swd_phy {
    void *ctx;
    /* Clock `count` (1..32) cycles driving SWDIO with `bits`, least significant bit first. */
    void (*write_bits)(void *ctx, uint32_t bits, unsigned count);
    /* Clock `count` (1..32) cycles with SWDIO released; the sampled bits, first in bit 0. */
    uint32_t (*read_bits)(void *ctx, unsigned count);
    /* Sets the SWD clock; returns the frequency actually used. */
    uint32_t (*set_clock)(void *ctx, uint32_t hz);
    /* Drives the pins in `select` to the levels in `value`; returns the levels of all pins. */
    uint8_t (*pins)(void *ctx, uint8_t value, uint8_t select);
    /* Waits `us` microseconds. */
    void (*delay_us)(void *ctx, uint32_t us);
} swd_phy;

#endif
