/* Deliberately simple: no packing helpers from the runtime, one bit at a time, the contract's formulas as written. */
#include "mb_ref.h"

int32_t ref_get(const uint8_t *buf, int32_t k, int32_t bits, int32_t is_signed)
{
    int32_t v = 0;
    for (int32_t i = 0; i < bits; i++) {
        const int32_t bit = k * bits + i;
        v |= ((buf[bit / 8] >> (bit % 8)) & 1) << i;
    }
    if (is_signed && v >= (1 << (bits - 1))) v -= 1 << bits;
    return v;
}

void ref_set(uint8_t *buf, int32_t k, int32_t bits, int32_t v)
{
    for (int32_t i = 0; i < bits; i++) {
        const int32_t bit = k * bits + i;
        const uint8_t m = (uint8_t)(1u << (bit % 8));
        if (((uint32_t)v >> i) & 1u) buf[bit / 8] |= m;
        else buf[bit / 8] &= (uint8_t)~m;
    }
}

int32_t ref_requantize(int32_t acc, int32_t m0, int32_t n)
{
    return (int32_t)(((int64_t)acc * m0 + ((int64_t)1 << (n - 1))) >> n);
}

static int32_t clampi(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

void ref_conv2d(const mb_conv2d_params *p, const mb_channel_quant *q, const uint8_t *in, const uint8_t *w,
                uint8_t *out, int32_t wbits, int32_t abits, int32_t obits, int32_t depthwise)
{
    for (int32_t oy = 0; oy < p->out_h; oy++)
        for (int32_t ox = 0; ox < p->out_w; ox++)
            for (int32_t co = 0; co < p->out_c; co++) {
                int32_t acc = q->bias ? q->bias[co] : 0;
                for (int32_t ky = 0; ky < p->k_h; ky++)
                    for (int32_t kx = 0; kx < p->k_w; kx++) {
                        const int32_t iy = oy * p->stride_h - p->pad_top + ky;
                        const int32_t ix = ox * p->stride_w - p->pad_left + kx;
                        if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) continue; /* padding adds nothing */
                        const int32_t c0 = depthwise ? co : 0, c1 = depthwise ? co + 1 : p->in_c;
                        for (int32_t ci = c0; ci < c1; ci++) {
                            const int32_t wi = depthwise ? (ky * p->k_w + kx) * p->in_c + co
                                                         : ((co * p->k_h + ky) * p->k_w + kx) * p->in_c + ci;
                            const int32_t x = ref_get(in, (iy * p->in_w + ix) * p->in_c + ci, abits, p->input_signed);
                            acc += ref_get(w, wi, wbits, 1) * (x + q->input_offset);
                        }
                    }
                const int32_t v = ref_requantize(acc, q->multiplier[co], q->shift[co]) + q->output_offset;
                ref_set(out, (oy * p->out_w + ox) * p->out_c + co, obits, clampi(v, q->act_min, q->act_max));
            }
}

void ref_add(const mb_add_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t abits,
             int32_t bbits, int32_t obits)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int64_t s = (int64_t)(ref_get(a, i, abits, p->a_signed) + p->a_offset) * p->a_multiplier
                        + (int64_t)(ref_get(b, i, bbits, p->b_signed) + p->b_offset) * p->b_multiplier
                        + ((int64_t)1 << (p->shift - 1));
        ref_set(out, i, obits, clampi(p->output_offset + (int32_t)(s >> p->shift), p->act_min, p->act_max));
    }
}

void ref_avgpool(const mb_pool_params *p, const mb_pool_quant *q, const uint8_t *in, uint8_t *out, int32_t abits,
                 int32_t obits)
{
    for (int32_t oy = 0; oy < p->out_h; oy++)
        for (int32_t ox = 0; ox < p->out_w; ox++)
            for (int32_t c = 0; c < p->c; c++) {
                int32_t acc = 0;
                for (int32_t ky = 0; ky < p->k_h; ky++)
                    for (int32_t kx = 0; kx < p->k_w; kx++) {
                        const int32_t iy = oy * p->stride_h - p->pad_top + ky, ix = ox * p->stride_w - p->pad_left + kx;
                        if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) continue;
                        acc += ref_get(in, (iy * p->in_w + ix) * p->c + c, abits, p->input_signed) + q->input_offset;
                    }
                const int32_t v = ref_requantize(acc, q->multiplier, q->shift) + q->output_offset;
                ref_set(out, (oy * p->out_w + ox) * p->c + c, obits, clampi(v, q->act_min, q->act_max));
            }
}

void ref_maxpool(const mb_pool_params *p, const uint8_t *in, uint8_t *out, int32_t bits)
{
    for (int32_t oy = 0; oy < p->out_h; oy++)
        for (int32_t ox = 0; ox < p->out_w; ox++)
            for (int32_t c = 0; c < p->c; c++) {
                int32_t m = p->input_signed ? -(1 << (bits - 1)) : 0;
                for (int32_t ky = 0; ky < p->k_h; ky++)
                    for (int32_t kx = 0; kx < p->k_w; kx++) {
                        const int32_t iy = oy * p->stride_h - p->pad_top + ky, ix = ox * p->stride_w - p->pad_left + kx;
                        if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) continue;
                        const int32_t v = ref_get(in, (iy * p->in_w + ix) * p->c + c, bits, p->input_signed);
                        if (v > m) m = v;
                    }
                ref_set(out, (oy * p->out_w + ox) * p->c + c, bits, m);
            }
}
