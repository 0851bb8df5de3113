/* An image to program into flash, planned once for every caller (GDB's `load`, the Target API,
 * the command line): pieces of data collected into a buffer that mirrors flash from its first
 * address, then written in runs.
 *
 * The plan: every piece must lie in the part's flash (checked before anything is erased);
 * pieces that share an erase block become one run (what lies between them stays 0xFF, the erased
 * value), widened to whole program units; each run is erased and programmed by flash_write (the
 * on-target loader erases each block just before programming it), and verified by the routine's
 * CRC-32 of what it read back, or by reading back where there is no loader. Only the blocks the
 * image touches are erased. Portable C: no heap; the caller provides the buffer. */
#ifndef FLASH_IMAGE_H
#define FLASH_IMAGE_H

#include "flash/flash.h"

typedef struct flash_extent {
    uint32_t start, end; /* [start, end) */
} flash_extent;

typedef struct flash_image {
    uint8_t *buffer;          /* flash from `origin`: 0xFF where the image has nothing */
    size_t capacity;
    uint32_t origin;
    flash_extent *extents;    /* the ranges that hold data, as added (joined where they touch) */
    unsigned max_extents;
    unsigned count;
} flash_image;

/* Sets up an empty image over `buffer` (filled with 0xFF) for flash from `origin`, with room for
 * `max_extents` separate ranges. */
void flash_image_init(flash_image *im, uint32_t origin, uint8_t *buffer, size_t capacity, flash_extent *extents,
                      unsigned max_extents);
/* The first flash address of the part (0 if it has none known): the usual origin. */
uint32_t flash_image_origin(const probe_session *p);
/* Adds data at `addr`; false if it does not fit the buffer or the extents (nothing is added). */
bool flash_image_add(flash_image *im, uint32_t addr, const uint8_t *data, size_t length);
/* Empties the image (the buffer back to 0xFF) without writing it. */
void flash_image_clear(flash_image *im);
/* Bytes in the image's runs (units included): what progress counts up to. */
size_t flash_image_size(const probe_session *p, const flash_image *im);
/* Writes the image as planned above, calling `progress` with bytes done of flash_image_size;
 * then empties it (buffer back to 0xFF). BMP_ERR_FLASH_OUTSIDE, before anything is erased, if a
 * byte lies outside flash. */
bmp_status flash_image_write(probe_session *p, flash_image *im, const flash_ram *ram, bool verify,
                             flash_progress progress, void *ctx);

#endif
