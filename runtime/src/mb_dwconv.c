/*
 * Depthwise conv, channel multiplier 1. The weights are unpacked once to int16 [k_h * k_w][Cp]; input rows are
 * unpacked to int16 [W_span][Cp] (offset added; padding columns and rows as 0) into a ring of k_h row slots, so
 * each input row is unpacked once per call whatever the stride, and the tap loop has no bounds checks.
 * Cp = C rounded up to even keeps channel pairs 4-byte aligned for the DSP path; the pad channel is all zeros.
 * Scratch: [k_h int32 row tags][k_h*k_w*Cp int16 weights][k_h*W_span*Cp int16 rows], W_span = (out_w-1)*s_w + k_w.
 */
#include "mb_internal.h"

int32_t mb_dwconv2d_get_buffer_size(const mb_conv2d_params *p)
{
    const int32_t cp = p->in_c + (p->in_c & 1), span = (p->out_w - 1) * p->stride_w + p->k_w;
    return 4 * p->k_h + 2 * cp * p->k_h * (span + p->k_w);
}

/* Row slot `dst` <- input row iy over columns ix in [-pad_left, span - pad_left), as x + offset, 0 outside. */
MB_INLINE void mb_dw_fill_row(const mb_conv2d_params *p, const uint8_t *in, int32_t iy, int32_t span, int32_t cp,
                              int32_t abits, int32_t offset, int16_t *dst)
{
    const int32_t c = p->in_c, pl = p->pad_left;
    const int32_t lo = pl, hi = p->in_w + pl < span ? p->in_w + pl : span; /* in-bounds slot columns [lo, hi) */
    if (iy < 0 || iy >= p->in_h || hi <= lo) {
        memset(dst, 0, (size_t)span * cp * sizeof *dst);
        return;
    }
    memset(dst, 0, (size_t)lo * cp * sizeof *dst);
    if (cp == c) {
        mb_unpack16(in, (iy * p->in_w + lo - pl) * c, (hi - lo) * c, abits, p->input_signed, offset, dst + lo * cp);
    } else {
        for (int32_t xs = lo; xs < hi; xs++) {
            mb_unpack16(in, (iy * p->in_w + xs - pl) * c, c, abits, p->input_signed, offset, dst + xs * cp);
            dst[xs * cp + c] = 0;
        }
    }
    memset(dst + hi * cp, 0, (size_t)(span - hi) * cp * sizeof *dst);
}

/* Two channels' sums over the k_h x k_w taps. r: rows ring (slot s0 holds ky = 0), x: column offset in a row. */
MB_INLINE void mb_dw_taps(const int16_t *rows, int32_t row_len, int32_t s0, int32_t kh, int32_t kw, int32_t cp,
                          const int16_t *wt, int32_t x, int32_t *a0, int32_t *a1)
{
    int32_t s = s0, acc0 = *a0, acc1 = *a1;
    for (int32_t ky = 0; ky < kh; ky++, wt += kw * cp) {
        const int16_t *r = rows + s * row_len + x;
        for (int32_t kx = 0; kx < kw; kx++) {
#if defined(MIXBIT_USE_DSP)
            const uint32_t xv = mb_ld2(r + kx * cp), wv = mb_ld2(wt + kx * cp);
            acc0 = __smlabb(xv, wv, acc0);
            acc1 = __smlatt(xv, wv, acc1);
#else
            acc0 += r[kx * cp] * wt[kx * cp];
            acc1 += r[kx * cp + 1] * wt[kx * cp + 1];
#endif
        }
        if (++s == kh) s = 0;
    }
    *a0 = acc0, *a1 = acc1;
}

MB_INLINE void mb_dw_body(const mb_conv2d_params *p, const mb_channel_quant *q, const uint8_t *in,
                          const uint8_t *w, uint8_t *out, void *scratch, int32_t wbits, int32_t abits, int32_t obits)
{
    const int32_t c = p->in_c, cp = c + (c & 1), kh = p->k_h, kw = p->k_w;
    const int32_t span = (p->out_w - 1) * p->stride_w + kw, row_len = span * cp;
    int32_t *tags = (int32_t *)scratch; /* tags[s]: the input row held by slot s */
    int16_t *wts = (int16_t *)(tags + kh), *rows = wts + kh * kw * cp;
    for (int32_t t = 0; t < kh * kw; t++) {
        mb_unpack16(w, t * c, c, wbits, 1, 0, wts + t * cp);
        if (cp != c) wts[t * cp + c] = 0;
    }
    for (int32_t s = 0; s < kh; s++) tags[s] = INT32_MIN;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top, s0 = (iy0 + p->pad_top) % kh;
        for (int32_t ky = 0, s = s0; ky < kh; ky++, s = s + 1 == kh ? 0 : s + 1) {
            /* rows iy0 .. iy0 + kh - 1 are consecutive, so slot (iy + pad_top) mod k_h never collides */
            if (tags[s] != iy0 + ky) {
                mb_dw_fill_row(p, in, iy0 + ky, span, cp, abits, q->input_offset, rows + s * row_len);
                tags[s] = iy0 + ky;
            }
        }
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t base = (oy * p->out_w + ox) * c;
            for (int32_t ch = 0; ch < c; ch += 2) {
                int32_t a0 = q->bias ? q->bias[ch] : 0;
                int32_t a1 = q->bias && ch + 1 < c ? q->bias[ch + 1] : 0;
                mb_dw_taps(rows, row_len, s0, kh, kw, cp, wts + ch, ox * p->stride_w * cp + ch, &a0, &a1);
                mb_requant_put(out, base + ch, obits, a0, q->multiplier[ch], q->shift[ch], q);
                if (ch + 1 < c) mb_requant_put(out, base + ch + 1, obits, a1, q->multiplier[ch + 1], q->shift[ch + 1], q);
            }
        }
    }
    mb_pack_finish(out, p->out_h * p->out_w * c, obits);
}

#define MB_DEFINE_DW_(W, A, O)                                                                                       \
    void mb_dwconv2d_w##W##_a##A##_o##O(const mb_conv2d_params *p, const mb_channel_quant *q,                      \
                                        const uint8_t *input, const uint8_t *weights, uint8_t *output,               \
                                        void *scratch)                                                               \
    {                                                                                                                \
        mb_dw_body(p, q, input, weights, output, scratch, W, A, O);                                                  \
    }
MB_FOR_EACH_WAO(MB_DEFINE_DW_)
