/* Private to the executor (sim_cpu.c: 16-bit Thumb and the step loop; sim_thumb2.c: the 32-bit
 * Thumb-2 encodings): flag arithmetic, the load/store fast paths, the IT state. */
#ifndef SIM_CPU_IMPL_H
#define SIM_CPU_IMPL_H

#include "sim_target.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ITSTATE in EPSR: IT[1:0] in xPSR[26:25], IT[7:2] in xPSR[15:10] (ARMv7-M B1.4.2). */
#define XPSR_IT_MASK 0x0600FC00u
#define CCR_UNALIGN_TRP (1u << 3)
#define CCR_DIV_0_TRP (1u << 4)

static inline unsigned it_get(const sim_cpu *c)
{
    return ((c->xpsr >> 8) & 0xFC) | ((c->xpsr >> 25) & 3);
}

static inline void it_set(sim_cpu *c, unsigned it)
{
    c->xpsr = (c->xpsr & ~XPSR_IT_MASK) | ((uint32_t)(it & 0xFC) << 8) | ((uint32_t)(it & 3) << 25);
}

static inline bool in_it_block(const sim_cpu *c)
{
    return (c->xpsr & XPSR_IT_MASK) != 0;
}

/* Inside an IT block but not its last instruction, where a branch is UNPREDICTABLE. */
static inline bool it_not_last(const sim_cpu *c)
{
    return (it_get(c) & 7) != 0;
}

static inline bool isa_v6m(const sim_target *t)
{
    return sim_profile_isa(t->profile) == SIM_ISA_V6M;
}

/* The Cortex-M0 (not the M0+) has no unprivileged thread mode: CONTROL.nPRIV is RAZ/WI. */
static inline bool m0_privileged_only(const sim_target *t)
{
    return t->profile->core == SIM_CORE_M0;
}

static inline bool privileged(const sim_cpu *c)
{
    return sim_cpu_handler_mode(c) || !(c->control & CONTROL_NPRIV);
}

/* --- flags and arithmetic (A2.2.1) ---------------------------------------------------------- */

static inline void set_nz(sim_cpu *c, uint32_t result)
{
    c->xpsr = (c->xpsr & ~(XPSR_N | XPSR_Z)) | (result & XPSR_N) | (result ? 0 : XPSR_Z);
}

static inline void set_c(sim_cpu *c, bool carry)
{
    c->xpsr = carry ? c->xpsr | XPSR_C : c->xpsr & ~XPSR_C;
}

static inline bool carry_in(const sim_cpu *c)
{
    return (c->xpsr & XPSR_C) != 0;
}

/* AddWithCarry(x, y, carry_in), setting N, Z, C and V when `set_flags`. */
static inline uint32_t add_with_carry(sim_cpu *c, uint32_t x, uint32_t y, bool carry, bool set_flags)
{
    uint64_t unsigned_sum = (uint64_t)x + y + carry;
    uint32_t result = (uint32_t)unsigned_sum;
    if (set_flags) {
        bool overflow = ((~(x ^ y) & (x ^ result)) >> 31) != 0;
        c->xpsr = (c->xpsr & ~(XPSR_N | XPSR_Z | XPSR_C | XPSR_V)) | (result & XPSR_N) | (result ? 0 : XPSR_Z) |
                  ((unsigned_sum >> 32) ? XPSR_C : 0) | (overflow ? XPSR_V : 0);
    }
    return result;
}

typedef enum { SHIFT_LSL, SHIFT_LSR, SHIFT_ASR, SHIFT_ROR, SHIFT_RRX } shift_type;

/* Shift_C with an amount already decoded (0..255 for register shifts; RRX ignores it). The carry
 * out goes to *carry, which holds the carry in. */
static inline uint32_t shift_carry(uint32_t value, shift_type type, unsigned amount, bool *carry)
{
    if (type == SHIFT_RRX) {
        uint32_t result = ((uint32_t)*carry << 31) | (value >> 1);
        *carry = value & 1;
        return result;
    }
    if (amount == 0) return value;
    switch (type) {
    case SHIFT_LSL:
        *carry = amount <= 32 ? (value >> (32 - amount)) & 1 : 0;
        return amount < 32 ? value << amount : 0;
    case SHIFT_LSR:
        *carry = amount <= 32 ? (value >> (amount - 1)) & 1 : 0;
        return amount < 32 ? value >> amount : 0;
    case SHIFT_ASR:
        if (amount >= 32) {
            *carry = value >> 31;
            return (value & 0x80000000u) ? 0xFFFFFFFFu : 0;
        }
        *carry = (value >> (amount - 1)) & 1;
        return (uint32_t)((int32_t)value >> amount);
    default: {
        unsigned r = amount & 31;
        uint32_t result = r ? (value >> r) | (value << (32 - r)) : value;
        *carry = result >> 31;
        return result;
    }
    }
}

