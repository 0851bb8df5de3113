// fuzz-sources: native/core/dfu/dfu_device.c native/core/dfu/dfu_boot.c native/core/flash/crc32.c
/* libFuzzer target for the bootloader's side of DFU: the DfuSe device core
 * (native/core/dfu/dfu_device.c) fed request sequences the way the bootloader's USB class
 * (firmware/usb/usb_dfu.c) hands them over, on a flash model of a whole board (bootloader,
 * application region, and what lies beyond), and the start-up decision that checks the image
 * written (dfu_boot.c: vector table and trailer).
 *
 * Input: one configuration byte, then the mode's bytes.
 *   cfg bit 0    the board: STLINK-V3MINI (bootloader 32 KiB at 0x08000000, application sectors
 *                2 x 16, 1 x 64, 3 x 128 KiB, program unit 4) or DevEBox H743 (bootloader one
 *                128 KiB sector, application 15 x 128 KiB, program unit 32)
 *       bits 1-2 flash fault: none, an erase that fails (errERASE), a program that fails
 *                (errPROG), a program that leaves one bit set (the read-back differs)
 *       bits 3-5 which operation the fault hits (the n-th, from 1)
 *       bit 6    image mode (below) instead of requests
 *   Request mode: records of
 *     op       bits 0-2 bRequest (DETACH .. ABORT), 7: a raw request (bmRequestType, bRequest
 *                       and wIndex follow); the others go to the DFU interface as class requests
 *              bit 3    the control transfer completes (its status stage is done): delivered,
 *                       then the main loop runs the device's pending work
 *              bit 4    a bus reset first
 *              bit 5    the USB side stalls the request by itself instead (a short data stage)
 *     wValue (2 bytes), wLength (2 bytes), and for a host-to-device request wLength bytes of data
 *     (what the input lacks reads as zero); at most 64 records.
 *   Image mode: the bytes are the application region's start (the rest erased), and cfg bit 7
 *   plus the first byte choose which fields the harness makes right (stack pointer, reset
 *   vector, trailer offset, magic and length, board tag, CRC), so that inputs get past each
 *   check in turn.
 *
 * Checked:
 *   - the device erases only whole sectors of the application region and programs only inside
 *     it, at multiples of the program unit and at most a block of wTransferSize; the bootloader's
 *     bytes and everything past the region are as they were at the end of the run;
 *   - an IN answer is never longer than wLength (nor the buffer), a GETSTATUS answer is 6 bytes
 *     whose bState is the device's state, and the state is always a DFU-mode state;
 *   - after every completed program, the block reads back as sent (or the device is in
 *     dfuERROR);
 *   - the start-up decision equals one computed here from the trailer's specification
 *     (dfu_boot.h), with a CRC written here bit by bit: an image whose CRC is wrong (or that
 *     lacks anything else) is never started. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfu/dfu_boot.h"
#include "dfu/dfu_device.h"

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_dfu: property violated: %s\n", what);
    abort();
}

#define CHECK(cond)               \
    do {                          \
        if (!(cond)) fail(#cond); \
    } while (0)

#define FLASH_BASE 0x08000000u
#define FLASH_SIZE (2u << 20)
#define SECTOR_MAX (128u << 10)
#define RAM_BASE 0x20000000u
#define RAM_SIZE (128u << 10)
#define BOARD_TAG 0x5EB0A7D1u

typedef struct board {
    uint32_t boot_size, app_base, app_size;
    dfu_sector_group sectors[3];
    uint8_t groups;
    uint16_t program_unit;
} board;

static const board boards[2] = {
    {32u << 10, 0x08008000u, 480u << 10, {{2, 16u << 10, 500}, {1, 64u << 10, 1100}, {3, 128u << 10, 2000}}, 3, 4},
    {128u << 10, 0x08020000u, 15u * (128u << 10), {{15, 128u << 10, 4000}}, 1, 32},
};

/* ---- the flash model: NOR, the whole flash, with dirty tracking per 16 KiB ---- */

static uint8_t flash[FLASH_SIZE];
static uint8_t dirty[FLASH_SIZE / (16u << 10)];

typedef struct model {
    const board *b;
    unsigned fault, fault_at, ops;
} model;

static model m;

static uint8_t boot_byte(uint32_t offset)
{
    return (uint8_t)(offset * 7u + 0x5Au); /* the bootloader's "code": anything but erased */
}

static void mark(uint32_t address, uint32_t length)
{
    for (uint32_t a = (address - FLASH_BASE) >> 14; a <= (address - FLASH_BASE + length - 1) >> 14; a++) dirty[a] = 1;
}

