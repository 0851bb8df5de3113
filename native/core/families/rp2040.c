/* Raspberry Pi RP2040 (RP2040 Datasheet; docs/TARGETS.md lists the facts): two Cortex-M0+
 * cores, each behind its own DP on one SWD multidrop wire (TARGETSEL 0x01002927 and 0x11002927:
 * the scan lists both through this family's TARGETSEL list), identified by SYSINFO CHIP_ID.
 *
 * The flash is external QSPI NOR behind XIP at 0x10000000, which only the boot ROM's functions
 * know how to erase and program: this driver calls them on the attached core (the datasheet's
 * sequence: connect_internal_flash, flash_exit_xip, then flash_range_erase / flash_range_program,
 * then flash_flush_cache and flash_enter_cmd_xip so that XIP reads see the new contents). A call
 * sets r0-r3, LR to a BKPT in SRAM, SP below it, PC to the function found through the ROM's
 * table, runs the core and waits for it to halt; the core's registers are put back after.
 * The flash size is not read from the flash (that needs its SFDP or JEDEC ID through the SSI):
 * 2 MiB, a Pico's W25Q16JV, is assumed. The SRAM's first 12 KiB are used while programming. */
#include "families/family.h"
#include "cortexm/debug_regs.h"

#include "flash/flash.h"

#include <string.h>

#define SYSINFO_CHIP_ID 0x40000000u
#define CHIP_ID_MASK 0x0FFFFFFFu /* PART and MANUFACTURER; bits 31:28 are the revision */
#define CHIP_ID_RP2040 0x00002927u
#define XIP_BASE 0x10000000u
#define FLASH_SIZE 0x200000u
#define SRAM 0x20000000u
#define SRAM_SIZE (264u * 1024u)
#define SECTOR 4096u
#define BLOCK 65536u
#define PAGE 256u

#define BKPT_AT SRAM             /* the return address: a BKPT */
#define STACK_TOP (SRAM + 0x1000u)
#define STAGING (SRAM + 0x1000u) /* data for flash_range_program: two buffers */
#define STAGING_SIZE 0x1000u

#define ROM_FUNC_TABLE 0x14u
#define CALL_WAITS 4000u /* probe-side waits (DP_LINK_MATCH_RETRIES reads each): 46 s at 4 MHz */

#define CODE(a, b) ((uint16_t)((a) | (b) << 8))

static const target_family *self(void);

static bool identify(probe_session *p, uint8_t apsel, part_info *info)
{
    uint32_t id = 0;
    if (adiv5_mem_read32(&p->dp, apsel, SYSINFO_CHIP_ID, &id) != BMP_OK || (id & CHIP_ID_MASK) != CHIP_ID_RP2040)
        return false;
    info->name = "RP2040";
    info->family = self();
    info->idcode = id;
    part_add(info, PART_MEMORY_ROM, 0x00000000u, 0x4000u, 0); /* boot ROM */
    part_add(info, PART_MEMORY_FLASH, XIP_BASE, FLASH_SIZE, SECTOR);
    part_add(info, PART_MEMORY_RAM, SRAM, SRAM_SIZE, 0);
    part_add(info, PART_MEMORY_DEVICE, 0xD0000000u, 0x1000u, 0); /* SIO: CPUID, FIFOs, spinlocks */
    part_add_system_regions(info);
    return true;
}

/* The ROM's function table (datasheet 2.7.3: a 16-bit pointer at 0x14 to pairs of code and
 * address, ending with code 0), in one read. */
typedef struct rom_table {
    uint8_t entries[64];
} rom_table;

static bmp_status read_rom_table(probe_session *p, rom_table *t)
{
    uint8_t ptr[2];
    bmp_status s = adiv5_mem_read(&p->dp, p->core.apsel, ROM_FUNC_TABLE, ptr, 2);
    return s == BMP_OK ? adiv5_mem_read(&p->dp, p->core.apsel, (uint32_t)ptr[0] | (uint32_t)ptr[1] << 8, t->entries,
                                        sizeof t->entries)
                       : s;
}

/* The address of the function with this two-letter code, 0 if the table has none. */
static uint32_t rom_function(const rom_table *t, uint16_t code)
{
    for (unsigned i = 0; i + 4 <= sizeof t->entries; i += 4) {
        uint16_t c = (uint16_t)(t->entries[i] | t->entries[i + 1] << 8);
        if (c == 0) break;
        if (c == code) return (uint32_t)t->entries[i + 2] | (uint32_t)t->entries[i + 3] << 8;
    }
    return 0;
}

typedef struct rom_call {
    uint16_t code;
    uint32_t args[4];
} rom_call;

