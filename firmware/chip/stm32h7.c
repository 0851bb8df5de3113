/* STM32H742/743/750/753: supply and voltage scaling, clocks, GPIO ports, the target UART's
 * clock and the USB hook (RM0433). */
#include "chip/chip.h"
#include "chip/chip_usb.h"
#include "chip/stm32_rcc.h"

#define RCC_BASE 0x58024400u
#define RCC_CR REG32(RCC_BASE + 0x000u)
#define RCC_CFGR REG32(RCC_BASE + 0x010u)
#define RCC_D1CFGR REG32(RCC_BASE + 0x018u)
#define RCC_D2CFGR REG32(RCC_BASE + 0x01Cu)
#define RCC_D3CFGR REG32(RCC_BASE + 0x020u)
#define RCC_PLLCKSELR REG32(RCC_BASE + 0x028u)
#define RCC_PLLCFGR REG32(RCC_BASE + 0x02Cu)
#define RCC_PLL1DIVR REG32(RCC_BASE + 0x030u)
#define RCC_PLL3DIVR REG32(RCC_BASE + 0x040u)
#define RCC_D2CCIP2R REG32(RCC_BASE + 0x054u)
#define RCC_AHB1RSTR REG32(RCC_BASE + 0x080u)
#define RCC_AHB1ENR REG32(RCC_BASE + 0x0D8u)
#define RCC_AHB4ENR REG32(RCC_BASE + 0x0E0u)
#define RCC_APB1LENR REG32(RCC_BASE + 0x0E8u)

#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLL1ON (1u << 24)
#define RCC_CR_PLL1RDY (1u << 25)
#define RCC_CR_PLL3ON (1u << 28)
#define RCC_CR_PLL3RDY (1u << 29)
#define RCC_CFGR_SW_PLL1 3u
#define RCC_PLLCKSELR_SRC_HSE 2u
#define RCC_PLLCFGR_DIVP1EN (1u << 16)
#define RCC_PLLCFGR_DIVQ1EN (1u << 17)
#define RCC_PLLCFGR_DIVR1EN (1u << 18)
#define RCC_PLLCFGR_DIVQ3EN (1u << 23)
#define RCC_D2CCIP2R_USBSEL_PLL3Q (2u << 20)
#define RCC_AHB1_USB2OTGFS (1u << 27)
#define RCC_APB1L_USART2 (1u << 17)
#define RCC_APB1L_UART7 (1u << 30)

#define PWR_CSR1 REG32(0x58024804u)
#define PWR_CR3 REG32(0x5802480Cu)
#define PWR_D3CR REG32(0x58024818u)
#define PWR_CR3_BYPASS (1u << 0)
#define PWR_CR3_LDOEN (1u << 1)
#define PWR_CR3_USB33DEN (1u << 24)
#define PWR_CR3_USB33RDY (1u << 26)
#define PWR_CSR1_ACTVOSRDY (1u << 13)
#define PWR_D3CR_VOSRDY (1u << 13)

#define FLASH_ACR REG32(0x52002000u)

/* The clock tree of board_config.h, checked against RM0433's limits (the wide VCO range as both
 * silicon revisions allow it). */
#define PLL1_IN_HZ (BOARD_HSE_HZ / BOARD_PLL1_M)
#define PLL3_IN_HZ (BOARD_HSE_HZ / BOARD_PLL3_M)
#define PLL1_VCO_HZ (PLL1_IN_HZ * BOARD_PLL1_N)
#define PLL3_VCO_HZ (PLL3_IN_HZ * BOARD_PLL3_N)
#define AHB_HZ (BOARD_SYSCLK_HZ / BOARD_AHB_DIV)
_Static_assert(BOARD_HSE_HZ % BOARD_PLL1_M == 0 && BOARD_HSE_HZ % BOARD_PLL3_M == 0, "whole-hertz PLL inputs");
_Static_assert(PLL1_IN_HZ >= 2000000u && PLL1_IN_HZ <= 16000000u, "PLL1 input outside the wide range's 2-16 MHz");
_Static_assert(PLL3_IN_HZ >= 2000000u && PLL3_IN_HZ <= 16000000u, "PLL3 input outside the wide range's 2-16 MHz");
_Static_assert(PLL1_VCO_HZ >= 192000000u && PLL1_VCO_HZ <= 836000000u, "PLL1 VCO outside 192-836 MHz");
_Static_assert(PLL3_VCO_HZ >= 192000000u && PLL3_VCO_HZ <= 836000000u, "PLL3 VCO outside 192-836 MHz");
_Static_assert(BOARD_PLL1_P % 2 == 0, "PLL1 P must be even");
_Static_assert(PLL1_VCO_HZ / BOARD_PLL1_P == BOARD_SYSCLK_HZ, "PLL1 P does not give clocks.sysclkHz");
_Static_assert(PLL3_VCO_HZ / BOARD_PLL3_Q == 48000000u && PLL3_VCO_HZ % BOARD_PLL3_Q == 0, "PLL3 Q must give 48 MHz");
_Static_assert(BOARD_VOLTAGE_SCALE == 1 && BOARD_SYSCLK_HZ <= 400000000u, "up to 400 MHz at voltage scale 1");
_Static_assert(AHB_HZ <= 200000000u, "AHB/AXI above 200 MHz");
_Static_assert(AHB_HZ / BOARD_APB_DIV <= 100000000u, "APB above 100 MHz");
/* Flash read latency at scale 1 (RM0433, "Read access latency"): 0 wait states up to 70 MHz of
 * AXI clock, 1 up to 140, 2 up to 210; the programming delay 1 up to 185 MHz, 2 above. */
