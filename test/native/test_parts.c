/* Part identification, GDB's memory map and target description: content and bounds. */
#include <string.h>

#include "check.h"
#include "cortexm/description.h"
#include "families/family.h"
#include "families/parts.h"

static void test_identify(void)
{
    part_info info;
    CHECK(part_identify(0x413, 512, &info));
    uint32_t flash = 0;
    for (unsigned i = 0; i < info.memory_count; i++)
        if (info.memories[i].kind == PART_MEMORY_FLASH) flash += info.memories[i].length;
    CHECK_EQ(flash, 512 * 1024);
    CHECK(part_identify(0x410, 0, &info));
    CHECK_EQ(info.memories[0].length, 128 * 1024); /* default when the size register is unknown */
    CHECK_EQ(info.memories[0].block_size, 1024);
    CHECK(!part_identify(0x999, 0, &info));
    CHECK_EQ(part_flash_size_register(0x450), 0x1FF1E880);
}

/* The flash's erase blocks as (start, size) pairs, in address order. */
static unsigned blocks_of(const part_info *info, uint32_t *starts, uint32_t *sizes, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < info->memory_count; i++) {
        const part_memory *m = &info->memories[i];
        for (uint32_t at = m->start; m->kind == PART_MEMORY_FLASH && at < m->start + m->length && n < max; at += m->block_size) {
            starts[n] = at;
            sizes[n++] = m->block_size;
        }
    }
    return n;
}

/* STM32F72x (DEV_ID 0x452): 4 x 16 KiB, 64 KiB, 3 x 128 KiB on the 512 KiB part; the H750 is
 * the H743's DEV_ID with a 128 KiB flash-size register: one sector. */
static void test_f72x_and_h750(void)
{
    part_info info;
    uint32_t starts[16], sizes[16];
    CHECK_EQ(part_flash_size_register(0x452), 0x1FF07A22);
    CHECK(part_identify(0x452, 512, &info));
    CHECK(strcmp(info.name, "STM32F72x/73x") == 0);
    CHECK_EQ(blocks_of(&info, starts, sizes, 16), 8);
    static const uint32_t want[8] = {0x08000000, 0x08004000, 0x08008000, 0x0800C000,
                                     0x08010000, 0x08020000, 0x08040000, 0x08060000};
    for (unsigned i = 0; i < 8; i++) CHECK_EQ(starts[i], want[i]);
    CHECK_EQ(sizes[4], 0x10000);
    CHECK_EQ(sizes[7], 0x20000);
    bool dtcm = false;
    for (unsigned i = 0; i < info.memory_count; i++)
        dtcm |= info.memories[i].kind == PART_MEMORY_RAM && info.memories[i].start == 0x20000000 &&
                info.memories[i].length == 256 * 1024;
    CHECK(dtcm);
    CHECK(part_identify(0x452, 256, &info)); /* the 256 KiB parts: one 128 KiB sector */
    CHECK_EQ(blocks_of(&info, starts, sizes, 16), 6);
    CHECK(part_identify(0x450, 128, &info));
    CHECK_EQ(blocks_of(&info, starts, sizes, 16), 1);
    CHECK_EQ(sizes[0], 128 * 1024);
}

/* The L47x/48x's bank 2 starts halfway through the flash on every size (RM0351): 0x08080000 on
 * 1 MiB, 0x08040000 on 512 KiB, 0x08020000 on 256 KiB. A page of bank 2 is erased with BKER and
 * its number within the bank; bank 2 as a whole with MER2, bank 1 with MER1. */
