/*
 * The dot-product core of conv2d, pointwise and fully connected: up to 2 output channels x MB_CONV_COLS pixels,
 * weights read straight from their packed rows (byte-aligned starts; the caller copies odd ones), inputs from int16
 * im2col columns. One function per weight width (mb_dot_w2/_w4/_w8), shared by every triple with that W.
 *
 * DSP path: one 32-bit load brings G = 32 / b weights. Step s (s < 8 / b) keeps field s of every byte
 * (t = (w << (8 - b - b*s)) & mask), so byte j of t holds element j*e + s (e = 8 / b elements per byte) scaled by
 * 2^(8-b); SXTB16(t) and SXTB16(t ror 8) give the int16 pairs (s, 2e+s) and (e+s, 3e+s), which SMLAD multiplies
 * with column values stored in that order (mb_dot_place). Tiles: 1 row x 4 columns, then 2 x 2 / 2 x 1 for a
 * block's last columns. K is zero-padded to whole groups in the columns, so there is no tail. Bound of the scaled
 * sums: 2^(8-b) * K * (2^(b-1)-1) * 510 < 2^31 for K < 33,000 (b = 8, the contract's own limit), 37,000 (b = 4),
 * 65,000 (b = 2). Portable path: natural order, weights decoded a byte at a time (the fields of a byte unrolled),
 * the 2 x 2 tile in Thumb-1 assembly on ARMv6-M; same results.
 */
#include "mb_internal.h"

#if defined(MIXBIT_USE_DSP)
/* t for step s of a word of b-bit weights (fields s of every byte, in the byte's top bits). */
MB_INLINE uint32_t mb_step(uint32_t w, int32_t bits, int32_t s)
{
    if (bits == 8) return w;
    const uint32_t mask = bits == 4 ? 0xF0F0F0F0u : 0xC0C0C0C0u;
    return (w << (8 - bits - bits * s)) & mask;
}

/* SXTB16 of x rotated right by 8 (bytes 1 and 3); GCC 12 does not fold a rotate into the instruction. */
MB_INLINE uint32_t mb_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

MB_INLINE uint32_t mb_ld4(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v); /* unaligned LDR: allowed on ARMv7-M and later */
    return v;
}
#endif

/*
 * The full 2 x 2 tile's group loop in assembly: GCC 12 spills at this register pressure (14 live values: 4 pointers,
 * 4 sums, 2 weight words, 2 decoded pairs, 2 column words). Per group of G = 32 / b weights and step s of the
 * decode: load both rows' words (post-incremented at the last step), keep field s of every byte, SXTB16 the byte
 * pairs, LDRD 4 values of each column and SMLAD 8 times. 8-bit: 18 instructions per 16 MACs.
 */
#if defined(MIXBIT_USE_DSP)
#define MB_STEP8_ "ldr %[wa], [%[pa]], #4\n\tldr %[wb], [%[pb]], #4\n\t"
#define MB_STEP4_(SH, POST)                                                                                          \
    "ldr %[wa], [%[pa]]" POST "\n\tldr %[wb], [%[pb]]" POST "\n\t" SH                                              \
    "and %[wa], %[wa], #0xF0F0F0F0\n\tand %[wb], %[wb], #0xF0F0F0F0\n\t"
#define MB_STEP2_(SH, POST)                                                                                          \
    "ldr %[wa], [%[pa]]" POST "\n\tldr %[wb], [%[pb]]" POST "\n\t" SH                                              \
    "and %[wa], %[wa], #0xC0C0C0C0\n\tand %[wb], %[wb], #0xC0C0C0C0\n\t"
