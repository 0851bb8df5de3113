/* The nRF52840 (nRF52840 Product Specification v1.x): its NVMC flash controller, the FICR and
 * UICR, and the CTRL-AP with the access-port protection APPROTECT.
 *
 * NVMC (0x4001E000): READY 0x400 (1: ready), READYNEXT 0x408, CONFIG 0x504 (WEN 0 read only,
 * 1 write enabled, 2 erase enabled), ERASEPAGE 0x508 (the page's address; ERASEPCR1 is the same
 * register), ERASEALL 0x50C, ERASEPCR0 0x510, ERASEUICR 0x514. The flash (1 MiB at 0, 256 pages
 * of 4 KiB) takes aligned 32-bit writes while CONFIG is WEN, clearing bits only; writes at other
 * times are ignored. Times: the Product Specification gives maxima only: a word 41 µs, a page
 * erase 85 ms, ERASEALL 173 ms; the model takes them.
 *
 * APPROTECT: UICR.APPROTECT (0x10001208) is read at every reset; PALL other than 0xFF enables
 * the protection, and the AHB-AP (AP #0) then refuses every memory access (it faults). The
 * CTRL-AP (AP #1, IDR 0x02880000, not a MEM-AP) answers whatever the protection: RESET 0x000
 * (1 holds the chip in reset, 0 releases it), ERASEALL 0x004 (1 erases the flash, the UICR and
 * the RAM), ERASEALLSTATUS 0x008 (1 while busy), APPROTECTSTATUS 0x00C (0 protection enabled,
 * 1 not), IDR 0x0FC. After ERASEALL the UICR reads 0xFF, so the next reset lifts the
 * protection. */
#include "sim_flash.h"

#include <stdlib.h>
#include <string.h>

#include "sim_target.h"

#define READY 0x400u
#define READYNEXT 0x408u
#define CONFIG 0x504u
#define ERASEPAGE 0x508u
#define ERASEALL 0x50Cu
#define ERASEPCR0 0x510u
#define ERASEUICR 0x514u
#define WEN 1u
#define EEN 2u

#define PAGE 0x1000u
#define WRITE_PS 41000000ull
#define PAGE_ERASE_PS 85000000000ull
#define ERASEALL_PS 173000000000ull

#define FICR 0x10000000u
#define UICR 0x10001000u
#define UICR_APPROTECT 0x208u

static sim_flash_bank *bank(sim_target *t) { return &t->flash.banks[0]; }

static sim_bus_status reg_read(sim_target *t, uint32_t offset, uint32_t *value)
{
    switch (offset) {
    case READY:
    case READYNEXT: *value = sim_flash_busy(t, bank(t)) ? 0 : 1; break;
    case CONFIG: *value = bank(t)->cr; break;
    default: *value = 0; break;
    }
    return SIM_BUS_OK;
}

static void erase_all(sim_target *t)
{
    memset(t->flash.mem, 0xFF, t->flash.size);
    memset(t->flash.uicr, 0xFF, 0x1000);
}

static sim_bus_status reg_write(sim_target *t, uint32_t offset, uint32_t value)
{
    sim_flash_bank *b = bank(t);
    switch (offset) {
    case CONFIG: /* must not change while the NVMC is busy (PS, NVMC): the model ignores it then */
        if (!sim_flash_busy(t, b)) b->cr = value & 3u;
        break;
    case ERASEPAGE:
    case ERASEPCR0:
        if (b->cr != EEN || value % PAGE || value >= t->flash.size) break; /* ignored */
        memset(t->flash.mem + value, 0xFF, PAGE);
        sim_flash_start(t, b, PAGE_ERASE_PS);
        break;
    case ERASEALL:
        if (b->cr != EEN || !(value & 1)) break;
        erase_all(t);
        sim_flash_start(t, b, ERASEALL_PS);
        break;
    case ERASEUICR:
        if (b->cr != EEN || !(value & 1)) break;
        memset(t->flash.uicr, 0xFF, 0x1000);
        sim_flash_start(t, b, PAGE_ERASE_PS);
        break;
    default: break;
    }
    return SIM_BUS_OK;
}

/* A word into erased (or partly programmed) NVM: bits can only be cleared. */
static void program(sim_target *t, uint8_t *at, unsigned size, uint32_t value)
{
    if (bank(t)->cr != WEN || size != 4) return; /* not enabled, or not a word: ignored */
    for (unsigned i = 0; i < 4; i++) at[i] &= (uint8_t)(value >> (8 * i));
    sim_flash_start(t, bank(t), WRITE_PS);
}

