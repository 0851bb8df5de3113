/* The core's flash layer (native/core/flash/flash.c) on the simulated STM32F103, F407, H743,
 * F723, G071, L476, F072, F303, F411, F429 and G431 (the H750, whose one sector holds the fixture, has tests of its own below),
 * through a probe session as the GDB server and the addon use it: erasing the blocks a range
 * touches, programming directly through the MEM-AP and through the on-target loader, erasing
 * and programming in one go (flash_write), alignment and partial program units (padded with
 * 0xFF), verification, and the errors with their statuses: locked and write-protected
 * controllers, errors the controller reports (directly and through the loader), ranges outside
 * the flash, no target, an unknown part. The simulator's flash controllers themselves are
 * tested in test_sim_flash.c. */
#include "check.h"
#include "fixture_target.h"
#include "flash/crc32.h"
#include "flash/flash.h"
#include "flash/flash_image.h"
#include "flash/flash_loader.h"
#include "cortexm/probe_session.h"
#include "families/family.h"

typedef struct part {
    const char *profile;
    bool over_dap;
    uint32_t area;  /* four erase blocks used by the tests, past the fixture firmware */
    uint32_t block; /* their size */
    uint32_t unit;  /* the program unit */
    uint32_t keyr;  /* bank 1's key register */
} part;

static const part parts[] = {
    {"stm32f103", false, 0x08004000u, 1024u, 2, 0x40022004u},
    {"stm32f407", true, 0x08004000u, 0x4000u, 4, 0x40023C04u},
    {"stm32h743", false, 0x08020000u, 0x20000u, 32, 0x52002004u},
    {"stm32f723", false, 0x08004000u, 0x4000u, 4, 0x40023C04u}, /* the F4's controller, F7 sectors */
    {"stm32g071", false, 0x08004000u, 0x800u, 8, 0x40022008u},  /* double words, 2 KiB pages */
    {"stm32l476", true, 0x08004000u, 0x800u, 8, 0x40022008u},   /* the G0's controller, two banks */
    {"stm32f072", false, 0x08004000u, 0x800u, 2, 0x40022004u},  /* the F1's controller, 2 KiB pages */
    {"stm32f303", true, 0x08004000u, 0x800u, 2, 0x40022004u},
    {"stm32f411", false, 0x08004000u, 0x4000u, 4, 0x40023C04u}, /* the F407's controller, 512 KiB */
    {"stm32f429", true, 0x08004000u, 0x4000u, 4, 0x40023C04u},  /* two banks of 1 MiB */
    {"stm32g431", false, 0x08004000u, 0x800u, 8, 0x40022008u},  /* the L4's controller, one bank */
};

static probe_session probe;
static uint8_t data[0x80000];
static uint8_t seen[0x80000];

/* The fixture's target with a probe session attached to it and the core halted (it runs from
 * the flash the tests erase). */
static bool open_part(const part *pt)
{
    if (!open_fixture(pt->profile, pt->over_dap)) return false;
    probe_session_init(&probe, pt->over_dap ? &dap.link : &swd.link);
    return probe_attach(&probe, 0) == BMP_OK && probe.part_known && cortexm_halt(&probe.core) == BMP_OK;
}

/* Runs `test` on each part, saying which one a failure was on. */
static void each_part(void (*test)(const part *pt))
{
    for (unsigned i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        int failures = check_failures_in_test;
        if (open_part(&parts[i])) test(&parts[i]);
        else CHECK(!"the part opens and attaches");
        if (check_failures_in_test != failures) fprintf(stderr, "  (on %s)\n", parts[i].profile);
        close_fixture();
    }
}

static void fill_random(uint8_t *out, size_t length, uint32_t seed)
{
    for (size_t i = 0; i < length; i++) {
        seed = seed * 1103515245u + 12345u;
        out[i] = (uint8_t)(seed >> 16);
    }
}

/* The flash array as it is, through the simulator's back door. */
static const uint8_t *flash_at(uint32_t addr, size_t length)
{
    CHECK(length <= sizeof seen && sim_target_peek(&t, addr, seen, length) == SIM_OK);
    return seen;
}

static bool all(uint32_t addr, size_t length, uint8_t value)
{
    const uint8_t *f = flash_at(addr, length);
    for (size_t i = 0; i < length; i++)
        if (f[i] != value) return false;
    return true;
}

/* Fills flash with `value` behind the controller's back, as if programmed earlier. */
static void fill(uint32_t addr, size_t length, uint8_t value)
{
    uint8_t chunk[1024];
    memset(chunk, value, sizeof chunk);
    for (size_t done = 0; done < length; done += sizeof chunk)
        CHECK(sim_target_load(&t, addr + (uint32_t)done, chunk, length - done < sizeof chunk ? length - done : sizeof chunk) ==
              SIM_OK);
}

/* Whether the on-target loader's routine is in RAM at `addr` (the fast path was taken). */
static bool loader_in_ram(uint32_t addr)
{
    uint8_t code[1024];
    CHECK(flash_loader_blob_size <= sizeof code && sim_target_peek(&t, addr, code, flash_loader_blob_size) == SIM_OK);
    return memcmp(code, flash_loader_blob, flash_loader_blob_size) == 0;
}

static size_t last_progress;

static void record_progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    CHECK(done <= total);
    last_progress = done;
}

/* Erasing a range erases every block it touches, and only those. */
static void erase_blocks(const part *pt)
{
    fill(pt->area, 3 * pt->block, 0x5A);
    CHECK_EQ(flash_erase(&probe, pt->area + 5, pt->block), BMP_OK); /* ends 4 bytes into block 1 */
    CHECK(all(pt->area, 2 * pt->block, 0xFF));
    CHECK(all(pt->area + 2 * pt->block, pt->block, 0x5A));
}

/* Direct programming of a length that is not a whole number of units, at an address that is not
 * a block's start: the last unit is padded with 0xFF; what is around stays as it was. */
static void program_direct(const part *pt)
{
    uint32_t addr = pt->area + pt->unit, length = 3 * pt->unit + 601;
    fill_random(data, length, pt->unit);
    last_progress = 0;
    CHECK_EQ(flash_program(&probe, addr, data, length, NULL, record_progress, NULL), BMP_OK);
    CHECK(!loader_in_ram(0x20000000u));
    CHECK_EQ(last_progress, length);
    CHECK(memcmp(flash_at(addr, length), data, length) == 0);
    uint32_t padded = (length + pt->unit - 1) / pt->unit * pt->unit;
    CHECK(padded > length);
    CHECK(all(addr + length, padded - length + 64, 0xFF));
    CHECK(all(pt->area, pt->unit, 0xFF));
    CHECK_EQ(flash_verify(&probe, addr, data, length), BMP_OK);
    data[length / 2] ^= 1;
    CHECK_EQ(flash_verify(&probe, addr, data, length), BMP_ERR_VERIFY);
}

/* Through the on-target loader, in the part's RAM: whole units by the loader, the partial unit
 * at the end directly; verification by CRC computed on the target. */