#define MB_LSL_(N) "lsl %[wa], %[wa], #" #N "\n\tlsl %[wb], %[wb], #" #N "\n\t"
#define MB_MACS_                                                                                                     \
    "ldrd %[xl], %[xh], [%[x]], #8\n\t"                                                                            \
    "sxtb16 %[t1], %[wa]\n\tsxtb16 %[wa], %[wa], ror #8\n\t"                                                        \
    "smlad %[s00], %[t1], %[xl], %[s00]\n\tsmlad %[s00], %[wa], %[xh], %[s00]\n\t"                                   \
    "sxtb16 %[t2], %[wb]\n\tsxtb16 %[wb], %[wb], ror #8\n\t"                                                        \
    "smlad %[s10], %[t2], %[xl], %[s10]\n\tsmlad %[s10], %[wb], %[xh], %[s10]\n\t"                                   \
    "ldrd %[xl], %[xh], [%[x]], #8\n\t"                                                                            \
    "smlad %[s01], %[t1], %[xl], %[s01]\n\tsmlad %[s01], %[wa], %[xh], %[s01]\n\t"                                   \
    "smlad %[s11], %[t2], %[xl], %[s11]\n\tsmlad %[s11], %[wb], %[xh], %[s11]\n\t"
#define MB_GROUP_LOOP_(BODY)                                                                                         \
    __asm volatile("1:\n\t" BODY "cmp %[pa], %[pend]\n\tbne 1b"                                                    \
                   : [pa] "+&r"(pa), [pb] "+&r"(pb), [x] "+&r"(x), [s00] "+&r"(s[0]), [s01] "+&r"(s[1]),             \
                     [s10] "+&r"(s[2]), [s11] "+&r"(s[3]), [wa] "=&r"(wa), [wb] "=&r"(wb), [t1] "=&r"(t1),           \
                     [t2] "=&r"(t2), [xl] "=&r"(xl), [xh] "=&r"(xh)                                                  \
                   : [pend] "r"(pend)                                                                                \
                   : "cc", "memory")

/* 1 row x 4 columns: the decoded pair (t1, t2) of each step is used for 4 columns (4 LDRD, 8 SMLAD), so the
 * decode is amortised over twice the MACs: 17 instructions per 16 MACs at W8, 34 per 32 at W4, 66 per 64 at W2,
 * 12 live registers. Columns interleaved in 4-value chunks, 4 columns per step. */
#define MB_QMAC_(S)                                                                                                  \
    "ldrd %[xl], %[xh], [%[x]], #8\n\tsmlad %[" S "], %[t1], %[xl], %[" S "]\n\t"                                   \
    "smlad %[" S "], %[t2], %[xh], %[" S "]\n\t"
