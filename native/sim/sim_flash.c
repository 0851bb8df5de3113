#include "sim_flash.h"

#include "sim_core.h"

#include <stdlib.h>
#include <string.h>

#include "sim_target.h"

static const sim_flash_family_ops *ops_for(const sim_target *t)
{
    switch (t->profile->flash_family) {
    case SIM_FLASH_F0:
    case SIM_FLASH_F1: return &sim_flash_f1_ops;
    case SIM_FLASH_F4:
    case SIM_FLASH_F7: return &sim_flash_f4_ops;
    case SIM_FLASH_G0:
    case SIM_FLASH_L4: return &sim_flash_g0_ops;
    case SIM_FLASH_NRF52: return &sim_flash_nrf52_ops;
    case SIM_FLASH_RP2040: return &sim_flash_rp2040_ops;
    default: return &sim_flash_h7_ops;
    }
}

unsigned sim_flash_rdp_level(const sim_target *t)
{
    uint8_t rdp = t->flash.rdp_loaded;
    if (t->profile->flash_family == SIM_FLASH_F1) return rdp == 0xA5 ? 0 : 1; /* F0/F3 as F4 */
    return rdp == 0xAA ? 0 : rdp == 0xCC ? 2 : 1;
}

bool sim_flash_debug_locked_out(const sim_target *t)
{
    return t->debugger_seen && sim_flash_rdp_level(t) == 1;
}

bool sim_flash_debug_disabled(const sim_target *t)
{
    return sim_flash_rdp_level(t) == 2;
}

bool sim_flash_set_rdp(sim_target *t, uint8_t rdp)
{
    sim_flash *f = &t->flash;
    switch (t->profile->flash_family) {
    case SIM_FLASH_F4:
    case SIM_FLASH_F7:
        f->option_nv = (f->option_nv & ~0xFF00u) | (uint32_t)rdp << 8;
        f->optcr = (f->optcr & ~0xFF00u) | (uint32_t)rdp << 8;
        break;
    case SIM_FLASH_H7:
        f->option_nv = (f->option_nv & ~0xFF00u) | (uint32_t)rdp << 8;
        f->optsr_prg = (f->optsr_prg & ~0xFF00u) | (uint32_t)rdp << 8;
        break;
    case SIM_FLASH_F0:
    case SIM_FLASH_F1:
        f->f1_ob[0] = rdp;
        f->f1_ob[1] = (uint8_t)~rdp;
        break;
    default: return false;
    }
    f->rdp_loaded = rdp;
    return true;
}

bool sim_flash_get_rdp(const sim_target *t, uint8_t *loaded, uint8_t *programmed)
{
    sim_flash_family k = t->profile->flash_family;
    bool fpec = k == SIM_FLASH_F1 || k == SIM_FLASH_F0;
    if (k != SIM_FLASH_F4 && k != SIM_FLASH_F7 && k != SIM_FLASH_H7 && !fpec) return false;
    *loaded = t->flash.rdp_loaded;
    *programmed = fpec ? t->flash.f1_ob[0] : (uint8_t)(t->flash.option_nv >> 8);
    return true;
}

bool sim_flash_key(sim_flash_bank *bank, uint32_t value)
{
    if (bank->locked_until_reset) return false;
    if (!bank->unlocked && !bank->key1_seen && value == SIM_FLASH_KEY1) {
        bank->key1_seen = true;
        return true;
    }
    if (!bank->unlocked && bank->key1_seen && value == SIM_FLASH_KEY2) {
        bank->key1_seen = false;
        bank->unlocked = true;
        return true;
    }
    bank->key1_seen = false;
    bank->unlocked = false;
    bank->locked_until_reset = true;
    return false;
}

bool sim_flash_opt_key(sim_flash *f, uint32_t value)
{
    if (!f->opt_key1_seen && value == SIM_FLASH_OPTKEY1) {
        f->opt_key1_seen = true;
        return true;
    }
    if (f->opt_key1_seen && value == SIM_FLASH_OPTKEY2) {
        f->opt_key1_seen = false;
        f->opt_unlocked = true;
        return true;
    }
    f->opt_key1_seen = false;
    return false;
}

bool sim_flash_busy(const sim_target *t, const sim_flash_bank *bank)
{
    return sim_core_now_ps(t) < bank->busy_until_ps;
}

