/* IEEE 754 arithmetic after the Arm pseudo-code: see sim_fpu_arith.h. Every exact intermediate
 * value is a magnitude m (up to 128 bits) times 2^e; FPRound turns it into a result. */
#include "sim_fpu_arith.h"

/* --- 128-bit unsigned integers ----------------------------------------------------------- */

typedef struct {
    uint64_t hi, lo;
} u128;

static u128 u128_of(uint64_t v) { return (u128){0, v}; }
static bool u128_zero(u128 a) { return !(a.hi | a.lo); }

static int msb64(uint64_t v) /* index of the highest set bit; v != 0 */
{
    int n = 0;
    if (v >> 32) n += 32, v >>= 32;
    if (v >> 16) n += 16, v >>= 16;
    if (v >> 8) n += 8, v >>= 8;
    if (v >> 4) n += 4, v >>= 4;
    if (v >> 2) n += 2, v >>= 2;
    if (v >> 1) n += 1;
    return n;
}

static int u128_msb(u128 a) { return a.hi ? 64 + msb64(a.hi) : msb64(a.lo); }

static u128 u128_shl(u128 a, unsigned s)
{
    if (s == 0) return a;
    if (s >= 128) return u128_of(0);
    if (s >= 64) return (u128){a.lo << (s - 64), 0};
    return (u128){a.hi << s | a.lo >> (64 - s), a.lo << s};
}

static u128 u128_shr(u128 a, unsigned s)
{
    if (s == 0) return a;
    if (s >= 128) return u128_of(0);
    if (s >= 64) return u128_of(a.hi >> (s - 64));
    return (u128){a.hi >> s, a.lo >> s | a.hi << (64 - s)};
}

/* a >> s with every bit shifted out ORed into bit 0 ("jamming") */
static u128 u128_shr_jam(u128 a, unsigned s)
{
    u128 r = u128_shr(a, s);
    u128 back = u128_shl(r, s);
    if (s >= 128 ? !u128_zero(a) : (back.hi != a.hi || back.lo != a.lo)) r.lo |= 1;
    return r;
}

static u128 u128_add(u128 a, u128 b)
{
    u128 r = {a.hi + b.hi, a.lo + b.lo};
    if (r.lo < a.lo) r.hi++;
    return r;
}

static u128 u128_sub(u128 a, u128 b)
{
    u128 r = {a.hi - b.hi, a.lo - b.lo};
    if (a.lo < b.lo) r.hi--;
    return r;
}

static int u128_cmp(u128 a, u128 b)
{
    if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
    return 0;
}

static u128 u128_mul64(uint64_t a, uint64_t b)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    return (u128){hh + (lh >> 32) + (hl >> 32) + (mid >> 32), (mid << 32) | (uint32_t)ll};
}

/* --- formats ----------------------------------------------------------------------------- */

static unsigned ebits(unsigned n) { return n == 16 ? 5 : n == 32 ? 8 : 11; }
static unsigned fbits(unsigned n) { return n - ebits(n) - 1; }
static int min_exp(unsigned n) { return 2 - (1 << (ebits(n) - 1)); }
static uint64_t sign_bit(unsigned n) { return 1ull << (n - 1); }
static uint64_t mask_n(unsigned n) { return n == 64 ? ~0ull : (1ull << n) - 1; }

static uint64_t fp_zero(unsigned n, bool sign) { return sign ? sign_bit(n) : 0; }
static uint64_t fp_inf(unsigned n, bool sign) { return fp_zero(n, sign) | ((((1ull << ebits(n)) - 1)) << fbits(n)); }
static uint64_t fp_max_normal(unsigned n, bool sign) { return fp_inf(n, sign) - 1; }
static uint64_t fp_default_nan(unsigned n) { return fp_inf(n, false) | (1ull << (fbits(n) - 1)); }

typedef enum { T_ZERO, T_NUM, T_INF, T_QNAN, T_SNAN } fp_type;

typedef struct {
    fp_type type;
    bool sign;
    int exp;       /* value = mant * 2^exp when T_NUM */
    uint64_t mant;
} fp_unpacked;

static bool is_nan(fp_type t) { return t == T_QNAN || t == T_SNAN; }

