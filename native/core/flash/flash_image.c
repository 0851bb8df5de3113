#include "flash/flash_image.h"

#include <string.h>

void flash_image_init(flash_image *im, uint32_t origin, uint8_t *buffer, size_t capacity, flash_extent *extents,
                      unsigned max_extents)
{
    if (buffer) memset(buffer, 0xFF, capacity);
    im->buffer = buffer;
    im->capacity = buffer ? capacity : 0;
    im->origin = origin;
    im->extents = extents;
    im->max_extents = extents ? max_extents : 0;
    im->count = 0;
}

uint32_t flash_image_origin(const probe_session *p)
{
    for (unsigned i = 0; p->part_known && i < p->part.memory_count; i++)
        if (p->part.memories[i].kind == PART_MEMORY_FLASH) return p->part.memories[i].start;
    return 0;
}

bool flash_image_add(flash_image *im, uint32_t addr, const uint8_t *data, size_t length)
{
    if (length == 0) return true;
    if (!im->buffer || addr < im->origin || (uint64_t)(addr - im->origin) + length > im->capacity) return false;
    uint32_t end = addr + (uint32_t)length;
    /* Join an extent this data touches or overlaps, else start one. */
    unsigned i = 0;
    while (i < im->count && !(addr <= im->extents[i].end && end >= im->extents[i].start)) i++;
    if (i == im->count) {
        if (im->count == im->max_extents) return false;
        im->extents[im->count++] = (flash_extent){addr, end};
    }
    if (addr < im->extents[i].start) im->extents[i].start = addr;
    if (end > im->extents[i].end) im->extents[i].end = end;
    for (size_t k = 0; k < length; k++) im->buffer[addr - im->origin + k] = data[k];
    /* The grown extent may now touch others: fold them in. */
    for (unsigned k = 0; k < im->count;) {
        if (k != i && im->extents[k].start <= im->extents[i].end && im->extents[k].end >= im->extents[i].start) {
            if (im->extents[k].start < im->extents[i].start) im->extents[i].start = im->extents[k].start;
            if (im->extents[k].end > im->extents[i].end) im->extents[i].end = im->extents[k].end;
            im->extents[k] = im->extents[--im->count];
            if (i == im->count) i = k;
            continue;
        }
        k++;
    }
    return true;
}

static void sort_extents(flash_image *im)
{
    for (unsigned i = 1; i < im->count; i++) /* insertion sort: a few dozen at the most */
        for (unsigned k = i; k > 0 && im->extents[k].start < im->extents[k - 1].start; k--) {
            flash_extent t = im->extents[k];
            im->extents[k] = im->extents[k - 1];
            im->extents[k - 1] = t;
        }
}

/* The run that starts with extent `i`: the extents after it that share an erase block with it
 * join it; [*start, *end) widened to whole units and clipped to the buffer. Returns the index
 * after the run. */
static unsigned next_run(const probe_session *p, const flash_image *im, unsigned i, uint32_t *start, uint32_t *end)
{
    uint32_t unit = flash_unit(p);
    uint32_t s = im->extents[i].start / unit * unit, e = im->extents[i].end;
    unsigned j = i + 1;
    for (; j < im->count; j++) {
        uint32_t block = 0, span = 0;
        if (!flash_block_span(p, e - 1, 1, &block, &span) || im->extents[j].start >= block + span) break;
        if (im->extents[j].end > e) e = im->extents[j].end;
    }
    e = (e + unit - 1) / unit * unit;
    if ((uint64_t)(e - im->origin) > im->capacity) e = im->origin + (uint32_t)im->capacity;
    *start = s;
    *end = e;
    return j;
}

size_t flash_image_size(const probe_session *p, const flash_image *im)
{
    flash_image sorted = *im; /* the extents are sorted in place: harmless, they are a set */
    sort_extents(&sorted);
    size_t total = 0;
    for (unsigned i = 0; i < sorted.count;) {
        uint32_t start, end;
        i = next_run(p, &sorted, i, &start, &end);
        total += end - start;
    }
    return total;
}

void flash_image_clear(flash_image *im)
{
    /* Only the extents ever hold anything but 0xFF. */
    for (unsigned i = 0; i < im->count; i++)
        memset(im->buffer + (im->extents[i].start - im->origin), 0xFF, im->extents[i].end - im->extents[i].start);
    im->count = 0;
}

bmp_status flash_image_write(probe_session *p, flash_image *im, const flash_ram *ram, bool verify,
                             flash_progress progress, void *ctx)
{
    bmp_status s = BMP_OK;
    sort_extents(im);
    for (unsigned i = 0; i < im->count && s == BMP_OK; i++)
        if (!flash_contains(p, im->extents[i].start, im->extents[i].end - im->extents[i].start))
            s = p->attached < 0 ? BMP_ERR_NOT_ATTACHED : BMP_ERR_FLASH_OUTSIDE;
    flash_progress_from offset = {progress, ctx, 0, flash_image_size(p, im)};
    if (s == BMP_OK && progress) progress(ctx, 0, offset.total);
    for (unsigned i = 0; i < im->count && s == BMP_OK;) {
        uint32_t start, end;
        i = next_run(p, im, i, &start, &end);
        s = flash_write(p, start, im->buffer + (start - im->origin), end - start, ram, verify,
                        progress ? flash_progress_after : 0, &offset);
        offset.before += end - start;
    }
    flash_image_clear(im);
    return s;
}
