/* The GPIO swd_phy (swd_gpio.h).
 *
 * Timing. Each half period of SWCLK waits on the DWT cycle counter until `half_period` core
 * cycles have passed since the previous wait ended, then writes the next edge: edges are
 * `half_period` cycles apart plus at most one turn of the polling loop (a few cycles), so the
 * clock is at or a little below the frequency set_clock reports, never above it. Bits go out
 * LSB first; the probe changes SWDIO with SWCLK falling and the target samples it on the rising
 * edge; reading, the probe samples SWDIO at the end of the low half, before the rising edge,
 * after which the target drives the next bit (ADIv5, "Serial Wire Debug", timing).
 *
 * Calibration without hardware. half_period = ceil(core_hz / (2 * hz)), with core_hz the core
 * clock chip_clock_init set (216 MHz on the F723, 400 MHz on the H7): so 1 MHz is 108 cycles per
 * half period on the F723 and 200 on the H7, exactly, because the cycle counter counts the same
 * clock the code runs on. What cannot be computed exactly is the fastest the loop can go when it
 * never waits, which bounds the highest clock: the cost of one half period is a store to a
 * GPIO's BSRR (plus, reading, a load from IDR, which stalls the core for the whole bus round
 * trip) and a few instructions. From the reference manuals' bus matrices:
 *   - F72x: GPIO on AHB1 at HCLK = core clock, one bus matrix away: about 2-3 cycles a store,
 *     4-6 a load; estimated 6 cycles a half period, so about 18 MHz at 216 MHz;
 *   - H7: GPIO on AHB4 in the D3 domain at half the core clock, reached from the core's AXI
 *     through the D1 and D3 bus matrices: about 10-12 core cycles a store and 20 or more a
 *     load; estimated 24 cycles a half period, so about 8 MHz at 400 MHz.
 * Those two constants are CHIP_SWD_MIN_HALF_PERIOD_CYCLES in the family headers. A request above
 * what they allow gets half_period 0 (no waiting) and reports the estimate. They are the first
 * thing to measure on a board (SWCLK on a scope at "monitor frequency 50M"), and correct. */
#include "chip/swd_gpio.h"

#include "chip/chip.h"

/* Waits until `half` cycles have passed since `since`; returns the time it stopped waiting. */
static inline uint32_t wait_from(uint32_t since, uint32_t half)
{
    uint32_t now = chip_cycles();
    while (now - since < half) now = chip_cycles();
    return now;
}

static void drive(swd_gpio *g)
{
    if (g->config.separate_input) {
        *g->oe_bsrr = g->oe_on;
    } else {
        *g->io_moder = (*g->io_moder & ~g->moder_mask) | g->moder_output;
    }
    g->driving = true;
}

static void release(swd_gpio *g)
{
    if (g->config.separate_input) {
        *g->oe_bsrr = g->oe_off;
    } else {
        *g->io_moder &= ~g->moder_mask; /* input */
    }
    g->driving = false;
}

static void write_bits(void *ctx, uint32_t bits, unsigned count)
{
    swd_gpio *g = ctx;
    volatile uint32_t *clk = g->clk_bsrr, *io = g->io_bsrr;
    uint32_t clk_low = g->clk_bit << 16, clk_high = g->clk_bit, one = g->io_bit, zero = g->io_bit << 16;
    uint32_t half = g->half_period;
    if (!g->driving) {
        *io = bits & 1u ? one : zero; /* the first bit's level before the driver turns on */
        drive(g);
    }
    if (half == 0) {
        for (unsigned i = 0; i < count; i++, bits >>= 1) {
            *io = bits & 1u ? one : zero;
            *clk = clk_low;
            *clk = clk_high;
        }
        return;
    }
    uint32_t t = chip_cycles();
    for (unsigned i = 0; i < count; i++, bits >>= 1) {
        *io = bits & 1u ? one : zero;
        *clk = clk_low;
        t = wait_from(t, half);
        *clk = clk_high;
        t = wait_from(t, half);
    }
}

static uint32_t read_bits(void *ctx, unsigned count)
{
    swd_gpio *g = ctx;
    volatile uint32_t *clk = g->clk_bsrr;
    const volatile uint32_t *in = g->in_idr;
    uint32_t clk_low = g->clk_bit << 16, clk_high = g->clk_bit, in_bit = g->in_bit;
    uint32_t half = g->half_period, bits = 0;
    if (g->driving) release(g);
    if (half == 0) {
        for (unsigned i = 0; i < count; i++) {
            *clk = clk_low;
            bits |= (*in & in_bit ? 1u : 0u) << i;
            *clk = clk_high;
        }
        return bits;
    }
    uint32_t t = chip_cycles();
    for (unsigned i = 0; i < count; i++) {
        *clk = clk_low;
        t = wait_from(t, half);
        bits |= (*in & in_bit ? 1u : 0u) << i;
        *clk = clk_high;
        t = wait_from(t, half);
    }
    return bits;
}

