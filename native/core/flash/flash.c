#include "flash/flash.h"

#include "flash/crc32.h"
#include "flash/flash_loader.h"

#define KEY1 0x45670123u /* RM0008 3.3.1, RM0090 3.5.1, RM0433 4.5.1 */
#define KEY2 0xCDEF89ABu
#define OPTKEY1 0x08192A3Bu /* F4, F7, H7 (FACTS.md) */
#define OPTKEY2 0x4C5D6E7Fu
#define BUSY_POLLS 20000000u

typedef enum { FAMILY_NONE, FAMILY_F1, FAMILY_F4, FAMILY_H7 } family;

/* Per family: register offsets and bits (FACTS.md "Flash controllers"). */
typedef struct controller {
    family kind;
    uint32_t base;     /* bank 1 registers */
    uint32_t keyr, sr, cr;
    uint32_t busy;     /* SR busy bits */
    uint32_t errors;   /* SR error bits */
    uint32_t clear;    /* register where writing 1s clears SR flags (F1/F4: SR; H7: CCR) */
    uint32_t lock;     /* CR LOCK */
} controller;

static family family_of(uint16_t dev_id)
{
    switch (dev_id) {
    case 0x410: case 0x412: case 0x414: case 0x418: case 0x420: case 0x428: case 0x430: return FAMILY_F1;
    case 0x413: case 0x419: case 0x421: case 0x423: case 0x431: case 0x433: case 0x441: case 0x458:
    case 0x463: return FAMILY_F4;
    /* STM32F72x/73x (RM0431): the F4's controller at the same address with the same CR and SR
     * bits (SR bit 7 is ERSERR, a sequence error like the F4's PGSERR), PSIZE x32; its sectors
     * come from parts.c. */
    case 0x452: return FAMILY_F4;
    case 0x450: return FAMILY_H7;
    default: return FAMILY_NONE;
    }
}

static bool controller_of(const probe_session *p, controller *c)
{
    if (!p->part_known) return false;
    switch (family_of(p->part.dev_id)) {
    case FAMILY_F1:
        *c = (controller){FAMILY_F1, 0x40022000u, 0x04, 0x0C, 0x10, 1u << 0, (1u << 2) | (1u << 4), 0x0C, 1u << 7};
        return true;
    case FAMILY_F4:
        *c = (controller){FAMILY_F4, 0x40023C00u, 0x04, 0x0C, 0x10, 1u << 16, 0xF2u, 0x0C, 1u << 31};
        return true;
    case FAMILY_H7:
        *c = (controller){FAMILY_H7, 0x52002000u, 0x04, 0x10, 0x0C, (1u << 0) | (1u << 2), 0x006E0000u, 0x14, 1u << 0};
        return true;
    default: return false;
    }
}

/* H7 bank 2 (from 0x08100000) has its own registers at +0x100. */
static uint32_t bank_base(const controller *c, uint32_t addr)
{
    return c->kind == FAMILY_H7 && addr >= 0x08100000u ? c->base + 0x100 : c->base;
}

static bmp_status decode(const controller *c, uint32_t sr)
{
    switch (c->kind) {
    case FAMILY_F1:
        if (sr & (1u << 4)) return BMP_ERR_FLASH_PROTECTED;
        if (sr & (1u << 2)) return BMP_ERR_FLASH_NOT_ERASED;
        break;
    case FAMILY_F4:
        if (sr & (1u << 4)) return BMP_ERR_FLASH_PROTECTED;
        if (sr & ((1u << 5) | (1u << 6))) return BMP_ERR_FLASH_ALIGNMENT;
        if (sr & ((1u << 7) | (1u << 1))) return BMP_ERR_FLASH_SEQUENCE;
        break;
    case FAMILY_H7:
        if (sr & (1u << 17)) return BMP_ERR_FLASH_PROTECTED;
        if (sr & ((1u << 18) | (1u << 19) | (1u << 21) | (1u << 22))) return BMP_ERR_FLASH_SEQUENCE;
        break;
    default: break;
    }
    return BMP_OK;
}

