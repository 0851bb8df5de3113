/* The DfuSe bootloader of a board with one of its own (boards/<name>.json: bootloader.kind
 * "own"), linked at the board's flash base in flash.bootloader (its linker script:
 * bootloader.ld, generated from the JSON).
 *
 * At reset, before anything is set up, it decides (native/core/dfu/dfu_boot.h) from the
 * boot-request word the application may have left (which it clears), the DFU button, and the
 * application's vector table and trailer, whether to start the application: if so it jumps to it
 * with the chip as the reset left it. Otherwise it starts the clocks and the USB device and stays
 * in DFU mode: a DfuSe device whose only region is the application's (the DfuSe core refuses
 * everything else, the bootloader's own sectors above all), until the host leaves DFU mode, when
 * it resets, and decides again. */
#include <stddef.h>
#include <stdint.h>

#include "board/board_base.h"
#include "board/board_usb.h"
#include "board/boot_request.h"
#include "bootloader/flash.h"
#include "chip/chip.h"
#include "dfu/dfu_boot.h"
#include "usb/usb_dfu.h"

#if !BOARD_BOOTLOADER_OWN
#error "this board has no bootloader of its own (boards/<name>.json bootloader.kind)"
#endif

#define LED_BLINK_MS 125u

/* The vector table names the target UART's handler; the bootloader has no UART. */
void chip_target_uart_irq(void);
void chip_target_uart_irq(void)
{
}

/* The DFU button, read with the pin pulled away from its active level, then left as it was. */
static bool button_held(void)
{
    const unsigned port = BOARD_BOOTLOADER_BUTTON_PORT, pin = BOARD_BOOTLOADER_BUTTON_PIN;
    chip_gpio_clock_enable(port);
    uintptr_t base = chip_gpio_base(port);
    uint32_t moder = GPIO_MODER(base), pupdr = GPIO_PUPDR(base);
    gpio_setup(port, pin, GPIO_MODE_INPUT, false, GPIO_SPEED_LOW,
               BOARD_BOOTLOADER_BUTTON_LEVEL ? GPIO_PULL_DOWN : GPIO_PULL_UP, 0, false);
    /* Let the pull settle (tens of microseconds at the reset clock), then take three reads. */
    unsigned active = 0;
    for (unsigned i = 0; i < 3000u; i++) {
        bool level = gpio_read(port, pin);
        if (i >= 2997u && level == (BOARD_BOOTLOADER_BUTTON_LEVEL != 0)) active++;
    }
    GPIO_PUPDR(base) = pupdr;
    GPIO_MODER(base) = moder;
    return active == 3u;
}

/* Starts the application with its own stack and vector table. */
static _Noreturn void start_application(void)
{
    const volatile uint32_t *vectors = (const volatile uint32_t *)(uintptr_t)BOARD_APP_BASE;
    uint32_t sp = vectors[0], entry = vectors[1];
    SCB_VTOR = BOARD_APP_BASE;
    cm7_dsb();
    cm7_isb();
    __asm__ volatile("msr msp, %0\n\tbx %1" : : "r"(sp), "r"(entry) : "memory");
    __builtin_unreachable();
}

/* ---- DFU mode ---- */

static const dfu_sector_group sectors[] = BOARD_APP_SECTORS;
static char serial[25];

/* The host left DFU mode: reset, and decide again. */
static void leave(void *ctx)
{
    (void)ctx;
    chip_reset();
}

static const dfu_flash_ops flash_ops = {NULL, flash_erase, flash_program, flash_read, leave};

int main(void)
{
    volatile uint32_t *request = (volatile uint32_t *)(uintptr_t)BOARD_BOOT_REQUEST_ADDRESS;
    const dfu_boot_inputs in = {
        .app = (const uint8_t *)(uintptr_t)BOARD_APP_BASE,
        .app_base = BOARD_APP_BASE,
        .app_size = BOARD_APP_SIZE,
        .ram_base = BOARD_RAM_BASE,
        .ram_size = BOARD_RAM_SIZE,
        .board_tag = BOARD_TAG,
        .request = *request,
        .button = button_held(),
    };
    *request = 0; /* one request, one stay */
    if (dfu_boot_decide(&in) == DFU_BOOT_APPLICATION) start_application();

    board_start();
    chip_serial_number(serial);

    const usb_dfu_config config = {
        .desc =
            {
                .vid = BOARD_BOOTLOADER_USB_VID,
                .pid = BOARD_BOOTLOADER_USB_PID,
                .bcd_device = BOARD_USB_BCD_DEVICE,
                .manufacturer = BOARD_USB_MANUFACTURER,
                .product = BOARD_BOOTLOADER_PRODUCT,
                .serial = serial,
                .high_speed_capable = BOARD_USB_HIGH_SPEED != 0,
            },
        .dfu =
            {
                .name = "Application",
                .base = BOARD_APP_BASE,
                .sectors = sectors,
                .sector_groups = BOARD_APP_SECTOR_GROUPS,
                .transfer_size = DFU_MAX_TRANSFER,
                .program_unit = BOARD_FLASH_PROGRAM_UNIT,
                .program_ms_per_kib = BOARD_FLASH_PROGRAM_MS_PER_KIB,
                .attributes = DFU_ATTR_CAN_DNLOAD | DFU_ATTR_CAN_UPLOAD | DFU_ATTR_WILL_DETACH,
                .ops = &flash_ops,
            },
    };
    const usb_dcd *dcd = board_usb_start();
    if (!dcd || !usb_dfu_init(&config, dcd)) board_failure();

    /* DFU mode: a two-colour LED shows its activity colour, a single one blinks fast. */
    for (;;) {
        usb_dfu_task();
        board_led_set(BOARD_LED_BICOLOUR || (chip_millis() / LED_BLINK_MS) % 2u != 0);
    }
}
