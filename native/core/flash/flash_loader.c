/* The host side of the fast flash path (flash_loader.h): places the routine, the control block
 * and the buffers in the target's RAM, starts the routine, and streams the data into the free
 * buffers while it programs the filled ones.
 *
 * The host never waits while there is room in the ring: each free buffer is written and its
 * write_index published (through the banked data registers) without a round trip, and only when
 * the ring is full as far as the host knows, or everything is sent, does one queued batch read
 * back read_index, state and DHCSR. On a slow link (full-speed HID: ~2 ms per round trip) that
 * keeps every USB frame carrying data. When the ring is full the batch alone polls; on a
 * simulated target that SWD traffic is also what lets virtual time pass. */
#include "flash/flash_loader.h"

#include "common/bytes.h"
#include "cortexm/debug_regs.h"

#define REG_SP 13u
#define REG_PC 15u
#define REG_XPSR 16u
#define REG_SPECIAL 20u /* CONTROL, FAULTMASK, BASEPRI, PRIMASK */

typedef struct layout {
    uint32_t code, cb, buffers, stack_top, table;
    uint32_t count, size;
} layout;

/* Places the routine, the control block, the buffers and the stack in the RAM window. */
static bool plan(const flash_loader_params *p, size_t length, layout *l)
{
    uint32_t align = p->unit > 4 ? p->unit : 4; /* buffers stay word-aligned for the MEM-AP */
    uint64_t top = ((uint64_t)p->ram_base + p->ram_size) & ~(uint64_t)7;
    if (top > 0xFFFFFFF8u) top = 0xFFFFFFF8u; /* the window may not wrap */
    l->code = (p->ram_base + 3u) & ~3u;
    uint64_t cb = ((uint64_t)l->code + flash_loader_blob_size + 15u) & ~(uint64_t)15;
    uint64_t buffers = cb + FLASH_LOADER_CB_SIZE;
    uint64_t table = p->erase_count ? (uint64_t)p->erase_count * sizeof(flash_loader_erase) + 4u : 0;
    if (buffers + FLASH_LOADER_STACK + table > top) return false;
    uint64_t room = top - FLASH_LOADER_STACK - table - buffers;
    l->table = table ? (uint32_t)((top - FLASH_LOADER_STACK - table) & ~(uint64_t)3) : 0;
    uint64_t size = p->buffer_size ? p->buffer_size : FLASH_LOADER_DEFAULT_BUFFER;
    if (!p->buffer_size) {
        /* The default: no larger than the data, and small enough for two buffers. */
        uint64_t need = ((uint64_t)length + align - 1) / align * align;
        if (size > need) size = need;
        if (size > room / 2) size = room / 2 / align * align;
    }
    if (size == 0 || size % align || size > room) return false;
    uint64_t count = room / size, blocks = ((uint64_t)length + size - 1) / size;
    if (count > FLASH_LOADER_MAX_BUFFERS) count = FLASH_LOADER_MAX_BUFFERS;
    if (count > blocks) count = blocks;
    if (count == 0) count = 1;
    l->cb = (uint32_t)cb;
    l->buffers = (uint32_t)buffers;
    l->stack_top = (uint32_t)top;
    l->count = (uint32_t)count;
    l->size = (uint32_t)size;
    return true;
}

/* Stops the routine and reports what the flash controller says. */
static bmp_status stop(cortexm *c, const flash_loader_params *p, bmp_status result, uint32_t *sr_out, bool halted)
{
    bmp_status s = halted ? 0 : cortexm_halt(c);
    if (result == BMP_ERR_LOADER_FAULT && sr_out) {
        uint32_t sr = 0;
        if (cortexm_read32(c, p->sr_addr, &sr) == 0) *sr_out = sr & p->error_mask;
    }
    return s != BMP_OK && result == BMP_OK ? s : result;
}

/* The registers a routine run changes: the core registers, MSP, PSP and the special ones. */
static const unsigned saved_regs[20] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20};

