/* The nRF52840 family (native/core/families/nrf52.c) on the simulated part: identification from
 * the FICR, flash through the NVMC (page erase, word programming, the erase of everything), and
 * the access-port protection: with UICR.APPROTECT set, the scan still finds the part through its
 * CTRL-AP, attaching fails with BMP_ERR_AP_PROTECTED and a reason naming the recovery, and the
 * recovery (the family's erase_mass: CTRL-AP ERASEALL, then a reset) erases the chip, after
 * which the part attaches. */
#include <string.h>

#include "check.h"
#include "families/family.h"
#include "fixture_target.h"
#include "flash/flash.h"
#include "flash/flash_loader.h"
#include "cortexm/probe_session.h"

static probe_session probe;
static uint8_t data[0x3000], seen[0x3000];
static char printed[1024];

static void print(void *ctx, const char *text)
{
    (void)ctx;
    strncat(printed, text, sizeof printed - strlen(printed) - 1);
}

static bool open_nrf(bool over_dap)
{
    if (!open_fixture("nrf52840", over_dap)) return false;
    probe_session_init(&probe, over_dap ? &dap.link : &swd.link);
    return true;
}

static const uint8_t *flash_at(uint32_t addr, size_t length)
{
    CHECK(length <= sizeof seen && sim_target_peek(&t, addr, seen, length) == SIM_OK);
    return seen;
}

static void test_identify_and_flash(void)
{
    CHECK(open_nrf(true));
    CHECK_EQ(probe_scan(&probe), BMP_OK);
    CHECK_EQ(probe.target_count, 1);
    CHECK(strcmp(probe.targets[0].part_name, "nRF52840") == 0);
    CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
    CHECK(probe.part_known);
    CHECK(probe.part.memories[0].kind == PART_MEMORY_FLASH && probe.part.memories[0].start == 0 &&
          probe.part.memories[0].length == 1024 * 1024 && probe.part.memories[0].block_size == 4096);
    CHECK_EQ(cortexm_halt(&probe.core), BMP_OK);
    CHECK_EQ(flash_unit(&probe), 4);
    /* a range across two pages, not from a page's start: both pages erased, the rest programmed */
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + 1);
    sim_target_load(&t, 0x00010000u, data, 0x3000); /* old contents */
    uint32_t addr = 0x00010800u, length = 0x1000 + 6;
    for (unsigned i = 0; i < length; i++) data[i] = (uint8_t)(i * 13 + 5);
    flash_ram ram;
    CHECK(flash_default_ram(&probe, &ram));
    CHECK_EQ(flash_write(&probe, addr, data, length, &ram, true, NULL, NULL), BMP_OK);
    const uint8_t *f = flash_at(0x00010000u, 0x3000);
    bool erased = true;
    for (unsigned i = 0; i < 0x800; i++) erased &= f[i] == 0xFF;
    CHECK(erased); /* the first page's part before the range */
    CHECK(memcmp(f + 0x800, data, length) == 0);
    CHECK(f[0x800 + length] == 0xFF && f[0x800 + length + 1] == 0xFF); /* the padding of the last word */
    CHECK(f[0x2000] == (uint8_t)(0x2000 * 7 + 1)); /* the third page: untouched */
    CHECK_EQ(flash_verify(&probe, addr, data, length), BMP_OK);
    /* that went through the on-target loader (its routine is in RAM), which waits on READY */
    uint8_t code[1024];
    CHECK(flash_loader_blob_size <= sizeof code && sim_target_peek(&t, ram.base, code, flash_loader_blob_size) == SIM_OK);
    CHECK(memcmp(code, flash_loader_blob, flash_loader_blob_size) == 0);
    uint32_t config = 0xFF;
    CHECK(cortexm_read32(&probe.core, 0x4001E504u, &config) == BMP_OK && config == 0); /* NVMC back to read-only */
    /* without RAM: erased and programmed directly, the third page this time */
    for (unsigned i = 0; i < 0x400; i++) data[i] = (uint8_t)(i * 3 + 2);
    CHECK_EQ(flash_write(&probe, 0x00012000u, data, 0x400, NULL, true, NULL, NULL), BMP_OK);
    CHECK(memcmp(flash_at(0x00012000u, 0x400), data, 0x400) == 0);
    CHECK_EQ(flash_program(&probe, addr + 2, data, 4, NULL, NULL, NULL), BMP_ERR_FLASH_ALIGNMENT);
    /* the mass erase through the NVMC: everything, the fixture included */
    CHECK_EQ(flash_mass_erase(&probe), BMP_OK);
    f = flash_at(0, 0x3000);
    erased = true;
    for (unsigned i = 0; i < 0x3000; i++) erased &= f[i] == 0xFF;
    CHECK(erased);
    close_fixture();
}

static void test_approtect_and_recovery(void)
{
    CHECK(open_nrf(false));
    static const uint8_t enabled[4] = {0x00, 0xFF, 0xFF, 0xFF}; /* UICR.APPROTECT PALL = 0x00 */
    CHECK_EQ(sim_target_load(&t, 0x10001208u, enabled, 4), SIM_OK);
    sim_target_reset(&t, SIM_RESET_SYSTEM); /* read at reset */
    uint8_t before[16];
    CHECK_EQ(sim_target_peek(&t, 0, before, sizeof before), SIM_OK);
    CHECK(before[0] != 0xFF || before[4] != 0xFF); /* the fixture is in flash */
    CHECK_EQ(probe_scan(&probe), BMP_OK);
    CHECK(probe.scan_family != NULL && strcmp(probe.scan_family->name, "nRF52840") == 0);
    CHECK_EQ(probe.target_count, 1); /* listed through the CTRL-AP, protected */
    CHECK_EQ(probe_attach(&probe, 0), BMP_ERR_AP_PROTECTED);
    CHECK(probe.attach_reason != NULL && strstr(probe.attach_reason, "monitor erase_mass") != NULL);
    CHECK(probe.attached < 0);
    /* the recovery, as `monitor erase_mass` runs it */
    const target_family *f = probe_family(&probe);
    CHECK(f != NULL && f->command_count >= 1 && strcmp(f->commands[0].name, "erase_mass") == 0);
    const char *argv[1] = {"erase_mass"};
    printed[0] = 0;
    CHECK(f->commands[0].run(&probe, 1, argv, print, NULL));
    CHECK(strstr(printed, "ERASING") != NULL || strstr(printed, "erasing ALL") != NULL);
    CHECK(strstr(printed, "APPROTECT is off") != NULL);
    uint8_t after[16];
    CHECK_EQ(sim_target_peek(&t, 0, after, sizeof after), SIM_OK);
    for (unsigned i = 0; i < sizeof after; i++) CHECK_EQ(after[i], 0xFF);
    CHECK_EQ(sim_target_peek(&t, 0x10001208u, after, 4), SIM_OK);
    CHECK_EQ(after[0], 0xFF);
    CHECK_EQ(probe_attach(&probe, 0), BMP_OK);
    CHECK(probe.part_known);
    close_fixture();
}

int main(void)
{
    RUN(test_identify_and_flash);
    RUN(test_approtect_and_recovery);
    return CHECK_SUMMARY();
}