static void test_l4_banks_by_size(void)
{
    static const uint32_t kib[] = {1024, 512, 256};
    for (unsigned k = 0; k < 3; k++) {
        probe_session p = {0};
        CHECK(part_identify(0x415, kib[k], &p.part));
        p.part_known = true;
        const family_flash *f = p.part.family->flash;
        uint32_t bank2 = 0x08000000u + kib[k] * 512u, start = 0, end = 0;
        f->bank(&p, f, bank2 - 1, &start, &end);
        CHECK_EQ(start, 0x08000000u);
        CHECK_EQ(end, bank2);
        f->bank(&p, f, bank2, &start, &end);
        CHECK_EQ(start, bank2);
        CHECK_EQ(end, 0x08000000u + kib[k] * 1024u);
        flash_loader_erase e = f->loader_erase(f, bank2, bank2 + 0x800, 1); /* bank 2's page 1 */
        CHECK_EQ(e.writes[1][1], (1u << 16) | (1u << 11) | (1u << 3) | (1u << 1)); /* STRT, BKER, PNB 1, PER */
        e = f->loader_erase(f, 0x08000000u, bank2 - 0x800, kib[k] / 4 - 1); /* bank 1's last page */
        CHECK_EQ(e.writes[1][1], (1u << 16) | ((kib[k] / 4 - 1) << 3) | (1u << 1));
        e = f->loader_bank_erase(f, bank2);
        CHECK_EQ(e.writes[1][1], (1u << 16) | (1u << 15)); /* STRT, MER2 */
        e = f->loader_bank_erase(f, 0x08000000u);
        CHECK_EQ(e.writes[1][1], (1u << 16) | (1u << 2)); /* STRT, MER1 */
    }
}

/* The F1's densities and the F100 value line by DEV_ID (RM0008, RM0041): flash and page size,
 * the largest SRAM of the density (identify() keeps it if it answers), where the system memory
 * starts; the XL parts' two banks,
 * each erased through its own registers (bank 2's 0x40 above bank 1's). */
static void test_f1_densities(void)
{
    static const struct {
        uint16_t dev_id;
        uint32_t kib, page, sram_kib, system;
    } cases[] = {
        {0x412, 32, 1024, 10, 0x1FFFF000u},  {0x410, 64, 1024, 20, 0x1FFFF000u}, {0x414, 256, 2048, 64, 0x1FFFF000u},
        {0x430, 1024, 2048, 96, 0x1FFFE000u}, {0x418, 256, 2048, 64, 0x1FFFB000u}, {0x420, 128, 1024, 8, 0x1FFFF000u},
        {0x428, 512, 2048, 32, 0x1FFFF000u},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        part_info info;
        CHECK(part_identify(cases[i].dev_id, cases[i].kib, &info));
        CHECK(strcmp(info.family->name, "STM32F1") == 0);
        CHECK_EQ(part_flash_size_register(cases[i].dev_id), 0x1FFFF7E0u);
        CHECK(info.memories[0].kind == PART_MEMORY_FLASH && info.memories[0].start == 0x08000000u);
        CHECK_EQ(info.memories[0].length, cases[i].kib * 1024);
        CHECK_EQ(info.memories[0].block_size, cases[i].page);
        CHECK(info.memories[1].kind == PART_MEMORY_ROM && info.memories[1].start == cases[i].system);
        CHECK_EQ(info.memories[1].start + info.memories[1].length, 0x1FFFF810u); /* the option bytes included */
        CHECK(info.memories[2].kind == PART_MEMORY_RAM && info.memories[2].length == cases[i].sram_kib * 1024);
    }
    probe_session p = {0};
    CHECK(part_identify(0x430, 768, &p.part));
    p.part_known = true;
    const family_flash *f = p.part.family->flash;
    uint32_t start = 0, end = 0;
    f->bank(&p, f, 0x0807F800u, &start, &end);
    CHECK(start == 0x08000000u && end == 0x08080000u);
    f->bank(&p, f, 0x08080000u, &start, &end);
    CHECK(start == 0x08080000u && end == 0x080C0000u);
    flash_loader_erase e = f->loader_erase(f, 0x08080000u, 0x08080800u, 1);
    CHECK(e.writes[0][0] == 0x40022050u && e.writes[1][0] == 0x40022054u && e.writes[1][1] == 0x08080800u); /* CR2, AR2 */
    e = f->loader_bank_erase(f, 0x08080000u);
    CHECK(e.writes[1][0] == 0x40022050u && e.writes[1][1] == ((1u << 2) | (1u << 6))); /* CR2: MER, STRT */
    e = f->loader_bank_erase(f, 0x08000000u);
    CHECK(e.writes[1][0] == 0x40022010u);
    CHECK(part_identify(0x411, 128, &p.part) && strcmp(p.part.family->name, "STM32F1") != 0); /* the F2's */
}

