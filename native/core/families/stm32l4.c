/* STM32L4 (RM0351, RM0394) and STM32G4 (RM0440): Cortex-M4F parts with the G0's controller
 * (stm32g0l4.h): 2 KiB pages, 64-bit double-word programming. The dual-bank lines (L47x/L48x,
 * L49x/L4Ax, and the G47x/G48x in their default dual-bank mode) have bank 2 from the middle of
 * the flash, its page numbers from 0 again, chosen by CR.BKER, erased whole by MER2. The map
 * shows a dual-bank part's flash as two regions, one a bank, and bank() and mass_erase() go by
 * that, so a part that identification finds set to one bank is one region. */
#include "families/stm32g0l4.h"

extern const target_family stm32l4_family, stm32g4_family;

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info);

/* The lines: the flash when the size register is unreadable (the largest of the line), SRAM1
 * at 0x20000000 and SRAM2 at 0x10000000 (on all but the L47x/L48x SRAM2 also follows SRAM1 at
 * 0x20000000, and the map shows SRAM1 and SRAM2 there as one; the G4's CCM SRAM likewise). */
typedef struct line {
    uint16_t dev_id;
    bool g4;
    const char *name;
    uint16_t flash_kib, sram_kib; /* sram: at 0x20000000, contiguous */
    uint8_t sram2_kib;            /* at 0x10000000 */
    bool dual;
} line;

static const line lines[] = {
    {0x415, false, "STM32L47x/48x", 1024, 96, 32, true},
    {0x461, false, "STM32L49x/4Ax", 1024, 320, 64, true},
    {0x435, false, "STM32L43x/44x", 256, 64, 16, false},
    {0x462, false, "STM32L45x/46x", 512, 160, 32, false},
    {0x464, false, "STM32L41x/42x", 128, 40, 8, false},
    {0x468, true, "STM32G431/441", 128, 32, 10, false},
    {0x469, true, "STM32G47x/48x", 512, 128, 32, true},
    {0x479, true, "STM32G491/4A1", 512, 112, 16, false},
};

static const line *line_of(uint16_t dev_id)
{
    return STM32_LINE_OF(lines, dev_id);
}

static uint32_t flash_size_register(uint16_t dev_id)
{
    return line_of(dev_id) ? 0x1FFF75E0u : 0; /* RM0351, RM0394, RM0440: device electronic signature */
}

/* Bank 1 starts with the flash; bank 2, on two banks, halfway through it, whatever the part's
 * size (RM0351: 0x08080000 on the 1 MiB parts, 0x08040000 on 512 KiB, 0x08020000 on 256 KiB). */
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

/* Bank 1 is the flash region at 0x08000000; bank 2, on a dual-bank part, the other one. */
static void bank(const probe_session *p, const family_flash *f, uint32_t addr, uint32_t *start, uint32_t *end)
{
    (void)f;
    uint32_t bank1_end = BANK1, bank2 = 0, bank2_end = 0;
    for (unsigned i = 0; i < p->part.memory_count; i++) {
        const part_memory *m = &p->part.memories[i];
        if (m->kind != PART_MEMORY_FLASH) continue;
        if (m->start == BANK1) bank1_end = BANK1 + m->length;
        else bank2 = m->start, bank2_end = m->start + m->length;
    }
    bool two = bank2 && addr >= bank2;
    *start = two ? bank2 : BANK1;
    *end = two ? bank2_end : bank1_end;
}

/* MER1 (and MER2 on two banks): the whole flash in one operation. */
static bmp_status mass_erase(probe_session *p, const family_flash *f)
{
    uint32_t start = 0, end = 0;
    bank(p, f, 0xFFFFFFFFu, &start, &end);
    uint32_t mer = G0L4_CR_MER1 | (start != BANK1 ? G0L4_CR_MER2 : 0);
    return stm32_mass_erase_regs(p, stm32_flash_of(f), stm32_flash_of(f)->base, mer, G0L4_CR_STRT);
}

