#include "families/stm32.h"

#include "common/bytes.h"

uint32_t stm32_regs(const probe_session *p, const family_flash *f, uint32_t addr)
{
    const stm32_flash *c = stm32_flash_of(f);
    (void)p;
    return c->bank2_regs && addr >= c->bank2_start ? c->base + c->bank2_regs : c->base;
}

bmp_status stm32_wait(probe_session *p, const stm32_flash *c, uint32_t regs)
{
    uint32_t sr = 0;
    bmp_status s;
    for (uint32_t i = 0;; i++) {
        if ((s = cortexm_read32(&p->core, regs + c->sr, &sr)) != BMP_OK) return s;
        if (!(sr & c->busy)) break;
        if (i == STM32_BUSY_POLLS) return BMP_ERR_FLASH_TIMEOUT;
    }
    bmp_status e = c->decode(sr & c->errors);
    if (sr & (c->errors | c->eop)) cortexm_write32(&p->core, regs + c->clear, sr & (c->errors | c->eop));
    return e;
}

bmp_status stm32_unlock(probe_session *p, const stm32_flash *c, uint32_t regs)
{
    uint32_t cr = 0;
    bmp_status s = cortexm_read32(&p->core, regs + c->cr, &cr);
    if (s != BMP_OK) return s;
    if (!(cr & c->lock)) return BMP_OK;
    /* A wrong sequence locks the controller until reset and the bus faults: report it plainly. */
    if (cortexm_write32(&p->core, regs + c->keyr, STM32_KEY1) != BMP_OK ||
        cortexm_write32(&p->core, regs + c->keyr, STM32_KEY2) != BMP_OK)
        return BMP_ERR_FLASH_LOCKED;
    if ((s = cortexm_read32(&p->core, regs + c->cr, &cr)) != BMP_OK) return s;
    return cr & c->lock ? BMP_ERR_FLASH_LOCKED : 0;
}

void stm32_relock(probe_session *p, const stm32_flash *c, uint32_t regs)
{
    cortexm_write32(&p->core, regs + c->cr, c->lock);
}

bmp_status stm32_unlock_options(probe_session *p, uint32_t optkeyr, uint32_t optcr, uint32_t optlock)
{
    uint32_t v = 0;
    bmp_status s = cortexm_read32(&p->core, optcr, &v);
    if (s != BMP_OK || !(v & optlock)) return s;
    if (cortexm_write32(&p->core, optkeyr, STM32_OPTKEY1) != BMP_OK ||
        cortexm_write32(&p->core, optkeyr, STM32_OPTKEY2) != BMP_OK)
        return BMP_ERR_FLASH_LOCKED;
    if ((s = cortexm_read32(&p->core, optcr, &v)) != BMP_OK) return s;
    return v & optlock ? BMP_ERR_FLASH_LOCKED : BMP_OK;
}

bmp_status stm32_read_rdp_byte(probe_session *p, uint32_t reg, flash_rdp *rdp)
{
    uint32_t v = 0;
    bmp_status s = cortexm_read32(&p->core, reg, &v);
    if (s != BMP_OK) return s;
    rdp->has_byte = true;
    rdp->byte = (uint8_t)(v >> 8);
    rdp->level = flash_rdp_level(rdp->byte);
    return BMP_OK;
}

/* Makes one erase: unlocks, clears stale flags, the erase's register writes, waits, checks its
 * errors, then CR back to 0 and LOCK. */
static bmp_status run_erase(probe_session *p, const stm32_flash *c, uint32_t regs, const flash_loader_erase *e)
{
    bmp_status s = stm32_unlock(p, c, regs);
    if (s == BMP_OK) s = stm32_wait(p, c, regs);
    if (s != BMP_OK && s != BMP_ERR_FLASH_NOT_ERASED) return s; /* stale flags cleared */
    s = BMP_OK;
    for (unsigned k = 0; k < 3 && s == BMP_OK; k++)
        if (e->writes[k][0]) s = cortexm_write32(&p->core, e->writes[k][0], e->writes[k][1]);
    if (s == BMP_OK) s = stm32_wait(p, c, regs);
    cortexm_write32(&p->core, regs + c->cr, 0);
    stm32_relock(p, c, regs);
    return s;
}

bmp_status stm32_mass_erase_regs(probe_session *p, const stm32_flash *c, uint32_t regs, uint32_t mer, uint32_t strt)
{
    flash_loader_erase e = {0};
    e.writes[0][0] = regs + c->cr, e.writes[0][1] = mer;
    e.writes[1][0] = regs + c->cr, e.writes[1][1] = mer | strt;
    return run_erase(p, c, regs, &e);
}

bmp_status stm32_begin(probe_session *p, const family_flash *f, uint32_t addr)
{
    const stm32_flash *c = stm32_flash_of(f);
    uint32_t regs = stm32_regs(p, f, addr);
    bmp_status s = stm32_unlock(p, c, regs);
    return s == BMP_OK ? stm32_wait(p, c, regs) : s;
}

