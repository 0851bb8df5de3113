/* What a board's main uses of its MCU, the same for every family (firmware/chip). The family's
 * own facts (peripheral addresses, interrupt numbers) come from its header, chosen by the
 * board's generated board_config.h; the board's facts come from board_config.h alone. */
#ifndef CHIP_H
#define CHIP_H

#include <stdbool.h>
#include <stdint.h>

#include "board_config.h"
#include "chip/cortex_m7.h"

#if defined(BOARD_MCU_STM32F72X)
#include "chip/stm32f72x.h"
#elif defined(BOARD_MCU_STM32H7)
#include "chip/stm32h7.h"
#else
#error "board_config.h names no MCU family this firmware supports"
#endif

/* The target UART's instance, chosen by the board (BOARD_UART_INDEX), as the family's header
 * describes it: CHIP_UARTn_BASE and CHIP_UARTn_IRQ. An instance the family does not list fails
 * here, at compile time. */
#define CHIP_CAT3_(a, b, c) a##b##c
#define CHIP_CAT3(a, b, c) CHIP_CAT3_(a, b, c)
#define CHIP_TARGET_UART_BASE CHIP_CAT3(CHIP_UART, BOARD_UART_INDEX, _BASE)
#define CHIP_TARGET_UART_IRQ CHIP_CAT3(CHIP_UART, BOARD_UART_INDEX, _IRQ)

/* The core clock in hertz, set by chip_clock_init (the reset clock until then). */
extern uint32_t chip_core_hz;

/* Family (stm32f72x.c, stm32h7.c) ------------------------------------------------------------ */

/* Crystal, PLL, flash wait states (and on the H7 the supply and voltage scaling first), bus
 * prescalers, then the switch to the PLL, all from board_config.h. Returns false if the HSE or
 * a PLL did not start (the core then stays on its internal oscillator). */
bool chip_clock_init(void);
/* GPIO port n (A = 0): its registers' base, and its clock turned on. */
uintptr_t chip_gpio_base(unsigned port);
void chip_gpio_clock_enable(unsigned port);
/* The target UART's clock turned on; returns its kernel clock in hertz. */
uint32_t chip_target_uart_clock_enable(void);

/* Common to the families (chip_common.c) ----------------------------------------------------- */

/* A 1 ms SysTick from the core clock, and the milliseconds since. */
void chip_systick_init(void);
uint32_t chip_millis(void);
/* The DWT cycle counter (the SWD timing and chip_delay_us run on it). */
void chip_cycle_counter_init(void);
static inline uint32_t chip_cycles(void) { return DWT_CYCCNT; }
void chip_delay_us(uint32_t us);
/* The 96-bit unique ID as 24 upper-case hex digits, bytes in address order, and a NUL. */
void chip_serial_number(char out[25]);
/* The instruction cache on (the data cache stays off: nothing here would gain from it, and the
 * USB FIFOs and RAM would need its maintenance if a driver ever used DMA). */
void chip_icache_enable(void);
/* A system reset. */
_Noreturn void chip_reset(void);

/* GPIO (gpio.c): the GPIO block is the same on the F7 and the H7. --------------------------- */
typedef enum { GPIO_MODE_INPUT = 0, GPIO_MODE_OUTPUT = 1, GPIO_MODE_AF = 2, GPIO_MODE_ANALOG = 3 } gpio_mode;
typedef enum { GPIO_PULL_NONE = 0, GPIO_PULL_UP = 1, GPIO_PULL_DOWN = 2 } gpio_pull;
typedef enum { GPIO_SPEED_LOW = 0, GPIO_SPEED_MEDIUM = 1, GPIO_SPEED_HIGH = 2, GPIO_SPEED_VERY_HIGH = 3 } gpio_speed;

#define GPIO_MODER(base) REG32((base) + 0x00u)
#define GPIO_OTYPER(base) REG32((base) + 0x04u)
#define GPIO_OSPEEDR(base) REG32((base) + 0x08u)
#define GPIO_PUPDR(base) REG32((base) + 0x0Cu)
#define GPIO_IDR(base) REG32((base) + 0x10u)
#define GPIO_ODR(base) REG32((base) + 0x14u)
#define GPIO_BSRR(base) REG32((base) + 0x18u)
#define GPIO_AFR(base, pin) REG32((base) + 0x20u + 4u * ((pin) / 8u))

/* Turns on the port's clock and sets the pin up; an output takes `level` before it is driven. */
void gpio_setup(unsigned port, unsigned pin, gpio_mode mode, bool open_drain, gpio_speed speed, gpio_pull pull,
                unsigned af, bool level);
void gpio_set_mode(unsigned port, unsigned pin, gpio_mode mode);
void gpio_write(unsigned port, unsigned pin, bool level);
bool gpio_read(unsigned port, unsigned pin);

#endif
