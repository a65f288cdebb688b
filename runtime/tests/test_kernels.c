/*
 * One table-driven test of every kernel against the naive reference (mb_ref.c): all 27 (weight, input, output)
 * bit triples of conv2d, pointwise, depthwise and fully connected, with signed and unsigned inputs; the 27 add
 * triples with every signedness pair; the 9 average-pool pairs; the 3 max pools; the packing helpers; and
 * requantize against an exact sign-magnitude reference (and __int128 where the compiler has it).
 * Shapes are random (odd channel counts, odd sizes, strides 1-2, asymmetric padding); every buffer is allocated at
 * its exact size so that AddressSanitizer sees any read or write past it.
 *
 * Usage: test_kernels [reps [seed]]  (also -DMB_TEST_REPS / -DMB_TEST_SEED for the semihosted ARM builds).
 * Prints one line per failure and "N passed, M failed"; the exit code is the failure count (at most 255).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mixbit/mixbit.h"
#include "mb_ref.h"

#ifndef MB_TEST_REPS
#define MB_TEST_REPS 6
#endif
#ifndef MB_TEST_SEED
#define MB_TEST_SEED 12345u
#endif

static uint32_t g_rng;
static int32_t g_passed, g_failed;
static char g_case[256];

static uint32_t rnd(void) /* xorshift32 */
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 17;
    g_rng ^= g_rng << 5;
    return g_rng;
}

static int32_t rnd_in(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }

static int32_t pick(const int32_t *v, int32_t n) { return v[rnd() % (uint32_t)n]; }

static int32_t log2floor(uint32_t v)
{
    int32_t r = 0;
    while (v >>= 1) r++;
    return r;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        printf("out of memory (%u bytes)\n", (unsigned)n);
        exit(255);
    }
    return p;
}

/* Codes on a grid: kind 0 = weight (narrow signed), 1 = signed activation, 2 = unsigned activation. */
static uint8_t *random_tensor(int32_t n, int32_t bits, int32_t kind)
{
    const int32_t bytes = MB_PACKED_BYTES(n, bits), h = 1 << (bits - 1);
    uint8_t *t = (uint8_t *)xmalloc((size_t)bytes);
    memset(t, 0, (size_t)bytes);
    for (int32_t k = 0; k < n; k++)
        ref_set(t, k, bits, kind == 0 ? rnd_in(-(h - 1), h - 1) : kind == 1 ? rnd_in(-h, h - 1) : rnd_in(0, 2 * h - 1));
    return t;
}

/* Compares a kernel's packed output with the reference's; records and reports the result. */
static void check(const uint8_t *got, const uint8_t *want, int32_t n, int32_t bits)
{
    const int32_t bytes = MB_PACKED_BYTES(n, bits);
    for (int32_t i = 0; i < bytes; i++)
        if (got[i] != want[i]) {
            g_failed++;
            printf("FAIL %s: byte %d of %d is 0x%02x, want 0x%02x\n", g_case, (int)i, (int)bytes, got[i], want[i]);
            return;
        }
    g_passed++;
}

/* A kernel output buffer: exact size, filled with junk so that unwritten bits show. */
static uint8_t *junk(int32_t n, int32_t bits)
{
    const int32_t bytes = MB_PACKED_BYTES(n, bits);
    uint8_t *t = (uint8_t *)xmalloc((size_t)bytes);
    memset(t, 0xA5, (size_t)bytes);
    return t;
}

static uint8_t *zeros(int32_t n, int32_t bits)
{
    const int32_t bytes = MB_PACKED_BYTES(n, bits);
    uint8_t *t = (uint8_t *)xmalloc((size_t)bytes);
    memset(t, 0, (size_t)bytes);
    return t;
}

/* Output grid: unsigned (ReLU; sometimes narrowed as ReLU6 would) or signed, sometimes with a zero point. */
static void random_grid(int32_t obits, int32_t *zp, int32_t *lo, int32_t *hi)
{
    const int32_t h = 1 << (obits - 1);
    if (rnd() & 1) *lo = 0, *hi = (rnd() & 3) == 0 ? rnd_in(1, 2 * h - 1) : 2 * h - 1;
    else *lo = -h, *hi = h - 1;
    *zp = (rnd() & 3) == 0 ? rnd_in(-2, 2) : 0;
}

/* Input offset: the first layer's uint8 input has a zero point; elsewhere 0, sometimes a small one to exercise it. */
static int32_t random_in_offset(int32_t abits, int32_t in_signed)
{
    if (!in_signed && abits == 8 && (rnd() & 1)) return -rnd_in(0, 255);
    return (rnd() & 3) == 0 ? rnd_in(-2, 2) : 0;
}

