/* The STM32F72x/F73x USB PHY controller (USBPHYC, RM0431): the internal UTMI high-speed PHY that
 * sits beside OTG_HS on the F723 (the STLINK-V3MINI's USB). A board calls usb_phyc_f72x_init from
 * its usb_dwc2_config.phy_init hook, after it has enabled the OTG_HS, OTG_HS ULPI and OTGPHYC
 * clocks (RCC), and then waits 2 ms: the PHY's PLL has no ready flag, and the core's reset only
 * completes once the PHY clock runs. */
#ifndef USB_PHYC_F72X_H
#define USB_PHYC_F72X_H

#include <stdbool.h>
#include <stdint.h>

#define USB_PHYC_F72X_BASE 0x40017C00u

/* Registers (offsets from the base) and bits */
#define USB_PHYC_PLL1 0x000u
#define USB_PHYC_PLL1_PLLEN (1u << 0)
#define USB_PHYC_PLL1_SEL_SHIFT 1u /* 3 bits: the PLL's input (HSE) frequency */
#define USB_PHYC_PLL1_SEL_MASK (7u << 1)
#define USB_PHYC_TUNE 0x00Cu
#define USB_PHYC_LDO 0x018u
#define USB_PHYC_LDO_USED (1u << 0)   /* read only */
#define USB_PHYC_LDO_STATUS (1u << 1) /* read only: the LDO is up */
#define USB_PHYC_LDO_ENABLE (1u << 2) /* named LDO_DISABLE in RM0431; setting it is what raises
                                       * LDO_STATUS on the part */

/* The PLL1SEL code for an HSE of `hse_hz` (12, 12.5, 16, 24 or 25 MHz), or -1. */
int usb_phyc_f72x_pll_select(uint32_t hse_hz);
/* Powers the PHY's LDO (waiting for its status), selects the PLL input for `hse_hz`, writes
 * `tune` to USBPHYC_TUNE (0 keeps the reset tuning) and enables the PLL. False for an HSE the PLL
 * cannot take, or if the LDO never reports ready. */
bool usb_phyc_f72x_init(uintptr_t base, uint32_t hse_hz, uint32_t tune);

#endif