static uint32_t set_clock(void *ctx, uint32_t hz)
{
    swd_gpio *g = ctx;
    g->half_period = swd_gpio_half_period(chip_core_hz, CHIP_SWD_MIN_HALF_PERIOD_CYCLES, hz, &g->hz);
    return g->hz;
}

static void nrst_drive(swd_gpio *g, bool assert_reset)
{
    const swd_gpio_config *c = &g->config;
    bool level = assert_reset ? c->nrst_assert_level : !c->nrst_assert_level;
    gpio_write(c->nrst.port, c->nrst.pin, level); /* open drain: the released level is high impedance */
}

static uint8_t pins(void *ctx, uint8_t value, uint8_t select)
{
    swd_gpio *g = ctx;
    const swd_gpio_config *c = &g->config;
    if (select & SWD_PIN_SWCLK) *g->clk_bsrr = value & SWD_PIN_SWCLK ? g->clk_bit : g->clk_bit << 16;
    if (select & SWD_PIN_SWDIO) {
        *g->io_bsrr = value & SWD_PIN_SWDIO ? g->io_bit : g->io_bit << 16;
        if (!g->driving) drive(g);
    }
    if (select & SWD_PIN_NRESET) nrst_drive(g, !(value & SWD_PIN_NRESET));

    uint8_t levels = 0;
    if (gpio_read(c->swclk.port, c->swclk.pin)) levels |= SWD_PIN_SWCLK;
    if (*g->in_idr & g->in_bit) levels |= SWD_PIN_SWDIO;
    /* nRESET as the target sees it: for an open-drain pin the line itself; for a pin driving a
     * transistor, the inverse of what the pin asserts. */
    if (gpio_read(c->nrst.port, c->nrst.pin) != c->nrst_assert_level) levels |= SWD_PIN_NRESET;
    return levels;
}

static void delay_us(void *ctx, uint32_t us)
{
    (void)ctx;
    chip_delay_us(us);
}

void swd_gpio_init(swd_gpio *g, const swd_gpio_config *config)
{
    g->config = *config;
    /* A separate input pin needs the driver enable to get off the line; without one, SWDIO is
     * one pin switched between output and input. */
    g->config.separate_input = config->separate_input && config->has_driver_enable;
    const swd_gpio_config *c = &g->config;
    g->phy = (swd_phy){g, write_bits, read_bits, set_clock, pins, delay_us};

    gpio_setup(c->swclk.port, c->swclk.pin, GPIO_MODE_OUTPUT, false, GPIO_SPEED_VERY_HIGH, GPIO_PULL_NONE, 0, true);
    gpio_setup(c->swdio.port, c->swdio.pin, GPIO_MODE_OUTPUT, false, GPIO_SPEED_VERY_HIGH, GPIO_PULL_NONE, 0, true);
    if (c->separate_input)
        gpio_setup(c->swdio_in.port, c->swdio_in.pin, GPIO_MODE_INPUT, false, GPIO_SPEED_LOW, GPIO_PULL_NONE, 0, false);
    if (c->has_driver_enable)
        gpio_setup(c->driver_enable.port, c->driver_enable.pin, GPIO_MODE_OUTPUT, false, GPIO_SPEED_VERY_HIGH,
                   GPIO_PULL_NONE, 0, c->driver_enable_level);
    gpio_setup(c->nrst.port, c->nrst.pin, GPIO_MODE_OUTPUT, c->nrst_open_drain, GPIO_SPEED_LOW,
               c->nrst_open_drain ? GPIO_PULL_UP : GPIO_PULL_NONE, 0, !c->nrst_assert_level);

    uintptr_t clk = chip_gpio_base(c->swclk.port), io = chip_gpio_base(c->swdio.port);
    swd_gpio_pin in = c->separate_input ? c->swdio_in : c->swdio;
    g->clk_bsrr = &GPIO_BSRR(clk);
    g->clk_bit = 1u << c->swclk.pin;
    g->io_bsrr = &GPIO_BSRR(io);
    g->io_bit = 1u << c->swdio.pin;
    g->io_moder = &GPIO_MODER(io);
    g->moder_mask = 3u << (2u * c->swdio.pin);
    g->moder_output = (uint32_t)GPIO_MODE_OUTPUT << (2u * c->swdio.pin);
    g->in_idr = &GPIO_IDR(chip_gpio_base(in.port));
    g->in_bit = 1u << in.pin;
    if (c->has_driver_enable) {
        uint32_t bit = 1u << c->driver_enable.pin;
        g->oe_bsrr = &GPIO_BSRR(chip_gpio_base(c->driver_enable.port));
        g->oe_on = c->driver_enable_level ? bit : bit << 16;
        g->oe_off = c->driver_enable_level ? bit << 16 : bit;
    } else {
        g->oe_bsrr = 0; /* drive() and release() switch the pin's mode instead */
        g->oe_on = g->oe_off = 0;
    }
    g->driving = true;
    set_clock(g, 1000000u);
}
