/* STM32G0 (RM0444, RM0454): the single-bank lines, G030/G031/G041 (DEV_ID 0x466), G050/G051/
 * G061 (0x456) and G070/G071/G081 (0x460), Cortex-M0+ parts with up to 128 KiB of flash in 2 KiB
 * pages, programmed by 64-bit double word (stm32g0l4.h). DBGMCU sits on the APB at 0x40015800.
 * Not yet: the dual-bank G0B0/G0B1/G0C1 (0x467). */
#include "families/stm32g0l4.h"

bmp_status g0l4_decode(uint32_t sr)
{
    if (sr & G0L4_SR_WRPERR) return BMP_ERR_FLASH_PROTECTED;
    if (sr & G0L4_SR_PROGERR) return BMP_ERR_FLASH_NOT_ERASED;
    if (sr & (G0L4_SR_PGAERR | G0L4_SR_SIZERR)) return BMP_ERR_FLASH_ALIGNMENT;
    if (sr & (G0L4_SR_PGSERR | G0L4_SR_OPERR | G0L4_SR_MISSERR | G0L4_SR_FASTERR)) return BMP_ERR_FLASH_SEQUENCE;
    return BMP_OK;
}

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info);

/* The lines: the flash when the size register is unreadable (the largest of the line), the SRAM. */
typedef struct line {
    uint16_t dev_id;
    const char *name;
    uint16_t flash_kib, sram_kib;
} line;

static const line lines[] = {
    {0x460, "STM32G07x/08x", 128, 36},
    {0x466, "STM32G03x/04x", 64, 8},
    {0x456, "STM32G05x/06x", 64, 18},
};

static const line *line_of(uint16_t dev_id)
{
    return STM32_LINE_OF(lines, dev_id);
}

static uint32_t flash_size_register(uint16_t dev_id)
{
    return line_of(dev_id) ? 0x1FFF75E0u : 0; /* RM0444, RM0454: device electronic signature */
}

/* Page erase (RM0444): PER with PNB, then STRT. */
static flash_loader_erase erase(uint32_t regs, uint32_t bank, uint32_t start, uint32_t index)
{
    (void)bank;
    flash_loader_erase e = {.start = start};
    e.writes[0][0] = regs + 0x14, e.writes[0][1] = G0L4_CR_PER | (index << 3);
    e.writes[1][0] = regs + 0x14, e.writes[1][1] = G0L4_CR_PER | (index << 3) | G0L4_CR_STRT;
    return e;
}

/* Mass erase (RM0444): MER1, then STRT; one bank on these parts, in about one page's time. */
static flash_loader_erase bank_erase(uint32_t regs, uint32_t bank)
{
    flash_loader_erase e = {.start = bank};
    e.writes[0][0] = regs + 0x14, e.writes[0][1] = G0L4_CR_MER1;
    e.writes[1][0] = regs + 0x14, e.writes[1][1] = G0L4_CR_MER1 | G0L4_CR_STRT;
    return e;
}

static const stm32_flash controller = G0L4_CONTROLLER(erase, bank_erase);

static bmp_status mass_erase(probe_session *p, const family_flash *f)
{
    return stm32_erase_bank(p, f, 0x08000000u);
}

static const family_flash flash = {
    .data = &controller, .unit = 8, .begin = stm32_begin, .end = stm32_end, .erase_block = stm32_erase_block,
    .mass_erase = mass_erase, .erase_bank = stm32_erase_bank, .loader_bank_erase = stm32_loader_bank_erase,
    .program = stm32_program, .loader_begin = stm32_loader_begin,
    .loader_erase = stm32_loader_erase, .loader_end = stm32_loader_end,
};

static bool identify(probe_session *p, uint8_t apsel, part_info *info);

const target_family stm32g0_family = {
    .name = "STM32G0",
    .identify = identify,
    .part_by_dev_id = part_by_dev_id,
    .flash_size_register = flash_size_register,
    .flash = &flash,
};

static bool identify(probe_session *p, uint8_t apsel, part_info *info)
{
    return stm32_identify(p, apsel, 0x40015800u, &stm32g0_family, info);
}

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info)
{
    const line *l = line_of(dev_id);
    if (!l) return false;
    info->name = l->name;
    info->family = &stm32g0_family;
    info->dev_id = dev_id;
    part_add(info, PART_MEMORY_FLASH, 0x08000000u, STM32_KIB(flash_kib ? flash_kib : l->flash_kib), STM32_KIB(2));
    part_add(info, PART_MEMORY_RAM, 0x20000000u, STM32_KIB(l->sram_kib), 0);
    /* RM0444: system memory 0x1FFF0000, OTP 0x1FFF7000, engineering bytes with the unique
     * ID (0x1FFF7590) and the flash size (0x1FFF75E0), option bytes 0x1FFF7800 */
    part_add(info, PART_MEMORY_ROM, 0x1FFF0000u, 0x7880u, 0);
    part_add_system_regions(info);
    return true;
}