/* FPUnpack: flush-to-zero of single and double denormals (IDC); AHP half has no Inf or NaN. */
static fp_unpacked unpack(sf_ctx *c, unsigned n, uint64_t x)
{
    unsigned fb = fbits(n);
    uint64_t emax = (1ull << ebits(n)) - 1;
    uint64_t e = (x >> fb) & emax, frac = x & ((1ull << fb) - 1);
    fp_unpacked u = {T_ZERO, (x >> (n - 1)) & 1, 0, 0};
    if (e == 0) {
        if (frac == 0) return u;
        if (n != 16 && (c->fpscr & SF_FPSCR_FZ)) {
            c->exc |= SF_IDC;
            return u;
        }
        u.type = T_NUM;
        u.mant = frac;
        u.exp = min_exp(n) - (int)fb;
    } else if (e == emax && !(n == 16 && (c->fpscr & SF_FPSCR_AHP))) {
        u.type = frac == 0 ? T_INF : (frac >> (fb - 1)) ? T_QNAN : T_SNAN;
    } else {
        u.type = T_NUM;
        u.mant = frac | 1ull << fb;
        u.exp = (int)e - (1 - min_exp(n)) - (int)fb;
    }
    return u;
}

/* The error of a truncation, as a class: none, below half an ulp, exactly half, above half. */
enum { ERR_NONE, ERR_LOW, ERR_HALF, ERR_HIGH };

/* m * 2^-s split into its integer part (which must fit 64 bits) and the error class. */
static uint64_t shift_round_parts(u128 m, int s, int *err)
{
    if (s <= 0) {
        *err = ERR_NONE;
        return u128_shl(m, (unsigned)-s).lo;
    }
    u128 q = u128_shr(m, (unsigned)s);
    u128 rem = u128_sub(m, u128_shl(q, (unsigned)s));
    if (u128_zero(rem)) *err = ERR_NONE;
    else if (s > 128) *err = ERR_LOW;
    else {
        u128 half = u128_shl(u128_of(1), (unsigned)s - 1);
        int cmp = u128_cmp(rem, half);
        *err = cmp < 0 ? ERR_LOW : cmp == 0 ? ERR_HALF : ERR_HIGH;
    }
    return q.lo;
}

static bool round_up(int err, sf_rounding r, bool sign, bool odd)
{
    switch (r) {
    case SF_RN: return err == ERR_HIGH || (err == ERR_HALF && odd);
    case SF_RP: return err != ERR_NONE && !sign;
    case SF_RM: return err != ERR_NONE && sign;
    case SF_RA: return err >= ERR_HALF;
    default: return false;
    }
}

/* FPRound of the nonzero value m * 2^e with the given rounding. */
static uint64_t fp_round_mode(sf_ctx *c, unsigned n, bool sign, int e, u128 m, sf_rounding rounding)
{
    unsigned E = ebits(n), F = fbits(n);
    int minexp = min_exp(n);
    int exponent = e + u128_msb(m);
    if (n != 16 && (c->fpscr & SF_FPSCR_FZ) && exponent < minexp) {
        c->exc |= SF_UFC;
        return fp_zero(n, sign);
    }
    int biased = exponent - minexp + 1;
    if (biased < 0) biased = 0;
    int scale = (int)F - (biased ? exponent : minexp); /* int_mant = floor(value * 2^scale) */
    int err;
    uint64_t int_mant = shift_round_parts(m, -(e + scale), &err);
    if (biased == 0 && err != ERR_NONE) c->exc |= SF_UFC;
    bool overflow_to_inf = rounding == SF_RN || rounding == SF_RA || (rounding == SF_RP && !sign) ||
                           (rounding == SF_RM && sign);
    if (round_up(err, rounding, sign, int_mant & 1)) {
        int_mant++;
        if (int_mant == 1ull << F) biased = 1;
        if (int_mant == 1ull << (F + 1)) {
            biased++;
            int_mant >>= 1;
        }
    }
    uint64_t result;
    if (n != 16 || !(c->fpscr & SF_FPSCR_AHP)) {
        if (biased >= (1 << E) - 1) {
            result = overflow_to_inf ? fp_inf(n, sign) : fp_max_normal(n, sign);
            c->exc |= SF_OFC;
            err = ERR_LOW;
        } else {
            result = fp_zero(n, sign) | (uint64_t)biased << F | (int_mant & ((1ull << F) - 1));
        }
    } else if (biased >= (1 << E)) {
        result = fp_zero(n, sign) | 0x7FFF;
        c->exc |= SF_IOC;
        err = ERR_NONE;
    } else {
        result = fp_zero(n, sign) | (uint64_t)biased << F | (int_mant & ((1ull << F) - 1));
    }
    if (err != ERR_NONE) c->exc |= SF_IXC;
    return result;
}

