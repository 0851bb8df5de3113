/* The board's side of the USB controller: the chip hook (chip_usb_enable) and the Synopsys OTG
 * driver started on it, giving the controller seam (usb_dcd.h) that usb_probe_init takes. */
#ifndef BOARD_USB_H
#define BOARD_USB_H

#include "usb/usb_dcd.h"

/* Null if the controller or its PHY did not come up. */
const usb_dcd *board_usb_start(void);
/* The controller's interrupt (the vector table's entry for BOARD_USB_IRQ). */
void board_usb_irq(void);

#endif
