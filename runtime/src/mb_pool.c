/*
 * Average pool, global average pool and max pool over NHWC maps. Channels are independent; elements are read with
 * the packed-element loaders, constant-width after inlining. Average: acc = sum of (x + input_offset) over the
 * in-bounds taps, |acc| <= window * 510 (< 2^31 for any window below 4 million taps).
 */
#include "mb_internal.h"

/* In-bounds tap range [lo, hi) of output coordinate o along one axis. */
MB_INLINE void mb_window(int32_t o, int32_t stride, int32_t pad, int32_t k, int32_t size, int32_t *lo, int32_t *hi)
{
    const int32_t i0 = o * stride - pad;
    *lo = i0 < 0 ? 0 : i0;
    *hi = i0 + k < size ? i0 + k : size;
}

/*
 * One window walk for both pools (is_max constant after inlining). Average: requantized sum of x + input_offset;
 * max: the largest code among the in-bounds taps, the grid minimum for a window with none, stored unchanged.
 */
MB_BODY void mb_pool_body(const mb_pool_params *p, const mb_pool_quant *q, const uint8_t *in, uint8_t *out,
                            int32_t abits, int32_t obits, int32_t is_max)
{
    const int32_t c = p->c, sgn = p->input_signed;
    const int32_t lowest = sgn ? -(1 << (abits - 1)) : 0;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        int32_t y0, y1;
        mb_window(oy, p->stride_h, p->pad_top, p->k_h, p->in_h, &y0, &y1);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            int32_t x0, x1;
            mb_window(ox, p->stride_w, p->pad_left, p->k_w, p->in_w, &x0, &x1);
            const int32_t taps = y1 > y0 && x1 > x0 ? (y1 - y0) * (x1 - x0) : 0;
            for (int32_t ch = 0; ch < c; ch++) {
                int32_t acc = is_max ? lowest : taps * q->input_offset;
                for (int32_t y = y0; y < y1; y++)
                    for (int32_t x = x0; x < x1; x++) {
                        const int32_t v = mb_load(in, (y * p->in_w + x) * c + ch, abits, sgn);
                        if (!is_max) acc += v;
                        else if (v > acc) acc = v;
                    }
                if (!is_max)
                    acc = mb_clamp(mb_requantize(acc, q->multiplier, q->shift) + q->output_offset, q->act_min,
                                   q->act_max);
                mb_put(out, (oy * p->out_w + ox) * c + ch, obits, acc);
            }
        }
    }
    mb_pack_finish(out, p->out_h * p->out_w * c, obits);
}

#define MB_DEFINE_AVG_(A, O)                                                                                         \
    void mb_avgpool_a##A##_o##O(const mb_pool_params *p, const mb_pool_quant *q, const uint8_t *input,             \
                                uint8_t *output)                                                                     \
    {                                                                                                                \
        mb_pool_body(p, q, input, output, A, O, 0);                                                                  \
    }                                                                                                                \
    void mb_global_avgpool_a##A##_o##O(const mb_pool_params *p, const mb_pool_quant *q, const uint8_t *input,      \
                                       uint8_t *output)                                                              \
    {                                                                                                                \
        /* one window covering the whole map */                                                                      \
        const mb_pool_params g = {p->in_h, p->in_w, p->c, 1, 1, p->in_h, p->in_w, 1, 1, 0, 0, p->input_signed};    \
        mb_pool_body(&g, q, input, output, A, O, 0);                                                                 \
    }
MB_FOR_EACH_AO(MB_DEFINE_AVG_)

#define MB_DEFINE_MAX_(A)                                                                                            \
    void mb_maxpool_a##A(const mb_pool_params *p, const uint8_t *input, uint8_t *output)                           \
    {                                                                                                                \
        mb_pool_body(p, NULL, input, output, A, A, 1);                                                                        \
    }
MB_FOR_EACH_A(MB_DEFINE_MAX_)