static void program_loader(const part *pt)
{
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    uint32_t addr = pt->area + 4 * pt->unit, length = 8192 + 7;
    fill_random(data, length, 7 * pt->unit);
    last_progress = 0;
    CHECK_EQ(flash_program(&probe, addr, data, length, &ram, record_progress, NULL), BMP_OK);
    CHECK(loader_in_ram(ram.base));
    CHECK_EQ(last_progress, length);
    CHECK(memcmp(flash_at(addr, length), data, length) == 0);
    CHECK(all(addr + length, pt->unit, 0xFF));
    CHECK_EQ(flash_verify(&probe, addr, data, length), BMP_OK);
    data[100] ^= 0x80;
    CHECK_EQ(flash_verify(&probe, addr, data, length), BMP_ERR_VERIFY);
    /* the core is left halted and can run on */
    uint32_t dhcsr = 0;
    CHECK_EQ(cortexm_read32(&probe.core, 0xE000EDF0u, &dhcsr), BMP_OK);
    CHECK(dhcsr & (1u << 17));
}

/* flash_write erases the blocks it touches and programs: with RAM, the loader erases each block
 * just before it programs it; without, erase then direct programming. */
static void write_blocks(const part *pt)
{
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    fill(pt->area, 4 * pt->block, 0x00);
    /* from 3 units before the end of block 0 to 5 bytes into block 2 */
    uint32_t addr = pt->area + pt->block - 3 * pt->unit, length = pt->block + 3 * pt->unit + 5;
    fill_random(data, length, 11 * pt->unit);
    CHECK_EQ(flash_write(&probe, addr, data, length, &ram, true, NULL, NULL), BMP_OK); /* verified by the loader */
    CHECK(loader_in_ram(ram.base));
    CHECK(all(pt->area, pt->block - 3 * pt->unit, 0xFF)); /* erased before it */
    CHECK(memcmp(flash_at(addr, length), data, length) == 0);
    CHECK(all(addr + length, pt->area + 3 * pt->block - (addr + length), 0xFF));
    CHECK(all(pt->area + 3 * pt->block, pt->block, 0x00)); /* block 3 untouched */
    /* without RAM: inside block 3, not from its start */
    uint32_t at = pt->area + 3 * pt->block + 2 * pt->unit;
    fill_random(data, 999, 13);
    CHECK_EQ(flash_write(&probe, at, data, 999, NULL, true, NULL, NULL), BMP_OK); /* verified by reading back */
    CHECK(all(pt->area + 3 * pt->block, 2 * pt->unit, 0xFF));
    CHECK(memcmp(flash_at(at, 999), data, 999) == 0);
}

/* Misaligned starts, ranges outside the flash, no target attached, no driver for the part. */
static void refusals(const part *pt)
{
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    fill_random(data, 2048, 17);
    CHECK_EQ(flash_program(&probe, pt->area + 1, data, 16, NULL, NULL, NULL), BMP_ERR_FLASH_ALIGNMENT);
    CHECK_EQ(flash_program(&probe, pt->area + pt->unit / 2, data, 2048, &ram, NULL, NULL), BMP_ERR_FLASH_ALIGNMENT);
    CHECK_EQ(flash_write(&probe, pt->area + 1, data, 16, &ram, false, NULL, NULL), BMP_ERR_FLASH_ALIGNMENT);
    CHECK(all(pt->area, pt->block, 0xFF)); /* nothing erased or written */
    uint32_t end = 0;
    for (unsigned i = 0; i < probe.part.memory_count; i++)
        if (probe.part.memories[i].kind == PART_MEMORY_FLASH) end = probe.part.memories[i].start + probe.part.memories[i].length;
    CHECK_EQ(flash_program(&probe, end - 64, data, 128, NULL, NULL, NULL), BMP_ERR_FLASH_OUTSIDE);
    CHECK_EQ(flash_write(&probe, 0x20000000u, data, 64, &ram, false, NULL, NULL), BMP_ERR_FLASH_OUTSIDE);
    CHECK_EQ(flash_erase(&probe, 0x20000000u, 4), BMP_ERR_FLASH_OUTSIDE);
    CHECK_EQ(flash_erase(&probe, end - 4, 8), BMP_ERR_FLASH_OUTSIDE);
    CHECK(all(end - 64, 64, 0xFF));
    probe.part_known = false;
    CHECK_EQ(flash_erase(&probe, pt->area, 4), BMP_ERR_FLASH_UNKNOWN_PART);
    CHECK_EQ(flash_program(&probe, pt->area, data, 16, NULL, NULL, NULL), BMP_ERR_FLASH_UNKNOWN_PART);
    probe.part_known = true;
    CHECK_EQ(probe_detach(&probe), BMP_OK);
    CHECK_EQ(flash_erase(&probe, pt->area, 4), BMP_ERR_NOT_ATTACHED);
    CHECK_EQ(flash_program(&probe, pt->area, data, 16, NULL, NULL, NULL), BMP_ERR_NOT_ATTACHED);
    CHECK_EQ(flash_write(&probe, pt->area, data, 16, NULL, false, NULL, NULL), BMP_ERR_NOT_ATTACHED);
    CHECK_EQ(flash_mass_erase(&probe), BMP_ERR_NOT_ATTACHED);
}

/* A wrong key locks the controller until reset: every operation says so and changes nothing. */
static void locked(const part *pt)
{
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    fill(pt->area, pt->block, 0x33);
    CHECK(cortexm_write32(&probe.core, pt->keyr, 0x12345678u) != BMP_OK); /* the bus faults */
    fill_random(data, 4096, 19);
    CHECK_EQ(flash_erase(&probe, pt->area, 4), BMP_ERR_FLASH_LOCKED);
    CHECK_EQ(flash_program(&probe, pt->area + pt->block, data, 64, NULL, NULL, NULL), BMP_ERR_FLASH_LOCKED);
    CHECK_EQ(flash_program(&probe, pt->area + pt->block, data, 4096, &ram, NULL, NULL), BMP_ERR_FLASH_LOCKED);
    CHECK_EQ(flash_write(&probe, pt->area, data, 4096, &ram, false, NULL, NULL), BMP_ERR_FLASH_LOCKED);
    CHECK_EQ(flash_mass_erase(&probe), BMP_ERR_FLASH_LOCKED);
    CHECK(all(pt->area, pt->block, 0x33));
    CHECK(all(pt->area + pt->block, 4096, 0xFF));
    if (probe.part.dev_id == 0x450) { /* H7: bank 2 has its own key register and still works */
        CHECK_EQ(flash_program(&probe, 0x08100000u, data, 4096, &ram, NULL, NULL), BMP_OK);
        CHECK(memcmp(flash_at(0x08100000u, 4096), data, 4096) == 0);
    }
}

/* Write protection (F1 WRPR, F4 OPTCR.nWRP; the simulated H7 has none) stops erasing and
 * programming, directly and through the loader. */
static void protected_part(const part *pt, void (*protect)(uint32_t addr))
{
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    protect(pt->area);
    fill_random(data, 4096, 23);
    CHECK_EQ(flash_erase(&probe, pt->area, 4), BMP_ERR_FLASH_PROTECTED);
    CHECK_EQ(flash_program(&probe, pt->area, data, 64, NULL, NULL, NULL), BMP_ERR_FLASH_PROTECTED);
    CHECK_EQ(flash_program(&probe, pt->area, data, 2048, &ram, NULL, NULL), BMP_ERR_FLASH_PROTECTED);
    CHECK(all(pt->area, 2048, 0xFF));
}