void stm32_end(probe_session *p, const family_flash *f, uint32_t addr)
{
    stm32_relock(p, stm32_flash_of(f), stm32_regs(p, f, addr));
}

bmp_status stm32_erase_block(probe_session *p, const family_flash *f, uint32_t start, uint32_t index)
{
    const stm32_flash *c = stm32_flash_of(f);
    uint32_t regs = stm32_regs(p, f, start);
    uint32_t bank = 0, bank_end = 0;
    if (f->bank) f->bank(p, f, start, &bank, &bank_end);
    flash_loader_erase e = c->erase(regs, bank, start, index);
    return run_erase(p, c, regs, &e);
}

bmp_status stm32_erase_bank(probe_session *p, const family_flash *f, uint32_t bank)
{
    const stm32_flash *c = stm32_flash_of(f);
    uint32_t regs = stm32_regs(p, f, bank);
    flash_loader_erase e = c->bank_erase(regs, bank);
    return run_erase(p, c, regs, &e);
}

/* Direct programming through the MEM-AP: PG set, then writes of the unit's width (the bus
 * stalls while the controller is busy with the previous unit). */
bmp_status stm32_program(probe_session *p, const family_flash *f, uint32_t addr, const uint8_t *data, size_t length)
{
    const stm32_flash *c = stm32_flash_of(f);
    uint32_t regs = stm32_regs(p, f, addr);
    bmp_status s = cortexm_write32(&p->core, regs + c->cr, c->pg_cr);
    if (s != BMP_OK) return s;
    if (f->unit == 2) s = adiv5_mem_write16(&p->dp, p->core.apsel, addr, data, length);
    else s = adiv5_mem_write(&p->dp, p->core.apsel, addr, data, length);
    bmp_status w = stm32_wait(p, c, regs);
    cortexm_write32(&p->core, regs + c->cr, 0);
    return s != BMP_OK ? s : w;
}

bmp_status stm32_loader_begin(probe_session *p, const family_flash *f, uint32_t addr, flash_loader_params *params)
{
    const stm32_flash *c = stm32_flash_of(f);
    uint32_t regs = stm32_regs(p, f, addr);
    params->sr_addr = regs + c->sr;
    params->busy_mask = c->busy;
    params->error_mask = c->errors;
    params->cr_addr = regs + c->cr;
    params->pg_cr = c->pg_cr;
    return cortexm_write32(&p->core, regs + c->cr, c->pg_cr);
}

flash_loader_erase stm32_loader_erase(const family_flash *f, uint32_t bank, uint32_t start, uint32_t index)
{
    const stm32_flash *c = stm32_flash_of(f);
    return c->erase(stm32_regs(0, f, bank), bank, start, index);
}

flash_loader_erase stm32_loader_bank_erase(const family_flash *f, uint32_t bank)
{
    const stm32_flash *c = stm32_flash_of(f);
    return c->bank_erase(stm32_regs(0, f, bank), bank);
}

bmp_status stm32_loader_end(probe_session *p, const family_flash *f, uint32_t addr, bmp_status s, uint32_t sr)
{
    const stm32_flash *c = stm32_flash_of(f);
    uint32_t regs = stm32_regs(p, f, addr);
    /* The loader's result as a flash status: the controller's error bits decoded. */
    if (s == BMP_ERR_LOADER_FLASH) s = c->decode(sr) ? c->decode(sr) : BMP_ERR_FLASH_SEQUENCE;
    else if (s == BMP_ERR_LOADER_TIMEOUT) s = BMP_ERR_FLASH_TIMEOUT;
    else if (s == BMP_ERR_LOADER_FAULT) s = BMP_ERR_FLASH_SEQUENCE;
    bmp_status w = stm32_wait(p, c, regs);
    cortexm_write32(&p->core, regs + c->cr, 0);
    return s != BMP_OK ? s : w;
}

const void *stm32_line_of(const void *table, unsigned count, size_t size, uint16_t dev_id)
{
    const uint8_t *entry = table;
    for (unsigned i = 0; i < count; i++, entry += size)
        if (*(const uint16_t *)(const void *)entry == dev_id) return entry;
    return 0;
}

bool stm32_identify(probe_session *p, uint8_t apsel, uint32_t idcode_address, const target_family *family,
                    part_info *info)
{
    uint32_t idcode = 0;
    uint8_t k[2] = {0};
    if (adiv5_mem_read32(&p->dp, apsel, idcode_address, &idcode) != BMP_OK) return false;
    uint16_t dev_id = (uint16_t)(idcode & 0xFFF);
    uint32_t size_reg = family->flash_size_register(dev_id), kib = 0;
    if (!size_reg) return false;
    if (adiv5_mem_read(&p->dp, apsel, size_reg, k, 2) == BMP_OK) kib = get_le16(k);
    if (kib == 0xFFFFu) kib = 0; /* unprogrammed (early silicon): the line's largest */
    if (!family->part_by_dev_id(dev_id, kib, info)) return false;
    info->idcode = idcode;
    return true;
}
