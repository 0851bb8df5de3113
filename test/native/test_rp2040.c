/* The RP2040 (native/sim/sim_rp2040.c, native/core/families/rp2040.c): two cores on one SWD
 * multidrop wire, each reached through its TARGETSEL; the boot ROM's table looked up and its
 * flash functions called by code running on the target; flash written through the family
 * driver (which calls those functions); the rescue DP's reset. */
#include <string.h>

#include "check.h"
#include "families/family.h"
#include "fixture_target.h"
#include "flash/flash.h"
#include "cortexm/probe_session.h"

static probe_session probe;
static uint8_t data[0x3000], seen[0x3000];

static void open_rp2040(bool over_dap)
{
    static const dap_strings strings = {.product = "test CMSIS-DAP"};
    CHECK_EQ(sim_target_init(&t, "rp2040"), SIM_OK);
    sim_target_advance(&t, 1000000000ull);
    sim_swd_phy_init(&phy, &t);
    if (over_dap) {
        dap_init(&engine, &phy, &strings, 512, 4);
        CHECK_EQ(cmsis_dap_link_init(&dap, &fixture_transport), BMP_OK);
        probe_session_init(&probe, &dap.link);
    } else {
        swd_link_init(&swd, &phy);
        probe_session_init(&probe, &swd.link);
    }
}

static uint32_t reg(unsigned n)
{
    uint32_t v = 0;
    CHECK_EQ(cortexm_read_register(&probe.core, n, &v), BMP_OK);
    return v;
}

/* Runs code on the attached core from `pc` with r0-r3 until it returns to a BKPT at 0x20000000
 * (LR); returns r0. */
static uint32_t call_on_target(uint32_t pc, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3)
{
    static const uint8_t bkpt[2] = {0x00, 0xBE};
    CHECK_EQ(adiv5_mem_write(&probe.dp, probe.core.apsel, 0x20000000u, bkpt, 2), BMP_OK);
    const unsigned regs[8] = {0, 1, 2, 3, 13, 14, 15, 16};
    const uint32_t values[8] = {a0, a1, a2, a3, 0x20002000u, 0x20000001u, pc & ~1u, 0x01000000u};
    CHECK_EQ(cortexm_write_registers(&probe.core, regs, 8, values), BMP_OK);
    CHECK_EQ(cortexm_resume(&probe.core), BMP_OK);
    uint32_t dhcsr = 0;
    for (unsigned i = 0; i < 1000000 && !(dhcsr & (1u << 17)); i++)
        CHECK_EQ(cortexm_read32(&probe.core, 0xE000EDF0u, &dhcsr), BMP_OK);
    CHECK(dhcsr & (1u << 17));
    CHECK_EQ(reg(15), 0x20000000u);
    return reg(0);
}

static void test_both_cores(bool over_dap)
{
    open_rp2040(over_dap);
    CHECK_EQ(probe_scan(&probe), BMP_OK);
    CHECK_EQ(probe.target_count, 2);
    CHECK_EQ(probe.targets[0].targetsel, 0x01002927u);
    CHECK_EQ(probe.targets[1].targetsel, 0x11002927u);
    for (unsigned core = 0; core < 2; core++) {
        CHECK(strcmp(probe.targets[core].part_name, "RP2040") == 0);
        CHECK(probe.targets[core].core == CORTEXM_M0P);
    }
    /* Each attach reaches its own core: SIO CPUID reads the core's number, and a step moves
     * that core only. */
    uint32_t pc_of[2] = {0, 0};
    for (unsigned core = 0; core < 2; core++) {
        CHECK_EQ(probe_attach(&probe, core), BMP_OK);
        CHECK(probe.part_known && strcmp(probe.part.name, "RP2040") == 0);
        CHECK_EQ(probe.part.idcode, 0x10002927u);
        CHECK_EQ(cortexm_halt(&probe.core), BMP_OK);
        uint32_t cpuid = 99;
        CHECK_EQ(cortexm_read32(&probe.core, 0xD0000000u, &cpuid), BMP_OK);
        CHECK_EQ(cpuid, core);
        /* Core 1 (and core 0, with no program in flash) sleeps in the boot ROM's loop. */
        pc_of[core] = reg(15);
        CHECK(pc_of[core] < 0x4000u);
        /* The step runs the next instruction of this core: its PC moves within the ROM loop. */
        CHECK_EQ(cortexm_step(&probe.core, true), BMP_OK);
        CHECK(reg(15) != pc_of[core] && reg(15) < 0x4000u);
    }
    /* Core 1's DP answers with TINSTANCE 1; the two cores' registers are their own. */
    CHECK_EQ(sim_target_core(&t, 1)->instance, 1);
    CHECK(sim_target_core(&t, 1)->cpu.r[15] < 0x4000u);
    close_fixture();
}

