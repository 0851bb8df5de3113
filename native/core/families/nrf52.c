/* Nordic nRF52840 (nRF52840 Product Specification): identified by its FICR (INFO.PART 0x52840,
 * CODEPAGESIZE x CODESIZE of flash at 0, INFO.RAM KiB of RAM at 0x20000000); flash through the
 * NVMC (word writes with CONFIG = WEN, page erase with CONFIG = EEN and ERASEPAGE, ERASEALL):
 * through the on-target loader where there is RAM for it (its busy test inverted for READY,
 * which is 1 when idle), else directly through the MEM-AP, where the bus stalls while a word
 * programs and every stall costs the link a round trip.
 *
 * The access-port protection: with UICR.APPROTECT enabled, the AHB-AP (AP #0) refuses every
 * access. The CTRL-AP (AP #1, IDR 0x02880000) still answers: APPROTECTSTATUS says whether the
 * protection is on, and ERASEALL erases the flash, the UICR and the RAM, after which a reset
 * (CTRL-AP RESET) brings the part up unprotected. `monitor erase_mass` is that recovery. */
#include "families/family.h"

#include "flash/flash.h"

#define FICR_CODEPAGESIZE 0x10000010u
#define FICR_CODESIZE 0x10000014u
#define FICR_INFO_PART 0x10000100u
#define FICR_INFO_RAM 0x1000010Cu
#define NVMC 0x4001E000u
#define NVMC_READY (NVMC + 0x400u)
#define NVMC_CONFIG (NVMC + 0x504u)
#define NVMC_ERASEPAGE (NVMC + 0x508u)
#define NVMC_ERASEALL (NVMC + 0x50Cu)
#define CONFIG_REN 0u
#define CONFIG_WEN 1u
#define CONFIG_EEN 2u

#define CTRL_AP_IDR 0x02880000u
#define CTRL_RESET 0x00u
#define CTRL_ERASEALL 0x04u
#define CTRL_ERASEALLSTATUS 0x08u
#define CTRL_APPROTECTSTATUS 0x0Cu

/* ERASEALL takes 173 ms at most; the page erase 85 ms: bounded polls of READY. */
#define READY_POLLS 2000000u

static const target_family *self(void);

static bool identify(probe_session *p, uint8_t apsel, part_info *info)
{
    uint32_t part = 0, page = 0, pages = 0, ram_kib = 0;
    if (adiv5_mem_read32(&p->dp, apsel, FICR_INFO_PART, &part) != BMP_OK || part != 0x52840u) return false;
    if (adiv5_mem_read32(&p->dp, apsel, FICR_CODEPAGESIZE, &page) != BMP_OK ||
        adiv5_mem_read32(&p->dp, apsel, FICR_CODESIZE, &pages) != BMP_OK ||
        adiv5_mem_read32(&p->dp, apsel, FICR_INFO_RAM, &ram_kib) != BMP_OK)
        return false;
    if (page != 4096u || pages == 0 || pages > 256u) return false; /* not what an nRF52840 says */
    if (ram_kib == 0 || ram_kib > 256u) ram_kib = 256;
    info->name = "nRF52840";
    info->family = self();
    info->idcode = part;
    part_add(info, PART_MEMORY_FLASH, 0x00000000u, page * pages, page);
    part_add(info, PART_MEMORY_ROM, 0x10000000u, 0x1000u, 0); /* FICR */
    part_add(info, PART_MEMORY_ROM, 0x10001000u, 0x1000u, 0); /* UICR: NVM the NVMC writes */
    part_add(info, PART_MEMORY_RAM, 0x20000000u, ram_kib * 1024u, 0);
    part_add_system_regions(info);
    return true;
}

static bool recognise_aps(const adiv5_ap_info *aps, unsigned count)
{
    for (unsigned i = 0; i < count; i++)
        if (aps[i].idr == CTRL_AP_IDR) return true;
    return false;
}

/* The CTRL-AP's number from the last scan (AP #1 on the nRF52840). */
static uint8_t ctrl_ap(const probe_session *p)
{
    (void)p;
    return 1;
}

