#include "sim_time.h"

/* Exact for any duration the 64-bit picosecond clock can hold, in 64-bit arithmetic only (the
 * simulator also runs inside the probe firmware's QEMU build, on a 32-bit core): the products
 * that would need 128 bits are split at 10^6, so that every partial product fits 64 bits. */
#define MILLION 1000000ull

uint64_t sim_time_cycles_to_ps(uint64_t cycles, uint32_t hz)
{
    if (hz == 0) return 0;
    /* cycles * 10^12 / hz = whole * 10^12 + (rest * 10^6 / hz) * 10^6, with rest < hz < 2^32 */
    uint64_t whole = cycles / hz, rest = cycles % hz;
    uint64_t scaled = rest * MILLION; /* < 2^52 */
    uint64_t micro = scaled / hz, left = scaled % hz;
    /* left * 10^6 < 2^52: only this last division rounds, up */
    return whole * SIM_PS_PER_SECOND + micro * MILLION + (left * MILLION + hz - 1) / hz;
}

uint64_t sim_time_ps_to_cycles(uint64_t ps, uint32_t hz)
{
    /* ps * hz / 10^12 with ps = whole * 10^12 + high * 10^6 + low (high, low < 10^6) */
    uint64_t whole = ps / SIM_PS_PER_SECOND, rest = ps % SIM_PS_PER_SECOND;
    uint64_t high = rest / MILLION, low = rest % MILLION;
    uint64_t product = high * hz; /* < 2^52 */
    uint64_t upper = product / MILLION, lower = product % MILLION;
    /* lower * 10^6 + low * hz < 2^53: only this last division rounds, down */
    return whole * hz + upper + (lower * MILLION + low * hz) / SIM_PS_PER_SECOND;
}
