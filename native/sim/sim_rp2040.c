/* The RP2040 (RP2040 Datasheet; docs/TARGETS.md lists the facts): two Cortex-M0+ cores, each
 * behind its own SW-DP on one multidrop wire (TARGETSEL 0x01002927 core 0, 0x11002927 core 1),
 * the rescue DP (0xF1002927), the boot ROM with its function table, and the external QSPI
 * flash behind XIP at 0x10000000, which the boot ROM's flash functions erase and program.
 *
 * Two cores: core 0's sim_target owns core 1's (t->peer), which shares its memories and flash
 * (the same buffers behind both buses); each core has its own SCS, FPB, DWT and ROM table, its
 * own DP, and sees its own number in SIO CPUID. The wire (sim_wire.c) clocks both DPs.
 *
 * The boot ROM is our own code (rom/rp2040_bootrom.S): it keeps the datasheet's layout (the
 * magic, the three 16-bit pointers, rom_table_lookup, the functions by their two-letter codes).
 * Its flash functions pass their arguments through model-only registers (FLASHOP, in the
 * XIP_SSI window) to this file, which performs them on the flash model with the flash's times;
 * the ROM waits while FLASHOP reports busy. The flash is a W25Q16JV as on a Pico: 2 MiB, 4 KiB
 * sectors, 64 KiB blocks, 256-byte pages; typical times from the W25Q16JV datasheet.
 *
 * Not modelled: boot2 (the ROM jumps straight to the vector table at 0x10000100), the XIP cache
 * (reads always see the array: "after flash_flush_cache" holds trivially), the SSI's registers,
 * core 1's launch through the SIO FIFOs (it sleeps in the ROM), the XIP aliases at 0x11000000+. */
#include "sim_flash.h"

#include <stdlib.h>
#include <string.h>

#include "sim_target.h"

static const uint8_t boot_rom[] = {
#include "rom/rp2040_bootrom.inc"
};

#define FLASHOP_BASE 0x18000000u
#define OP_ARGS 0x00u
#define OP_COMMAND 0x10u
#define OP_BUSY 0x14u
enum { CMD_CONNECT = 1, CMD_EXIT_XIP, CMD_ERASE, CMD_PROGRAM, CMD_FLUSH_CACHE, CMD_ENTER_CMD_XIP };

#define SYSINFO 0x40000000u
#define CHIP_ID 0x10002927u /* RP2040-B2: REVISION 1, PART 0x0002, MANUFACTURER 0x927 */
#define VREG_AND_CHIP_RESET 0x40064000u
#define CHIP_RESET_OFFSET 0x8u
#define PSM_RESTART_FLAG (1u << 24)
#define SIO 0xD0000000u

#define SECTOR 4096u
#define BLOCK 65536u
#define PAGE 256u
/* W25Q16JV typical: page program 0.4 ms, sector erase 45 ms, 64 KiB block erase 150 ms. */
#define PAGE_PROGRAM_PS 400000000ull
#define SECTOR_ERASE_PS 45000000000ull
#define BLOCK_ERASE_PS 150000000000ull
#define SSI_DIVISOR 6u /* the ROM runs the SSI at clk_sys / 6 */

struct sim_rp2040 {
    uint32_t args[4];
    uint32_t command;
    bool connected; /* connect_internal_flash: the QSPI pins are the SSI's */
    bool xip;       /* the SSI is in XIP mode (after reset, flush_cache, enter_cmd_xip) */
    uint32_t rejected; /* calls that broke the datasheet's rules and did nothing (tests) */
};

static sim_target *owner(sim_target *t) { return t->secondary ? t->peer : t; }
static sim_flash_bank *bank(sim_target *t) { return &owner(t)->flash.banks[0]; }

/* The time the SSI takes to shift `bytes` (command, address and data) at clk_sys / 6. */
static uint64_t shift_ps(const sim_target *t, uint32_t bytes)
{
    uint32_t hz = t->core_hz ? t->core_hz : 1;
    return (uint64_t)bytes * 8u * SSI_DIVISOR * 1000000000000ull / hz;
}

