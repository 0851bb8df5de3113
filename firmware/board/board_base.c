/* What every image of a board starts with (board_base.h). */
#include "board/board_base.h"

#include "chip/chip.h"

#define FAILURE_RESET_MS 5000u
#define FAILURE_BLINK_MS 100u

#if BOARD_LED_BICOLOUR
#define LED_ON_LEVEL BOARD_LED_ACTIVITY_LEVEL
#define LED_OFF_LEVEL BOARD_LED_IDLE_LEVEL
#else
#define LED_ON_LEVEL BOARD_LED_ACTIVE_LEVEL
#define LED_OFF_LEVEL (!BOARD_LED_ACTIVE_LEVEL)
#endif

void board_led_init(void)
{
    gpio_setup(BOARD_LED_PORT, BOARD_LED_PIN, GPIO_MODE_OUTPUT, false, GPIO_SPEED_LOW, GPIO_PULL_NONE, 0, LED_OFF_LEVEL);
}

void board_led_set(bool on)
{
    gpio_write(BOARD_LED_PORT, BOARD_LED_PIN, on ? LED_ON_LEVEL : LED_OFF_LEVEL);
}

_Noreturn void board_failure(void)
{
    uint32_t start = chip_millis();
    while (chip_millis() - start < FAILURE_RESET_MS) board_led_set((chip_millis() / FAILURE_BLINK_MS) % 2u != 0);
    chip_reset();
}

void board_start(void)
{
    chip_icache_enable();
    bool clocks = chip_clock_init();
    chip_cycle_counter_init();
    chip_systick_init();
    board_led_init();
    if (!clocks) board_failure();
}
