/* Types shared by every module of the simulated target. */
#ifndef SIM_TYPES_H
#define SIM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_target sim_target;

/* Result of one access on the simulated system bus (AHB/APB). */
typedef enum {
    SIM_BUS_OK = 0,
    SIM_BUS_FAULT = 1 /* no slave answered, or the slave rejected the access */
} sim_bus_status;

/* Who drives an access: the core's load/store unit, or a debugger through a MEM-AP. */
typedef enum {
    SIM_MASTER_CPU = 0,
    SIM_MASTER_DEBUG = 1
} sim_master;

/* Reset kinds, from the widest to the narrowest. */
typedef enum {
    SIM_RESET_POWER_ON = 0, /* everything, debug logic included; RAM contents undefined */
    SIM_RESET_SYSTEM = 1,   /* AIRCR.SYSRESETREQ or the nRST pin: core and peripherals, not debug */
    SIM_RESET_CORE = 2      /* core only (AIRCR.VECTRESET, ARMv7-M only) */
} sim_reset_kind;

/* Little-endian helpers for byte-array memories. */
static inline uint32_t sim_get_le(const uint8_t *p, unsigned size)
{
    uint32_t v = p[0];
    if (size > 1) v |= (uint32_t)p[1] << 8;
    if (size > 2) v |= (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return v;
}

static inline void sim_put_le(uint8_t *p, unsigned size, uint32_t v)
{
    p[0] = (uint8_t)v;
    if (size > 1) p[1] = (uint8_t)(v >> 8);
    if (size > 2) {
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
    }
}

/* The bytes of a 32-bit register value that a 1, 2 or 4 byte read at `offset` returns. */
static inline uint32_t sim_lanes(uint32_t word, uint32_t offset, unsigned size)
{
    return size == 4 ? word : (word >> ((offset & 3) * 8)) & ((1u << (size * 8)) - 1);
}

#endif
