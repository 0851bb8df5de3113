/* Part identification, GDB's memory map and target description: content and bounds. */
#include "check.h"
#include "target/description.h"
#include "target/parts.h"

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
    RUN(test_memory_map_xml);
    RUN(test_target_xml);
    return CHECK_SUMMARY();
}
