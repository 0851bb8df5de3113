#include "families/parts.h"

#include "gdb/hex.h" /* the memory map is GDB's XML */

const uint32_t part_idcode_addresses[2] = {0xE0042000u, 0x5C001000u};

#define KIB(n) ((uint32_t)(n) * 1024u)

static void add(part_info *info, part_memory_kind kind, uint32_t start, uint32_t length, uint32_t block)
{
    if (info->memory_count < PART_MAX_MEMORIES)
        info->memories[info->memory_count++] = (part_memory){kind, start, length, block};
}

uint32_t part_flash_size_register(uint16_t dev_id)
{
    switch (dev_id) {
    case 0x410: return 0x1FFFF7E0u; /* RM0008 30.1 */
    case 0x413: return 0x1FFF7A22u; /* RM0090 39.2 */
    case 0x450: return 0x1FF1E880u; /* RM0433 61.2 */
    case 0x452: return 0x1FF07A22u; /* RM0431 (FACTS.md) */
    default: return 0;
    }
}

/* What every Cortex-M part has: the peripheral region of the architecture's memory map
 * (0x40000000-0x5FFFFFFF) and the Private Peripheral Bus (SCS, DWT, FPB, ITM, DBGMCU on ST's
 * F1/F4), so that `x/x 0x40023800` or `set *(unsigned *)0xE000ED08 = ...` work in GDB without
 * `set mem inaccessible-by-default off`. */
static void add_system_regions(part_info *info)
{
    add(info, PART_MEMORY_DEVICE, 0x40000000u, 0x20000000u, 0);
    add(info, PART_MEMORY_DEVICE, 0xE0000000u, 0x00100000u, 0);
}

bool part_identify(uint16_t dev_id, uint32_t flash_kib, part_info *info)
{
    info->memory_count = 0;
    info->dev_id = dev_id;
    switch (dev_id) {
    case 0x410: /* STM32F101/102/103 medium density: 1 KiB pages */
        info->name = "STM32F1 medium density";
        add(info, PART_MEMORY_FLASH, 0x08000000u, KIB(flash_kib ? flash_kib : 128), KIB(1));
        /* RM0008: system memory 0x1FFFF000, ID registers from 0x1FFFF7E0, option bytes 0x1FFFF800 */
        add(info, PART_MEMORY_ROM, 0x1FFFF000u, 0x810u, 0);
        add(info, PART_MEMORY_RAM, 0x20000000u, KIB(20), 0);
        add_system_regions(info);
        return true;
    case 0x413: { /* STM32F405/407/415/417: sectors 4×16 KiB, 1×64 KiB, then 128 KiB */
        uint32_t total = KIB(flash_kib ? flash_kib : 1024);
        info->name = "STM32F40x/41x";
        add(info, PART_MEMORY_FLASH, 0x08000000u, KIB(64), KIB(16));
        add(info, PART_MEMORY_FLASH, 0x08010000u, KIB(64), KIB(64));
        if (total > KIB(128)) add(info, PART_MEMORY_FLASH, 0x08020000u, total - KIB(128), KIB(128));
        add(info, PART_MEMORY_RAM, 0x10000000u, KIB(64), 0); /* CCM */
        /* RM0090: system memory 0x1FFF0000 (30 KiB), OTP 0x1FFF7800, unique ID 0x1FFF7A10, flash
         * size 0x1FFF7A22; option bytes 0x1FFFC000 */
        add(info, PART_MEMORY_ROM, 0x1FFF0000u, 0x7A24u, 0);
        add(info, PART_MEMORY_ROM, 0x1FFFC000u, 0x10u, 0);
        add(info, PART_MEMORY_RAM, 0x20000000u, KIB(128), 0);
        add_system_regions(info);
        add(info, PART_MEMORY_DEVICE, 0xA0000000u, 0x1000u, 0); /* FSMC control registers */
        return true;
    }
    case 0x452: { /* STM32F722/723/732/733: sectors 4×16 KiB, 1×64 KiB, then 128 KiB */
        uint32_t total = KIB(flash_kib ? flash_kib : 512);
        info->name = "STM32F72x/73x";
        add(info, PART_MEMORY_RAM, 0x00000000u, KIB(16), 0); /* ITCM RAM */
        add(info, PART_MEMORY_FLASH, 0x08000000u, KIB(64), KIB(16));
        add(info, PART_MEMORY_FLASH, 0x08010000u, KIB(64), KIB(64));
        if (total > KIB(128)) add(info, PART_MEMORY_FLASH, 0x08020000u, total - KIB(128), KIB(128));
        /* RM0431: system memory from 0x1FF00000, OTP, unique ID 0x1FF07A10, flash size 0x1FF07A22 */
        add(info, PART_MEMORY_ROM, 0x1FF00000u, 0x7A24u, 0);
        add(info, PART_MEMORY_RAM, 0x20000000u, KIB(256), 0); /* DTCM 64, SRAM1 176, SRAM2 16 KiB */
        add_system_regions(info);
        return true;
    }
    case 0x450: /* STM32H742/743/750/753: two banks of 128 KiB sectors (the H750: one sector) */
        info->name = "STM32H74x/75x";
        add(info, PART_MEMORY_RAM, 0x00000000u, KIB(64), 0);  /* ITCM */
        add(info, PART_MEMORY_FLASH, 0x08000000u, KIB(flash_kib ? flash_kib : 2048), KIB(128));
        /* RM0433: system memory 0x1FF00000, unique ID 0x1FF1E800, flash size 0x1FF1E880 */
        add(info, PART_MEMORY_ROM, 0x1FF00000u, KIB(128), 0);
        add(info, PART_MEMORY_RAM, 0x20000000u, KIB(128), 0); /* DTCM */
        add(info, PART_MEMORY_RAM, 0x24000000u, KIB(512), 0); /* AXI SRAM */
        add(info, PART_MEMORY_RAM, 0x30000000u, KIB(288), 0); /* SRAM1-3 */
        add(info, PART_MEMORY_RAM, 0x38000000u, KIB(64), 0);  /* SRAM4 */
        add_system_regions(info);                             /* DBGMCU at 0x5C001000 included */
        return true;
    default:
        info->name = "unknown";
        return false;
    }
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