static void test_both_cores_swd(void) { test_both_cores(false); }
static void test_both_cores_dap(void) { test_both_cores(true); }

/* Target code: rom_table_lookup (its address from the ROM's 0x18) finds the flash functions in
 * the table at 0x14, and the functions erase and program with the datasheet's rules. */
static void test_rom_functions_from_target(void)
{
    open_rp2040(false);
    CHECK_EQ(probe_scan(&probe), BMP_OK);
    CHECK_EQ(probe_attach(&probe, 1), BMP_OK); /* core 1: the flash is the chip's, not a core's */
    CHECK_EQ(cortexm_halt(&probe.core), BMP_OK);
    uint8_t hdr[10];
    CHECK_EQ(adiv5_mem_read(&probe.dp, probe.core.apsel, 0x10, hdr, sizeof hdr), BMP_OK);
    CHECK(hdr[0] == 'M' && hdr[1] == 'u' && hdr[2] == 0x01);
    uint32_t func_table = hdr[4] | hdr[5] << 8, lookup = hdr[8] | hdr[9] << 8;
    CHECK(lookup & 1); /* a Thumb function pointer */
    static const char *const codes[] = {"IF", "EX", "RE", "RP", "FC", "CX"};
    uint32_t fn[6];
    for (unsigned i = 0; i < 6; i++) {
        fn[i] = call_on_target(lookup, func_table, (uint32_t)(codes[i][0] | codes[i][1] << 8), 0, 0);
        CHECK(fn[i] & 1);
        CHECK(fn[i] > 0x20 && fn[i] < 0x4000u);
    }
    CHECK_EQ(call_on_target(lookup, func_table, 'Z' | 'Z' << 8, 0, 0), 0u); /* unknown: NULL */
    sim_target *t0 = &t;
    /* Old contents in two sectors, then the sequence the datasheet gives. */
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + 1);
    CHECK_EQ(sim_target_load(t0, 0x10010000u, data, 0x2000), SIM_OK);
    call_on_target(fn[0], 0, 0, 0, 0);
    call_on_target(fn[1], 0, 0, 0, 0);
    uint64_t before = t0->now_ps;
    call_on_target(fn[2], 0x10000, 4096, 65536, 0xD8); /* one sector: the block erase does not fit */
    CHECK(t0->now_ps - before >= 45000000000ull);      /* the sector erase's time, 45 ms */
    CHECK_EQ(sim_target_peek(t0, 0x10010000u, seen, 0x2000), SIM_OK);
    bool erased = true;
    for (unsigned i = 0; i < 0x1000; i++) erased &= seen[i] == 0xFF;
    CHECK(erased);
    CHECK(memcmp(seen + 0x1000, data + 0x1000, 0x1000) == 0); /* the next sector: untouched */
    /* Misaligned erase and program: nothing happens. */
    call_on_target(fn[2], 0x11000, 100, 0, 0);
    CHECK_EQ(sim_target_peek(t0, 0x10011000u, seen, 16), SIM_OK);
    CHECK(memcmp(seen, data + 0x1000, 16) == 0);
    for (unsigned i = 0; i < 512; i++) data[i] = (uint8_t)(i * 13 + 5);
    CHECK_EQ(adiv5_mem_write(&probe.dp, probe.core.apsel, 0x20004000u, data, 512), BMP_OK);
    call_on_target(fn[3], 0x10080, 0x20004000u, 256, 0); /* not on a page boundary */
    CHECK_EQ(sim_target_peek(t0, 0x10010000u, seen, 512), SIM_OK);
    CHECK(seen[0x80] == 0xFF);
    before = t0->now_ps;
    call_on_target(fn[3], 0x10000, 0x20004000u, 512, 0);
    CHECK(t0->now_ps - before >= 800000000ull); /* two pages, 0.4 ms each */
    call_on_target(fn[4], 0, 0, 0, 0);
    call_on_target(fn[5], 0, 0, 0, 0);
    /* XIP reads, by the core and by the debugger, see the new contents. */
    CHECK_EQ(adiv5_mem_read(&probe.dp, probe.core.apsel, 0x10010000u, seen, 512), BMP_OK);
    CHECK(memcmp(seen, data, 512) == 0);
    close_fixture();
}