static void protect_f1(uint32_t addr)
{
    t.flash.wrpr &= ~(1u << ((addr - 0x08000000u) / 4096)); /* one bit per 4 pages */
}

static void protect_f4(uint32_t addr)
{
    t.flash.optcr &= ~(1u << (16 + (addr - 0x08000000u) / 0x4000)); /* nWRP of a 16 KiB sector */
}

static void test_erase(void)
{
    each_part(erase_blocks);
}

static void test_program_direct(void)
{
    each_part(program_direct);
}

static void test_program_loader(void)
{
    each_part(program_loader);
}

static void test_write(void)
{
    each_part(write_blocks);
}

typedef struct progress_log {
    size_t last, total;
    unsigned calls;
    bool monotonic;
} progress_log;

static void on_progress(void *ctx, size_t done, size_t total)
{
    progress_log *log = ctx;
    if (done < log->last || done > total || (log->calls && total != log->total)) log->monotonic = false;
    log->last = done;
    log->total = total;
    log->calls++;
}

/* The end of the part's flash. */
static uint32_t flash_end(void)
{
    uint32_t end = 0;
    for (unsigned i = 0; i < probe.part.memory_count; i++)
        if (probe.part.memories[i].kind == PART_MEMORY_FLASH) end = probe.part.memories[i].start + probe.part.memories[i].length;
    return end;
}

/* An image of pieces in any order, one overlapping another, in separate blocks: only the blocks
 * they touch are erased, what lies between pieces of a run stays erased, the later piece wins
 * where two overlap, it is verified, progress ends at the total, and the image is empty after.
 * A piece past the end of flash refuses the whole image before anything is erased. */
static void write_image(const part *pt)
{
    static uint8_t buffer[0xA0000]; /* flash from its start to past the H7's test area */
    flash_extent extents[8];
    flash_image im;
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    fill(pt->area, 4 * pt->block, 0x00);
    flash_image_init(&im, flash_image_origin(&probe), buffer, sizeof buffer, extents, 8);
    fill_random(data, 2048, 17);
    uint32_t a = pt->area + pt->unit + 1, b = pt->area + 2 * pt->block + pt->block / 2;
    CHECK(flash_image_add(&im, b, data + 1000, 100));
    CHECK(flash_image_add(&im, a, data, 50));
    CHECK(flash_image_add(&im, a + 40, data + 500, 30)); /* overlaps the end of the one before */
    CHECK_EQ(im.count, 2);
    progress_log log = {.monotonic = true};
    CHECK_EQ(flash_image_write(&probe, &im, &ram, true, on_progress, &log), BMP_OK);
    CHECK(log.monotonic && log.calls >= 2 && log.last == log.total && log.total >= 170);
    CHECK(all(pt->area, a - pt->area, 0xFF));
    CHECK(memcmp(flash_at(a, 40), data, 40) == 0);
    CHECK(memcmp(flash_at(a + 40, 30), data + 500, 30) == 0);
    CHECK(all(a + 70, pt->area + pt->block - (a + 70), 0xFF));
    CHECK(all(pt->area + pt->block, pt->block, 0x00)); /* untouched */
    CHECK(all(pt->area + 2 * pt->block, b - (pt->area + 2 * pt->block), 0xFF));
    CHECK(memcmp(flash_at(b, 100), data + 1000, 100) == 0);
    CHECK(all(pt->area + 3 * pt->block, pt->block, 0x00)); /* untouched */
    CHECK_EQ(im.count, 0);
    bool clean = true;
    for (size_t i = 0; i < sizeof buffer; i++) clean &= buffer[i] == 0xFF;
    CHECK(clean);
    /* past the end: nothing erased, nothing written */
    uint32_t end = flash_end(), last = end - pt->block;
    fill(last, pt->block, 0x00);
    flash_image_init(&im, last, buffer, 2 * pt->block, extents, 8);
    CHECK(flash_image_add(&im, last, data, 64));
    CHECK(flash_image_add(&im, end - 8, data, 16));
    CHECK_EQ(flash_image_write(&probe, &im, &ram, true, NULL, NULL), BMP_ERR_FLASH_OUTSIDE);
    CHECK(all(last, pt->block, 0x00));
    /* too many separate pieces, or one outside the buffer: refused as they are added */
    flash_image_init(&im, flash_image_origin(&probe), buffer, sizeof buffer, extents, 2);
    CHECK(flash_image_add(&im, pt->area, data, 4) && flash_image_add(&im, pt->area + 64, data, 4));
    CHECK(!flash_image_add(&im, pt->area + 128, data, 4));
    CHECK(!flash_image_add(&im, flash_image_origin(&probe) + sizeof buffer - 2, data, 4));
    flash_image_clear(&im);
}

static void test_image(void)
{
    each_part(write_image);
}

static void test_refusals(void)
{
    each_part(refusals);
}

static void test_locked(void)
{
    each_part(locked);
}

static void test_protected(void)
{
    CHECK(open_part(&parts[0]));
    protected_part(&parts[0], protect_f1);
    close_fixture();
    CHECK(open_part(&parts[1]));
    protected_part(&parts[1], protect_f4);
    close_fixture();
    CHECK(open_part(&parts[3]));
    protected_part(&parts[3], protect_f4); /* the F7's nWRP bits sit where the F4's do */
    close_fixture();
}

/* Errors the controller reports, decoded into statuses: programming over data that is not
 * erased (F1 PGERR; H7 PGSERR: a flash word programmed twice), and a failing operation (the
 * simulator's injected error: F1 PGERR, F4 and H7 OPERR), directly and through the loader. */
static void test_controller_errors(void)
{
    flash_ram ram;
    /* F1 */
    CHECK(open_part(&parts[0]));
    CHECK(flash_default_ram(&probe, &ram));
    fill_random(data, 4096, 29);
    fill(0x08006000u, 4096, 0x5A);
    CHECK_EQ(flash_program(&probe, 0x08006000u, data, 64, NULL, NULL, NULL), BMP_ERR_FLASH_NOT_ERASED);
    CHECK_EQ(flash_program(&probe, 0x08006400u, data, 2048, &ram, NULL, NULL), BMP_ERR_FLASH_NOT_ERASED);
    sim_flash_inject_error(&t);
    CHECK_EQ(flash_erase(&probe, 0x08006000u, 1024), BMP_ERR_FLASH_NOT_ERASED);
    CHECK(all(0x08006000u, 1024, 0x5A));
    CHECK_EQ(flash_erase(&probe, 0x08006000u, 1024), BMP_OK); /* the next one works */
    CHECK(all(0x08006000u, 1024, 0xFF));
    close_fixture();
    /* F4 */
    CHECK(open_part(&parts[1]));
    CHECK(flash_default_ram(&probe, &ram));
    sim_flash_inject_error(&t);
    CHECK_EQ(flash_program(&probe, 0x08008000u, data, 64, NULL, NULL, NULL), BMP_ERR_FLASH_SEQUENCE);
    sim_flash_inject_error(&t);
    CHECK_EQ(flash_program(&probe, 0x0800C000u, data, 4096, &ram, NULL, NULL), BMP_ERR_FLASH_SEQUENCE);
    sim_flash_inject_error(&t);
    CHECK_EQ(flash_erase(&probe, 0x08004000u, 4), BMP_ERR_FLASH_SEQUENCE);
    close_fixture();
    /* H7 */
    CHECK(open_part(&parts[2]));
    CHECK(flash_default_ram(&probe, &ram));
    CHECK_EQ(flash_program(&probe, 0x08020000u, data, 64, NULL, NULL, NULL), BMP_OK);
    CHECK_EQ(flash_program(&probe, 0x08020000u, data, 64, NULL, NULL, NULL), BMP_ERR_FLASH_SEQUENCE);
    CHECK_EQ(flash_program(&probe, 0x08030000u, data, 4096, &ram, NULL, NULL), BMP_OK);
    CHECK_EQ(flash_program(&probe, 0x08030000u, data, 4096, &ram, NULL, NULL), BMP_ERR_FLASH_SEQUENCE);
    sim_flash_inject_error(&t);
    CHECK_EQ(flash_program(&probe, 0x08040000u, data, 4096, &ram, NULL, NULL), BMP_ERR_FLASH_SEQUENCE);
    close_fixture();
}