static bool in_region(uint32_t address, uint32_t length)
{
    return address >= m.b->app_base && length <= m.b->app_size && address - m.b->app_base <= m.b->app_size - length;
}

static uint8_t op_erase(void *ctx, uint32_t address, uint32_t size)
{
    (void)ctx;
    CHECK(size > 0 && in_region(address, size));
    uint32_t start = m.b->app_base;
    bool found = false;
    for (unsigned g = 0; g < m.b->groups && !found; g++)
        for (unsigned i = 0; i < m.b->sectors[g].count; i++, start += m.b->sectors[g].size)
            if (start == address) {
                CHECK(size == m.b->sectors[g].size);
                found = true;
                break;
            }
    CHECK(found);
    m.ops++;
    mark(address, size);
    memset(flash + (address - FLASH_BASE), 0xFF, size);
    if (m.fault == 1 && m.ops == m.fault_at) return DFU_STATUS_ERR_ERASE;
    return DFU_STATUS_OK;
}

static uint8_t op_program(void *ctx, uint32_t address, const uint8_t *data, uint32_t length)
{
    (void)ctx;
    CHECK(length > 0 && length <= DFU_MAX_TRANSFER && in_region(address, length));
    CHECK(address % m.b->program_unit == 0);
    m.ops++;
    if (m.fault == 2 && m.ops == m.fault_at) return DFU_STATUS_ERR_PROG;
    mark(address, length);
    uint8_t *p = flash + (address - FLASH_BASE);
    for (uint32_t i = 0; i < length; i++) p[i] &= data[i];
    if (m.fault == 3 && m.ops == m.fault_at) p[0] |= 1; /* a bit that did not program */
    return DFU_STATUS_OK;
}

static void op_read(void *ctx, uint32_t address, uint8_t *data, uint32_t length)
{
    (void)ctx;
    CHECK(in_region(address, length));
    memcpy(data, flash + (address - FLASH_BASE), length);
}

static void op_leave(void *ctx)
{
    (void)ctx;
}

/* What the flash holds before a run: both boards' bootloaders, so that the same bytes are
 * checked whichever board runs, then erased flash. */
static uint8_t pristine[FLASH_SIZE];

static void flash_reset(void)
{
    static bool ready;
    if (!ready) {
        memset(pristine, 0xFF, sizeof pristine);
        for (uint32_t i = 0; i < boards[1].boot_size; i++) pristine[i] = boot_byte(i);
        memset(dirty, 1, sizeof dirty);
        ready = true;
    }
    for (uint32_t c = 0; c < sizeof dirty; c++) {
        if (!dirty[c]) continue;
        memcpy(flash + (c << 14), pristine + (c << 14), 16u << 10);
        dirty[c] = 0;
    }
}

/* Everything outside the application region is as it was (only chunks written can differ). */
static void check_outside_region(void)
{
    uint32_t start = m.b->app_base - FLASH_BASE, end = start + m.b->app_size;
    for (uint32_t c = 0; c < sizeof dirty; c++) {
        if (!dirty[c]) continue;
        uint32_t lo = c << 14, hi = lo + (16u << 10);
        /* the parts of the chunk below the region's start and from its end */
        uint32_t below = hi < start ? hi : start, above = lo > end ? lo : end;
        if (lo < below && memcmp(flash + lo, pristine + lo, below - lo) != 0)
            fail(lo < m.b->boot_size ? "the bootloader's flash changed" : "flash below the application region changed");
        if (above < hi && memcmp(flash + above, pristine + above, hi - above) != 0)
            fail("flash past the application region changed");
    }
}

