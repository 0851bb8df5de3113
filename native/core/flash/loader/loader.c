/* The flash loader's target-side routine: runs from RAM on the target and programs flash from a
 * ring of buffers that the debugger fills through the MEM-AP while the previous one programs.
 *
 * Built for ARMv6-M (runs on every Cortex-M) by build.sh into flash_loader_blob.c; it is not part
 * of the portable core. Freestanding: no libc, no globals, no absolute addresses (only
 * PC-relative literals), so the blob runs wherever it is copied (4-byte aligned). The entry point
 * is at offset 0 and takes r0 = the control block; it ends with BKPT #0.
 *
 * The control block (words; "host" is the debugger, "loader" this routine), flash_loader.h:
 *   0x00 write_index  host:   buffers filled so far (buffer i lives in slot i mod count)
 *   0x04 done         host:   nonzero when no buffer beyond write_index will come
 *   0x08 read_index   loader: buffers programmed so far
 *   0x0C state        loader: 0 running, 1 finished, 2 stopped on a flash error, 3 stopped
 *                     because a programmed unit read back differs from its data
 *   0x10 status       loader: the status register's value when an error bit showed, else 0
 *   0x14 dest         loader: the next flash address (at an error: the failing unit's)
 *   0x18 remaining    host sets, loader decrements: bytes still to program
 *   0x1C count        number of buffers
 *   0x20 size         bytes per buffer (a multiple of unit and of 4)
 *   0x24 sr_addr      the flash status register
 *   0x28 busy_mask    SR bits that mean "operation in progress"
 *   0x2C error_mask   SR bits that mean "failed"
 *   0x30 unit         2 (half-words), 4 (words), 8 (double words) or 32 (eight words), then wait
 *   0x34 cr_addr      the flash control register (for erases done here; 0: none)
 *   0x38 pg_cr        the control register's value for programming, set again after each erase
 *   0x3C erase_table  0, or the address of erase entries sorted by start, ending with start
 *                     0xFFFFFFFF: before the first unit at or past `start`, the loader makes up
 *                     to three register writes (address 0: none), waits, and checks the errors.
 *                     Erasing here, just in time, lets the host stream data during the erases.
 *                     The erase for the next address is made before waiting for its data, so
 *                     the first erase runs while the first buffer is still on its way.
 *   0x40 crc_on       host:   nonzero: verify as it programs
 *   0x44 crc          host sets 0xFFFFFFFF; loader: GDB's CRC-32 (see flash_loader_crc) of
 *                     the data as it arrived in RAM, computed while the flash is busy with
 *                     each unit; each unit is then read back from flash and compared with its
 *                     data (state 3 if it differs). The host compares the CRC with its own:
 *                     the data that reached the target is the image, and the flash holds it,
 *                     at no cost in transfers and almost none in time
 *   0x48 busy_xor     SR is XORed with this before busy_mask tests it: the bits that mean
 *                     busy when clear (the nRF52's NVMC READY is 1 when idle)
 *   0x4C              reserved
 *   0x50 the buffers  count × size bytes
 */
#include <stdint.h>

typedef struct control_block {
    volatile uint32_t write_index;
    volatile uint32_t done;
    volatile uint32_t read_index;
    volatile uint32_t state;
    volatile uint32_t status;
    volatile uint32_t dest;
    volatile uint32_t remaining;
    uint32_t count;
    uint32_t size;
    uint32_t sr_addr;
    uint32_t busy_mask;
    uint32_t error_mask;
    uint32_t unit;
    uint32_t cr_addr;
    uint32_t pg_cr;
    uint32_t erase_table;
    uint32_t crc_on;
    volatile uint32_t crc;
    uint32_t busy_xor;
    uint32_t reserved;
    volatile uint8_t buffers[];
} control_block;

typedef struct erase_entry {
    uint32_t start;
    uint32_t writes[3][2]; /* register address, value */
} erase_entry;

_Static_assert(__builtin_offsetof(control_block, buffers) == 0x50, "the host expects buffers at 0x50");

/* GDB's CRC-32 (polynomial 0x04C11DB7, most significant bit first), a nibble at a time from a
 * 16-entry table on the caller's stack: no data section, so the routine stays position
 * independent. */
__attribute__((noinline)) static void crc_table(uint32_t table[16])
{
    for (uint32_t i = 0; i < 16; i++) {
        uint32_t c = i << 28;
        for (uint32_t k = 0; k < 4; k++) c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
        table[i] = c;
    }
}

__attribute__((noinline)) static uint32_t crc_update(const uint32_t table[16], uint32_t crc, const volatile uint8_t *data, uint32_t length)
{
    for (uint32_t i = 0; i < length; i++) {
        uint32_t b = data[i];
        crc = (crc << 4) ^ table[(crc >> 28) ^ (b >> 4)];
        crc = (crc << 4) ^ table[(crc >> 28) ^ (b & 0xFu)];
    }
    return crc;
}

/* Waits while the controller is busy; returns its status register when it shows an error, else 0.
 * At an error, records the status and the failing address for the host. */
static inline uint32_t wait_ready(control_block *cb, volatile uint32_t *sr, uint32_t busy_mask, uint32_t error_mask,
                                  uint32_t dest)
{
    uint32_t s;
    const uint32_t busy_xor = cb->busy_xor;
    while (((s = *sr) ^ busy_xor) & busy_mask) {
    }
    if (!(s & error_mask)) return 0;
    cb->status = s;
    cb->dest = dest;
    return s;
}