static const char protected_reason[] =
    "nRF52840 APPROTECT is enabled: the AHB-AP refuses the debugger. `monitor erase_mass` recovers the part "
    "through the CTRL-AP by ERASING ALL OF IT (flash, UICR and RAM), then it attaches.";

static bmp_status attach_check(probe_session *p, uint8_t apsel, const char **reason)
{
    (void)apsel;
    uint32_t status = 1;
    bmp_status s = adiv5_ap_read(&p->dp, ctrl_ap(p), CTRL_APPROTECTSTATUS, &status);
    if (s != BMP_OK) return s;
    if (status & 1) return BMP_OK; /* 1: not enabled */
    *reason = protected_reason;
    return BMP_ERR_AP_PROTECTED;
}

/* --- NVMC ---------------------------------------------------------------------------------- */

static bmp_status wait_ready(probe_session *p)
{
    uint32_t ready = 0;
    for (uint32_t i = 0;; i++) {
        bmp_status s = cortexm_read32(&p->core, NVMC_READY, &ready);
        if (s != BMP_OK) return s;
        if (ready & 1) return BMP_OK;
        if (i == READY_POLLS) return BMP_ERR_FLASH_TIMEOUT;
    }
}

/* CONFIG, once the NVMC is idle (CONFIG must not change while it is busy). */
static bmp_status config(probe_session *p, uint32_t mode)
{
    bmp_status s = wait_ready(p);
    return s == BMP_OK ? cortexm_write32(&p->core, NVMC_CONFIG, mode) : s;
}

static bmp_status begin(probe_session *p, const family_flash *f, uint32_t addr)
{
    (void)f, (void)addr;
    return config(p, CONFIG_WEN);
}

static void end(probe_session *p, const family_flash *f, uint32_t addr)
{
    (void)f, (void)addr;
    config(p, CONFIG_REN);
}

static bmp_status erase_command(probe_session *p, uint32_t reg, uint32_t value)
{
    bmp_status s = config(p, CONFIG_EEN);
    if (s == BMP_OK) s = cortexm_write32(&p->core, reg, value);
    if (s == BMP_OK) s = wait_ready(p);
    bmp_status r = config(p, CONFIG_REN);
    return s != BMP_OK ? s : r;
}

static bmp_status erase_block(probe_session *p, const family_flash *f, uint32_t start, uint32_t index)
{
    (void)f, (void)index;
    return erase_command(p, NVMC_ERASEPAGE, start);
}

/* Through the NVMC (the part attached): ERASEALL erases the flash and the UICR. */
static bmp_status nvmc_erase_all(probe_session *p, const family_flash *f)
{
    (void)f;
    return erase_command(p, NVMC_ERASEALL, 1);
}

/* Words through the MEM-AP with CONFIG = WEN (begin): the bus waits while each programs. The
 * NVMC reports no errors: the result is checked by reading back (flash_write verifies). */
static bmp_status program(probe_session *p, const family_flash *f, uint32_t addr, const uint8_t *data, size_t length)
{
    (void)f;
    bmp_status s = adiv5_mem_write(&p->dp, p->core.apsel, addr, data, length);
    bmp_status w = wait_ready(p);
    return s != BMP_OK ? s : w;
}

/* The loader (flash_loader.h): READY as its status register, busy while bit 0 is clear; the NVMC
 * has no error flags (the loader's read-back and CRC catch a word that did not program). Its
 * erases set CONFIG = EEN and write ERASEPAGE; it sets CONFIG = WEN again after each. */
static bmp_status loader_begin(probe_session *p, const family_flash *f, uint32_t addr, flash_loader_params *params)
{
    (void)f, (void)addr;
    params->sr_addr = NVMC_READY;
    params->busy_mask = 1;
    params->busy_xor = 1;
    params->error_mask = 0;
    params->cr_addr = NVMC_CONFIG;
    params->pg_cr = CONFIG_WEN;
    return config(p, CONFIG_WEN);
}

static flash_loader_erase loader_erase(const family_flash *f, uint32_t bank, uint32_t start, uint32_t index)
{
    (void)f, (void)bank, (void)index;
    flash_loader_erase e = {.start = start};
    e.writes[0][0] = NVMC_CONFIG, e.writes[0][1] = CONFIG_EEN;
    e.writes[1][0] = NVMC_ERASEPAGE, e.writes[1][1] = start;
    return e;
}

