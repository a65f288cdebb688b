/*
 * The int16 dot-product core (see mb_internal.h). Tiles of 2 weight rows x 2 columns keep four accumulators in
 * registers and load each operand once per use by two MACs. The DSP block multiplies int16 pairs with SMLAD
 * (2 MACs per instruction); the portable block is the same tile in plain C (non-DSP cores, host tests). Neither
 * has a tail loop: kp is even and the callers zero-pad odd K, so pairs are always whole.
 */
#include "mb_internal.h"

#if defined(MIXBIT_USE_DSP)
/* a += w . x over kp/2 int16 pairs, for up to 2 rows x 2 columns (two_r / two_c constant after inlining). */
MB_INLINE void mb_tile(const int16_t *w0, const int16_t *w1, const int16_t *x0, const int16_t *x1, int32_t kp,
                       int32_t *a0, int32_t *a1, int32_t two_r, int32_t two_c)
{
    int32_t s00 = a0[0], s01 = a0[1], s10 = a1[0], s11 = a1[1];
    for (int32_t k = 0; k < kp; k += 2) {
        const uint32_t wa = mb_ld2(w0 + k), xa = mb_ld2(x0 + k);
        s00 = __smlad(wa, xa, s00);
        if (two_c) s01 = __smlad(wa, mb_ld2(x1 + k), s01);
        if (two_r) {
            const uint32_t wb = mb_ld2(w1 + k);
            s10 = __smlad(wb, xa, s10);
            if (two_c) s11 = __smlad(wb, mb_ld2(x1 + k), s11);
        }
    }
    a0[0] = s00, a0[1] = s01, a1[0] = s10, a1[1] = s11;
}
#else
MB_INLINE void mb_tile(const int16_t *w0, const int16_t *w1, const int16_t *x0, const int16_t *x1, int32_t kp,
                       int32_t *a0, int32_t *a1, int32_t two_r, int32_t two_c)
{
    int32_t s00 = a0[0], s01 = a0[1], s10 = a1[0], s11 = a1[1];
    for (int32_t k = 0; k < kp; k++) {
        const int32_t wa = w0[k], xa = x0[k];
        s00 += wa * xa;
        if (two_c) s01 += wa * x1[k];
        if (two_r) {
            const int32_t wb = w1[k];
            s10 += wb * xa;
            if (two_c) s11 += wb * x1[k];
        }
    }
    a0[0] = s00, a0[1] = s01, a1[0] = s10, a1[1] = s11;
}
#endif

void mb_dot_s16(const int16_t *w, int32_t nrows, const int16_t *x, int32_t ncols, int32_t kp, int32_t *acc)
{
    const int16_t *w1 = w + kp;
    int32_t *acc1 = acc + MB_CONV_COLS;
    int32_t j = 0;
    /* acc rows have MB_CONV_COLS entries; a tile reads and writes entries j and j + 1, so a single last column
     * touches entry j + 1 < MB_CONV_COLS only when it exists: guard with the column count. */
    if (nrows == 2) {
        for (; j + 1 < ncols; j += 2) mb_tile(w, w1, x + j * kp, x + (j + 1) * kp, kp, acc + j, acc1 + j, 1, 1);
        if (j < ncols) {
            int32_t a0[2] = {acc[j], 0}, a1[2] = {acc1[j], 0};
            mb_tile(w, w1, x + j * kp, x, kp, a0, a1, 1, 0);
            acc[j] = a0[0], acc1[j] = a1[0];
        }
    } else {
        int32_t dummy[2] = {0, 0};
        for (; j + 1 < ncols; j += 2) mb_tile(w, w, x + j * kp, x + (j + 1) * kp, kp, acc + j, dummy, 0, 1);
        if (j < ncols) {
            int32_t a0[2] = {acc[j], 0};
            mb_tile(w, w, x + j * kp, x, kp, a0, dummy, 0, 0);
            acc[j] = a0[0];
        }
    }
}
