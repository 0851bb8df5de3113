/* A tiny ELF32 little-endian loader for native tests: the PT_LOAD segments of a file, and
 * symbol look-up by name. Test code only (header-only, static functions). */
#ifndef ELF_LOAD_H
#define ELF_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELF_MAX_SEGMENTS 8

typedef struct {
    uint32_t paddr, vaddr, filesz, memsz;
    const uint8_t *data;
} elf_segment;

typedef struct {
    uint8_t *file;
    size_t size;
    uint32_t entry;
    unsigned count;
    elf_segment segments[ELF_MAX_SEGMENTS];
} elf_image;

static inline uint32_t elf_u32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint16_t elf_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static inline void elf_free(elf_image *image)
{
    free(image->file);
    image->file = NULL;
}

static inline bool elf_load_file(const char *path, elf_image *image)
{
    memset(image, 0, sizeof *image);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    image->file = malloc(size > 0 ? (size_t)size : 1);
    image->size = size > 0 ? (size_t)size : 0;
    bool ok = image->file && fread(image->file, 1, image->size, f) == image->size;
    fclose(f);
    const uint8_t *b = image->file;
    if (!ok || image->size < 52 || memcmp(b, "\x7f" "ELF\x01\x01", 6) != 0) {
        elf_free(image);
        return false;
    }
    image->entry = elf_u32(b + 24);
    uint32_t phoff = elf_u32(b + 28), phentsize = elf_u16(b + 42), phnum = elf_u16(b + 44);
    for (uint32_t i = 0; i < phnum; i++) {
        const uint8_t *ph = b + phoff + i * phentsize;
        if (phoff + (i + 1) * phentsize > image->size) break;
        if (elf_u32(ph) != 1 || elf_u32(ph + 20) == 0 || image->count == ELF_MAX_SEGMENTS) continue;
        elf_segment *s = &image->segments[image->count++];
        uint32_t offset = elf_u32(ph + 4);
        s->vaddr = elf_u32(ph + 8);
        s->paddr = elf_u32(ph + 12);
        s->filesz = elf_u32(ph + 16);
        s->memsz = elf_u32(ph + 20);
        if (offset + s->filesz > image->size) {
            elf_free(image);
            return false;
        }
        s->data = b + offset;
    }
    return true;
}

/* Value of a symbol, or 0 if absent. */
static inline uint32_t elf_symbol(const elf_image *image, const char *name)
{
    const uint8_t *b = image->file;
    uint32_t shoff = elf_u32(b + 32), shentsize = elf_u16(b + 46), shnum = elf_u16(b + 48);
    for (uint32_t i = 0; i < shnum; i++) {
        const uint8_t *sh = b + shoff + i * shentsize;
        if (elf_u32(sh + 4) != 2) continue; /* SHT_SYMTAB */
        const uint8_t *str = b + shoff + elf_u32(sh + 24) * shentsize;
        const char *strtab = (const char *)b + elf_u32(str + 16);
        uint32_t off = elf_u32(sh + 16), size = elf_u32(sh + 20);
        for (uint32_t s = off; s + 16 <= off + size; s += 16)
            if (strcmp(strtab + elf_u32(b + s), name) == 0) return elf_u32(b + s + 4);
    }
    return 0;
}

#endif