#define MB_QMACS_ MB_QMAC_("s0") MB_QMAC_("s1") MB_QMAC_("s2") MB_QMAC_("s3")
/* step from t2 = the masked word; at 8 bits straight from w */
#define MB_QSTEP_(DECODE) DECODE "sxtb16 %[t1], %[t2]\n\tsxtb16 %[t2], %[t2], ror #8\n\t" MB_QMACS_
#define MB_QSTEP8_ "sxtb16 %[t1], %[w]\n\tsxtb16 %[t2], %[w], ror #8\n\t" MB_QMACS_
#define MB_QDEC_(SH, MASK) "lsl %[t2], %[w], #" #SH "\n\tand %[t2], %[t2], #" MASK "\n\t"
#define MB_QLOOP_(BODY)                                                                                              \
    __asm volatile("1:\n\tldr %[w], [%[pa]], #4\n\t" BODY "cmp %[pa], %[pend]\n\tbne 1b"                          \
                   : [pa] "+&r"(pa), [x] "+&r"(x), [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [s3] "+&r"(s3),   \
                     [w] "=&r"(w), [t1] "=&r"(t1), [t2] "=&r"(t2), [xl] "=&r"(xl), [xh] "=&r"(xh)                    \
                   : [pend] "r"(pend)                                                                                \
                   : "cc", "memory")

/* acc[0..3] = b + row . columns 0..3 of a quad (DSP layout; ceil(k / G) >= 1 groups). */
MB_INLINE void mb_tile14(const uint8_t *pa, const int16_t *x, int32_t k, int32_t bits, int32_t b, int32_t *acc)
{
    const uint8_t *const pend = pa + (k + 32 / bits - 1) / (32 / bits) * 4;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    uint32_t w, t1, t2, xl, xh;
    if (bits == 8) {
        MB_QLOOP_(MB_QSTEP8_);
    } else if (bits == 4) {
        MB_QLOOP_(MB_QSTEP_(MB_QDEC_(4, "0xF0F0F0F0")) MB_QSTEP_("and %[t2], %[w], #0xF0F0F0F0\n\t"));
    } else {
        MB_QLOOP_(MB_QSTEP_(MB_QDEC_(6, "0xC0C0C0C0")) MB_QSTEP_(MB_QDEC_(4, "0xC0C0C0C0"))
                      MB_QSTEP_(MB_QDEC_(2, "0xC0C0C0C0")) MB_QSTEP_("and %[t2], %[w], #0xC0C0C0C0\n\t"));
    }
    /* exact: the lanes held w * 2^(8-b) (see mb_tile) */
    acc[0] = b + (s0 >> (8 - bits)), acc[1] = b + (s1 >> (8 - bits));
    acc[2] = b + (s2 >> (8 - bits)), acc[3] = b + (s3 >> (8 - bits));
}

/* s[0..3] (s00, s01, s10, s11) over the ng > 0 full groups; returns the column pointer after them. */
MB_INLINE const int16_t *mb_groups_2x2(const uint8_t *pa, const uint8_t *pb, const int16_t *x, int32_t ng,
                                       int32_t bits, int32_t *s)
{
    const uint8_t *const pend = pa + 4 * ng;
    uint32_t wa, wb, t1, t2, xl, xh;
    if (bits == 8) {
        MB_GROUP_LOOP_(MB_STEP8_ MB_MACS_);
    } else if (bits == 4) {
        MB_GROUP_LOOP_(MB_STEP4_(MB_LSL_(4), "") MB_MACS_ MB_STEP4_("", ", #4") MB_MACS_);
    } else {
        MB_GROUP_LOOP_(MB_STEP2_(MB_LSL_(6), "") MB_MACS_ MB_STEP2_(MB_LSL_(4), "") MB_MACS_
                           MB_STEP2_(MB_LSL_(2), "") MB_MACS_ MB_STEP2_("", ", #4") MB_MACS_);
    }
    return x;
}
#endif

#if !defined(MIXBIT_USE_DSP) && defined(__thumb__) && !defined(__thumb2__)
/*
 * Thumb-1 (Cortex-M0+) 2 x 2 tile over 8-bit weights: signed loads take only register offsets and MULS works on the
 * 8 low registers, which GCC fills badly at this pressure. Here the four sums live in high registers (ADD accepts
 * them), i indexes the weights and j = 2i the columns; each column value is loaded once per row. 18 instructions
 * per 4 MACs.
 */
MB_INLINE void mb_tile22_w8_thumb1(const uint8_t *pa, const uint8_t *pb, const int16_t *xa, const int16_t *xb,
                                   int32_t k, int32_t *s)
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, i = 0, j = 0, w, x;
    __asm volatile(".syntax unified\n" /* GCC switches Thumb-1 inline assembly to divided syntax */
                   "1:\n\t"
                   "ldrsb %[w], [%[pa], %[i]]\n\t"
                   "ldrsh %[x], [%[xa], %[j]]\n\t"
                   "muls %[x], %[w], %[x]\n\t"
                   "add %[s00], %[x]\n\t"
                   "ldrsh %[x], [%[xb], %[j]]\n\t"
                   "muls %[x], %[w], %[x]\n\t"
                   "add %[s01], %[x]\n\t"
                   "ldrsb %[w], [%[pb], %[i]]\n\t"
                   "ldrsh %[x], [%[xa], %[j]]\n\t"
                   "muls %[x], %[w], %[x]\n\t"
                   "add %[s10], %[x]\n\t"
                   "ldrsh %[x], [%[xb], %[j]]\n\t"
                   "muls %[x], %[w], %[x]\n\t"
                   "add %[s11], %[x]\n\t"
                   "adds %[i], #1\n\t"
                   "adds %[j], #2\n\t"
                   "cmp %[i], %[k]\n\t"
                   "blt 1b"
                   : [s00] "+h"(s00), [s01] "+h"(s01), [s10] "+h"(s10), [s11] "+h"(s11), [i] "+l"(i), [j] "+l"(j),
                     [w] "=&l"(w), [x] "=&l"(x)
                   : [pa] "l"(pa), [pb] "l"(pb), [xa] "l"(xa), [xb] "l"(xb), [k] "h"(k)
                   : "cc", "memory");
    s[0] = s00, s[1] = s01, s[2] = s10, s[3] = s11;
}

