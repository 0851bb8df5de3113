/* STM32F1 (RM0008) and the F100 value line (RM0041): every density by its DEV_ID (low, medium,
 * high, XL, connectivity line; value line low/medium and high), and the flash controller they
 * share (1 or 2 KiB pages, half-word programming; the XL parts' second bank has its own
 * registers 0x40 above the first's). */
#include "families/stm32.h"

#include "flash/flash.h"

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info);

/* The densities (RM0008 and RM0041, device electronic signature and memory organization): the
 * flash when the size register is unreadable (the largest of the density), its page, the SRAM
 * of its largest and its smallest part (identify() keeps the largest if its last word answers
 * the debugger: GDB's memory map must hold the stack, the loader must stay in RAM), and the
 * system memory, which the option bytes follow at 0x1FFFF800. */
typedef struct density {
    uint16_t dev_id;
    const char *name;
    uint16_t flash_kib;
    uint8_t page_kib, sram_kib, sram_min_kib;
    uint32_t system_memory;
} density;

static const density densities[] = {
    {0x412, "STM32F1 low density", 32, 1, 10, 4, 0x1FFFF000u},
    {0x410, "STM32F1 medium density", 128, 1, 20, 10, 0x1FFFF000u},
    {0x414, "STM32F1 high density", 512, 2, 64, 32, 0x1FFFF000u},
    {0x430, "STM32F1 XL density", 1024, 2, 96, 80, 0x1FFFE000u},
    {0x418, "STM32F1 connectivity line", 256, 2, 64, 64, 0x1FFFB000u},
    {0x420, "STM32F100 value line", 128, 1, 8, 4, 0x1FFFF000u},
    {0x428, "STM32F100 high density", 512, 2, 32, 24, 0x1FFFF000u},
};

static const density *density_of(uint16_t dev_id)
{
    for (unsigned i = 0; i < sizeof densities / sizeof densities[0]; i++)
        if (densities[i].dev_id == dev_id) return &densities[i];
    return 0;
}

static uint32_t flash_size_register(uint16_t dev_id)
{
    return density_of(dev_id) ? 0x1FFFF7E0u : 0; /* RM0008 30.1 */
}

/* XL density: bank 1 is the first 512 KiB, bank 2 the rest (RM0008 3.1, dual bank). */
#define BANK2 0x08080000u

/* The controller (RM0008 3.4): KEYR 0x04, SR 0x0C (BSY 0, PGERR 2, WRPRTERR 4, EOP 5), CR 0x10
 * (PG 0, PER 1, MER 2, STRT 6, LOCK 7), AR 0x14. */
static bmp_status decode(uint32_t sr)
{
    if (sr & (1u << 4)) return BMP_ERR_FLASH_PROTECTED;
    if (sr & (1u << 2)) return BMP_ERR_FLASH_NOT_ERASED;
    return BMP_OK;
}

/* Page erase (RM0008 3.3.3): PER, AR, PER|STRT. */
static flash_loader_erase erase(uint32_t regs, uint32_t bank, uint32_t start, uint32_t index)
{
    (void)bank;
    (void)index;
    flash_loader_erase e = {.start = start};
    e.writes[0][0] = regs + 0x10, e.writes[0][1] = 1u << 1;
    e.writes[1][0] = regs + 0x14, e.writes[1][1] = start;
    e.writes[2][0] = regs + 0x10, e.writes[2][1] = (1u << 1) | (1u << 6);
    return e;
}

/* Mass erase (RM0008 3.3.3): MER, then MER|STRT; one bank on these parts, in about one page's
 * time. */
static flash_loader_erase bank_erase(uint32_t regs, uint32_t bank)
{
    flash_loader_erase e = {.start = bank};
    e.writes[0][0] = regs + 0x10, e.writes[0][1] = 1u << 2;
    e.writes[1][0] = regs + 0x10, e.writes[1][1] = (1u << 2) | (1u << 6);
    return e;
}

