/* STM32H742/743/750/753 (RM0433, DEV_ID 0x450): two banks of 128 KiB sectors, each with its own
 * registers (bank 2's at +0x100), 256-bit flash words programmed at PSIZE x32 (valid at every
 * voltage scaling), and read-out protection through OPTSR. The H750 has bank 1's first sector
 * only; the flash-size register tells it from the H743. */
#include "families/stm32.h"

#include "flash/flash.h"

#define BANK2 0x08100000u

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info);

static uint32_t flash_size_register(uint16_t dev_id)
{
    return dev_id == 0x450 ? 0x1FF1E880u : 0; /* RM0433 61.2 */
}

/* SR 0x10: BSY 0, QW 2, EOP 16, WRPERR 17, PGSERR 18, STRBERR 19, INCERR 21, OPERR 22. */
static bmp_status decode(uint32_t sr)
{
    if (sr & (1u << 17)) return BMP_ERR_FLASH_PROTECTED;
    if (sr & ((1u << 18) | (1u << 19) | (1u << 21) | (1u << 22))) return BMP_ERR_FLASH_SEQUENCE;
    return BMP_OK;
}

/* Sector erase (RM0433 4.3.10): SER, SNB, PSIZE x32, then START. */
static flash_loader_erase erase(uint32_t regs, uint32_t bank, uint32_t start, uint32_t index)
{
    (void)bank;
    flash_loader_erase e = {.start = start};
    e.writes[0][0] = regs + 0x0C, e.writes[0][1] = (1u << 2) | (index << 8) | (2u << 4);
    e.writes[1][0] = regs + 0x0C, e.writes[1][1] = (1u << 2) | (index << 8) | (2u << 4) | (1u << 7);
    return e;
}

static const stm32_flash controller = {
    .base = 0x52002000u, .bank2_regs = 0x100, .bank2_start = BANK2, .keyr = 0x04, .sr = 0x10, .cr = 0x0C,
    .clear = 0x14, .busy = (1u << 0) | (1u << 2), .errors = 0x006E0000u, .eop = 1u << 16, .lock = 1u << 0,
    .pg_cr = (1u << 1) | (2u << 4), .decode = decode, .erase = erase,
};

static void bank(const probe_session *p, const family_flash *f, uint32_t addr, uint32_t *start, uint32_t *end)
{
    (void)p, (void)f;
    *start = addr >= BANK2 ? BANK2 : 0x08000000u;
    *end = addr >= BANK2 ? 0x08200000u : BANK2;
}

/* Each bank by itself (BER, then START); the H750 has bank 1 only. */
static bmp_status mass_erase(probe_session *p, const family_flash *f)
{
    const stm32_flash *c = stm32_flash_of(f);
    unsigned banks = flash_contains(p, BANK2, 1) ? 2 : 1;
    for (unsigned b = 0; b < banks; b++) {
        bmp_status s = stm32_mass_erase_regs(p, c, c->base + 0x100 * b, (1u << 3) | (2u << 4), 1u << 7);
        if (s != BMP_OK) return s;
    }
    return BMP_OK;
}

/* Read-out protection: the RDP byte of FLASH_OPTSR_CUR (bits 15:8). */
#define OPTKEYR 0x08u
#define OPTCR 0x18u
#define OPTSR_CUR 0x1Cu
#define OPTSR_PRG 0x20u
#define OPTCCR 0x24u
#define OPTLOCK (1u << 0)
#define OPTSTART (1u << 1)
#define OPT_BUSY (1u << 0)      /* OPTSR_CUR */
#define OPTCHANGEERR (1u << 30) /* OPTSR_CUR; cleared through OPTCCR bit 30 */

static bmp_status read_protection(probe_session *p, const family_flash *f, flash_rdp *rdp)
{
    return stm32_read_rdp_byte(p, stm32_flash_of(f)->base + OPTSR_CUR, rdp);
}