/* Sub-byte weights: per byte pair, by = byte_a | byte_b << 8; field t of row a is (by << LA) >> SH (arithmetic),
 * of row b (by << LB) >> SH; each column value loaded once per row. 4-bit: 42 instructions per 8 MACs. */
#define MB_T1_MACS_(SUMA, SUMB)                                                                                      \
    "ldrsh %[x], [%[xa], %[j]]\n\tmuls %[x], %[w], %[x]\n\tadd %[" SUMA "], %[x]\n\t"                            \
    "ldrsh %[x], [%[xb], %[j]]\n\tmuls %[x], %[w], %[x]\n\tadd %[" SUMB "], %[x]\n\t"
#define MB_T1_FIELD_(LA, LB, SH)                                                                                     \
    "lsls %[w], %[by], #" #LA "\n\tasrs %[w], %[w], #" #SH "\n\t" MB_T1_MACS_("s00", "s01")                        \
    "lsls %[w], %[by], #" #LB "\n\tasrs %[w], %[w], #" #SH "\n\t" MB_T1_MACS_("s10", "s11") "adds %[j], #2\n\t"
#define MB_T1_SUB_LOOP_(FIELDS)                                                                                      \
    __asm volatile(".syntax unified\n"                                                                             \
                   "1:\n\t"                                                                                        \
                   "ldrb %[w], [%[pb], #0]\n\tldrb %[by], [%[pa], #0]\n\tlsls %[w], %[w], #8\n\t"                  \
                   "orrs %[by], %[w]\n\tadds %[pa], #1\n\tadds %[pb], #1\n\t" FIELDS                            \
                   "cmp %[pa], %[pend]\n\tbne 1b"                                                                  \
                   : [s00] "+h"(s00), [s01] "+h"(s01), [s10] "+h"(s10), [s11] "+h"(s11), [pa] "+l"(pa),              \
                     [pb] "+l"(pb), [j] "+l"(j), [by] "=&l"(by), [w] "=&l"(w), [x] "=&l"(x)                          \
                   : [xa] "l"(xa), [xb] "l"(xb), [pend] "h"(pend)                                                    \
                   : "cc", "memory")

/* The nbytes > 0 whole weight bytes of both rows (8 / bits elements each) of a 2 x 2 tile, bits 4 or 2. */
MB_INLINE void mb_tile22_sub_thumb1(const uint8_t *pa, const uint8_t *pb, const int16_t *xa, const int16_t *xb,
                                    int32_t nbytes, int32_t bits, int32_t *s)
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, j = 0, by, w, x;
    const uint8_t *const pend = pa + nbytes;
    if (bits == 4) MB_T1_SUB_LOOP_(MB_T1_FIELD_(28, 20, 28) MB_T1_FIELD_(24, 16, 28));
    else MB_T1_SUB_LOOP_(MB_T1_FIELD_(30, 22, 30) MB_T1_FIELD_(28, 20, 30) MB_T1_FIELD_(26, 18, 30) MB_T1_FIELD_(24, 16, 30));
    s[0] = s00, s[1] = s01, s[2] = s10, s[3] = s11;
}
#endif

/* s[r][c] += row r . column c over k terms; two_r / two_c select 2 or 1 rows / columns (constants).
 * DSP layout of x (see mb_dot_place): ceil(k / G) groups of both columns in 4-value chunks, chunk i of column 0
 * then of column 1 (column 1 absent when !two_c), one run read in order; the values past k are 0, so the weights
 * read past a row's end (the next row's, or a zero-padded copy) add nothing. Portable layout: x0 and x1 separate,
 * natural order, k values each. */