static bool range_ok(const sim_target *t, uint32_t addr, uint32_t count, uint32_t align)
{
    const struct sim_rp2040 *r = t->rp2040;
    return r->connected && !r->xip && addr % align == 0 && count % align == 0 && addr <= t->flash.size &&
           count <= t->flash.size - addr;
}

static void erase(sim_target *caller, uint32_t addr, uint32_t count, uint32_t block_size, uint32_t block_cmd)
{
    sim_target *t = owner(caller);
    if (!range_ok(t, addr, count, SECTOR)) {
        t->rp2040->rejected++;
        return;
    }
    bool blocks = block_size == BLOCK && (block_cmd & 0xFFu) == 0xD8u;
    while (count) {
        bool whole_block = blocks && addr % BLOCK == 0 && count >= BLOCK;
        uint32_t n = whole_block ? BLOCK : SECTOR;
        memset(t->flash.mem + addr, 0xFF, n);
        sim_flash_start(t, bank(t), shift_ps(t, 4) + (whole_block ? BLOCK_ERASE_PS : SECTOR_ERASE_PS));
        addr += n;
        count -= n;
    }
}

static void program(sim_target *caller, uint32_t addr, uint32_t data, uint32_t count)
{
    sim_target *t = owner(caller);
    if (!range_ok(t, addr, count, PAGE)) {
        t->rp2040->rejected++;
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        uint32_t byte = 0xFF;
        sim_bus_read(caller, data + i, 1, &byte, SIM_MASTER_CPU); /* from the caller's view */
        t->flash.mem[addr + i] &= (uint8_t)byte; /* NOR: programming clears bits only */
        if ((i + 1) % PAGE == 0) sim_flash_start(t, bank(t), shift_ps(t, 4 + PAGE) + PAGE_PROGRAM_PS);
    }
}

static sim_bus_status reg_read(sim_target *t, uint32_t offset, uint32_t *value)
{
    struct sim_rp2040 *r = owner(t)->rp2040;
    if (offset < OP_COMMAND) *value = r->args[offset / 4];
    else if (offset == OP_COMMAND) *value = r->command;
    else if (offset == OP_BUSY) *value = sim_flash_busy(owner(t), bank(t)) ? 1 : 0;
    else *value = 0;
    return SIM_BUS_OK;
}

static sim_bus_status reg_write(sim_target *t, uint32_t offset, uint32_t value)
{
    struct sim_rp2040 *r = owner(t)->rp2040;
    if (offset < OP_COMMAND) {
        r->args[offset / 4] = value;
        return SIM_BUS_OK;
    }
    if (offset != OP_COMMAND) return SIM_BUS_OK;
    r->command = value;
    switch (value) {
    case CMD_CONNECT: r->connected = true; break;
    case CMD_EXIT_XIP: r->xip = false; break;
    case CMD_ERASE: erase(t, r->args[0], r->args[1], r->args[2], r->args[3]); break;
    case CMD_PROGRAM: program(t, r->args[0], r->args[1], r->args[2]); break;
    case CMD_FLUSH_CACHE:
    case CMD_ENTER_CMD_XIP: r->xip = true; break;
    default: break;
    }
    return SIM_BUS_OK;
}

/* Writes to the XIP window do not reach the flash. */
static sim_bus_status array_write(sim_target *t, uint32_t offset, unsigned size, uint32_t value)
{
    (void)t, (void)offset, (void)size, (void)value;
    return SIM_BUS_OK;
}

/* SYSINFO: CHIP_ID, PLATFORM (ASIC), GITREF_RP2040. */
static sim_bus_status sysinfo_read(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t *value,
                                   sim_master m)
{
    (void)t, (void)ctx, (void)m;
    uint32_t w = (offset & ~3u) == 0 ? CHIP_ID : (offset & ~3u) == 4 ? 2u : 0u;
    *value = sim_lanes(w, offset, size);
    return SIM_BUS_OK;
}