/* A shift that lands typical accumulators of this size on the output grid (and sometimes any valid shift). */
static int32_t random_shift(int32_t typical_acc, int32_t obits)
{
    if ((rnd() & 7) == 0) return rnd_in(1, 62);
    const int32_t n = 31 + log2floor((uint32_t)typical_acc) - (obits - 1) + rnd_in(-1, 1);
    return n < 1 ? 1 : n > 62 ? 62 : n;
}

static int32_t random_multiplier(void) { return (rnd() & 15) == 0 ? 0 : (int32_t)(0x40000000u | (rnd() >> 2)); }

typedef struct {
    int32_t *bias, *mult;
    int8_t *shift;
    mb_channel_quant q;
} quant_set;

static void random_quant(quant_set *s, int32_t cout, int32_t k, int32_t wbits, int32_t abits, int32_t obits,
                         int32_t in_signed)
{
    int32_t root = 1;
    while ((root + 1) * (root + 1) <= k) root++;
    s->q.input_offset = random_in_offset(abits, in_signed);
    const int32_t xmax = (1 << (abits - !in_signed)) + (s->q.input_offset < 0 ? -s->q.input_offset : s->q.input_offset);
    const int32_t typical = root * ((1 << (wbits - 1)) - 1) * xmax / 2 + 1;
    s->bias = (int32_t *)xmalloc(sizeof(int32_t) * (size_t)cout);
    s->mult = (int32_t *)xmalloc(sizeof(int32_t) * (size_t)cout);
    s->shift = (int8_t *)xmalloc((size_t)cout);
    for (int32_t c = 0; c < cout; c++) {
        s->bias[c] = rnd_in(-typical, typical);
        s->mult[c] = random_multiplier();
        s->shift[c] = (int8_t)random_shift(typical, obits);
    }
    s->q.bias = (rnd() & 7) == 0 ? NULL : s->bias;
    s->q.multiplier = s->mult;
    s->q.shift = s->shift;
    random_grid(obits, &s->q.output_offset, &s->q.act_min, &s->q.act_max);
}

static void free_quant(quant_set *s)
{
    free(s->bias);
    free(s->mult);
    free(s->shift);
}

static const int32_t k_channels[] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 17};
#define NCH ((int32_t)(sizeof k_channels / sizeof k_channels[0]))

/* Window along one axis: size, kernel, stride, both pads; returns the output size (>= 1). */
static int32_t random_axis(int32_t *size, int32_t *k, int32_t *stride, int32_t *pad_lo)
{
    static const int32_t ks[] = {1, 2, 3, 5};
    *k = pick(ks, 4);
    *stride = rnd_in(1, 2);
    *pad_lo = rnd_in(0, *k - 1);
    const int32_t pad_hi = rnd_in(0, *k - 1);
    *size = rnd_in(1, 8);
    if (*size + *pad_lo + pad_hi < *k) *size = *k;
    return (*size + *pad_lo + pad_hi - *k) / *stride + 1;
}

/* ---- the kernel tables ---- */
typedef void conv_fn(const mb_conv2d_params *, const mb_channel_quant *, const uint8_t *, const uint8_t *, uint8_t *,
                     void *);
typedef void fc_fn(const mb_fc_params *, const mb_channel_quant *, const uint8_t *, const uint8_t *, uint8_t *, void *);
typedef void add_fn(const mb_add_params *, const uint8_t *, const uint8_t *, uint8_t *);
typedef void avg_fn(const mb_pool_params *, const mb_pool_quant *, const uint8_t *, uint8_t *);
typedef void max_fn(const mb_pool_params *, const uint8_t *, uint8_t *);

