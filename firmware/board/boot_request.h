/* The word an application leaves at the board's boot-request address (boards/<name>.json:
 * ram.bootRequest, kept out of the application's RAM) before it resets, to ask the bootloader to
 * stay in DFU mode instead of starting the application. The bootloader clears it when it reads
 * it, so a later reset starts the application again. Its value belongs to the bootloader's
 * decision logic (native/core/dfu/dfu_boot.h). */
#ifndef BOOT_REQUEST_H
#define BOOT_REQUEST_H

#include "dfu/dfu_boot.h"

#define BOOT_REQUEST_DFU DFU_BOOT_REQUEST

#endif