static bmp_status loader_end(probe_session *p, const family_flash *f, uint32_t addr, bmp_status s, uint32_t sr)
{
    (void)f, (void)addr, (void)sr;
    if (s == BMP_ERR_LOADER_TIMEOUT) s = BMP_ERR_FLASH_TIMEOUT;
    else if (s == BMP_ERR_LOADER_FLASH || s == BMP_ERR_LOADER_FAULT) s = BMP_ERR_FLASH_SEQUENCE;
    bmp_status w = config(p, CONFIG_REN);
    return s != BMP_OK ? s : w;
}

static const family_flash flash = {
    .unit = 4, .begin = begin, .end = end, .erase_block = erase_block, .mass_erase = nvmc_erase_all, .program = program,
    .loader_begin = loader_begin, .loader_erase = loader_erase, .loader_end = loader_end,
};

/* --- monitor erase_mass: the CTRL-AP's ERASEALL, protected or not ---------------------------- */

static bool cmd_erase_mass(probe_session *p, int argc, const char **argv, family_print print, void *ctx)
{
    (void)argc, (void)argv;
    if (!p->connected) {
        print(ctx, "Not connected: `monitor swdp_scan` first.\n");
        return false;
    }
    print(ctx, "nRF52840: erasing ALL of the chip through the CTRL-AP: flash, UICR (its APPROTECT with it) and "
               "RAM; then a reset. The program and its settings are gone.\n");
    int was_attached = p->attached;
    if (p->attached >= 0) probe_detach(p);
    p->attached = -1;
    p->part_known = false;
    uint8_t ap = ctrl_ap(p);
    uint32_t status = 1;
    bmp_status s = adiv5_ap_write(&p->dp, ap, CTRL_ERASEALL, 1);
    for (uint32_t i = 0; s == BMP_OK && status; i++) {
        s = adiv5_ap_read(&p->dp, ap, CTRL_ERASEALLSTATUS, &status); /* 1 while busy */
        if (s == BMP_OK && status && i == READY_POLLS) s = BMP_ERR_FLASH_TIMEOUT;
    }
    /* A reset through the CTRL-AP: the part reads its (now erased) UICR again. */
    if (s == BMP_OK) s = adiv5_ap_write(&p->dp, ap, CTRL_RESET, 1);
    if (s == BMP_OK) s = adiv5_ap_write(&p->dp, ap, CTRL_RESET, 0);
    if (s == BMP_OK) s = adiv5_ap_write(&p->dp, ap, CTRL_ERASEALL, 0);
    if (s == BMP_OK) s = adiv5_ap_read(&p->dp, ap, CTRL_APPROTECTSTATUS, &status);
    if (s != BMP_OK) {
        const char *why = bmp_status_message(s);
        print(ctx, "Erase failed: ");
        print(ctx, why ? why : "unknown error");
        print(ctx, ".\n");
        return false;
    }
    if (!(status & 1)) {
        print(ctx, "Chip erased, but APPROTECT is still on.\n");
        return false;
    }
    probe_scan(p); /* the core answers now: list it as it is */
    if (was_attached >= 0 && probe_attach(p, (unsigned)was_attached) == BMP_OK && cortexm_halt(&p->core) == BMP_OK) {
        print(ctx, "Chip erased; APPROTECT is off; attached again, halted.\n");
        return true;
    }
    print(ctx, "Chip erased; APPROTECT is off. `attach 1` to debug it.\n");
    return true;
}

static const family_command commands[] = {
    {"erase_mass", "Erase the whole chip (flash, UICR, RAM) through the CTRL-AP: recovers an APPROTECT part", cmd_erase_mass},
};

const target_family nrf52_family = {
    .name = "nRF52840",
    .identify = identify,
    .recognise_aps = recognise_aps,
    .attach_check = attach_check,
    .flash = &flash,
    .commands = commands,
    .command_count = sizeof commands / sizeof commands[0],
};

static const target_family *self(void)
{
    return &nrf52_family;
}
