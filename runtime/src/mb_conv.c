/*
 * Standard conv2d, pointwise conv and fully connected: one body. For a block of up to MB_CONV_COLS output pixels
 * it unpacks their im2col columns once into int16 scratch (input offset added, padding as 0, so the core needs no
 * bounds checks), then for each pair of output channels unpacks the two weight rows to int16 and runs the shared
 * int16 core (mb_dot_s16). Only the unpack of inputs (A bits), weights (W bits) and the store (O bits) depend on
 * the widths. Scratch layout (int16): [2 weight rows of Kp][MB_CONV_COLS columns of Kp], Kp = K rounded to even.
 */
#include "mb_internal.h"

static int32_t mb_even(int32_t k) { return k + (k & 1); }

static int32_t mb_conv_scratch(int32_t k, int32_t cols) { return 2 * mb_even(k) * (cols + 2); }

int32_t mb_conv2d_get_buffer_size(const mb_conv2d_params *p)
{
    return mb_conv_scratch(p->k_h * p->k_w * p->in_c, MB_CONV_COLS);
}

int32_t mb_pwconv2d_get_buffer_size(const mb_conv2d_params *p) { return mb_conv_scratch(p->in_c, MB_CONV_COLS); }

int32_t mb_fc_get_buffer_size(const mb_fc_params *p) { return mb_conv_scratch(p->in_features, 1); }

/* The im2col column of output pixel (oy, ox): [k_h][k_w][in_c] values x + offset, 0 for taps outside the input. */
MB_INLINE void mb_im2col(const mb_conv2d_params *p, const uint8_t *in, int32_t oy, int32_t ox, int32_t abits,
                         int32_t offset, int16_t *col)
{
    const int32_t c = p->in_c, kw = p->k_w, row = kw * c;
    const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
    for (int32_t ky = 0; ky < p->k_h; ky++, col += row) {
        const int32_t iy = iy0 + ky;
        if (iy < 0 || iy >= p->in_h) {
            memset(col, 0, (size_t)row * sizeof *col);
        } else if (ix0 >= 0 && ix0 + kw <= p->in_w) { /* the k_w taps are one contiguous run of the input row */
            mb_unpack16(in, (iy * p->in_w + ix0) * c, row, abits, p->input_signed, offset, col);
        } else {
            for (int32_t kx = 0; kx < kw; kx++) {
                const int32_t ix = ix0 + kx;
                if (ix < 0 || ix >= p->in_w) memset(col + kx * c, 0, (size_t)c * sizeof *col);
                else mb_unpack16(in, (iy * p->in_w + ix) * c, c, abits, p->input_signed, offset, col + kx * c);
            }
        }
    }
}

/* Unpacks `n` consecutive rows of k elements starting at row r0 of a packed [rows][k] tensor into rows of kp. */
MB_INLINE void mb_unpack_rows(const uint8_t *src, int32_t r0, int32_t n, int32_t k, int32_t kp, int32_t bits,
                              int32_t is_signed, int32_t offset, int16_t *dst)
{
    if (k == kp) {
        mb_unpack16(src, r0 * k, n * k, bits, is_signed, offset, dst);
        return;
    }
    for (int32_t r = 0; r < n; r++, dst += kp) {
        mb_unpack16(src, (r0 + r) * k, k, bits, is_signed, offset, dst);
        dst[k] = 0; /* kp = k + 1; for weight rows this zero is what makes the columns' pad entry irrelevant */
    }
}

MB_INLINE void mb_conv_body(const mb_conv2d_params *p, const mb_channel_quant *q, const uint8_t *in,
                            const uint8_t *w, uint8_t *out, void *scratch, int32_t wbits, int32_t abits,
                            int32_t obits, int32_t pointwise)
{
    const int32_t k = p->k_h * p->k_w * p->in_c, kp = mb_even(k);
    const int32_t cout = p->out_c, npix = p->out_h * p->out_w;
    int16_t *wrows = (int16_t *)scratch, *cols = wrows + 2 * kp;
    int32_t acc[2 * MB_CONV_COLS];
    for (int32_t p0 = 0; p0 < npix; p0 += MB_CONV_COLS) {
        const int32_t np = npix - p0 < MB_CONV_COLS ? npix - p0 : MB_CONV_COLS;
        if (pointwise) { /* 1x1, stride 1, no padding: the columns are consecutive pixels of the input */
            mb_unpack_rows(in, p0, np, k, kp, abits, p->input_signed, q->input_offset, cols);
        } else {
            for (int32_t j = 0; j < np; j++) {
                const int32_t pix = p0 + j;
                /* an odd K leaves cols[j * kp + k] unset: the weight rows' pad entry is 0, so it adds nothing */
                mb_im2col(p, in, pix / p->out_w, pix % p->out_w, abits, q->input_offset, cols + j * kp);
            }
        }
        for (int32_t c = 0; c < cout; c += 2) {
            const int32_t nr = cout - c < 2 ? 1 : 2;
            mb_unpack_rows(w, c, nr, k, kp, wbits, 1, 0, wrows);
            for (int32_t r = 0; r < nr; r++) {
                const int32_t b = q->bias ? q->bias[c + r] : 0;
                for (int32_t j = 0; j < np; j++) acc[r * MB_CONV_COLS + j] = b;
            }
            mb_dot_s16(wrows, nr, cols, np, kp, acc);
            for (int32_t r = 0; r < nr; r++) {
                const int32_t m0 = q->multiplier[c + r], n = q->shift[c + r];
                for (int32_t j = 0; j < np; j++)
                    mb_requant_put(out, (p0 + j) * cout + c + r, obits, acc[r * MB_CONV_COLS + j], m0, n, q);
            }
        }
    }
    mb_pack_finish(out, npix * cout, obits);
}

#define MB_DEFINE_CONV_(W, A, O)                                                                                     \
    void mb_conv2d_w##W##_a##A##_o##O(const mb_conv2d_params *p, const mb_channel_quant *q, const uint8_t *input,  \
                                      const uint8_t *weights, uint8_t *output, void *scratch)                        \
    {                                                                                                                \
        mb_conv_body(p, q, input, weights, output, scratch, W, A, O, 0);                                             \
    }                                                                                                                \
    void mb_pwconv2d_w##W##_a##A##_o##O(const mb_conv2d_params *p, const mb_channel_quant *q,                      \
                                        const uint8_t *input, const uint8_t *weights, uint8_t *output,               \
                                        void *scratch)                                                               \
    {                                                                                                                \
        mb_conv_body(p, q, input, weights, output, scratch, W, A, O, 1);                                             \
    }                                                                                                                \
    void mb_fc_w##W##_a##A##_o##O(const mb_fc_params *p, const mb_channel_quant *q, const uint8_t *input,          \
                                  const uint8_t *weights, uint8_t *output, void *scratch)                            \
    {                                                                                                                \
        /* A fully connected layer is a pointwise conv over one pixel. */                                            \
        const mb_conv2d_params c = {1, 1, p->in_features, 1, 1, p->out_features, 1, 1, 1, 1, 0, 0,                  \
                                    p->input_signed};                                                                \
        mb_conv_body(&c, q, input, weights, output, scratch, W, A, O, 1);                                            \
    }
MB_FOR_EACH_WAO(MB_DEFINE_CONV_)
