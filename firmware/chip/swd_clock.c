/* The GPIO swd_phy's clock arithmetic (swd_gpio.h; the calibration is explained in swd_gpio.c).
 * Apart from the GPIO code so that a PC can test it (test/firmware/swd_clock_test.c). */
#include "chip/swd_gpio.h"

uint32_t swd_gpio_half_period(uint32_t core_hz, uint32_t min_half, uint32_t hz, uint32_t *achieved_hz)
{
    if (min_half == 0) min_half = 1;
    if (hz == 0) hz = 1;
    /* ceil(core / (2 hz)) without overflow: core_hz and 2 hz both fit in 64 bits. */
    uint64_t twice = 2u * (uint64_t)hz;
    uint64_t half = ((uint64_t)core_hz + twice - 1u) / twice;
    if (half > 0xFFFFFFFFu) half = 0xFFFFFFFFu;
    if (half < min_half) {
        *achieved_hz = core_hz / (2u * min_half);
        return 0; /* as fast as the code goes: no wait at all */
    }
    *achieved_hz = (uint32_t)(core_hz / (2u * half));
    return (uint32_t)half;
}
