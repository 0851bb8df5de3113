#include "sim_target.h"

#include "sim_bitband.h"

#include <stdlib.h>
#include <string.h>

/* DBGMCU (RM0008 31.16, RM0090 38.16, RM0433 60.5): IDCODE read-only at +0, CR at +4, the
 * first peripheral freeze register at +8 (F4/F7/L4 APB1_FZ, G0 APB_FZ1: the IWDG's stop bit). */
static sim_bus_status dbgmcu_read(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                                  uint32_t *value, sim_master m)
{
    (void)ctx;
    (void)m;
    uint32_t word;
    switch (offset & ~3u) {
    case 0x0: word = t->profile->dbgmcu_idcode; break;
    case 0x4: word = t->dbgmcu_cr; break;
    case 0x8: word = t->dbgmcu_apb_fz; break;
    default: word = 0; break;
    }
    *value = sim_lanes(word, offset, size);
    return SIM_BUS_OK;
}

static sim_bus_status dbgmcu_write(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                                   uint32_t value, sim_master m)
{
    (void)ctx;
    (void)m;
    if ((offset & ~3u) == 0x4 && size == 4) t->dbgmcu_cr = value;
    if ((offset & ~3u) == 0x8 && size == 4) t->dbgmcu_apb_fz = value;
    return SIM_BUS_OK;
}

static bool add_dbgmcu(sim_target *t, uint32_t base, bool debug_only)
{
    sim_region r = {.name = "DBGMCU", .base = base, .size = 0x400, .kind = SIM_REGION_MMIO,
                    .read = dbgmcu_read, .write = dbgmcu_write, .debug_only = debug_only};
    return sim_bus_add(&t->bus, &r) != NULL;
}

/* The unique device ID and flash-size registers share one small read-only block. */
static bool add_id_block(sim_target *t)
{
    const sim_profile *p = t->profile;
    if (!p->uid_base && !p->flash_size_reg) return true; /* not ST: none */
    uint32_t base = (p->uid_base < p->flash_size_reg ? p->uid_base : p->flash_size_reg) & ~0xFu;
    uint32_t top = (p->uid_base + 12 > p->flash_size_reg + 2 ? p->uid_base + 12 : p->flash_size_reg + 2);
    uint32_t size = (top - base + 3) & ~3u;
    if (size > sizeof t->id_block) return false;
    memset(t->id_block, 0xFF, sizeof t->id_block);
    /* A fixed, plausible unique ID: lot number, wafer and X/Y position. */
    static const uint8_t uid[12] = {0x36, 0x00, 0x2D, 0x00, 0x12, 0x51, 0x34, 0x33,
                                    0x38, 0x35, 0x37, 0x31};
    memcpy(t->id_block + (p->uid_base - base), uid, sizeof uid);
    sim_put_le(t->id_block + (p->flash_size_reg - base), 2, p->flash_size / 1024);
    sim_region r = {.name = "device ID", .base = base, .size = size, .kind = SIM_REGION_ROM,
                    .mem = t->id_block};
    return sim_bus_add(&t->bus, &r) != NULL;
}

sim_status sim_target_init(sim_target *t, const char *profile_name)
{
    return sim_target_init_instance(t, profile_name, 0);
}

sim_status sim_target_init_instance(sim_target *t, const char *profile_name, unsigned instance)
{
    memset(t, 0, sizeof *t);
    t->instance = (uint8_t)instance;
    t->secondary = instance != 0;
    t->profile = sim_profile_find(profile_name);
    if (!t->profile) return SIM_ERR_PROFILE;
    t->core_hz = t->profile->core_hz;
    sim_bus_init(&t->bus);
    for (unsigned i = 0; i < t->profile->memory_count; i++) {
        const sim_memory_desc *d = &t->profile->memories[i];
        t->memories[i] = malloc(d->size);
        if (!t->memories[i]) {
            sim_target_free(t);
            return SIM_ERR_NOMEM;
        }
        memset(t->memories[i], d->fill, d->size);
        sim_region r = {.name = d->name, .base = d->base, .size = d->size, .kind = d->kind,
                        .mem = t->memories[i]};
        if (!sim_bus_add(&t->bus, &r)) {
            sim_target_free(t);
            return SIM_ERR_RANGE;
        }
    }
    bool ok = add_id_block(t) && (!t->profile->dbgmcu_base || add_dbgmcu(t, t->profile->dbgmcu_base, false));
    if (ok && t->profile->dbgmcu_debug_base)
        ok = add_dbgmcu(t, t->profile->dbgmcu_debug_base, true);
    ok = ok && sim_bitband_attach(t) && sim_iwdg_attach(t);
    if (!ok || !sim_flash_attach(t)) {
        sim_target_free(t);
        return ok ? SIM_ERR_NOMEM : SIM_ERR_RANGE;
    }
    sim_core_attach(t);
    sim_dp_init(t);
    sim_target_reset(t, SIM_RESET_POWER_ON);
    if (t->profile->core_count > 1 && !t->secondary) {
        sim_status s = (sim_status)sim_rp2040_add_core1(t);
        if (s != SIM_OK) sim_target_free(t);
        return s;
    }
    return SIM_OK;
}

