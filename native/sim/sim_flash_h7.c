/* STM32H7 flash controller, RM0433 §4: two banks of 8 × 128 KiB sectors, programming by
 * 256-bit flash word through a write buffer, sector, bank and mass erase. Bank 2's registers
 * sit at +0x100. */
#include "sim_flash.h"

#include <string.h>

#include "sim_target.h"

#define KEYR 0x04u
#define OPTKEYR 0x08u
#define CR 0x0Cu
#define SR 0x10u
#define CCR 0x14u
#define OPTCR 0x18u

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
#define OPTCR_MER (1u << 4)

#define FLASH_WORD 32u
#define SECTOR_SIZE 0x20000u
#define BANK_SIZE 0x100000u

/* Typical times (FACTS.md, H743 datasheet): flash word 100 µs at x64 and 130 µs at x32; sector
 * erase 1 s at x64. Narrower parallelism is slower; the model assumes x16 180 µs / 2.5 s and
 * x8 250 µs / 4 s, and x32 erase 2 s. A bank erase takes 8 sector erases. */
static const uint64_t program_ps[4] = {250000000ull, 180000000ull, 130000000ull, 100000000ull};
static const uint64_t sector_erase_ps[4] = {4000000000000ull, 2500000000000ull, 2000000000000ull,
                                            1000000000000ull};

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

static sim_bus_status reg_read(sim_target *t, uint32_t offset, uint32_t *value)
{
    unsigned n = offset >= 0x100 ? 1 : 0;
    sim_flash_bank *b = &t->flash.banks[n];
    settle(t, b);
    bool busy = sim_flash_busy(t, b);
    switch (offset & 0xFF) {
    case CR: *value = b->cr | (b->unlocked ? 0 : CR_LOCK); break;
    case SR: *value = b->sr | (busy ? SR_BSY | SR_QW : 0) | (b->wb_bytes ? SR_WBNE : 0); break;
    case OPTCR: *value = (t->flash.optcr & ~1u) | (t->flash.opt_unlocked ? 0 : 1); break;
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
    uint64_t sector_time = sector_erase_ps[(cr >> 4) & 3];
    uint32_t bank_offset = bank_index * BANK_SIZE;
    if (cr & CR_BER) {
        mark_erased(&t->flash, bank_offset, BANK_SIZE);
        sim_flash_start(t, b, 8 * sector_time);
    } else {
        uint32_t sector = (cr >> 8) & 7;
        mark_erased(&t->flash, bank_offset + sector * SECTOR_SIZE, SECTOR_SIZE);
        sim_flash_start(t, b, sector_time);
    }
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
    case OPTCR:
        if (!f->opt_unlocked) return SIM_BUS_OK;
        if ((value & OPTCR_MER) && f->banks[0].unlocked && f->banks[1].unlocked) {
            if (sim_flash_take_injected_error(t)) {
                f->banks[0].sr |= SR_OPERR;
            } else {
                mark_erased(f, 0, f->size);
                uint64_t time = 8 * sector_erase_ps[(f->banks[0].cr >> 4) & 3];
                sim_flash_start(t, &f->banks[0], time);
                sim_flash_start(t, &f->banks[1], time);
            }
        }
        if (value & 1) f->opt_unlocked = false;
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
    t->flash.optcr = 0x00000001u;
}

const sim_flash_family_ops sim_flash_h7_ops = {reg_read, reg_write, array_write, reset, 0x52002000u, 0x200};