static uint64_t fp_round(sf_ctx *c, unsigned n, bool sign, int e, u128 m)
{
    return fp_round_mode(c, n, sign, e, m, sf_fpscr_rounding(c));
}

/* --- NaNs -------------------------------------------------------------------------------- */

static uint64_t process_nan(sf_ctx *c, unsigned n, fp_type t, uint64_t op)
{
    if (t == T_SNAN) c->exc |= SF_IOC;
    if (c->fpscr & SF_FPSCR_DN) return fp_default_nan(n);
    return op | 1ull << (fbits(n) - 1);
}

static bool process_nans(sf_ctx *c, unsigned n, const fp_unpacked *a, const fp_unpacked *b, uint64_t x, uint64_t y,
                         uint64_t *out)
{
    if (a->type == T_SNAN) *out = process_nan(c, n, a->type, x);
    else if (b->type == T_SNAN) *out = process_nan(c, n, b->type, y);
    else if (a->type == T_QNAN) *out = process_nan(c, n, a->type, x);
    else if (b->type == T_QNAN) *out = process_nan(c, n, b->type, y);
    else return false;
    return true;
}

static uint64_t invalid(sf_ctx *c, unsigned n)
{
    c->exc |= SF_IOC;
    return fp_default_nan(n);
}

static uint64_t zero_sign_by_rounding(sf_ctx *c, unsigned n)
{
    return fp_zero(n, sf_fpscr_rounding(c) == SF_RM);
}

/* --- exact sums ---------------------------------------------------------------------------- */

/* (sa, ea, ma) + (sb, eb, mb), exact except for bits far below the result's top, which are
 * jammed into bit 0: both terms are normalised to bit 125, the smaller one shifted right. A
 * zero magnitude is an exact zero term. Returns false when the sum is exactly zero. */
static bool add_terms(bool sa, int ea, u128 ma, bool sb, int eb, u128 mb, bool *sr, int *er, u128 *mr)
{
    if (u128_zero(ma) || u128_zero(mb)) {
        if (u128_zero(ma)) sa = sb, ea = eb, ma = mb;
        *sr = sa, *er = ea, *mr = ma;
        return !u128_zero(ma);
    }
    int sha = 125 - u128_msb(ma), shb = 125 - u128_msb(mb);
    ma = u128_shl(ma, (unsigned)sha), ea -= sha;
    mb = u128_shl(mb, (unsigned)shb), eb -= shb;
    if (ea < eb) {
        bool ts = sa; sa = sb; sb = ts;
        int te = ea; ea = eb; eb = te;
        u128 tm = ma; ma = mb; mb = tm;
    }
    unsigned d = (unsigned)(ea - eb);
    mb = u128_shr_jam(mb, d > 200 ? 200 : d);
    if (sa == sb) {
        *mr = u128_add(ma, mb);
        *sr = sa;
    } else if (u128_cmp(ma, mb) >= 0) {
        *mr = u128_sub(ma, mb);
        *sr = sa;
    } else {
        *mr = u128_sub(mb, ma);
        *sr = sb;
    }
    *er = ea;
    return !u128_zero(*mr);
}

/* --- operations ---------------------------------------------------------------------------- */

static uint64_t add_sub(sf_ctx *c, unsigned n, uint64_t a, uint64_t b, bool subtract)
{
    fp_unpacked x = unpack(c, n, a), y = unpack(c, n, b);
    uint64_t r;
    if (process_nans(c, n, &x, &y, a, b, &r)) return r;
    if (subtract) y.sign = !y.sign;
    bool infx = x.type == T_INF, infy = y.type == T_INF;
    if (infx && infy && x.sign != y.sign) return invalid(c, n);
    if ((infx && !x.sign) || (infy && !y.sign)) return fp_inf(n, false);
    if (infx || infy) return fp_inf(n, true);
    if (x.type == T_ZERO && y.type == T_ZERO && x.sign == y.sign) return fp_zero(n, x.sign);
    bool s;
    int e;
    u128 m;
    if (!add_terms(x.sign, x.exp, u128_of(x.mant), y.sign, y.exp, u128_of(y.mant), &s, &e, &m))
        return zero_sign_by_rounding(c, n);
    return fp_round(c, n, s, e, m);
}