/* Whether the flash at `dest` holds the `unit` bytes at `src`. */
static inline int same(uint32_t dest, const volatile uint8_t *src, uint32_t unit)
{
    if (unit == 2) return *(volatile uint16_t *)(uintptr_t)dest == *(const volatile uint16_t *)src;
    for (uint32_t k = 0; k < unit; k += 4)
        if (*(volatile uint32_t *)(uintptr_t)(dest + k) != *(const volatile uint32_t *)(src + k)) return 0;
    return 1;
}

/* Makes the erases due before programming at `dest`; nonzero at a flash error. */
static inline uint32_t erase_due(control_block *cb, const erase_entry **erase, volatile uint32_t *sr,
                                 uint32_t busy_mask, uint32_t error_mask, uint32_t dest)
{
    const erase_entry *e = *erase;
    while (e && e->start != 0xFFFFFFFFu && dest >= e->start) {
        for (uint32_t k = 0; k < 3; k++)
            if (e->writes[k][0]) *(volatile uint32_t *)(uintptr_t)e->writes[k][0] = e->writes[k][1];
        uint32_t s = wait_ready(cb, sr, busy_mask, error_mask, dest);
        *erase = ++e;
        if (s) return s;
        *(volatile uint32_t *)(uintptr_t)cb->cr_addr = cb->pg_cr;
    }
    return 0;
}

__attribute__((section(".entry"), used, noreturn)) void flash_loader_entry(control_block *cb)
{
    const uint32_t count = cb->count, size = cb->size, unit = cb->unit;
    const uint32_t busy_mask = cb->busy_mask, error_mask = cb->error_mask;
    volatile uint32_t *const sr = (volatile uint32_t *)(uintptr_t)cb->sr_addr;
    volatile uint8_t *buffer = cb->buffers;
    uint32_t dest = cb->dest, remaining = cb->remaining, index = cb->read_index, slot = 0;
    uint32_t state = 1;
    const erase_entry *erase = (const erase_entry *)(uintptr_t)cb->erase_table;
    uint32_t table[16];
    const uint32_t crc_on = cb->crc_on;
    uint32_t crc = cb->crc;
    if (crc_on) crc_table(table);

    /* The next erase's start (all ones: none), so that the unit loop tests one register. */
    uint32_t next_erase = erase ? erase->start : 0xFFFFFFFFu;

    while (remaining != 0) {
        /* Erase what the next unit needs now, even if its data has not come yet. */
        if (dest >= next_erase) {
            if (erase_due(cb, &erase, sr, busy_mask, error_mask, dest)) {
                state = 2;
                goto out;
            }
            next_erase = erase->start;
        }
        if (cb->write_index == index) {
            /* Nothing to program: finish if the host said so and nothing came in meanwhile. */
            if (cb->done && cb->write_index == index) break;
            continue;
        }
        uint32_t n = remaining < size ? remaining : size;
        /* The unit loop: what runs between one unit's end and the next one's start is kept
         * short (the flash waits for it, 65,536 times for 128 KiB of half-words). */
        for (volatile uint8_t *src = buffer, *const stop = buffer + n; src < stop; src += unit, dest += unit) {
            if (dest >= next_erase) {
                if (erase_due(cb, &erase, sr, busy_mask, error_mask, dest)) {
                    state = 2;
                    goto out;
                }
                next_erase = erase->start;
            }
            if (unit == 2) {
                *(volatile uint16_t *)(uintptr_t)dest = *(volatile uint16_t *)src;
            } else {
                for (uint32_t k = 0; k < unit; k += 4)
                    *(volatile uint32_t *)(uintptr_t)(dest + k) = *(volatile uint32_t *)(src + k);
            }
            /* While the flash programs the unit: the CRC of the data as it arrived (reading the
             * flash now would stall until it is done; RAM does not). */
            if (crc_on) crc = crc_update(table, crc, src, unit);
            if (wait_ready(cb, sr, busy_mask, error_mask, dest)) {
                state = 2;
                goto out;
            }
            /* Then the unit as the flash holds it must equal the data. */
            if (crc_on && !same(dest, src, unit)) {
                cb->dest = dest;
                state = 3;
                goto out;
            }
        }
        if (crc_on) cb->crc = crc;
        remaining -= n;
        cb->remaining = remaining;
        cb->dest = dest;
        cb->read_index = ++index;
        buffer += size;
        if (++slot == count) {
            slot = 0;
            buffer = cb->buffers;
        }
    }
out:
    cb->state = state;
    __asm__ volatile("bkpt #0" ::: "memory");
    for (;;) {
    }
}

/* A second entry, for verifying without reading the flash back over a slow link: the CRC-32
 * that GDB's qCRC uses (initial value all ones, no final inversion) of r1 bytes at r0, returned
 * in r0, then BKPT #0. The host finds the entry's offset in flash_loader_blob.c. A byte at a
 * time from a 256-entry table built on its stack (1 KiB; the host reserves it): twice as fast
 * as the nibble table, and this loop is all the routine does. */
__attribute__((used, noreturn)) void flash_loader_crc(const volatile uint8_t *data, uint32_t length)
{
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i << 24;
        for (uint32_t k = 0; k < 8; k++) c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : c << 1;
        table[i] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < length; i++) crc = (crc << 8) ^ table[(crc >> 24) ^ data[i]];
    register uint32_t r0 __asm__("r0") = crc;
    __asm__ volatile("bkpt #0" : : "r"(r0) : "memory");
    for (;;) {
    }
}
