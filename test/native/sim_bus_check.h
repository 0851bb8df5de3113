/* Bus accesses for the simulator's tests, each of which must succeed (a CHECK): reads return the
 * value (0xDEADBEEF if the access failed). dbg_*: the debugger's 32-bit accesses, as a MEM-AP's. */
#ifndef SIM_BUS_CHECK_H
#define SIM_BUS_CHECK_H

#include "check.h"
#include "sim_target.h"

static inline uint32_t bus_rd(sim_target *t, uint32_t addr, unsigned size, sim_master m)
{
    uint32_t v = 0xDEADBEEF;
    CHECK_EQ(sim_bus_read(t, addr, size, &v, m), SIM_BUS_OK);
    return v;
}

static inline void bus_wr(sim_target *t, uint32_t addr, unsigned size, uint32_t value, sim_master m)
{
    CHECK_EQ(sim_bus_write(t, addr, size, value, m), SIM_BUS_OK);
}

static inline uint32_t dbg_rd32(sim_target *t, uint32_t addr) { return bus_rd(t, addr, 4, SIM_MASTER_DEBUG); }
static inline void dbg_wr32(sim_target *t, uint32_t addr, uint32_t value) { bus_wr(t, addr, 4, value, SIM_MASTER_DEBUG); }

#endif
