/*
 * Residual add with two multipliers and one shared shift, so the sum is rounded once (docs/INTEGER.md):
 * out = clamp(zp + (((int64)(a + a_off) * Ma + (int64)(b + b_off) * Mb + 2^(n-1)) >> n), min, max).
 * |a + a_off|, |b + b_off| <= 510 and M < 2^31, so the int64 sum stays below 2^41.
 */
#include "mb_internal.h"

MB_BODY void mb_add_body(const mb_add_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t abits,
                           int32_t bbits, int32_t obits)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int64_t s = (int64_t)(mb_load(a, i, abits, p->a_signed) + p->a_offset) * p->a_multiplier
                        + (int64_t)(mb_load(b, i, bbits, p->b_signed) + p->b_offset) * p->b_multiplier;
        mb_put(out, i, obits, mb_clamp(mb_round_shift64(s, p->shift) + p->output_offset, p->act_min, p->act_max));
    }
    mb_pack_finish(out, p->size, obits);
}

/* MB_FOR_EACH_WAO enumerates the same 27 triples; here they are (a bits, b bits, output bits). */
#define MB_DEFINE_ADD_(A, B, O)                                                                                      \
    void mb_add_a##A##_b##B##_o##O(const mb_add_params *p, const uint8_t *a, const uint8_t *b, uint8_t *output)    \
    {                                                                                                                \
        mb_add_body(p, a, b, output, A, B, O);                                                                       \
    }
MB_FOR_EACH_WAO(MB_DEFINE_ADD_)