static sim_bus_status array_write(sim_target *t, uint32_t offset, unsigned size, uint32_t value)
{
    if (offset & 3u) return SIM_BUS_OK;
    program(t, t->flash.mem + offset, size, value);
    return SIM_BUS_OK;
}

static sim_bus_status uicr_write(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t value,
                                 sim_master m)
{
    (void)ctx, (void)m;
    if (!(offset & 3u)) program(t, t->flash.uicr + offset, size, value);
    return SIM_BUS_OK;
}

/* FICR (the Product Specification's FICR chapter): CODEPAGESIZE, CODESIZE, DEVICEID, and INFO
 * (PART 0x52840, VARIANT "AAD0", PACKAGE QI 0x2004, RAM 256 KiB, FLASH 1024 KiB); everything
 * else reads as erased. */
static sim_bus_status ficr_read(sim_target *t, void *ctx, uint32_t offset, unsigned size, uint32_t *value,
                                sim_master m)
{
    (void)ctx, (void)m;
    uint32_t w;
    switch (offset & ~3u) {
    case 0x010: w = PAGE; break;
    case 0x014: w = t->flash.size / PAGE; break;
    case 0x060: w = 0x12345678u; break; /* DEVICEID[0]: a fixed, plausible one */
    case 0x064: w = 0x9ABCDEF0u; break;
    case 0x100: w = 0x00052840u; break;
    case 0x104: w = 0x41414430u; break;
    case 0x108: w = 0x00002004u; break;
    case 0x10C: w = 256; break;
    case 0x110: w = 1024; break;
    default: w = 0xFFFFFFFFu; break;
    }
    *value = sim_lanes(w, offset, size);
    return SIM_BUS_OK;
}

static void attach(sim_target *t)
{
    sim_flash *f = &t->flash;
    f->uicr = malloc(0x1000);
    if (!f->uicr) return;
    memset(f->uicr, 0xFF, 0x1000);
    sim_region ficr = {.name = "FICR", .base = FICR, .size = 0x1000, .kind = SIM_REGION_MMIO, .read = ficr_read};
    sim_region uicr = {.name = "UICR", .base = UICR, .size = 0x1000, .kind = SIM_REGION_FLASH, .mem = f->uicr,
                       .write = uicr_write};
    sim_bus_add(&t->bus, &ficr);
    sim_bus_add(&t->bus, &uicr);
}

/* Every reset reads UICR.APPROTECT. */
static void reset(sim_target *t)
{
    sim_flash *f = &t->flash;
    bank(t)->cr = 0;
    f->ap_protected = f->uicr && f->uicr[UICR_APPROTECT] != 0xFF;
}

const sim_flash_family_ops sim_flash_nrf52_ops = {reg_read, reg_write, array_write, reset, attach, 0x4001E000u, 0x1000};

bool sim_nrf52_ap_refused(const sim_target *t, unsigned apsel)
{
    return t->profile->flash_family == SIM_FLASH_NRF52 && apsel == 0 && t->flash.ap_protected;
}

#define CTRL_RESET 0x000u
#define CTRL_ERASEALL 0x004u
#define CTRL_ERASEALLSTATUS 0x008u
#define CTRL_APPROTECTSTATUS 0x00Cu
#define CTRL_IDR 0x0FCu

uint32_t sim_nrf52_ctrl_ap_read(sim_target *t, unsigned reg)
{
    sim_flash *f = &t->flash;
    switch (reg) {
    case CTRL_RESET: return f->ctrl_reset ? 1 : 0;
    case CTRL_ERASEALLSTATUS: return sim_core_now_ps(t) < f->eraseall_until_ps ? 1 : 0;
    case CTRL_APPROTECTSTATUS: return f->ap_protected ? 0 : 1;
    case CTRL_IDR: return 0x02880000u;
    default: return 0;
    }
}

void sim_nrf52_ctrl_ap_write(sim_target *t, unsigned reg, uint32_t value)
{
    sim_flash *f = &t->flash;
    switch (reg) {
    case CTRL_RESET:
        f->ctrl_reset = value & 1;
        sim_target_set_nrst(t, f->ctrl_reset); /* held in reset while 1, as by the pin */
        break;
    case CTRL_ERASEALL:
        if (!(value & 1) || sim_core_now_ps(t) < f->eraseall_until_ps) break;
        erase_all(t);
        for (unsigned i = 0; i < t->profile->memory_count; i++)
            if (t->profile->memories[i].kind == SIM_REGION_RAM) memset(t->memories[i], 0, t->profile->memories[i].size);
        f->eraseall_until_ps = sim_core_now_ps(t) + ERASEALL_PS;
        break;
    default: break;
    }
}
