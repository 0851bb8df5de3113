/* STM32F2 and the STM32F4 lines (F401, F405/407/415/417, F410, F411, F412, F413, F42x/F43x,
 * F446, F469/F479: `lines` below) and STM32F72x/73x (RM0431, DEV_ID 0x452): the same flash
 * controller at the same address with the same CR and SR bits (the F7's SR bit 7 is ERSERR, a
 * sequence error like the F4's PGSERR), sectors of 16, 64 and 128 KiB, word
 * programming (PSIZE x32: assumes a 2.7-3.6 V supply, as boards almost always have; x64 would
 * need VPP), and read-out protection through OPTCR. */
#include "families/stm32.h"

#include "flash/flash.h"

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info);

/* The lines with the F4's flash controller and sector layout (RM0033 for the F2, RM0090, RM0368,
 * RM0383, RM0386, RM0390, RM0401, RM0402, RM0430). The dual-bank F42x/F43x and F469/F479 (RM0090
 * 3.5, RM0386 3.5): bank 2 repeats bank 1's sectors from half the flash, as sectors 12-23, which
 * CR.SNB (five bits) numbers 16-27; MER1 (CR bit 15) erases bank 2 as MER bank 1. Per line: the
 * flash when the size register is unreadable (the largest of the line), the SRAM from 0x20000000 (all of its blocks, contiguous),
 * the core-coupled RAM at 0x10000000. The flash-size register is at 0x1FFF7A22 on all of them;
 * system memory from 0x1FFF0000, OTP, the unique ID at 0x1FFF7A10; option bytes at 0x1FFFC000. */
typedef struct line {
    uint16_t dev_id;
    const char *name;
    uint16_t flash_kib, sram_kib;
    uint8_t ccm_kib;
    bool dual; /* the 2 MiB parts have two banks; the 1 MiB ones too if OPTCR.DB1M is set */
} line;

static const line lines[] = {
    {0x411, "STM32F2xx", 1024, 128, 0, false},
    {0x413, "STM32F40x/41x", 1024, 128, 64, false},
    {0x423, "STM32F401xB/C", 256, 64, 0, false},
    {0x433, "STM32F401xD/E", 512, 96, 0, false},
    {0x431, "STM32F411xC/E", 512, 128, 0, false},
    {0x421, "STM32F446", 512, 128, 0, false},
    {0x458, "STM32F410", 128, 32, 0, false},
    {0x441, "STM32F412", 1024, 256, 0, false},
    {0x463, "STM32F413/F423", 1536, 320, 0, false},
    {0x419, "STM32F42x/43x", 2048, 192, 64, true},
    {0x434, "STM32F469/479", 2048, 320, 64, true},
};

static const line *line_of(uint16_t dev_id)
{
    return STM32_LINE_OF(lines, dev_id);
}

static uint32_t flash_size_register(uint16_t dev_id)
{
    if (dev_id == 0x452) return 0x1FF07A22u; /* RM0431 (FACTS.md) */
    return line_of(dev_id) ? 0x1FFF7A22u : 0; /* RM0090 39.2 and the other lines' manuals */
}

/* SR (RM0090 3.9.4): EOP 0, OPERR 1, WRPERR 4, PGAERR 5, PGPERR 6, PGSERR 7, BSY 16. */
static bmp_status decode(uint32_t sr)
{
    if (sr & (1u << 4)) return BMP_ERR_FLASH_PROTECTED;
    if (sr & ((1u << 5) | (1u << 6))) return BMP_ERR_FLASH_ALIGNMENT;
    if (sr & ((1u << 7) | (1u << 1))) return BMP_ERR_FLASH_SEQUENCE;
    return BMP_OK;
}

#define FLASH_START 0x08000000u
#define CR_MER1 (1u << 15)

/* Sector erase (RM0090 3.6.3): SER, SNB, PSIZE x32, then STRT; bank 2's sectors from SNB 16. */
static flash_loader_erase erase(uint32_t regs, uint32_t bank, uint32_t start, uint32_t index)
{
    uint32_t snb = (index + (bank > FLASH_START ? 16u : 0)) << 3;
    flash_loader_erase e = {.start = start};
    e.writes[0][0] = regs + 0x10, e.writes[0][1] = (1u << 1) | snb | (2u << 8);
    e.writes[1][0] = regs + 0x10, e.writes[1][1] = (1u << 1) | snb | (2u << 8) | (1u << 16);
    return e;
}