uint64_t sf_add(sf_ctx *c, unsigned n, uint64_t a, uint64_t b) { return add_sub(c, n, a, b, false); }
uint64_t sf_sub(sf_ctx *c, unsigned n, uint64_t a, uint64_t b) { return add_sub(c, n, a, b, true); }

uint64_t sf_mul(sf_ctx *c, unsigned n, uint64_t a, uint64_t b)
{
    fp_unpacked x = unpack(c, n, a), y = unpack(c, n, b);
    uint64_t r;
    if (process_nans(c, n, &x, &y, a, b, &r)) return r;
    bool s = x.sign != y.sign;
    if ((x.type == T_INF && y.type == T_ZERO) || (x.type == T_ZERO && y.type == T_INF)) return invalid(c, n);
    if (x.type == T_INF || y.type == T_INF) return fp_inf(n, s);
    if (x.type == T_ZERO || y.type == T_ZERO) return fp_zero(n, s);
    return fp_round(c, n, s, x.exp + y.exp, u128_mul64(x.mant, y.mant));
}

uint64_t sf_div(sf_ctx *c, unsigned n, uint64_t a, uint64_t b)
{
    fp_unpacked x = unpack(c, n, a), y = unpack(c, n, b);
    uint64_t r;
    if (process_nans(c, n, &x, &y, a, b, &r)) return r;
    bool s = x.sign != y.sign;
    if ((x.type == T_INF && y.type == T_INF) || (x.type == T_ZERO && y.type == T_ZERO)) return invalid(c, n);
    if (x.type == T_INF || y.type == T_ZERO) {
        if (x.type != T_INF) c->exc |= SF_DZC;
        return fp_inf(n, s);
    }
    if (x.type == T_ZERO || y.type == T_INF) return fp_zero(n, s);
    /* both normalised to bit 62: 64 quotient bits by restoring division, the remainder jammed */
    int sx = 62 - msb64(x.mant), sy = 62 - msb64(y.mant);
    uint64_t num = x.mant << sx, den = y.mant << sy, q = 0;
    for (int i = 0; i < 64; i++) {
        q <<= 1;
        if (num >= den) {
            num -= den;
            q |= 1;
        }
        num <<= 1;
    }
    if (num) q |= 1;
    return fp_round(c, n, s, (x.exp - sx) - (y.exp - sy) - 63, u128_of(q));
}

uint64_t sf_sqrt(sf_ctx *c, unsigned n, uint64_t a)
{
    fp_unpacked x = unpack(c, n, a);
    if (is_nan(x.type)) return process_nan(c, n, x.type, a);
    if (x.type == T_ZERO) return fp_zero(n, x.sign);
    if (x.sign) return invalid(c, n);
    if (x.type == T_INF) return fp_inf(n, false);
    /* value = m * 2^e with e even and m placed at bit 120 or 121: a 61-bit root, bit by bit */
    int sh = 120 - msb64(x.mant);
    int e = x.exp - sh;
    if (e & 1) sh++, e--;
    u128 m = u128_shl(u128_of(x.mant), (unsigned)sh);
    uint64_t root = 0, rem = 0;
    for (int i = 60; i >= 0; i--) {
        rem = rem << 2 | (u128_shr(m, (unsigned)(2 * i)).lo & 3);
        uint64_t trial = root << 2 | 1;
        root <<= 1;
        if (rem >= trial) {
            rem -= trial;
            root |= 1;
        }
    }
    if (rem) root |= 1;
    return fp_round(c, n, false, e / 2, u128_of(root));
}

