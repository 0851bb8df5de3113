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
 * 2 MiB, a Pico's W25Q16JV, is assumed. The SRAM's first 8 KiB are used while programming. */
#include "families/family.h"

#include "flash/flash.h"

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
#define STAGING (SRAM + 0x1000u) /* data for flash_range_program */
#define STAGING_SIZE 0x1000u

#define ROM_FUNC_TABLE 0x14u
#define DHCSR 0xE000EDF0u
#define S_HALT (1u << 17)
#define S_LOCKUP (1u << 19)
#define XPSR_THUMB 0x01000000u
#define CALL_POLLS 4000000u

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

/* The ROM function with this two-letter code, read from the ROM's table (datasheet 2.7.3:
 * 16-bit pointer at 0x14 to pairs of code and address, ending with code 0), in one read. */
static bmp_status rom_function(probe_session *p, uint16_t code, uint32_t *addr)
{
    uint8_t ptr[2], table[64];
    bmp_status s = adiv5_mem_read(&p->dp, p->core.apsel, ROM_FUNC_TABLE, ptr, 2);
    if (s == BMP_OK) s = adiv5_mem_read(&p->dp, p->core.apsel, (uint32_t)ptr[0] | (uint32_t)ptr[1] << 8, table, sizeof table);
    for (unsigned i = 0; s == BMP_OK && i + 4 <= sizeof table; i += 4) {
        uint16_t c = (uint16_t)(table[i] | table[i + 1] << 8);
        if (c == 0) break;
        if (c == code) {
            *addr = (uint32_t)table[i + 2] | (uint32_t)table[i + 3] << 8;
            return BMP_OK;
        }
    }
    return s != BMP_OK ? s : BMP_ERR_INVALID;
}

/* What a call may change (AAPCS: r0-r3, r12, LR; and what the call sets up): put back after. */
static const unsigned saved_regs[10] = {0, 1, 2, 3, 12, 13, 14, 15, 16, 20};

/* Calls the ROM function `code` with r0-r3 = args on the attached (halted) core and waits for
 * it to return to the BKPT. */
static bmp_status call_rom(probe_session *p, uint16_t code, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3)
{
    cortexm *c = &p->core;
    uint32_t fn = 0, saved[10], dhcsr = 0, pc = 0;
    static const uint8_t bkpt[2] = {0x00, 0xBE};
    bmp_status s = cortexm_halt(c);
    if (s == BMP_OK) s = rom_function(p, code, &fn);
    if (s == BMP_OK) s = cortexm_read_registers(c, saved_regs, 10, saved);
    if (s != BMP_OK) return s;
    s = adiv5_mem_write(c->dp, c->apsel, BKPT_AT, bkpt, 2);
    const unsigned regs[9] = {20, 16, 13, 14, 0, 1, 2, 3, 15};
    const uint32_t values[9] = {1, XPSR_THUMB, STACK_TOP, BKPT_AT | 1u, a0, a1, a2, a3, fn & ~1u};
    if (s == BMP_OK) s = cortexm_write_registers(c, regs, 9, values);
    if (s == BMP_OK) s = cortexm_resume(c);
    for (uint32_t i = 0; s == BMP_OK; i++) {
        if ((s = cortexm_read32(c, DHCSR, &dhcsr)) != BMP_OK) break;
        if (dhcsr & (S_HALT | S_LOCKUP)) break;
        if (i == CALL_POLLS) s = BMP_ERR_LOADER_TIMEOUT;
    }
    bmp_status h = cortexm_halt(c);
    if (s == BMP_OK) s = h;
    if (s == BMP_OK && (s = cortexm_read_register(c, 15, &pc)) == BMP_OK && pc != BKPT_AT) s = BMP_ERR_LOADER_FAULT;
    bmp_status r = cortexm_write_registers(c, saved_regs, 10, saved);
    return s != BMP_OK ? s : r;
}

static bmp_status begin(probe_session *p, const family_flash *f, uint32_t addr)
{
    (void)f, (void)addr;
    bmp_status s = call_rom(p, CODE('I', 'F'), 0, 0, 0, 0);
    return s == BMP_OK ? call_rom(p, CODE('E', 'X'), 0, 0, 0, 0) : s;
}

/* Back to XIP, so that reads (the debugger's, the program's) see the new contents. */
static void end(probe_session *p, const family_flash *f, uint32_t addr)
{
    (void)f, (void)addr;
    if (call_rom(p, CODE('F', 'C'), 0, 0, 0, 0) == BMP_OK) call_rom(p, CODE('C', 'X'), 0, 0, 0, 0);
}

static bmp_status erase_block(probe_session *p, const family_flash *f, uint32_t start, uint32_t index)
{
    (void)index;
    bmp_status s = begin(p, f, start);
    if (s == BMP_OK) s = call_rom(p, CODE('R', 'E'), start - XIP_BASE, SECTOR, BLOCK, 0xD8);
    end(p, f, start);
    return s;
}

static bmp_status mass_erase(probe_session *p, const family_flash *f)
{
    bmp_status s = begin(p, f, XIP_BASE);
    if (s == BMP_OK) s = call_rom(p, CODE('R', 'E'), 0, FLASH_SIZE, BLOCK, 0xD8); /* 64 KiB blocks */
    end(p, f, XIP_BASE);
    return s;
}

/* Whole pages through flash_range_program: the bytes of a page outside the data are 0xFF,
 * which leaves NOR flash as it is. Up to STAGING_SIZE at a time through SRAM. */
static bmp_status program(probe_session *p, const family_flash *f, uint32_t addr, const uint8_t *data, size_t length)
{
    (void)f;
    uint8_t buf[STAGING_SIZE];
    bmp_status s = BMP_OK;
    uint32_t end_addr = addr + (uint32_t)length;
    for (uint32_t page = addr & ~(PAGE - 1u); s == BMP_OK && page < end_addr;) {
        uint32_t n = end_addr - page;
        n = n > STAGING_SIZE ? STAGING_SIZE : (n + PAGE - 1u) & ~(PAGE - 1u);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t at = page + i;
            buf[i] = at >= addr && at < end_addr ? data[at - addr] : 0xFF;
        }
        s = adiv5_mem_write(&p->dp, p->core.apsel, STAGING, buf, n);
        if (s == BMP_OK) s = call_rom(p, CODE('R', 'P'), page - XIP_BASE, STAGING, n, 0);
        page += n;
    }
    return s;
}

static const family_flash flash = {
    .unit = 4, .begin = begin, .end = end, .erase_block = erase_block, .mass_erase = mass_erase, .program = program,
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