/* SIO CPUID: the number of the core that reads it. */
static sim_bus_status sio_read(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t *value,
                               sim_master m)
{
    (void)ctx, (void)m;
    *value = sim_lanes((offset & ~3u) == 0 ? t->instance : 0u, offset, size);
    return SIM_BUS_OK;
}

static sim_bus_status chip_reset_read(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t *value,
                                      sim_master m)
{
    (void)ctx, (void)m;
    *value = sim_lanes((offset & ~3u) == CHIP_RESET_OFFSET ? owner(t)->chip_reset : 0u, offset, size);
    return SIM_BUS_OK;
}

static sim_bus_status chip_reset_write(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t value,
                                       sim_master m)
{
    (void)ctx, (void)m;
    if ((offset & ~3u) == CHIP_RESET_OFFSET && size == 4)
        owner(t)->chip_reset = (owner(t)->chip_reset & ~PSM_RESTART_FLAG) | (value & PSM_RESTART_FLAG);
    return SIM_BUS_OK;
}

static void attach(sim_target *t)
{
    if (!t->secondary) t->rp2040 = calloc(1, sizeof *t->rp2040);
    sim_target_load(t, 0, boot_rom, sizeof boot_rom);
    sim_region regions[] = {
        {.name = "SYSINFO", .base = SYSINFO, .size = 0x1000, .kind = SIM_REGION_MMIO, .read = sysinfo_read},
        {.name = "VREG_AND_CHIP_RESET", .base = VREG_AND_CHIP_RESET, .size = 0x1000, .kind = SIM_REGION_MMIO,
         .read = chip_reset_read, .write = chip_reset_write},
        {.name = "SIO", .base = SIO, .size = 0x1000, .kind = SIM_REGION_MMIO, .read = sio_read},
    };
    for (unsigned i = 0; i < sizeof regions / sizeof regions[0]; i++) sim_bus_add(&t->bus, &regions[i]);
}

static void reset(sim_target *t)
{
    struct sim_rp2040 *r = t->rp2040;
    if (!r) return;
    r->connected = false;
    r->xip = true; /* boot2 leaves the SSI in XIP mode */
}

const sim_flash_family_ops sim_flash_rp2040_ops = {reg_read, reg_write, array_write, reset, attach, FLASHOP_BASE,
                                                   0x100};

void sim_rp2040_rescue(sim_target *t)
{
    sim_target *t0 = owner(t);
    t0->chip_reset |= PSM_RESTART_FLAG;
    sim_target_reset(t0, SIM_RESET_SYSTEM);
    if (t0->peer) sim_target_reset(t0->peer, SIM_RESET_SYSTEM);
}

/* The region of `bus` backed by memory at `base`, or NULL. */
static uint8_t *memory_at(sim_bus *bus, uint32_t base)
{
    for (unsigned i = 0; i < bus->count; i++)
        if (bus->regions[i].base == base && bus->regions[i].mem) return bus->regions[i].mem;
    return NULL;
}

int sim_rp2040_add_core1(sim_target *t)
{
    sim_target *c1 = malloc(sizeof *c1);
    if (!c1) return SIM_ERR_NOMEM;
    sim_status s = sim_target_init_instance(c1, t->profile->name, 1);
    if (s != SIM_OK) {
        free(c1);
        return s;
    }
    /* Every memory of core 1's bus becomes core 0's: one SRAM, one ROM, one flash. */
    for (unsigned i = 0; i < c1->bus.count; i++) {
        sim_region *r = &c1->bus.regions[i];
        uint8_t *shared = r->mem ? memory_at(&t->bus, r->base) : NULL;
        if (shared) r->mem = shared;
    }
    for (unsigned i = 0; i < SIM_PROFILE_MAX_MEMORIES; i++) {
        free(c1->memories[i]);
        c1->memories[i] = NULL;
    }
    sim_flash_free(c1);
    c1->peer = t;
    t->peer = c1;
    return SIM_OK;
}