static inline uint32_t shift_c(sim_cpu *c, uint32_t value, shift_type type, unsigned amount, bool set_carry)
{
    bool carry = carry_in(c);
    uint32_t result = shift_carry(value, type, amount, &carry);
    if (set_carry) set_c(c, carry);
    return result;
}

static inline bool condition_passed(const sim_cpu *c, unsigned cond)
{
    uint32_t f = c->xpsr;
    bool n = f & XPSR_N, z = f & XPSR_Z, cy = f & XPSR_C, v = f & XPSR_V;
    bool result;
    switch (cond >> 1) {
    case 0: result = z; break;
    case 1: result = cy; break;
    case 2: result = n; break;
    case 3: result = v; break;
    case 4: result = cy && !z; break;
    case 5: result = n == v; break;
    case 6: result = n == v && !z; break;
    default: return true;
    }
    return (cond & 1) ? !result : result;
}

/* Reads a register as an operand: the PC reads as the instruction address + 4. */
static inline uint32_t reg(const sim_cpu *c, unsigned n, uint32_t pc)
{
    return n == 15 ? pc + 4 : c->r[n];
}

/* --- memory --------------------------------------------------------------------------------- */

/* The slow paths: any region, the bus, unaligned accesses (split into bytes where the
 * architecture allows them, a fault where it does not: always with `aligned`, which LDM/STM,
 * LDRD/STRD and the exclusives ask for), the DWT comparators. A failed access sets cpu.fault. */
bool sim_cpu_load_slow(sim_target *t, uint32_t addr, unsigned size, uint32_t *out, bool aligned);
bool sim_cpu_store_slow(sim_target *t, uint32_t addr, unsigned size, uint32_t value, bool aligned);

/* One data access. The fast path: an aligned access to the region of the last access. */
static inline bool cpu_load(sim_target *t, uint32_t addr, unsigned size, uint32_t *out, bool aligned)
{
    const sim_region *r = t->cpu.data_region;
    if (LIKELY(r && !(addr & (size - 1)) && addr - r->base <= r->size - size && !t->core.dwt.active)) {
        *out = sim_get_le(r->mem + (addr - r->base), size);
        return true;
    }
    return sim_cpu_load_slow(t, addr, size, out, aligned);
}

static inline bool cpu_store(sim_target *t, uint32_t addr, unsigned size, uint32_t value, bool aligned)
{
    const sim_region *r = t->cpu.data_region;
    if (LIKELY(r && r->kind == SIM_REGION_RAM && !(addr & (size - 1)) && addr - r->base <= r->size - size &&
               !t->core.dwt.active)) {
        sim_put_le(r->mem + (addr - r->base), size, value);
        return true;
    }
    return sim_cpu_store_slow(t, addr, size, value, aligned);
}

/* An instruction fetch of one halfword; false (no fault recorded) on a bus error. */
static inline bool fetch16(sim_target *t, uint32_t addr, uint32_t *out)
{
    sim_cpu *c = &t->cpu;
    const sim_region *r = c->fetch_region;
    if (!r || addr - r->base > r->size - 2 || (addr & 1)) {
        r = sim_bus_find(&t->bus, addr);
        if (!r || !r->mem || r->debug_only || (addr & 1) || addr - r->base + 2 > r->size) return false;
        c->fetch_region = r;
    }
    *out = sim_get_le(r->mem + (addr - r->base), 2);
    return true;
}

/* BXWritePC / LoadWritePC: interworking branch, or exception return in handler mode. False
 * (cpu.fault set) if the exception return faults. */
bool sim_cpu_bx_write_pc(sim_target *t, uint32_t target);

static inline sim_step_result undefined(sim_cpu *c)
{
    return sim_cpu_fault(c, SIM_CFSR_UNDEFINSTR, 0, false);
}

/* The 32-bit encodings (sim_thumb2.c). `hw1` is the first halfword at `pc`; the IT condition has
 * been checked. Sets r[15] past the instruction (or to a branch target) on success. */
sim_step_result sim_thumb2_step(sim_target *t, uint32_t hw1, uint32_t pc, unsigned *cycles);

#endif
