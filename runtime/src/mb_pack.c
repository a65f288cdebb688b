/* Public run unpackers (runtime widths); the kernels inline the same mb_unpack_run with constant widths. */
#include "mb_internal.h"

void mb_unpack_s16(const uint8_t *src, int32_t start, int32_t count, int32_t bits, int32_t is_signed,
                   int32_t offset, int16_t *dst)
{
    mb_unpack_run(src, start, count, bits, is_signed, offset, dst, 2);
}

void mb_unpack_s8(const uint8_t *src, int32_t start, int32_t count, int32_t bits, int32_t is_signed,
                  int32_t offset, int8_t *dst)
{
    mb_unpack_run(src, start, count, bits, is_signed, offset, dst, 1);
}