/* Waits while busy, then checks and clears the error flags. */
static bmp_status wait_done(probe_session *p, const controller *c, uint32_t base)
{
    uint32_t sr = 0;
    bmp_status s;
    for (uint32_t i = 0;; i++) {
        if ((s = cortexm_read32(&p->core, base + c->sr, &sr)) != BMP_OK) return s;
        if (!(sr & c->busy)) break;
        if (i == BUSY_POLLS) return BMP_ERR_FLASH_TIMEOUT;
    }
    bmp_status e = decode(c, sr & c->errors);
    uint32_t eop = c->kind == FAMILY_F1 ? 1u << 5 : c->kind == FAMILY_F4 ? 1u : 1u << 16;
    if (sr & (c->errors | eop)) cortexm_write32(&p->core, base + c->clear, sr & (c->errors | eop));
    return e;
}

static bmp_status unlock(probe_session *p, const controller *c, uint32_t base)
{
    uint32_t cr = 0;
    bmp_status s = cortexm_read32(&p->core, base + c->cr, &cr);
    if (s != BMP_OK) return s;
    if (!(cr & c->lock)) return BMP_OK;
    /* A wrong sequence locks the controller until reset and the bus faults: report it plainly. */
    if (cortexm_write32(&p->core, base + c->keyr, KEY1) != BMP_OK || cortexm_write32(&p->core, base + c->keyr, KEY2) != BMP_OK)
        return BMP_ERR_FLASH_LOCKED;
    if ((s = cortexm_read32(&p->core, base + c->cr, &cr)) != BMP_OK) return s;
    return cr & c->lock ? BMP_ERR_FLASH_LOCKED : 0;
}

static void relock(probe_session *p, const controller *c, uint32_t base)
{
    cortexm_write32(&p->core, base + c->cr, c->lock);
}

bool flash_contains(const probe_session *p, uint32_t addr, uint32_t length)
{
    if (!p->part_known || length == 0) return false;
    uint32_t at = addr;
    uint64_t end = (uint64_t)addr + length;
    while (at < end) {
        bool found = false;
        for (unsigned i = 0; i < p->part.memory_count && !found; i++) {
            const part_memory *m = &p->part.memories[i];
            if (m->kind == PART_MEMORY_FLASH && at >= m->start && at - m->start < m->length) {
                at = m->start + m->length;
                found = true;
            }
        }
        if (!found) return false;
        if (at == 0) break; /* the region ended at 4 GiB */
    }
    return true;
}

/* The erase block containing `addr`: its start, size, and index (sector number within its bank). */
static bool block_at(const probe_session *p, uint32_t addr, uint32_t *start, uint32_t *size, uint32_t *index)
{
    uint32_t n = 0;
    for (unsigned i = 0; i < p->part.memory_count; i++) {
        const part_memory *m = &p->part.memories[i];
        if (m->kind != PART_MEMORY_FLASH || m->block_size == 0) continue;
        if (m->start == 0x08100000u) n = 0; /* H7 bank 2 numbers its sectors from 0 again */
        if (addr >= m->start && addr - m->start < m->length) {
            uint32_t k = (addr - m->start) / m->block_size;
            *start = m->start + k * m->block_size;
            *size = m->block_size;
            *index = n + k;
            return true;
        }
        n += m->length / m->block_size;
    }
    return false;
}

bool flash_block_span(const probe_session *p, uint32_t addr, uint32_t length, uint32_t *start, uint32_t *span)
{
    uint32_t s0, z0, i0, s1, z1, i1;
    if (length == 0 || !block_at(p, addr, &s0, &z0, &i0) || !block_at(p, addr + length - 1, &s1, &z1, &i1)) return false;
    *start = s0;
    *span = s1 + z1 - s0;
    return true;
}

uint32_t flash_unit(const probe_session *p)
{
    controller c;
    if (!controller_of(p, &c)) return 4;
    return c.kind == FAMILY_F1 ? 2 : c.kind == FAMILY_F4 ? 4 : 32;
}

/* The register writes that erase one block (RM0008 3.3.3: PER, AR, PER|STRT; RM0090 3.6.3: SER,
 * SNB, PSIZE x32, then STRT; RM0433 4.3.10: SER, SNB, PSIZE x32, then START): made by
 * erase_block, or by the loader just before it programs the block. */
