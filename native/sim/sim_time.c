#include "sim_time.h"

/* 128-bit intermediates keep the conversions exact for any duration the
 * 64-bit picosecond clock can hold; the simulator only runs on 64-bit hosts. */
uint64_t sim_time_cycles_to_ps(uint64_t cycles, uint32_t hz)
{
    if (hz == 0) return 0;
    unsigned __int128 num = (unsigned __int128)cycles * SIM_PS_PER_SECOND + (hz - 1);
    return (uint64_t)(num / hz);
}

uint64_t sim_time_ps_to_cycles(uint64_t ps, uint32_t hz)
{
    return (uint64_t)((unsigned __int128)ps * hz / SIM_PS_PER_SECOND);
}
