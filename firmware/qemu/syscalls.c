/* What newlib needs from the QEMU build: memory for malloc (the simulated target's flash and
 * RAM), from the .heap section the linker script reserves. Nothing else of the C library that
 * needs the system is linked. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern uint8_t __heap_start[], __heap_end[];

void *_sbrk(ptrdiff_t increment);

void *_sbrk(ptrdiff_t increment)
{
    static uint8_t *top = __heap_start;
    if (increment > __heap_end - top || increment < __heap_start - top) {
        errno = ENOMEM;
        return (void *)-1;
    }
    uint8_t *previous = top;
    top += increment;
    return previous;
}