MB_INLINE void mb_tile(const uint8_t *w0, const uint8_t *w1, const int16_t *x0, const int16_t *x1, int32_t k,
                       int32_t bits, int32_t b0, int32_t b1, int32_t *a0, int32_t *a1, int32_t two_r, int32_t two_c)
{
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, i = 0;
#if defined(MIXBIT_USE_DSP)
    {
        const int32_t g = 32 / bits, steps = 8 / bits;
        const uint8_t *pa = w0, *pb = w1, *const pend = w0 + (k + g - 1) / g * 4;
        const int16_t *x = x0;
        if (two_r && two_c && pa != pend) {
            int32_t sum[4] = {0, 0, 0, 0};
            x = mb_groups_2x2(pa, pb, x, (int32_t)(pend - pa) / 4, bits, sum);
            s00 = sum[0], s01 = sum[1], s10 = sum[2], s11 = sum[3];
            pa = pend;
        }
        for (; pa != pend; pa += 4, pb += 4) {
            for (int32_t s = 0; s < steps; s++) {
                /* re-reading the weight word per step keeps register pressure at one word per row */
                const uint32_t ta = mb_step(mb_ld4(pa), bits, s), tb = two_r ? mb_step(mb_ld4(pb), bits, s) : 0;
                const uint32_t a_lo = __sxtb16(ta), a_hi = mb_sxtb16_ror8(ta);
                const uint32_t b_lo = __sxtb16(tb), b_hi = mb_sxtb16_ror8(tb);
                uint32_t xv = mb_ld2(x);
                s00 = __smlad(a_lo, xv, s00);
                if (two_r) s10 = __smlad(b_lo, xv, s10);
                xv = mb_ld2(x + 2);
                s00 = __smlad(a_hi, xv, s00);
                if (two_r) s10 = __smlad(b_hi, xv, s10);
                if (two_c) {
                    xv = mb_ld2(x + 4);
                    s01 = __smlad(a_lo, xv, s01);
                    if (two_r) s11 = __smlad(b_lo, xv, s11);
                    xv = mb_ld2(x + 6);
                    s01 = __smlad(a_hi, xv, s01);
                    if (two_r) s11 = __smlad(b_hi, xv, s11);
                }
                x += two_c ? 8 : 4;
            }
        }
        /* the lanes held w * 2^(8-b): every term is a multiple of it, so the shift is exact */
        s00 >>= 8 - bits, s01 >>= 8 - bits, s10 >>= 8 - bits, s11 >>= 8 - bits;
        i = k; /* the last group's columns are zero-padded: no tail */
    }
#else
#if defined(__thumb__) && !defined(__thumb2__)
    if (two_r && two_c && k >= 8 / bits) {
        int32_t sum[4];
        if (bits == 8) mb_tile22_w8_thumb1(w0, w1, x0, x1, k, sum);
        else mb_tile22_sub_thumb1(w0, w1, x0, x1, k / (8 / bits), bits, sum);
        s00 = sum[0], s01 = sum[1], s10 = sum[2], s11 = sum[3];
        i = k / (8 / bits) * (8 / bits);
    }
#endif
    {
        /* a byte of each row at a time, its e = 8 / b fields unrolled (rows start on a byte) */
        const int32_t e = 8 / bits;
        const uint8_t *pa = w0 + i / e, *pb = w1 + i / e; /* i > 0 after the Thumb-1 tile */
        for (; i + e <= k; i += e) {
            const uint32_t ua = *pa++, ub = two_r ? *pb++ : 0;
            MB_UNROLL for (int32_t j = 0; j < e; j++) {
                const int32_t wa = mb_sext(ua >> (j * bits), bits), xa = x0[i + j];
                s00 += wa * xa;
                if (two_c) s01 += wa * x1[i + j];
                if (two_r) {
                    const int32_t wb = mb_sext(ub >> (j * bits), bits);
                    s10 += wb * xa;
                    if (two_c) s11 += wb * x1[i + j];
                }
            }
        }
    }
#endif
    for (; i < k; i++) { /* the last partial byte */
        const int32_t wa = mb_load_s(w0, i, bits), xa = x0[i];
        s00 += wa * xa;
        if (two_c) s01 += wa * x1[i];
        if (two_r) {
            const int32_t wb = mb_load_s(w1, i, bits);
            s10 += wb * xa;
            if (two_c) s11 += wb * x1[i];
        }
    }
    a0[0] = b0 + s00;
    if (two_c) a0[1] = b0 + s01;
    if (two_r) {
        a1[0] = b1 + s10;
        if (two_c) a1[1] = b1 + s11;
    }
}

