#include "sim_iwdg.h"

#include "sim_target.h"

#define KR 0x0u
#define PR 0x4u
#define RLR 0x8u
#define SR 0xCu

#define KEY_RELOAD 0xAAAAu
#define KEY_UNLOCK 0x5555u
#define KEY_START 0xCCCCu

/* One counter tick, in picoseconds: (4 << PR) LSI periods; PR 6 and 7 both divide by 256. */
static uint64_t tick_ps(const sim_target *t)
{
    unsigned divider = 4u << (t->iwdg.pr < 6 ? t->iwdg.pr : 6);
    return SIM_PS_PER_SECOND * divider / t->profile->iwdg_lsi_hz;
}

static sim_bus_status iwdg_read(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t *value,
                                sim_master m)
{
    (void)ctx;
    (void)m;
    uint32_t word = 0;
    switch (offset & ~3u) {
    case PR: word = t->iwdg.pr; break;
    case RLR: word = t->iwdg.rlr; break;
    /* SR: PVU and RVU clear within five LSI periods of a write; the model updates at once. KR
     * reads as 0. */
    default: break;
    }
    *value = sim_lanes(word, offset, size);
    return SIM_BUS_OK;
}

static sim_bus_status iwdg_write(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t value,
                                 sim_master m)
{
    (void)ctx;
    (void)m;
    (void)size;
    sim_iwdg *w = &t->iwdg;
    switch (offset & ~3u) {
    case KR:
        value &= 0xFFFFu;
        if (value == KEY_UNLOCK) {
            w->unlocked = true;
            break;
        }
        w->unlocked = false; /* any other key locks PR and RLR again */
        if (value == KEY_RELOAD || value == KEY_START) w->elapsed_ps = 0;
        if (value == KEY_START) w->started = true;
        break;
    case PR:
        if (w->unlocked) w->pr = (uint8_t)(value & 7u);
        break;
    case RLR:
        if (w->unlocked) w->rlr = (uint16_t)(value & 0xFFFu);
        break;
    default: break; /* SR is read-only */
    }
    return SIM_BUS_OK;
}

bool sim_iwdg_attach(sim_target *t)
{
    if (!t->profile->iwdg_base) return true;
    sim_region r = {.name = "IWDG", .base = t->profile->iwdg_base, .size = 0x400, .kind = SIM_REGION_MMIO,
                    .read = iwdg_read, .write = iwdg_write};
    return sim_bus_add(&t->bus, &r) != NULL;
}

void sim_iwdg_reset(sim_target *t)
{
    uint32_t bites = t->iwdg.bites;
    t->iwdg = (sim_iwdg){.rlr = 0xFFFu, .bites = bites};
}

void sim_iwdg_advance(sim_target *t, uint64_t ps)
{
    sim_iwdg *w = &t->iwdg;
    if (!w->started) return;
    const sim_profile *p = t->profile;
    /* The freeze bit is a DBGMCU register's (CR on the F1, APB1_FZ elsewhere); it counts only
     * while the core is halted. */
    uint32_t freeze = p->iwdg_freeze_offset == 4 ? t->dbgmcu_cr : t->dbgmcu_apb_fz;
    if (t->core.halted && (freeze & (1u << p->iwdg_freeze_bit))) return;
    w->elapsed_ps += ps;
    /* The counter starts at RLR and the reset comes as it would go below zero. */
    if (w->elapsed_ps >= ((uint64_t)w->rlr + 1u) * tick_ps(t)) {
        w->bites++;
        sim_target_reset(t, SIM_RESET_SYSTEM);
    }
}
