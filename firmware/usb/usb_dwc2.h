/* The Synopsys DWC2 OTG controller driver, device mode, slave (FIFO) mode: it implements the
 * controller seam (usb_dcd.h) for the STM32 OTG cores. Full speed on the embedded FS transceiver
 * (the H7's OTG_FS on PA11/PA12), or high speed through the F72x OTG_HS's internal UTMI PHY.
 *
 * The driver touches nothing outside the core's registers (through usb_mmio.h). What is chip
 * specific stays with the board: the clocks, pins and supplies are on before usb_dwc2_init, and
 * the PHY step of the UTMI PHY (USBPHYC on the F72x: usb_phyc_f72x.h) is the `phy_init` hook.
 *
 * Use from a board:
 *
 *   static usb_dwc2 otg;
 *   usb_dwc2_init(&otg, &(usb_dwc2_config){ .base = 0x40040000, .endpoints = 9,
 *                 .fifo_words = 1024, .utmi_phy = true, .phy_init = board_phy, .delay_ms = ... });
 *   usb_probe_init(&probe_config, usb_dwc2_dcd(&otg));
 *   void OTG_HS_IRQHandler(void) { usb_dwc2_irq(&otg); }   // optional: usb_probe_task also polls
 *
 * Events are recorded by usb_dwc2_irq (the interrupt) or by the poll inside next_event, and taken
 * by the device core in its task. The seam's other calls mask the core's interrupt line
 * (GAHBCFG.GINT) while they run, so the interrupt never sees an endpoint half programmed. */
#ifndef USB_DWC2_H
#define USB_DWC2_H

#include <stdbool.h>
#include <stdint.h>

#include "usb/usb_dcd.h"

#define USB_DWC2_MAX_ENDPOINTS 16u /* the core's limit; the STM32 cores have 9 (or fewer) */
#define USB_DWC2_EVENTS 32u        /* events recorded and not yet taken */

typedef struct usb_dwc2_config {
    uintptr_t base;      /* OTG_HS 0x40040000 (F72x), OTG_FS 0x40080000 (H7) */
    uint8_t endpoints;   /* endpoints per direction, endpoint 0 included: 9 on the F72x and H7 */
    uint16_t fifo_words; /* the core's FIFO RAM in 32-bit words: 1024 (4 KiB) on the F72x and H7 */
    bool utmi_phy;       /* high speed through the internal UTMI PHY; false: the FS transceiver */
    bool vbus_sensing;   /* true: VBUS on its pin decides the session; false: forced valid */
    /* GUSBCFG.TRDT at full speed (0: 6, right for an AHB clock of 32 MHz or more); high speed
     * uses 9 (the UTMI PHY's 16-bit interface). */
    uint8_t fs_turnaround;
    void *ctx; /* passed to the hooks */
    /* The UTMI PHY's own start-up (F72x: usb_phyc_f72x_init, then the PLL's 2 ms), called after
     * GCCFG.PHYHSEN is set and before the core reset. NULL for the FS transceiver. */
    bool (*phy_init)(void *ctx);
    /* Waits `ms` milliseconds (the 25 ms the core takes to switch to device mode). May be NULL. */
    void (*delay_ms)(void *ctx, uint32_t ms);
} usb_dwc2_config;

/* One endpoint direction's transfer in progress. */
typedef struct usb_dwc2_ep {
    uint8_t *buffer;
    uint16_t length;     /* bytes asked for */
    uint16_t done;       /* bytes completed in earlier chunks */
    uint16_t chunk;      /* bytes of the chunk the hardware is working on */
    uint16_t progress;   /* IN: bytes of the chunk pushed to the FIFO; OUT: bytes received */
    uint16_t max_packet; /* 0: the endpoint is not open */
    uint16_t fifo_words; /* IN: depth of its TX FIFO (0: none allocated since the bus reset) */
    uint8_t type;
    bool busy;
    bool short_packet; /* OUT: the chunk ended on a short packet */
} usb_dwc2_ep;

typedef struct usb_dwc2 {
    usb_dwc2_config config;
    usb_dcd dcd;
    usb_dwc2_ep in[USB_DWC2_MAX_ENDPOINTS], out[USB_DWC2_MAX_ENDPOINTS];
    uint16_t fifo_next; /* the first free word of the FIFO RAM */
    uint8_t setup[8];   /* the last SETUP packet received */
    bool high_speed;
    volatile bool in_seam; /* a seam call runs (the interrupt leaves the core alone) */
    usb_event events[USB_DWC2_EVENTS];
    volatile uint8_t event_head, event_tail;
    uint32_t lost_events; /* events dropped because the queue was full */
} usb_dwc2;

/* Resets the core and sets it up as a device, disconnected (usb_probe_init connects). False if
 * the core does not come out of reset (its clock is off) or the PHY hook fails. */
bool usb_dwc2_init(usb_dwc2 *d, const usb_dwc2_config *config);
/* The controller seam over this driver (valid as long as `d`). */
const usb_dcd *usb_dwc2_dcd(usb_dwc2 *d);
/* The core's interrupt handler: records what happened, fills TX FIFOs, drains the RX FIFO. */
void usb_dwc2_irq(usb_dwc2 *d);

#endif
