/*
 * Standard conv2d, pointwise conv and fully connected: one body. For a block of up to MB_CONV_COLS output pixels
 * it unpacks their im2col columns once into int16 scratch (input offset added, padding as 0, so the core needs no
 * bounds checks; in the core's pair order), then for each pair of output channels runs the core of the weight
 * width (mb_dot_wW) on the packed weight rows, requantizes and stores. Rows whose start is not on a byte
 * (K * W not a multiple of 8), or whose reads would pass the end of the weights, are first copied, realigned and
 * zero-padded, into scratch.
 * Scratch: [2 row copies, 2 * Kp bytes][staging column, Kp int16][MB_CONV_COLS columns of Kp int16],
 * Kp = K rounded up to 16.
 */
#include "mb_internal.h"

/* Column stride: K rounded up to 16, so that zero-padded whole groups of any weight width fit. */
static int32_t mb_kp(int32_t k) { return (k + 15) & ~15; }

static int32_t mb_conv_scratch(int32_t k, int32_t cols) { return 2 * mb_kp(k) * (cols + 2); }

/* A block holds at most min(MB_CONV_COLS, out_h * out_w) columns: the small late layers need less. */
static int32_t mb_conv_cols(const mb_conv2d_params *p)
{
    const int32_t npix = p->out_h * p->out_w;
    return npix < MB_CONV_COLS ? npix : MB_CONV_COLS;
}

int32_t mb_conv2d_get_buffer_size(const mb_conv2d_params *p)
{
    return mb_conv_scratch(p->k_h * p->k_w * p->in_c, mb_conv_cols(p));
}

int32_t mb_pwconv2d_get_buffer_size(const mb_conv2d_params *p) { return mb_conv_scratch(p->in_c, mb_conv_cols(p)); }

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

/* Copies packed rows r0 .. r0 + n - 1 of k elements each to dst (stride `stride` bytes), each starting on a byte
 * and zero-padded to the stride. Reads only bytes of the source rows. */
MB_INLINE void mb_copy_rows(const uint8_t *w, int32_t r0, int32_t n, int32_t k, int32_t bits, int32_t stride,
                            uint8_t *dst)
{
    for (int32_t r = 0; r < n; r++, dst += stride) {
        const int32_t bit = (r0 + r) * k * bits, sh = bit & 7, have = (sh + k * bits + 7) >> 3;
        const uint8_t *s = w + (bit >> 3);
        for (int32_t i = 0; i < stride; i++) {
            const uint32_t lo = i < have ? (uint32_t)s[i] >> sh : 0u, hi = i + 1 < have ? (uint32_t)s[i + 1] << (8 - sh) : 0u;
            dst[i] = (uint8_t)(lo | hi);
        }
        const int32_t used = k * bits; /* clear the bits past the row (the next row's, for sh != 0) */
        if (used < stride * 8) {
            dst[used >> 3] &= (uint8_t)((1u << (used & 7)) - 1u);
            memset(dst + (used >> 3) + 1, 0, (size_t)(stride - (used >> 3) - 1));
        }
    }
}

MB_BODY void mb_conv_body(const mb_conv2d_params *p, const mb_channel_quant *q, const uint8_t *in,
                            const uint8_t *w, uint8_t *out, void *scratch, int32_t wbits, int32_t abits,
                            int32_t obits, int32_t pointwise)
{
    const int32_t k = p->k_h * p->k_w * p->in_c, kp = mb_kp(k), rb = (k * wbits + 7) >> 3;
    const int32_t cout = p->out_c, npix = p->out_h * p->out_w, aligned = ((k * wbits) & 7) == 0;
    const int32_t read = MB_DOT_ROW_READ(k, wbits), wbytes = (cout * k * wbits + 7) >> 3;
    uint8_t *rows = (uint8_t *)scratch;            /* 2 * kp bytes: a multiple of 4, so cols stay aligned */
    int16_t *stage = (int16_t *)(rows + 2 * kp); /* one natural-order column */
    int16_t *cols = stage + kp;                  /* a fully connected layer uses one column only */
    const mb_out_q oq = {q->output_offset, q->act_min, q->act_max};
    int32_t acc[2 * MB_CONV_COLS];
    for (int32_t p0 = 0; p0 < npix; p0 += MB_CONV_COLS) {
        const int32_t np = npix - p0 < MB_CONV_COLS ? npix - p0 : MB_CONV_COLS;
        for (int32_t j = 0; j < np; j++) {
            const int32_t pix = p0 + j;
            if (pointwise) /* 1x1, stride 1, no padding: the column is the input pixel */
                mb_unpack16(in, pix * k, k, abits, p->input_signed, q->input_offset, stage);
            else
                mb_im2col(p, in, pix / p->out_w, pix % p->out_w, abits, q->input_offset, stage);
            /* DSP tiles: quads of columns, then a pair, then a single (portable: the offsets are the same) */
            const int32_t nq = np & ~3, g0 = j < nq ? (j & ~3) : j < nq + (np & 2) ? nq : j;
            mb_dot_place(stage, k, kp, wbits, cols + g0 * kp, j - g0, j < nq ? 4 : j < nq + (np & 2) ? 2 : 1);
        }
        for (int32_t c = 0; c < cout; c += 2) {
            const int32_t nr = cout - c < 2 ? 1 : 2;
            const uint8_t *w0 = w + (c * k * wbits >> 3);
            int32_t stride = rb;
            /* rows off a byte boundary, or whose whole-word reads would pass the end of the weights: copy */
            if (!aligned || (c + nr - 1) * rb + read > wbytes) {
                stride = read;
                mb_copy_rows(w, c, nr, k, wbits, stride, rows);
                w0 = rows;
            }
            const int32_t b0 = q->bias ? q->bias[c] : 0, b1 = q->bias && nr == 2 ? q->bias[c + 1] : 0;
            mb_dot_wb(w0, w0 + stride, nr, cols, np, k, kp, wbits, b0, b1, acc);
            mb_requant_channels(out, p0 * cout + c, cout, np, obits, nr, acc, acc + MB_CONV_COLS, q->multiplier + c,
                                q->shift + c, oq);
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