_Static_assert(BOARD_FLASH_WAIT_STATES >= (AHB_HZ <= 70000000u ? 0 : AHB_HZ <= 140000000u ? 1 : 2),
               "too few flash wait states for the AXI clock");
_Static_assert(BOARD_FLASH_PROGRAMMING_DELAY == (AHB_HZ <= 70000000u ? 0 : AHB_HZ <= 185000000u ? 1 : 2),
               "flash programming delay (WRHIGHFREQ) does not match the AXI clock");

/* The PLL input range field for an input frequency (1-2, 2-4, 4-8, 8-16 MHz). */
static uint32_t pll_range(uint32_t hz)
{
    return hz < 2000000u ? 0u : hz < 4000000u ? 1u : hz < 8000000u ? 2u : 3u;
}

static uint32_t pll_divr(unsigned n, unsigned p, unsigned q, unsigned r)
{
    return (uint32_t)(n - 1) | (uint32_t)(p - 1) << 9 | (uint32_t)(q - 1) << 16 | (uint32_t)(r - 1) << 24;
}

bool chip_clock_init(void)
{
    /* The supply first: the LDO (the DevEBox boards have no SMPS and no external core supply).
     * PWR_CR3's supply bits take one write after power-on; then wait until the voltage levels
     * are ready. Then voltage scale 1, before any clock rises (RM0433, "Power control"). */
    PWR_CR3 = (PWR_CR3 & ~PWR_CR3_BYPASS) | PWR_CR3_LDOEN;
    if (!stm32_wait_set(&PWR_CSR1, PWR_CSR1_ACTVOSRDY, 2000000u)) return false;
    PWR_D3CR = (PWR_D3CR & ~(3u << 14)) | 3u << 14; /* VOS = 0b11: scale 1 */
    if (!stm32_wait_set(&PWR_D3CR, PWR_D3CR_VOSRDY, 2000000u)) return false;

    RCC_CR |= RCC_CR_HSEON | (BOARD_HSE_BYPASS ? RCC_CR_HSEBYP : 0u);
    if (!stm32_wait_set(&RCC_CR, RCC_CR_HSERDY, 2000000u)) return false;

    /* PLL1 for the core, PLL3 for USB; PLL2 unused (its divider 0 turns it off). */
    RCC_PLLCKSELR = RCC_PLLCKSELR_SRC_HSE | (uint32_t)BOARD_PLL1_M << 4 | (uint32_t)BOARD_PLL3_M << 20;
    uint32_t cfg = RCC_PLLCFGR & ~(0xFu | 0xFu << 8 | 0x1FFu << 16); /* wide VCOs, integer mode */
    cfg |= pll_range(PLL1_IN_HZ) << 2 | pll_range(PLL3_IN_HZ) << 10;
    cfg |= RCC_PLLCFGR_DIVP1EN | RCC_PLLCFGR_DIVQ1EN | RCC_PLLCFGR_DIVR1EN | RCC_PLLCFGR_DIVQ3EN;
    RCC_PLLCFGR = cfg;
    RCC_PLL1DIVR = pll_divr(BOARD_PLL1_N, BOARD_PLL1_P, BOARD_PLL1_Q, BOARD_PLL1_R);
    RCC_PLL3DIVR = pll_divr(BOARD_PLL3_N, BOARD_PLL3_P, BOARD_PLL3_Q, BOARD_PLL3_R);
    RCC_CR |= RCC_CR_PLL1ON | RCC_CR_PLL3ON;
    if (!stm32_wait_set(&RCC_CR, RCC_CR_PLL1RDY, 2000000u)) return false;
    if (!stm32_wait_set(&RCC_CR, RCC_CR_PLL3RDY, 2000000u)) return false;

    FLASH_ACR = (FLASH_ACR & ~0x3Fu) | (uint32_t)BOARD_FLASH_WAIT_STATES |
                (uint32_t)BOARD_FLASH_PROGRAMMING_DELAY << 4; /* LATENCY, WRHIGHFREQ */
    while ((FLASH_ACR & 0xFu) != BOARD_FLASH_WAIT_STATES) continue;

    /* Core at SYSCLK (D1CPRE 1); AHB/AXI and every APB divided as the board says. */
    RCC_D1CFGR = stm32_ahb_prescaler(BOARD_AHB_DIV) | stm32_apb_prescaler(BOARD_APB_DIV) << 4;
    RCC_D2CFGR = stm32_apb_prescaler(BOARD_APB_DIV) << 4 | stm32_apb_prescaler(BOARD_APB_DIV) << 8;
    RCC_D3CFGR = stm32_apb_prescaler(BOARD_APB_DIV) << 4;
    RCC_CFGR = (RCC_CFGR & ~7u) | RCC_CFGR_SW_PLL1;
    while ((RCC_CFGR >> 3 & 7u) != RCC_CFGR_SW_PLL1) continue;

    chip_core_hz = BOARD_SYSCLK_HZ;
    return true;
}