/* The F0 (RM0091) and F3 (RM0316, RM0313) lines by DEV_ID: their own families, the flash-size
 * register at 0x1FFFF7CC, flash, page, the largest SRAM of the line and the system memory; the
 * F1's controller (bank erase through CR at 0x40022010). */
static void test_f0_f3_lines(void)
{
    static const struct {
        uint16_t dev_id;
        const char *family;
        uint32_t kib, page, sram_kib, system;
    } cases[] = {
        {0x444, "STM32F0", 32, 1024, 4, 0x1FFFEC00u},  {0x445, "STM32F0", 32, 1024, 6, 0x1FFFC400u},
        {0x440, "STM32F0", 64, 1024, 8, 0x1FFFEC00u},  {0x448, "STM32F0", 128, 2048, 16, 0x1FFFC800u},
        {0x442, "STM32F0", 256, 2048, 32, 0x1FFFD800u}, {0x422, "STM32F3", 256, 2048, 40, 0x1FFFD800u},
        {0x438, "STM32F3", 64, 2048, 12, 0x1FFFD800u},  {0x439, "STM32F3", 64, 2048, 16, 0x1FFFD800u},
        {0x446, "STM32F3", 512, 2048, 64, 0x1FFFD800u}, {0x432, "STM32F3", 256, 2048, 32, 0x1FFFD800u},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        part_info info;
        CHECK(part_identify(cases[i].dev_id, 0, &info));
        CHECK(strcmp(info.family->name, cases[i].family) == 0);
        CHECK_EQ(part_flash_size_register(cases[i].dev_id), 0x1FFFF7CCu);
        CHECK(info.memories[0].kind == PART_MEMORY_FLASH && info.memories[0].start == 0x08000000u);
        CHECK_EQ(info.memories[0].length, cases[i].kib * 1024);
        CHECK_EQ(info.memories[0].block_size, cases[i].page);
        CHECK(info.memories[1].kind == PART_MEMORY_ROM && info.memories[1].start == cases[i].system);
        CHECK_EQ(info.memories[1].start + info.memories[1].length, 0x1FFFF810u);
        CHECK(info.memories[2].kind == PART_MEMORY_RAM && info.memories[2].length == cases[i].sram_kib * 1024);
        const family_flash *f = info.family->flash;
        CHECK_EQ(f->unit, 2);
        CHECK_EQ(f->loader_bank_erase(f, 0x08000000u).writes[1][0], 0x40022010u);
    }
}

/* The single-bank F4 lines and the F2 (RM0033, RM0090, RM0368, RM0383, RM0390, RM0401, RM0402,
 * RM0430) by DEV_ID: the F4's controller and sectors (4 x 16 KiB, 64 KiB, then 128 KiB), the
 * flash-size register at 0x1FFF7A22, the SRAM, the CCM RAM of the F40x only. */