static bmp_status run_program(cortexm *c, const flash_loader_params *p, uint32_t dest, const uint8_t *data, size_t length,
                       uint32_t *sr_out, uint32_t *crc_out, flash_loader_progress progress, void *ctx)
{
    if (!c || !p || (p->unit != 2 && p->unit != 4 && p->unit != 8 && p->unit != 32)) return BMP_ERR_INVALID;
    if (dest % p->unit || length % p->unit || (length && !data) || length > 0xFFFFFFFFu)
        return BMP_ERR_INVALID;
    if (length == 0) return BMP_OK;
    layout l;
    if (p->erase_count > FLASH_LOADER_MAX_ERASES || (p->erase_count && (!p->erases || !p->cr_addr)))
        return BMP_ERR_INVALID;
    if (!plan(p, length, &l)) return BMP_ERR_INVALID;
    unsigned max_idle = p->max_idle_polls ? p->max_idle_polls : FLASH_LOADER_DEFAULT_IDLE_POLLS;

    bmp_status s = cortexm_halt(c);
    if (s != 0) return s;
    /* Everything the routine needs goes out without waiting: the code, the erase table, the
     * control block; one flush with the DEMCR read that follows. The data is not sent yet: the
     * routine starts at once, and its first erase runs while the first buffer is on its way. */
    adiv5_mem_write_posted(c->dp, c->apsel, l.code, flash_loader_blob, flash_loader_blob_size);
    if (p->erase_count) { /* the erase table, in the target's byte order, ended by 0xFFFFFFFF */
        uint8_t entry[sizeof(flash_loader_erase)];
        for (unsigned i = 0; i < p->erase_count; i++) {
            put_le32(entry, p->erases[i].start);
            for (unsigned k = 0; k < 3; k++) {
                put_le32(entry + 4 + 8 * k, p->erases[i].writes[k][0]);
                put_le32(entry + 8 + 8 * k, p->erases[i].writes[k][1]);
            }
            adiv5_mem_write_posted(c->dp, c->apsel, l.table + i * (uint32_t)sizeof entry, entry, sizeof entry);
        }
        put_le32(entry, 0xFFFFFFFFu);
        adiv5_mem_write_posted(c->dp, c->apsel, l.table + p->erase_count * (uint32_t)sizeof entry, entry, 4);
    }
    size_t sent = 0;          /* bytes written into buffers */
    uint32_t write_index = 0; /* buffers published */

    uint8_t header[FLASH_LOADER_CB_SIZE] = {0};
    put_le32(header + FLASH_LOADER_CB_CR_ADDR, p->cr_addr);
    put_le32(header + FLASH_LOADER_CB_PG_CR, p->pg_cr);
    put_le32(header + FLASH_LOADER_CB_ERASE_TABLE, l.table);
    put_le32(header + FLASH_LOADER_CB_WRITE_INDEX, write_index);
    put_le32(header + FLASH_LOADER_CB_DONE, 0);
    put_le32(header + FLASH_LOADER_CB_DEST, dest);
    put_le32(header + FLASH_LOADER_CB_REMAINING, (uint32_t)length);
    put_le32(header + FLASH_LOADER_CB_COUNT, l.count);
    put_le32(header + FLASH_LOADER_CB_SIZE_OF_BUFFER, l.size);
    put_le32(header + FLASH_LOADER_CB_SR_ADDR, p->sr_addr);
    put_le32(header + FLASH_LOADER_CB_BUSY_MASK, p->busy_mask);
    put_le32(header + FLASH_LOADER_CB_BUSY_XOR, p->busy_xor);
    put_le32(header + FLASH_LOADER_CB_ERROR_MASK, p->error_mask);
    put_le32(header + FLASH_LOADER_CB_UNIT, p->unit);
    put_le32(header + FLASH_LOADER_CB_CRC_ON, crc_out != 0);
    put_le32(header + FLASH_LOADER_CB_CRC, 0xFFFFFFFFu);
    adiv5_mem_write_posted(c->dp, c->apsel, l.cb, header, sizeof header);

    /* A HardFault in the routine halts the core instead of running the application's handler. */
    uint32_t demcr = 0;
    if ((s = cortexm_read32(c, DEMCR, &demcr)) != 0) return s;
    uint8_t catch_hardfault[4];
    put_le32(catch_hardfault, demcr | DEMCR_VC_HARDERR);
    adiv5_mem_write_posted(c->dp, c->apsel, DEMCR, catch_hardfault, 4); /* flushed with the registers */

    /* Thread mode on MSP, interrupts masked (PRIMASK), Thumb state, r0 = the control block. */
    const unsigned regs[5] = {REG_SPECIAL, REG_XPSR, REG_SP, 0, REG_PC};
    const uint32_t values[5] = {1, XPSR_THUMB, l.stack_top, l.cb, l.code};
    if ((s = cortexm_write_registers(c, regs, 5, values)) != BMP_OK || (s = cortexm_resume(c)) != BMP_OK) {
        cortexm_write32(c, DEMCR, demcr);
        return s;
    }

    bmp_status result = BMP_OK;
    uint32_t read_index = 0, state = FLASH_LOADER_STATE_RUNNING, dhcsr = 0, done_flag = 0, crc = 0;
    uint32_t last_read = 0;
    unsigned idle = 0, idle_matches = 0;
    if (progress) progress(ctx, 0, length);
    for (;;) {
        /* Stream: every buffer the ring has room for, as far as the last poll tells, goes out at
         * once with its publication behind it, and nothing waits for an answer, so the link
         * stays full (a CMSIS-DAP link packs each publication into the next buffer's first
         * packet). The routine must not wait for buffers that are already in its RAM. */
        while (sent < length && write_index - read_index < l.count) {
            size_t n = length - sent < l.size ? length - sent : l.size;
            adiv5_mem_write_posted(c->dp, c->apsel, l.buffers + (write_index % l.count) * l.size, data + sent, n);
            sent += n;
            write_index++;
            if (progress && sent < length) progress(ctx, sent, length); /* the total once it is done */
            if ((s = adiv5_banked_begin(c->dp, c->apsel, l.cb)) != 0) break;
            adiv5_banked_write(c->dp, 0, write_index);
            if (sent == length && !done_flag) {
                adiv5_banked_write(c->dp, 1, 1);
                done_flag = 1;
            }
        }
        /* Poll, only when the ring is full or all is sent: the one round trip of a cycle. It
         * reads the loader's progress and the core's state, and reports what was queued.
         * After a poll that saw no progress (the flash is slower than the link: an erase, or an
         * F1 programming half-words), the next one first waits on the probe for the routine to
         * take the next buffer: a value match on read_index's low bit, repeated by the probe
         * with no USB traffic, so a high-speed link no longer spends a packet per microframe
         * asking. A match that runs out of retries is followed at once by a plain poll. (Only
         * then: a poll that saw progress may be behind by two buffers, and the match would
         * wait for a third.) */
        const bool wait_on_probe = idle > 0 && read_index != write_index;
        for (unsigned attempt = wait_on_probe ? 0u : 1u; attempt < 2u; attempt++) {
            if (s == 0) s = adiv5_banked_begin(c->dp, c->apsel, l.cb);
            if (s == 0) {
                if (attempt == 0) adiv5_banked_read_match(c->dp, 2, 1u, (read_index + 1u) & 1u);
                /* state before read_index: the routine writes them in the other order, so a
                 * finished state comes with the final read_index */
                adiv5_banked_read(c->dp, 3, &state);
                adiv5_banked_read(c->dp, 2, &read_index);
                if (crc_out && (s = adiv5_banked_begin(c->dp, c->apsel, l.cb + FLASH_LOADER_CB_CRC_ON)) == 0)
                    adiv5_banked_read(c->dp, 1, &crc); /* final once state is */
                if (s == 0) s = adiv5_banked_begin(c->dp, c->apsel, DHCSR);
            }
            if (s == BMP_OK) {
                adiv5_banked_read(c->dp, 0, &dhcsr);
                s = adiv5_flush(c->dp);
            }
            if (s != BMP_ERR_MISMATCH) break;
            s = BMP_OK;
            if (++idle_matches > FLASH_LOADER_IDLE_MATCHES) s = BMP_ERR_LOADER_TIMEOUT;
        }
        if (s != BMP_OK) {
            result = s;
            break;
        }
        if (read_index != last_read) {
            last_read = read_index;
            idle = 0;
            idle_matches = 0;
        } else if (state == FLASH_LOADER_STATE_RUNNING && ++idle > max_idle) {
            result = BMP_ERR_LOADER_TIMEOUT;
            break;
        }
        if (state != FLASH_LOADER_STATE_RUNNING) break;
        if (dhcsr & (S_HALT | S_LOCKUP)) {
            /* Stopped: did it finish between the two reads of this batch? */
            if ((s = cortexm_read32(c, l.cb + FLASH_LOADER_CB_STATE, &state)) != 0 ||
                (s = cortexm_read32(c, l.cb + FLASH_LOADER_CB_READ_INDEX, &read_index)) != 0 ||
                (crc_out && (s = cortexm_read32(c, l.cb + FLASH_LOADER_CB_CRC, &crc)) != 0)) {
                result = s;
                break;
            }
            if (state == FLASH_LOADER_STATE_RUNNING) result = BMP_ERR_LOADER_FAULT;
            break;
        }
    }
    if (result == BMP_OK && state == FLASH_LOADER_STATE_FLASH_ERROR) {
        uint32_t status = 0;
        s = cortexm_read32(c, l.cb + FLASH_LOADER_CB_STATUS, &status);
        result = s != BMP_OK ? s : BMP_ERR_LOADER_FLASH;
        if (s == BMP_OK && sr_out) *sr_out = status & p->error_mask;
    } else if (result == BMP_OK && state == FLASH_LOADER_STATE_VERIFY_FAILED) {
        result = BMP_ERR_VERIFY; /* a unit read back differs from its data */
    } else if (result == BMP_OK &&
               (state != FLASH_LOADER_STATE_FINISHED || read_index != write_index || sent != length)) {
        result = BMP_ERR_LOADER_FAULT; /* finished early, or a state the routine never writes */
    }
    if (result == 0 && crc_out) *crc_out = crc;
    result = stop(c, p, result, sr_out, (dhcsr & S_HALT) != 0);
    /* DEMCR goes back without a round trip: the caller's register restore flushes it. */
    uint8_t saved_demcr[4];
    put_le32(saved_demcr, demcr);
    adiv5_mem_write_posted(c->dp, c->apsel, DEMCR, saved_demcr, 4);
    if (result == BMP_OK && progress) progress(ctx, length, length);
    return result;
}