void sim_flash_start(sim_target *t, sim_flash_bank *bank, uint64_t duration_ps)
{
    uint64_t now = sim_core_now_ps(t);
    uint64_t start = bank->busy_until_ps > now ? bank->busy_until_ps : now;
    bank->busy_until_ps = start + duration_ps;
    bank->eop_pending = true;
}

bool sim_flash_take_injected_error(sim_target *t)
{
    bool e = t->flash.inject_error;
    t->flash.inject_error = false;
    return e;
}

void sim_flash_inject_error(sim_target *t)
{
    t->flash.inject_error = true;
}

static sim_bus_status regs_read(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                                uint32_t *value, sim_master m)
{
    (void)ctx;
    (void)m;
    uint32_t word = 0;
    sim_bus_status s = ops_for(t)->reg_read(t, offset & ~3u, &word);
    *value = sim_lanes(word, offset, size);
    return s;
}

static sim_bus_status regs_write(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                                 uint32_t value, sim_master m)
{
    (void)ctx;
    (void)m;
    if (size != 4) return SIM_BUS_FAULT; /* the controllers take word accesses only */
    return ops_for(t)->reg_write(t, offset, value);
}

static sim_bus_status array_write(sim_target *t, void *ctx, uint32_t offset, unsigned size,
                                  uint32_t value, sim_master m)
{
    (void)m;
    /* The boot alias at 0 maps onto the same array: ctx carries the alias's offset. */
    return ops_for(t)->array_write(t, offset + (uint32_t)(uintptr_t)ctx, size, value);
}

bool sim_flash_attach(sim_target *t)
{
    const sim_profile *p = t->profile;
    sim_flash *f = &t->flash;
    f->mem = malloc(p->flash_size);
    f->programmed = calloc(p->flash_size / 32 / 8 + 1, 1);
    if (!f->mem || !f->programmed) return false;
    memset(f->mem, 0xFF, p->flash_size);
    f->base = p->flash_base;
    f->size = p->flash_size;
    f->rdp_loaded = 0xAA;
    if (ops_for(t)->attach) ops_for(t)->attach(t);
    uint32_t bank_size = p->flash_size / p->flash_banks;
    for (unsigned b = 0; b < p->flash_banks; b++) {
        sim_region r = {.name = b ? "flash bank 2" : "flash", .base = p->flash_base + b * bank_size,
                        .size = bank_size, .kind = SIM_REGION_FLASH, .mem = f->mem + b * bank_size,
                        .write = array_write, .ctx = (void *)(uintptr_t)(b * bank_size)};
        if (!sim_bus_add(&t->bus, &r)) return false;
    }
    if (p->flash_alias_at_zero) {
        sim_region alias = {.name = "boot alias", .base = 0, .size = p->flash_size,
                            .kind = SIM_REGION_FLASH, .mem = f->mem, .write = array_write};
        if (!sim_bus_add(&t->bus, &alias)) return false;
    }
    const sim_flash_family_ops *ops = ops_for(t);
    sim_region regs = {.name = "flash controller", .base = ops->reg_base, .size = ops->reg_size,
                       .kind = SIM_REGION_MMIO, .read = regs_read, .write = regs_write};
    return sim_bus_add(&t->bus, &regs) != NULL;
}

void sim_flash_free(sim_target *t)
{
    free(t->flash.mem);
    free(t->flash.programmed);
    free(t->flash.uicr);
    t->flash.uicr = NULL;
    t->flash.mem = NULL;
    t->flash.programmed = NULL;
}

void sim_flash_reset(sim_target *t, sim_reset_kind kind)
{
    sim_flash *f = &t->flash;
    /* the array keeps its contents across every reset */
    for (unsigned b = 0; b < 2; b++) {
        sim_flash_bank *bank = &f->banks[b];
        uint64_t busy = bank->busy_until_ps;
        memset(bank, 0, sizeof *bank);
        bank->busy_until_ps = busy; /* an operation in progress completes */
    }
    f->opt_unlocked = false;
    f->opt_key1_seen = false;
    bool launch = f->load_options;
    if (kind == SIM_RESET_POWER_ON) f->load_options = true; /* the F0/F3 load them at power-on */
    ops_for(t)->reset(t);
    f->load_options = launch;
}