static flash_loader_erase erase_entry(const controller *c, uint32_t base, uint32_t start, uint32_t index)
{
    flash_loader_erase e = {.start = start};
    uint32_t cr = base + c->cr;
    switch (c->kind) {
    case FAMILY_F1:
        e.writes[0][0] = cr, e.writes[0][1] = 1u << 1;
        e.writes[1][0] = base + 0x14, e.writes[1][1] = start;
        e.writes[2][0] = cr, e.writes[2][1] = (1u << 1) | (1u << 6);
        break;
    case FAMILY_F4:
        e.writes[0][0] = cr, e.writes[0][1] = (1u << 1) | (index << 3) | (2u << 8);
        e.writes[1][0] = cr, e.writes[1][1] = (1u << 1) | (index << 3) | (2u << 8) | (1u << 16);
        break;
    default:
        e.writes[0][0] = cr, e.writes[0][1] = (1u << 2) | (index << 8) | (2u << 4);
        e.writes[1][0] = cr, e.writes[1][1] = (1u << 2) | (index << 8) | (2u << 4) | (1u << 7);
        break;
    }
    return e;
}

static bmp_status erase_block(probe_session *p, const controller *c, uint32_t start, uint32_t index)
{
    uint32_t base = bank_base(c, start);
    bmp_status s = unlock(p, c, base);
    if (s != BMP_OK) return s;
    if ((s = wait_done(p, c, base)) != BMP_OK && s != BMP_ERR_FLASH_NOT_ERASED) return s; /* stale flags cleared */
    flash_loader_erase e = erase_entry(c, base, start, index);
    for (unsigned k = 0; k < 3 && s == BMP_OK; k++)
        if (e.writes[k][0]) s = cortexm_write32(&p->core, e.writes[k][0], e.writes[k][1]);
    if (s == BMP_OK) s = wait_done(p, c, base);
    cortexm_write32(&p->core, base + c->cr, 0);
    relock(p, c, base);
    return s;
}

bmp_status flash_erase(probe_session *p, uint32_t addr, uint32_t length)
{
    controller c;
    if (p->attached < 0) return BMP_ERR_NOT_ATTACHED;
    if (!controller_of(p, &c)) return BMP_ERR_FLASH_UNKNOWN_PART;
    if (!flash_contains(p, addr, length)) return BMP_ERR_FLASH_OUTSIDE;
    uint64_t end = (uint64_t)addr + length;
    for (uint64_t at = addr; at < end;) {
        uint32_t start, size, index;
        if (!block_at(p, (uint32_t)at, &start, &size, &index)) return BMP_ERR_FLASH_OUTSIDE;
        bmp_status s = erase_block(p, &c, start, index);
        if (s != BMP_OK) return s;
        at = (uint64_t)start + size;
    }
    return BMP_OK;
}

bmp_status flash_mass_erase(probe_session *p)
{
    controller c;
    if (p->attached < 0) return BMP_ERR_NOT_ATTACHED;
    if (!controller_of(p, &c)) return BMP_ERR_FLASH_UNKNOWN_PART;
    /* H7: each bank by itself; the H750 has bank 1 only. */
    unsigned banks = c.kind == FAMILY_H7 && flash_contains(p, 0x08100000u, 1) ? 2 : 1;
    for (unsigned b = 0; b < banks; b++) {
        uint32_t base = c.base + 0x100 * b;
        bmp_status s = unlock(p, &c, base);
        if (s == BMP_OK) s = wait_done(p, &c, base);
        if (s != BMP_OK && s != BMP_ERR_FLASH_NOT_ERASED) return s;
        /* F1: MER then MER|STRT; F4: MER (PSIZE x32) then STRT; H7: per bank BER then START. */
        uint32_t mer = c.kind == FAMILY_F1 ? 1u << 2 : c.kind == FAMILY_F4 ? (1u << 2) | (2u << 8) : (1u << 3) | (2u << 4);
        uint32_t strt = c.kind == FAMILY_F1 ? 1u << 6 : c.kind == FAMILY_F4 ? 1u << 16 : 1u << 7;
        s = cortexm_write32(&p->core, base + c.cr, mer);
        if (s == BMP_OK) s = cortexm_write32(&p->core, base + c.cr, mer | strt);
        if (s == BMP_OK) s = wait_done(p, &c, base);
        cortexm_write32(&p->core, base + c.cr, 0);
        relock(p, &c, base);
        if (s != BMP_OK) return s;
    }
    return BMP_OK;
}

