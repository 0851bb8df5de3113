/* The parts with the F1's flash controller (FPEC): STM32F1 (RM0008) with the F100 value line
 * (RM0041), STM32F0 (RM0091) and STM32F3 (RM0316, RM0313), every line by its DEV_ID, as three
 * families that share this file. The controller: 1 or 2 KiB pages, half-word programming, the XL
 * F1 parts' second bank with its own registers 0x40 above the first's. What differs: the F0's
 * DBGMCU sits on its APB (0x40015800), the F0 and F3 keep the flash-size register at 0x1FFFF7CC
 * (the F1 at 0x1FFFF7E0), and their RDP byte has three levels (0xAA open, 0xCC permanent) where
 * the F1's has two (0xA5 open). */
#include "families/stm32.h"

#include "flash/flash.h"

extern const target_family stm32f0_family, stm32f1_family, stm32f3_family;

typedef enum { LINE_F0, LINE_F1, LINE_F3 } line;

/* The lines (the reference manuals' device electronic signature and memory organization, the
 * datasheets' memory maps): the flash when the size register is unreadable (the largest of the
 * line), its page, the SRAM of its largest and its smallest part (identify() keeps the largest
 * if its last word answers the debugger: GDB's memory map must hold the stack, the loader must
 * stay in RAM), the F3's core-coupled SRAM at 0x10000000 (kept if it answers: the F302 of a
 * DEV_ID has none where the F303 has it), and the system memory, which the ID registers and the
 * option bytes (0x1FFFF800) follow. */
typedef struct density {
    uint16_t dev_id;
    uint8_t line;
    const char *name;
    uint16_t flash_kib;
    uint8_t page_kib, sram_kib, sram_min_kib, ccm_kib;
    uint32_t system_memory;
} density;

static const density densities[] = {
    {0x412, LINE_F1, "STM32F1 low density", 32, 1, 10, 4, 0, 0x1FFFF000u},
    {0x410, LINE_F1, "STM32F1 medium density", 128, 1, 20, 10, 0, 0x1FFFF000u},
    {0x414, LINE_F1, "STM32F1 high density", 512, 2, 64, 32, 0, 0x1FFFF000u},
    {0x430, LINE_F1, "STM32F1 XL density", 1024, 2, 96, 80, 0, 0x1FFFE000u},
    {0x418, LINE_F1, "STM32F1 connectivity line", 256, 2, 64, 64, 0, 0x1FFFB000u},
    {0x420, LINE_F1, "STM32F100 value line", 128, 1, 8, 4, 0, 0x1FFFF000u},
    {0x428, LINE_F1, "STM32F100 high density", 512, 2, 32, 24, 0, 0x1FFFF000u},
    {0x444, LINE_F0, "STM32F03x", 32, 1, 4, 4, 0, 0x1FFFEC00u},
    {0x445, LINE_F0, "STM32F04x/F070x6", 32, 1, 6, 6, 0, 0x1FFFC400u},
    {0x440, LINE_F0, "STM32F05x/F030x8", 64, 1, 8, 8, 0, 0x1FFFEC00u},
    {0x448, LINE_F0, "STM32F07x", 128, 2, 16, 16, 0, 0x1FFFC800u},
    {0x442, LINE_F0, "STM32F09x/F030xC", 256, 2, 32, 32, 0, 0x1FFFD800u},
    {0x422, LINE_F3, "STM32F302/F303xB/C", 256, 2, 40, 32, 8, 0x1FFFD800u},
    {0x438, LINE_F3, "STM32F303x6/8/F334", 64, 2, 12, 12, 4, 0x1FFFD800u},
    {0x439, LINE_F3, "STM32F301/F302x6/8", 64, 2, 16, 16, 0, 0x1FFFD800u},
    {0x446, LINE_F3, "STM32F302/F303xD/E", 512, 2, 64, 64, 16, 0x1FFFD800u},
    {0x432, LINE_F3, "STM32F37x", 256, 2, 32, 16, 0, 0x1FFFD800u},
};

static const target_family *const line_family[] = {&stm32f0_family, &stm32f1_family, &stm32f3_family};

static const density *density_of(uint16_t dev_id)
{
    return STM32_LINE_OF(densities, dev_id);
}

