/* STM32L4 (RM0351): the L476/L486 (DEV_ID 0x415), a Cortex-M4F with up to 1 MiB of flash in two
 * banks of 2 KiB pages (bank 2 from the middle of the flash, page numbers from 0 again, chosen by
 * CR.BKER), programmed by 64-bit double word (stm32g0l4.h). */
#include "families/stm32g0l4.h"

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info);

static uint32_t flash_size_register(uint16_t dev_id)
{
    return dev_id == 0x415 ? 0x1FFF75E0u : 0; /* RM0351, device electronic signature */
}

/* Bank 1 starts with the flash; bank 2 halfway through it, whatever the part's size (RM0351:
 * 0x08080000 on the 1 MiB parts, 0x08040000 on 512 KiB, 0x08020000 on 256 KiB). */
#define BANK1 0x08000000u

/* Page erase (RM0351): PER, PNB (the page within its bank), BKER for bank 2, then STRT. */
static flash_loader_erase erase(uint32_t regs, uint32_t bank, uint32_t start, uint32_t index)
{
    flash_loader_erase e = {.start = start};
    uint32_t cr = G0L4_CR_PER | (index << 3) | (bank != BANK1 ? G0L4_CR_BKER : 0);
    e.writes[0][0] = regs + 0x14, e.writes[0][1] = cr;
    e.writes[1][0] = regs + 0x14, e.writes[1][1] = cr | G0L4_CR_STRT;
    return e;
}

/* Bank erase (RM0351): MER1 (bank 1) or MER2 (bank 2), then STRT, in about one page's time. */
static flash_loader_erase bank_erase(uint32_t regs, uint32_t bank)
{
    flash_loader_erase e = {.start = bank};
    uint32_t mer = bank != BANK1 ? G0L4_CR_MER2 : G0L4_CR_MER1;
    e.writes[0][0] = regs + 0x14, e.writes[0][1] = mer;
    e.writes[1][0] = regs + 0x14, e.writes[1][1] = mer | G0L4_CR_STRT;
    return e;
}

static const stm32_flash controller = G0L4_CONTROLLER(erase, bank_erase);

static void bank(const probe_session *p, const family_flash *f, uint32_t addr, uint32_t *start, uint32_t *end)
{
    (void)f;
    uint32_t size = STM32_KIB(1024);
    for (unsigned i = 0; i < p->part.memory_count; i++)
        if (p->part.memories[i].kind == PART_MEMORY_FLASH && p->part.memories[i].start == BANK1)
            size = p->part.memories[i].length;
    uint32_t bank2 = BANK1 + size / 2;
    *start = addr >= bank2 ? bank2 : BANK1;
    *end = addr >= bank2 ? BANK1 + size : bank2;
}

/* MER1 and MER2 together: both banks in one operation. */
static bmp_status mass_erase(probe_session *p, const family_flash *f)
{
    return stm32_mass_erase_regs(p, stm32_flash_of(f), stm32_flash_of(f)->base, G0L4_CR_MER1 | G0L4_CR_MER2,
                                 G0L4_CR_STRT);
}

static const family_flash flash = {
    .data = &controller, .unit = 8, .bank = bank, .begin = stm32_begin, .end = stm32_end,
    .erase_block = stm32_erase_block, .mass_erase = mass_erase, .erase_bank = stm32_erase_bank,
    .loader_bank_erase = stm32_loader_bank_erase, .program = stm32_program,
    .loader_begin = stm32_loader_begin, .loader_erase = stm32_loader_erase, .loader_end = stm32_loader_end,
};

static bool identify(probe_session *p, uint8_t apsel, part_info *info);

const target_family stm32l4_family = {
    .name = "STM32L4",
    .identify = identify,
    .part_by_dev_id = part_by_dev_id,
    .flash_size_register = flash_size_register,
    .flash = &flash,
};

static bool identify(probe_session *p, uint8_t apsel, part_info *info)
{
    return stm32_identify(p, apsel, 0xE0042000u, &stm32l4_family, info);
}

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info)
{
    if (dev_id != 0x415) return false;
    info->name = "STM32L47x/48x";
    info->family = &stm32l4_family;
    info->dev_id = dev_id;
    part_add(info, PART_MEMORY_FLASH, 0x08000000u, STM32_KIB(flash_kib ? flash_kib : 1024), STM32_KIB(2));
    part_add(info, PART_MEMORY_RAM, 0x10000000u, STM32_KIB(32), 0); /* SRAM2 */
    part_add(info, PART_MEMORY_RAM, 0x20000000u, STM32_KIB(96), 0); /* SRAM1 */
    /* RM0351: system memory 0x1FFF0000, OTP 0x1FFF7000, the unique ID (0x1FFF7590) and
     * flash size (0x1FFF75E0), option bytes 0x1FFF7800 */
    part_add(info, PART_MEMORY_ROM, 0x1FFF0000u, 0x7810u, 0);
    part_add_system_regions(info);
    return true;
}