/* CR for programming: PG, with PSIZE x32 on F4 and H7. */
static uint32_t pg_cr(const controller *c)
{
    return c->kind == FAMILY_F1 ? 1u : c->kind == FAMILY_F4 ? 1u | (2u << 8) : (1u << 1) | (2u << 4);
}

/* Direct programming through the MEM-AP: PG set, then writes of the unit's width. */
static bmp_status program_direct(probe_session *p, const controller *c, uint32_t addr, const uint8_t *data, size_t length)
{
    uint32_t base = bank_base(c, addr);
    bmp_status s = cortexm_write32(&p->core, base + c->cr, pg_cr(c));
    if (s != BMP_OK) return s;
    if (c->kind == FAMILY_F1) {
        s = adiv5_mem_write16(&p->dp, p->core.apsel, addr, data, length);
    } else {
        s = adiv5_mem_write(&p->dp, p->core.apsel, addr, data, length);
    }
    bmp_status w = wait_done(p, c, base);
    cortexm_write32(&p->core, base + c->cr, 0);
    return s != BMP_OK ? s : w;
}

#define CHUNK 4096u

/* A loader result as a flash status: the controller's error bits decoded. */
static bmp_status loader_status(const controller *c, bmp_status s, uint32_t sr)
{
    if (s == BMP_ERR_LOADER_FLASH) return decode(c, sr) ? decode(c, sr) : BMP_ERR_FLASH_SEQUENCE;
    if (s == BMP_ERR_LOADER_TIMEOUT) return BMP_ERR_FLASH_TIMEOUT;
    if (s == BMP_ERR_LOADER_FAULT) return BMP_ERR_FLASH_SEQUENCE;
    return s;
}

/* The common checks of program and write: a driver, an aligned start, the range in flash. */
static bmp_status prepare(const probe_session *p, controller *c, uint32_t addr, size_t length, uint32_t *unit)
{
    if (p->attached < 0) return BMP_ERR_NOT_ATTACHED;
    if (!controller_of(p, c)) return BMP_ERR_FLASH_UNKNOWN_PART;
    *unit = flash_unit(p);
    if (addr % *unit) return BMP_ERR_FLASH_ALIGNMENT;
    return flash_contains(p, addr, (uint32_t)((length + *unit - 1) / *unit * *unit)) ? 0 : BMP_ERR_FLASH_OUTSIDE;
}

/* The on-target loader over [addr, addr+length) (whole units, one bank), making `erase_count`
 * block erases on the way (flash_write) or none (flash_program); with `verify`, the routine
 * compares each unit it programmed with its data, and the CRC-32 of the data it received must
 * match the image's. */
static bmp_status program_loader(probe_session *p, const controller *c, uint32_t addr, const uint8_t *data, size_t length,
                          const flash_ram *ram, const flash_loader_erase *erases, unsigned erase_count,
                          bool verify, flash_progress progress, void *ctx)
{
    uint32_t base = bank_base(c, addr);
    bmp_status s = cortexm_write32(&p->core, base + c->cr, pg_cr(c));
    if (s != BMP_OK) return s;
    flash_loader_params params = {.ram_base = ram->base, .ram_size = ram->size, .sr_addr = base + c->sr,
                                  .busy_mask = c->busy, .error_mask = c->errors,
                                  .unit = (uint8_t)(c->kind == FAMILY_F1 ? 2 : c->kind == FAMILY_F4 ? 4 : 32),
                                  .cr_addr = base + c->cr, .pg_cr = pg_cr(c), .erases = erases,
                                  .erase_count = erase_count};
    uint32_t sr = 0, crc = 0;
    s = flash_loader_program(&p->core, &params, addr, data, length, &sr, verify ? &crc : 0, progress, ctx);
    s = loader_status(c, s, sr); /* not in one expression: sr is set by the call */
    bmp_status w = wait_done(p, c, base);
    cortexm_write32(&p->core, base + c->cr, 0);
    if (s == BMP_OK && w == BMP_OK && verify && crc != crc32_gdb(CRC32_GDB_INITIAL, data, length)) return BMP_ERR_VERIFY;
    return s != BMP_OK ? s : w;
}

