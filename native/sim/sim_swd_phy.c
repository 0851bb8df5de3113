#include "sim_swd_phy.h"

#include "sim_target.h"

static void write_bits(void *ctx, uint32_t bits, unsigned count)
{
    sim_wire_out(ctx, bits, count);
}

static uint32_t read_bits(void *ctx, unsigned count)
{
    return sim_wire_in(ctx, count);
}

static uint32_t set_clock(void *ctx, uint32_t hz)
{
    sim_dp_set_swd_hz(ctx, hz);
    return hz;
}

/* nRESET drives the target's reset pin (active low); the other pins read back as driven,
 * SWDIO and nRESET idle high. */
static uint8_t pins(void *ctx, uint8_t value, uint8_t select)
{
    sim_target *t = ctx;
    if (select & SWD_PIN_NRESET) sim_target_set_nrst(t, !(value & SWD_PIN_NRESET));
    uint8_t levels = SWD_PIN_SWDIO | SWD_PIN_TDO;
    if (!t->nrst_low) levels |= SWD_PIN_NRESET;
    return levels;
}

static void delay_us(void *ctx, uint32_t us)
{
    sim_target_advance(ctx, (uint64_t)us * 1000000u);
}

void sim_swd_phy_init(swd_phy *phy, sim_target *t)
{
    phy->ctx = t;
    phy->write_bits = write_bits;
    phy->read_bits = read_bits;
    phy->set_clock = set_clock;
    phy->pins = pins;
    phy->delay_us = delay_us;
}
