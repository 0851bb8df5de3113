/* The flash controller of ST's newer generation as the STM32G0 (RM0444) and STM32L4 (RM0351)
 * have it: 2 KiB pages, programming by 64-bit double word (two word writes, the second
 * completing it: then the double word programs), page and mass erase, and the error flags
 * PROGERR, SIZERR, PGAERR, PGSERR and WRPERR. The L476 has two banks of 256 pages, one register
 * set: CR.BKER picks the bank of a page erase, MER1 and MER2 erase a bank each. The G071 has one
 * bank of 64 pages. Option bytes are not modelled (read-out protection stays at level 0).
 *
 * Registers: KEYR 0x08, OPTKEYR 0x0C, SR 0x10, CR 0x14, OPTR 0x20 (reads the factory value,
 * kept in flash.option_nv). */
#include "sim_flash.h"

#include <string.h>

#include "sim_target.h"

#define KEYR 0x08u
#define OPTKEYR 0x0Cu
#define SR 0x10u
#define CR 0x14u
#define OPTR 0x20u

#define SR_EOP (1u << 0)
#define SR_OPERR (1u << 1)
#define SR_PROGERR (1u << 3)
#define SR_WRPERR (1u << 4)
#define SR_PGAERR (1u << 5)
#define SR_SIZERR (1u << 6)
#define SR_PGSERR (1u << 7)
#define SR_MISSERR (1u << 8)
#define SR_FASTERR (1u << 9)
#define SR_RDERR (1u << 14)
#define SR_OPTVERR (1u << 15)
#define SR_BSY (1u << 16) /* G0: BSY1 */
#define SR_CLEARABLE (SR_EOP | SR_OPERR | SR_PROGERR | SR_WRPERR | SR_PGAERR | SR_SIZERR | SR_PGSERR | SR_MISSERR | \
                      SR_FASTERR | SR_RDERR | SR_OPTVERR)
/* Flags of an earlier programming error: while one is set, PGSERR refuses the next operation
 * (RM0351, RM0444: PGSERR). */
#define SR_STALE (SR_PROGERR | SR_SIZERR | SR_PGAERR | SR_MISSERR | SR_FASTERR)
#define CR_PG (1u << 0)
#define CR_PER (1u << 1)
#define CR_MER1 (1u << 2)
#define CR_BKER (1u << 11) /* L4 */
#define CR_MER2 (1u << 15) /* L4 */
#define CR_STRT (1u << 16)
#define CR_OPTSTRT (1u << 17)
#define CR_FSTPG (1u << 18)
#define CR_EOPIE (1u << 24)
#define CR_OPTLOCK (1u << 30)
#define CR_LOCK (1u << 31)

#define PAGE 0x800u

/* Timings from the datasheets (typical): STM32G071 (DS12232, flash memory characteristics):
 * 64-bit programming 85 µs, page erase 22 ms, mass erase 22.1 ms; STM32L476 (DS10198): 64-bit
 * programming 81.69 µs, page erase 22.02 ms, mass erase 22.13 ms. */
typedef struct variant {
    uint64_t program_ps, page_erase_ps, mass_erase_ps;
    uint32_t pnb_mask; /* CR.PNB, from bit 3 */
    uint32_t cr_mask;  /* CR's writable bits */
    uint32_t optr;     /* OPTR as it leaves the factory (RDP 0xAA) */
} variant;

static const variant g0 = {85000000ull, 22000000000ull, 22100000000ull, 0x7Fu, 0x0F0703FFu, 0xDFFFE1AAu};
static const variant l4 = {81690000ull, 22020000000ull, 22130000000ull, 0xFFu, 0x0F078FFFu, 0xFFEFF8AAu};

/* Two banks (L476): a profile with two flash banks; one (G071, and the G431, which has the L4's
 * controller and times as far as this model goes). */
static bool dual_bank(const sim_target *t) { return t->profile->flash_banks == 2; }

static const variant *variant_of(const sim_target *t)
{
    return t->profile->flash_family == SIM_FLASH_L4 ? &l4 : &g0;
}

static sim_flash_bank *bank(sim_target *t) { return &t->flash.banks[0]; }

static uint32_t bank_size(const sim_target *t)
{
    return dual_bank(t) ? t->flash.size / 2 : t->flash.size;
}

static void settle(sim_target *t)
{
    sim_flash_bank *b = bank(t);
    if (b->eop_pending && !sim_flash_busy(t, b)) {
        b->eop_pending = false;
        if (b->cr & CR_EOPIE) b->sr |= SR_EOP; /* EOP is set only when EOPIE is */
    }
}

static sim_bus_status reg_read(sim_target *t, uint32_t offset, uint32_t *value)
{
    sim_flash_bank *b = bank(t);
    settle(t);
    switch (offset) {
    case SR: *value = b->sr | (sim_flash_busy(t, b) ? SR_BSY : 0); break;
    case CR: *value = b->cr | (b->unlocked ? 0 : CR_LOCK) | (t->flash.opt_unlocked ? 0 : CR_OPTLOCK); break;
    case OPTR: *value = t->flash.option_nv; break;
    default: *value = 0; break;
    }
    return SIM_BUS_OK;
}

