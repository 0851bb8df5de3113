/* Bit-banding: see sim_bitband.h. */
#include "sim_bitband.h"

#include "sim_target.h"

typedef struct {
    uint32_t region_base; /* the bit-band region the alias maps onto */
} bitband_alias;

static const bitband_alias sram_alias = {SIM_BITBAND_SRAM_BASE};
static const bitband_alias periph_alias = {SIM_BITBAND_PERIPH_BASE};

/* The access an alias access of `size` bytes at `offset` makes: `size` bytes at *addr, bit *bit. */
static void target_of(const bitband_alias *a, uint32_t offset, unsigned size, uint32_t *addr, unsigned *bit)
{
    uint32_t byte = a->region_base + (offset >> 5);
    *addr = byte & ~(uint32_t)(size - 1);
    *bit = (byte - *addr) * 8 + ((offset >> 2) & 7);
}

static sim_bus_status alias_read(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t *value,
                                 sim_master m)
{
    uint32_t addr, data = 0;
    unsigned bit;
    target_of(ctx, offset, size, &addr, &bit);
    sim_bus_status s = sim_bus_read(t, addr, size, &data, m);
    if (s != SIM_BUS_OK) return s;
    *value = (data >> bit) & 1;
    return SIM_BUS_OK;
}

static sim_bus_status alias_write(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t value,
                                  sim_master m)
{
    uint32_t addr, data = 0;
    unsigned bit;
    target_of(ctx, offset, size, &addr, &bit);
    /* read-modify-write, atomic since nothing else runs between the two */
    sim_bus_status s = sim_bus_read(t, addr, size, &data, m);
    if (s != SIM_BUS_OK) return s;
    data = (value & 1) ? data | (1u << bit) : data & ~(1u << bit);
    return sim_bus_write(t, addr, size, data, m);
}

bool sim_bitband_attach(sim_target *t)
{
    if (t->profile->core != SIM_CORE_M3 && t->profile->core != SIM_CORE_M4) return true;
    const sim_region sram = {.name = "bit-band alias (SRAM)", .base = SIM_BITBAND_SRAM_ALIAS,
                             .size = SIM_BITBAND_ALIAS_SIZE, .kind = SIM_REGION_MMIO,
                             .read = alias_read, .write = alias_write, .ctx = (void *)&sram_alias};
    const sim_region periph = {.name = "bit-band alias (peripherals)", .base = SIM_BITBAND_PERIPH_ALIAS,
                               .size = SIM_BITBAND_ALIAS_SIZE, .kind = SIM_REGION_MMIO,
                               .read = alias_read, .write = alias_write, .ctx = (void *)&periph_alias};
    return sim_bus_add(&t->bus, &sram) && sim_bus_add(&t->bus, &periph);
}

uint32_t sim_bitband_alias(uint32_t addr, unsigned bit)
{
    if (addr - SIM_BITBAND_SRAM_BASE < SIM_BITBAND_REGION_SIZE)
        return SIM_BITBAND_SRAM_ALIAS + (addr - SIM_BITBAND_SRAM_BASE) * 32 + (bit & 7) * 4;
    if (addr - SIM_BITBAND_PERIPH_BASE < SIM_BITBAND_REGION_SIZE)
        return SIM_BITBAND_PERIPH_ALIAS + (addr - SIM_BITBAND_PERIPH_BASE) * 32 + (bit & 7) * 4;
    return 0;
}
