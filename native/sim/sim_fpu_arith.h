/* IEEE 754 arithmetic as the Arm pseudo-code defines it (ARMv7-M ARM A2.5, FPv5 additions from
 * ARMv8-M): FPUnpack, FPRound, the NaN rules, FZ, DN, AHP and the cumulative exception flags.
 * A portable soft-float core: integer arithmetic only (a 128-bit type made of two uint64), so the
 * results never depend on the host FPU or its rounding mode.
 *
 * Values are raw bit patterns of N = 16, 32 or 64 bits in a uint64_t. Each operation reads the
 * controls (AHP, DN, FZ, RMode) from ctx->fpscr and ORs the exception bits it raises into
 * ctx->exc (FPSCR bit positions: IOC 0, DZC 1, OFC 2, UFC 3, IXC 4, IDC 7). */
#ifndef SIM_FPU_ARITH_H
#define SIM_FPU_ARITH_H

#include <stdbool.h>
#include <stdint.h>

#define SF_IOC (1u << 0)
#define SF_DZC (1u << 1)
#define SF_OFC (1u << 2)
#define SF_UFC (1u << 3)
#define SF_IXC (1u << 4)
#define SF_IDC (1u << 7)
#define SF_FPSCR_AHP (1u << 26)
#define SF_FPSCR_DN (1u << 25)
#define SF_FPSCR_FZ (1u << 24)
#define SF_FPSCR_RMODE_SHIFT 22

/* Rounding: the four FPSCR.RMode values, and ties-away (VCVTA, VRINTA). */
typedef enum { SF_RN = 0, SF_RP = 1, SF_RM = 2, SF_RZ = 3, SF_RA = 4 } sf_rounding;

typedef struct sf_ctx {
    uint32_t fpscr; /* controls */
    uint32_t exc;   /* exception bits raised */
} sf_ctx;

static inline sf_rounding sf_fpscr_rounding(const sf_ctx *c)
{
    return (sf_rounding)((c->fpscr >> SF_FPSCR_RMODE_SHIFT) & 3);
}

uint64_t sf_add(sf_ctx *c, unsigned n, uint64_t a, uint64_t b);
uint64_t sf_sub(sf_ctx *c, unsigned n, uint64_t a, uint64_t b);
uint64_t sf_mul(sf_ctx *c, unsigned n, uint64_t a, uint64_t b);
uint64_t sf_div(sf_ctx *c, unsigned n, uint64_t a, uint64_t b);
uint64_t sf_sqrt(sf_ctx *c, unsigned n, uint64_t a);
/* FPMulAdd: addend + a * b, rounded once. */
uint64_t sf_muladd(sf_ctx *c, unsigned n, uint64_t addend, uint64_t a, uint64_t b);
/* FPCompare: the NZCV result in bits [3:0]; `quiet_nan_exc` (VCMPE) raises IOC on quiet NaNs. */
unsigned sf_compare(sf_ctx *c, unsigned n, uint64_t a, uint64_t b, bool quiet_nan_exc);
/* FPToFixed: `size` 16 or 32 bits, saturated; the result sign- or zero-extended to 64 bits. */
uint64_t sf_to_fixed(sf_ctx *c, unsigned n, uint64_t op, unsigned size, unsigned frac_bits, bool is_unsigned,
                     sf_rounding rounding);
/* FixedToFP: the low `size` bits of `op` as a fixed-point number. */
uint64_t sf_from_fixed(sf_ctx *c, unsigned n, uint64_t op, unsigned size, unsigned frac_bits, bool is_unsigned,
                       sf_rounding rounding);
/* FPConvert between formats (16, 32, 64), AHP applying to the half-precision side. */
uint64_t sf_convert(sf_ctx *c, unsigned to, unsigned from, uint64_t op);
/* FPRoundInt: to an integral value in the same format; `exact` raises IXC when it changes. */
uint64_t sf_round_int(sf_ctx *c, unsigned n, uint64_t op, sf_rounding rounding, bool exact);
/* FPMaxNum / FPMinNum (VMAXNM, VMINNM). */
uint64_t sf_maxnum(sf_ctx *c, unsigned n, uint64_t a, uint64_t b, bool is_min);
/* VFPExpandImm */
uint64_t sf_expand_imm(unsigned n, unsigned imm8);

static inline uint64_t sf_neg(unsigned n, uint64_t a) { return a ^ (1ull << (n - 1)); }
static inline uint64_t sf_abs(unsigned n, uint64_t a) { return a & ~(1ull << (n - 1)); }

#endif