uint64_t sf_muladd(sf_ctx *c, unsigned n, uint64_t addend, uint64_t a, uint64_t b)
{
    fp_unpacked z = unpack(c, n, addend), x = unpack(c, n, a), y = unpack(c, n, b);
    bool infx = x.type == T_INF, infy = y.type == T_INF, zerox = x.type == T_ZERO, zeroy = y.type == T_ZERO;
    uint64_t r;
    /* FPProcessNaNs3: signalling NaNs first, in operand order, then quiet ones */
    const fp_unpacked *ops[3] = {&z, &x, &y};
    const uint64_t raw[3] = {addend, a, b};
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < 3; i++)
            if (ops[i]->type == (pass ? T_QNAN : T_SNAN)) {
                r = process_nan(c, n, ops[i]->type, raw[i]);
                /* a quiet NaN addend with infinity times zero is still an invalid operation */
                if (z.type == T_QNAN && ((infx && zeroy) || (zerox && infy))) r = invalid(c, n);
                return r;
            }
    bool infz = z.type == T_INF, zeroz = z.type == T_ZERO;
    bool sp = x.sign != y.sign, infp = infx || infy, zerop = zerox || zeroy;
    if ((infx && zeroy) || (zerox && infy) || (infz && infp && z.sign != sp)) return invalid(c, n);
    if ((infz && !z.sign) || (infp && !sp)) return fp_inf(n, false);
    if (infz || infp) return fp_inf(n, true);
    if (zeroz && zerop && z.sign == sp) return fp_zero(n, z.sign);
    u128 prod = zerop ? u128_of(0) : u128_mul64(x.mant, y.mant);
    bool s;
    int e;
    u128 m;
    if (!add_terms(z.sign, z.exp, u128_of(z.mant), sp, x.exp + y.exp, prod, &s, &e, &m))
        return zero_sign_by_rounding(c, n);
    return fp_round(c, n, s, e, m);
}

unsigned sf_compare(sf_ctx *c, unsigned n, uint64_t a, uint64_t b, bool quiet_nan_exc)
{
    fp_unpacked x = unpack(c, n, a), y = unpack(c, n, b);
    if (is_nan(x.type) || is_nan(y.type)) {
        if (x.type == T_SNAN || y.type == T_SNAN || quiet_nan_exc) c->exc |= SF_IOC;
        return 0x3;
    }
    /* sign-magnitude order of the (flushed) encodings */
    uint64_t mx = x.type == T_ZERO ? 0 : a & (sign_bit(n) - 1), my = y.type == T_ZERO ? 0 : b & (sign_bit(n) - 1);
    int kx = mx == 0 ? 0 : x.sign ? -1 : 1, ky = my == 0 ? 0 : y.sign ? -1 : 1;
    int order;
    if (kx != ky) order = kx < ky ? -1 : 1;
    else if (mx == my) order = 0;
    else order = ((mx < my) != (kx < 0)) ? -1 : 1;
    return order == 0 ? 0x6 : order < 0 ? 0x8 : 0x2;
}

/* |value| = mant * 2^e rounded to an integer; *inexact if it was not one; saturates to 2^64-1. */
static uint64_t round_to_integer(uint64_t mant, int e, bool sign, sf_rounding r, bool *inexact)
{
    int err;
    uint64_t q;
    if (e >= 0) {
        q = e > 63 - msb64(mant) ? ~0ull : mant << e; /* beyond 2^64 it saturates anyway */
        err = ERR_NONE;
    } else {
        q = shift_round_parts(u128_of(mant), -e, &err);
    }
    if (round_up(err, r, sign, q & 1)) q++;
    *inexact = err != ERR_NONE;
    return q;
}

uint64_t sf_to_fixed(sf_ctx *c, unsigned n, uint64_t op, unsigned size, unsigned frac_bits, bool is_unsigned,
                     sf_rounding rounding)
{
    fp_unpacked x = unpack(c, n, op);
    if (is_nan(x.type)) {
        c->exc |= SF_IOC;
        return 0;
    }
    uint64_t mag;
    bool inexact = false;
    if (x.type == T_ZERO) mag = 0;
    else if (x.type == T_INF) mag = ~0ull;
    else mag = round_to_integer(x.mant, x.exp + (int)frac_bits, x.sign, rounding, &inexact);
    uint64_t lim = is_unsigned ? (x.sign ? 0 : (1ull << size) - 1) : (1ull << (size - 1)) - (x.sign ? 0 : 1);
    if (mag > lim) {
        c->exc |= SF_IOC;
        mag = lim;
    } else if (inexact) {
        c->exc |= SF_IXC;
    }
    return x.sign ? (uint64_t)0 - mag : mag;
}

uint64_t sf_from_fixed(sf_ctx *c, unsigned n, uint64_t op, unsigned size, unsigned frac_bits, bool is_unsigned,
                       sf_rounding rounding)
{
    uint64_t v = op & ((1ull << size) - 1);
    bool sign = false;
    if (!is_unsigned && (v >> (size - 1))) {
        sign = true;
        v = (1ull << size) - v;
    }
    if (v == 0) return fp_zero(n, false);
    return fp_round_mode(c, n, sign, -(int)frac_bits, u128_of(v), rounding);
}