static const stm32_flash controller = {
    .base = 0x40022000u, .bank2_regs = 0x40, .bank2_start = BANK2, .keyr = 0x04, .sr = 0x0C, .cr = 0x10, .clear = 0x0C,
    .busy = 1u << 0,
    .errors = (1u << 2) | (1u << 4), .eop = 1u << 5, .lock = 1u << 7, .pg_cr = 1u << 0,
    .decode = decode, .erase = erase, .bank_erase = bank_erase,
};

static void bank(const probe_session *p, const family_flash *f, uint32_t addr, uint32_t *start, uint32_t *end)
{
    (void)f;
    uint32_t top = 0x08000000u;
    for (unsigned i = 0; i < p->part.memory_count; i++)
        if (p->part.memories[i].kind == PART_MEMORY_FLASH) top = p->part.memories[i].start + p->part.memories[i].length;
    *start = addr >= BANK2 ? BANK2 : 0x08000000u;
    *end = addr >= BANK2 ? top : (top < BANK2 ? top : BANK2);
}

/* Every bank: the XL parts' second one has its own MER. */
static bmp_status mass_erase(probe_session *p, const family_flash *f)
{
    uint32_t start = 0, end = 0;
    bmp_status s = stm32_erase_bank(p, f, 0x08000000u);
    bank(p, f, BANK2, &start, &end);
    if (s == BMP_OK && end > BANK2) s = stm32_erase_bank(p, f, BANK2);
    return s;
}

/* The option bytes (PM0075, option byte description): RDP, USER, Data0, Data1, WRP0-3, each
 * followed by its complement, from 0x1FFFF800; OPTKEYR 0x08. */
#define OPTION_BYTES 0x1FFFF800u
#define OPTKEYR 0x08u
#define CR_OPTPG (1u << 4)
#define CR_OPTER (1u << 5)
#define CR_STRT (1u << 6)
#define CR_OPTWRE (1u << 9)
#define RDP_UNPROTECTED 0xA5u

/* RDP as programmed, as the F4's OPTCR shows it: the level the next reset loads (OBR.RDPRT holds
 * the one loaded at the last reset). A pair whose complement does not match loads as protected. */
static bmp_status read_protection(probe_session *p, const family_flash *f, flash_rdp *rdp)
{
    (void)f;
    uint32_t pair = 0;
    bmp_status s = cortexm_read32(&p->core, OPTION_BYTES, &pair);
    if (s != BMP_OK) return s;
    uint8_t byte = (uint8_t)pair, complement = (uint8_t)(pair >> 8);
    rdp->level = byte == RDP_UNPROTECTED && (uint8_t)(byte ^ complement) == 0xFF ? 0 : 1;
    rdp->has_byte = true;
    rdp->byte = byte;
    return BMP_OK;
}

/* Read-out protection off (PM0075, read protection): the option bytes erased (OPTER), then RDP
 * 0xA5 programmed, which makes the part mass-erase its flash first; USER and the two data bytes
 * are programmed back as they were (0xFF where a pair did not match), the write protection is
 * left off. The part loads the new option bytes at its next reset. Option writes keep OPTWRE
 * set in CR (writing it 0 clears it). */
