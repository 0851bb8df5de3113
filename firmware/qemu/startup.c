/* Reset and exception entry for the QEMU build (Cortex-M7 on mps2-an500): the vector table at
 * 0x00000000, the reset handler that lays out RAM and calls main, and a millisecond clock from
 * SysTick. Facts from the Armv7-M Architecture Reference Manual (vector table, SysTick
 * registers) and the MPS2 AN500 application note (the interrupt numbers). */
#include <stdint.h>
#include <string.h>

#include "qemu_board.h"

extern uint8_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[], __stack_top[];
int main(void);

void Reset_Handler(void);
void Fault_Handler(void);
void Ignore_Handler(void);
void SysTick_Handler(void);
void Uart_Rx_Handler(void);

static volatile uint32_t milliseconds;

void Reset_Handler(void)
{
    memcpy(__data_start, __data_load, (size_t)(__data_end - __data_start));
    memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
    main();
    for (;;) continue;
}

/* A fault in the firmware itself: stop where a debugger on QEMU's gdbstub can see it. */
void Fault_Handler(void)
{
    for (;;) continue;
}

void Ignore_Handler(void)
{
}

void SysTick_Handler(void)
{
    milliseconds++;
}

/* The UARTs' receive interrupts only wake the main loop from WFI; it reads the data itself. */
void Uart_Rx_Handler(void)
{
    CMSDK_UART(QEMU_UART_GDB)->intstatus = CMSDK_UART_INT_RX;
    CMSDK_UART(QEMU_UART_DAP)->intstatus = CMSDK_UART_INT_RX;
}

typedef void (*vector)(void);

/* The 16 system exceptions, then the external interrupts up to UART1's receive interrupt. */
__attribute__((section(".vectors"), used)) static const vector vectors[16 + QEMU_IRQ_UART1_RX + 1] = {
    [0] = (vector)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = Fault_Handler,  /* NMI */
    [3] = Fault_Handler,  /* HardFault */
    [4] = Fault_Handler,  /* MemManage */
    [5] = Fault_Handler,  /* BusFault */
    [6] = Fault_Handler,  /* UsageFault */
    [11] = Ignore_Handler, /* SVCall */
    [12] = Ignore_Handler, /* DebugMonitor */
    [14] = Ignore_Handler, /* PendSV */
    [15] = SysTick_Handler,
    [16 + QEMU_IRQ_UART0_RX] = Uart_Rx_Handler,
    [16 + QEMU_IRQ_UART1_RX] = Uart_Rx_Handler,
};

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)

void qemu_clock_init(void)
{
    SYST_RVR = QEMU_CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* ENABLE | TICKINT | CLKSOURCE: the processor clock */
}

uint32_t qemu_millis(void)
{
    return milliseconds;
}

void qemu_rx_wakeup_init(void)
{
    NVIC_ISER0 = 1u << QEMU_IRQ_UART0_RX | 1u << QEMU_IRQ_UART1_RX;
}

void qemu_idle(void)
{
    /* With interrupts masked, a byte that arrived since the caller looked still ends the WFI
     * (a pending interrupt wakes the core whatever PRIMASK says); then its handler runs. */
    __asm__ volatile("cpsid i" ::: "memory");
    if (!cmsdk_uart_readable(CMSDK_UART(QEMU_UART_GDB)) && !cmsdk_uart_readable(CMSDK_UART(QEMU_UART_DAP)))
        __asm__ volatile("wfi" ::: "memory");
    __asm__ volatile("cpsie i" ::: "memory");
}
