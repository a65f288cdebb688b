/* Shared out-of-line helpers: the kernels' six constant-width int16 unpackers, their requantize-and-store runs
 * (single channel and channel pair, per output width), and the public runtime-width unpackers. */
#include "mb_internal.h"

#define MB_DEFINE_UNPACK16_(BITS, S, SIGNED)                                                                         \
    void mb_unpack16_##BITS##S(const uint8_t *src, int32_t start, int32_t count, int32_t offset, int16_t *dst)      \
    {                                                                                                                \
        mb_unpack_run(src, start, count, BITS, SIGNED, offset, dst, 2);                                              \
    }
MB_DEFINE_UNPACK16_(2, u, 0)
MB_DEFINE_UNPACK16_(2, s, 1)
MB_DEFINE_UNPACK16_(4, u, 0)
MB_DEFINE_UNPACK16_(4, s, 1)
MB_DEFINE_UNPACK16_(8, u, 0)
MB_DEFINE_UNPACK16_(8, s, 1)

#define MB_DEFINE_REQUANT_(O)                                                                                        \
    void mb_requant_o##O(uint8_t *out, int32_t k0, int32_t step, int32_t count, const int32_t *acc, int32_t m0,     \
                         int32_t n, mb_out_q oq)                                                                     \
    {                                                                                                                \
        if (n >= 33) mb_requant_loop(out, k0, step, count, O, acc, m0, n, oq);                                       \
        else mb_requant_loop(out, k0, step, count, O, acc, m0, n, oq);                                               \
    }
MB_FOR_EACH_A(MB_DEFINE_REQUANT_)

#define MB_DEFINE_REQUANT2_(O)                                                                                       \
    void mb_requant2_o##O(uint8_t *out, int32_t k0, int32_t step, int32_t count, const int32_t *acc0,              \
                          const int32_t *acc1, const int32_t *m0, const int8_t *n, mb_out_q oq)                      \
    {                                                                                                                \
        if (n[0] >= 33 && n[1] >= 33) mb_requant2_loop(out, k0, step, count, O, acc0, acc1, m0[0], n[0], m0[1], n[1], oq); \
        else mb_requant2_loop(out, k0, step, count, O, acc0, acc1, m0[0], n[0], m0[1], n[1], oq);                  \
    }
MB_FOR_EACH_A(MB_DEFINE_REQUANT2_)

void mb_unpack_s16(const uint8_t *src, int32_t start, int32_t count, int32_t bits, int32_t is_signed,
                   int32_t offset, int16_t *dst)
{
    mb_unpack16(src, start, count, bits, is_signed, offset, dst);
}

void mb_unpack_s8(const uint8_t *src, int32_t start, int32_t count, int32_t bits, int32_t is_signed,
                  int32_t offset, int8_t *dst)
{
    mb_unpack_run(src, start, count, bits, is_signed, offset, dst, 1);
}
