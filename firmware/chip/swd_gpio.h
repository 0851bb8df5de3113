/* The swd_phy of the probe boards (native/core/swd/swd_phy.h): SWCLK and SWDIO bit-banged on
 * GPIO pins, timed on the core's cycle counter, with nRST. SWDIO is either one pin switched
 * between output and input, or (STLINK-V3) an output pin feeding a buffer whose driver is
 * enabled by a third pin, and a separate input pin reading the line. */
#ifndef SWD_GPIO_H
#define SWD_GPIO_H

#include <stdbool.h>
#include <stdint.h>

#include "swd/swd_phy.h"

typedef struct swd_gpio_pin {
    uint8_t port, pin; /* port A = 0 */
} swd_gpio_pin;

typedef struct swd_gpio_config {
    swd_gpio_pin swclk;
    swd_gpio_pin swdio;            /* driven by the probe */
    bool separate_input;           /* swdio_in reads the line; else swdio is switched to input */
    swd_gpio_pin swdio_in;
    bool has_driver_enable;        /* a pin enables the SWDIO driver (STLINK-V3) */
    swd_gpio_pin driver_enable;
    bool driver_enable_level;      /* the level that enables it */
    swd_gpio_pin nrst;
    bool nrst_assert_level;        /* the pin's level that holds the target in reset */
    bool nrst_open_drain;          /* released = high impedance (else driven to the other level) */
} swd_gpio_config;

typedef struct swd_gpio {
    swd_phy phy;                   /* what the cores take: its ctx is this struct */
    swd_gpio_config config;
    volatile uint32_t *clk_bsrr, *io_bsrr, *io_moder, *in_idr, *oe_bsrr;
    uint32_t clk_bit, io_bit, in_bit, oe_on, oe_off, moder_mask, moder_output;
    uint32_t half_period;          /* core cycles per half SWCLK period; 0: as fast as the code runs */
    uint32_t hz;                   /* the SWD clock set_clock reported */
    bool driving;                  /* SWDIO driven by the probe */
} swd_gpio;

/* Sets the pins up (SWCLK high, SWDIO driven high, nRST released) and the clock to 1 MHz. The
 * cycle counter (chip_cycle_counter_init) must be running. */
void swd_gpio_init(swd_gpio *g, const swd_gpio_config *config);

/* The half period for a requested SWD clock, and the clock it gives: ceil(core / (2 hz)) cycles,
 * so never faster than asked. A request that needs fewer than the family's
 * CHIP_SWD_MIN_HALF_PERIOD_CYCLES gets 0 (no waiting: the code runs as fast as it can) and
 * reports the clock that estimate gives. In swd_clock.c, apart from the GPIO, so that it can be
 * tested on a PC (test/firmware/swd_clock_test.c). */
uint32_t swd_gpio_half_period(uint32_t core_hz, uint32_t min_half, uint32_t hz, uint32_t *achieved_hz);

#endif
