/* The Cortex-M7 core peripherals this firmware touches (Armv7-M Architecture Reference Manual,
 * "System Control Space"; Cortex-M7 Technical Reference Manual for the cache and the DWT lock). */
#ifndef CORTEX_M7_H
#define CORTEX_M7_H

#include <stdint.h>

#define REG32(address) (*(volatile uint32_t *)(uintptr_t)(address))

/* SysTick */
#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE_CORE (1u << 2)

/* NVIC: set-enable and priority registers */
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_IPR_BYTE(irq) (*(volatile uint8_t *)(uintptr_t)(0xE000E400u + (irq)))

/* System control block */
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_AIRCR REG32(0xE000ED0Cu)
#define SCB_CCR REG32(0xE000ED14u)
#define SCB_SHPR3 REG32(0xE000ED20u)
#define SCB_CPACR REG32(0xE000ED88u)
#define SCB_ICIALLU REG32(0xE000EF50u) /* invalidate the whole instruction cache */
#define SCB_AIRCR_KEY (0x05FAu << 16)
#define SCB_AIRCR_SYSRESETREQ (1u << 2)
#define SCB_CCR_IC (1u << 17)

/* Debug: DEMCR.TRCENA powers the DWT; on the Cortex-M7 its lock access register must be
 * unlocked before software can start the cycle counter. */
#define DEMCR REG32(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG32(0xE0001000u)
#define DWT_CYCCNT REG32(0xE0001004u)
#define DWT_LAR REG32(0xE0001FB0u)
#define DWT_LAR_KEY 0xC5ACCE55u
#define DWT_CTRL_CYCCNTENA (1u << 0)

static inline void cm7_dsb(void) { __asm__ volatile("dsb 0xF" ::: "memory"); }
static inline void cm7_isb(void) { __asm__ volatile("isb 0xF" ::: "memory"); }
static inline void cm7_irq_disable(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static inline void cm7_irq_enable(void) { __asm__ volatile("cpsie i" ::: "memory"); }

static inline void nvic_enable(unsigned irq, uint8_t priority)
{
    NVIC_IPR_BYTE(irq) = priority;
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

static inline void nvic_disable(unsigned irq)
{
    NVIC_ICER(irq / 32u) = 1u << (irq % 32u);
    cm7_dsb();
    cm7_isb();
}

#endif
