/* STM32H7 flash controller, RM0433 §4: two banks of 8 × 128 KiB sectors (the H750: bank 1 with
 * sector 0 only), programming by 256-bit flash word through a write buffer, sector, bank and
 * mass erase. Bank 2's registers sit at +0x100. Option bytes: OPTSR_PRG is written, OPTSTART
 * programs it and OPTSR_CUR shows it once done (OPT_BUSY meanwhile); read protection as
 * sim_flash.h describes. */
#include "sim_flash.h"

#include <string.h>

#include "sim_target.h"

#define KEYR 0x04u
#define OPTKEYR 0x08u
#define CR 0x0Cu
#define SR 0x10u
#define CCR 0x14u
#define OPTCR 0x18u
#define OPTSR_CUR 0x1Cu
#define OPTSR_PRG 0x20u
#define OPTCCR 0x24u

#define CR_LOCK (1u << 0)
#define CR_PG (1u << 1)
#define CR_SER (1u << 2)
#define CR_BER (1u << 3)
#define CR_FW (1u << 6)
#define CR_START (1u << 7)
#define SR_BSY (1u << 0)
#define SR_WBNE (1u << 1)
#define SR_QW (1u << 2)
#define SR_EOP (1u << 16)
#define SR_WRPERR (1u << 17)
#define SR_PGSERR (1u << 18)
#define SR_STRBERR (1u << 19)
#define SR_INCERR (1u << 21)
#define SR_OPERR (1u << 22)
#define SR_CLEARABLE 0x0FEF0000u
#define OPTCR_OPTLOCK (1u << 0)
#define OPTCR_OPTSTART (1u << 1)
#define OPTCR_MER (1u << 4)
#define OPTSR_OPT_BUSY (1u << 0)
#define OPTSR_OPTCHANGEERR (1u << 30)
/* OPTSR as it leaves the factory: RDP 0xAA; the other fields as one H7 part was seen to read
 * (unconfirmed for the H743/H750). */
#define OPTSR_FACTORY 0x1006AAF0u

#define FLASH_WORD 32u
#define SECTOR_SIZE 0x20000u
#define BANK_SIZE 0x100000u

/* Typical times (FACTS.md, H743 datasheet): flash word 100 µs at x64 and 130 µs at x32; sector
 * erase 1 s at x64. Narrower parallelism is slower; the model assumes x16 180 µs / 2.5 s and
 * x8 250 µs / 4 s, and x32 erase 2 s. A bank erase takes 8 sector erases. */
static const uint64_t program_ps[4] = {250000000ull, 180000000ull, 130000000ull, 100000000ull};
static const uint64_t sector_erase_ps[4] = {4000000000000ull, 2500000000000ull, 2000000000000ull,
                                            1000000000000ull};
/* Programming the option bytes: no figure in FACTS.md; the model takes 1 ms, and the mass erase
 * of an RDP regression one x64 sector erase per sector of the larger bank (both in parallel). */
#define OPTION_PS 1000000000ull

/* Sectors in bank `index` (0 or 1): 8 on the 2 MiB parts, 1 on the H750, none past the last bank. */
static unsigned sectors_in(const sim_target *t, unsigned index)
{
    if (index >= t->profile->flash_banks) return 0;
    uint32_t bank_size = t->flash.size / t->profile->flash_banks;
    return (bank_size < BANK_SIZE ? bank_size : BANK_SIZE) / SECTOR_SIZE;
}

static void settle(sim_target *t, sim_flash_bank *b)
{
    if (b->eop_pending && !sim_flash_busy(t, b)) {
        b->eop_pending = false;
        b->sr |= SR_EOP;
    }
}

static bool word_programmed(const sim_flash *f, uint32_t offset)
{
    uint32_t w = offset / FLASH_WORD;
    return (f->programmed[w / 8] >> (w % 8)) & 1;
}

static void mark_erased(sim_flash *f, uint32_t offset, uint32_t length)
{
    for (uint32_t o = offset; o < offset + length; o += FLASH_WORD) {
        uint32_t w = o / FLASH_WORD;
        f->programmed[w / 8] &= (uint8_t)~(1u << (w % 8));
    }
    memset(f->mem + offset, 0xFF, length);
}