/* H7: a range across the two banks (each with its own registers), directly and by the loader. */
static void test_h7_banks(void)
{
    flash_ram ram;
    CHECK(open_part(&parts[2]));
    fill_random(data, 8192, 31);
    CHECK_EQ(flash_program(&probe, 0x08100000u - 96, data, 200, NULL, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(0x08100000u - 96, 200), data, 200) == 0);
    CHECK(all(0x08100000u + 104, 24, 0xFF)); /* the padding of the last flash word */
    uint32_t start = 0, span = 0;
    CHECK(flash_block_span(&probe, 0x08100000u - 4, 8, &start, &span));
    CHECK_EQ(start, 0x080E0000u);
    CHECK_EQ(span, 0x40000u);
    close_fixture();
    CHECK(open_part(&parts[2]));
    CHECK(flash_default_ram(&probe, &ram));
    CHECK_EQ(flash_program(&probe, 0x08100000u - 4096, data, 8192, &ram, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(0x08100000u - 4096, 8192), data, 8192) == 0);
    close_fixture();
}

/* The 2 MiB F429 (RM0090 3.5): a write across the banks erases sector 11 (bank 1's last, 128
 * KiB) and sector 12 (bank 2's first, 16 KiB: SNB 16), directly and through the loader, and
 * nothing else; sector 23 is SNB 27; the mass erase takes both banks (MER and MER1). */
static void test_f4_dual_bank(void)
{
    const part *pt = &parts[9];
    CHECK(open_part(pt));
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    for (unsigned pass = 0; pass < 2; pass++) {
        fill(0x080C0000u, 0x60000, 0x5A); /* sectors 10 and 11, and bank 2's first 128 KiB */
        fill_random(data, 0x8000, 51 + pass);
        CHECK_EQ(flash_write(&probe, 0x080FC000u, data, 0x8000, pass ? &ram : NULL, true, NULL, NULL), BMP_OK);
        CHECK_EQ(loader_in_ram(ram.base), pass == 1);
        CHECK(memcmp(flash_at(0x080FC000u, 0x8000), data, 0x8000) == 0);
        CHECK(all(0x080C0000u, 0x20000, 0x5A));          /* sector 10 kept */
        CHECK(all(0x080E0000u, 0x1C000, 0xFF));          /* sector 11 erased */
        CHECK(all(0x08104000u, 0x1C000, 0x5A));          /* sectors 13 on kept */
    }
    fill(0x081E0000u, 0x20000, 0x11);
    CHECK_EQ(flash_erase(&probe, 0x081F0000u, 4), BMP_OK); /* sector 23: SNB 27 */
    CHECK(all(0x081E0000u, 0x20000, 0xFF));
    fill(0x08004000u, 0x4000, 0x22);
    fill(0x081E0000u, 0x20000, 0x33);
    CHECK_EQ(flash_mass_erase(&probe), BMP_OK);
    CHECK(all(0x08004000u, 0x4000, 0xFF));
    CHECK(all(0x081E0000u, 0x20000, 0xFF));
    close_fixture();
}

/* Identification quirks of the F4s, on the simulated F429 and F407 with their identity changed:
 * a 1 MiB F42x with OPTCR.DB1M set has two banks of 512 KiB, bank 2 (sectors 12-19, SNB 16-23)
 * from 0x08080000; an F40x of revision A reads the F2's DEV_ID 0x411, and its Cortex-M4 tells it
 * apart (an F2 has a Cortex-M3); a flash-size register reading 0xFFFF means the line's largest. */
static void test_f4_identity_quirks(void)
{
    static sim_profile changed;
    CHECK(open_fixture("stm32f429", false));
    const sim_profile *pr = t.profile;
    uint32_t id_base = (pr->uid_base < pr->flash_size_reg ? pr->uid_base : pr->flash_size_reg) & ~0xFu;
    t.id_block[pr->flash_size_reg - id_base] = 0x00, t.id_block[pr->flash_size_reg - id_base + 1] = 0x04; /* 1024 KiB */
    t.flash.optcr |= 1u << 30; /* DB1M */
    probe_session_init(&probe, &swd.link);
    CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
    CHECK(probe.part_known && probe.part.dev_id == 0x419);
    uint32_t start = 0, span = 0, end = 0;
    CHECK(flash_block_span(&probe, 0x08080000u, 4, &start, &span));
    CHECK(start == 0x08080000u && span == 0x4000u); /* sector 12 */
    CHECK(flash_block_span(&probe, 0x080FFFFCu, 4, &start, &span));
    CHECK(start == 0x080E0000u && span == 0x20000u); /* sector 19 */
    CHECK(!flash_block_span(&probe, 0x08100000u, 4, &start, &span));
    const family_flash *f = probe.part.family->flash;
    f->bank(&probe, f, 0x08080000u, &start, &end);
    CHECK(start == 0x08080000u && end == 0x08100000u);
    CHECK_EQ(f->loader_erase(f, 0x08080000u, 0x080E0000u, 7).writes[1][1], (1u << 1) | (23u << 3) | (2u << 8) | (1u << 16));
    close_fixture();
    /* without DB1M the same part is one bank: sector 8 at 0x08080000 */
    CHECK(open_fixture("stm32f429", false));
    t.id_block[pr->flash_size_reg - id_base] = 0x00, t.id_block[pr->flash_size_reg - id_base + 1] = 0x04;
    probe_session_init(&probe, &swd.link);
    CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
    CHECK(flash_block_span(&probe, 0x08080000u, 4, &start, &span));
    CHECK(start == 0x08080000u && span == 0x20000u);
    close_fixture();
    /* revision A of the F407: DEV_ID 0x411 with a Cortex-M4; an unprogrammed size register */
    CHECK(open_fixture("stm32f407", false));
    changed = *t.profile;
    changed.dbgmcu_idcode = 0x10000411u;
    t.profile = &changed;
    id_base = (changed.uid_base < changed.flash_size_reg ? changed.uid_base : changed.flash_size_reg) & ~0xFu;
    t.id_block[changed.flash_size_reg - id_base] = 0xFF, t.id_block[changed.flash_size_reg - id_base + 1] = 0xFF;
    probe_session_init(&probe, &swd.link);
    CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
    CHECK(probe.part_known && probe.part.dev_id == 0x413 && strcmp(probe.part.name, "STM32F40x/41x") == 0);
    CHECK(flash_block_span(&probe, 0x080FFFFCu, 4, &start, &span)); /* 1 MiB, not 64 MiB */
    CHECK(!flash_block_span(&probe, 0x08100000u, 4, &start, &span));
    close_fixture();
}

