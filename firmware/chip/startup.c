/* Reset and the vector table (Armv7-M: the initial stack pointer, then the exception handlers,
 * then one entry per interrupt of the family). The table is linked first in the application's
 * flash (sections.ld), at the board's application base, which a bootloader or the boot address
 * option byte starts; the reset handler points VTOR at it in either case.
 *
 * Only the interrupts the firmware enables have handlers: the target UART's and the USB
 * controller's. The other entries are zero: an interrupt that nothing enabled cannot arrive,
 * and if one did, its vector would fault into the HardFault handler, which resets the probe. */
#include "chip/chip.h"

typedef void (*vector)(void);

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
extern const uint8_t __trailer_offset[]; /* the linker's value (sections.ld), not an object */

int main(void);
void chip_reset_handler(void);
void chip_systick_handler(void);      /* chip_common.c */
void chip_target_uart_irq(void);      /* uart_bridge.c */
void board_usb_irq(void);             /* the board's USB glue */

static void fault_handler(void)
{
    chip_reset();
}

/* A breakpoint or a debug monitor exception with no debugger attached: ignore it. */
static void ignored_handler(void)
{
}

__attribute__((section(".vectors"), used)) const vector chip_vectors[16u + CHIP_IRQ_COUNT] = {
    [0] = (vector)(uintptr_t)__stack_top,
    [1] = chip_reset_handler,
    [2] = fault_handler,  /* NMI */
    [3] = fault_handler,  /* HardFault */
    [4] = fault_handler,  /* MemManage */
    [5] = fault_handler,  /* BusFault */
    [6] = fault_handler,  /* UsageFault */
    /* Reserved by Armv7-M and never read by the core: the offset of the image's trailer, where
     * the bootloader finds the length, board and CRC (native/core/dfu/dfu_boot.h). */
    [7] = (vector)(uintptr_t)__trailer_offset,
    [11] = ignored_handler, /* SVCall */
    [12] = ignored_handler, /* DebugMonitor */
    [14] = ignored_handler, /* PendSV */
    [15] = chip_systick_handler,
    [16u + CHIP_TARGET_UART_IRQ] = chip_target_uart_irq,
    [16u + BOARD_USB_IRQ] = board_usb_irq,
};

void chip_reset_handler(void)
{
    SCB_VTOR = (uint32_t)(uintptr_t)chip_vectors;
    cm7_dsb();
    for (uint32_t *from = __data_load, *to = __data_start; to < __data_end;) *to++ = *from++;
    for (uint32_t *to = __bss_start; to < __bss_end;) *to++ = 0;
    main();
    chip_reset();
}
