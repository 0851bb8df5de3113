/* The chip hook the Synopsys OTG (DWC2) driver needs before it touches the controller: clocks,
 * reset, the PHY's power and, on the STM32F723, its internal high-speed PHY started.
 *
 * Who does what:
 *   - chip_usb_enable (firmware/chip, per family) does everything outside the OTG core's own
 *     registers: RCC clock enables and the peripheral reset, the 48 MHz kernel clock and the
 *     USB supply on the H7, the D-/D+ pins' alternate function where the PHY needs one, and on
 *     the F723 the USBPHYC (its LDO and its PLL from the 25 MHz HSE). One exception: on the F723
 *     it also sets GCCFG.PHYHSEN in the OTG core, because the PHY must be powered before its
 *     LDO and PLL are started (the order ST's reference manual gives); the driver must keep
 *     that bit set when it writes GCCFG.
 *   - The driver does the rest from what chip_usb_controller says: core soft reset, PHY
 *     selection in GUSBCFG (the UTMI HS PHY, or the embedded FS PHY), forced device mode,
 *     the B-session valid override when there is no VBUS sensing, FIFO sizes within
 *     fifo_bytes, and its interrupt (the board routes `irq` to the driver).
 * It is called once, by the board's USB glue (firmware/board/board_usb.c), before the driver's
 * initialisation. */
#ifndef CHIP_USB_H
#define CHIP_USB_H

#include <stdbool.h>
#include <stdint.h>

typedef struct chip_usb_controller {
    uintptr_t base;        /* the OTG core's registers */
    unsigned irq;          /* its interrupt (position in the vector table less 16) */
    bool high_speed;       /* a high-speed PHY is behind it: the core may run at 480 Mbit/s */
    bool internal_hs_phy;  /* the PHY is the F723's internal UTMI one (else the core's own FS PHY) */
    bool vbus_sensing;     /* false: VBUS is not wired to the core, override the session valid */
    uint16_t fifo_bytes;   /* the core's FIFO RAM, shared by the RX FIFO and every TX FIFO */
} chip_usb_controller;

/* Turns the controller on as described above and fills `out`. Returns false if the PHY or its
 * supply did not come up in time (the controller is then left off). */
bool chip_usb_enable(chip_usb_controller *out);

#endif