/* Starts one call on the halted core: r0-r3, LR to the BKPT, SP, PC; the core runs. */
static bmp_status start_call(cortexm *c, uint32_t fn, const uint32_t args[4])
{
    const unsigned regs[9] = {20, 16, 13, 14, 0, 1, 2, 3, 15};
    const uint32_t values[9] = {1, XPSR_THUMB, STACK_TOP, BKPT_AT | 1u, args[0], args[1], args[2], args[3], fn & ~1u};
    bmp_status s = cortexm_write_registers(c, regs, 9, values);
    return s == BMP_OK ? cortexm_resume(c) : s;
}

/* Waits until the call started last halts at the BKPT. Each poll first waits on the probe for
 * the halt (a value match on DHCSR.S_HALT, no USB traffic while it repeats); one that runs out
 * (a long erase, or a lockup) is followed by a plain read. Leaves the core halted. */
static bmp_status wait_call(cortexm *c, uint32_t max_waits)
{
    uint32_t dhcsr = 0, pc = 0;
    bmp_status s = cortexm_wait_halted(c, max_waits, &dhcsr);
    bmp_status h = cortexm_halt(c);
    if (s == BMP_OK) s = h;
    if (s == BMP_OK && (s = cortexm_read_register(c, 15, &pc)) == BMP_OK && pc != BKPT_AT) s = BMP_ERR_LOADER_FAULT;
    return s;
}

/* Around a run of calls: the core halted, the ROM's function table read, the registers a call
 * may change (AAPCS: r0-r3, r12, LR; and what the call sets up) saved, the BKPT placed; and
 * after, the registers put back. */
typedef struct rom_session {
    rom_table table;
    uint32_t saved[11];
    bool saved_valid;
} rom_session;

/* MSP and PSP rather than SP: a call runs on MSP (CONTROL.SPSEL 0), the program may use PSP. */
static const unsigned saved_regs[11] = {0, 1, 2, 3, 12, 14, 15, 16, 17, 18, 20};

static bmp_status rom_open(probe_session *p, rom_session *r)
{
    static const uint8_t bkpt[2] = {0x00, 0xBE};
    cortexm *c = &p->core;
    r->saved_valid = false;
    bmp_status s = cortexm_halt(c);
    if (s == BMP_OK) s = read_rom_table(p, &r->table);
    if (s == BMP_OK) s = cortexm_read_registers(c, saved_regs, 11, r->saved);
    r->saved_valid = s == BMP_OK;
    return s == BMP_OK ? adiv5_mem_write(c->dp, c->apsel, BKPT_AT, bkpt, 2) : s;
}

static bmp_status rom_close(probe_session *p, const rom_session *r, bmp_status s)
{
    cortexm_halt(&p->core); /* a call that failed may have left it running */
    if (!r->saved_valid) return s; /* nothing was read to put back */
    bmp_status w = cortexm_write_registers(&p->core, saved_regs, 11, r->saved);
    return s != BMP_OK ? s : w;
}

/* Calls ROM functions one after the other on the attached core, each returning to the BKPT. */
static bmp_status call_rom(probe_session *p, const rom_call *calls, unsigned count)
{
    rom_session r;
    bmp_status s = rom_open(p, &r);
    for (unsigned i = 0; s == BMP_OK && i < count; i++) {
        uint32_t fn = rom_function(&r.table, calls[i].code);
        s = fn ? start_call(&p->core, fn, calls[i].args) : BMP_ERR_INVALID;
        /* An erase gets the budget once more for each 64 KiB it covers (up to 2 s each at the
         * W25Q16JV's maximum): one call may erase the whole flash. */
        uint32_t waits = calls[i].code == CODE('R', 'E') ? CALL_WAITS * (1u + calls[i].args[1] / BLOCK) : CALL_WAITS;
        if (s == BMP_OK) s = wait_call(&p->core, waits);
    }
    return rom_close(p, &r, s);
}

#define CALL(a, b, ...) {CODE(a, b), {__VA_ARGS__}}

/* The datasheet's sequence: connect the QSPI pins to the SSI, leave XIP. */
static bmp_status begin(probe_session *p, const family_flash *f, uint32_t addr)
{
    (void)f, (void)addr;
    const rom_call calls[] = {CALL('I', 'F', 0), CALL('E', 'X', 0)};
    return call_rom(p, calls, 2);
}

/* Back to XIP, so that reads (the debugger's, the program's) see the new contents. */
static void end(probe_session *p, const family_flash *f, uint32_t addr)
{
    (void)f, (void)addr;
    const rom_call calls[] = {CALL('F', 'C', 0), CALL('C', 'X', 0)};
    call_rom(p, calls, 2);
}

/* An erase between begin and end, in one sequence: with a 64 KiB block erase (0xD8) where a
 * whole block fits. */
static bmp_status erase(probe_session *p, uint32_t offset, uint32_t count)
{
    const rom_call calls[] = {CALL('I', 'F', 0), CALL('E', 'X', 0), CALL('R', 'E', offset, count, BLOCK, 0xD8),
                              CALL('F', 'C', 0), CALL('C', 'X', 0)};
    return call_rom(p, calls, 5);
}

