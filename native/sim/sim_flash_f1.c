/* STM32F1 flash controller (FPEC), RM0008 §3 / PM0075: half-word programming, 1 KiB page
 * erase (medium density), mass erase, and the option bytes at 0x1FFFF800 (erased with OPTER,
 * programmed half-word by half-word with OPTPG, the complement byte written by the controller;
 * loaded into OBR and WRPR at every reset) with read-out protection (sim_flash.h).
 * SIM_FLASH_F0, the F0's and F3's (RM0091, RM0316): the same controller with 2 KiB pages, RDP
 * 0xAA for level 0 and 0xCC for level 2 (OBR.RDPRT two bits), OBR's USER and data bytes at 8,
 * 16 and 24, and CR.OBL_LAUNCH, which loads the option bytes with a system reset. WRP bits cover
 * 4 KiB on both. Times as the F1's: the F072 and F303 datasheets give the same figures. */
#include "sim_flash.h"

#include <string.h>

#include "sim_target.h"

#define KEYR 0x04u
#define OPTKEYR 0x08u
#define SR 0x0Cu
#define CR 0x10u
#define AR 0x14u
#define OBR 0x1Cu
#define WRPR 0x20u

#define SR_BSY (1u << 0)
#define SR_PGERR (1u << 2)
#define SR_WRPRTERR (1u << 4)
#define SR_EOP (1u << 5)
#define CR_PG (1u << 0)
#define CR_PER (1u << 1)
#define CR_MER (1u << 2)
#define CR_OPTPG (1u << 4)
#define CR_OPTER (1u << 5)
#define CR_STRT (1u << 6)
#define CR_LOCK (1u << 7)
#define CR_OPTWRE (1u << 9)
#define CR_OBL_LAUNCH (1u << 13)
#define OPTION_BYTES 0x1FFFF800u
#define OBR_OPTERR (1u << 0)
#define OBR_RDPRT (1u << 1)
/* Typical times (FACTS.md, from the F103 datasheet): half-word 52.5 µs; page and mass erase
 * 20-40 ms, of which the model takes 20 ms for a page and 24 ms for the whole array. */
#define PROGRAM_PS 52500000ull
#define PAGE_ERASE_PS 20000000000ull
#define MASS_ERASE_PS 24000000000ull

static sim_flash_bank *bank(sim_target *t) { return &t->flash.banks[0]; }
static bool f0(const sim_target *t) { return t->profile->flash_family == SIM_FLASH_F0; }
static uint32_t page_size(const sim_target *t) { return f0(t) ? 2048u : 1024u; }
static uint8_t rdp_open(const sim_target *t) { return f0(t) ? 0xAAu : 0xA5u; }

static void settle(sim_target *t)
{
    sim_flash_bank *b = bank(t);
    if (b->eop_pending && !sim_flash_busy(t, b)) {
        b->eop_pending = false;
        b->sr |= SR_EOP;
    }
}

/* WRPR: one bit per 4 KiB (4 pages on the F103 MD, 2 on the F072 and F303); 0 = protected. */
static bool protected_page(const sim_target *t, uint32_t offset)
{
    unsigned group = offset / 4096u;
    return group < 32 && !(t->flash.wrpr & (1u << group));
}

static sim_bus_status reg_read(sim_target *t, uint32_t offset, uint32_t *value)
{
    sim_flash_bank *b = bank(t);
    settle(t);
    switch (offset) {
    case SR: *value = b->sr | (sim_flash_busy(t, b) ? SR_BSY : 0); break;
    case CR: *value = (b->cr & ~CR_OPTWRE) | (b->unlocked ? 0 : CR_LOCK) | (t->flash.opt_unlocked ? CR_OPTWRE : 0); break;
    case AR: *value = b->ar; break;
    case OBR: { /* RDPRT follows the level in effect (sim_flash_set_rdp changes it without a reset) */
        unsigned level = sim_flash_rdp_level(t);
        *value = f0(t) ? (t->flash.f1_obr & ~6u) | (level == 2 ? 6u : level ? 2u : 0)
                       : (t->flash.f1_obr & ~OBR_RDPRT) | (level ? OBR_RDPRT : 0);
        break;
    }
    case WRPR: *value = t->flash.wrpr; break;
    default: *value = 0; break;
    }
    return SIM_BUS_OK;
}

