/* The simulated system bus: an address map of memories and memory-mapped peripherals.
 * Both the core (SIM_MASTER_CPU) and the MEM-APs (SIM_MASTER_DEBUG) access it here. */
#ifndef SIM_BUS_H
#define SIM_BUS_H

#include "sim_types.h"

typedef sim_bus_status (*sim_mmio_read_fn)(sim_target *t, void *ctx, uint32_t offset,
                                           unsigned size, uint32_t *value, sim_master m);
typedef sim_bus_status (*sim_mmio_write_fn)(sim_target *t, void *ctx, uint32_t offset,
                                            unsigned size, uint32_t value, sim_master m);

typedef enum {
    SIM_REGION_RAM,   /* read/write memory */
    SIM_REGION_ROM,   /* read-only memory: writes are ignored (system memory, OTP, ID registers) */
    SIM_REGION_FLASH, /* reads come from `mem`; writes go to `write` (the flash controller) */
    SIM_REGION_MMIO   /* every access goes to `read` / `write` */
} sim_region_kind;

typedef struct sim_region {
    const char *name;
    uint32_t base;
    uint32_t size;
    sim_region_kind kind;
    uint8_t *mem;            /* RAM, ROM, FLASH: backing store, `size` bytes */
    sim_mmio_read_fn read;   /* MMIO only */
    sim_mmio_write_fn write; /* MMIO, and FLASH programming writes */
    void *ctx;               /* handed to read / write */
    bool debug_only;         /* visible to SIM_MASTER_DEBUG only (e.g. a debug-bus view) */
} sim_region;

#define SIM_BUS_MAX_REGIONS 40

typedef struct sim_bus {
    sim_region regions[SIM_BUS_MAX_REGIONS]; /* kept sorted by base, never overlapping */
    unsigned count;
} sim_bus;

void sim_bus_init(sim_bus *bus);
/* Adds a region; returns it, or NULL if the table is full or it overlaps another one. */
sim_region *sim_bus_add(sim_bus *bus, const sim_region *region);
/* The region holding `addr`, or NULL. */
const sim_region *sim_bus_find(const sim_bus *bus, uint32_t addr);

/* One naturally aligned access of 1, 2 or 4 bytes. A misaligned access, an access
 * across the end of a region, or an unmapped address answers SIM_BUS_FAULT. */
sim_bus_status sim_bus_read(sim_target *t, uint32_t addr, unsigned size, uint32_t *value,
                            sim_master m);
sim_bus_status sim_bus_write(sim_target *t, uint32_t addr, unsigned size, uint32_t value,
                             sim_master m);

#endif
