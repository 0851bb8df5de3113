#include "sim_iwdg.h"

#include "sim_target.h"

#define KR 0x0u
#define PR 0x4u
#define RLR 0x8u
#define SR 0xCu
#define WINR 0x10u

#define KEY_RELOAD 0xAAAAu
#define KEY_UNLOCK 0x5555u
#define KEY_START 0xCCCCu
#define COUNTER_MAX 0xFFFu

/* One counter tick, in picoseconds: (4 << PR) LSI periods; PR 6 and 7 both divide by 256. A
 * prescaler changed while it counts applies to the whole count (silicon changes the rate from
 * then on): firmware sets PR before it starts the watchdog. */
static uint64_t tick_ps(const sim_target *t)
{
    unsigned divider = 4u << (t->iwdg.pr < 6 ? t->iwdg.pr : 6);
    return SIM_PS_PER_SECOND * divider / t->profile->iwdg_lsi_hz;
}

bool sim_iwdg_frozen(const sim_target *t)
{
    const sim_profile *p = t->profile;
    /* The freeze bit is a DBGMCU register's: CR on the F1, APB1_FZ (APB_FZ1) at +8 elsewhere. */
    uint32_t freeze = p->iwdg_freeze_offset == 4 ? t->dbgmcu_cr : t->dbgmcu_apb_fz;
    return t->core.halted && (freeze & (1u << p->iwdg_freeze_bit)) != 0;
}

/* The counter's value at `now` (it counts from `load` down, one tick at a time). */
static uint32_t counter(const sim_target *t, uint64_t now)
{
    const sim_iwdg *w = &t->iwdg;
    uint64_t counted = now > w->load_ps + w->frozen_ps ? now - w->load_ps - w->frozen_ps : 0;
    uint64_t ticks = counted / tick_ps(t);
    return ticks >= w->load ? 0 : (uint32_t)(w->load - ticks);
}

uint64_t sim_iwdg_deadline(const sim_target *t)
{
    const sim_iwdg *w = &t->iwdg;
    if (!w->started || sim_iwdg_frozen(t)) return UINT64_MAX;
    /* The reset comes as the counter would go below zero: load + 1 ticks after loading. */
    return w->load_ps + w->frozen_ps + ((uint64_t)w->load + 1u) * tick_ps(t);
}

void sim_iwdg_bite(sim_target *t)
{
    t->iwdg.bites++;
    sim_target_reset(t, SIM_RESET_SYSTEM);
}

static void load(sim_target *t, uint16_t value)
{
    t->iwdg.load = value;
    t->iwdg.load_ps = sim_core_now_ps(t);
    t->iwdg.frozen_ps = 0;
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
    case WINR: word = t->profile->iwdg_has_window ? t->iwdg.winr : 0; break;
    /* SR: PVU, RVU (and WVU) clear within five LSI periods of a write; the model updates at
     * once. KR reads as 0. */
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
        w->unlocked = false; /* any other key locks PR, RLR and WINR again */
        if (value == KEY_START && !w->started) {
            w->started = true;
            load(t, COUNTER_MAX); /* it starts from 0xFFF; only a reload loads RLR */
        } else if (value == KEY_RELOAD && w->started) {
            /* Window option: a refresh while the counter is above WINR resets the chip. */
            if (t->profile->iwdg_has_window && counter(t, sim_core_now_ps(t)) > w->winr) {
                sim_iwdg_bite(t);
                break;
            }
            load(t, w->rlr);
        }
        break;
    case PR:
        if (w->unlocked) w->pr = (uint8_t)(value & 7u);
        break;
    case RLR:
        if (w->unlocked) w->rlr = (uint16_t)(value & COUNTER_MAX);
        break;
    case WINR:
        /* Writing the window reloads the counter (the HAL relies on it to start the count). */
        if (w->unlocked && t->profile->iwdg_has_window) {
            w->winr = (uint16_t)(value & COUNTER_MAX);
            if (w->started) load(t, w->rlr);
        }
        break;
    default: break; /* SR is read-only */
    }
    return SIM_BUS_OK;
}

bool sim_iwdg_attach(sim_target *t)
{
    if (!t->profile->iwdg_base || t->secondary) return true;
    sim_region r = {.name = "IWDG", .base = t->profile->iwdg_base, .size = 0x400, .kind = SIM_REGION_MMIO,
                    .read = iwdg_read, .write = iwdg_write};
    return sim_bus_add(&t->bus, &r) != NULL;
}

void sim_iwdg_reset(sim_target *t)
{
    uint32_t bites = t->iwdg.bites;
    t->iwdg = (sim_iwdg){.rlr = COUNTER_MAX, .winr = COUNTER_MAX, .bites = bites};
}
