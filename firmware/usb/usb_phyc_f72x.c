/* The F72x USB PHY controller's start-up (see usb_phyc_f72x.h), in the order RM0431 gives:
 * regulator, PLL input selection, tuning, PLL enable. */
#include "usb/usb_phyc_f72x.h"

#include "usb/usb_mmio.h"

#define LDO_SPIN_LIMIT 200000u

int usb_phyc_f72x_pll_select(uint32_t hse_hz)
{
    switch (hse_hz) {
    case 12000000u: return 0;
    case 12500000u: return 2;
    case 16000000u: return 3;
    case 24000000u: return 4;
    case 25000000u: return 5;
    default: return -1;
    }
}

bool usb_phyc_f72x_init(uintptr_t base, uint32_t hse_hz, uint32_t tune)
{
    int select = usb_phyc_f72x_pll_select(hse_hz);
    if (select < 0) return false;
    mmio_set(base, USB_PHYC_LDO, USB_PHYC_LDO_ENABLE);
    uint32_t i = 0;
    while (!(mmio_read(base, USB_PHYC_LDO) & USB_PHYC_LDO_STATUS))
        if (++i >= LDO_SPIN_LIMIT) return false;
    mmio_write(base, USB_PHYC_PLL1, (uint32_t)select << USB_PHYC_PLL1_SEL_SHIFT);
    mmio_write(base, USB_PHYC_TUNE, tune);
    mmio_set(base, USB_PHYC_PLL1, USB_PHYC_PLL1_PLLEN);
    return true;
}
