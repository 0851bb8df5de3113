#include "cortexm/description.h"

static const char head[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n"
    "  <architecture>arm</architecture>\n"
    "  <feature name=\"org.gnu.gdb.arm.m-profile\">\n"
    "    <reg name=\"r0\" bitsize=\"32\"/>\n    <reg name=\"r1\" bitsize=\"32\"/>\n"
    "    <reg name=\"r2\" bitsize=\"32\"/>\n    <reg name=\"r3\" bitsize=\"32\"/>\n"
    "    <reg name=\"r4\" bitsize=\"32\"/>\n    <reg name=\"r5\" bitsize=\"32\"/>\n"
    "    <reg name=\"r6\" bitsize=\"32\"/>\n    <reg name=\"r7\" bitsize=\"32\"/>\n"
    "    <reg name=\"r8\" bitsize=\"32\"/>\n    <reg name=\"r9\" bitsize=\"32\"/>\n"
    "    <reg name=\"r10\" bitsize=\"32\"/>\n    <reg name=\"r11\" bitsize=\"32\"/>\n"
    "    <reg name=\"r12\" bitsize=\"32\"/>\n"
    "    <reg name=\"sp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "    <reg name=\"lr\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "    <reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "    <reg name=\"xpsr\" bitsize=\"32\" regnum=\"25\"/>\n"
    "  </feature>\n"
    "  <feature name=\"org.gnu.gdb.arm.m-system\">\n"
    "    <reg name=\"msp\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "    <reg name=\"psp\" bitsize=\"32\" type=\"data_ptr\" group=\"system\"/>\n"
    "  </feature>\n"
    "  <feature name=\"org.bmp-gdbserver.m-special\">\n"
    "    <reg name=\"primask\" bitsize=\"8\" type=\"int\" group=\"system\"/>\n"
    "    <reg name=\"basepri\" bitsize=\"8\" type=\"int\" group=\"system\"/>\n"
    "    <reg name=\"faultmask\" bitsize=\"8\" type=\"int\" group=\"system\"/>\n"
    "    <reg name=\"control\" bitsize=\"8\" type=\"int\" group=\"system\"/>\n"
    "  </feature>\n";

static const char fpu[] =
    "  <feature name=\"org.gnu.gdb.arm.vfp\">\n"
    "    <reg name=\"d0\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d1\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d2\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d3\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d4\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d5\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d6\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d7\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d8\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d9\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d10\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d11\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d12\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d13\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d14\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"d15\" bitsize=\"64\" type=\"ieee_double\"/>\n"
    "    <reg name=\"fpscr\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "  </feature>\n";

static const char tail[] = "</target>\n";

BMP_STATIC_ASSERT(sizeof head - 1 + sizeof fpu - 1 + sizeof tail <= CORTEXM_TARGET_XML_MAX,
                  "CORTEXM_TARGET_XML_MAX must hold the description with the FPU");

static size_t append(char *out, size_t at, size_t capacity, const char *s)
{
    while (*s && at + 1 < capacity) out[at++] = *s++;
    return *s ? 0 : at;
}

size_t cortexm_target_xml(bool has_fpu, char *out, size_t capacity)
{
    if (capacity == 0) return 0;
    size_t n = append(out, 0, capacity, head);
    if (n && has_fpu) n = append(out, n, capacity, fpu);
    if (n) n = append(out, n, capacity, tail);
    out[n] = 0;
    return n;
}
