/* PLACEHOLDER until the flash module lands: replaced wholesale by the module owner. */
#include <stdlib.h>
#include <string.h>
#include "sim_target.h"
bool sim_flash_attach(sim_target *t)
{
    const sim_profile *p = t->profile;
    t->flash.mem = malloc(p->flash_size);
    if (!t->flash.mem) return false;
    memset(t->flash.mem, 0xFF, p->flash_size);
    t->flash.base = p->flash_base;
    t->flash.size = p->flash_size;
    sim_region r = {.name = "flash", .base = p->flash_base, .size = p->flash_size, .kind = SIM_REGION_FLASH, .mem = t->flash.mem};
    if (!sim_bus_add(&t->bus, &r)) return false;
    if (p->flash_alias_at_zero) { r.base = 0; r.name = "boot alias"; if (!sim_bus_add(&t->bus, &r)) return false; }
    return true;
}
void sim_flash_free(sim_target *t) { free(t->flash.mem); t->flash.mem = NULL; }
void sim_flash_reset(sim_target *t, sim_reset_kind kind) { (void)t; (void)kind; }
void sim_flash_inject_error(sim_target *t) { t->flash.inject_error = true; }