static void test_f4_lines(void)
{
    static const struct {
        uint16_t dev_id;
        uint32_t kib, sram_kib, ccm_kib;
    } cases[] = {
        {0x411, 1024, 128, 0}, {0x413, 1024, 128, 64}, {0x423, 256, 64, 0}, {0x433, 512, 96, 0}, {0x431, 512, 128, 0},
        {0x421, 512, 128, 0},  {0x458, 128, 32, 0},    {0x441, 1024, 256, 0}, {0x463, 1536, 320, 0},
        {0x419, 2048, 192, 64}, {0x434, 2048, 320, 64},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        part_info info;
        CHECK(part_identify(cases[i].dev_id, 0, &info));
        CHECK(strcmp(info.family->name, "STM32F2/F4/F7") == 0);
        CHECK_EQ(part_flash_size_register(cases[i].dev_id), 0x1FFF7A22u);
        uint32_t flash = 0, sram = 0, ccm = 0, last_block = 0;
        for (unsigned m = 0; m < info.memory_count; m++) {
            const part_memory *r = &info.memories[m];
            if (r->kind == PART_MEMORY_FLASH) flash += r->length, last_block = r->block_size;
            if (r->kind == PART_MEMORY_RAM && r->start == 0x20000000u) sram = r->length;
            if (r->kind == PART_MEMORY_RAM && r->start == 0x10000000u) ccm = r->length;
        }
        CHECK_EQ(flash, cases[i].kib * 1024);
        CHECK_EQ(last_block, cases[i].kib > 128 ? 0x20000u : 0x10000u);
        CHECK(info.memories[0].start == 0x08000000u && info.memories[0].block_size == 0x4000u);
        CHECK_EQ(sram, cases[i].sram_kib * 1024);
        CHECK_EQ(ccm, cases[i].ccm_kib * 1024);
        CHECK_EQ(info.family->flash->unit, 4);
    }
    part_info info;
    CHECK(part_identify(0x431, 256, &info)); /* an F411xC: the size register says 256 KiB */
    CHECK_EQ(info.memories[2].start + info.memories[2].length, 0x08040000u);
    /* the 2 MiB F42x: two banks, bank 2's sectors (12-23) are SNB 16-27; MER and MER1 */
    probe_session p = {0};
    CHECK(part_identify(0x419, 2048, &p.part));
    p.part_known = true;
    const family_flash *f = p.part.family->flash;
    uint32_t start = 0, end = 0;
    f->bank(&p, f, 0x080FFFFCu, &start, &end);
    CHECK(start == 0x08000000u && end == 0x08100000u);
    f->bank(&p, f, 0x08100000u, &start, &end);
    CHECK(start == 0x08100000u && end == 0x08200000u);
    CHECK(p.part.memories[3].start == 0x08100000u && p.part.memories[3].block_size == 0x4000u);
    flash_loader_erase e = f->loader_erase(f, 0x08100000u, 0x08110000u, 4); /* sector 16, the 64 KiB one */
    CHECK_EQ(e.writes[1][1], (1u << 1) | (20u << 3) | (2u << 8) | (1u << 16));
    e = f->loader_erase(f, 0x08000000u, 0x08010000u, 4);
    CHECK_EQ(e.writes[1][1], (1u << 1) | (4u << 3) | (2u << 8) | (1u << 16));
    /* the 1 MiB F42x (DB1M clear) and the single-bank lines: one bank */
    CHECK(part_identify(0x419, 1024, &p.part));
    f->bank(&p, f, 0x080FFFFCu, &start, &end);
    CHECK(start == 0x08000000u && end == 0x08100000u);
}

/* The L4 (RM0351, RM0394), G4 (RM0440) and G0 (RM0444, RM0454) lines by DEV_ID: their family,
 * the flash-size register at 0x1FFF75E0, flash, SRAM at 0x20000000 and SRAM2 (G4: CCM SRAM) at
 * 0x10000000; one bank or two (bank 2 from half the flash: page numbers again from 0 with BKER,
 * MER2). */
