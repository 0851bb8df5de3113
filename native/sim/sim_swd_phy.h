/* The simulated SWD wire as a swd_phy, so that the SWD and CMSIS-DAP cores drive the
 * simulated target exactly as the firmware drives GPIO pins. */
#ifndef SIM_SWD_PHY_H
#define SIM_SWD_PHY_H

#include "swd/swd_phy.h"
#include "sim_types.h"

/* Fills `phy` with functions that act on `t` (which must outlive the phy). */
void sim_swd_phy_init(swd_phy *phy, sim_target *t);

#endif
