/* The one place that names the Synopsys OTG (DWC2) driver's entry points (firmware/usb/). They
 * are declared here as this glue expects them, because the driver is written apart from the
 * boards: if its header says otherwise, this file is what changes.
 *
 *   usb_dwc2_init: takes the controller chip_usb_enable described (base, speed, PHY, VBUS
 *                  sensing, FIFO RAM) and fills the controller seam (usb_dcd) the device core
 *                  uses; false if the core did not come out of its reset.
 *   usb_dwc2_irq:  the controller's interrupt handler; it only records events, which
 *                  usb_probe_task takes in the main loop (usb_dcd.h). */
#include "board/board_usb.h"

#include "chip/chip.h"
#include "chip/chip_usb.h"

bool usb_dwc2_init(usb_dcd *dcd, const chip_usb_controller *controller);
void usb_dwc2_irq(void);

static usb_dcd dcd;

const usb_dcd *board_usb_start(void)
{
    chip_usb_controller controller;
    if (!chip_usb_enable(&controller)) return 0;
    if (!usb_dwc2_init(&dcd, &controller)) return 0;
    nvic_enable(controller.irq, 0x20u); /* above the UART's: USB events are short and frequent */
    return &dcd;
}

void board_usb_irq(void)
{
    usb_dwc2_irq();
}
