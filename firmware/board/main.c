/* Every board's main: the same code for each, its facts from the generated board_config.h
 * (boards/<name>.json). Clocks, time, the SWD wire, the USB device, the probe application on
 * them, the target UART bridge and the activity LED, then the main loop; no heap, no RTOS. */
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "app/app_usb.h"
#include "board/board_base.h"
#include "board/board_usb.h"
#include "board/boot_request.h"
#include "chip/chip.h"
#include "chip/swd_gpio.h"
#include "chip/uart_bridge.h"
#include "usb/usb_probe.h"

#define DAP_PACKET_COUNT 4u
#define LED_ACTIVITY_MS 40u
#define HEARTBEAT_PERIOD_MS 2000u
#define HEARTBEAT_ON_MS 60u

static app probe;
static swd_gpio wire;
static char serial[25];
static uint32_t last_activity_ms;

static const swd_gpio_config wire_config = {
    .swclk = {BOARD_SWCLK_PORT, BOARD_SWCLK_PIN},
    .swdio = {BOARD_SWDIO_PORT, BOARD_SWDIO_PIN},
#ifdef BOARD_HAS_SWDIO_IN
    .separate_input = true,
    .swdio_in = {BOARD_SWDIO_IN_PORT, BOARD_SWDIO_IN_PIN},
#endif
#ifdef BOARD_HAS_SWDIO_DRIVER_ENABLE
    .has_driver_enable = true,
    .driver_enable = {BOARD_SWDIO_DRIVER_ENABLE_PORT, BOARD_SWDIO_DRIVER_ENABLE_PIN},
    .driver_enable_level = BOARD_SWDIO_DRIVER_ENABLE_ACTIVE_LEVEL,
#endif
    .nrst = {BOARD_NRST_PORT, BOARD_NRST_PIN},
    .nrst_assert_level = BOARD_NRST_ASSERT_LEVEL,
    .nrst_open_drain = BOARD_NRST_OPEN_DRAIN,
};

static void activity(void)
{
    last_activity_ms = chip_millis();
}

static const app_usb_hooks usb_hooks = {chip_millis, activity, usb_probe_task};

/* The host asked for DFU mode (usb_probe's vendor request): with a bootloader of our own, leave
 * it the boot-request word and reset into it; a board updated through ST's ROM bootloader
 * (BOOT0) cannot be sent there by software, so the request is ignored there. */
static void enter_dfu(void)
{
#if BOARD_BOOTLOADER_OWN
    *(volatile uint32_t *)BOARD_BOOT_REQUEST_ADDRESS = BOOT_REQUEST_DFU;
    chip_reset();
#endif
}

/* The LED: a two-colour one shows its idle colour and turns to its activity colour while
 * something moves; a single one flashes briefly every two seconds when idle and lights while
 * something moves. */
static void led_show(bool busy, uint32_t now)
{
#if BOARD_LED_BICOLOUR
    (void)now;
    board_led_set(busy);
#else
    board_led_set(busy || now % HEARTBEAT_PERIOD_MS < HEARTBEAT_ON_MS);
#endif
}

int main(void)
{
    board_start();

    swd_gpio_init(&wire, &wire_config);
    chip_serial_number(serial);

    const usb_dcd *dcd = board_usb_start();
    if (!dcd) board_failure();
    const usb_probe_config usb = {
        .vid = BOARD_USB_VID,
        .pid = BOARD_USB_PID,
        .bcd_device = BOARD_USB_BCD_DEVICE,
        .manufacturer = BOARD_USB_MANUFACTURER,
        .product = BOARD_USB_PRODUCT,
        .serial = serial,
        .high_speed = BOARD_USB_HIGH_SPEED != 0,
    };
    usb_probe_init(&usb, dcd);

    /* DAP_Info strings; the engine keeps the pointers, which all outlive it. */
    const dap_strings strings = {
        .vendor = BOARD_USB_MANUFACTURER,
        .product = BOARD_USB_PRODUCT,
        .serial = serial,
        .protocol = "2.1.0",
        .board_vendor = BOARD_VENDOR,
        .board_name = BOARD_TITLE,
        .firmware = BOARD_FIRMWARE_VERSION,
    };
    app_init(&probe, app_usb_io(&usb_hooks), &wire.phy, &strings, BOARD_USB_HIGH_SPEED ? 512u : 64u, DAP_PACKET_COUNT);
    uart_bridge_init();

    for (;;) {
        usb_probe_task();
        if (usb_probe_dfu_requested()) enter_dfu();
        app_poll(&probe);
        if (uart_bridge_poll()) activity();
        uint32_t now = chip_millis();
        led_show(now - last_activity_ms < LED_ACTIVITY_MS, now);
    }
}
