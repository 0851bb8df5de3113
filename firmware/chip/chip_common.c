/* What every family shares: SysTick time, the cycle counter, the unique ID as a serial number,
 * the instruction cache and the reset (chip.h). */
#include "chip/chip.h"

uint32_t chip_core_hz = CHIP_RESET_CORE_HZ;

static volatile uint32_t milliseconds;

void chip_systick_handler(void);
void chip_systick_handler(void)
{
    milliseconds++;
}

void chip_systick_init(void)
{
    SYST_CSR = 0;
    SYST_RVR = chip_core_hz / 1000u - 1u; /* 24 bits: up to 16.7 MHz per millisecond, enough */
    SYST_CVR = 0;
    SCB_SHPR3 = (SCB_SHPR3 & 0x00FFFFFFu) | 0xF0u << 24; /* lowest priority */
    SYST_CSR = SYST_CSR_CLKSOURCE_CORE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

uint32_t chip_millis(void)
{
    return milliseconds;
}

void chip_cycle_counter_init(void)
{
    DEMCR |= DEMCR_TRCENA;
    DWT_LAR = DWT_LAR_KEY;
    DWT_CYCCNT = 0;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

void chip_delay_us(uint32_t us)
{
    uint32_t per_us = chip_core_hz / 1000000u;
    /* In slices of at most 1 ms, so that the cycle count never wraps within one wait. */
    while (us) {
        uint32_t slice = us > 1000u ? 1000u : us;
        uint32_t start = chip_cycles(), wait = slice * per_us;
        while (chip_cycles() - start < wait) continue;
        us -= slice;
    }
}

void chip_serial_number(char out[25])
{
    static const char digits[] = "0123456789ABCDEF";
    const volatile uint8_t *uid = (const volatile uint8_t *)(uintptr_t)BOARD_UID_ADDRESS;
    for (unsigned i = 0; i < 12; i++) {
        out[2 * i] = digits[uid[i] >> 4];
        out[2 * i + 1] = digits[uid[i] & 0xFu];
    }
    out[24] = '\0';
}

void chip_icache_enable(void)
{
    cm7_dsb();
    cm7_isb();
    SCB_ICIALLU = 0;
    cm7_dsb();
    cm7_isb();
    SCB_CCR |= SCB_CCR_IC;
    cm7_dsb();
    cm7_isb();
}

_Noreturn void chip_reset(void)
{
    cm7_dsb();
    SCB_AIRCR = SCB_AIRCR_KEY | SCB_AIRCR_SYSRESETREQ;
    cm7_dsb();
    for (;;) continue;
}
