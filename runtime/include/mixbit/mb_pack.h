/*
 * Packed tensors (docs/INTEGER.md, "Packing"): a tensor of n elements at b bits (b in {2, 4, 8}) is one byte string
 * of ceil(n * b / 8) bytes; element k occupies bits [(k * b) mod 8, (k * b) mod 8 + b) of byte floor(k * b / 8),
 * least significant bits first; unused high bits of the last byte are 0; signed values are b-bit two's complement.
 *
 * Element indices are int32: a tensor holds fewer than 2^28 elements, so k * b never overflows.
 * Signed right shifts are arithmetic (GCC and Clang on every target MixBit builds for).
 */
#ifndef MIXBIT_MB_PACK_H
#define MIXBIT_MB_PACK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of a packed tensor of n elements at b bits: ceil(n * b / 8). Mirrors C# PackedSize.Bytes(n, b). */
#define MB_PACKED_BYTES(n, bits) (((int32_t)(n) * (int32_t)(bits) + 7) / 8)

/* Element k as an unsigned b-bit value in [0, 2^b - 1]. */
static inline int32_t mb_load_u(const uint8_t *buf, int32_t k, int32_t bits)
{
    const int32_t bit = k * bits;
    return (int32_t)((uint32_t)buf[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1);
}

/* Element k as a signed b-bit value in [-2^(b-1), 2^(b-1) - 1] (sign-extended). */
static inline int32_t mb_load_s(const uint8_t *buf, int32_t k, int32_t bits)
{
    const int32_t u = mb_load_u(buf, k, bits);
    return u - ((u << 1) & (1 << bits)); /* subtract 2^b when the top bit is set */
}

/* Element k: signed or unsigned by is_signed. */
static inline int32_t mb_load(const uint8_t *buf, int32_t k, int32_t bits, int32_t is_signed)
{
    return is_signed ? mb_load_s(buf, k, bits) : mb_load_u(buf, k, bits);
}

/* Writes the low b bits of v as element k; the other bits of that byte are kept. */
static inline void mb_store(uint8_t *buf, int32_t k, int32_t bits, int32_t v)
{
    const int32_t bit = k * bits;
    const uint32_t sh = (uint32_t)(bit & 7);
    const uint32_t mask = (uint32_t)((1 << bits) - 1) << sh;
    uint8_t *p = buf + (bit >> 3);
    *p = (uint8_t)((*p & ~mask) | (((uint32_t)v << sh) & mask));
}

/* Clears the unused high bits of the last byte of an n-element b-bit tensor (the contract wants them 0). */
static inline void mb_pack_finish(uint8_t *buf, int32_t n, int32_t bits)
{
    const int32_t used = (n * bits) & 7;
    if (used != 0) buf[(n * bits) >> 3] &= (uint8_t)((1u << used) - 1u);
}

/*
 * Run unpacking: dst[i] = element (start + i) + offset for i in [0, count), elements signed or unsigned by
 * is_signed. start may be any element index (mid-byte for b < 8). The int8 variant needs every result in
 * [-128, 127]; the int16 one in [-32768, 32767] (always true for |offset| <= 32767 - 255).
 */
void mb_unpack_s16(const uint8_t *src, int32_t start, int32_t count, int32_t bits, int32_t is_signed,
                   int32_t offset, int16_t *dst);
void mb_unpack_s8(const uint8_t *src, int32_t start, int32_t count, int32_t bits, int32_t is_signed,
                  int32_t offset, int8_t *dst);

#ifdef __cplusplus
}
#endif

#endif
