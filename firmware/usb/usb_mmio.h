/* The one way the USB controller code (usb_dwc2.c, usb_phyc_f72x.c) touches a register: a 32-bit
 * read or write at `base + offset`.
 *
 * On the probe it is a plain volatile access. Built with USB_MMIO_MODEL (the host tests), the same
 * calls go to usb_mmio_model_read/write, which the test build provides: there `base` is the
 * address of a register model (test/usb/otg_model.h), and only these accessors change, never the
 * driver's logic. */
#ifndef USB_MMIO_H
#define USB_MMIO_H

#include <stdint.h>

#ifdef USB_MMIO_MODEL

uint32_t usb_mmio_model_read(uintptr_t base, uint32_t offset);
void usb_mmio_model_write(uintptr_t base, uint32_t offset, uint32_t value);

static inline uint32_t mmio_read(uintptr_t base, uint32_t offset)
{
    return usb_mmio_model_read(base, offset);
}

static inline void mmio_write(uintptr_t base, uint32_t offset, uint32_t value)
{
    usb_mmio_model_write(base, offset, value);
}

static inline void mmio_barrier(void)
{
}

#else

static inline uint32_t mmio_read(uintptr_t base, uint32_t offset)
{
    return *(volatile uint32_t *)(base + offset);
}

static inline void mmio_write(uintptr_t base, uint32_t offset, uint32_t value)
{
    *(volatile uint32_t *)(base + offset) = value;
}

/* Makes a write take effect before what follows (e.g. masking the core's interrupt line). */
static inline void mmio_barrier(void)
{
#if defined(__arm__)
    __asm volatile("dsb\n\tisb" ::: "memory");
#endif
}

#endif

static inline void mmio_set(uintptr_t base, uint32_t offset, uint32_t bits)
{
    mmio_write(base, offset, mmio_read(base, offset) | bits);
}

static inline void mmio_clear(uintptr_t base, uint32_t offset, uint32_t bits)
{
    mmio_write(base, offset, mmio_read(base, offset) & ~bits);
}

#endif
