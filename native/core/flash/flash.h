/* Flash programming for the identified part, through its family's flash driver (family.h):
 * erase by block (or mass erase), program, verify. Geometry comes from the part's memory map
 * (filled in by its family). The programming itself runs either by the driver's direct path
 * (writes through the MEM-AP) or, where the caller provides RAM and the driver allows it,
 * through the on-target loader (flash_loader.c), which overlaps USB transfers with programming. */
#ifndef FLASH_H
#define FLASH_H

#include "cortexm/probe_session.h"

/* RAM the fast path may use (0/0: direct writes only). */
typedef struct flash_ram {
    uint32_t base, size;
} flash_ram;

typedef void (*flash_progress)(void *ctx, size_t done, size_t total);

/* Progress of a part of a longer job: `before` bytes were done already, of `total`. Pass
 * flash_progress_after, with a pointer to one of these, where a flash_progress is taken. */
typedef struct flash_progress_from {
    flash_progress progress;
    void *ctx;
    size_t before, total;
} flash_progress_from;
void flash_progress_after(void *ctx, size_t done, size_t total);

/* Whether the whole range lies in the part's flash. */
bool flash_contains(const probe_session *p, uint32_t addr, uint32_t length);
/* The erase blocks overlapping [addr, addr+length): their start and total span. */
bool flash_block_span(const probe_session *p, uint32_t addr, uint32_t length, uint32_t *start, uint32_t *span);
/* Bytes per program operation (2, 4, 8 or 32): programs are padded to it with 0xFF. */
uint32_t flash_unit(const probe_session *p);
/* Erases every block overlapping the range. */
bmp_status flash_erase(probe_session *p, uint32_t addr, uint32_t length);
bmp_status flash_mass_erase(probe_session *p);
/* Programs erased flash; `addr` must be unit-aligned, `length` is padded up to the unit. */
bmp_status flash_program(probe_session *p, uint32_t addr, const uint8_t *data, size_t length, const flash_ram *ram,
                         flash_progress progress, void *ctx);
/* RAM the loader may use on this part (its contents are lost). */
bool flash_default_ram(const probe_session *p, flash_ram *ram);
/* Erases the blocks the range touches and programs it: with RAM, the on-target loader erases
 * each block just before programming it while the host streams data (erase, transfer and
 * programming overlap); else flash_erase then flash_program. With `verify`, the loader reads
 * each unit back after programming it and compares it, and the CRC-32 of the data it received
 * must match the image's (BMP_ERR_VERIFY), so verification costs no transfer; without the
 * loader, it reads back. */
bmp_status flash_write(probe_session *p, uint32_t addr, const uint8_t *data, size_t length, const flash_ram *ram,
                       bool verify, flash_progress progress, void *ctx);
/* Reads back and compares. */
bmp_status flash_verify(probe_session *p, uint32_t addr, const uint8_t *data, size_t length);

/* Read-out protection (RM0090, RM0431, RM0433: read protection): level 0 none; level 1 the
 * flash is closed to a debugger (reads fault, erase and program fail) while one is connected;
 * level 2 permanent, the debug port disabled. */
typedef struct flash_rdp {
    bool driven;     /* the family reads (and can remove) it; false: reads as level 0 */
    unsigned level;  /* 0, 1 or 2 */
    bool has_byte;   /* `byte` is the RDP option byte (F4/F7/H7: as OPTCR/OPTSR show it; F0/F1/F3: as
                      * programmed at 0x1FFFF800, the level being OBR.RDPRT, loaded at reset) */
    uint8_t byte;    /* 0xAA level 0, 0xCC level 2, anything else level 1 (F0/F3 too); F1: 0xA5 level 0,
                      * anything else level 1 */
} flash_rdp;

#define FLASH_RDP_LEVEL0 0xAAu
#define FLASH_RDP_LEVEL2 0xCCu
/* The level an ST RDP byte means. */
static inline unsigned flash_rdp_level(uint8_t rdp)
{
    return rdp == FLASH_RDP_LEVEL0 ? 0 : rdp == FLASH_RDP_LEVEL2 ? 2 : 1;
}

bmp_status flash_read_protection(probe_session *p, flash_rdp *rdp);
/* Brings level 1 back to level 0 through the option bytes (F4/F7 OPTCR, H7 OPTSR_PRG, the
 * F0/F1/F3 option bytes at 0x1FFFF800), which MASS-ERASES THE WHOLE FLASH: the part does that
 * itself, nothing can stop it. Waits until the erase is done. An F1/F4/F7 loads the new level at
 * its next reset (reset it before using the flash); an H7 applies it at once; an F0/F3 is made to
 * load it at once (OBL_LAUNCH, which resets the part). Level 0: nothing to do; level 2:
 * BMP_ERR_RDP_PERMANENT; a family without a driver for it: BMP_ERR_INVALID. */
bmp_status flash_rdp_regress(probe_session *p);

#endif