uint64_t sf_convert(sf_ctx *c, unsigned to, unsigned from, uint64_t op)
{
    fp_unpacked x = unpack(c, from, op);
    bool ahp = (c->fpscr & SF_FPSCR_AHP) != 0;
    if (is_nan(x.type)) {
        uint64_t r;
        if (to == 16 && ahp) r = fp_zero(16, x.sign); /* no NaN in the alternative format */
        else if (c->fpscr & SF_FPSCR_DN) r = fp_default_nan(to);
        else {
            /* the quiet bit set, the fraction's top bits kept */
            unsigned ff = fbits(from), tf = fbits(to);
            uint64_t frac = op & ((1ull << (ff - 1)) - 1);
            frac = tf > ff ? frac << (tf - ff) : frac >> (ff - tf);
            r = fp_inf(to, x.sign) | 1ull << (tf - 1) | frac;
        }
        if (x.type == T_SNAN || (to == 16 && ahp)) c->exc |= SF_IOC;
        return r;
    }
    if (x.type == T_INF) {
        if (to == 16 && ahp) {
            c->exc |= SF_IOC;
            return fp_zero(16, x.sign) | 0x7FFF;
        }
        return fp_inf(to, x.sign);
    }
    if (x.type == T_ZERO) return fp_zero(to, x.sign);
    return fp_round(c, to, x.sign, x.exp, u128_of(x.mant));
}

uint64_t sf_round_int(sf_ctx *c, unsigned n, uint64_t op, sf_rounding rounding, bool exact)
{
    fp_unpacked x = unpack(c, n, op);
    if (is_nan(x.type)) return process_nan(c, n, x.type, op);
    if (x.type == T_INF) return fp_inf(n, x.sign);
    if (x.type == T_ZERO) return fp_zero(n, x.sign);
    if (x.exp >= 0) return op; /* already integral */
    bool inexact;
    uint64_t mag = round_to_integer(x.mant, x.exp, x.sign, rounding, &inexact);
    if (inexact && exact) c->exc |= SF_IXC;
    if (mag == 0) return fp_zero(n, x.sign);
    sf_ctx exact_ctx = {c->fpscr, 0}; /* an integer below 2^53 converts exactly */
    return fp_round(&exact_ctx, n, x.sign, 0, u128_of(mag));
}

uint64_t sf_maxnum(sf_ctx *c, unsigned n, uint64_t a, uint64_t b, bool is_min)
{
    sf_ctx probe = *c; /* FPMaxNum looks at the types first; only the FPMax step raises flags */
    fp_type ta = unpack(&probe, n, a).type, tb = unpack(&probe, n, b).type;
    if (ta == T_QNAN && tb != T_QNAN) a = fp_inf(n, !is_min);
    else if (tb == T_QNAN && ta != T_QNAN) b = fp_inf(n, !is_min);
    fp_unpacked x = unpack(c, n, a), y = unpack(c, n, b);
    uint64_t r;
    if (process_nans(c, n, &x, &y, a, b, &r)) return r;
    if (x.type == T_ZERO && y.type == T_ZERO)
        return fp_zero(n, is_min ? (x.sign || y.sign) : (x.sign && y.sign));
    unsigned nzcv = sf_compare(&probe, n, a, b, false);
    bool first = is_min ? nzcv == 0x8 : nzcv == 0x2;
    fp_unpacked *w = first ? &x : &y;
    uint64_t raw = first ? a : b;
    if (w->type == T_ZERO) return fp_zero(n, w->sign); /* a flushed denormal */
    return raw;
}

uint64_t sf_expand_imm(unsigned n, unsigned imm8)
{
    unsigned E = ebits(n), F = fbits(n);
    uint64_t sign = (imm8 >> 7) & 1, b6 = (imm8 >> 6) & 1;
    uint64_t exp = (!b6) << (E - 1) | (b6 ? ((1ull << (E - 3)) - 1) << 2 : 0) | ((imm8 >> 4) & 3);
    uint64_t frac = (uint64_t)(imm8 & 15) << (F - 4);
    return (sign << (n - 1) | exp << F | frac) & mask_n(n);
}