/* acc[r * MB_CONV_COLS + j] = b_r + dot; columns: DSP, pair j/2 at x + j * kp (2 * kp values, interleaved);
 * portable, column j at x + j * kp. */
MB_INLINE void mb_dot(const uint8_t *w0, const uint8_t *w1, int32_t nrows, const int16_t *x, int32_t ncols,
                      int32_t k, int32_t kp, int32_t bits, int32_t b0, int32_t b1, int32_t *acc)
{
    int32_t *acc1 = acc + MB_CONV_COLS;
#if defined(MIXBIT_USE_DSP)
    const int32_t nq = ncols & ~3; /* quads of columns: 1 x 4 tiles per row; the rest as pairs and a single */
    for (int32_t j = 0; j < nq; j += 4) {
        mb_tile14(w0, x + j * kp, k, bits, b0, acc + j);
        if (nrows == 2) mb_tile14(w1, x + j * kp, k, bits, b1, acc1 + j);
    }
    x += nq * kp, acc += nq, acc1 += nq, ncols -= nq;
#endif
    int32_t *const end = acc + (ncols & ~1);
    if (nrows == 2) {
        for (; acc != end; acc += 2, acc1 += 2, x += 2 * kp)
            mb_tile(w0, w1, x, x + kp, k, bits, b0, b1, acc, acc1, 1, 1);
        if (ncols & 1) mb_tile(w0, w1, x, x, k, bits, b0, b1, acc, acc1, 1, 0);
    } else {
        for (; acc != end; acc += 2, x += 2 * kp) mb_tile(w0, w0, x, x + kp, k, bits, b0, b0, acc, acc, 0, 1);
        if (ncols & 1) mb_tile(w0, w0, x, x, k, bits, b0, b0, acc, acc, 0, 0);
    }
}

#define MB_DEFINE_DOT_(B)                                                                                            \
    void mb_dot_w##B(const uint8_t *w0, const uint8_t *w1, int32_t nrows, const int16_t *x, int32_t ncols,         \
                     int32_t k, int32_t kp, int32_t b0, int32_t b1, int32_t *acc)                                    \
    {                                                                                                                \
        mb_dot(w0, w1, nrows, x, ncols, k, kp, B, b0, b1, acc);                                                      \
    }
MB_FOR_EACH_A(MB_DEFINE_DOT_)

/*
 * Places column `which` (< width) of a tile of `width` (1, 2 or 4) columns from the natural-order column src into
 * the tile's run dst in the core's layout: DSP, ceil(k / G) G-groups in pair order (for s < e: elements s, 2e+s,
 * e+s, 3e+s, e = 8 / b), zero past k, as 4-value chunks interleaved with the tile's other columns; portable, a
 * plain copy to dst + which * kp.
 */
MB_INLINE void mb_place(const int16_t *src, int32_t k, int32_t kp, int32_t bits, int16_t *dst, int32_t which,
                        int32_t width)
{
#if defined(MIXBIT_USE_DSP)
    const int32_t g = 32 / bits, e = 8 / bits, full = k / g, step = 4 * width;
    int16_t *d = dst + 4 * which;
    int16_t last[16];
    for (int32_t i = 0; i <= full; i++, src += g) {
        const int16_t *v = src;
        if (i == full) { /* the partial last group, zero-padded (none when g divides k) */
            if (k == full * g) break;
            memset(last, 0, sizeof last);
            memcpy(last, src, (size_t)(k - full * g) * sizeof *src);
            v = last;
        }
        for (int32_t s = 0; s < e; s++, d += step)
            d[0] = v[s], d[1] = v[2 * e + s], d[2] = v[e + s], d[3] = v[3 * e + s];
    }
    (void)kp;
#else
    (void)bits, (void)width;
    memcpy(dst + which * kp, src, (size_t)k * sizeof *src);
#endif
}
#define MB_DEFINE_PLACE_(B)                                                                                          \
    void mb_dot_place_w##B(const int16_t *src, int32_t k, int32_t kp, int16_t *dst, int32_t which, int32_t width)  \
    {                                                                                                                \
        mb_place(src, k, kp, B, dst, which, width);                                                                  \
    }
MB_FOR_EACH_A(MB_DEFINE_PLACE_)
