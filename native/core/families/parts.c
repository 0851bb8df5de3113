#include "families/parts.h"

#include "families/family.h"

#include "gdb/hex.h" /* the memory map is GDB's XML */

void part_add(part_info *info, part_memory_kind kind, uint32_t start, uint32_t length, uint32_t block)
{
    if (info->memory_count < PART_MAX_MEMORIES)
        info->memories[info->memory_count++] = (part_memory){kind, start, length, block};
}

/* What every Cortex-M part has: the peripheral region of the architecture's memory map
 * (0x40000000-0x5FFFFFFF) and the Private Peripheral Bus (SCS, DWT, FPB, ITM, DBGMCU on ST's
 * F1/F4), so that `x/x 0x40023800` or `set *(unsigned *)0xE000ED08 = ...` work in GDB without
 * `set mem inaccessible-by-default off`. */
void part_add_system_regions(part_info *info)
{
    part_add(info, PART_MEMORY_DEVICE, 0x40000000u, 0x20000000u, 0);
    part_add(info, PART_MEMORY_DEVICE, 0xE0000000u, 0x00100000u, 0);
}

bool part_holds(const part_info *info, unsigned kinds, uint32_t addr, uint32_t length)
{
    if (length == 0) return false;
    uint64_t at = addr, end = (uint64_t)addr + length;
    while (at < end) {
        bool found = false;
        for (unsigned i = 0; i < info->memory_count && !found; i++) {
            const part_memory *m = &info->memories[i];
            if ((kinds & PART_KIND(m->kind)) && at >= m->start && at - m->start < m->length) {
                at = (uint64_t)m->start + m->length;
                found = true;
            }
        }
        if (!found) return false;
    }
    return true;
}

bool part_identify(uint16_t dev_id, uint32_t flash_kib, part_info *info)
{
    for (const target_family *const *f = target_families; *f; f++) {
        *info = (part_info){0};
        if ((*f)->part_by_dev_id && (*f)->part_by_dev_id(dev_id, flash_kib, info)) return true;
    }
    info->name = "unknown";
    return false;
}

uint32_t part_flash_size_register(uint16_t dev_id)
{
    for (const target_family *const *f = target_families; *f; f++) {
        uint32_t a = (*f)->flash_size_register ? (*f)->flash_size_register(dev_id) : 0;
        if (a) return a;
    }
    return 0;
}

/* A small bounded writer: appends text and hex numbers, remembers overflow. */
typedef struct {
    char *out;
    size_t capacity, length;
    bool overflow;
} writer;

static void put(writer *w, const char *s)
{
    while (*s) {
        if (w->length + 1 >= w->capacity) {
            w->overflow = true;
            return;
        }
        w->out[w->length++] = *s++;
    }
    w->out[w->length] = 0;
}

static void put_hex(writer *w, uint32_t v)
{
    char buf[11] = "0x";
    hex_format_u32(v, 0, buf + 2);
    put(w, buf);
}

/* The pieces of the memory map, sized below against PART_MEMORY_MAP_XML_MAX. */
static const char map_head[] = "<?xml version=\"1.0\"?>\n<!DOCTYPE memory-map PUBLIC \"+//IDN gnu.org//DTD GDB Memory Map V1.0//EN\""
                               " \"http://sourceware.org/gdb/gdb-memory-map.dtd\">\n<memory-map>\n";
static const char map_flash[] = "  <memory type=\"flash\" start=\"";
static const char map_ram[] = "  <memory type=\"ram\" start=\"";
static const char map_rom[] = "  <memory type=\"rom\" start=\"";
static const char map_length[] = "\" length=\"";
static const char map_block[] = "\">\n    <property name=\"blocksize\">";
static const char map_flash_end[] = "</property>\n  </memory>\n";
static const char map_ram_end[] = "\"/>\n";
static const char map_tail[] = "</memory-map>\n";

/* Every region a flash one (the longer kind), every number "0x" and 8 digits, the terminator. */
#define HEX_NUMBER 10u
BMP_STATIC_ASSERT(sizeof map_head - 1 +
                          PART_MAX_MEMORIES * (sizeof map_flash - 1 + HEX_NUMBER + sizeof map_length - 1 + HEX_NUMBER +
                                               sizeof map_block - 1 + HEX_NUMBER + sizeof map_flash_end - 1) +
                          sizeof map_tail <=
                      PART_MEMORY_MAP_XML_MAX,
                  "PART_MEMORY_MAP_XML_MAX must hold the longest memory map");
BMP_STATIC_ASSERT(sizeof map_ram <= sizeof map_flash && sizeof map_rom <= sizeof map_flash && sizeof map_ram_end <= sizeof map_block + HEX_NUMBER + sizeof map_flash_end,
                  "a RAM region is the shorter kind");

size_t part_memory_map_xml(const part_info *info, char *out, size_t capacity)
{
    writer w = {out, capacity, 0, capacity == 0};
    if (capacity) out[0] = 0;
    put(&w, map_head);
    for (unsigned i = 0; i < info->memory_count; i++) {
        const part_memory *m = &info->memories[i];
        /* GDB knows ram, rom and flash; peripherals are memory it may read and write. */
        put(&w, m->kind == PART_MEMORY_FLASH ? map_flash : m->kind == PART_MEMORY_ROM ? map_rom : map_ram);
        put_hex(&w, m->start);
        put(&w, map_length);
        put_hex(&w, m->length);
        if (m->kind == PART_MEMORY_FLASH) {
            put(&w, map_block);
            put_hex(&w, m->block_size);
            put(&w, map_flash_end);
        } else {
            put(&w, map_ram_end);
        }
    }
    put(&w, map_tail);
    return w.overflow ? 0 : w.length;
}
