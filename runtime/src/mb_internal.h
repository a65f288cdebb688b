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

/* MIXBIT_COMPACT: one copy of each kernel body, with its bit-widths as run-time arguments, shared by all the
 * per-triple entry points; the runtime's code then stays the same whatever bit triples a model mixes (a specialised
 * depthwise body is about 3.3 kB on the Cortex-M0+ per triple), at the cost of instructions per MAC. The arithmetic is
 * the same, so the outputs are bit-identical. */
#if defined(MIXBIT_COMPACT) && defined(__GNUC__)
#define MB_BODY static __attribute__((noinline))
#else
#define MB_BODY MB_INLINE
#endif

/* Full unrolling of short constant-trip loops (GCC -O2 does not unroll). */
#if defined(__GNUC__)
#define MB_UNROLL _Pragma("GCC unroll 16")
#else
#define MB_UNROLL
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

#if defined(MIXBIT_USE_DSP)
MB_INLINE uint32_t mb_asm_uxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
MB_INLINE uint32_t mb_asm_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
/* (lo half of a, lo half of b) and (hi half of a, hi half of b) as int16 pairs */
MB_INLINE uint32_t mb_pack_lo(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
MB_INLINE uint32_t mb_pack_hi(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
    return r;
}
MB_INLINE void mb_st2(int16_t *p, uint32_t v) { memcpy(p, &v, sizeof v); } /* unaligned STR: ARMv7-M and later */

/*
 * The whole 32-bit words of a run starting on a byte, 32 / b elements per load: SXTB16 /
 * UXTB16 split the bytes (or nibble-masked bytes) into int16 pairs, PKHBT/PKHTB put them back in element order,
 * SADD16 adds the offset to both lanes (|x + offset| < 2^15, so lanes cannot carry). A signed b-bit field u becomes
 * (u ^ 2^(b-1)) - 2^(b-1). Returns how many elements it wrote (whole words only; 0 for a run starting mid-byte).
 */
MB_INLINE int32_t mb_unpack_words16(const uint8_t *src, int32_t start, int32_t count, int32_t bits,
                                    int32_t is_signed, int32_t offset, int16_t *dst)
{
    const int32_t per_word = 32 / bits;
    if (((start * bits) & 7) != 0) return 0;
    const uint8_t *s = src + ((start * bits) >> 3);
    int32_t i = 0;
    if (bits == 8) {
        const uint32_t off2 = (uint32_t)(offset & 0xFFFF) * 0x10001u;
        for (; i + per_word <= count; i += per_word, s += 4) {
            uint32_t w;
            memcpy(&w, s, sizeof w);
            const uint32_t ev = is_signed ? (uint32_t)__sxtb16(w) : (uint32_t)__uxtb16(w); /* elements 0, 2 */
            const uint32_t od = is_signed ? mb_asm_sxtb16_ror8(w) : mb_asm_uxtb16_ror8(w); /* elements 1, 3 */
            mb_st2(dst + i, __sadd16(mb_pack_lo(ev, od), off2));
            mb_st2(dst + i + 2, __sadd16(mb_pack_hi(ev, od), off2));
        }
    } else {
        /* f = 8 / b fields per byte; field t of every byte, masked, gives bytes (t, f+t, 2f+t, 3f+t); UXTB16 splits
         * them into pairs (t, 2f+t) and (f+t, 3f+t), and PKHBT/PKHTB of fields t and t+1 restore element order */
        const int32_t f = 8 / bits;
        const uint32_t mask = bits == 4 ? 0x0F0F0F0Fu : 0x03030303u, half = 1u << (bits - 1);
        const uint32_t off2 = (uint32_t)((offset - (is_signed ? (int32_t)half : 0)) & 0xFFFF) * 0x10001u;
        const uint32_t flip = is_signed ? half * 0x10001u : 0u;
        for (; i + per_word <= count; i += per_word, s += 4) {
            uint32_t w;
            memcpy(&w, s, sizeof w);
            MB_UNROLL for (int32_t t = 0; t < f; t += 2) {
                const uint32_t m0 = (w >> (t * bits)) & mask, m1 = (w >> ((t + 1) * bits)) & mask;
                const uint32_t a0 = __uxtb16(m0), a1 = __uxtb16(m1);                         /* (t, 2f+t) */
                const uint32_t b0 = mb_asm_uxtb16_ror8(m0), b1 = mb_asm_uxtb16_ror8(m1);     /* (f+t, 3f+t) */
                mb_st2(dst + i + t, __sadd16(mb_pack_lo(a0, a1) ^ flip, off2));
                mb_st2(dst + i + 2 * f + t, __sadd16(mb_pack_hi(a0, a1) ^ flip, off2));
                mb_st2(dst + i + f + t, __sadd16(mb_pack_lo(b0, b1) ^ flip, off2));
                mb_st2(dst + i + 3 * f + t, __sadd16(mb_pack_hi(b0, b1) ^ flip, off2));
            }
        }
    }
    return i;
}
#endif

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
#if defined(MIXBIT_USE_DSP)
    if (dst_bytes == 2) {
        const int32_t done = mb_unpack_words16(src, start, count, bits, is_signed, offset, d16);
        if (done == count) return;
        if (done > 0) { /* the rest continues below from element start + done, which starts a byte */
            src += ((start + done) * bits) >> 3, d16 += done, d8 += done, count -= done, start = 0;
        }
    }
#endif
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

/*
 * The int16 unpackers, one out-of-line function per (bits, signedness) shared by all kernels (a run is long
 * enough that the call costs little, and a firmware links only the ones its widths use). mb_unpack16 picks one;
 * with constant bits only the signedness choice is left at run time.
 */
typedef void mb_unpack16_fn(const uint8_t *src, int32_t start, int32_t count, int32_t offset, int16_t *dst);
mb_unpack16_fn mb_unpack16_2u, mb_unpack16_2s, mb_unpack16_4u, mb_unpack16_4s, mb_unpack16_8u, mb_unpack16_8s;

MB_INLINE void mb_unpack16(const uint8_t *src, int32_t start, int32_t count, int32_t bits, int32_t is_signed,
                           int32_t offset, int16_t *dst)
{
    mb_unpack16_fn *f = bits == 2   ? (is_signed ? mb_unpack16_2s : mb_unpack16_2u)
                        : bits == 4 ? (is_signed ? mb_unpack16_4s : mb_unpack16_4u)
                                    : (is_signed ? mb_unpack16_8s : mb_unpack16_8u);
    f(src, start, count, offset, dst);
}

/* Stores element k of a b-bit output; the 8-bit case is a plain byte store. */
MB_INLINE void mb_put(uint8_t *out, int32_t k, int32_t bits, int32_t v)
{
    if (bits == 8) out[k] = (uint8_t)v;
    else mb_store(out, k, bits, v);
}

/* Output side of a requantizing op, held in locals: stores through uint8_t may alias anything, so fields read
 * through a pointer would be reloaded after every store. */
typedef struct {
    int32_t zp, lo, hi;
} mb_out_q;

/*
 * out[k0 + j * step] = clamp(requantize(acc[j], m0, n) + zp, lo, hi) at `bits` bits, j < count. The n >= 33 test
 * is made once: each inlined copy of the loop knows which side of mb_round_shift64 it takes, so the common case
 * (n >= 33) costs a 32x32 multiply-high, an add and a shift per output.
 */
MB_INLINE void mb_requant_loop(uint8_t *out, int32_t k0, int32_t step, int32_t count, int32_t bits,
                               const int32_t *acc, int32_t m0, int32_t n, mb_out_q oq)
{
    for (int32_t j = 0; j < count; j++)
        mb_put(out, k0 + j * step, bits, mb_clamp(mb_requantize(acc[j], m0, n) + oq.zp, oq.lo, oq.hi));
}

/*
 * Two adjacent channels at once: out[k] and out[k + 1], k = k0 + j * step, from acc0[j] and acc1[j]. When k is
 * even the pair is one 2b-bit field of its byte (b <= 4): one store of both, a plain byte store at b = 4, instead
 * of two read-modify-writes.
 */
MB_INLINE void mb_requant2_loop(uint8_t *out, int32_t k0, int32_t step, int32_t count, int32_t bits,
                                const int32_t *acc0, const int32_t *acc1, int32_t m0a, int32_t na, int32_t m0b,
                                int32_t nb, mb_out_q oq)
{
    const int32_t mask = (1 << bits) - 1;
    for (int32_t j = 0, k = k0; j < count; j++, k += step) {
        const int32_t v0 = mb_clamp(mb_requantize(acc0[j], m0a, na) + oq.zp, oq.lo, oq.hi);
        const int32_t v1 = mb_clamp(mb_requantize(acc1[j], m0b, nb) + oq.zp, oq.lo, oq.hi);
        if (bits == 8) {
            out[k] = (uint8_t)v0, out[k + 1] = (uint8_t)v1;
        } else if ((k & 1) == 0) {
            mb_put(out, k >> 1, 2 * bits, (v0 & mask) | ((v1 & mask) << bits));
        } else {
            mb_store(out, k, bits, v0);
            mb_store(out, k + 1, bits, v1);
        }
    }
}

/* The runs above as out-of-line functions per output width, shared by all kernels (a run is 1 to 8 outputs;
 * a fresh register allocation keeps m0, n and the clamp bounds in registers). */
typedef void mb_requant_fn(uint8_t *out, int32_t k0, int32_t step, int32_t count, const int32_t *acc, int32_t m0,
                           int32_t n, mb_out_q oq);
mb_requant_fn mb_requant_o2, mb_requant_o4, mb_requant_o8;
typedef void mb_requant2_fn(uint8_t *out, int32_t k0, int32_t step, int32_t count, const int32_t *acc0,
                            const int32_t *acc1, const int32_t *m0, const int8_t *n, mb_out_q oq);
mb_requant2_fn mb_requant2_o2, mb_requant2_o4, mb_requant2_o8;

/* Channels c and c + 1 (m0/n point at c's): one paired run, or the single run when nr == 1. */
MB_INLINE void mb_requant_channels(uint8_t *out, int32_t k0, int32_t step, int32_t count, int32_t bits, int32_t nr,
                                   const int32_t *acc0, const int32_t *acc1, const int32_t *m0, const int8_t *n,
                                   mb_out_q oq)
{
    if (nr == 2)
        (bits == 2 ? mb_requant2_o2 : bits == 4 ? mb_requant2_o4 : mb_requant2_o8)(out, k0, step, count, acc0, acc1,
                                                                                   m0, n, oq);
    else
        (bits == 2 ? mb_requant_o2 : bits == 4 ? mb_requant_o4 : mb_requant_o8)(out, k0, step, count, acc0, m0[0],
                                                                                n[0], oq);
}

/* 32-bit load of two adjacent int16 (the pointer is 4-byte aligned in every caller). */
MB_INLINE uint32_t mb_ld2(const int16_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/*
 * The dot-product core (mb_dot.c), one function per weight width W:
 *   acc[r * MB_CONV_COLS + j] = b_r + sum_{i < k} w_r[i] * x[j * kp + i],   r < nrows (1 or 2), j < ncols,
 * w0/w1 the packed rows of the two output channels (each starting on a byte), x the int16 columns (kp a multiple
 * of 16, 4-byte aligned) placed by mb_dot_place_wW: tile t (columns 2t, 2t + 1) in x[2t * kp, 2t * kp + 2 * kp).
 * The DSP core reads MB_DOT_ROW_READ(k, W) bytes from each row start (whole 32-bit words: past the row's end when
 * G = 32 / W does not divide k); the caller makes sure they exist.
 * |x| <= 510 (an 8-bit code plus its offset), |w| <= 127.
 */
#if defined(MIXBIT_USE_DSP)
#define MB_DOT_ROW_READ(k, wbits) (((k) + 32 / (wbits) - 1) / (32 / (wbits)) * 4)
#else
#define MB_DOT_ROW_READ(k, wbits) (((k) * (wbits) + 7) / 8)
#endif
void mb_dot_w2(const uint8_t *w0, const uint8_t *w1, int32_t nrows, const int16_t *x, int32_t ncols, int32_t k,
               int32_t kp, int32_t b0, int32_t b1, int32_t *acc);
void mb_dot_w4(const uint8_t *w0, const uint8_t *w1, int32_t nrows, const int16_t *x, int32_t ncols, int32_t k,
               int32_t kp, int32_t b0, int32_t b1, int32_t *acc);
void mb_dot_w8(const uint8_t *w0, const uint8_t *w1, int32_t nrows, const int16_t *x, int32_t ncols, int32_t k,
               int32_t kp, int32_t b0, int32_t b1, int32_t *acc);

/* Copies a natural-order column into the tile run that starts at dst (column `which` of a tile of `width`), in the
 * layout the core of W-bit weights reads (mb_dot.c). DSP tiles: quads of columns, then a pair, then a single. */
void mb_dot_place_w2(const int16_t *src, int32_t k, int32_t kp, int16_t *dst, int32_t which, int32_t width);
void mb_dot_place_w4(const int16_t *src, int32_t k, int32_t kp, int16_t *dst, int32_t which, int32_t width);
void mb_dot_place_w8(const int16_t *src, int32_t k, int32_t kp, int16_t *dst, int32_t which, int32_t width);
MB_INLINE void mb_dot_place(const int16_t *src, int32_t k, int32_t kp, int32_t wbits, int16_t *dst, int32_t which,
                            int32_t width)
{
    (wbits == 2 ? mb_dot_place_w2 : wbits == 4 ? mb_dot_place_w4 : mb_dot_place_w8)(src, k, kp, dst, which, width);
}

MB_INLINE void mb_dot_wb(const uint8_t *w0, const uint8_t *w1, int32_t nrows, const int16_t *x, int32_t ncols,
                         int32_t k, int32_t kp, int32_t wbits, int32_t b0, int32_t b1, int32_t *acc)
{
    (wbits == 2 ? mb_dot_w2 : wbits == 4 ? mb_dot_w4 : mb_dot_w8)(w0, w1, nrows, x, ncols, k, kp, b0, b1, acc);
}

#endif
