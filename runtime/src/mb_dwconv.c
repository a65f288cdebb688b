/*
 * Depthwise conv, channel multiplier 1, in blocks of up to MB_DW_CHANNELS channels (so the scratch does not grow with
 * the channel count: the late layers of a MobileNet have the most channels and the smallest maps). Per block, the
 * weights are unpacked once to int16 [k_h * k_w][Bp]; input rows are unpacked to int16 [W_span][Bp] (offset added;
 * padding columns and rows as 0) into a ring of k_h row slots, so each input row is unpacked once per block whatever
 * the stride, and the tap loop has no bounds checks. Bp = the block's channels rounded up to even keeps channel pairs
 * 4-byte aligned for the DSP path; the pad channel is all zeros. For each output row and channel pair, chunks of
 * MB_DW_CHUNK pixels are accumulated, then requantized together.
 * Scratch: [k_h int32 row tags][k_h int32 row offsets][k_h*k_w*Bp int16 weights][k_h*W_span*Bp int16 rows],
 * W_span = (out_w - 1) * stride_w + k_w, Bp = min(C, MB_DW_CHANNELS) rounded up to even.
 * |acc| <= |bias| + k_h * k_w * 127 * 510.
 */
#include "mb_internal.h"

#define MB_DW_CHUNK 8

int32_t mb_dwconv2d_get_buffer_size(const mb_conv2d_params *p)
{
    const int32_t b = p->in_c < MB_DW_CHANNELS ? p->in_c : MB_DW_CHANNELS, bp = b + (b & 1);
    const int32_t span = (p->out_w - 1) * p->stride_w + p->k_w;
    return 8 * p->k_h + 2 * bp * p->k_h * (span + p->k_w);
}

/* Row slot `dst` <- channels [c0, c0 + b) of input row iy over columns ix in [-pad_left, span - pad_left), as
 * x + offset, 0 outside; bp = b rounded up to even. */
MB_INLINE void mb_dw_fill_row(const mb_conv2d_params *p, const uint8_t *in, int32_t iy, int32_t span, int32_t c0,
                              int32_t b, int32_t bp, int32_t abits, int32_t offset, int16_t *dst)
{
    const int32_t c = p->in_c, pl = p->pad_left;
    const int32_t lo = pl, hi = p->in_w + pl < span ? p->in_w + pl : span; /* in-bounds slot columns [lo, hi) */
    if (iy < 0 || iy >= p->in_h || hi <= lo) {
        memset(dst, 0, (size_t)span * bp * sizeof *dst);
        return;
    }
    memset(dst, 0, (size_t)lo * bp * sizeof *dst);
    if (bp == c) { /* the whole channel range: one contiguous run per row */
        mb_unpack16(in, (iy * p->in_w + lo - pl) * c, (hi - lo) * c, abits, p->input_signed, offset, dst + lo * bp);
    } else {
        for (int32_t xs = lo; xs < hi; xs++) {
            mb_unpack16(in, (iy * p->in_w + xs - pl) * c + c0, b, abits, p->input_signed, offset, dst + xs * bp);
            if (bp != b) dst[xs * bp + b] = 0;
        }
    }
    memset(dst + hi * bp, 0, (size_t)(span - hi) * bp * sizeof *dst);
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

/* One output row of the block's channels [c0, c0 + b): for each channel pair, chunks of pixels accumulated then
 * requantized and stored. */
MB_INLINE void mb_dw_row(const mb_conv2d_params *p, const mb_channel_quant *q, mb_out_q oq, const int16_t *rows,
                         const int32_t *off, const int16_t *wts, uint8_t *out, int32_t oy, int32_t kh, int32_t kw,
                         int32_t c0, int32_t b, int32_t bp, int32_t obits)
{
    const int32_t c = p->in_c, xstep = p->stride_w * bp;
    int32_t a0[MB_DW_CHUNK], a1[MB_DW_CHUNK];
    for (int32_t j0 = 0; j0 < b; j0 += 2) {
        const int32_t ch = c0 + j0;
        const int32_t b0 = q->bias ? q->bias[ch] : 0, b1 = q->bias && j0 + 1 < b ? q->bias[ch + 1] : 0;
        for (int32_t ox0 = 0; ox0 < p->out_w; ox0 += MB_DW_CHUNK) {
            const int32_t n = p->out_w - ox0 < MB_DW_CHUNK ? p->out_w - ox0 : MB_DW_CHUNK;
            const int16_t *r = rows + j0 + ox0 * xstep;
            for (int32_t j = 0; j < n; j++, r += xstep) {
                a0[j] = b0, a1[j] = b1;
                mb_dw_taps(r, off, wts + j0, kh, kw, bp, &a0[j], &a1[j]);
            }
            mb_requant_channels(out, (oy * p->out_w + ox0) * c + ch, c, n, obits, j0 + 1 < b ? 2 : 1, a0, a1,
                                q->multiplier + ch, q->shift + ch, oq);
        }
    }
}

MB_BODY void mb_dw_body(const mb_conv2d_params *p, const mb_channel_quant *q, const uint8_t *in,
                          const uint8_t *w, uint8_t *out, void *scratch, int32_t wbits, int32_t abits, int32_t obits)
{
    const int32_t c = p->in_c, kh = p->k_h, kw = p->k_w, span = (p->out_w - 1) * p->stride_w + kw;
    const int32_t bmax = c < MB_DW_CHANNELS ? c : MB_DW_CHANNELS, bpmax = bmax + (bmax & 1);
    const mb_out_q oq = {q->output_offset, q->act_min, q->act_max};
    int32_t *tags = (int32_t *)scratch, *off = tags + kh; /* the input row held by slot s; slot offset of row ky */
    int16_t *wts = (int16_t *)(off + kh), *rows = wts + kh * kw * bpmax;
    for (int32_t c0 = 0; c0 < c; c0 += bmax) {
        const int32_t b = c - c0 < bmax ? c - c0 : bmax, bp = b + (b & 1), row_len = span * bp;
        for (int32_t t = 0; t < kh * kw; t++) {
            mb_unpack16(w, t * c + c0, b, wbits, 1, 0, wts + t * bp);
            if (bp != b) wts[t * bp + b] = 0;
        }
        for (int32_t s = 0; s < kh; s++) tags[s] = INT32_MIN;
        for (int32_t oy = 0; oy < p->out_h; oy++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (int32_t ky = 0, s = (iy0 + p->pad_top) % kh; ky < kh; ky++, s = s + 1 == kh ? 0 : s + 1) {
                /* rows iy0 .. iy0 + kh - 1 are consecutive, so slot (iy + pad_top) mod k_h never collides */
                if (tags[s] != iy0 + ky) {
                    mb_dw_fill_row(p, in, iy0 + ky, span, c0, b, bp, abits, q->input_offset, rows + s * row_len);
                    tags[s] = iy0 + ky;
                }
                off[ky] = s * row_len;
            }
            if (kh == 3 && kw == 3) mb_dw_row(p, q, oq, rows, off, wts, out, oy, 3, 3, c0, b, bp, obits);
            else mb_dw_row(p, q, oq, rows, off, wts, out, oy, kh, kw, c0, b, bp, obits);
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