bmp_status flash_loader_program(cortexm *c, const flash_loader_params *p, uint32_t dest, const uint8_t *data,
                         size_t length, uint32_t *sr_out, uint32_t *crc_out, flash_loader_progress progress,
                         void *ctx)
{
    if (sr_out) *sr_out = 0;
    if (!c || !p) return BMP_ERR_INVALID;
    uint32_t saved[20];
    bmp_status s = cortexm_halt(c);
    if (s == 0) s = cortexm_read_registers(c, saved_regs, 20, saved);
    if (s != 0) return s;
    bmp_status result = run_program(c, p, dest, data, length, sr_out, crc_out, progress, ctx);
    s = cortexm_write_registers(c, saved_regs, 20, saved);
    return result != BMP_OK ? result : s;
}

bmp_status flash_loader_crc(cortexm *c, uint32_t ram_base, uint32_t ram_size, uint32_t addr, uint32_t length,
                            uint32_t *crc, uint32_t max_waits)
{
    /* The RAM it borrows (the routine and a small stack) and the registers are put back after,
     * so that a debugging session can verify without disturbing the program. */
    enum { STACK = 1024 + 128 }; /* its table, and the rest */
    uint8_t saved_ram[FLASH_LOADER_CRC_RAM];
    uint32_t code = (ram_base + 3u) & ~3u, used = (uint32_t)flash_loader_blob_size + STACK;
    if (used > sizeof saved_ram || (uint64_t)code + used > (uint64_t)ram_base + ram_size) return BMP_ERR_INVALID;
    uint32_t stack_top = (code + used) & ~7u;
    uint32_t saved[20], demcr = 0;
    bmp_status s = cortexm_halt(c);
    if (s == BMP_OK) s = cortexm_read_registers(c, saved_regs, 20, saved);
    if (s == BMP_OK) s = adiv5_mem_read(c->dp, c->apsel, code, saved_ram, used);
    if (s == BMP_OK) s = cortexm_read32(c, DEMCR, &demcr);
    if (s != BMP_OK) return s;
    s = adiv5_mem_write(c->dp, c->apsel, code, flash_loader_blob, flash_loader_blob_size);
    if (s == BMP_OK) s = cortexm_write32(c, DEMCR, demcr | DEMCR_VC_HARDERR);
    const unsigned regs[6] = {REG_SPECIAL, REG_XPSR, REG_SP, 0, 1, REG_PC};
    const uint32_t values[6] = {1, XPSR_THUMB, stack_top, addr, length, code + (uint32_t)flash_loader_crc_offset};
    if (s == BMP_OK) s = cortexm_write_registers(c, regs, 6, values);
    if (s == BMP_OK) s = cortexm_write32(c, DFSR, DFSR_ALL); /* so that its halt says why */
    if (s == BMP_OK) s = cortexm_resume(c);
    uint32_t dhcsr = 0, dfsr = 0;
    if (s == BMP_OK) s = cortexm_wait_halted(c, max_waits, &dhcsr);
    if (s == BMP_OK) s = cortexm_read32(c, DFSR, &dfsr);
    bmp_status h = cortexm_halt(c);
    uint32_t pc = 0;
    if (s == BMP_OK) s = h;
    /* It must have stopped on its own BKPT: not on a fault, nor on a watchpoint or a halt
     * request in the middle (r0 would be a partial CRC). */
    if (s == BMP_OK && (s = cortexm_read_register(c, 0, crc)) == BMP_OK && (s = cortexm_read_register(c, REG_PC, &pc)) == BMP_OK &&
        (!(dfsr & DFSR_BKPT) || (dfsr & (DFSR_DWTTRAP | DFSR_VCATCH | DFSR_EXTERNAL | DFSR_HALTED)) || pc < code ||
         pc >= code + (uint32_t)flash_loader_blob_size))
        s = BMP_ERR_LOADER_FAULT;
    /* Put everything back, whatever happened. */
    adiv5_mem_write(c->dp, c->apsel, code, saved_ram, used);
    cortexm_write32(c, DEMCR, demcr);
    bmp_status r = cortexm_write_registers(c, saved_regs, 20, saved);
    return s != BMP_OK ? s : r;
}
