/* The flash controller ST's G0 (RM0444) and L4 (RM0351) share: KEYR 0x08, OPTKEYR 0x0C,
 * SR 0x10, CR 0x14 at 0x40022000; 64-bit double-word programming; 2 KiB page erase by page
 * number (CR.PNB, with CR.BKER for the bank on dual-bank parts); the error flags PROGERR,
 * SIZERR, PGAERR, PGSERR, WRPERR (with OPERR, MISSERR, FASTERR, RDERR, OPTVERR). The two
 * family files (stm32g0.c, stm32l4.c) differ in identification, memory maps and banks. */
#ifndef STM32G0L4_H
#define STM32G0L4_H

#include "families/stm32.h"

#define G0L4_SR_OPERR (1u << 1)
#define G0L4_SR_PROGERR (1u << 3)
#define G0L4_SR_WRPERR (1u << 4)
#define G0L4_SR_PGAERR (1u << 5)
#define G0L4_SR_SIZERR (1u << 6)
#define G0L4_SR_PGSERR (1u << 7)
#define G0L4_SR_MISSERR (1u << 8)
#define G0L4_SR_FASTERR (1u << 9)
#define G0L4_SR_RDERR (1u << 14)
#define G0L4_SR_OPTVERR (1u << 15)
#define G0L4_SR_ERRORS 0xC3FAu
#define G0L4_CR_PG (1u << 0)
#define G0L4_CR_PER (1u << 1)
#define G0L4_CR_MER1 (1u << 2)
#define G0L4_CR_BKER (1u << 11)
#define G0L4_CR_MER2 (1u << 15)
#define G0L4_CR_STRT (1u << 16)
#define G0L4_CR_LOCK (1u << 31)

/* The error bits as a status. */
bmp_status g0l4_decode(uint32_t sr);

#define G0L4_CONTROLLER(erase_fn, bank_erase_fn)                                                               \
    {.base = 0x40022000u, .keyr = 0x08, .sr = 0x10, .cr = 0x14, .clear = 0x10, .busy = 1u << 16,        \
     .errors = G0L4_SR_ERRORS, .eop = 1u << 0, .lock = G0L4_CR_LOCK, .pg_cr = G0L4_CR_PG,               \
     .decode = g0l4_decode, .erase = erase_fn, .bank_erase = bank_erase_fn}

#endif