/* RDP 0xAA into OPTSR_PRG with the other option bits as OPTSR_CUR has them, OPTSTART, wait for
 * OPT_BUSY (the mass erase of both banks takes seconds); OPTCHANGEERR means the change was
 * refused. OPTSR_CUR shows the result at once. */
static bmp_status rdp_regress(probe_session *p, const family_flash *f)
{
    const stm32_flash *c = stm32_flash_of(f);
    uint32_t cur = 0;
    bmp_status s = stm32_unlock_options(p, c->base + OPTKEYR, c->base + OPTCR, OPTLOCK);
    if (s == BMP_OK) s = cortexm_read32(&p->core, c->base + OPTSR_CUR, &cur);
    if (s != BMP_OK) return s;
    uint32_t prg = (cur & ~(0xFF00u | OPT_BUSY | OPTCHANGEERR)) | (FLASH_RDP_LEVEL0 << 8);
    s = cortexm_write32(&p->core, c->base + OPTSR_PRG, prg);
    if (s == BMP_OK) s = cortexm_write32(&p->core, c->base + OPTCR, OPTSTART);
    for (uint32_t i = 0; s == BMP_OK; i++) {
        if ((s = cortexm_read32(&p->core, c->base + OPTSR_CUR, &cur)) != BMP_OK) break;
        if (!(cur & OPT_BUSY)) break;
        if (i == STM32_BUSY_POLLS) s = BMP_ERR_FLASH_TIMEOUT;
    }
    if (s == BMP_OK && (cur & OPTCHANGEERR)) {
        cortexm_write32(&p->core, c->base + OPTCCR, OPTCHANGEERR);
        s = BMP_ERR_FLASH_SEQUENCE;
    }
    cortexm_write32(&p->core, c->base + OPTCR, OPTLOCK);
    return s;
}

static const family_flash flash = {
    .data = &controller, .unit = 32, .bank = bank, .begin = stm32_begin, .end = stm32_end,
    .erase_block = stm32_erase_block, .mass_erase = mass_erase, .program = stm32_program,
    .loader_begin = stm32_loader_begin, .loader_erase = stm32_loader_erase, .loader_end = stm32_loader_end,
    .read_protection = read_protection, .rdp_regress = rdp_regress,
};

static bool identify(probe_session *p, uint8_t apsel, part_info *info);

const target_family stm32h7_family = {
    .name = "STM32H7",
    .identify = identify,
    .part_by_dev_id = part_by_dev_id,
    .flash_size_register = flash_size_register,
    .flash = &flash,
};

static bool identify(probe_session *p, uint8_t apsel, part_info *info)
{
    return stm32_identify(p, apsel, 0x5C001000u, &stm32h7_family, info);
}

static bool part_by_dev_id(uint16_t dev_id, uint32_t flash_kib, part_info *info)
{
    if (dev_id != 0x450) return false;
    info->name = "STM32H74x/75x";
    info->family = &stm32h7_family;
    info->dev_id = dev_id;
    part_add(info, PART_MEMORY_RAM, 0x00000000u, STM32_KIB(64), 0); /* ITCM */
    part_add(info, PART_MEMORY_FLASH, 0x08000000u, STM32_KIB(flash_kib ? flash_kib : 2048), STM32_KIB(128));
    /* RM0433: system memory 0x1FF00000, unique ID 0x1FF1E800, flash size 0x1FF1E880 */
    part_add(info, PART_MEMORY_ROM, 0x1FF00000u, STM32_KIB(128), 0);
    part_add(info, PART_MEMORY_RAM, 0x20000000u, STM32_KIB(128), 0); /* DTCM */
    part_add(info, PART_MEMORY_RAM, 0x24000000u, STM32_KIB(512), 0); /* AXI SRAM */
    part_add(info, PART_MEMORY_RAM, 0x30000000u, STM32_KIB(288), 0); /* SRAM1-3 */
    part_add(info, PART_MEMORY_RAM, 0x38000000u, STM32_KIB(64), 0);  /* SRAM4 */
    part_add_system_regions(info);                                   /* DBGMCU at 0x5C001000 included */
    return true;
}