/* L4 and G4 identification against OPTR, on the simulated L476 with its identity changed: an
 * L47x under 1 MiB is two banks only with OPTR.DUALBANK (bit 21), else one (pages numbered
 * through the flash, no MER2); a G47x/G48x is programmed only as two banks of 256 KiB (OPTR.DBANK,
 * bit 22, and 512 KiB), else left unknown. And the single-bank G431: a write across its middle
 * erases the pages there, not bank 2's. */
static void test_l4_g4_banks(void)
{
    static sim_profile changed;
    static const struct {
        uint32_t idcode, kib, optr;
        bool known;
        unsigned regions;
    } cases[] = {
        {0x10076415u, 512, 0xFFEFF8AAu, true, 2},   /* DUALBANK set: bank 2 at 0x08040000 */
        {0x10076415u, 512, 0xFFCFF8AAu, true, 1},   /* DUALBANK clear */
        {0x10076415u, 1024, 0xFFCFF8AAu, true, 2},  /* 1 MiB: always two */
        {0x10036469u, 512, 0xFFEFF8AAu, true, 2},   /* G47x, DBANK set */
        {0x10036469u, 512, 0xFFAFF8AAu, false, 0},  /* G47x, DBANK clear: 4 KiB pages */
        {0x10036469u, 256, 0xFFEFF8AAu, false, 0},  /* G47x of 256 KiB: bank 2 after a gap */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(open_fixture("stm32l476", false));
        changed = *t.profile;
        changed.dbgmcu_idcode = cases[i].idcode;
        t.profile = &changed;
        uint32_t id_base = (changed.uid_base < changed.flash_size_reg ? changed.uid_base : changed.flash_size_reg) & ~0xFu;
        t.id_block[changed.flash_size_reg - id_base] = (uint8_t)cases[i].kib;
        t.id_block[changed.flash_size_reg - id_base + 1] = (uint8_t)(cases[i].kib >> 8);
        t.flash.option_nv = cases[i].optr;
        probe_session_init(&probe, &swd.link);
        probe_attach(&probe, 0);
        CHECK_EQ(probe.part_known, cases[i].known);
        unsigned regions = 0;
        for (unsigned m = 0; m < probe.part.memory_count; m++) regions += probe.part.memories[m].kind == PART_MEMORY_FLASH;
        CHECK_EQ(regions, cases[i].regions);
        if (cases[i].known) {
            const family_flash *f = probe.part.family->flash;
            uint32_t start = 0, end = 0, half = 0x08000000u + cases[i].kib * 512;
            f->bank(&probe, f, half, &start, &end);
            CHECK_EQ(start, regions == 2 ? half : 0x08000000u);
            uint32_t cr = f->loader_erase(f, start, half, (half - start) / 2048).writes[0][1];
            CHECK_EQ(cr & ((1u << 11) | (0xFFu << 3)), regions == 2 ? (1u << 11) : ((half - 0x08000000u) / 2048) << 3);
        }
        close_fixture();
    }
    /* the G431, one bank: a write across 0x08010000 erases pages 31 and 32, nothing else */
    CHECK(open_part(&parts[10]));
    fill(0x0800F000u, 0x2000, 0x5A);
    fill_random(data, 0x800, 61);
    CHECK_EQ(flash_write(&probe, 0x0800FC00u, data, 0x800, NULL, true, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(0x0800FC00u, 0x800), data, 0x800) == 0);
    CHECK(all(0x0800F000u, 0x800, 0x5A));
    CHECK(all(0x08010800u, 0x800, 0x5A));
    CHECK(!all(0x08000000u, 64, 0xFF)); /* page 0 (the fixture) untouched */
    close_fixture();
}

/* G0 and L4 (RM0444, RM0351): programming a double word that is not erased is PROGERR (not
 * erased), directly and through the loader; an operation that fails is OPERR (a sequence
 * error); the flag of an earlier error is cleared, so the next operation works. */
static void g0l4_errors(const part *pt)
{
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    fill_random(data, 4096, 37);
    fill(0x08008000u, 0x2000, 0x5A);
    CHECK_EQ(flash_program(&probe, 0x08008000u, data, 64, NULL, NULL, NULL), BMP_ERR_FLASH_NOT_ERASED);
    CHECK_EQ(flash_program(&probe, 0x08008800u, data, 4096, &ram, NULL, NULL), BMP_ERR_FLASH_NOT_ERASED);
    CHECK(all(0x08008000u, 0x2000, 0x5A));
    sim_flash_inject_error(&t);
    CHECK_EQ(flash_erase(&probe, 0x08008000u, 4), BMP_ERR_FLASH_SEQUENCE);
    CHECK(all(0x08008000u, pt->block, 0x5A));
    CHECK_EQ(flash_write(&probe, 0x08008000u, data, 4096, &ram, true, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(0x08008000u, 4096), data, 4096) == 0);
    /* the controller takes words only: a half-word write is SIZERR */
    uint8_t half[2] = {0, 0};
    CHECK_EQ(cortexm_write32(&probe.core, 0x40022008u, 0x45670123u), BMP_OK);
    CHECK_EQ(cortexm_write32(&probe.core, 0x40022008u, 0xCDEF89ABu), BMP_OK);
    CHECK_EQ(cortexm_write32(&probe.core, 0x40022014u, 1u), BMP_OK); /* PG */
    CHECK_EQ(adiv5_mem_write16(&probe.dp, probe.core.apsel, 0x0800A000u, half, 2), BMP_OK);
    uint32_t sr = 0;
    CHECK_EQ(cortexm_read32(&probe.core, 0x40022010u, &sr), BMP_OK);
    CHECK(sr & (1u << 6));
    CHECK(all(0x0800A000u, 8, 0xFF));
    cortexm_write32(&probe.core, 0x40022014u, 0x80000000u); /* locked again */
    CHECK_EQ(flash_write(&probe, 0x0800A000u, data, 16, NULL, true, NULL, NULL), BMP_ERR_FLASH_ALIGNMENT);
    CHECK_EQ(flash_write(&probe, 0x0800A000u, data, 16, NULL, true, NULL, NULL), BMP_OK); /* flag cleared */
}

static void test_g0l4_errors(void)
{
    for (unsigned i = 4; i < 6; i++) {
        CHECK(open_part(&parts[i]));
        g0l4_errors(&parts[i]);
        close_fixture();
    }
}

/* L476: bank 2 from 0x08080000, its pages numbered from 0 again (CR.BKER): a range across the
 * banks, directly and by the loader, erases and programs the right pages; the mass erase
 * empties both banks. */