/* STRT: a page erase (PER with PNB, and BKER on the L4) or a mass erase (MER1, MER2). */
static void start_erase(sim_target *t, uint32_t cr)
{
    sim_flash_bank *b = bank(t);
    const variant *v = variant_of(t);
    b->wb_bytes = 0;
    if (b->sr & SR_STALE) { /* a programming error still flagged: the operation does not start */
        b->sr |= SR_PGSERR;
        return;
    }
    if (sim_flash_take_injected_error(t)) {
        b->sr |= SR_OPERR;
        return;
    }
    bool mass = cr & (CR_MER1 | CR_MER2);
    if ((mass && (cr & CR_PER)) || (cr & CR_PG) || !(mass || (cr & CR_PER))) {
        b->sr |= SR_PGSERR;
        return;
    }
    if (mass) {
        uint32_t half = bank_size(t);
        if (cr & CR_MER1) memset(t->flash.mem, 0xFF, half);
        if ((cr & CR_MER2) && dual_bank(t)) memset(t->flash.mem + half, 0xFF, half);
        sim_flash_start(t, b, v->mass_erase_ps);
        return;
    }
    uint32_t page = (cr >> 3) & v->pnb_mask;
    uint32_t offset = page * PAGE + ((dual_bank(t) && (cr & CR_BKER)) ? bank_size(t) : 0);
    if (page * PAGE >= bank_size(t)) { /* no such page */
        b->sr |= SR_PGSERR;
        return;
    }
    memset(t->flash.mem + offset, 0xFF, PAGE);
    sim_flash_start(t, b, v->page_erase_ps);
}

static sim_bus_status reg_write(sim_target *t, uint32_t offset, uint32_t value)
{
    sim_flash_bank *b = bank(t);
    sim_flash *f = &t->flash;
    settle(t);
    switch (offset) {
    case KEYR: return sim_flash_key(b, value) ? SIM_BUS_OK : SIM_BUS_FAULT;
    case OPTKEYR:
        if (!b->unlocked) return SIM_BUS_FAULT; /* the options unlock only after the flash */
        return sim_flash_opt_key(f, value) ? SIM_BUS_OK : SIM_BUS_FAULT;
    case SR:
        b->sr &= ~(value & SR_CLEARABLE);
        return SIM_BUS_OK;
    case CR:
        if (value & CR_OPTLOCK) f->opt_unlocked = false;
        if (!b->unlocked) return SIM_BUS_OK;
        if (value & CR_LOCK) {
            b->unlocked = false;
            f->opt_unlocked = false;
            b->cr = 0;
            b->wb_bytes = 0;
            return SIM_BUS_OK;
        }
        b->cr = value & variant_of(t)->cr_mask & ~(CR_STRT | CR_OPTSTRT);
        if (!(value & CR_PG)) b->wb_bytes = 0;
        if ((value & CR_STRT) && !sim_flash_busy(t, b)) start_erase(t, value);
        return SIM_BUS_OK;
    default: return SIM_BUS_OK;
    }
}

/* Programming: the first word at a double-word address, the second at the next word; the
 * second starts the programming of the double word. */
static sim_bus_status array_write(sim_target *t, uint32_t offset, unsigned size, uint32_t value)
{
    sim_flash_bank *b = bank(t);
    settle(t);
    if (!b->unlocked || !(b->cr & CR_PG) || (b->cr & (CR_PER | CR_MER1 | CR_MER2 | CR_FSTPG)) || (b->sr & SR_STALE)) {
        b->sr |= SR_PGSERR;
        b->wb_bytes = 0;
        return SIM_BUS_OK;
    }
    if (size != 4) { /* bytes and half-words: size error */
        b->sr |= SR_SIZERR;
        b->wb_bytes = 0;
        return SIM_BUS_OK;
    }
    if (b->wb_bytes == 0) {
        if (offset & 7u) { /* the first word must start a double word */
            b->sr |= SR_PGAERR;
            return SIM_BUS_OK;
        }
        b->wb_addr = offset;
        sim_put_le(b->wb_data, 4, value);
        b->wb_bytes = 4;
        return SIM_BUS_OK;
    }
    b->wb_bytes = 0;
    if (offset != b->wb_addr + 4) { /* the second word is not in the same double word */
        b->sr |= SR_PGAERR;
        return SIM_BUS_OK;
    }
    sim_put_le(b->wb_data + 4, 4, value);
    if (sim_flash_take_injected_error(t)) {
        b->sr |= SR_OPERR;
        return SIM_BUS_OK;
    }
    uint8_t *p = t->flash.mem + b->wb_addr;
    bool erased = true, zero = true;
    for (unsigned i = 0; i < 8; i++) erased &= p[i] == 0xFF, zero &= b->wb_data[i] == 0;
    if (!erased && !zero) { /* PROGERR: the double word was not erased (writing zeros is allowed) */
        b->sr |= SR_PROGERR;
        return SIM_BUS_OK;
    }
    memcpy(p, b->wb_data, 8);
    sim_flash_start(t, b, variant_of(t)->program_ps);
    return SIM_BUS_OK;
}

static void reset(sim_target *t)
{
    bank(t)->wb_bytes = 0;
}

/* OPTR as the factory leaves it (a test may change it: option programming is not modelled). */
static void attach(sim_target *t)
{
    t->flash.option_nv = variant_of(t)->optr;
}

const sim_flash_family_ops sim_flash_g0_ops = {reg_read, reg_write, array_write, reset, attach, 0x40022000u, 0x400};
