/* The GPIO swd_phy's clock arithmetic (firmware/chip/swd_clock.c), compiled for the PC by
 * scripts/test.mjs: half periods in core cycles for the boards' core clocks, the clock reported
 * never above the one asked for, and the fastest clock from each family's estimate. */
#include <stdio.h>

#include "chip/swd_gpio.h"

static unsigned passed, failed;

static void expect(int ok, const char *what, uint32_t core, uint32_t hz, uint32_t half, uint32_t achieved)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s: core %u Hz, asked %u Hz -> half %u cycles, %u Hz\n", what, (unsigned)core, (unsigned)hz,
               (unsigned)half, (unsigned)achieved);
    }
}

static void exact(uint32_t core, uint32_t min_half, uint32_t hz, uint32_t want_half, uint32_t want_hz)
{
    uint32_t achieved = 0, half = swd_gpio_half_period(core, min_half, hz, &achieved);
    expect(half == want_half && achieved == want_hz, "value", core, hz, half, achieved);
}

int main(void)
{
    /* STLINK-V3MINI: 216 MHz, fastest half period estimated at 6 cycles (18 MHz). */
    exact(216000000u, 6u, 1000000u, 108u, 1000000u);
    exact(216000000u, 6u, 4000000u, 27u, 4000000u);
    exact(216000000u, 6u, 10000000u, 11u, 9818181u);  /* 10.8 cycles rounds up: a little slower */
    exact(216000000u, 6u, 18000000u, 6u, 18000000u);  /* at the estimate: still timed */
    exact(216000000u, 6u, 50000000u, 0u, 18000000u);  /* beyond it: no waiting, the estimate */
    exact(216000000u, 6u, 0u, 108000000u, 1u);        /* 0 Hz is taken as 1 Hz */
    /* DevEBox H7: 400 MHz, fastest half period estimated at 24 cycles (8.3 MHz). */
    exact(400000000u, 24u, 1000000u, 200u, 1000000u);
    exact(400000000u, 24u, 8000000u, 25u, 8000000u);
    exact(400000000u, 24u, 10000000u, 0u, 8333333u);
    exact(400000000u, 24u, 100u, 2000000u, 100u);

    /* Over a sweep: never above the request; within one cycle of it when timed. */
    for (uint32_t hz = 1000u; hz <= 60000000u; hz += hz / 7u + 1u) {
        for (int board = 0; board < 2; board++) {
            uint32_t core = board ? 400000000u : 216000000u, min_half = board ? 24u : 6u;
            uint32_t achieved = 0, half = swd_gpio_half_period(core, min_half, hz, &achieved);
            expect(achieved <= hz, "not above the request", core, hz, half, achieved);
            if (half) {
                expect(half >= min_half, "timed only at or above the estimate", core, hz, half, achieved);
                expect((uint64_t)core <= 2u * (uint64_t)half * hz && (uint64_t)core > 2u * (uint64_t)(half - 1u) * hz,
                       "ceil(core / 2 hz)", core, hz, half, achieved);
            } else {
                expect((uint64_t)core < 2u * (uint64_t)min_half * hz, "untimed only beyond the estimate", core, hz,
                       half, achieved);
            }
        }
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed != 0;
}