static void test_l4_banks(void)
{
    flash_ram ram;
    CHECK(open_part(&parts[5]));
    CHECK(flash_default_ram(&probe, &ram));
    fill(0x08080000u - 0x1000, 0x2000, 0x00);
    fill(0x08000000u + 0x3F000, 0x800, 0x11); /* bank 1 page 126: must stay */
    fill(0x08080000u + 0x800, 0x800, 0x22);   /* bank 2 page 1: must be erased */
    fill_random(data, 8192, 41);
    CHECK_EQ(flash_write(&probe, 0x08080000u - 0x800, data, 0x1000, &ram, true, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(0x08080000u - 0x800, 0x1000), data, 0x1000) == 0);
    CHECK(all(0x08080000u - 0x1000, 0x800, 0x00)); /* the page before: untouched */
    CHECK(all(0x08000000u + 0x3F000, 0x800, 0x11));
    CHECK(all(0x08080000u + 0x800, 0x800, 0x22)); /* bank 2 page 1 not touched yet */
    CHECK_EQ(flash_write(&probe, 0x08080000u + 0x800 - 200, data, 400, NULL, true, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(0x08080000u + 0x800 - 200, 400), data, 400) == 0);
    CHECK(all(0x08080000u + 0x800 + 200, 0x800 - 200, 0xFF));
    CHECK(all(0x08000000u + 0x3F000, 0x800, 0x11));
    CHECK_EQ(flash_mass_erase(&probe), BMP_OK);
    for (uint32_t at = 0x08000000u; at < 0x08100000u; at += sizeof seen) CHECK(all(at, sizeof seen, 0xFF));
    close_fixture();
}

/* F1: the mass erase empties the whole flash (the fixture firmware included). */
static void test_mass_erase(void)
{
    CHECK(open_part(&parts[0]));
    /* identification kept the medium density's largest SRAM: its last word answered */
    CHECK(probe.part.memories[2].kind == PART_MEMORY_RAM && probe.part.memories[2].length == 20u * 1024);
    fill(0x0801F000u, 4096, 0x12);
    CHECK(!all(0x08000000u, 64, 0xFF));
    CHECK_EQ(flash_mass_erase(&probe), BMP_OK);
    CHECK(all(0x08000000u, 128 * 1024, 0xFF));
    close_fixture();
}

/* The CRC-32 routine run on the target (flash_loader_crc, for qCRC and for verifying without a
 * read-back): GDB's CRC of the range; the RAM it borrows and the registers are put back; a run
 * stopped by anything but its own BKPT (a watchpoint in the range, a fault) is an error, never
 * a partial CRC. */
static void test_target_crc(void)
{
    CHECK(open_part(&parts[0]));
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    fill_random(data, 4096, 7);
    CHECK_EQ(flash_write(&probe, 0x08004000u, data, 4096, &ram, true, NULL, NULL), BMP_OK);
    uint8_t before[1024], after[1024];
    fill_random(before, sizeof before, 8);
    CHECK_EQ(sim_target_load(&t, ram.base, before, sizeof before), SIM_OK);
    uint32_t pc = 0, pc_after = 0, crc = 0, want = crc32_gdb(CRC32_GDB_INITIAL, data, 4096);
    CHECK_EQ(cortexm_read_register(&probe.core, 15, &pc), BMP_OK);
    CHECK_EQ(flash_loader_crc(&probe.core, ram.base, ram.size, 0x08004000u, 4096, &crc, 10000u), BMP_OK);
    CHECK_EQ(crc, want);
    CHECK_EQ(sim_target_peek(&t, ram.base, after, sizeof after), SIM_OK);
    CHECK(memcmp(before, after, sizeof before) == 0);
    CHECK_EQ(cortexm_read_register(&probe.core, 15, &pc_after), BMP_OK);
    CHECK_EQ(pc_after, pc);
    CHECK_EQ(cortexm_set_watchpoint(&probe.core, 0x08004800u, 4, CORTEXM_WATCH_READ), BMP_OK);
    crc = 0;
    CHECK_EQ(flash_loader_crc(&probe.core, ram.base, ram.size, 0x08004000u, 4096, &crc, 10000u), BMP_ERR_LOADER_FAULT);
    CHECK_EQ(cortexm_read_register(&probe.core, 15, &pc_after), BMP_OK);
    CHECK_EQ(pc_after, pc);
    close_fixture();
}

/* Milliseconds of virtual time since `start`. */
static double ms_since(uint64_t start)
{
    return (double)(t.now_ps - start) / 1e9;
}

/* A bank as the flash models time it: its size, a page erase, a unit's programming. */
typedef struct bank_case {
    uint32_t start, size;
    double page_ms, unit_ms;
    uint32_t keep; /* 0, or a page outside the bank whose data must stay */
} bank_case;

/* A range that covers every block of a bank is erased with one bank erase (about one page's time,
 * not one per page), by flash_erase and by the loader in flash_write; a range that leaves out one
 * block, at either end, is erased block by block and that block keeps its data. */
static void bank_erase(const part *pt, const bank_case *b)
{
    uint32_t pages = b->size / pt->block, last = b->start + b->size - pt->block;
    if (b->keep) fill(b->keep, pt->block, 0x11);
    fill(b->start, pt->block, 0x22);
    fill(last, pt->block, 0x44);
    uint64_t start = t.now_ps;
    CHECK_EQ(flash_erase(&probe, b->start + pt->block, b->size - pt->block), BMP_OK); /* all but the first */
    CHECK(ms_since(start) >= (pages - 1) * b->page_ms);
    CHECK(all(b->start, pt->block, 0x22));
    CHECK(all(last, pt->block, 0xFF));
    fill(last, pt->block, 0x44);
    start = t.now_ps;
    CHECK_EQ(flash_erase(&probe, b->start, b->size - pt->block), BMP_OK); /* all but the last */
    CHECK(ms_since(start) >= (pages - 1) * b->page_ms);
    CHECK(all(last, pt->block, 0x44));
    start = t.now_ps;
    CHECK_EQ(flash_erase(&probe, b->start + 3, b->size - pt->block + 1), BMP_OK); /* touches every block */
    CHECK(ms_since(start) < 5 * b->page_ms);
    CHECK(all(b->start, b->size, 0xFF));
    if (b->keep) CHECK(all(b->keep, pt->block, 0x11)); /* the other bank */

    /* flash_write: all but the last block, then the whole bank (programming alone takes the
     * units' time; erasing page by page would add half as much again) */
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    fill(last, pt->block, 0x44);
    fill_random(data, b->size, 77);
    CHECK_EQ(flash_write(&probe, b->start, data, b->size - pt->block, &ram, true, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(b->start, b->size - pt->block), data, b->size - pt->block) == 0);
    CHECK(all(last, pt->block, 0x44));
    fill_random(data, b->size, 78);
    start = t.now_ps;
    CHECK_EQ(flash_write(&probe, b->start, data, b->size, &ram, true, NULL, NULL), BMP_OK);
    CHECK(ms_since(start) < (b->size / pt->unit) * b->unit_ms + pages * b->page_ms / 2);
    CHECK(memcmp(flash_at(b->start, b->size), data, b->size) == 0);
    if (b->keep) CHECK(all(b->keep, pt->block, 0x11));
}