static const family_flash flash = {
    .data = &controller, .unit = 8, .bank = bank, .begin = stm32_begin, .end = stm32_end,
    .erase_block = stm32_erase_block, .mass_erase = mass_erase, .erase_bank = stm32_erase_bank,
    .loader_bank_erase = stm32_loader_bank_erase, .program = stm32_program,
    .loader_begin = stm32_loader_begin, .loader_erase = stm32_loader_erase, .loader_end = stm32_loader_end,
};

static bool l4_identify(probe_session *p, uint8_t apsel, part_info *info);
static bool g4_identify(probe_session *p, uint8_t apsel, part_info *info);

const target_family stm32l4_family = {
    .name = "STM32L4",
    .identify = l4_identify,
    .part_by_dev_id = part_by_dev_id,
    .flash_size_register = flash_size_register,
    .flash = &flash,
};

const target_family stm32g4_family = {
    .name = "STM32G4",
    .identify = g4_identify,
    .part_by_dev_id = part_by_dev_id,
    .flash_size_register = flash_size_register,
    .flash = &flash,
};

#define OPTR 0x40022020u
#define OPTR_DUALBANK (1u << 21) /* L47x/L48x, L49x/L4Ax under 1 MiB: two banks (else one) */
#define OPTR_DBANK (1u << 22)    /* G47x/G48x: two banks of 2 KiB pages (else one of 4 KiB pages) */

static void add_part(part_info *info, const line *l, uint32_t total, bool two_banks);

static bool identify(probe_session *p, uint8_t apsel, part_info *info, const target_family *family)
{
    uint32_t optr = 0;
    if (!stm32_identify(p, apsel, 0xE0042000u, family, info) || info->family != family) return false;
    const line *l = line_of(info->dev_id);
    if (!l->dual) return true;
    uint32_t total = info->memories[0].length + info->memories[1].length; /* the two banks */
    bool read = adiv5_mem_read32(&p->dp, apsel, OPTR, &optr) == BMP_OK;
    /* A G47x/G48x set to one bank has 4 KiB pages, and one with less than 512 KiB has a gap
     * before bank 2 (at 0x08040000 whatever the size): neither is programmed here; rather than
     * erase the wrong pages, the part is left unknown. */
    if (info->dev_id == 0x469) return read && (optr & OPTR_DBANK) && total == STM32_KIB(512);
    /* An L47x-L4Ax under 1 MiB is one bank unless OPTR.DUALBANK says two. */
    if (total < STM32_KIB(1024)) {
        if (!read) return false;
        if (!(optr & OPTR_DUALBANK)) {
            info->memory_count = 0; /* the map again, as one bank */
            add_part(info, l, total, false);
        }
    }
    return true;
}

static bool l4_identify(probe_session *p, uint8_t apsel, part_info *info)
{
    return identify(p, apsel, info, &stm32l4_family);
}

static bool g4_identify(probe_session *p, uint8_t apsel, part_info *info)
{
    return identify(p, apsel, info, &stm32g4_family);
}

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info)
{
    const line *l = line_of(dev_id);
    if (!l) return false;
    add_part(info, l, STM32_KIB(flash_kib ? flash_kib : l->flash_kib), l->dual);
    return true;
}

static void add_part(part_info *info, const line *l, uint32_t total, bool two_banks)
{
    info->name = l->name;
    info->family = l->g4 ? &stm32g4_family : &stm32l4_family;
    info->dev_id = l->dev_id;
    part_add(info, PART_MEMORY_FLASH, BANK1, two_banks ? total / 2 : total, STM32_KIB(2));
    if (two_banks) part_add(info, PART_MEMORY_FLASH, BANK1 + total / 2, total / 2, STM32_KIB(2));
    part_add(info, PART_MEMORY_RAM, 0x10000000u, STM32_KIB(l->sram2_kib), 0); /* SRAM2 (G4: CCM SRAM) */
    part_add(info, PART_MEMORY_RAM, 0x20000000u, STM32_KIB(l->sram_kib), 0);
    /* RM0351, RM0440: system memory 0x1FFF0000, OTP 0x1FFF7000, the unique ID (0x1FFF7590) and
     * flash size (0x1FFF75E0), option bytes 0x1FFF7800 */
    part_add(info, PART_MEMORY_ROM, 0x1FFF0000u, 0x7810u, 0);
    part_add_system_regions(info);
}