bmp_status flash_program(probe_session *p, uint32_t addr, const uint8_t *data, size_t length, const flash_ram *ram,
                         flash_progress progress, void *ctx)
{
    controller c;
    uint32_t unit = 0;
    bmp_status e = prepare(p, &c, addr, length, &unit);
    if (e != BMP_OK) return e;
    size_t padded = (length + unit - 1) / unit * unit;
    /* The loader needs room for itself, its control block, two buffers and a stack. */
    bool fast = ram && ram->size >= 4096 && length >= 1024;
    uint8_t chunk[CHUNK];
    size_t done = 0;
    bmp_status s = BMP_OK;
    uint32_t unlocked_base = 0xFFFFFFFFu;
    while (done < padded && s == BMP_OK) {
        uint32_t at = addr + (uint32_t)done;
        size_t n = padded - done;
        /* H7 banks have their own registers: never cross from bank 1 into bank 2 in one go. */
        if (c.kind == FAMILY_H7 && at < 0x08100000u && at + n > 0x08100000u) n = 0x08100000u - at;
        uint32_t base = bank_base(&c, at);
        if (base != unlocked_base) {
            if ((s = unlock(p, &c, base)) != BMP_OK) break;
            if ((s = wait_done(p, &c, base)) != BMP_OK) break;
            unlocked_base = base;
        }
        size_t whole = done + n <= length ? n : (length - done) / unit * unit; /* units fully in data */
        if (fast && whole >= 1024) {
            s = program_loader(p, &c, at, data + done, whole, ram, 0, 0, false, progress, ctx);
            n = whole;
        } else {
            if (n > CHUNK) n = CHUNK;
            for (size_t i = 0; i < n; i++) chunk[i] = done + i < length ? data[done + i] : 0xFF;
            s = program_direct(p, &c, at, chunk, n);
        }
        done += n;
        if (progress && s == BMP_OK) progress(ctx, done < length ? done : length, length);
    }
    relock(p, &c, c.base);
    if (c.kind == FAMILY_H7) relock(p, &c, c.base + 0x100);
    return s;
}

void flash_progress_after(void *ctx, size_t done, size_t total)
{
    (void)total;
    flash_progress_from *f = ctx;
    f->progress(f->ctx, f->before + done, f->total);
}

bmp_status flash_write(probe_session *p, uint32_t addr, const uint8_t *data, size_t length, const flash_ram *ram,
                bool verify, flash_progress progress, void *ctx)
{
    controller c;
    uint32_t unit = 0;
    bmp_status e = prepare(p, &c, addr, length, &unit);
    if (e != BMP_OK) return e;
    size_t whole = length / unit * unit;
    if (!ram || ram->size < 4096 || whole < 1024) { /* small, or no RAM: erase, then direct */
        bmp_status s = flash_erase(p, addr, (uint32_t)length);
        if (s == 0) s = flash_program(p, addr, data, length, 0, progress, ctx);
        return s == 0 && verify ? flash_verify(p, addr, data, length) : s;
    }
    flash_loader_erase erases[FLASH_LOADER_MAX_ERASES];
    size_t done = 0;
    uint32_t erased_to = addr; /* every block below this has been erased */
    bmp_status s = BMP_OK;
    while (s == BMP_OK && done < whole) {
        uint32_t at = addr + (uint32_t)done, base = bank_base(&c, at);
        /* One loader run: at most FLASH_LOADER_MAX_ERASES blocks, within one bank. */
        unsigned n = 0;
        uint32_t end = at;
        while (n < FLASH_LOADER_MAX_ERASES && end < addr + whole && bank_base(&c, end) == base) {
            uint32_t start, size, index;
            if (!block_at(p, end, &start, &size, &index)) break;
            erases[n++] = erase_entry(&c, base, start, index);
            end = start + size;
        }
        erased_to = end; /* the end of the last block erased */
        if (end > addr + whole) end = addr + (uint32_t)whole;
        if ((s = unlock(p, &c, base)) != 0 || (s = wait_done(p, &c, base)) != 0) break;
        flash_progress_from from = {progress, ctx, done, length};
        s = program_loader(p, &c, at, data + done, end - at, ram, erases, n, verify, progress ? flash_progress_after : 0,
                           &from);
        relock(p, &c, base);
        done += end - at;
        if (progress && s == BMP_OK) progress(ctx, done, length);
    }
    if (s == BMP_OK && whole < length) { /* the tail short of a unit: its block may not be erased yet */
        uint32_t tail = addr + (uint32_t)whole;
        if (tail >= erased_to) s = flash_erase(p, tail, (uint32_t)(length - whole));
        if (s == 0) s = flash_program(p, tail, data + whole, length - whole, 0, 0, 0);
        if (s == 0 && verify) s = flash_verify(p, tail, data + whole, length - whole);
        if (progress && s == 0) progress(ctx, length, length);
    }
    return s;
}

