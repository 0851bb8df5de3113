/* STM32F72x: clocks, GPIO ports, the target UART's clock and the USB hook (RM0431). */
#include "chip/chip.h"
#include "usb/usb_phyc_f72x.h"
#include "chip/chip_usb.h"
#include "chip/stm32_rcc.h"

#define RCC_BASE 0x40023800u
#define RCC_CR REG32(RCC_BASE + 0x00u)
#define RCC_PLLCFGR REG32(RCC_BASE + 0x04u)
#define RCC_CFGR REG32(RCC_BASE + 0x08u)
#define RCC_AHB1RSTR REG32(RCC_BASE + 0x10u)
#define RCC_AHB1ENR REG32(RCC_BASE + 0x30u)
#define RCC_APB1ENR REG32(RCC_BASE + 0x40u)
#define RCC_APB2ENR REG32(RCC_BASE + 0x44u)
#define RCC_DCKCFGR2 REG32(RCC_BASE + 0x90u)

#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_CFGR_SW_PLL 2u
#define RCC_CFGR_SWS_SHIFT 2u
#define RCC_AHB1_OTGHS (1u << 29)
#define RCC_AHB1_OTGHSULPI (1u << 30)
#define RCC_APB1_PWR (1u << 28)
#define RCC_APB2_USART6 (1u << 5)
#define RCC_APB2_OTGPHYC (1u << 31)
#define RCC_DCKCFGR2_CK48MSEL (1u << 27) /* 0: the 48 MHz clock from PLL Q */

#define PWR_CR1 REG32(0x40007000u)
#define PWR_CSR1 REG32(0x40007004u)
#define PWR_CR1_VOS_SCALE1 (3u << 14)
#define PWR_CR1_ODEN (1u << 16)
#define PWR_CR1_ODSWEN (1u << 17)
#define PWR_CSR1_ODRDY (1u << 16)
#define PWR_CSR1_ODSWRDY (1u << 17)

#define FLASH_ACR REG32(0x40023C00u)
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ARTEN (1u << 9)

/* The USB PHY controller (RM0431, "USB PHY controller"). */

/* The clock tree of board_config.h, checked against RM0431's limits. */
#define PLL_IN_HZ (BOARD_HSE_HZ / BOARD_PLL_M)
#define VCO_HZ (PLL_IN_HZ * BOARD_PLL_N)
_Static_assert(BOARD_HSE_HZ % BOARD_PLL_M == 0, "the PLL input must be a whole number of hertz");
_Static_assert(PLL_IN_HZ >= 950000u && PLL_IN_HZ <= 2100000u, "PLL input outside 0.95-2.1 MHz");
_Static_assert(BOARD_PLL_N >= 50 && BOARD_PLL_N <= 432 && VCO_HZ >= 100000000u && VCO_HZ <= 432000000u,
               "PLL N or VCO outside 100-432 MHz");
_Static_assert(BOARD_PLL_P == 2 || BOARD_PLL_P == 4 || BOARD_PLL_P == 6 || BOARD_PLL_P == 8, "PLL P is 2, 4, 6 or 8");
_Static_assert(BOARD_PLL_Q >= 2 && BOARD_PLL_Q <= 15 && VCO_HZ / BOARD_PLL_Q == 48000000u, "PLL Q must give 48 MHz");
_Static_assert(VCO_HZ / BOARD_PLL_P == BOARD_SYSCLK_HZ, "the PLL does not give clocks.sysclkHz");
_Static_assert(BOARD_SYSCLK_HZ <= (BOARD_OVER_DRIVE ? 216000000u : 180000000u), "SYSCLK too fast for the voltage scale");
_Static_assert(BOARD_SYSCLK_HZ / BOARD_AHB_DIV / BOARD_APB1_DIV <= 54000000u, "APB1 above 54 MHz");
_Static_assert(BOARD_SYSCLK_HZ / BOARD_AHB_DIV / BOARD_APB2_DIV <= 108000000u, "APB2 above 108 MHz");
/* Flash wait states at 2.7-3.6 V: one per 30 MHz of HCLK (RM0431, "Read access latency"). */
_Static_assert(BOARD_FLASH_WAIT_STATES >= (BOARD_SYSCLK_HZ / BOARD_AHB_DIV - 1u) / 30000000u &&
                   BOARD_FLASH_WAIT_STATES <= 15,
               "too few flash wait states for HCLK");
#if BOARD_USB_PHY_INTERNAL_HS
/* The HS PHY's PLL takes the HSE directly and knows only a few frequencies; 25 MHz is 0b101
 * (RM0431 lists two codes for 12.5 and for 25 MHz; ST's own code is seen with either). */
_Static_assert(BOARD_HSE_HZ == 25000000u, "only a 25 MHz HSE is set up for the HS PHY's PLL here");
#endif

