/*
 * Shared pieces of the kernel bodies. Every helper here takes its bit-widths as arguments and is force-inlined
 * into the per-triple entry points, where the widths are constants: each mb_<op>_w<W>_a<A>_o<O> symbol then holds
 * only the load/store code of its own widths (one body, 27 specialisations, no copies in the source).
 */
#ifndef MIXBIT_MB_INTERNAL_H
#define MIXBIT_MB_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "mixbit/mixbit.h"

#if defined(__GNUC__)
#define MB_INLINE static inline __attribute__((always_inline))
#else
#define MB_INLINE static inline
#endif

#if defined(MIXBIT_USE_DSP)
#if !defined(__ARM_FEATURE_DSP)
#error "MIXBIT_USE_DSP needs a core with the DSP extension (Cortex-M4/M7/M33/M55)"
#endif
#include <arm_acle.h>
#endif

/* Sign-extends the low `bits` bits of u. */
MB_INLINE int32_t mb_sext(uint32_t u, int32_t bits)
{
    return (int32_t)(u << (32 - bits)) >> (32 - bits);
}

/*
 * dst[i] = element (start + i) + offset, i < count; dst_bytes (2 or 1) picks int16 or int8 output. Whole bytes go
 * through one unrolled extract per field, the partial first and last bytes through a field-at-a-time loop.
 */
MB_INLINE void mb_unpack_run(const uint8_t *src, int32_t start, int32_t count, int32_t bits, int32_t is_signed,
                             int32_t offset, void *dst, int32_t dst_bytes)
{
    int16_t *d16 = (int16_t *)dst;
    int8_t *d8 = (int8_t *)dst;
#define MB_PUT_(i, v)                                                                                                 \
    do {                                                                                                             \
        if (dst_bytes == 2) d16[i] = (int16_t)(v);                                                                   \
        else d8[i] = (int8_t)(v);                                                                                    \
    } while (0)
#define MB_FIELD_(byte, j) (is_signed ? mb_sext((uint32_t)(byte) >> ((j) * bits), bits)                              \
                                      : (int32_t)(((uint32_t)(byte) >> ((j) * bits)) & ((1u << bits) - 1u)))
    int32_t i = 0;
    if (bits == 8) {
        const uint8_t *s = src + start;
        if (is_signed) {
            for (; i < count; i++) MB_PUT_(i, (int8_t)s[i] + offset);
        } else {
            for (; i < count; i++) MB_PUT_(i, s[i] + offset);
        }
        return;
    }
    {
        const int32_t per = 8 / bits; /* elements per byte */
        const uint8_t *s = src + ((start * bits) >> 3);
        int32_t j = start & (per - 1);
        if (j != 0) { /* first, partial byte */
            const uint32_t b = *s++;
            for (; j < per && i < count; j++, i++) MB_PUT_(i, MB_FIELD_(b, j) + offset);
        }
        for (; i + per <= count; i += per) {
            const uint32_t b = *s++;
            for (j = 0; j < per; j++) MB_PUT_(i + j, MB_FIELD_(b, j) + offset);
        }
        if (i < count) { /* last, partial byte */
            const uint32_t b = *s;
            for (j = 0; i < count; j++, i++) MB_PUT_(i, MB_FIELD_(b, j) + offset);
        }
    }
#undef MB_FIELD_
#undef MB_PUT_
}

MB_INLINE void mb_unpack16(const uint8_t *src, int32_t start, int32_t count, int32_t bits, int32_t is_signed,
                           int32_t offset, int16_t *dst)
{
    mb_unpack_run(src, start, count, bits, is_signed, offset, dst, 2);
}

/* Stores element k of a b-bit output; the 8-bit case is a plain byte store. */
MB_INLINE void mb_put(uint8_t *out, int32_t k, int32_t bits, int32_t v)
{
    if (bits == 8) out[k] = (uint8_t)v;
    else mb_store(out, k, bits, v);
}

/* out[k] = clamp(requantize(acc, m0, n) + zp, lo, hi) at `bits` bits. */
MB_INLINE void mb_requant_put(uint8_t *out, int32_t k, int32_t bits, int32_t acc, int32_t m0, int32_t n,
                              const mb_channel_quant *q)
{
    mb_put(out, k, bits, mb_clamp(mb_requantize(acc, m0, n) + q->output_offset, q->act_min, q->act_max));
}

/* 32-bit load of two adjacent int16 (the pointer is 4-byte aligned in every caller). */
MB_INLINE uint32_t mb_ld2(const int16_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/*
 * The int16 dot-product core shared by conv2d, pointwise and fully connected, whatever their bit-widths:
 *   acc[r * MB_CONV_COLS + j] += sum_{k < kp} w[r * kp + k] * x[j * kp + k],   r < nrows (1 or 2), j < ncols.
 * kp is even and w, x are 4-byte aligned. Bound: |w| <= 127, |x| <= 510 (8-bit code plus offset), so each
 * product is below 2^16 and kp < 2^14 terms stay below 2^30.
 */
void mb_dot_s16(const int16_t *w, int32_t nrows, const int16_t *x, int32_t ncols, int32_t kp, int32_t *acc);

#endif
