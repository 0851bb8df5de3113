/* What every image of a board starts with, the application's main and the bootloader's alike:
 * the chip's clocks and time, and the LED (boards/<name>.json pins.led: a two-colour one shows
 * its idle colour, or its activity colour when set; a single one is lit when set). */
#ifndef BOARD_BASE_H
#define BOARD_BASE_H

#include <stdbool.h>

/* The instruction cache, the clocks from the board's JSON, the cycle counter, the 1 ms SysTick
 * and the LED (off); if the clocks did not start, board_failure. */
void board_start(void);

/* The LED's pin as an output, showing "off" (the idle colour, or dark). */
void board_led_init(void);
void board_led_set(bool on);
/* Something the board needs did not start (the clocks, the USB controller): blink fast for five
 * seconds, then reset and try again. */
_Noreturn void board_failure(void);

#endif