bool chip_clock_init(void)
{
    /* Voltage scale 1 is set while the PLL is off (the reset value, written again). */
    RCC_APB1ENR |= RCC_APB1_PWR;
    (void)RCC_APB1ENR;
    PWR_CR1 |= PWR_CR1_VOS_SCALE1;

    RCC_CR |= RCC_CR_HSEON | (BOARD_HSE_BYPASS ? RCC_CR_HSEBYP : 0u);
    if (!stm32_wait_set(&RCC_CR, RCC_CR_HSERDY, 2000000u)) return false;

    uint32_t pll = RCC_PLLCFGR & ~(0x3Fu | 0x1FFu << 6 | 3u << 16 | 1u << 22 | 0xFu << 24);
    pll |= (uint32_t)BOARD_PLL_M | (uint32_t)BOARD_PLL_N << 6 | (uint32_t)(BOARD_PLL_P / 2 - 1) << 16 |
           RCC_PLLCFGR_SRC_HSE | (uint32_t)BOARD_PLL_Q << 24;
    RCC_PLLCFGR = pll;
    RCC_CR |= RCC_CR_PLLON;
    if (!stm32_wait_set(&RCC_CR, RCC_CR_PLLRDY, 2000000u)) return false;

#if BOARD_OVER_DRIVE
    /* Over-drive: on, wait, switch, wait (RM0431, "Entering Over-drive mode"), before SYSCLK
     * passes 180 MHz. */
    PWR_CR1 |= PWR_CR1_ODEN;
    if (!stm32_wait_set(&PWR_CSR1, PWR_CSR1_ODRDY, 2000000u)) return false;
    PWR_CR1 |= PWR_CR1_ODSWEN;
    if (!stm32_wait_set(&PWR_CSR1, PWR_CSR1_ODSWRDY, 2000000u)) return false;
#endif

    FLASH_ACR = (uint32_t)BOARD_FLASH_WAIT_STATES | FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN;
    while ((FLASH_ACR & 0xFu) != BOARD_FLASH_WAIT_STATES) continue;

    RCC_DCKCFGR2 &= ~RCC_DCKCFGR2_CK48MSEL;
    uint32_t cfgr = RCC_CFGR & ~(0xFu << 4 | 7u << 10 | 7u << 13 | 3u);
    cfgr |= stm32_ahb_prescaler(BOARD_AHB_DIV) << 4 | stm32_apb_prescaler(BOARD_APB1_DIV) << 10 |
            stm32_apb_prescaler(BOARD_APB2_DIV) << 13;
    RCC_CFGR = cfgr;
    RCC_CFGR = cfgr | RCC_CFGR_SW_PLL;
    while ((RCC_CFGR >> RCC_CFGR_SWS_SHIFT & 3u) != RCC_CFGR_SW_PLL) continue;

    chip_core_hz = BOARD_SYSCLK_HZ / BOARD_AHB_DIV;
    return true;
}

uintptr_t chip_gpio_base(unsigned port)
{
    return 0x40020000u + 0x400u * port;
}

void chip_gpio_clock_enable(unsigned port)
{
    RCC_AHB1ENR |= 1u << port;
    (void)RCC_AHB1ENR; /* the read lets the clock reach the port before its first access */
}

uint32_t chip_target_uart_clock_enable(void)
{
    _Static_assert(BOARD_UART_INDEX == 6, "only USART6 is set up on the F72x");
    /* USART6's kernel clock is PCLK2 after reset (DCKCFGR2.USART6SEL = 0). */
    RCC_APB2ENR |= RCC_APB2_USART6;
    (void)RCC_APB2ENR;
    return BOARD_SYSCLK_HZ / BOARD_AHB_DIV / BOARD_APB2_DIV;
}

bool chip_usb_enable(chip_usb_controller *out)
{
    _Static_assert(BOARD_USB_BASE == 0x40040000u, "the F72x's USB hook serves OTG_HS");
    /* OTG_HS, its ULPI clock (the internal UTMI PHY's clock reaches the core through it) and the
     * PHY controller; then a reset of the core. */
    RCC_AHB1ENR |= RCC_AHB1_OTGHS | (BOARD_USB_PHY_INTERNAL_HS ? RCC_AHB1_OTGHSULPI : 0u);
    RCC_APB2ENR |= BOARD_USB_PHY_INTERNAL_HS ? RCC_APB2_OTGPHYC : 0u;
    (void)RCC_APB2ENR;
    RCC_AHB1RSTR |= RCC_AHB1_OTGHS;
    RCC_AHB1RSTR &= ~RCC_AHB1_OTGHS;
    (void)RCC_AHB1RSTR;

    out->base = BOARD_USB_BASE;
    out->irq = BOARD_USB_IRQ;
    out->high_speed = BOARD_USB_HIGH_SPEED != 0;
    out->internal_hs_phy = BOARD_USB_PHY_INTERNAL_HS != 0;
    out->vbus_sensing = BOARD_USB_VBUS_SENSING != 0;
    out->endpoints = BOARD_USB_ENDPOINTS;
    out->fifo_bytes = BOARD_USB_FIFO_BYTES;
    return true;
}

bool chip_usb_phy_start(void)
{
#if BOARD_USB_PHY_INTERNAL_HS
    /* The HS PHY: its LDO, then its PLL from the HSE (usb_phyc_f72x.c, the USB stack's one
     * driver of the PHY controller); its PLL has no ready flag: about 2 ms to lock before the
     * core may use the PHY. The tuning register stays at reset. */
    if (!usb_phyc_f72x_init(BOARD_USB_PHYC_BASE, BOARD_HSE_HZ, 0)) return false;
    chip_delay_us(2000);
#endif
    return true;
}
