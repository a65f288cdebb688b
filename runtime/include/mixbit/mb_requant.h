/*
 * The one requantization rule (docs/INTEGER.md): with M ~= M0 * 2^-n, 2^30 <= M0 < 2^31 (or M0 = 0), 1 <= n <= 62,
 *
 *     requantize(acc, M0, n) = (int32) (((int64) acc * M0 + 2^(n-1)) >> n)      arithmetic shift, round half up.
 *
 * |acc| < 2^31 and 0 <= M0 < 2^31, so |acc * M0| < 2^62 and adding 2^(n-1) <= 2^61 cannot overflow int64.
 */
#ifndef MIXBIT_MB_REQUANT_H
#define MIXBIT_MB_REQUANT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * (v + 2^(n-1)) >> n for |v| < 2^62, 1 <= n <= 62, truncated to int32 as the contract's cast.
 * For n >= 33 only the high word matters: with v = hi * 2^32 + lo (0 <= lo < 2^32),
 * floor((v + 2^(n-1)) / 2^n) = floor((hi + 2^(n-33) + lo / 2^32) / 2^(n-32)) = (hi + 2^(n-33)) >> (n-32),
 * because adding a fraction in [0, 1) to an integer does not change the floor of its quotient by a power of two.
 * |hi| < 2^30, so hi + 2^(n-33) <= 2^30 + 2^29 stays in int32. This turns the 64-bit add and 64-bit variable shift
 * into 32-bit ones for the usual multipliers (M < 2^-2 gives n >= 33).
 */
static inline int32_t mb_round_shift64(int64_t v, int32_t n)
{
    if (n >= 33) {
        const int32_t hi = (int32_t)(v >> 32);
        return (hi + (int32_t)(1u << (n - 33))) >> (n - 32);
    }
    return (int32_t)((v + ((int64_t)1 << (n - 1))) >> n);
}

/*
 * floor(acc * m0 / 2^32) for m0 in [0, 2^31), from 16-bit halves (acc = ah * 2^16 + al, m0 = mh * 2^16 + ml, al and
 * ml unsigned): acc * m0 = ah*mh * 2^32 + (ah*ml + al*mh) * 2^16 + al*ml, so with c1 = ah*ml (|c1| <= 2^31 - 2^15),
 * c2 = al*mh (< 2^31) and lo = al*ml (< 2^32), each exact in 32 bits,
 *   hi = ah*mh + (c1 >> 16) + (c2 >> 16) + (((c1 & 0xFFFF) + (c2 & 0xFFFF) + (lo >> 16)) >> 16),
 * the last sum staying below 3 * 2^16. Four 32-bit multiplies instead of newlib's 64 x 64 __aeabi_lmul on cores
 * without a long multiply (ARMv6-M such as Cortex-M0+, ARMv8-M baseline).
 */
static inline int32_t mb_mulhi_16x16(int32_t acc, int32_t m0)
{
    const int32_t ah = acc >> 16, mh = m0 >> 16;
    const uint32_t al = (uint32_t)acc & 0xFFFFu, ml = (uint32_t)m0 & 0xFFFFu;
    const int32_t c1 = ah * (int32_t)ml;
    const uint32_t c2 = al * (uint32_t)mh, lo = al * ml;
    return ah * mh + (c1 >> 16) + (int32_t)(c2 >> 16)
         + (int32_t)((((uint32_t)c1 & 0xFFFFu) + (c2 & 0xFFFFu) + (lo >> 16)) >> 16);
}

#if defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)
#define MB_NO_LONG_MULTIPLY 1
#endif

/* The contract's requantize(acc, M0, n), bit-exact. */
static inline int32_t mb_requantize(int32_t acc, int32_t m0, int32_t n)
{
#if defined(MB_NO_LONG_MULTIPLY)
    if (n >= 33) return (mb_mulhi_16x16(acc, m0) + (int32_t)(1u << (n - 33))) >> (n - 32); /* see mb_round_shift64 */
#endif
    return mb_round_shift64((int64_t)acc * m0, n);
}

/* clamp(v, lo, hi) with lo <= hi. */
static inline int32_t mb_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

#ifdef __cplusplus
}
#endif

#endif
