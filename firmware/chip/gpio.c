/* The STM32 GPIO block, the same on the F7 and the H7 (RM0431 and RM0433, "General-purpose
 * I/Os"): two mode bits, one output-type bit, two speed bits, two pull bits and four
 * alternate-function bits per pin; BSRR sets (low half) and resets (high half) atomically. */
#include "chip/chip.h"

static void field(volatile uint32_t *reg, unsigned shift, uint32_t mask, uint32_t value)
{
    *reg = (*reg & ~(mask << shift)) | (value & mask) << shift;
}

void gpio_setup(unsigned port, unsigned pin, gpio_mode mode, bool open_drain, gpio_speed speed, gpio_pull pull,
                unsigned af, bool level)
{
    chip_gpio_clock_enable(port);
    uintptr_t base = chip_gpio_base(port);
    gpio_write(port, pin, level);
    field(&GPIO_OTYPER(base), pin, 1u, open_drain ? 1u : 0u);
    field(&GPIO_OSPEEDR(base), 2u * pin, 3u, speed);
    field(&GPIO_PUPDR(base), 2u * pin, 3u, pull);
    field(&GPIO_AFR(base, pin), 4u * (pin % 8u), 0xFu, af);
    field(&GPIO_MODER(base), 2u * pin, 3u, mode);
}

void gpio_set_mode(unsigned port, unsigned pin, gpio_mode mode)
{
    field(&GPIO_MODER(chip_gpio_base(port)), 2u * pin, 3u, mode);
}

void gpio_write(unsigned port, unsigned pin, bool level)
{
    GPIO_BSRR(chip_gpio_base(port)) = level ? 1u << pin : 1u << (pin + 16u);
}

bool gpio_read(unsigned port, unsigned pin)
{
    return (GPIO_IDR(chip_gpio_base(port)) >> pin & 1u) != 0;
}
