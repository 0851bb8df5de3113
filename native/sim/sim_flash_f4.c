/* STM32F4 flash controller, RM0090 §3: sector erase (4×16 KiB, 1×64 KiB, then 128 KiB sectors:
 * 12 on the 1 MiB parts), mass erase, programming at the parallelism PSIZE selects. A profile
 * with two flash banks is a 2 MiB F42x/F43x (RM0090 3.5): bank 2 from half the flash repeats
 * bank 1's sectors as sectors 12-23, which SNB (now five bits, 7:3) numbers 16-27; MER erases
 * bank 1, MER1 (CR bit 15) bank 2. Bank 2's write protection (OPTCR1) is not modelled. The F7's
 * (RM0431 §3) is the same controller with its own option bytes: OPTCR with 8 nWRP bits and the
 * IWDG freeze bits, OPTCR1 with the boot addresses, and SR bit 7 named ERSERR rather than PGSERR
 * (the same position, set here for the same sequence errors). The F723 has 8 sectors (512 KiB).
 *
 * Option bytes: OPTCR and OPTCR1 hold what is written; OPTSTRT programs them, and the next reset
 * loads them (sim_flash.h). nWRP is modelled as acting from OPTCR at once. */
#include "sim_flash.h"

#include <string.h>

#include "sim_target.h"

#define KEYR 0x04u
#define OPTKEYR 0x08u
#define SR 0x0Cu
#define CR 0x10u
#define OPTCR 0x14u
#define OPTCR1 0x18u /* F7 */

#define SR_EOP (1u << 0)
#define SR_OPERR (1u << 1)
#define SR_WRPERR (1u << 4)
#define SR_PGAERR (1u << 5)
#define SR_PGPERR (1u << 6)
#define SR_PGSERR (1u << 7)
#define SR_BSY (1u << 16)
#define SR_ERRORS (SR_EOP | SR_OPERR | SR_WRPERR | SR_PGAERR | SR_PGPERR | SR_PGSERR)
#define CR_PG (1u << 0)
#define CR_SER (1u << 1)
#define CR_MER (1u << 2)
#define CR_STRT (1u << 16)
#define CR_EOPIE (1u << 24)
#define CR_LOCK (1u << 31)
#define OPTCR_OPTLOCK (1u << 0)
#define OPTCR_OPTSTRT (1u << 1)

/* The option fields of OPTCR and their factory values (RDP 0xAA, nothing write-protected):
 * F4 (RM0090): nWRP 27:16, RDP 15:8, user bits 7:5, BOR_LEV 3:2; the factory value 0x0FFFAAEC;
 * F7 (RM0431): IWDG_STOP 31, IWDG_STDBY 30, nWRP 23:16, RDP 15:8, user bits 7:4, BOR_LEV 3:2;
 * the factory value 0xC0FFAAFC, and OPTCR1 0x00400080 (BOOT_ADD1 0x0040: system memory;
 * BOOT_ADD0 0x0080: the flash on the ITCM interface). The F7 factory values are derived from the
 * register descriptions, not read from a part (unconfirmed). */
typedef struct variant {
    uint32_t option_mask, option_factory, option1_factory;
    bool has_optcr1;
} variant;

static const variant f4_variant = {0x0FFFFFECu, 0x0FFFAAECu, 0, false};
static const variant f7_variant = {0xC0FFFFFCu, 0xC0FFAAFCu, 0x00400080u, true};

static const variant *variant_of(const sim_target *t)
{
    return t->profile->flash_family == SIM_FLASH_F7 ? &f7_variant : &f4_variant;
}

/* Typical times (FACTS.md, F407 datasheet): 16 µs per program write whatever its width;
 * sector erase 250 ms (16 KiB), 550 ms (64 KiB), 1 s (128 KiB); mass erase 8 s. */
#define PROGRAM_PS 16000000ull
#define MASS_ERASE_PS 8000000000000ull
/* Programming the option bytes: no figure in FACTS.md; the model takes 1 ms. The F7 is taken
 * to have the F4's timings (FACTS.md, unconfirmed). */
#define OPTION_PS 1000000000ull

static sim_flash_bank *bank(sim_target *t) { return &t->flash.banks[0]; }

#define CR_MER1 (1u << 15) /* dual bank */
#define SNB_BANK2 16u      /* dual bank: sectors 12-23 are SNB 16-27 */

static bool dual(const sim_target *t) { return t->profile->flash_banks == 2; }
static uint32_t bank_size(const sim_target *t) { return dual(t) ? t->flash.size / 2 : t->flash.size; }