static bmp_status erase_block(probe_session *p, const family_flash *f, uint32_t start, uint32_t index)
{
    (void)f, (void)index;
    return erase(p, start - XIP_BASE, SECTOR);
}

/* The blocks of a range in one ROM call, which uses the 64 KiB block erase (150 ms) for each
 * whole aligned block, where sector by sector would take 16 x 45 ms. */
static bmp_status erase_range(probe_session *p, const family_flash *f, uint32_t start, uint32_t end)
{
    (void)f;
    return erase(p, start - XIP_BASE, end - start);
}

static bmp_status mass_erase(probe_session *p, const family_flash *f)
{
    (void)f;
    return erase(p, 0, FLASH_SIZE);
}

/* Whole pages through flash_range_program: the bytes of a page outside the data are 0xFF,
 * which leaves NOR flash as it is. The data goes to SRAM in chunks of STAGING_SIZE, into two
 * buffers in turn: while the ROM programs one, the next chunk is written into the other (the
 * AP writes SRAM while the core runs), so the link and the flash work at the same time. The
 * flash layer hands this whole runs of the image (`program_run`). */
static bmp_status program(probe_session *p, const family_flash *f, uint32_t addr, const uint8_t *data, size_t length)
{
    (void)f;
    uint8_t pad[PAGE];
    memset(pad, 0xFF, sizeof pad);
    rom_session r;
    bmp_status s = rom_open(p, &r);
    uint32_t fn = s == BMP_OK ? rom_function(&r.table, CODE('R', 'P')) : 0;
    if (s == BMP_OK && !fn) s = BMP_ERR_INVALID;
    bool running = false;
    unsigned buffer = 0;
    uint32_t end_addr = addr + (uint32_t)length;
    for (uint32_t page = addr & ~(PAGE - 1u); s == BMP_OK && page < end_addr; buffer ^= 1u) {
        uint32_t n = end_addr - page;
        n = n > STAGING_SIZE ? STAGING_SIZE : (n + PAGE - 1u) & ~(PAGE - 1u);
        uint32_t from = addr > page ? addr : page, to = end_addr < page + n ? end_addr : page + n;
        uint32_t staging = STAGING + buffer * STAGING_SIZE;
        if (from > page) s = adiv5_mem_write(&p->dp, p->core.apsel, staging, pad, from - page);
        if (s == BMP_OK) s = adiv5_mem_write(&p->dp, p->core.apsel, staging + (from - page), data + (from - addr), to - from);
        if (s == BMP_OK && to < page + n) s = adiv5_mem_write(&p->dp, p->core.apsel, staging + (to - page), pad, page + n - to);
        if (running) { /* the previous chunk is programmed (waited for even if staging failed) */
            bmp_status w = wait_call(&p->core, CALL_WAITS);
            if (s == BMP_OK) s = w;
            running = false;
        }
        const uint32_t args[4] = {page - XIP_BASE, staging, n, 0};
        if (s == BMP_OK) s = start_call(&p->core, fn, args);
        running = s == BMP_OK;
        page += n;
    }
    if (running) {
        bmp_status w = wait_call(&p->core, CALL_WAITS);
        if (s == BMP_OK) s = w;
    }
    return rom_close(p, &r, s);
}

static const family_flash flash = {
    .unit = 4, .begin = begin, .end = end, .erase_block = erase_block, .erase_range = erase_range, .mass_erase = mass_erase, .program = program,
    .program_run = 64u * 1024u,
};

static bool cmd_erase_mass(probe_session *p, int argc, const char **argv, family_print print, void *ctx)
{
    (void)argc, (void)argv;
    if (p->attached < 0 || !p->part_known) {
        print(ctx, "Not attached: `attach 1` first (the erase runs the boot ROM on a core).\n");
        return false;
    }
    print(ctx, "RP2040: erasing the whole 2 MiB flash through the boot ROM...\n");
    bmp_status s = flash_mass_erase(p);
    if (s != BMP_OK) {
        const char *why = bmp_status_message(s);
        print(ctx, "Erase failed: ");
        print(ctx, why ? why : "unknown error");
        print(ctx, ".\n");
        return false;
    }
    print(ctx, "Flash erased.\n");
    return true;
}

static const family_command commands[] = {
    {"erase_mass", "Erase the whole QSPI flash through the boot ROM's flash_range_erase", cmd_erase_mass},
};

/* Core 0, core 1 (ADIv5.2 TARGETSEL: TINSTANCE in bits 31:28). The rescue DP (0xF1002927)
 * is not a core: it resets the chip and is not listed. */
static const uint32_t targetsels[] = {0x01002927u, 0x11002927u};

const target_family rp2040_family = {
    .name = "RP2040",
    .identify = identify,
    .multidrop_targetid = 0x01002927u,
    .targetsels = targetsels,
    .targetsel_count = 2,
    .flash = &flash,
    .commands = commands,
    .command_count = sizeof commands / sizeof commands[0],
};

static const target_family *self(void)
{
    return &rp2040_family;
}