/* Programs the write buffer into its flash word (RM0433 4.3.9). */
static void commit_buffer(sim_target *t, sim_flash_bank *b)
{
    sim_flash *f = &t->flash;
    uint32_t offset = b->wb_addr;
    b->wb_bytes = 0;
    if (sim_flash_take_injected_error(t)) {
        b->sr |= SR_OPERR;
        return;
    }
    if (sim_flash_debug_locked_out(t)) { /* RDP level 1 with a debugger: no programming */
        b->sr |= SR_WRPERR;
        return;
    }
    /* ECC: a flash word may be programmed once per erase; the model reports a sequence error. */
    if (word_programmed(f, offset)) {
        b->sr |= SR_PGSERR;
        return;
    }
    memcpy(f->mem + offset, b->wb_data, FLASH_WORD);
    uint32_t w = offset / FLASH_WORD;
    f->programmed[w / 8] |= (uint8_t)(1u << (w % 8));
    sim_flash_start(t, b, program_ps[(b->cr >> 4) & 3]);
}

static bool opt_busy(const sim_target *t)
{
    return sim_core_now_ps(t) < t->flash.opt_busy_until_ps;
}

static sim_bus_status reg_read(sim_target *t, uint32_t offset, uint32_t *value)
{
    unsigned n = offset >= 0x100 ? 1 : 0;
    sim_flash_bank *b = &t->flash.banks[n];
    sim_flash *f = &t->flash;
    settle(t, b);
    bool busy = sim_flash_busy(t, b);
    switch (offset & 0xFF) {
    case CR: *value = b->cr | (b->unlocked ? 0 : CR_LOCK); break;
    case SR: *value = b->sr | (busy ? SR_BSY | SR_QW : 0) | (b->wb_bytes ? SR_WBNE : 0); break;
    case OPTCR: *value = (f->optcr & ~OPTCR_OPTLOCK) | (f->opt_unlocked ? 0 : OPTCR_OPTLOCK); break;
    case OPTSR_CUR:
        *value = (f->option_nv & ~(OPTSR_OPT_BUSY | OPTSR_OPTCHANGEERR)) | (opt_busy(t) ? OPTSR_OPT_BUSY : 0) |
                 (f->opt_change_error ? OPTSR_OPTCHANGEERR : 0);
        break;
    case OPTSR_PRG: *value = f->optsr_prg; break;
    default: *value = 0; break;
    }
    return SIM_BUS_OK;
}

static void erase(sim_target *t, sim_flash_bank *b, unsigned bank_index, uint32_t cr)
{
    if (sim_flash_take_injected_error(t)) {
        b->sr |= SR_OPERR;
        return;
    }
    if (sim_flash_debug_locked_out(t)) { /* RDP level 1 with a debugger: no erase */
        b->sr |= SR_WRPERR;
        return;
    }
    uint64_t sector_time = sector_erase_ps[(cr >> 4) & 3];
    uint32_t bank_offset = bank_index * BANK_SIZE;
    unsigned sectors = sectors_in(t, bank_index);
    if (cr & CR_BER) {
        if (!sectors) { /* a bank the part does not have: the model reports a sequence error */
            b->sr |= SR_PGSERR;
            return;
        }
        mark_erased(&t->flash, bank_offset, sectors * SECTOR_SIZE);
        sim_flash_start(t, b, sectors * sector_time);
    } else {
        uint32_t sector = (cr >> 8) & 7;
        if (sector >= sectors) { /* likewise a sector it does not have */
            b->sr |= SR_PGSERR;
            return;
        }
        mark_erased(&t->flash, bank_offset + sector * SECTOR_SIZE, SECTOR_SIZE);
        sim_flash_start(t, b, sector_time);
    }
}

/* OPTSTART: OPTSR_PRG becomes the option bytes and OPTSR_CUR shows them. From RDP level 1 to
 * level 0 the flash is mass-erased first; at level 2 nothing can change (OPTCHANGEERR). */
static void program_options(sim_target *t)
{
    sim_flash *f = &t->flash;
    uint8_t to = (uint8_t)(f->optsr_prg >> 8);
    unsigned from_level = sim_flash_rdp_level(t), to_level = to == 0xAA ? 0 : to == 0xCC ? 2 : 1;
    if (from_level == 2) {
        f->opt_change_error = true;
        return;
    }
    uint64_t time = OPTION_PS;
    if (from_level == 1 && to_level == 0) {
        unsigned sectors = sectors_in(t, 0) > sectors_in(t, 1) ? sectors_in(t, 0) : sectors_in(t, 1);
        uint64_t erase_time = sectors * sector_erase_ps[3];
        mark_erased(f, 0, f->size);
        for (unsigned n = 0; n < t->profile->flash_banks; n++) sim_flash_start(t, &f->banks[n], erase_time);
        time += erase_time;
    }
    f->option_nv = f->optsr_prg & ~(OPTSR_OPT_BUSY | OPTSR_OPTCHANGEERR);
    f->rdp_loaded = to;
    uint64_t now = sim_core_now_ps(t);
    f->opt_busy_until_ps = now + time;
}