static void test_bank_erase(void)
{
    static const struct {
        unsigned part;
        bank_case bank;
    } cases[] = {
        {0, {0x08000000u, 128u << 10, 20.0, 0.0525, 0}},          /* F1: 128 pages of 1 KiB */
        {4, {0x08000000u, 128u << 10, 22.0, 0.085, 0}},           /* G0: 64 pages of 2 KiB */
        {5, {0x08080000u, 512u << 10, 22.0, 0.0817, 0x0803F000u}}, /* L4: bank 2 (MER2); bank 1 kept */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const part *pt = &parts[cases[i].part];
        int failures = check_failures_in_test;
        CHECK(open_part(pt));
        bank_erase(pt, &cases[i].bank);
        if (check_failures_in_test != failures) fprintf(stderr, "  (on %s)\n", pt->profile);
        close_fixture();
    }
}

/* The H750: one 128 KiB sector (0x08000000, the fixture's): erased and written whole with the
 * core halted, directly and through the loader; the mass erase has bank 1 only. */
static void test_h750_one_sector(void)
{
    static const part h750 = {"stm32h750", true, 0x08000000u, 0x20000u, 32, 0x52002004u};
    flash_ram ram;
    CHECK(open_part(&h750));
    CHECK_EQ(flash_end(), 0x08020000u);
    CHECK(flash_default_ram(&probe, &ram));
    CHECK_EQ(ram.base, 0x20000000u);
    fill_random(data, sizeof data, 37);
    uint32_t start = 0, span = 0;
    CHECK(flash_block_span(&probe, 0x08001000u, 16, &start, &span));
    CHECK_EQ(start, 0x08000000u);
    CHECK_EQ(span, 0x20000u);
    CHECK_EQ(flash_write(&probe, 0x08000000u, data, 0x20000u, &ram, true, NULL, NULL), BMP_OK);
    CHECK(loader_in_ram(ram.base));
    CHECK(memcmp(flash_at(0x08000000u, 0x20000u), data, 0x20000u) == 0);
    CHECK_EQ(flash_write(&probe, 0x08010000u, data + 5, 999, NULL, true, NULL, NULL), BMP_OK);
    CHECK(all(0x08000000u, 0x10000u, 0xFF)); /* the whole sector was erased */
    CHECK(memcmp(flash_at(0x08010000u, 999), data + 5, 999) == 0);
    CHECK_EQ(flash_write(&probe, 0x0801FFE0u, data, 64, NULL, true, NULL, NULL), BMP_ERR_FLASH_OUTSIDE);
    CHECK_EQ(flash_mass_erase(&probe), BMP_OK);
    CHECK(all(0x08000000u, 0x20000u, 0xFF));
    close_fixture();
}

/* Read-out protection through the core, on the F723 (F4-style OPTCR) and the H750 (OPTSR_CUR):
 * level 0 reported as the factory left it; at level 1 writing fails as protected and nothing
 * changes; the regression mass-erases (the F7 takes the new level at its next reset, the H7 at
 * once), after which the flash takes an image; a level-2 byte in the register is refused with
 * nothing touched. */
static void read_protection(const part *pt)
{
    flash_ram ram;
    flash_rdp rdp;
    CHECK(flash_default_ram(&probe, &ram));
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 0 && rdp.has_byte && rdp.byte == 0xAA);
    CHECK_EQ(flash_rdp_regress(&probe), BMP_OK); /* level 0: nothing to do */
    CHECK(!all(0x08000000u, 64, 0xFF));          /* the fixture is still there */
    CHECK(sim_flash_set_rdp(&t, 0xBB));
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 1 && rdp.byte == 0xBB);
    fill_random(data, 4096, 41);
    CHECK_EQ(flash_write(&probe, pt->area, data, 4096, &ram, true, NULL, NULL), BMP_ERR_FLASH_PROTECTED);
    CHECK_EQ(flash_write(&probe, pt->area, data, 64, NULL, true, NULL, NULL), BMP_ERR_FLASH_PROTECTED);
    CHECK(!all(0x08000000u, 64, 0xFF));
    uint8_t word[4];
    CHECK_EQ(adiv5_mem_read(&probe.dp, probe.core.apsel, 0x08000000u, word, 4), BMP_ERR_FAULT);
    CHECK_EQ(flash_rdp_regress(&probe), BMP_OK);
    CHECK(all(0x08000000u, t.flash.size, 0xFF)); /* mass-erased */
    if (pt->keyr == 0x40023C04u) {             /* F7: level 1 holds until the reset loads 0xAA */
        CHECK_EQ(sim_flash_rdp_level(&t), 1);
        CHECK_EQ(cortexm_reset(&probe.core, true), BMP_OK);
        CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
        CHECK_EQ(cortexm_halt(&probe.core), BMP_OK);
    }
    CHECK_EQ(sim_flash_rdp_level(&t), 0);
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 0 && rdp.byte == 0xAA);
    CHECK_EQ(flash_write(&probe, pt->area, data, 4096, &ram, true, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(pt->area, 4096), data, 4096) == 0);
    /* level 2 programmed but not yet loaded (an F7 before its reset): the register says 2 */
    if (pt->keyr == 0x40023C04u) {
        t.flash.optcr = (t.flash.optcr & ~0xFF00u) | 0xCC00u;
        CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
        CHECK_EQ(rdp.level, 2);
        CHECK_EQ(flash_rdp_regress(&probe), BMP_ERR_RDP_PERMANENT);
        CHECK(memcmp(flash_at(pt->area, 4096), data, 4096) == 0);
    }
}

static void test_read_protection(void)
{
    static const part h750 = {"stm32h750", false, 0x08000000u, 0x20000u, 32, 0x52002004u};
    CHECK(open_part(&parts[3]));
    read_protection(&parts[3]);
    close_fixture();
    CHECK(open_part(&h750));
    read_protection(&h750);
    close_fixture();
    /* level 2 in effect: the debug port is silent, so nothing attaches at all */
    CHECK(open_part(&parts[3]));
    CHECK(sim_flash_set_rdp(&t, 0xCC));
    CHECK(probe_attach(&probe, 0) != BMP_OK);
    close_fixture();
    /* the F1 (PM0075): level 1 only; RDP 0xA5 unprotects, and removing the protection goes
     * through the option bytes (erased, then RDP 0xA5 programmed: the part mass-erases its flash)
     * with USER and the data bytes kept; it takes effect at the next reset */
    flash_rdp rdp;
    CHECK(open_part(&parts[0]));
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 0 && rdp.has_byte && rdp.byte == 0xA5);
    CHECK_EQ(flash_rdp_regress(&probe), BMP_OK); /* level 0: nothing to do */
    CHECK(!all(0x08000000u, 64, 0xFF));
    t.flash.f1_ob[2] = 0xFB, t.flash.f1_ob[3] = 0x04; /* USER: hardware watchdog, as programmed earlier */
    t.flash.f1_ob[4] = 0x42, t.flash.f1_ob[5] = 0xBD; /* Data0 */
    CHECK(sim_flash_set_rdp(&t, 0x00));
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 1 && rdp.byte == 0x00);
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    fill_random(data, 4096, 43);
    CHECK_EQ(flash_write(&probe, 0x08004000u, data, 4096, &ram, true, NULL, NULL), BMP_ERR_FLASH_PROTECTED);
    uint8_t word[4];
    CHECK_EQ(adiv5_mem_read(&probe.dp, probe.core.apsel, 0x08000000u, word, 4), BMP_ERR_FAULT);
    CHECK_EQ(flash_rdp_regress(&probe), BMP_OK);
    CHECK(all(0x08000000u, t.flash.size, 0xFF)); /* mass-erased */
    CHECK_EQ(sim_flash_rdp_level(&t), 1);        /* until the reset loads RDP 0xA5 */
    CHECK_EQ(cortexm_reset(&probe.core, true), BMP_OK);
    CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
    CHECK_EQ(cortexm_halt(&probe.core), BMP_OK);
    CHECK_EQ(sim_flash_rdp_level(&t), 0);
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 0 && rdp.byte == 0xA5);
    uint32_t obr = 0;
    CHECK_EQ(cortexm_read32(&probe.core, 0x4002201Cu, &obr), BMP_OK);
    CHECK_EQ(obr, (0x42u << 10) | (0xFBu << 2) | (0xFFu << 18)); /* no OPTERR; USER and Data0 kept */
    CHECK_EQ(t.flash.wrpr, 0xFFFFFFFFu);
    CHECK_EQ(flash_write(&probe, 0x08004000u, data, 4096, &ram, true, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(0x08004000u, 4096), data, 4096) == 0);
    /* protection programmed but not loaded yet (firmware that locks itself, OpenOCD's lock before
     * its reset): the level shows 1 (what the next reset loads), and removing it programs 0xA5
     * back without a mass erase (none is in effect) */
    t.flash.f1_ob[0] = 0x00, t.flash.f1_ob[1] = 0xFF;
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 1 && rdp.byte == 0x00);
    CHECK_EQ(flash_rdp_regress(&probe), BMP_OK);
    CHECK(memcmp(flash_at(0x08004000u, 4096), data, 4096) == 0);
    CHECK_EQ(cortexm_reset(&probe.core, true), BMP_OK);
    CHECK_EQ(sim_flash_rdp_level(&t), 0);
    CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
    CHECK_EQ(probe_detach(&probe), BMP_OK);
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_ERR_NOT_ATTACHED);
    close_fixture();
}