static void erase(sim_target *t, uint32_t offset, uint32_t length, uint64_t duration)
{
    sim_flash_bank *b = bank(t);
    if (sim_flash_debug_locked_out(t)) { /* read-protected with a debugger: no erase */
        b->sr |= SR_WRPRTERR;
        return;
    }
    if (sim_flash_take_injected_error(t)) {
        b->sr |= SR_PGERR;
        return;
    }
    for (uint32_t o = offset; o < offset + length; o += page_size(t))
        if (protected_page(t, o)) {
            b->sr |= SR_WRPRTERR;
            return;
        }
    memset(t->flash.mem + offset, 0xFF, length);
    sim_flash_start(t, b, duration);
}

static sim_bus_status reg_write(sim_target *t, uint32_t offset, uint32_t value)
{
    sim_flash_bank *b = bank(t);
    settle(t);
    switch (offset) {
    case KEYR: /* the keys written again while unlocked change nothing (OpenOCD's option-byte
                * writes unlock an unlocked FPEC, and work on silicon); anything else locks */
        if (b->unlocked && (value == SIM_FLASH_KEY1 || value == SIM_FLASH_KEY2)) return SIM_BUS_OK;
        return sim_flash_key(b, value) ? SIM_BUS_OK : SIM_BUS_FAULT;
    case OPTKEYR:
        if (b->unlocked && value == (t->flash.opt_key1_seen ? SIM_FLASH_KEY2 : SIM_FLASH_KEY1)) {
            if (t->flash.opt_key1_seen) t->flash.opt_unlocked = true;
            t->flash.opt_key1_seen = !t->flash.opt_key1_seen;
        }
        return SIM_BUS_OK;
    case SR:
        b->sr &= ~(value & (SR_PGERR | SR_WRPRTERR | SR_EOP)); /* write one to clear */
        return SIM_BUS_OK;
    case AR:
        if (b->unlocked) b->ar = value;
        return SIM_BUS_OK;
    case CR:
        if (!b->unlocked) return SIM_BUS_OK; /* ignored while locked */
        if (value & CR_LOCK) {
            b->unlocked = false;
            b->cr = 0;
            t->flash.opt_unlocked = false;
            return SIM_BUS_OK;
        }
        if (!(value & CR_OPTWRE)) t->flash.opt_unlocked = false; /* OPTWRE: cleared by writing 0 */
        if (f0(t) && (value & CR_OBL_LAUNCH)) { /* load the option bytes, with a system reset */
            t->flash.load_options = true;
            sim_target_reset(t, SIM_RESET_SYSTEM);
            t->flash.load_options = false;
            return SIM_BUS_OK;
        }
        b->cr = (value & 0x1677u & ~CR_STRT) | (t->flash.opt_unlocked ? CR_OPTWRE : 0);
        if ((value & CR_STRT) && !sim_flash_busy(t, b)) {
            if (value & CR_OPTER) {
                if (t->flash.opt_unlocked) { /* the whole option byte area, to 0xFF */
                    memset(t->flash.f1_ob, 0xFF, sizeof t->flash.f1_ob);
                    sim_flash_start(t, b, PAGE_ERASE_PS);
                }
            } else if (value & CR_MER) erase(t, 0, t->flash.size, MASS_ERASE_PS);
            else if (value & CR_PER) {
                uint32_t page = (b->ar - t->flash.base) & ~(page_size(t) - 1);
                if (page < t->flash.size) erase(t, page, page_size(t), PAGE_ERASE_PS);
            }
        }
        return SIM_BUS_OK;
    default: return SIM_BUS_OK;
    }
}

static sim_bus_status array_write(sim_target *t, uint32_t offset, unsigned size, uint32_t value)
{
    sim_flash_bank *b = bank(t);
    settle(t);
    /* PM0075 2.3.3: only half-word writes program; other widths, and writes without PG set,
     * get a bus error. */
    if (!(b->cr & CR_PG) || size != 2) return SIM_BUS_FAULT;
    if (sim_flash_take_injected_error(t)) {
        b->sr |= SR_PGERR;
        return SIM_BUS_OK;
    }
    if (protected_page(t, offset) || sim_flash_debug_locked_out(t)) {
        b->sr |= SR_WRPRTERR;
        return SIM_BUS_OK;
    }
    uint8_t *p = t->flash.mem + offset;
    uint16_t current = (uint16_t)sim_get_le(p, 2);
    /* A half-word that is not erased can only be written with 0x0000 (PM0075 2.3.3). */
    if (current != 0xFFFF && value != 0) {
        b->sr |= SR_PGERR;
        return SIM_BUS_OK;
    }
    p[0] = (uint8_t)value;
    p[1] = (uint8_t)(value >> 8);
    sim_flash_start(t, b, PROGRAM_PS);
    return SIM_BUS_OK;
}