/* RM0008 30.1; RM0091 and RM0316 (memory size data register). */
static uint32_t flash_size_register(uint16_t dev_id)
{
    const density *d = density_of(dev_id);
    return !d ? 0 : d->line == LINE_F1 ? 0x1FFFF7E0u : 0x1FFFF7CCu;
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
#define OBR 0x1Cu
#define CR_OPTPG (1u << 4)
#define CR_OPTER (1u << 5)
#define CR_STRT (1u << 6)
#define CR_OPTWRE (1u << 9)
#define CR_OBL_LAUNCH (1u << 13) /* F0, F3: load the option bytes, with a system reset */

/* The RDP byte that means level 0: the F1's 0xA5, the F0's and F3's 0xAA. */
static uint8_t rdp_open(const probe_session *p)
{
    return p->part.family == &stm32f1_family ? 0xA5u : FLASH_RDP_LEVEL0;
}

/* The higher of two levels: the one in effect (OBR.RDPRT, loaded at the last reset, F0/F3 at the
 * last power-on or OBL_LAUNCH: bit 1 level 1, F0/F3 bit 2 level 2) and the one RDP as programmed means
 * (what the next load takes, as the F4's OPTCR shows it). So a protection set but not loaded yet
 * shows, and can be removed before it takes effect; and a part still closed although 0xAA is
 * programmed (OpenOCD's unlock without options_load) shows level 1, and removing it loads it. A
 * pair whose complement does not match loads as level 1. `byte` is RDP as programmed. */
static bmp_status read_protection(probe_session *p, const family_flash *f, flash_rdp *rdp)
{
    uint32_t pair = 0, obr = 0;
    bmp_status s = cortexm_read32(&p->core, OPTION_BYTES, &pair);
    if (s == BMP_OK) s = cortexm_read32(&p->core, stm32_flash_of(f)->base + OBR, &obr);
    if (s != BMP_OK) return s;
    uint8_t byte = (uint8_t)pair, complement = (uint8_t)(pair >> 8);
    bool valid = (uint8_t)(byte ^ complement) == 0xFF;
    bool f1 = p->part.family == &stm32f1_family;
    unsigned loaded = !f1 && (obr & 4u) ? 2 : (obr >> 1) & 1u; /* the F1's bit 2 is USER's */
    rdp->level = !valid ? 1 : f1 ? byte != 0xA5u : flash_rdp_level(byte);
    if (loaded > rdp->level) rdp->level = loaded;
    rdp->has_byte = true;
    rdp->byte = byte;
    return BMP_OK;
}

/* Read-out protection off (PM0075, RM0091, RM0316: read protection): the option bytes erased
 * (OPTER), then the open RDP byte programmed, which makes the part mass-erase its flash first; USER and the two data bytes
 * are programmed back as they were (0xFF where a pair did not match), the write protection is
 * left off. The F1 loads the new option bytes at its next reset; the F0 and F3 only at power-on
 * or through OBL_LAUNCH, which this sets: the part resets and comes back at level 0. Option
 * writes keep OPTWRE set in CR (writing it 0 clears it). */
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
        if (i == 0) value = rdp_open(p);
        else if (i < 4 && (uint8_t)(ob[2 * i] ^ ob[2 * i + 1]) == 0xFF) value = ob[2 * i];
        uint8_t half[2] = {value, 0x00}; /* the controller writes the complement */
        s = adiv5_mem_write16(&p->dp, p->core.apsel, OPTION_BYTES + 2 * i, half, 2);
        if (s == BMP_OK) s = stm32_wait(p, c, c->base); /* RDP's includes the mass erase */
    }
    if (s == BMP_OK && p->part.family != &stm32f1_family) /* the reset relocks; the core stays halted */
        return cortexm_reset_by_write(&p->core, true, c->base + c->cr, CR_OBL_LAUNCH);
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

static bool f0_identify(probe_session *p, uint8_t apsel, part_info *info);
static bool f1_identify(probe_session *p, uint8_t apsel, part_info *info);
static bool f3_identify(probe_session *p, uint8_t apsel, part_info *info);
static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info);

/* Every line's DEV_ID is known to each of the three (part_by_dev_id fills in the right family). */
#define FPEC_FAMILY(label, identify_fn)                                                                   \
    {                                                                                                    \
        .name = label, .identify = identify_fn, .part_by_dev_id = part_by_dev_id,                         \
        .flash_size_register = flash_size_register, .flash = &flash,                                      \
    }
const target_family stm32f0_family = FPEC_FAMILY("STM32F0", f0_identify);
const target_family stm32f1_family = FPEC_FAMILY("STM32F1", f1_identify);
const target_family stm32f3_family = FPEC_FAMILY("STM32F3", f3_identify);

/* A part of `family`'s lines, its DBGMCU IDCODE at `idcode`; its SRAM and CCM SRAM as they
 * answer (see densities). */
static bool identify(probe_session *p, uint8_t apsel, part_info *info, const target_family *family, uint32_t idcode)
{
    uint32_t word = 0;
    if (!stm32_identify(p, apsel, idcode, family, info) || info->family != family) return false;
    const density *d = density_of(info->dev_id);
    part_memory *ram = &info->memories[2]; /* as part_by_dev_id adds them */
    if (adiv5_mem_read32(&p->dp, apsel, ram->start + ram->length - 4, &word) != BMP_OK)
        ram->length = STM32_KIB(d->sram_min_kib);
    if (d->ccm_kib && adiv5_mem_read32(&p->dp, apsel, 0x10000000u + STM32_KIB(d->ccm_kib) - 4, &word) == BMP_OK)
        part_add(info, PART_MEMORY_RAM, 0x10000000u, STM32_KIB(d->ccm_kib), 0);
    return true;
}

static bool f0_identify(probe_session *p, uint8_t apsel, part_info *info)
{
    return identify(p, apsel, info, &stm32f0_family, 0x40015800u); /* RM0091: DBGMCU on the APB */
}

static bool f1_identify(probe_session *p, uint8_t apsel, part_info *info)
{
    return identify(p, apsel, info, &stm32f1_family, 0xE0042000u);
}

static bool f3_identify(probe_session *p, uint8_t apsel, part_info *info)
{
    return identify(p, apsel, info, &stm32f3_family, 0xE0042000u);
}

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info)
{
    const density *d = density_of(dev_id);
    if (!d) return false;
    info->name = d->name;
    info->family = line_family[d->line];
    info->dev_id = dev_id;
    part_add(info, PART_MEMORY_FLASH, 0x08000000u, STM32_KIB(flash_kib ? flash_kib : d->flash_kib), STM32_KIB(d->page_kib));
    /* the system memory, the ID registers (F1 from 0x1FFFF7E0, F0/F3 from 0x1FFFF7AC), the
     * option bytes at 0x1FFFF800 */
    part_add(info, PART_MEMORY_ROM, d->system_memory, 0x1FFFF810u - d->system_memory, 0);
    part_add(info, PART_MEMORY_RAM, 0x20000000u, STM32_KIB(d->sram_kib), 0);
    part_add_system_regions(info);
    return true;
}
