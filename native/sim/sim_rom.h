/* ROM tables and CoreSight identification registers (ADIv5.2 D3, CoreSight Architecture
 * B2): what a debugger reads to discover the SCS, DWT, FPB and ITM. */
#ifndef SIM_ROM_H
#define SIM_ROM_H

#include "sim_types.h"

typedef enum {
    SIM_COMPONENT_SCS,
    SIM_COMPONENT_DWT,
    SIM_COMPONENT_FPB,
    SIM_COMPONENT_ITM
} sim_component;

/* Adds the ROM tables of the profile to the bus. */
void sim_rom_attach(sim_target *t);
/* The PIDR4-7 / PIDR0-3 / CIDR0-3 word at `offset` (0xFD0-0xFFC) of a Cortex-M component. */
uint32_t sim_rom_component_id(const sim_target *t, sim_component component, uint32_t offset);

#endif
