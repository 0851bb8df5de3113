/* The bootloader's decision and the image trailer (dfu_boot.h). */
#include "dfu/dfu_boot.h"

#include "common/bytes.h"
#include "flash/crc32.h"

#define VECTOR_TABLE_MIN 0x40u /* 16 system vectors: the trailer comes after them */

bool dfu_trailer_read(const uint8_t *app, uint32_t app_size, dfu_trailer *t)
{
    if (app_size < VECTOR_TABLE_MIN + DFU_TRAILER_SIZE) return false;
    uint32_t offset = get_le32(&app[DFU_TRAILER_VECTOR * 4u]);
    if (offset < VECTOR_TABLE_MIN || offset % 4u || offset > app_size - DFU_TRAILER_SIZE) return false;
    const uint8_t *p = &app[offset];
    t->magic = get_le32(p);
    t->length = get_le32(p + 4);
    t->board_tag = get_le32(p + 8);
    t->crc = get_le32(p + 12);
    return t->magic == DFU_TRAILER_MAGIC && t->length == offset;
}

uint32_t dfu_trailer_crc(const uint8_t *app, const dfu_trailer *t)
{
    return crc32_gdb(CRC32_GDB_INITIAL, app, t->length + 12u);
}

uint32_t dfu_board_tag(const char *name)
{
    uint32_t crc = CRC32_GDB_INITIAL;
    for (; *name; name++) crc = crc32_gdb(crc, (const uint8_t *)name, 1);
    return crc;
}

dfu_boot_decision dfu_boot_decide(const dfu_boot_inputs *in)
{
    if (in->request == DFU_BOOT_REQUEST) return DFU_BOOT_STAY_REQUESTED;
    if (in->button) return DFU_BOOT_STAY_BUTTON;
    if (in->app_size < VECTOR_TABLE_MIN + DFU_TRAILER_SIZE) return DFU_BOOT_STAY_NO_TRAILER;
    uint32_t sp = get_le32(&in->app[0]), reset = get_le32(&in->app[4]);
    if (sp % 4u || sp <= in->ram_base || sp - in->ram_base > in->ram_size) return DFU_BOOT_STAY_NO_STACK;
    dfu_trailer t;
    bool found = dfu_trailer_read(in->app, in->app_size, &t);
    /* Without a trailer the image's end is unknown: the reset vector must be in the region. */
    uint32_t image_end = found ? t.length : in->app_size;
    uint32_t entry = reset & ~1u;
    if (!(reset & 1u) || entry < in->app_base || entry - in->app_base >= image_end) return DFU_BOOT_STAY_NO_RESET;
    if (!found) return DFU_BOOT_STAY_NO_TRAILER;
    if (t.board_tag != in->board_tag) return DFU_BOOT_STAY_OTHER_BOARD;
    if (dfu_trailer_crc(in->app, &t) != t.crc) return DFU_BOOT_STAY_BAD_CRC;
    return DFU_BOOT_APPLICATION;
}

const char *dfu_boot_decision_name(dfu_boot_decision decision)
{
    switch (decision) {
    case DFU_BOOT_APPLICATION: return "application";
    case DFU_BOOT_STAY_REQUESTED: return "stay: boot request";
    case DFU_BOOT_STAY_BUTTON: return "stay: button";
    case DFU_BOOT_STAY_NO_STACK: return "stay: no initial stack pointer in RAM";
    case DFU_BOOT_STAY_NO_RESET: return "stay: no reset vector in the image";
    case DFU_BOOT_STAY_NO_TRAILER: return "stay: no trailer";
    case DFU_BOOT_STAY_OTHER_BOARD: return "stay: image for another board";
    case DFU_BOOT_STAY_BAD_CRC: return "stay: CRC mismatch";
    }
    return "unknown";
}