sim_target *sim_target_core(sim_target *t, unsigned index)
{
    if (index == 0) return t;
    return index == 1 && t->peer && !t->secondary ? t->peer : NULL;
}

void sim_target_free(sim_target *t)
{
    if (t->peer && !t->secondary) { /* core 1, whose memories are core 0's */
        sim_target_free(t->peer);
        free(t->peer);
        t->peer = NULL;
    }
    free(t->rp2040);
    t->rp2040 = NULL;
    for (unsigned i = 0; i < SIM_PROFILE_MAX_MEMORIES; i++) {
        free(t->memories[i]);
        t->memories[i] = NULL;
    }
    sim_flash_free(t);
}

void sim_target_advance(sim_target *t, uint64_t ps)
{
    /* In slices that end where the watchdog would run out: the core runs up to it, and if no
     * refresh came meanwhile the chip is reset there and runs on. Time the watchdog is frozen
     * (judged at the start of a slice) does not count. */
    const uint64_t until = t->now_ps + ps;
    for (;;) {
        uint64_t deadline = sim_iwdg_deadline(t);
        uint64_t to = deadline < until ? (deadline > t->now_ps ? deadline : t->now_ps) : until;
        bool frozen = sim_iwdg_frozen(t);
        uint64_t slice = to - t->now_ps;
        t->now_ps = to;
        sim_core_run(t, to);
        if (frozen) t->iwdg.frozen_ps += slice;
        if (sim_iwdg_deadline(t) <= t->now_ps) sim_iwdg_bite(t);
        if (t->now_ps >= until) break;
    }
    if (t->peer && !t->secondary) sim_target_advance(t->peer, ps);
}

void sim_target_reset(sim_target *t, sim_reset_kind kind)
{
    if (kind == SIM_RESET_POWER_ON) {
        for (unsigned i = 0; i < t->profile->memory_count; i++)
            if (t->profile->memories[i].kind == SIM_REGION_RAM && t->memories[i]) /* core 1: core 0's */
                memset(t->memories[i], 0, t->profile->memories[i].size);
        t->dbgmcu_cr = 0;
        t->dbgmcu_apb_fz = 0;
        t->iwdg.bites = 0;
        t->reset_count = 0;
        t->debugger_seen = false;
    } else {
        t->reset_count++;
    }
    if (kind != SIM_RESET_CORE) {
        sim_flash_reset(t, kind);
        sim_iwdg_reset(t);
    }
    sim_dp_reset(t, kind);
    sim_core_reset(t, kind);
}

void sim_target_set_nrst(sim_target *t, bool low)
{
    if (low && !t->nrst_low) sim_target_reset(t, SIM_RESET_SYSTEM);
    t->nrst_low = low;
    if (t->peer && !t->secondary) sim_target_set_nrst(t->peer, low); /* one pin for the chip */
}

/* Finds backing storage for [addr, addr+len) within one region. */
static uint8_t *storage(sim_target *t, uint32_t addr, size_t len)
{
    const sim_region *r = sim_bus_find(&t->bus, addr);
    if (!r || !r->mem || len > r->size - (addr - r->base)) return NULL;
    return r->mem + (addr - r->base);
}

sim_status sim_target_load(sim_target *t, uint32_t addr, const uint8_t *data, size_t len)
{
    while (len > 0) {
        const sim_region *r = sim_bus_find(&t->bus, addr);
        if (!r || !r->mem) return SIM_ERR_RANGE;
        size_t chunk = r->size - (addr - r->base);
        if (chunk > len) chunk = len;
        memcpy(storage(t, addr, chunk), data, chunk);
        addr += (uint32_t)chunk;
        data += chunk;
        len -= chunk;
    }
    return SIM_OK;
}

sim_status sim_target_peek(sim_target *t, uint32_t addr, uint8_t *data, size_t len)
{
    while (len > 0) {
        const sim_region *r = sim_bus_find(&t->bus, addr);
        if (!r || !r->mem) return SIM_ERR_RANGE;
        size_t chunk = r->size - (addr - r->base);
        if (chunk > len) chunk = len;
        memcpy(data, storage(t, addr, chunk), chunk);
        addr += (uint32_t)chunk;
        data += chunk;
        len -= chunk;
    }
    return SIM_OK;
}
