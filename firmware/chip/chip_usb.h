/* The chip hook the Synopsys OTG (DWC2) driver needs around its own initialisation: clocks,
 * reset, supply and pins before it touches the controller, and on the STM32F723 the start of the
 * internal high-speed PHY at the point the driver asks for it.
 *
 * Who does what:
 *   - chip_usb_enable (firmware/chip, per family), before the driver's initialisation: the RCC
 *     clock enables (on the F723 OTG_HS, its ULPI clock, which also gates the internal PHY's
 *     clock to the core, and the PHY controller) and the peripheral reset; on the H7 the USB
 *     supply detector and the 48 MHz kernel clock from PLL3 Q, and D-/D+ on their alternate
 *     function. It writes no OTG register, and describes the controller in chip_usb_controller.
 *   - The driver: core soft reset, GCCFG (PHYHSEN for the UTMI PHY, or the FS transceiver's
 *     power), PHY selection in GUSBCFG, forced device mode, the B-session valid override when
 *     there is no VBUS sensing, FIFO sizes within fifo_bytes, and its interrupt.
 *   - chip_usb_phy_start: the F723's USBPHYC, after the driver has set GCCFG.PHYHSEN (the PHY is
 *     powered from the core) and before it resets the core: the PHY's LDO on, its PLL from the
 *     25 MHz HSE, and the 2 ms the PLL takes to lock (it has no ready flag). The board passes it
 *     as the driver's PHY hook. On the H7 it has nothing to do.
 * The board's USB glue (firmware/board/board_usb.c) calls them in that order. */
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
    uint8_t endpoints;     /* endpoints per direction, endpoint 0 included */
    uint16_t fifo_bytes;   /* the core's FIFO RAM, shared by the RX FIFO and every TX FIFO */
} chip_usb_controller;

/* Turns the controller's clocks on as described above and fills `out`. False if the USB supply
 * did not come up in time (H7). Needs SysTick running. */
bool chip_usb_enable(chip_usb_controller *out);
/* Starts the internal HS PHY (F723); true at once where there is none. False if its LDO did not
 * come up. Needs SysTick and the cycle counter running. */
bool chip_usb_phy_start(void);

#endif