/* The option bytes: reads at any width; OPTPG half-word writes program one byte and its
 * complement, into an erased pair only (else PGERR). The open RDP byte (0xA5, F0/F3 0xAA)
 * programmed while the protection is on mass-erases the flash first (PM0075, RM0091, RM0316:
 * read protection). */
static sim_bus_status option_read(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t *value,
                                  sim_master m)
{
    (void)ctx, (void)m;
    *value = sim_get_le(t->flash.f1_ob + offset, size);
    return SIM_BUS_OK;
}

static sim_bus_status option_write(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t value,
                                   sim_master m)
{
    (void)ctx, (void)m;
    sim_flash_bank *b = bank(t);
    settle(t);
    if (!(b->cr & CR_OPTPG) || !t->flash.opt_unlocked || size != 2) return SIM_BUS_FAULT;
    uint8_t *pair = t->flash.f1_ob + offset;
    if (pair[0] != 0xFF || pair[1] != 0xFF) {
        b->sr |= SR_PGERR;
        return SIM_BUS_OK;
    }
    uint64_t time = PROGRAM_PS;
    if (offset == 0 && (uint8_t)value == rdp_open(t) && sim_flash_rdp_level(t) == 1) {
        memset(t->flash.mem, 0xFF, t->flash.size);
        time += MASS_ERASE_PS;
    }
    pair[0] = (uint8_t)value;
    pair[1] = (uint8_t)~value;
    sim_flash_start(t, b, time);
    return SIM_BUS_OK;
}

/* Loads the option bytes: a pair whose complement does not match sets OPTERR and reads as 0xFF
 * (for RDP: protected). */
static void load_options(sim_target *t)
{
    sim_flash *f = &t->flash;
    uint8_t loaded[8];
    bool error = false;
    for (unsigned i = 0; i < 8; i++) {
        bool ok = (uint8_t)(f->f1_ob[2 * i + 1] ^ f->f1_ob[2 * i]) == 0xFF;
        loaded[i] = ok ? f->f1_ob[2 * i] : 0xFF;
        error |= !ok;
    }
    f->rdp_loaded = loaded[0];
    /* OBR: OPTERR 0, RDPRT 1, USER 2-9, Data0 10-17, Data1 18-25; F0/F3: RDPRT 1-2, USER 8-15,
     * Data0 16-23, Data1 24-31 */
    unsigned user = f0(t) ? 8 : 2;
    f->f1_obr = (error ? OBR_OPTERR : 0) | (uint32_t)loaded[1] << user | (uint32_t)loaded[2] << (user + 8) |
                (uint32_t)loaded[3] << (user + 16);
    f->wrpr = (uint32_t)loaded[4] | (uint32_t)loaded[5] << 8 | (uint32_t)loaded[6] << 16 | (uint32_t)loaded[7] << 24;
}

/* The F1 loads the option bytes at every reset; the F0 and F3 at power-on and OBL_LAUNCH only. */
static void reset(sim_target *t)
{
    if (!f0(t) || t->flash.load_options) load_options(t);
}

/* The factory's option bytes: unprotected, no write protection, user bits and data at 0xFF. */
static void attach(sim_target *t)
{
    sim_flash *f = &t->flash;
    for (unsigned i = 0; i < 8; i++) {
        f->f1_ob[2 * i] = i == 0 ? rdp_open(t) : 0xFF;
        f->f1_ob[2 * i + 1] = (uint8_t)~f->f1_ob[2 * i];
    }
    sim_region r = {.name = "option bytes", .base = OPTION_BYTES, .size = 16, .kind = SIM_REGION_MMIO,
                    .read = option_read, .write = option_write};
    (void)sim_bus_add(&t->bus, &r); /* a full table fails the flash's own regions after it too */
    load_options(t); /* power-on */
}

const sim_flash_family_ops sim_flash_f1_ops = {reg_read, reg_write, array_write, reset, attach, 0x40022000u, 0x400};
