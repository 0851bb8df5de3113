#include "sim_bus.h"

#include <string.h>

#include "sim_target.h"

void sim_bus_init(sim_bus *bus)
{
    memset(bus, 0, sizeof *bus);
}

static uint64_t region_end(const sim_region *r)
{
    return (uint64_t)r->base + r->size;
}

sim_region *sim_bus_add(sim_bus *bus, const sim_region *region)
{
    if (bus->count >= SIM_BUS_MAX_REGIONS || region->size == 0) return NULL;
    if ((uint64_t)region->base + region->size > 0x100000000ull) return NULL;
    unsigned at = 0;
    while (at < bus->count && bus->regions[at].base < region->base) at++;
    if (at > 0 && region_end(&bus->regions[at - 1]) > region->base) return NULL;
    if (at < bus->count && region_end(region) > bus->regions[at].base) return NULL;
    memmove(&bus->regions[at + 1], &bus->regions[at], (bus->count - at) * sizeof(sim_region));
    bus->regions[at] = *region;
    bus->count++;
    return &bus->regions[at];
}

const sim_region *sim_bus_find(const sim_bus *bus, uint32_t addr)
{
    unsigned lo = 0, hi = bus->count;
    while (lo < hi) { /* last region whose base <= addr */
        unsigned mid = (lo + hi) / 2;
        if (bus->regions[mid].base <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return NULL;
    const sim_region *r = &bus->regions[lo - 1];
    return addr - r->base < r->size ? r : NULL;
}

static const sim_region *route(const sim_target *t, uint32_t addr, unsigned size, sim_master m)
{
    if ((size != 1 && size != 2 && size != 4) || (addr & (size - 1))) return NULL;
    const sim_region *r = sim_bus_find(&t->bus, addr);
    if (!r || (r->debug_only && m != SIM_MASTER_DEBUG)) return NULL;
    if (addr - r->base + size > r->size) return NULL;
    return r;
}

sim_bus_status sim_bus_read(sim_target *t, uint32_t addr, unsigned size, uint32_t *value,
                            sim_master m)
{
    const sim_region *r = route(t, addr, size, m);
    if (m == SIM_MASTER_DEBUG) t->debugger_seen = true;
    if (!r) return SIM_BUS_FAULT;
    /* RDP level 1: the flash answers a debugger's reads with a bus error (sim_flash.h). */
    if (r->kind == SIM_REGION_FLASH && m == SIM_MASTER_DEBUG && sim_flash_debug_locked_out(t)) return SIM_BUS_FAULT;
    if (r->kind == SIM_REGION_MMIO) {
        if (!r->read) return SIM_BUS_FAULT;
        return r->read(t, r->ctx, addr - r->base, size, value, m);
    }
    *value = sim_get_le(r->mem + (addr - r->base), size);
    return SIM_BUS_OK;
}

sim_bus_status sim_bus_write(sim_target *t, uint32_t addr, unsigned size, uint32_t value,
                             sim_master m)
{
    const sim_region *r = route(t, addr, size, m);
    if (m == SIM_MASTER_DEBUG) t->debugger_seen = true;
    if (!r) return SIM_BUS_FAULT;
    switch (r->kind) {
    case SIM_REGION_RAM:
        sim_put_le(r->mem + (addr - r->base), size, value);
        return SIM_BUS_OK;
    case SIM_REGION_ROM:
        return SIM_BUS_OK;
    case SIM_REGION_FLASH:
    case SIM_REGION_MMIO:
        if (!r->write) return SIM_BUS_FAULT;
        return r->write(t, r->ctx, addr - r->base, size, value, m);
    }
    return SIM_BUS_FAULT;
}
