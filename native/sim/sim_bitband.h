/* Bit-banding on the Cortex-M3 and Cortex-M4 parts (ARMv7-M ARM B3.5.1, the Cortex-M3/M4 TRMs'
 * "Bit-banding"): each word of the 32 MB alias regions 0x22000000-0x23FFFFFF and
 * 0x42000000-0x43FFFFFF stands for one bit of the 1 MB regions 0x20000000-0x200FFFFF (SRAM) and
 * 0x40000000-0x400FFFFF (peripherals):
 *
 *   alias = alias_base + (byte - region_base) * 32 + bit * 4
 *
 * A read of the alias returns the bit in bit 0 (0 or 1); a write does an atomic read-modify-write
 * that sets the bit to bit 0 of the value. The transfer to the bit-band region has the size of
 * the alias access (byte, halfword or word), so a peripheral register sees the access size the
 * instruction made. Core and debugger (MEM-AP) accesses are remapped alike; instruction fetches
 * from the alias are not (they fault). The Cortex-M7 has no bit-banding: its alias addresses stay
 * unmapped. */
#ifndef SIM_BITBAND_H
#define SIM_BITBAND_H

#include "sim_types.h"

#define SIM_BITBAND_SRAM_BASE 0x20000000u
#define SIM_BITBAND_SRAM_ALIAS 0x22000000u
#define SIM_BITBAND_PERIPH_BASE 0x40000000u
#define SIM_BITBAND_PERIPH_ALIAS 0x42000000u
#define SIM_BITBAND_REGION_SIZE 0x00100000u /* 1 MB of bits ... */
#define SIM_BITBAND_ALIAS_SIZE 0x02000000u  /* ... seen as 32 MB of words */

/* Adds the two alias regions to the bus on the profiles whose core has bit-banding (Cortex-M3,
 * Cortex-M4); does nothing on the others. False if the bus refused a region (full, overlap). */
bool sim_bitband_attach(sim_target *t);

/* The alias word address of `bit` (0-7) of the byte at `addr` in a bit-band region; 0 if `addr`
 * is in neither region. */
uint32_t sim_bitband_alias(uint32_t addr, unsigned bit);

#endif