static sim_bus_status reg_write(sim_target *t, uint32_t offset, uint32_t value)
{
    unsigned n = offset >= 0x100 ? 1 : 0;
    sim_flash_bank *b = &t->flash.banks[n];
    sim_flash *f = &t->flash;
    settle(t, b);
    switch (offset & 0xFF) {
    case KEYR: return sim_flash_key(b, value) ? SIM_BUS_OK : SIM_BUS_FAULT;
    case OPTKEYR: return sim_flash_opt_key(f, value) ? SIM_BUS_OK : SIM_BUS_FAULT;
    case CCR:
        b->sr &= ~(value & SR_CLEARABLE);
        return SIM_BUS_OK;
    case OPTCCR:
        if (value & OPTSR_OPTCHANGEERR) f->opt_change_error = false;
        return SIM_BUS_OK;
    case OPTSR_PRG:
        if (f->opt_unlocked) f->optsr_prg = value & ~(OPTSR_OPT_BUSY | OPTSR_OPTCHANGEERR);
        return SIM_BUS_OK;
    case OPTCR:
        if (!f->opt_unlocked) return SIM_BUS_OK;
        if ((value & OPTCR_MER) && f->banks[0].unlocked && (f->banks[1].unlocked || t->profile->flash_banks < 2)) {
            if (sim_flash_take_injected_error(t)) {
                f->banks[0].sr |= SR_OPERR;
            } else if (sim_flash_debug_locked_out(t)) {
                f->banks[0].sr |= SR_WRPERR;
            } else {
                mark_erased(f, 0, f->size);
                uint64_t time = sectors_in(t, 0) * sector_erase_ps[(f->banks[0].cr >> 4) & 3];
                for (unsigned k = 0; k < t->profile->flash_banks; k++) sim_flash_start(t, &f->banks[k], time);
            }
        }
        if ((value & OPTCR_OPTSTART) && !opt_busy(t)) program_options(t);
        if (value & OPTCR_OPTLOCK) f->opt_unlocked = false;
        return SIM_BUS_OK;
    case CR:
        if (!b->unlocked) return SIM_BUS_OK;
        if (value & CR_LOCK) {
            b->unlocked = false;
            b->cr = 0;
            return SIM_BUS_OK;
        }
        b->cr = value & 0x0FEF873Eu & ~(CR_START | CR_FW);
        if ((value & CR_FW) && b->wb_bytes) commit_buffer(t, b); /* force a partial word */
        if ((value & CR_START) && (value & (CR_SER | CR_BER)) && !sim_flash_busy(t, b)) {
            if (value & CR_PG) b->sr |= SR_PGSERR;
            else erase(t, b, n, value);
        }
        return SIM_BUS_OK;
    default: return SIM_BUS_OK;
    }
}

static sim_bus_status array_write(sim_target *t, uint32_t offset, unsigned size, uint32_t value)
{
    unsigned n = offset >= BANK_SIZE ? 1 : 0;
    sim_flash_bank *b = &t->flash.banks[n];
    settle(t, b);
    if (!b->unlocked || !(b->cr & CR_PG) || (b->cr & (CR_SER | CR_BER))) {
        b->sr |= SR_PGSERR;
        return SIM_BUS_OK;
    }
    uint32_t word = offset & ~(FLASH_WORD - 1);
    if (b->wb_bytes && word != b->wb_addr) { /* a different flash word before this one is full */
        b->sr |= SR_INCERR;
        b->wb_bytes = 0;
        return SIM_BUS_OK;
    }
    if (!b->wb_bytes) {
        b->wb_addr = word;
        memset(b->wb_data, 0xFF, FLASH_WORD);
    }
    for (unsigned i = 0; i < size; i++) b->wb_data[(offset & (FLASH_WORD - 1)) + i] = (uint8_t)(value >> (8 * i));
    b->wb_bytes = (uint8_t)(b->wb_bytes + size);
    if (b->wb_bytes >= FLASH_WORD) commit_buffer(t, b);
    return SIM_BUS_OK;
}

static void reset(sim_target *t)
{
    sim_flash *f = &t->flash;
    f->optcr = OPTCR_OPTLOCK;
    f->optsr_prg = f->option_nv;
    f->rdp_loaded = (uint8_t)(f->option_nv >> 8);
}

static void attach(sim_target *t)
{
    t->flash.option_nv = OPTSR_FACTORY;
}

const sim_flash_family_ops sim_flash_h7_ops = {reg_read, reg_write, array_write, reset, attach, 0x52002000u, 0x200};
