/*
 * The dot-product core of conv2d, pointwise and fully connected: up to 2 output channels x MB_CONV_COLS pixels,
 * weights read straight from their packed rows (byte-aligned starts; the caller realigns odd ones), inputs from
 * int16 im2col columns. One function per weight width (mb_dot_w2/_w4/_w8), shared by every triple with that W.
 *
 * DSP path: one 32-bit load brings G = 32 / b weights. Step s (s < 8 / b) keeps field s of every byte
 * (t = (w << (8 - b - b*s)) & mask), so byte j of t holds element j*e + s (e = 8 / b elements per byte) scaled by
 * 2^(8-b); SXTB16(t) and SXTB16(t ror 8) give the int16 pairs (s, 2e+s) and (e+s, 3e+s), which SMLAD multiplies
 * with column pairs stored in that order (mb_dot_order). Bound of the scaled sums: 2^(8-b) * K * (2^(b-1)-1) * 510
 * < 2^31 for K < 36,000 (b = 4) and K < 65,000 (b = 2, 8). The K mod G tail is plain C in natural order.
 * Portable path: natural order, weights decoded a byte at a time; same tile, same results.
 */
#include "mb_internal.h"

#if defined(MIXBIT_USE_DSP)
/* t for step s of a word of b-bit weights (fields s of every byte, in the byte's top bits). */
MB_INLINE uint32_t mb_step(uint32_t w, int32_t bits, int32_t s)
{
    if (bits == 8) return w;
    const uint32_t mask = bits == 4 ? 0xF0F0F0F0u : 0xC0C0C0C0u;
    return (w << (8 - bits - bits * s)) & mask;
}

/* SXTB16 of x rotated right by 8 (bytes 1 and 3); GCC 12 does not fold a rotate into the instruction. */
MB_INLINE uint32_t mb_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

MB_INLINE uint32_t mb_ld4(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v); /* unaligned LDR: allowed on ARMv7-M and later */
    return v;
}
#endif

/* s[r][c] += row r . column c over k terms; two_r / two_c select 2 or 1 rows / columns (constants). */
MB_INLINE void mb_tile(const uint8_t *w0, const uint8_t *w1, const int16_t *x0, const int16_t *x1, int32_t k,
                       int32_t bits, int32_t *a0, int32_t *a1, int32_t two_r, int32_t two_c)
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, i = 0;
#if defined(MIXBIT_USE_DSP)
    {
        const int32_t g = 32 / bits, steps = 8 / bits;
        const uint8_t *pa = w0, *pb = w1, *const pend = w0 + (k / g) * 4;
        const int16_t *xa = x0, *xb = x1;
        for (; pa != pend; pa += 4, pb += 4, xa += g, xb += g) {
            const uint32_t wa = mb_ld4(pa), wb = two_r ? mb_ld4(pb) : 0;
            for (int32_t s = 0; s < steps; s++) {
                const uint32_t ta = mb_step(wa, bits, s), tb = mb_step(wb, bits, s);
                const uint32_t a_lo = __sxtb16(ta), a_hi = mb_sxtb16_ror8(ta);
                const uint32_t b_lo = __sxtb16(tb), b_hi = mb_sxtb16_ror8(tb);
                uint32_t xl = mb_ld2(xa + 4 * s), xh = mb_ld2(xa + 4 * s + 2);
                s00 = __smlad(a_lo, xl, __smlad(a_hi, xh, s00));
                if (two_r) s10 = __smlad(b_lo, xl, __smlad(b_hi, xh, s10));
                if (two_c) {
                    xl = mb_ld2(xb + 4 * s), xh = mb_ld2(xb + 4 * s + 2);
                    s01 = __smlad(a_lo, xl, __smlad(a_hi, xh, s01));
                    if (two_r) s11 = __smlad(b_lo, xl, __smlad(b_hi, xh, s11));
                }
            }
        }
        /* the lanes held w * 2^(8-b): every term is a multiple of it, so the shift is exact */
        s00 >>= 8 - bits, s01 >>= 8 - bits, s10 >>= 8 - bits, s11 >>= 8 - bits;
        i = (k / g) * g;
    }
#endif
    for (; i < k; i++) {
        const int32_t wa = bits == 8 ? (int8_t)w0[i] : mb_load_s(w0, i, bits), xa = x0[i];
        s00 += wa * xa;
        if (two_c) s01 += wa * x1[i];
        if (two_r) {
            const int32_t wb = bits == 8 ? (int8_t)w1[i] : mb_load_s(w1, i, bits);
            s10 += wb * xa;
            if (two_c) s11 += wb * x1[i];
        }
    }
    a0[0] += s00, a1[0] += s10;
    if (two_c) a0[1] += s01, a1[1] += s11;
}

MB_INLINE void mb_dot(const uint8_t *w0, const uint8_t *w1, int32_t nrows, const int16_t *x, int32_t ncols,
                      int32_t k, int32_t kp, int32_t bits, int32_t *acc)
{
    int32_t *acc1 = acc + MB_CONV_COLS, j = 0;
    if (nrows == 2) {
        for (; j + 1 < ncols; j += 2) mb_tile(w0, w1, x + j * kp, x + (j + 1) * kp, k, bits, acc + j, acc1 + j, 1, 1);
        if (j < ncols) mb_tile(w0, w1, x + j * kp, x, k, bits, acc + j, acc1 + j, 1, 0);
    } else {
        for (; j + 1 < ncols; j += 2) mb_tile(w0, w0, x + j * kp, x + (j + 1) * kp, k, bits, acc + j, acc1 + j, 0, 1);
        if (j < ncols) mb_tile(w0, w0, x + j * kp, x, k, bits, acc + j, acc1 + j, 0, 0);
    }
}

#define MB_DEFINE_DOT_(B)                                                                                            \
    void mb_dot_w##B(const uint8_t *w0, const uint8_t *w1, int32_t nrows, const int16_t *x, int32_t ncols,         \
                     int32_t k, int32_t kp, int32_t *acc)                                                            \
    {                                                                                                                \
        mb_dot(w0, w1, nrows, x, ncols, k, kp, B, acc);                                                              \
    }
MB_FOR_EACH_A(MB_DEFINE_DOT_)

#if defined(MIXBIT_USE_DSP)
/* Reorders each full group of G = 32 / b column values into the pair order of the DSP loop above:
 * for s < e: elements s, 2e+s, e+s, 3e+s (e = 8 / b). */
MB_INLINE void mb_order(int16_t *col, int32_t k, int32_t bits)
{
    const int32_t g = 32 / bits, e = 8 / bits;
    int16_t t[16];
    for (int32_t i = 0; i + g <= k; i += g, col += g) {
        memcpy(t, col, (size_t)g * sizeof *t);
        for (int32_t s = 0; s < e; s++) {
            col[4 * s] = t[s], col[4 * s + 1] = t[2 * e + s];
            col[4 * s + 2] = t[e + s], col[4 * s + 3] = t[3 * e + s];
        }
    }
}
#define MB_DEFINE_ORDER_(B)                                                                                          \
    void mb_dot_order_w##B(int16_t *col, int32_t k) { mb_order(col, k, B); }
MB_FOR_EACH_A(MB_DEFINE_ORDER_)
#endif