static void test_l4_g4_g0_lines(void)
{
    static const struct {
        uint16_t dev_id;
        const char *family;
        uint32_t kib, sram_kib, sram2_kib;
        bool dual;
    } cases[] = {
        {0x415, "STM32L4", 1024, 96, 32, true},   {0x461, "STM32L4", 1024, 320, 64, true},
        {0x435, "STM32L4", 256, 64, 16, false},   {0x462, "STM32L4", 512, 160, 32, false},
        {0x464, "STM32L4", 128, 40, 8, false},    {0x468, "STM32G4", 128, 32, 10, false},
        {0x469, "STM32G4", 512, 128, 32, true},   {0x479, "STM32G4", 512, 112, 16, false},
        {0x460, "STM32G0", 128, 36, 0, false},    {0x466, "STM32G0", 64, 8, 0, false},
        {0x456, "STM32G0", 64, 18, 0, false},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        probe_session p = {0};
        CHECK(part_identify(cases[i].dev_id, 0, &p.part));
        p.part_known = true;
        CHECK(strcmp(p.part.family->name, cases[i].family) == 0);
        CHECK_EQ(part_flash_size_register(cases[i].dev_id), 0x1FFF75E0u);
        uint32_t sram = 0, sram2 = 0, flash = 0, regions = 0;
        for (unsigned m = 0; m < p.part.memory_count; m++) {
            const part_memory *r = &p.part.memories[m];
            if (r->kind == PART_MEMORY_RAM && r->start == 0x20000000u) sram = r->length;
            if (r->kind == PART_MEMORY_RAM && r->start == 0x10000000u) sram2 = r->length;
            if (r->kind != PART_MEMORY_FLASH) continue;
            flash += r->length, regions++;
            CHECK_EQ(r->block_size, 2048u);
        }
        CHECK(p.part.memories[0].start == 0x08000000u && flash == cases[i].kib * 1024);
        CHECK_EQ(regions, cases[i].dual ? 2u : 1u); /* a bank a region */
        CHECK_EQ(sram, cases[i].sram_kib * 1024);
        CHECK_EQ(sram2, cases[i].sram2_kib * 1024);
        const family_flash *f = p.part.family->flash;
        uint32_t half = 0x08000000u + cases[i].kib * 512, start = 0, end = 0;
        if (f->bank) f->bank(&p, f, half, &start, &end);
        else start = 0x08000000u, end = 0x08000000u + cases[i].kib * 1024;
        CHECK_EQ(start, cases[i].dual ? half : 0x08000000u);
        flash_loader_erase e = f->loader_erase(f, start, half, (half - start) / 2048); /* the page at half */
        CHECK_EQ(e.writes[1][1] & ((1u << 11) | (0xFFu << 3)), cases[i].dual ? (1u << 11) : ((half - 0x08000000u) / 2048) << 3);
    }
}

static void test_memory_map_xml(void)
{
    part_info info;
    char xml[2048];
    CHECK(part_identify(0x410, 64, &info));
    size_t n = part_memory_map_xml(&info, xml, sizeof xml);
    CHECK(n > 0 && n == strlen(xml));
    CHECK(strstr(xml, "<memory type=\"flash\" start=\"0x8000000\" length=\"0x10000\">") != NULL);
    CHECK(strstr(xml, "<property name=\"blocksize\">0x400</property>") != NULL);
    CHECK(strstr(xml, "<memory type=\"ram\" start=\"0x20000000\" length=\"0x5000\"/>") != NULL);
    CHECK_EQ(part_memory_map_xml(&info, xml, 100), 0); /* does not fit: nothing claimed */
    CHECK_EQ(part_memory_map_xml(&info, xml, 0), 0);
}

static void test_target_xml(void)
{
    char xml[8192];
    size_t plain = cortexm_target_xml(false, xml, sizeof xml);
    CHECK(plain > 0 && strstr(xml, "org.gnu.gdb.arm.m-profile") && !strstr(xml, "arm.vfp"));
    size_t with_fpu = cortexm_target_xml(true, xml, sizeof xml);
    CHECK(with_fpu > plain && strstr(xml, "<reg name=\"d15\"") && strstr(xml, "</target>"));
    CHECK_EQ(cortexm_target_xml(true, xml, 200), 0);
}

int main(void)
{
    RUN(test_identify);
    RUN(test_f72x_and_h750);
    RUN(test_l4_banks_by_size);
    RUN(test_f1_densities);
    RUN(test_f0_f3_lines);
    RUN(test_f4_lines);
    RUN(test_l4_g4_g0_lines);
    RUN(test_memory_map_xml);
    RUN(test_target_xml);
    return CHECK_SUMMARY();
}