uintptr_t chip_gpio_base(unsigned port)
{
    return 0x58020000u + 0x400u * port;
}

void chip_gpio_clock_enable(unsigned port)
{
    RCC_AHB4ENR |= 1u << port;
    (void)RCC_AHB4ENR; /* the read lets the clock reach the port before its first access */
}

uint32_t chip_target_uart_clock_enable(void)
{
    /* USART2 and UART7 take rcc_pclk1 after reset (D2CCIP2R.USART234578SEL = 0). */
#if BOARD_UART_INDEX == 2
    RCC_APB1LENR |= RCC_APB1L_USART2;
#elif BOARD_UART_INDEX == 7
    RCC_APB1LENR |= RCC_APB1L_UART7;
#else
#error "only USART2 and UART7 are set up on the H7"
#endif
    (void)RCC_APB1LENR;
    return AHB_HZ / BOARD_APB_DIV;
}

bool chip_usb_enable(chip_usb_controller *out)
{
    _Static_assert(BOARD_USB_BASE == 0x40080000u && !BOARD_USB_HIGH_SPEED,
                   "the H7's USB hook serves the second OTG core at full speed (OTG_FS on PA11/PA12)");
    /* The USB transceiver's 3.3 V supply (VDD33USB, from VDD on these boards): its detector on,
     * then wait until it reports the level good. */
    PWR_CR3 |= PWR_CR3_USB33DEN;
    uint32_t start = chip_millis();
    while (!(PWR_CR3 & PWR_CR3_USB33RDY)) {
        if (chip_millis() - start > 10u) return false;
    }
    /* The 48 MHz kernel clock from PLL3 Q, then the core's bus clock and a reset. */
    RCC_D2CCIP2R = (RCC_D2CCIP2R & ~(3u << 20)) | RCC_D2CCIP2R_USBSEL_PLL3Q;
    RCC_AHB1ENR |= RCC_AHB1_USB2OTGFS;
    (void)RCC_AHB1ENR;
    RCC_AHB1RSTR |= RCC_AHB1_USB2OTGFS;
    RCC_AHB1RSTR &= ~RCC_AHB1_USB2OTGFS;
    (void)RCC_AHB1RSTR;
#if defined(BOARD_HAS_USB_DM) && defined(BOARD_HAS_USB_DP)
    gpio_setup(BOARD_USB_DM_PORT, BOARD_USB_DM_PIN, GPIO_MODE_AF, false, GPIO_SPEED_VERY_HIGH, GPIO_PULL_NONE,
               BOARD_USB_DM_AF, false);
    gpio_setup(BOARD_USB_DP_PORT, BOARD_USB_DP_PIN, GPIO_MODE_AF, false, GPIO_SPEED_VERY_HIGH, GPIO_PULL_NONE,
               BOARD_USB_DP_AF, false);
#endif

    out->base = BOARD_USB_BASE;
    out->irq = BOARD_USB_IRQ;
    out->high_speed = false;
    out->internal_hs_phy = false;
    out->vbus_sensing = BOARD_USB_VBUS_SENSING != 0;
    out->endpoints = BOARD_USB_ENDPOINTS;
    out->fifo_bytes = BOARD_USB_FIFO_BYTES;
    return true;
}

bool chip_usb_phy_start(void)
{
    return true; /* the OTG_FS core's own transceiver: nothing outside the core to start */
}
