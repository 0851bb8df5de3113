/* GDB's target description (qXfer:features:read:target.xml) for Cortex-M: the
 * org.gnu.gdb.arm.m-profile feature, the system registers, and the FPU's org.gnu.gdb.arm.vfp
 * feature where there is one. Register numbers follow the order of the features. */
#ifndef DESCRIPTION_H
#define DESCRIPTION_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

#define CORTEXM_TARGET_XML_MAX 2560u /* the longest description, its terminator included (description.c checks) */

/* Returns the length written into `out` (NUL-terminated), or 0 if it does not fit. */
size_t cortexm_target_xml(bool has_fpu, char *out, size_t capacity);

#endif