/* Bank 2, where a part has one, starts where the 16 KiB sectors start again (the map's regions:
 * sectors()); bank 1 is the rest. */
static void bank(const probe_session *p, const family_flash *f, uint32_t addr, uint32_t *start, uint32_t *end)
{
    (void)f;
    uint32_t second = 0, top = FLASH_START;
    for (unsigned i = 0; i < p->part.memory_count; i++) {
        const part_memory *m = &p->part.memories[i];
        if (m->kind != PART_MEMORY_FLASH) continue;
        if (m->start + m->length > top) top = m->start + m->length;
        if (m->start > FLASH_START && m->block_size == STM32_KIB(16) && !second) second = m->start;
    }
    bool two = second && addr >= second;
    *start = two ? second : FLASH_START;
    *end = two || !second ? top : second;
}

static const stm32_flash controller = {
    .base = 0x40023C00u, .keyr = 0x04, .sr = 0x0C, .cr = 0x10, .clear = 0x0C, .busy = 1u << 16,
    .errors = 0xF2u, .eop = 1u << 0, .lock = 1u << 31, .pg_cr = 1u | (2u << 8),
    .decode = decode, .erase = erase,
};

/* MER (and MER1 where there is a bank 2), PSIZE x32, then STRT. */
static bmp_status mass_erase(probe_session *p, const family_flash *f)
{
    uint32_t start = 0, end = 0;
    bank(p, f, 0xFFFFFFFFu, &start, &end);
    uint32_t mer = (1u << 2) | (start > FLASH_START ? CR_MER1 : 0) | (2u << 8);
    return stm32_mass_erase_regs(p, stm32_flash_of(f), stm32_flash_of(f)->base, mer, 1u << 16);
}

/* Read-out protection: the RDP byte of FLASH_OPTCR (bits 15:8, as loaded at reset). */
#define OPTKEYR 0x08u
#define OPTCR 0x14u
#define OPTLOCK (1u << 0)
#define OPTSTRT (1u << 1)

static bmp_status read_protection(probe_session *p, const family_flash *f, flash_rdp *rdp)
{
    return stm32_read_rdp_byte(p, stm32_flash_of(f)->base + OPTCR, rdp);
}

/* RDP 0xAA into OPTCR with the other option bits kept, OPTSTRT, wait for BSY (the mass erase
 * takes seconds); the option bytes are loaded again at the next reset. */
static bmp_status rdp_regress(probe_session *p, const family_flash *f)
{
    const stm32_flash *c = stm32_flash_of(f);
    uint32_t optcr = 0;
    bmp_status s = stm32_unlock_options(p, c->base + OPTKEYR, c->base + OPTCR, OPTLOCK);
    if (s == BMP_OK) s = stm32_wait(p, c, c->base);
    if (s == BMP_OK) s = cortexm_read32(&p->core, c->base + OPTCR, &optcr);
    if (s != BMP_OK) return s;
    uint32_t v = (optcr & ~(0xFF00u | OPTLOCK | OPTSTRT)) | (FLASH_RDP_LEVEL0 << 8);
    s = cortexm_write32(&p->core, c->base + OPTCR, v);
    if (s == BMP_OK) s = cortexm_write32(&p->core, c->base + OPTCR, v | OPTSTRT);
    if (s == BMP_OK) s = stm32_wait(p, c, c->base);
    cortexm_write32(&p->core, c->base + OPTCR, v | OPTLOCK);
    return s;
}

static const family_flash flash = {
    .data = &controller, .unit = 4, .bank = bank, .begin = stm32_begin, .end = stm32_end, .erase_block = stm32_erase_block,
    .mass_erase = mass_erase, .program = stm32_program, .loader_begin = stm32_loader_begin,
    .loader_erase = stm32_loader_erase, .loader_end = stm32_loader_end, .read_protection = read_protection,
    .rdp_regress = rdp_regress,
};

static bool identify(probe_session *p, uint8_t apsel, part_info *info);

const target_family stm32f4_family = {
    .name = "STM32F2/F4/F7",
    .identify = identify,
    .part_by_dev_id = part_by_dev_id,
    .flash_size_register = flash_size_register,
    .flash = &flash,
};

/* One bank's sectors from `start`: 4 x 16 KiB, 1 x 64 KiB, then 128 KiB up to `size`. */
static void bank_sectors(part_info *info, uint32_t start, uint32_t size)
{
    part_add(info, PART_MEMORY_FLASH, start, STM32_KIB(64), STM32_KIB(16));
    if (size > STM32_KIB(64)) part_add(info, PART_MEMORY_FLASH, start + STM32_KIB(64), STM32_KIB(64), STM32_KIB(64));
    if (size > STM32_KIB(128)) part_add(info, PART_MEMORY_FLASH, start + STM32_KIB(128), size - STM32_KIB(128), STM32_KIB(128));
}

