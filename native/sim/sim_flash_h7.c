/* PLACEHOLDER until the flash module lands. */
#include "sim_target.h"
