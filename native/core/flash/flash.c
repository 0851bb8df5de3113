#include "flash/flash.h"

#include "families/family.h"
#include "flash/crc32.h"
#include "flash/flash_loader.h"

/* The attached part's flash driver, or NULL. */
static const family_flash *driver(const probe_session *p)
{
    return p->part_known && p->part.family ? p->part.family->flash : 0;
}

/* The bank holding `addr` (one bank over everything when the driver says nothing). */
static void bank_of(const probe_session *p, const family_flash *f, uint32_t addr, uint32_t *start, uint32_t *end)
{
    *start = 0;
    *end = 0xFFFFFFFFu;
    if (f && f->bank) f->bank(p, f, addr, start, end);
}

bool flash_contains(const probe_session *p, uint32_t addr, uint32_t length)
{
    return p->part_known && part_holds(&p->part, PART_KIND(PART_MEMORY_FLASH), addr, length);
}

/* The erase block containing `addr`: its start, size, and index (block number within its bank,
 * counted over the flash regions from the bank's start). */
static bool block_at(const probe_session *p, uint32_t addr, uint32_t *start, uint32_t *size, uint32_t *index)
{
    uint32_t bank = 0, bank_end = 0, n = 0;
    bank_of(p, driver(p), addr, &bank, &bank_end);
    for (unsigned i = 0; i < p->part.memory_count; i++) {
        const part_memory *m = &p->part.memories[i];
        if (m->kind != PART_MEMORY_FLASH || m->block_size == 0) continue;
        uint32_t from = m->start >= bank ? m->start : bank; /* the region's part in this bank */
        if (addr >= m->start && addr - m->start < m->length) {
            uint32_t k = (addr - m->start) / m->block_size;
            *start = m->start + k * m->block_size;
            *size = m->block_size;
            *index = n + (*start - from) / m->block_size;
            return true;
        }
        if ((uint64_t)m->start + m->length > bank) n += (uint32_t)((uint64_t)m->start + m->length - from) / m->block_size;
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

/* The flash of the bank holding `addr`: [*lo, *hi), the bank cut to the flash regions in it. */
static bool bank_flash(const probe_session *p, const family_flash *f, uint32_t addr, uint32_t *lo, uint32_t *hi)
{
    uint32_t bank = 0, bank_end = 0;
    bank_of(p, f, addr, &bank, &bank_end);
    uint64_t l = UINT64_MAX, h = 0;
    for (unsigned i = 0; i < p->part.memory_count; i++) {
        const part_memory *m = &p->part.memories[i];
        uint64_t ms = m->start, me = (uint64_t)m->start + m->length;
        if (m->kind != PART_MEMORY_FLASH || me <= bank || ms >= bank_end) continue;
        if ((ms > bank ? ms : bank) < l) l = ms > bank ? ms : bank;
        if ((me < bank_end ? me : bank_end) > h) h = me < bank_end ? me : bank_end;
    }
    if (h <= l || h > 0xFFFFFFFFu) return false;
    *lo = (uint32_t)l;
    *hi = (uint32_t)h;
    return true;
}

/* Whether [at, end) reaches every erase block of the bank holding `at`, from the bank's first
 * block: then one bank erase does what erasing its blocks would (the bank is [*lo, *hi)). */
static bool covers_bank(const probe_session *p, const family_flash *f, uint32_t at, uint64_t end, uint32_t *lo,
                        uint32_t *hi)
{
    uint32_t start = 0, span = 0;
    if (!bank_flash(p, f, at, lo, hi)) return false;
    uint64_t to = end < *hi ? end : *hi;
    return to > at && flash_block_span(p, at, (uint32_t)(to - at), &start, &span) && start == *lo &&
           (uint64_t)start + span == *hi;
}

uint32_t flash_unit(const probe_session *p)
{
    const family_flash *f = driver(p);
    return f ? f->unit : 4;
}

bmp_status flash_erase(probe_session *p, uint32_t addr, uint32_t length)
{
    const family_flash *f = driver(p);
    if (p->attached < 0) return BMP_ERR_NOT_ATTACHED;
    if (!f) return BMP_ERR_FLASH_UNKNOWN_PART;
    if (!flash_contains(p, addr, length)) return BMP_ERR_FLASH_OUTSIDE;
    uint32_t first = 0, span = 0;
    if (f->erase_range && flash_block_span(p, addr, length, &first, &span)) return f->erase_range(p, f, first, first + span);
    uint64_t end = (uint64_t)addr + length;
    for (uint64_t at = addr; at < end;) {
        uint32_t start, size, index, lo, hi;
        if (f->erase_bank && covers_bank(p, f, (uint32_t)at, end, &lo, &hi)) { /* a whole bank at once */
            bmp_status s = f->erase_bank(p, f, lo);
            if (s != BMP_OK) return s;
            at = hi;
            continue;
        }
        if (!block_at(p, (uint32_t)at, &start, &size, &index)) return BMP_ERR_FLASH_OUTSIDE;
        bmp_status s = f->erase_block(p, f, start, index);
        if (s != BMP_OK) return s;
        at = (uint64_t)start + size;
    }
    return BMP_OK;
}

bmp_status flash_mass_erase(probe_session *p)
{
    const family_flash *f = driver(p);
    if (p->attached < 0) return BMP_ERR_NOT_ATTACHED;
    if (!f) return BMP_ERR_FLASH_UNKNOWN_PART;
    return f->mass_erase(p, f);
}

#define CHUNK 4096u

/* The common checks of program and write: a driver, an aligned start, the range in flash. */
static bmp_status prepare(const probe_session *p, const family_flash **f, uint32_t addr, size_t length, uint32_t *unit)
{
    if (p->attached < 0) return BMP_ERR_NOT_ATTACHED;
    if (!(*f = driver(p))) return BMP_ERR_FLASH_UNKNOWN_PART;
    *unit = (*f)->unit;
    if (addr % *unit) return BMP_ERR_FLASH_ALIGNMENT;
    return flash_contains(p, addr, (uint32_t)((length + *unit - 1) / *unit * *unit)) ? 0 : BMP_ERR_FLASH_OUTSIDE;
}

/* The on-target loader over [addr, addr+length) (whole units, one bank), making `erase_count`
 * block erases on the way (flash_write) or none (flash_program); with `verify`, the routine
 * compares each unit it programmed with its data, and the CRC-32 of the data it received must
 * match the image's. */
static bmp_status program_loader(probe_session *p, const family_flash *f, uint32_t addr, const uint8_t *data,
                                 size_t length, const flash_ram *ram, const flash_loader_erase *erases,
                                 unsigned erase_count, bool verify, flash_progress progress, void *ctx)
{
    flash_loader_params params = {.ram_base = ram->base, .ram_size = ram->size, .unit = f->unit, .erases = erases,
                                  .erase_count = erase_count};
    bmp_status s = f->loader_begin(p, f, addr, &params);
    if (s != BMP_OK) return s;
    uint32_t sr = 0, crc = 0;
    s = flash_loader_program(&p->core, &params, addr, data, length, &sr, verify ? &crc : 0, progress, ctx);
    s = f->loader_end(p, f, addr, s, sr); /* not in one expression: sr is set by the call */
    if (s == BMP_OK && verify && crc != crc32_gdb(CRC32_GDB_INITIAL, data, length)) return BMP_ERR_VERIFY;
    return s;
}

bmp_status flash_program(probe_session *p, uint32_t addr, const uint8_t *data, size_t length, const flash_ram *ram,
                         flash_progress progress, void *ctx)
{
    const family_flash *f = 0;
    uint32_t unit = 0;
    bmp_status e = prepare(p, &f, addr, length, &unit);
    if (e != BMP_OK) return e;
    size_t padded = (length + unit - 1) / unit * unit;
    /* The loader needs room for itself, its control block, two buffers and a stack. */
    bool fast = f->loader_begin && ram && ram->size >= 4096 && length >= 1024;
    uint8_t chunk[CHUNK];
    size_t done = 0;
    bmp_status s = BMP_OK;
    bool begun = false;
    uint32_t bank = 0, bank_end = 0;
    while (done < padded && s == BMP_OK) {
        uint32_t at = addr + (uint32_t)done;
        size_t n = padded - done;
        if (!begun || at < bank || at >= bank_end) { /* a bank of its own registers: begin it */
            if (begun) f->end(p, f, bank);
            bank_of(p, f, at, &bank, &bank_end);
            if ((s = f->begin(p, f, at)) != BMP_OK) break;
            begun = true;
        }
        if (n > bank_end - at) n = bank_end - at; /* never across banks in one go */
        size_t whole = done + n <= length ? n : (length - done) / unit * unit; /* units fully in data */
        if (fast && whole >= 1024) {
            s = program_loader(p, f, at, data + done, whole, ram, 0, 0, false, progress, ctx);
            n = whole;
        } else if (f->program_run) {
            if (n > f->program_run - at % f->program_run) n = f->program_run - at % f->program_run; /* aligned runs */
            size_t real = done >= length ? 0 : length - done < n ? length - done : n; /* the rest is padding */
            if (real) s = f->program(p, f, at, data + done, real);
        } else {
            if (n > CHUNK) n = CHUNK;
            for (size_t i = 0; i < n; i++) chunk[i] = done + i < length ? data[done + i] : 0xFF;
            s = f->program(p, f, at, chunk, n);
        }
        done += n;
        if (progress && s == BMP_OK) progress(ctx, done < length ? done : length, length);
    }
    if (begun) f->end(p, f, bank);
    return s;
}

void flash_progress_after(void *ctx, size_t done, size_t total)
{
    (void)total;
    flash_progress_from *f = ctx;
    f->progress(f->ctx, f->before + done, f->total);
}

/* Verifies [addr, addr+length) against `data`: by the target's own CRC-32 where RAM is given and
 * the range is long (nothing read back over the link), else (or if the routine fails) by reading
 * it back. */
static bmp_status verify_range(probe_session *p, uint32_t addr, const uint8_t *data, size_t length, const flash_ram *ram)
{
    uint32_t crc = 0;
    if (ram && ram->size >= 4096 && length >= 4096 &&
        flash_loader_crc(&p->core, ram->base, ram->size, addr, (uint32_t)length, &crc, 10000u) == BMP_OK)
        return crc == crc32_gdb(CRC32_GDB_INITIAL, data, length) ? BMP_OK : BMP_ERR_VERIFY;
    return flash_verify(p, addr, data, length);
}

bmp_status flash_write(probe_session *p, uint32_t addr, const uint8_t *data, size_t length, const flash_ram *ram,
                bool verify, flash_progress progress, void *ctx)
{
    const family_flash *f = 0;
    uint32_t unit = 0;
    bmp_status e = prepare(p, &f, addr, length, &unit);
    if (e != BMP_OK) return e;
    size_t whole = length / unit * unit;
    if (!f->loader_begin || !ram || ram->size < 4096 || whole < 1024) { /* small, or no RAM: erase, then direct */
        bmp_status s = flash_erase(p, addr, (uint32_t)length);
        if (s == 0) s = flash_program(p, addr, data, length, 0, progress, ctx);
        return s == 0 && verify ? verify_range(p, addr, data, length, ram) : s;
    }
    flash_loader_erase erases[FLASH_LOADER_MAX_ERASES];
    size_t done = 0;
    uint32_t erased_to = addr; /* every block below this has been erased */
    bmp_status s = BMP_OK;
    while (s == BMP_OK && done < whole) {
        uint32_t at = addr + (uint32_t)done, bank = 0, bank_end = 0;
        bank_of(p, f, at, &bank, &bank_end);
        /* One loader run: at most FLASH_LOADER_MAX_ERASES blocks, within one bank; or the whole
         * bank with one erase when the data covers all its blocks. */
        unsigned n = 0;
        uint32_t end = at, lo = 0, hi = 0;
        if (f->loader_bank_erase && covers_bank(p, f, at, (uint64_t)addr + length, &lo, &hi)) {
            erases[n++] = f->loader_bank_erase(f, lo);
            end = hi;
        }
        while (n < FLASH_LOADER_MAX_ERASES && end < addr + whole && end >= bank && end < bank_end) {
            uint32_t start, size, index;
            if (!block_at(p, end, &start, &size, &index)) break;
            erases[n++] = f->loader_erase(f, bank, start, index);
            end = start + size;
        }
        erased_to = end; /* the end of the last block erased */
        if (end > addr + whole) end = addr + (uint32_t)whole;
        if ((s = f->begin(p, f, at)) != BMP_OK) break;
        flash_progress_from from = {progress, ctx, done, length};
        s = program_loader(p, f, at, data + done, end - at, ram, erases, n, verify, progress ? flash_progress_after : 0,
                           &from);
        f->end(p, f, at);
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

bmp_status flash_read_protection(probe_session *p, flash_rdp *rdp)
{
    const family_flash *f = driver(p);
    if (p->attached < 0) return BMP_ERR_NOT_ATTACHED;
    if (!f) return BMP_ERR_FLASH_UNKNOWN_PART;
    *rdp = (flash_rdp){.driven = f->read_protection != 0};
    return f->read_protection ? f->read_protection(p, f, rdp) : BMP_OK; /* none: level 0 */
}

bmp_status flash_rdp_regress(probe_session *p)
{
    flash_rdp rdp;
    bmp_status s = flash_read_protection(p, &rdp);
    if (s != BMP_OK) return s;
    if (rdp.level == 2) return BMP_ERR_RDP_PERMANENT;
    if (rdp.level == 0) return BMP_OK;
    const family_flash *f = driver(p);
    return f->rdp_regress ? f->rdp_regress(p, f) : BMP_ERR_INVALID;
}