typedef struct {
    int32_t w, a, o;
    conv_fn *conv, *pw, *dw;
    fc_fn *fc;
    add_fn *add; /* the add triple (a, b, o) = (w, a, o) of this row */
} wao_kernels;
#define ROW_WAO_(W, A, O)                                                                                            \
    {W, A, O, mb_conv2d_w##W##_a##A##_o##O, mb_pwconv2d_w##W##_a##A##_o##O, mb_dwconv2d_w##W##_a##A##_o##O,       \
     mb_fc_w##W##_a##A##_o##O, mb_add_a##W##_b##A##_o##O},
static const wao_kernels g_wao[] = {MB_FOR_EACH_WAO(ROW_WAO_)};

typedef struct {
    int32_t a, o;
    avg_fn *avg, *gavg;
} ao_kernels;
#define ROW_AO_(A, O) {A, O, mb_avgpool_a##A##_o##O, mb_global_avgpool_a##A##_o##O},
static const ao_kernels g_ao[] = {MB_FOR_EACH_AO(ROW_AO_)};

#define ROW_A_(A) {A, mb_maxpool_a##A},
static const struct {
    int32_t a;
    max_fn *max;
} g_max[] = {MB_FOR_EACH_A(ROW_A_)};

/* ---- conv-family cases: kind 0 conv2d, 1 pointwise, 2 depthwise, 3 fully connected ---- */
static void conv_case(const wao_kernels *t, int32_t kind, int32_t sgn)
{
    static const char *names[] = {"conv2d", "pwconv2d", "dwconv2d", "fc"};
    mb_conv2d_params p = {0};
    p.input_signed = sgn;
    if (kind == 0 || kind == 2) {
        p.out_h = random_axis(&p.in_h, &p.k_h, &p.stride_h, &p.pad_top);
        p.out_w = random_axis(&p.in_w, &p.k_w, &p.stride_w, &p.pad_left);
    } else {
        p.in_h = p.out_h = kind == 3 ? 1 : rnd_in(1, 7);
        p.in_w = p.out_w = kind == 3 ? 1 : rnd_in(1, 7);
        p.k_h = p.k_w = p.stride_h = p.stride_w = 1;
    }
    p.in_c = kind == 3 ? rnd_in(1, 70) : pick(k_channels, NCH);
    p.out_c = kind == 2 ? p.in_c : kind == 3 ? rnd_in(1, 13) : pick(k_channels, NCH);
    const int32_t k = kind == 2 ? p.k_h * p.k_w : p.k_h * p.k_w * p.in_c;
    const int32_t nin = p.in_h * p.in_w * p.in_c, nout = p.out_h * p.out_w * p.out_c;
    const int32_t nw = kind == 2 ? p.k_h * p.k_w * p.in_c : p.out_c * k;
    snprintf(g_case, sizeof g_case, "%s w%d a%d o%d %s in %dx%dx%d out %dx%dx%d k %dx%d s %d,%d pad %d,%d",
             names[kind], (int)t->w, (int)t->a, (int)t->o, sgn ? "signed" : "unsigned", (int)p.in_h, (int)p.in_w,
             (int)p.in_c, (int)p.out_h, (int)p.out_w, (int)p.out_c, (int)p.k_h, (int)p.k_w, (int)p.stride_h,
             (int)p.stride_w, (int)p.pad_top, (int)p.pad_left);
    quant_set qs;
    random_quant(&qs, p.out_c, k, t->w, t->a, t->o, sgn);
    uint8_t *in = random_tensor(nin, t->a, sgn ? 1 : 2), *w = random_tensor(nw, t->w, 0);
    uint8_t *got = junk(nout, t->o), *want = zeros(nout, t->o);
    const mb_fc_params fp = {p.in_c, p.out_c, sgn};
    const int32_t scratch_bytes = kind == 0   ? mb_conv2d_get_buffer_size(&p)
                                  : kind == 1 ? mb_pwconv2d_get_buffer_size(&p)
                                  : kind == 2 ? mb_dwconv2d_get_buffer_size(&p)
                                              : mb_fc_get_buffer_size(&fp);
    void *scratch = xmalloc((size_t)scratch_bytes);
    memset(scratch, 0x5A, (size_t)scratch_bytes);
    switch (kind) {
    case 0: t->conv(&p, &qs.q, in, w, got, scratch); break;
    case 1: t->pw(&p, &qs.q, in, w, got, scratch); break;
    case 2: t->dw(&p, &qs.q, in, w, got, scratch); break;
    default: t->fc(&fp, &qs.q, in, w, got, scratch); break;
    }
    ref_conv2d(&p, &qs.q, in, w, want, t->w, t->a, t->o, kind == 2);
    check(got, want, nout, t->o);
    free(scratch), free(got), free(want), free(in), free(w);
    free_quant(&qs);
}

static void add_case(const wao_kernels *t, int32_t sgn_pair)
{
    mb_add_params p;
    p.size = rnd_in(1, 100);
    p.a_signed = sgn_pair & 1, p.b_signed = sgn_pair >> 1;
    p.a_offset = (rnd() & 3) == 0 ? rnd_in(-3, 3) : 0;
    p.b_offset = (rnd() & 3) == 0 ? rnd_in(-3, 3) : 0;
    p.a_multiplier = random_multiplier(), p.b_multiplier = random_multiplier();
    p.shift = random_shift(1 << (t->w > t->a ? t->w : t->a), t->o);
    random_grid(t->o, &p.output_offset, &p.act_min, &p.act_max);
    snprintf(g_case, sizeof g_case, "add a%d%s b%d%s o%d size %d shift %d", (int)t->w, p.a_signed ? "s" : "u",
             (int)t->a, p.b_signed ? "s" : "u", (int)t->o, (int)p.size, (int)p.shift);
    uint8_t *a = random_tensor(p.size, t->w, p.a_signed ? 1 : 2), *b = random_tensor(p.size, t->a, p.b_signed ? 1 : 2);
    uint8_t *got = junk(p.size, t->o), *want = zeros(p.size, t->o);
    t->add(&p, a, b, got);
    ref_add(&p, a, b, want, t->w, t->a, t->o);
    check(got, want, p.size, t->o);
    free(a), free(b), free(got), free(want);
}

/* kind 0 average pool, 1 global average pool, 2 max pool (a = o = bits) */
static void pool_case(int32_t kind, int32_t abits, int32_t obits, avg_fn *avg, max_fn *max, int32_t sgn)
{
    static const char *names[] = {"avgpool", "global_avgpool", "maxpool"};
    mb_pool_params p = {0};
    if (kind == 1) {
        p.in_h = p.k_h = rnd_in(1, 8), p.in_w = p.k_w = rnd_in(1, 8);
        p.out_h = p.out_w = p.stride_h = p.stride_w = 1;
    } else {
        p.out_h = random_axis(&p.in_h, &p.k_h, &p.stride_h, &p.pad_top);
        p.out_w = random_axis(&p.in_w, &p.k_w, &p.stride_w, &p.pad_left);
    }
    p.c = pick(k_channels, NCH);
    p.input_signed = sgn;
    mb_pool_quant q;
    q.input_offset = random_in_offset(abits, sgn);
    q.multiplier = random_multiplier();
    q.shift = random_shift(p.k_h * p.k_w * (1 << abits), obits);
    random_grid(obits, &q.output_offset, &q.act_min, &q.act_max);
    snprintf(g_case, sizeof g_case, "%s a%d o%d %s in %dx%dx%d k %dx%d s %d,%d pad %d,%d", names[kind], (int)abits,
             (int)obits, sgn ? "signed" : "unsigned", (int)p.in_h, (int)p.in_w, (int)p.c, (int)p.k_h, (int)p.k_w,
             (int)p.stride_h, (int)p.stride_w, (int)p.pad_top, (int)p.pad_left);
    const int32_t nin = p.in_h * p.in_w * p.c, nout = p.out_h * p.out_w * p.c;
    uint8_t *in = random_tensor(nin, abits, sgn ? 1 : 2), *got = junk(nout, obits), *want = zeros(nout, obits);
    if (kind == 2) {
        max(&p, in, got);
        ref_maxpool(&p, in, want, abits);
    } else {
        mb_pool_params gp = p;
        if (kind == 1) gp.k_h = gp.k_w = 0; /* the global kernel must not read the window fields */
        avg(&gp, &q, in, got);
        ref_avgpool(&p, &q, in, want, abits, obits);
    }
    check(got, want, nout, obits);
    free(in), free(got), free(want);
}

/* ---- packing helpers and requantize ---- */
static void pack_case(int32_t bits, int32_t sgn)
{
    const int32_t n = rnd_in(1, 80), start = rnd_in(0, n - 1), count = rnd_in(0, n - start);
    const int32_t off = rnd_in(-3, 3);
    snprintf(g_case, sizeof g_case, "unpack b%d %s n %d start %d count %d off %d", (int)bits, sgn ? "s" : "u", (int)n,
             (int)start, (int)count, (int)off);
    uint8_t *t = random_tensor(n, bits, sgn ? 1 : 2), *copy = junk(n, bits);
    int16_t *d16 = (int16_t *)xmalloc(sizeof(int16_t) * (size_t)(count + 1));
    int8_t *d8 = (int8_t *)xmalloc((size_t)(count + 1));
    mb_unpack_s16(t, start, count, bits, sgn, off, d16);
    mb_unpack_s8(t, start, count, bits, sgn, off, d8);
    int32_t bad = -1;
    for (int32_t i = 0; i < count && bad < 0; i++) {
        const int32_t v = ref_get(t, start + i, bits, sgn) + off;
        if (d16[i] != v || (v >= -128 && v <= 127 && d8[i] != v)) bad = i;
    }
    for (int32_t k = 0; k < n && bad < 0; k++)
        if (mb_load(t, k, bits, sgn) != ref_get(t, k, bits, sgn)) bad = k;
    if (bad >= 0) {
        g_failed++;
        printf("FAIL %s: element %d\n", g_case, (int)bad);
    } else {
        for (int32_t k = 0; k < n; k++) mb_store(copy, k, bits, ref_get(t, k, bits, sgn));
        mb_pack_finish(copy, n, bits);
        check(copy, t, n, bits);
    }
    free(t), free(copy), free(d16), free(d8);
}

/* floor((acc * m0 + 2^(n-1)) / 2^n) in sign-magnitude uint64, independent of signed shifts: |acc| * m0 < 2^62. */
static int32_t exact_requantize(int32_t acc, int32_t m0, int32_t n)
{
    const uint64_t mag = (uint64_t)(acc < 0 ? -(int64_t)acc : acc) * (uint64_t)m0, half = (uint64_t)1 << (n - 1);
    int64_t q;
    if (acc >= 0 || mag <= half) q = (int64_t)((half - (acc >= 0 ? 0 : mag) + (acc >= 0 ? mag : 0)) >> n);
    else q = -(int64_t)((mag - half + ((uint64_t)1 << n) - 1) >> n); /* -ceil((mag - half) / 2^n) */
    return (int32_t)(uint32_t)(uint64_t)q;
}

static void requant_cases(int32_t count)
{
    int32_t bad = 0;
    for (int32_t i = 0; i < count; i++) {
        const uint32_t r = rnd();
        int32_t acc = (int32_t)rnd();
        if (r & 1) acc >>= rnd_in(0, 30); /* small magnitudes too */
        if ((r & 0x70) == 0) acc = (r & 0x80) ? INT32_MAX : (r & 0x8000) ? INT32_MIN : -INT32_MAX;
        const int32_t m0 = (r & 0x300) == 0 ? 0x7FFFFFFF : random_multiplier();
        const int32_t n = (r & 0xC00) == 0 ? ((r & 0x1000) ? 1 : rnd_in(31, 34)) : rnd_in(1, 62);
        const int32_t want = exact_requantize(acc, m0, n), got = mb_requantize(acc, m0, n);
        int32_t ok = got == want && ref_requantize(acc, m0, n) == want;
        ok = ok && mb_mulhi_16x16(acc, m0) == (int32_t)(((int64_t)acc * m0) >> 32); /* the no-SMULL path's high word */
#ifdef __SIZEOF_INT128__
        const __int128 w128 = ((__int128)acc * m0 + ((__int128)1 << (n - 1))) >> n;
        ok = ok && (int32_t)(uint32_t)(unsigned __int128)w128 == want; /* the two exact references agree */
#endif
        if (!ok) {
            if (bad++ < 5)
                printf("FAIL requantize(%ld, %ld, %d) = %ld, want %ld\n", (long)acc, (long)m0, (int)n, (long)got,
                       (long)want);
        }
    }
    if (bad) g_failed++;
    else g_passed++;
}

int main(int argc, char **argv)
{
    const int32_t reps = argc > 1 ? atoi(argv[1]) : MB_TEST_REPS;
    g_rng = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : MB_TEST_SEED;
    if (g_rng == 0) g_rng = 1;
    if (reps < 1) {
        printf("reps must be at least 1\n");
        return 2;
    }
    printf("mixbit kernel tests: %d reps, seed %lu, %s path\n", (int)reps, (unsigned long)g_rng,
#if defined(MIXBIT_USE_DSP)
           "DSP"
#else
           "portable"
#endif
    );
    requant_cases(20000 * reps);
    for (int32_t r = 0; r < reps; r++) {
        for (int32_t b = 2; b <= 8; b *= 2)
            for (int32_t s = 0; s < 2; s++) pack_case(b, s);
        for (size_t i = 0; i < sizeof g_wao / sizeof g_wao[0]; i++) {
            for (int32_t kind = 0; kind < 4; kind++)
                for (int32_t s = 0; s < 2; s++) conv_case(&g_wao[i], kind, s);
            for (int32_t s = 0; s < 4; s++) add_case(&g_wao[i], s);
        }
        for (size_t i = 0; i < sizeof g_ao / sizeof g_ao[0]; i++)
            for (int32_t s = 0; s < 2; s++) {
                pool_case(0, g_ao[i].a, g_ao[i].o, g_ao[i].avg, NULL, s);
                pool_case(1, g_ao[i].a, g_ao[i].o, g_ao[i].gavg, NULL, s);
            }
        for (size_t i = 0; i < sizeof g_max / sizeof g_max[0]; i++)
            for (int32_t s = 0; s < 2; s++) pool_case(2, g_max[i].a, g_max[i].a, NULL, g_max[i].max, s);
    }
    printf("%d passed, %d failed\n", (int)g_passed, (int)g_failed);
    return g_failed > 255 ? 255 : (int)g_failed;
}
