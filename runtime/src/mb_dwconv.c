/*
 * Depthwise conv, channel multiplier 1. The weights are unpacked once to int16 [k_h * k_w][Cp]; input rows are
 * unpacked to int16 [W_span][Cp] (offset added; padding columns and rows as 0) into a ring of k_h row slots, so
 * each input row is unpacked once per call whatever the stride, and the tap loop has no bounds checks.
 * Cp = C rounded up to even keeps channel pairs 4-byte aligned for the DSP path; the pad channel is all zeros.
 * For each output row and channel pair, chunks of MB_DW_CHUNK pixels are accumulated, then requantized together.
 * Scratch: [k_h int32 row tags][k_h int32 row offsets][k_h*k_w*Cp int16 weights][k_h*W_span*Cp int16 rows],
 * W_span = (out_w - 1) * stride_w + k_w. |acc| <= |bias| + k_h * k_w * 127 * 510.
 */
#include "mb_internal.h"

#define MB_DW_CHUNK 8

int32_t mb_dwconv2d_get_buffer_size(const mb_conv2d_params *p)
{
    const int32_t cp = p->in_c + (p->in_c & 1), span = (p->out_w - 1) * p->stride_w + p->k_w;
    return 8 * p->k_h + 2 * cp * p->k_h * (span + p->k_w);
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

/* acc0/acc1 += the k_h x k_w taps of channels (ch, ch + 1); r = rows + ch + column offset, off[ky] = row slot
 * offsets, wt = weights + ch. kh/kw are constants in the 3x3 instance, so the taps unroll. */
MB_INLINE void mb_dw_taps(const int16_t *r, const int32_t *off, const int16_t *wt, int32_t kh, int32_t kw,
                          int32_t cp, int32_t *a0, int32_t *a1)
{
    int32_t acc0 = *a0, acc1 = *a1;
    MB_UNROLL for (int32_t ky = 0; ky < kh; ky++, wt += kw * cp) {
        const int16_t *x = r + off[ky];
        MB_UNROLL for (int32_t kx = 0; kx < kw; kx++) {
#if defined(MIXBIT_USE_DSP)
            const uint32_t xv = mb_ld2(x + kx * cp), wv = mb_ld2(wt + kx * cp);
            acc0 = __smlabb((int32_t)xv, (int32_t)wv, acc0);
            acc1 = __smlatt((int32_t)xv, (int32_t)wv, acc1);
#else
            acc0 += x[kx * cp] * wt[kx * cp];
            acc1 += x[kx * cp + 1] * wt[kx * cp + 1];
#endif
        }
    }
    *a0 = acc0, *a1 = acc1;
}

/* One output row: for each channel pair, chunks of pixels accumulated then requantized and stored. */
MB_INLINE void mb_dw_row(const mb_conv2d_params *p, const mb_channel_quant *q, mb_out_q oq, const int16_t *rows,
                         const int32_t *off, const int16_t *wts, uint8_t *out, int32_t oy, int32_t kh, int32_t kw,
                         int32_t obits)
{
    const int32_t c = p->in_c, cp = c + (c & 1), xstep = p->stride_w * cp;
    int32_t a0[MB_DW_CHUNK], a1[MB_DW_CHUNK];
    for (int32_t ch = 0; ch < c; ch += 2) {
        const int32_t b0 = q->bias ? q->bias[ch] : 0, b1 = q->bias && ch + 1 < c ? q->bias[ch + 1] : 0;
        for (int32_t ox0 = 0; ox0 < p->out_w; ox0 += MB_DW_CHUNK) {
            const int32_t n = p->out_w - ox0 < MB_DW_CHUNK ? p->out_w - ox0 : MB_DW_CHUNK;
            const int16_t *r = rows + ch + ox0 * xstep;
            for (int32_t j = 0; j < n; j++, r += xstep) {
                a0[j] = b0, a1[j] = b1;
                mb_dw_taps(r, off, wts + ch, kh, kw, cp, &a0[j], &a1[j]);
            }
            mb_requant_channels(out, (oy * p->out_w + ox0) * c + ch, c, n, obits, ch + 1 < c ? 2 : 1, a0, a1,
                                q->multiplier + ch, q->shift + ch, oq);
        }
    }
}

MB_INLINE void mb_dw_body(const mb_conv2d_params *p, const mb_channel_quant *q, const uint8_t *in,
                          const uint8_t *w, uint8_t *out, void *scratch, int32_t wbits, int32_t abits, int32_t obits)
{
    const int32_t c = p->in_c, cp = c + (c & 1), kh = p->k_h, kw = p->k_w;
    const int32_t span = (p->out_w - 1) * p->stride_w + kw, row_len = span * cp;
    const mb_out_q oq = {q->output_offset, q->act_min, q->act_max};
    int32_t *tags = (int32_t *)scratch, *off = tags + kh; /* the input row held by slot s; slot offset of row ky */
    int16_t *wts = (int16_t *)(off + kh), *rows = wts + kh * kw * cp;
    for (int32_t t = 0; t < kh * kw; t++) {
        mb_unpack16(w, t * c, c, wbits, 1, 0, wts + t * cp);
        if (cp != c) wts[t * cp + c] = 0;
    }
    for (int32_t s = 0; s < kh; s++) tags[s] = INT32_MIN;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (int32_t ky = 0, s = (iy0 + p->pad_top) % kh; ky < kh; ky++, s = s + 1 == kh ? 0 : s + 1) {
            /* rows iy0 .. iy0 + kh - 1 are consecutive, so slot (iy + pad_top) mod k_h never collides */
            if (tags[s] != iy0 + ky) {
                mb_dw_fill_row(p, in, iy0 + ky, span, cp, abits, q->input_offset, rows + s * row_len);
                tags[s] = iy0 + ky;
            }
            off[ky] = s * row_len;
        }
        if (kh == 3 && kw == 3) mb_dw_row(p, q, oq, rows, off, wts, out, oy, 3, 3, obits);
        else mb_dw_row(p, q, oq, rows, off, wts, out, oy, kh, kw, obits);
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