/* Sectors: 4 of 16 KiB, 1 of 64 KiB, then 128 KiB ones to the end of the bank. */
static unsigned sector_count(const sim_target *t)
{
    return 5 + (bank_size(t) - 0x20000) / 0x20000;
}

static bool sector_of(const sim_target *t, uint32_t sector, uint32_t *offset, uint32_t *size)
{
    uint32_t base = 0;
    if (dual(t) && sector >= SNB_BANK2) sector -= SNB_BANK2, base = bank_size(t);
    else if (dual(t) && sector >= sector_count(t)) return false; /* SNB 12-15: no sector */
    if (sector >= sector_count(t)) return false;
    if (sector < 4) *offset = sector * 0x4000, *size = 0x4000;
    else if (sector == 4) *offset = 0x10000, *size = 0x10000;
    else *offset = 0x20000 * (sector - 4), *size = 0x20000;
    *offset += base;
    return true;
}

/* The sector holding `offset` (bank 2's counted from 12, as nWRP numbers them). */
static unsigned sector_at(const sim_target *t, uint32_t offset)
{
    unsigned first = 0;
    if (offset >= bank_size(t)) offset -= bank_size(t), first = 12;
    if (offset < 0x10000) return first + offset / 0x4000;
    if (offset < 0x20000) return first + 4;
    return first + 4 + offset / 0x20000;
}

static uint64_t sector_erase_ps(uint32_t size)
{
    return size == 0x4000 ? 250000000000ull : size == 0x10000 ? 550000000000ull : 1000000000000ull;
}

static bool write_protected(const sim_target *t, unsigned sector)
{
    if (sector >= 12) return false; /* bank 2's nWRP (OPTCR1): not modelled */
    return !(t->flash.optcr & (1u << (16 + sector))); /* nWRPi = 0: protected */
}

static void settle(sim_target *t)
{
    sim_flash_bank *b = bank(t);
    if (b->eop_pending && !sim_flash_busy(t, b)) {
        b->eop_pending = false;
        if (b->cr & CR_EOPIE) b->sr |= SR_EOP; /* RM0090: EOP is set only when EOPIE is */
    }
}

static sim_bus_status reg_read(sim_target *t, uint32_t offset, uint32_t *value)
{
    sim_flash_bank *b = bank(t);
    settle(t);
    switch (offset) {
    case SR: *value = b->sr | (sim_flash_busy(t, b) ? SR_BSY : 0); break;
    case CR: *value = b->cr | (b->unlocked ? 0 : CR_LOCK); break;
    case OPTCR: *value = (t->flash.optcr & ~3u) | (t->flash.opt_unlocked ? 0 : OPTCR_OPTLOCK); break;
    case OPTCR1: *value = variant_of(t)->has_optcr1 ? t->flash.optcr1 : 0; break;
    default: *value = 0; break;
    }
    return SIM_BUS_OK;
}

static void start_erase(sim_target *t, uint32_t cr)
{
    sim_flash_bank *b = bank(t);
    if (sim_flash_take_injected_error(t)) {
        b->sr |= SR_OPERR;
        return;
    }
    if ((cr & (CR_MER | CR_MER1)) && (cr & CR_SER)) {
        b->sr |= SR_PGSERR;
        return;
    }
    if (sim_flash_debug_locked_out(t)) { /* RDP level 1 with a debugger: no erase */
        b->sr |= SR_WRPERR;
        return;
    }
    if (cr & (CR_MER | CR_MER1)) { /* MER: bank 1 (all of a single-bank part); MER1: bank 2 */
        bool one = cr & CR_MER, two = dual(t) && (cr & CR_MER1);
        for (unsigned s = 0; one && s < sector_count(t); s++)
            if (write_protected(t, s)) {
                b->sr |= SR_WRPERR;
                return;
            }
        if (one) memset(t->flash.mem, 0xFF, bank_size(t));
        if (two) memset(t->flash.mem + bank_size(t), 0xFF, bank_size(t));
        if (one || two) sim_flash_start(t, b, (one && two ? 2 : 1) * MASS_ERASE_PS); /* model's choice: banks one after the other */
        return;
    }
    uint32_t offset, size, sector = (cr >> 3) & (dual(t) ? 0x1F : 0xF);
    if (!sector_of(t, sector, &offset, &size)) {
        b->sr |= SR_PGSERR;
        return;
    }
    if (write_protected(t, sector_at(t, offset))) {
        b->sr |= SR_WRPERR;
        return;
    }
    memset(t->flash.mem + offset, 0xFF, size);
    sim_flash_start(t, b, sector_erase_ps(size));
}

/* OPTSTRT: OPTCR (and OPTCR1) become the option bytes, loaded at the next reset. Going from RDP
 * level 1 to level 0 mass-erases the flash first; at level 2 nothing can change. */