static bmp_status rdp_regress(probe_session *p, const family_flash *f)
{
    const stm32_flash *c = stm32_flash_of(f);
    uint8_t ob[16];
    uint32_t cr = 0;
    bmp_status s = adiv5_mem_read(&p->dp, p->core.apsel, OPTION_BYTES, ob, sizeof ob);
    if (s != BMP_OK || (s = stm32_unlock(p, c, c->base)) != BMP_OK) return s;
    s = stm32_wait(p, c, c->base);
    if (s == BMP_ERR_FLASH_NOT_ERASED || s == BMP_ERR_FLASH_PROTECTED) s = BMP_OK; /* stale flags, cleared */
    if (s == BMP_OK) s = cortexm_write32(&p->core, c->base + OPTKEYR, STM32_KEY1);
    if (s == BMP_OK) s = cortexm_write32(&p->core, c->base + OPTKEYR, STM32_KEY2);
    if (s == BMP_OK) s = cortexm_read32(&p->core, c->base + c->cr, &cr);
    if (s == BMP_OK && !(cr & CR_OPTWRE)) s = BMP_ERR_FLASH_LOCKED; /* the option keys were refused */
    if (s == BMP_OK) s = cortexm_write32(&p->core, c->base + c->cr, CR_OPTWRE | CR_OPTER);
    if (s == BMP_OK) s = cortexm_write32(&p->core, c->base + c->cr, CR_OPTWRE | CR_OPTER | CR_STRT);
    if (s == BMP_OK) s = stm32_wait(p, c, c->base);
    if (s == BMP_OK) s = cortexm_write32(&p->core, c->base + c->cr, CR_OPTWRE | CR_OPTPG);
    for (unsigned i = 0; i < 8 && s == BMP_OK; i++) {
        uint8_t value = 0xFF; /* WRP: no write protection */
        if (i == 0) value = RDP_UNPROTECTED;
        else if (i < 4 && (uint8_t)(ob[2 * i] ^ ob[2 * i + 1]) == 0xFF) value = ob[2 * i];
        uint8_t half[2] = {value, 0x00}; /* the controller writes the complement */
        s = adiv5_mem_write16(&p->dp, p->core.apsel, OPTION_BYTES + 2 * i, half, 2);
        if (s == BMP_OK) s = stm32_wait(p, c, c->base); /* RDP's includes the mass erase */
    }
    cortexm_write32(&p->core, c->base + c->cr, 0);
    stm32_relock(p, c, c->base);
    return s;
}

static const family_flash flash = {
    .data = &controller, .unit = 2, .bank = bank, .begin = stm32_begin, .end = stm32_end, .erase_block = stm32_erase_block,
    .mass_erase = mass_erase, .erase_bank = stm32_erase_bank, .loader_bank_erase = stm32_loader_bank_erase,
    .program = stm32_program, .loader_begin = stm32_loader_begin,
    .loader_erase = stm32_loader_erase, .loader_end = stm32_loader_end, .read_protection = read_protection,
    .rdp_regress = rdp_regress,
};

static bool identify(probe_session *p, uint8_t apsel, part_info *info);

const target_family stm32f1_family = {
    .name = "STM32F1",
    .identify = identify,
    .part_by_dev_id = part_by_dev_id,
    .flash_size_register = flash_size_register,
    .flash = &flash,
};

static bool identify(probe_session *p, uint8_t apsel, part_info *info)
{
    uint32_t word = 0;
    if (!stm32_identify(p, apsel, 0xE0042000u, &stm32f1_family, info)) return false;
    const density *d = density_of(info->dev_id);
    part_memory *ram = &info->memories[2]; /* as part_by_dev_id adds them */
    if (adiv5_mem_read32(&p->dp, apsel, ram->start + ram->length - 4, &word) != BMP_OK)
        ram->length = STM32_KIB(d->sram_min_kib);
    return true;
}

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info)
{
    const density *d = density_of(dev_id);
    if (!d) return false;
    info->name = d->name;
    info->family = &stm32f1_family;
    info->dev_id = dev_id;
    part_add(info, PART_MEMORY_FLASH, 0x08000000u, STM32_KIB(flash_kib ? flash_kib : d->flash_kib), STM32_KIB(d->page_kib));
    /* the system memory, the ID registers from 0x1FFFF7E0, the option bytes at 0x1FFFF800 */
    part_add(info, PART_MEMORY_ROM, d->system_memory, 0x1FFFF810u - d->system_memory, 0);
    part_add(info, PART_MEMORY_RAM, 0x20000000u, STM32_KIB(d->sram_kib), 0);
    part_add_system_regions(info);
    return true;
}