/* The family driver: flash_write through the ROM functions, verify, mass erase. */
static void test_family_flash(void)
{
    open_rp2040(true);
    CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
    CHECK_EQ(cortexm_halt(&probe.core), BMP_OK);
    const part_memory *m = &probe.part.memories[1];
    CHECK(m->kind == PART_MEMORY_FLASH && m->start == 0x10000000u && m->length == 0x200000u && m->block_size == 4096);
    uint32_t r4 = 0x1234567u;
    CHECK_EQ(cortexm_write_register(&probe.core, 4, r4), BMP_OK);
    uint32_t addr = 0x10001100u, length = 0x1000 + 6;
    for (unsigned i = 0; i < length; i++) data[i] = (uint8_t)(i * 11 + 3);
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    CHECK_EQ(flash_write(&probe, addr, data, length, &ram, true, NULL, NULL), BMP_OK);
    CHECK_EQ(sim_target_peek(&t, 0x10001000u, seen, 0x2000), SIM_OK);
    CHECK(seen[0xFF] == 0xFF && memcmp(seen + 0x100, data, length) == 0 && seen[0x100 + length] == 0xFF);
    CHECK_EQ(flash_verify(&probe, addr, data, length), BMP_OK);
    CHECK_EQ(reg(4), r4); /* the core's registers are put back after the calls */
    CHECK_EQ(flash_mass_erase(&probe), BMP_OK);
    CHECK_EQ(sim_target_peek(&t, 0x10001000u, seen, 0x2000), SIM_OK);
    bool erased = true;
    for (unsigned i = 0; i < 0x2000; i++) erased &= seen[i] == 0xFF;
    CHECK(erased);
    close_fixture();
}

/* The fixture program, written by the family driver through the ROM functions, runs from the
 * boot ROM's jump to 0x10000100 after a reset. */