/* ---- the start-up decision, from dfu_boot.h's words ---- */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Polynomial 0x04C11DB7, MSB first, preset to ones, no reflection, no final inversion. */
static uint32_t crc_reference(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (int b = 0; b < 8; b++) crc = crc & 0x80000000u ? crc << 1 ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

static dfu_boot_decision reference_decision(const uint8_t *app, uint32_t app_base, uint32_t app_size)
{
    if (app_size < 0x40 + 16) return DFU_BOOT_STAY_NO_TRAILER;
    uint32_t sp = le32(app), reset = le32(app + 4);
    /* "word aligned and inside the application's RAM (its top included)": above its base */
    if (sp % 4 || !(sp > RAM_BASE && (uint64_t)sp <= (uint64_t)RAM_BASE + RAM_SIZE)) return DFU_BOOT_STAY_NO_STACK;
    uint32_t offset = le32(app + 4 * DFU_TRAILER_VECTOR);
    bool found = offset >= 0x40 && offset % 4 == 0 && (uint64_t)offset + 16 <= app_size &&
                 le32(app + offset) == DFU_TRAILER_MAGIC && le32(app + offset + 4) == offset;
    uint64_t end = (uint64_t)app_base + (found ? offset : app_size);
    uint32_t entry = reset & ~1u;
    if (!(reset & 1) || entry < app_base || entry >= end) return DFU_BOOT_STAY_NO_RESET;
    if (!found) return DFU_BOOT_STAY_NO_TRAILER;
    if (le32(app + offset + 8) != BOARD_TAG) return DFU_BOOT_STAY_OTHER_BOARD;
    if (crc_reference(app, offset + 12) != le32(app + offset + 12)) return DFU_BOOT_STAY_BAD_CRC;
    return DFU_BOOT_APPLICATION;
}

static void check_decision(const uint8_t *app, uint32_t app_base, uint32_t app_size)
{
    dfu_boot_inputs in = {.app = app, .app_base = app_base, .app_size = app_size, .ram_base = RAM_BASE,
                          .ram_size = RAM_SIZE, .board_tag = BOARD_TAG};
    dfu_boot_decision d = dfu_boot_decide(&in);
    dfu_boot_decision want = reference_decision(app, app_base, app_size);
    if (d != want) {
        fprintf(stderr, "decision %s, the specification's %s\n", dfu_boot_decision_name(d), dfu_boot_decision_name(want));
        fail("dfu_boot_decide differs from the trailer's specification");
    }
    if (d == DFU_BOOT_APPLICATION) {
        uint32_t offset = le32(app + 4 * DFU_TRAILER_VECTOR);
        CHECK(crc_reference(app, offset + 12) == le32(app + offset + 12));
    }
    /* The boot request and the button win over any image. */
    in.request = DFU_BOOT_REQUEST;
    CHECK(dfu_boot_decide(&in) == DFU_BOOT_STAY_REQUESTED);
    in.request = 0;
    in.button = true;
    CHECK(dfu_boot_decide(&in) == DFU_BOOT_STAY_BUTTON);
}

/* Image mode: the input as the region's first bytes, with the chosen fields made right. */
static void image_mode(const board *b, uint8_t fix, const uint8_t *data, size_t size)
{
    uint8_t *app = flash + (b->app_base - FLASH_BASE);
    uint32_t len = size > 8192 ? 8192 : (uint32_t)size;
    memcpy(app, data, len);
    mark(b->app_base, 8192 + 64);
    uint32_t offset = le32(app + 4 * DFU_TRAILER_VECTOR);
    if (fix & 4) { /* a trailer offset inside what the input gave (or just past it) */
        offset = (0x40 + (offset % (len + 16)) ) & ~3u;
        put32(app + 4 * DFU_TRAILER_VECTOR, offset);
    }
    if (fix & 1) put32(app, RAM_BASE + RAM_SIZE - (le32(app) & 0xFFCu));
    if (fix & 2) put32(app + 4, b->app_base + (le32(app + 4) % (offset > 8 ? offset : 8)) | 1u);
    bool fits = offset >= 0x40 && offset % 4 == 0 && (uint64_t)offset + 16 <= b->app_size;
    if (fits && (fix & 8)) {
        put32(app + offset, DFU_TRAILER_MAGIC);
        put32(app + offset + 4, offset);
    }
    if (fits && (fix & 16)) put32(app + offset + 8, BOARD_TAG);
    if (fits && (fix & 32)) put32(app + offset + 12, crc_reference(app, offset + 12));
    if (fits) mark(b->app_base + offset, 16);
    check_decision(app, b->app_base, b->app_size);
    /* A region too small for a vector table and trailer, and one that ends at the trailer. */
    check_decision(app, b->app_base, 0x40 + 15);
    if (fits) check_decision(app, b->app_base, offset + 16);
}

/* ---- request mode ---- */

static const char *const state_names[] = {"appIDLE", "appDETACH", "dfuIDLE", "dfuDNLOAD-SYNC", "dfuDNBUSY",
                                          "dfuDNLOAD-IDLE", "dfuMANIFEST-SYNC", "dfuMANIFEST",
                                          "dfuMANIFEST-WAIT-RESET", "dfuUPLOAD-IDLE", "dfuERROR"};

static void check_state(const dfu_device *d)
{
    CHECK(d->state >= DFU_STATE_IDLE && d->state <= DFU_STATE_ERROR);
    CHECK(dfu_state_name(d->state) && strcmp(dfu_state_name(d->state), state_names[d->state]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t cfg = data[0];
    const board *b = &boards[cfg & 1];
    memset(&m, 0, sizeof m);
    m.b = b;
    m.fault = (cfg >> 1) & 3;
    m.fault_at = ((cfg >> 3) & 7) + 1;
    flash_reset();
    if (cfg & 0x40) {
        uint8_t fix = size > 1 ? data[1] : 0;
        if (cfg & 0x80) fix = 0x3F;
        image_mode(b, fix, data + 2 < data + size ? data + 2 : data + size, size > 2 ? size - 2 : 0);
        check_outside_region();
        return 0;
    }

    static const dfu_flash_ops ops = {.erase = op_erase, .program = op_program, .read = op_read, .leave = op_leave};
    dfu_config config = {.name = "Application", .base = b->app_base, .sectors = b->sectors, .sector_groups = b->groups,
                         .transfer_size = DFU_MAX_TRANSFER, .program_unit = b->program_unit,
                         .program_ms_per_kib = 26, .attributes = DFU_ATTR_CAN_DNLOAD | DFU_ATTR_CAN_UPLOAD | DFU_ATTR_WILL_DETACH,
                         .ops = &ops};
    static dfu_device d;
    CHECK(dfu_device_init(&d, &config));
    CHECK(dfu_region_size(&config) == b->app_size);
    static uint8_t buffer[DFU_MAX_TRANSFER + 64];
    size_t at = 1;
    for (unsigned records = 0; at < size && records < 64; records++) {
        uint8_t op = data[at++];
        uint8_t setup[8] = {0x21, (uint8_t)(op & 7), 0, 0, 0, 0, 0, 0};
        if ((op & 7) == 7) {
            for (unsigned i = 0; i < 2; i++) setup[i] = at < size ? data[at++] : 0;
            setup[4] = at < size ? data[at++] : 0;
        }
        for (unsigned i = 2; i < 4; i++) setup[i] = at < size ? data[at++] : 0;
        for (unsigned i = 6; i < 8; i++) setup[i] = at < size ? data[at++] : 0;
        bool in = setup[0] & 0x80;
        if (in && (op & 7) != 7) setup[0] = 0xA1;
        if ((op & 7) < 7 && (setup[1] == DFU_REQ_UPLOAD || setup[1] == DFU_REQ_GETSTATUS || setup[1] == DFU_REQ_GETSTATE))
            setup[0] = 0xA1, in = true;
        uint16_t wlength = (uint16_t)(setup[6] | setup[7] << 8);

        if (op & 0x10) dfu_device_bus_reset(&d);
        check_state(&d);
        /* What usb_dfu.c passes on: class requests to interface 0; the rest stalls there. */
        if ((setup[0] & 0x60) != 0x20 || (setup[0] & 0x1F) != 1 || setup[4] != 0 || setup[5] != 0) continue;
        if (wlength > DFU_MAX_TRANSFER || (op & 0x20)) {
            dfu_device_stalled(&d);
            CHECK(d.state == DFU_STATE_ERROR);
            continue;
        }
        memset(buffer, 0xA5, sizeof buffer);
        if (!in) {
            size_t n = size - at < wlength ? size - at : wlength;
            memcpy(buffer, data + at, n);
            memset(buffer + n, 0, wlength - n);
            at += n;
        }
        uint16_t length = 0;
        bool was_program = d.work == DFU_WORK_PROGRAM;
        (void)was_program;
        bool ok = dfu_device_request(&d, setup, buffer, &length);
        check_state(&d);
        if (!ok) { /* stalled: dfuERROR, or gone (waiting for the reset that leaves DFU mode) */
            CHECK(d.state == DFU_STATE_ERROR || d.state == DFU_STATE_MANIFEST_WAIT_RESET);
            continue;
        }
        if (in) {
            CHECK(length <= wlength);
            for (size_t i = wlength; i < sizeof buffer; i++) CHECK(buffer[i] == 0xA5);
            if (setup[1] == DFU_REQ_GETSTATUS && length) {
                CHECK(length == DFU_STATUS_LENGTH);
                CHECK(buffer[4] == d.state);
            }
        } else {
            CHECK(length == 0);
        }
        if (op & 8) {
            dfu_device_delivered(&d);
            dfu_work work = d.work;
            uint32_t address = d.work_address;
            uint16_t block = d.block_length;
            static uint8_t sent[DFU_MAX_TRANSFER];
            if (work == DFU_WORK_PROGRAM) memcpy(sent, d.block, block);
            dfu_device_run(&d);
            check_state(&d);
            if (work == DFU_WORK_PROGRAM && d.state != DFU_STATE_ERROR && d.work == DFU_WORK_NONE) {
                CHECK(in_region(address, block));
                CHECK(memcmp(flash + (address - FLASH_BASE), sent, block) == 0);
            }
        }
    }
    check_outside_region();
    /* Whatever the requests left in the region, the start-up decision follows the specification. */
    check_decision(flash + (b->app_base - FLASH_BASE), b->app_base, b->app_size);
    return 0;
}