/* The F0 and F3 (RM0091, RM0316): RDP 0xAA is level 0, 0xCC level 2; removing level 1 programs
 * 0xAA (the part mass-erases its flash) with USER and Data0 kept, then sets OBL_LAUNCH, since
 * these parts load their option bytes at power-on or through it, not at a system reset: the part
 * comes back at level 0 at once. */
static void read_protection_f0(const part *pt)
{
    flash_rdp rdp;
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 0 && rdp.has_byte && rdp.byte == 0xAA);
    t.flash.f1_ob[2] = 0xFE, t.flash.f1_ob[3] = 0x01; /* USER: hardware watchdog */
    t.flash.f1_ob[4] = 0x42, t.flash.f1_ob[5] = 0xBD; /* Data0 */
    CHECK(sim_flash_set_rdp(&t, 0xA5));               /* the F1's open byte: level 1 here */
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 1 && rdp.byte == 0xA5);
    fill_random(data, 4096, 47);
    CHECK_EQ(flash_write(&probe, pt->area, data, 4096, &ram, true, NULL, NULL), BMP_ERR_FLASH_PROTECTED);
    uint8_t word[4];
    CHECK_EQ(adiv5_mem_read(&probe.dp, probe.core.apsel, 0x08000000u, word, 4), BMP_ERR_FAULT);
    CHECK_EQ(flash_rdp_regress(&probe), BMP_OK);
    CHECK(all(0x08000000u, t.flash.size, 0xFF)); /* mass-erased */
    CHECK_EQ(sim_flash_rdp_level(&t), 0);        /* OBL_LAUNCH loaded it */
    uint32_t dhcsr = 0;
    CHECK_EQ(cortexm_read32(&probe.core, 0xE000EDF0u, &dhcsr), BMP_OK);
    CHECK(dhcsr & (1u << 17));                   /* halted after OBL_LAUNCH's reset, as before it */
    uint32_t obr = 0;
    CHECK_EQ(cortexm_read32(&probe.core, 0x4002201Cu, &obr), BMP_OK);
    CHECK_EQ(obr, (0x42u << 16) | (0xFEu << 8) | (0xFFu << 24)); /* no OPTERR, level 0; USER, Data0 kept */
    CHECK_EQ(cortexm_halt(&probe.core), BMP_OK);
    CHECK_EQ(flash_write(&probe, pt->area, data, 4096, &ram, true, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(pt->area, 4096), data, 4096) == 0);
    /* protection programmed (firmware that locks itself): a system reset does not load it */
    t.flash.f1_ob[0] = 0x00, t.flash.f1_ob[1] = 0xFF;
    CHECK_EQ(cortexm_reset(&probe.core, true), BMP_OK);
    CHECK_EQ(sim_flash_rdp_level(&t), 0);
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 1 && rdp.byte == 0x00); /* what the next load takes */
    /* level 2 programmed but not loaded: shown, and never undone */
    t.flash.f1_ob[0] = 0xCC, t.flash.f1_ob[1] = 0x33;
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK_EQ(rdp.level, 2);
    CHECK_EQ(flash_rdp_regress(&probe), BMP_ERR_RDP_PERMANENT);
    CHECK(memcmp(flash_at(pt->area, 4096), data, 4096) == 0);
    CHECK(t.flash.f1_ob[0] == 0xCC && t.flash.f1_ob[1] == 0x33);
    /* a pair whose complement does not match loads as level 1 */
    t.flash.f1_ob[0] = 0xAA, t.flash.f1_ob[1] = 0x00;
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK_EQ(rdp.level, 1);
    /* level 1 in effect with 0xAA programmed (OpenOCD's unlock without options_load): level 1
     * shows, and removing it loads level 0 */
    CHECK(sim_flash_set_rdp(&t, 0x00));
    t.flash.f1_ob[0] = 0xAA, t.flash.f1_ob[1] = 0x55;
    CHECK_EQ(flash_read_protection(&probe, &rdp), BMP_OK);
    CHECK(rdp.level == 1 && rdp.byte == 0xAA);
    CHECK_EQ(flash_rdp_regress(&probe), BMP_OK);
    CHECK_EQ(sim_flash_rdp_level(&t), 0);
    CHECK(all(0x08000000u, t.flash.size, 0xFF));
}

static void test_read_protection_f0_f3(void)
{
    for (unsigned i = 6; i < 8; i++) {
        int failures = check_failures_in_test;
        CHECK(open_part(&parts[i]));
        read_protection_f0(&parts[i]);
        if (check_failures_in_test != failures) fprintf(stderr, "  (on %s)\n", parts[i].profile);
        close_fixture();
    }
}

int main(void)
{
    RUN(test_erase);
    RUN(test_program_direct);
    RUN(test_program_loader);
    RUN(test_write);
    RUN(test_image);
    RUN(test_refusals);
    RUN(test_locked);
    RUN(test_protected);
    RUN(test_controller_errors);
    RUN(test_h7_banks);
    RUN(test_f4_dual_bank);
    RUN(test_f4_identity_quirks);
    RUN(test_l4_g4_banks);
    RUN(test_g0l4_errors);
    RUN(test_l4_banks);
    RUN(test_mass_erase);
    RUN(test_bank_erase);
    RUN(test_target_crc);
    RUN(test_h750_one_sector);
    RUN(test_read_protection);
    RUN(test_read_protection_f0_f3);
    return CHECK_SUMMARY();
}
