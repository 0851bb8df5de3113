/* Virtual time: the simulator's clock is a count of picoseconds (uint64: about 213 days).
 * SWD clock cycles, core cycles and flash busy times are all converted to it. */
#ifndef SIM_TIME_H
#define SIM_TIME_H

#include "sim_types.h"

#define SIM_PS_PER_SECOND 1000000000000ull

/* Duration of `cycles` cycles of a clock at `hz`, rounded up. */
uint64_t sim_time_cycles_to_ps(uint64_t cycles, uint32_t hz);
/* Whole cycles of a clock at `hz` that fit in `ps` (rounded down). */
uint64_t sim_time_ps_to_cycles(uint64_t ps, uint32_t hz);

#endif