static void program_options(sim_target *t)
{
    sim_flash *f = &t->flash;
    sim_flash_bank *b = bank(t);
    uint8_t to = (uint8_t)(f->optcr >> 8);
    unsigned from_level = sim_flash_rdp_level(t), to_level = to == 0xAA ? 0 : to == 0xCC ? 2 : 1;
    if (from_level == 2) {
        b->sr |= SR_WRPERR;
        return;
    }
    uint64_t time = OPTION_PS;
    if (from_level == 1 && to_level == 0) {
        memset(f->mem, 0xFF, f->size);
        time += MASS_ERASE_PS;
    }
    f->option_nv = f->optcr & variant_of(t)->option_mask;
    f->option1_nv = f->optcr1;
    sim_flash_start(t, b, time);
}

static sim_bus_status reg_write(sim_target *t, uint32_t offset, uint32_t value)
{
    sim_flash_bank *b = bank(t);
    sim_flash *f = &t->flash;
    settle(t);
    switch (offset) {
    case KEYR: return sim_flash_key(b, value) ? SIM_BUS_OK : SIM_BUS_FAULT;
    case OPTKEYR: return sim_flash_opt_key(f, value) ? SIM_BUS_OK : SIM_BUS_FAULT;
    case SR:
        b->sr &= ~(value & SR_ERRORS);
        return SIM_BUS_OK;
    case CR:
        if (!b->unlocked) return SIM_BUS_OK;
        if (value & CR_LOCK) {
            b->unlocked = false;
            b->cr = 0;
            return SIM_BUS_OK;
        }
        b->cr = value & (dual(t) ? 0x030083FFu : 0x0300037Fu); /* PG SER MER SNB PSIZE (MER1) EOPIE ERRIE */
        if ((value & CR_STRT) && !sim_flash_busy(t, b)) start_erase(t, b->cr); /* reserved bits ignored */
        return SIM_BUS_OK;
    case OPTCR:
        if (f->opt_unlocked) {
            f->optcr = value & variant_of(t)->option_mask;
            if ((value & OPTCR_OPTSTRT) && !sim_flash_busy(t, b)) program_options(t);
        }
        if (value & OPTCR_OPTLOCK) f->opt_unlocked = false;
        return SIM_BUS_OK;
    case OPTCR1:
        if (f->opt_unlocked && variant_of(t)->has_optcr1) f->optcr1 = value;
        return SIM_BUS_OK;
    default: return SIM_BUS_OK;
    }
}

static sim_bus_status array_write(sim_target *t, uint32_t offset, unsigned size, uint32_t value)
{
    sim_flash_bank *b = bank(t);
    settle(t);
    /* A write without PG, or with SER/MER also set, is a programming sequence error. */
    if (!(b->cr & CR_PG) || (b->cr & (CR_SER | CR_MER)) || !b->unlocked) {
        b->sr |= SR_PGSERR;
        return SIM_BUS_OK;
    }
    unsigned psize = (b->cr >> 8) & 3; /* x8, x16, x32, x64 */
    if (size != (1u << psize)) {      /* x64 needs two words at once: never matches here */
        b->sr |= SR_PGPERR;
        return SIM_BUS_OK;
    }
    if (offset & (size - 1)) {
        b->sr |= SR_PGAERR;
        return SIM_BUS_OK;
    }
    if (sim_flash_take_injected_error(t)) {
        b->sr |= SR_OPERR;
        return SIM_BUS_OK;
    }
    if (write_protected(t, sector_at(t, offset)) || sim_flash_debug_locked_out(t)) {
        b->sr |= SR_WRPERR;
        return SIM_BUS_OK;
    }
    /* Programming can only clear bits: a non-erased location ends up as old AND new. */
    uint8_t *p = t->flash.mem + offset;
    for (unsigned i = 0; i < size; i++) p[i] &= (uint8_t)(value >> (8 * i));
    sim_flash_start(t, b, PROGRAM_PS);
    return SIM_BUS_OK;
}

/* Every reset loads the option bytes. */
static void reset(sim_target *t)
{
    sim_flash *f = &t->flash;
    f->optcr = f->option_nv;
    f->optcr1 = f->option1_nv;
    f->rdp_loaded = (uint8_t)(f->option_nv >> 8);
}

static void attach(sim_target *t)
{
    t->flash.option_nv = variant_of(t)->option_factory;
    t->flash.option1_nv = variant_of(t)->option1_factory;
}

const sim_flash_family_ops sim_flash_f4_ops = {reg_read, reg_write, array_write, reset, attach, 0x40023C00u, 0x400};