bool flash_default_ram(const probe_session *p, flash_ram *ram)
{
    /* The first RAM region the core can execute from and the AP can write: on these parts the
     * one at 0x20000000 (F1/F4 SRAM, H7 DTCM), up to 128 KiB: a ring that holds data for the
     * longest erase (a 128 KiB sector, about 1 s) keeps a slow link busy. */
    for (unsigned i = 0; p->part_known && i < p->part.memory_count; i++) {
        const part_memory *m = &p->part.memories[i];
        if (m->kind == PART_MEMORY_RAM && m->start == 0x20000000u) {
            ram->base = m->start;
            ram->size = m->length < 0x20000u ? m->length : 0x20000u;
            return true;
        }
    }
    return false;
}

bmp_status flash_verify(probe_session *p, uint32_t addr, const uint8_t *data, size_t length)
{
    uint8_t chunk[1024];
    for (size_t done = 0; done < length;) {
        size_t n = length - done < sizeof chunk ? length - done : sizeof chunk;
        bmp_status s = adiv5_mem_read(&p->dp, p->core.apsel, addr + (uint32_t)done, chunk, n);
        if (s != BMP_OK) return s;
        for (size_t i = 0; i < n; i++)
            if (chunk[i] != data[done + i]) return BMP_ERR_VERIFY;
        done += n;
    }
    return BMP_OK;
}

/* --- read-out protection ------------------------------------------------------------------ */

/* Where each family shows it: F1 OBR.RDPRT (0x4002201C bit 1, RM0008); F4/F7 the RDP byte of
 * FLASH_OPTCR (bits 15:8, as loaded at reset); H7 the RDP byte of FLASH_OPTSR_CUR (bits 15:8). */
#define F1_OBR 0x1Cu
#define F4_OPTKEYR 0x08u
#define F4_OPTCR 0x14u
#define H7_OPTKEYR 0x08u
#define H7_OPTCR 0x18u
#define H7_OPTSR_CUR 0x1Cu
#define H7_OPTSR_PRG 0x20u
#define H7_OPTCCR 0x24u
#define OPTLOCK (1u << 0)          /* F4/F7/H7 OPTCR */
#define F4_OPTSTRT (1u << 1)
#define H7_OPTSTART (1u << 1)
#define H7_OPT_BUSY (1u << 0)      /* OPTSR_CUR */
#define H7_OPTCHANGEERR (1u << 30) /* OPTSR_CUR; cleared through OPTCCR bit 30 */
#define RDP_LEVEL0 0xAAu
#define RDP_LEVEL2 0xCCu

static unsigned level_of(uint8_t rdp)
{
    return rdp == RDP_LEVEL0 ? 0 : rdp == RDP_LEVEL2 ? 2 : 1;
}

bmp_status flash_read_protection(probe_session *p, flash_rdp *rdp)
{
    controller c;
    uint32_t v = 0;
    if (p->attached < 0) return BMP_ERR_NOT_ATTACHED;
    if (!controller_of(p, &c)) return BMP_ERR_FLASH_UNKNOWN_PART;
    *rdp = (flash_rdp){0};
    bmp_status s = cortexm_read32(&p->core, c.base + (c.kind == FAMILY_F1 ? F1_OBR : c.kind == FAMILY_F4 ? F4_OPTCR : H7_OPTSR_CUR), &v);
    if (s != BMP_OK) return s;
    if (c.kind == FAMILY_F1) {
        rdp->level = (v >> 1) & 1;
        return BMP_OK;
    }
    rdp->has_byte = true;
    rdp->byte = (uint8_t)(v >> 8);
    rdp->level = level_of(rdp->byte);
    return BMP_OK;
}

