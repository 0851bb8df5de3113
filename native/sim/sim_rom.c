/* PLACEHOLDER until the core module lands (ROM tables and component IDs). */
#include "sim_target.h"