static void test_fixture_runs_from_flash(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/test/fixtures/firmware/build/rp2040.elf", BMP_SOURCE_DIR);
    CHECK(elf_load_file(path, &image));
    open_rp2040(false);
    CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
    CHECK_EQ(cortexm_halt(&probe.core), BMP_OK);
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    /* One image of every loaded segment (each flash_write erases the blocks it touches). */
    uint32_t lo = 0xFFFFFFFFu, hi = 0;
    for (unsigned i = 0; i < image.count; i++) {
        if (!image.segments[i].filesz) continue;
        if (image.segments[i].paddr < lo) lo = image.segments[i].paddr;
        if (image.segments[i].paddr + image.segments[i].filesz > hi) hi = image.segments[i].paddr + image.segments[i].filesz;
    }
    CHECK(lo == 0x10000100u && hi > lo && hi - lo <= sizeof data);
    memset(data, 0xFF, sizeof data);
    for (unsigned i = 0; i < image.count; i++)
        memcpy(data + (image.segments[i].paddr - lo), image.segments[i].data, image.segments[i].filesz);
    CHECK_EQ(flash_write(&probe, lo, data, hi - lo, &ram, true, NULL, NULL), BMP_OK);
    uint32_t counter_at = elf_symbol(&image, "counter");
    CHECK(counter_at >= 0x20000000u);
    CHECK_EQ(cortexm_reset(&probe.core, false), BMP_OK);
    sim_target_advance(&t, 5000000000ull); /* 5 ms */
    /* Its first act is a semihosting call: with a debugger attached, its BKPT 0xAB halts the
     * core there, in flash. Past it (as a debugger's semihosting does), the main loop runs. */
    uint32_t dhcsr = 0;
    CHECK_EQ(cortexm_read32(&probe.core, 0xE000EDF0u, &dhcsr), BMP_OK);
    CHECK(dhcsr & (1u << 17));
    uint32_t pc = reg(15);
    uint8_t insn[2] = {0, 0};
    CHECK_EQ(adiv5_mem_read(&probe.dp, probe.core.apsel, pc, insn, 2), BMP_OK);
    CHECK(pc >= 0x10000100u && pc < 0x10200000u && insn[0] == 0xAB && insn[1] == 0xBE);
    CHECK_EQ(cortexm_write_register(&probe.core, 15, pc + 2), BMP_OK);
    CHECK_EQ(cortexm_resume(&probe.core), BMP_OK);
    sim_target_advance(&t, 5000000000ull);
    uint32_t first = 0, later = 0;
    CHECK_EQ(cortexm_read32(&probe.core, counter_at, &first), BMP_OK);
    sim_target_advance(&t, 5000000000ull);
    CHECK_EQ(cortexm_read32(&probe.core, counter_at, &later), BMP_OK);
    CHECK(later > first);
    CHECK_EQ(cortexm_halt(&probe.core), BMP_OK);
    CHECK(reg(15) >= 0x10000100u && reg(15) < 0x10200000u); /* running from XIP flash */
    close_fixture();
}

/* The rescue DP: selecting it and requesting debug power resets the chip, and the boot ROM
 * stays in its loop instead of running the flash's program. */
static void test_rescue(void)
{
    open_rp2040(false);
    static const uint8_t vectors[8] = {0x00, 0x10, 0x04, 0x20, 0x01, 0x02, 0x00, 0x10}; /* SP, reset 0x10000201 */
    CHECK_EQ(sim_target_load(&t, 0x10000100u, vectors, 8), SIM_OK);
    uint32_t resets = t.reset_count;
    swd.link.targetsel = 0xF1002927u;
    adiv5_dp rescue = {0};
    CHECK_EQ(adiv5_connect(&rescue, &swd.link, true), BMP_OK); /* DPIDR, power-up request */
    CHECK_EQ(rescue.dpidr, 0x0BC12477u);
    CHECK(t.reset_count > resets);
    CHECK(sim_target_core(&t, 1)->reset_count > 0);
    sim_target_advance(&t, 1000000000ull);
    CHECK_EQ(t.chip_reset & (1u << 24), 0u); /* the ROM saw the flag and cleared it */
    CHECK(t.cpu.r[15] < 0x4000u);            /* and stayed in the ROM */
    close_fixture();
}

int main(void)
{
    (void)open_fixture; /* the RP2040's tests build their own target */
    RUN(test_both_cores_swd);
    RUN(test_both_cores_dap);
    RUN(test_rom_functions_from_target);
    RUN(test_family_flash);
    RUN(test_fixture_runs_from_flash);
    RUN(test_rescue);
    return CHECK_SUMMARY();
}