/* The flash of `total` bytes: one bank, or two halves. */
static void sectors(part_info *info, uint32_t total, bool two_banks)
{
    if (!two_banks) {
        bank_sectors(info, FLASH_START, total);
        return;
    }
    bank_sectors(info, FLASH_START, total / 2);
    bank_sectors(info, FLASH_START + total / 2, total / 2);
}

static void add_line(part_info *info, const line *l, uint32_t total, bool two_banks);

#define OPTCR_DB1M (1u << 30) /* RM0090 3.7.7: a 1 MiB F42x/F43x as two banks of 512 KiB */

static bool identify(probe_session *p, uint8_t apsel, part_info *info)
{
    if (!stm32_identify(p, apsel, 0xE0042000u, &stm32f4_family, info)) return false;
    uint32_t cpuid = 0, optcr = 0, total = 0;
    for (unsigned i = 0; i < info->memory_count; i++)
        if (info->memories[i].kind == PART_MEMORY_FLASH) total += info->memories[i].length;
    /* The F40x's revision A reads the F2's DEV_ID (0x411; ES0182): a Cortex-M4 is an F40x. The
     * map is built again (the IDCODE as read stays). */
    if (info->dev_id == 0x411 && adiv5_mem_read32(&p->dp, apsel, 0xE000ED00u, &cpuid) == BMP_OK &&
        ((cpuid >> 4) & 0xFFFu) == 0xC24u) {
        info->memory_count = 0;
        part_by_dev_id(0x413, total / 1024, info);
    }
    const line *l = line_of(info->dev_id);
    if (l && l->dual && total == STM32_KIB(1024) &&
        adiv5_mem_read32(&p->dp, apsel, controller.base + OPTCR, &optcr) == BMP_OK && (optcr & OPTCR_DB1M)) {
        info->memory_count = 0;
        add_line(info, l, total, true);
    }
    return true;
}

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info)
{
    info->family = &stm32f4_family;
    info->dev_id = dev_id;
    const line *l = line_of(dev_id);
    if (l) {
        uint32_t total = STM32_KIB(flash_kib ? flash_kib : l->flash_kib);
        add_line(info, l, total, l->dual && total == STM32_KIB(2048));
        return true;
    }
    if (dev_id != 0x452) return false;
    info->name = "STM32F72x/73x"; /* STM32F722/723/732/733 */
    part_add(info, PART_MEMORY_RAM, 0x00000000u, STM32_KIB(16), 0); /* ITCM RAM */
    sectors(info, STM32_KIB(flash_kib ? flash_kib : 512), false);
    /* RM0431: system memory from 0x1FF00000, OTP, unique ID 0x1FF07A10, flash size 0x1FF07A22 */
    part_add(info, PART_MEMORY_ROM, 0x1FF00000u, 0x7A24u, 0);
    part_add(info, PART_MEMORY_RAM, 0x20000000u, STM32_KIB(256), 0); /* DTCM 64, SRAM1 176, SRAM2 16 KiB */
    part_add_system_regions(info);
    return true;
}

static void add_line(part_info *info, const line *l, uint32_t total, bool two_banks)
{
    info->family = &stm32f4_family;
    info->dev_id = l->dev_id;
    info->name = l->name;
    sectors(info, total, two_banks);
    if (l->ccm_kib) part_add(info, PART_MEMORY_RAM, 0x10000000u, STM32_KIB(l->ccm_kib), 0);
    /* system memory 0x1FFF0000, OTP 0x1FFF7800, unique ID 0x1FFF7A10, flash size 0x1FFF7A22;
     * option bytes 0x1FFFC000 */
    part_add(info, PART_MEMORY_ROM, 0x1FFF0000u, 0x7A24u, 0);
    part_add(info, PART_MEMORY_ROM, 0x1FFFC000u, 0x10u, 0);
    part_add(info, PART_MEMORY_RAM, 0x20000000u, STM32_KIB(l->sram_kib), 0);
    part_add_system_regions(info);
    if (l->dev_id == 0x413) part_add(info, PART_MEMORY_DEVICE, 0xA0000000u, 0x1000u, 0); /* FSMC control registers */
}
