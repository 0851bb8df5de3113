/* The board's USB controller: the chip hook (chip_usb.h) around the Synopsys OTG (DWC2) driver
 * (firmware/usb/usb_dwc2.h), in the order the two need: clocks, supply and pins first, then the
 * driver, which calls back for the F723's internal PHY once it has powered it. */
#include "board/board_usb.h"

#include "chip/chip.h"
#include "chip/chip_usb.h"
#include "usb/usb_dwc2.h"

static usb_dwc2 otg;

static bool phy_start(void *ctx)
{
    (void)ctx;
    return chip_usb_phy_start();
}

static void delay_ms(void *ctx, uint32_t ms)
{
    (void)ctx;
    chip_delay_us(ms * 1000u);
}

const usb_dcd *board_usb_start(void)
{
    chip_usb_controller c;
    if (!chip_usb_enable(&c)) return 0;
    const usb_dwc2_config config = {
        .base = c.base,
        .endpoints = c.endpoints,
        .fifo_words = (uint16_t)(c.fifo_bytes / 4u),
        .utmi_phy = c.internal_hs_phy,
        .vbus_sensing = c.vbus_sensing,
        .fs_turnaround = 0, /* the driver's default (6): the AHB runs at 200 MHz or more */
        .phy_init = c.internal_hs_phy ? phy_start : 0,
        .delay_ms = delay_ms,
    };
    if (!usb_dwc2_init(&otg, &config)) return 0;
    nvic_enable(c.irq, 0x20u); /* above the UART's: USB events are short and frequent */
    return usb_dwc2_dcd(&otg);
}

void board_usb_irq(void)
{
    usb_dwc2_irq(&otg);
}
