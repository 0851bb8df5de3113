/* The Cortex-M debug registers the core, the flash routines and the families use (ARMv7-M
 * Architecture Reference Manual C1.6, ARMv6-M C1.6; the SCS and its debug block), in one
 * place. */
#ifndef CORTEXM_DEBUG_REGS_H
#define CORTEXM_DEBUG_REGS_H

#define CPUID 0xE000ED00u
#define AIRCR 0xE000ED0Cu
#define DFSR 0xE000ED30u
#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DEMCR 0xE000EDFCu
#define FP_CTRL 0xE0002000u
#define FP_COMP0 0xE0002008u
#define DWT_CTRL 0xE0001000u
#define DWT_COMP(n) (0xE0001020u + 16 * (n))
#define DWT_MASK(n) (0xE0001024u + 16 * (n))
#define DWT_FUNCTION(n) (0xE0001028u + 16 * (n))
#define MVFR0 0xE000EF40u

/* DHCSR: the key for writes, the control bits, the status bits */
#define DBGKEY 0xA05F0000u
#define C_DEBUGEN 0x1u
#define C_HALT 0x2u
#define C_STEP 0x4u
#define C_MASKINTS 0x8u
#define S_REGRDY (1u << 16)
#define S_HALT (1u << 17)
#define S_LOCKUP (1u << 19)
#define S_RESET_ST (1u << 25)

/* DEMCR */
#define DEMCR_VC_CORERESET 1u
#define DEMCR_VC_HARDERR (1u << 10)
#define DEMCR_TRCENA (1u << 24)

/* DFSR: why the core halted (write ones to clear) */
#define DFSR_HALTED (1u << 0)
#define DFSR_BKPT (1u << 1)
#define DFSR_DWTTRAP (1u << 2)
#define DFSR_VCATCH (1u << 3)
#define DFSR_EXTERNAL (1u << 4)
#define DFSR_ALL 0x1Fu

/* xPSR's Thumb bit, which a routine started by the debugger needs */
#define XPSR_THUMB 0x01000000u

#endif