/* Clears OPTLOCK with the option-key sequence (a wrong one would lock it until reset). */
static bmp_status unlock_options(probe_session *p, uint32_t optkeyr, uint32_t optcr)
{
    uint32_t v = 0;
    bmp_status s = cortexm_read32(&p->core, optcr, &v);
    if (s != BMP_OK || !(v & OPTLOCK)) return s;
    if (cortexm_write32(&p->core, optkeyr, OPTKEY1) != BMP_OK || cortexm_write32(&p->core, optkeyr, OPTKEY2) != BMP_OK)
        return BMP_ERR_FLASH_LOCKED;
    if ((s = cortexm_read32(&p->core, optcr, &v)) != BMP_OK) return s;
    return v & OPTLOCK ? BMP_ERR_FLASH_LOCKED : BMP_OK;
}

/* F4/F7 (RM0090, RM0431): RDP 0xAA into OPTCR with the other option bits kept, OPTSTRT, wait for
 * BSY (the mass erase takes seconds); the option bytes are loaded again at the next reset. */
static bmp_status regress_f4(probe_session *p, const controller *c)
{
    uint32_t optcr = 0;
    bmp_status s = unlock_options(p, c->base + F4_OPTKEYR, c->base + F4_OPTCR);
    if (s == BMP_OK) s = wait_done(p, c, c->base);
    if (s == BMP_OK) s = cortexm_read32(&p->core, c->base + F4_OPTCR, &optcr);
    if (s != BMP_OK) return s;
    uint32_t v = (optcr & ~(0xFF00u | OPTLOCK | F4_OPTSTRT)) | (RDP_LEVEL0 << 8);
    s = cortexm_write32(&p->core, c->base + F4_OPTCR, v);
    if (s == BMP_OK) s = cortexm_write32(&p->core, c->base + F4_OPTCR, v | F4_OPTSTRT);
    if (s == BMP_OK) s = wait_done(p, c, c->base);
    cortexm_write32(&p->core, c->base + F4_OPTCR, v | OPTLOCK);
    return s;
}

/* H7 (RM0433): RDP 0xAA into OPTSR_PRG with the other option bits as OPTSR_CUR has them,
 * OPTSTART, wait for OPT_BUSY (the mass erase of both banks takes seconds); OPTCHANGEERR means
 * the change was refused. OPTSR_CUR shows the result at once. */
static bmp_status regress_h7(probe_session *p, const controller *c)
{
    uint32_t cur = 0;
    bmp_status s = unlock_options(p, c->base + H7_OPTKEYR, c->base + H7_OPTCR);
    if (s == BMP_OK) s = cortexm_read32(&p->core, c->base + H7_OPTSR_CUR, &cur);
    if (s != BMP_OK) return s;
    uint32_t prg = (cur & ~(0xFF00u | H7_OPT_BUSY | H7_OPTCHANGEERR)) | (RDP_LEVEL0 << 8);
    s = cortexm_write32(&p->core, c->base + H7_OPTSR_PRG, prg);
    if (s == BMP_OK) s = cortexm_write32(&p->core, c->base + H7_OPTCR, H7_OPTSTART);
    for (uint32_t i = 0; s == BMP_OK; i++) {
        if ((s = cortexm_read32(&p->core, c->base + H7_OPTSR_CUR, &cur)) != BMP_OK) break;
        if (!(cur & H7_OPT_BUSY)) break;
        if (i == BUSY_POLLS) s = BMP_ERR_FLASH_TIMEOUT;
    }
    if (s == BMP_OK && (cur & H7_OPTCHANGEERR)) {
        cortexm_write32(&p->core, c->base + H7_OPTCCR, H7_OPTCHANGEERR);
        s = BMP_ERR_FLASH_SEQUENCE;
    }
    cortexm_write32(&p->core, c->base + H7_OPTCR, OPTLOCK);
    return s;
}

bmp_status flash_rdp_regress(probe_session *p)
{
    controller c;
    flash_rdp rdp;
    bmp_status s = flash_read_protection(p, &rdp);
    if (s != BMP_OK) return s;
    if (!controller_of(p, &c)) return BMP_ERR_FLASH_UNKNOWN_PART;
    if (rdp.level == 2) return BMP_ERR_RDP_PERMANENT;
    if (rdp.level == 0) return BMP_OK;
    switch (c.kind) {
    case FAMILY_F4: return regress_f4(p, &c);
    case FAMILY_H7: return regress_h7(p, &c);
    default: return BMP_ERR_INVALID; /* F1: its option-byte erase and RDP key are not implemented */
    }
}
