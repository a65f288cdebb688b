/*
 * The reference CNN of TOOLCHAIN.md on the MixBit kernels, one inference, for instruction counting under QEMU:
 * conv 3x3 1->16 s1 p1 + ReLU6; [dw 3x3 s + ReLU6, pw + ReLU6] x 4 with (16->32, 2), (32->64, 2), (64->64, 1),
 * (64->128, 2); global average pool; fully connected 128->10 (int8 logits). Input 28x28x1 uint8 with a zero point.
 * Weights are random codes on each layer's grid, requantization parameters plausible (outputs spread over the
 * grid). After each layer the program stores the layer index to mb_bench_marker, which the counting plugin
 * (tools/mb_count_plugin.c) records; then it recomputes every layer with the naive reference and exits with the
 * number of layers that differ, so a benchmark of wrong code cannot pass.
 *
 * -DMB_BENCH_CONFIG selects the bit-widths: 0 W8A8, 1 W4A4, 2 W2A2, 3 mixed (see g_configs).
 */
#include <stdio.h>
#include <string.h>

#include "mixbit/mixbit.h"
#include "mb_ref.h"

#ifndef MB_BENCH_CONFIG
#define MB_BENCH_CONFIG 0
#endif

enum { CONV, DW, PW, GAP, FC };
typedef struct {
    const char *name;
    int32_t kind, in_h, in_w, in_c, out_c, k, stride, pad;
} layer_def;

#define NLAYERS 11
static const layer_def g_layers[NLAYERS] = {
    {"conv1", CONV, 28, 28, 1, 16, 3, 1, 1},  {"dw1", DW, 28, 28, 16, 16, 3, 2, 1},
    {"pw1", PW, 14, 14, 16, 32, 1, 1, 0},     {"dw2", DW, 14, 14, 32, 32, 3, 2, 1},
    {"pw2", PW, 7, 7, 32, 64, 1, 1, 0},       {"dw3", DW, 7, 7, 64, 64, 3, 1, 1},
    {"pw3", PW, 7, 7, 64, 64, 1, 1, 0},       {"dw4", DW, 7, 7, 64, 64, 3, 2, 1},
    {"pw4", PW, 4, 4, 64, 128, 1, 1, 0},      {"gap", GAP, 4, 4, 128, 128, 4, 1, 0},
    {"fc", FC, 1, 1, 128, 10, 1, 1, 0},
};

/* Per layer: weight bits and output bits (the input of layer 0 is the uint8 image; the logits are int8). */
static const struct {
    const char *name;
    int8_t w[NLAYERS], o[NLAYERS];
} g_configs[] = {
    {"W8A8", {8, 8, 8, 8, 8, 8, 8, 8, 8, 0, 8}, {8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8}},
    {"W4A4", {4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 4}, {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 8}},
    {"W2A2", {2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 2}, {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 8}},
    {"mixed", {8, 8, 4, 8, 4, 4, 2, 4, 2, 0, 8}, {8, 4, 4, 4, 4, 4, 2, 4, 4, 8, 8}},
};
#define CFG g_configs[MB_BENCH_CONFIG]

typedef void conv_fn(const mb_conv2d_params *, const mb_channel_quant *, const uint8_t *, const uint8_t *, uint8_t *,
                     void *);
typedef void fc_fn(const mb_fc_params *, const mb_channel_quant *, const uint8_t *, const uint8_t *, uint8_t *, void *);
typedef void avg_fn(const mb_pool_params *, const mb_pool_quant *, const uint8_t *, uint8_t *);
#define ROW_WAO_(W, A, O)                                                                                            \
    {W, A, O, mb_conv2d_w##W##_a##A##_o##O, mb_pwconv2d_w##W##_a##A##_o##O, mb_dwconv2d_w##W##_a##A##_o##O,       \
     mb_fc_w##W##_a##A##_o##O},
static const struct {
    int32_t w, a, o;
    conv_fn *conv, *pw, *dw;
    fc_fn *fc;
} g_wao[] = {MB_FOR_EACH_WAO(ROW_WAO_)};
#define ROW_AO_(A, O) {A, O, mb_global_avgpool_a##A##_o##O},
static const struct {
    int32_t a, o;
    avg_fn *gavg;
} g_ao[] = {MB_FOR_EACH_AO(ROW_AO_)};

volatile uint32_t mb_bench_marker;

static uint32_t g_rng = 2024u;
static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 17;
    g_rng ^= g_rng << 5;
    return g_rng;
}

#define MAX_ACT (28 * 28 * 16)
#define MAX_W (128 * 64)
static uint8_t g_act[NLAYERS + 1][MAX_ACT];     /* every layer's output kept for the reference check */
static uint8_t g_ref[MAX_ACT];
static uint8_t g_weights[NLAYERS][MAX_W];
static int32_t g_bias[NLAYERS][128], g_mult[NLAYERS][128];
static int8_t g_shift[NLAYERS][128];
static mb_channel_quant g_q[NLAYERS];
static mb_conv2d_params g_p[NLAYERS];
static uint32_t g_scratch[4096];

static int32_t log2floor(uint32_t v)
{
    int32_t r = 0;
    while (v >>= 1) r++;
    return r;
}

static int32_t out_size(const layer_def *l, int32_t in) { return (in + 2 * l->pad - l->k) / l->stride + 1; }

/* Shapes, random weights on the narrow signed grid, and a shift that puts typical accumulators on the output grid. */
static void setup(void)
{
    int32_t abits = 8, in_off = -73; /* the image: uint8 with zero point 73 */
    for (int32_t i = 0; i < NLAYERS; i++) {
        const layer_def *l = &g_layers[i];
        const int32_t wb = CFG.w[i], ob = CFG.o[i];
        mb_conv2d_params *p = &g_p[i];
        p->in_h = l->in_h, p->in_w = l->in_w, p->in_c = l->in_c, p->out_c = l->out_c;
        p->k_h = p->k_w = l->k, p->stride_h = p->stride_w = l->stride, p->pad_top = p->pad_left = l->pad;
        p->out_h = l->kind == GAP ? 1 : out_size(l, l->in_h);
        p->out_w = l->kind == GAP ? 1 : out_size(l, l->in_w);
        p->input_signed = 0; /* every input here is the image or a ReLU6 output */
        const int32_t k = l->kind == DW ? l->k * l->k : l->kind == GAP ? l->k * l->k : l->k * l->k * l->in_c;
        const int32_t nw = l->kind == DW ? k * l->in_c : l->kind == GAP ? 0 : k * l->out_c;
        if (wb) {
            const int32_t h = (1 << (wb - 1)) - 1;
            for (int32_t j = 0; j < nw; j++) ref_set(g_weights[i], j, wb, (int32_t)(rnd() % (uint32_t)(2 * h + 1)) - h);
        }
        int32_t root = 1;
        while ((root + 1) * (root + 1) <= k) root++;
        const int32_t xmax = (1 << abits) - 1 + (in_off < 0 ? -in_off : in_off);
        const int32_t typical = (l->kind == GAP ? k : root * (wb ? (1 << (wb - 1)) - 1 : 1)) * xmax / 2 + 1;
        for (int32_t c = 0; c < l->out_c; c++) {
            g_bias[i][c] = (int32_t)(rnd() % 2001u) - 1000;
            g_mult[i][c] = (int32_t)(0x40000000u | (rnd() >> 2));
            g_shift[i][c] = (int8_t)(31 + log2floor((uint32_t)typical) - (ob - 1));
        }
        mb_channel_quant *q = &g_q[i];
        q->bias = g_bias[i], q->multiplier = g_mult[i], q->shift = g_shift[i];
        q->input_offset = in_off, q->output_offset = 0;
        if (i == NLAYERS - 1 || l->kind == GAP) q->act_min = -(1 << (ob - 1)), q->act_max = (1 << (ob - 1)) - 1;
        else q->act_min = 0, q->act_max = ob == 8 ? 6 * 40 : (1 << ob) - 1; /* ReLU6 at a scale of 6/240 */
        abits = ob, in_off = 0;
        if (l->kind == GAP) g_p[i + 1].input_signed = 1;
    }
    for (int32_t j = 0; j < 28 * 28; j++) g_act[0][j] = (uint8_t)rnd();
}

static int32_t layer_in_bits(int32_t i) { return i == 0 ? 8 : CFG.o[i - 1]; }

static int32_t find_wao(int32_t w, int32_t a, int32_t o)
{
    for (int32_t t = 0; t < 27; t++)
        if (g_wao[t].w == w && g_wao[t].a == a && g_wao[t].o == o) return t;
    return 0;
}

static void run_layer(int32_t i, const uint8_t *in, uint8_t *out)
{
    const layer_def *l = &g_layers[i];
    const int32_t a = layer_in_bits(i), o = CFG.o[i];
    const mb_conv2d_params *p = &g_p[i];
    if (l->kind == GAP) {
        const mb_pool_params gp = {p->in_h, p->in_w, p->in_c, 1, 1, p->in_h, p->in_w, 1, 1, 0, 0, p->input_signed};
        const mb_pool_quant pq = {g_mult[i][0], g_shift[i][0], 0, 0, g_q[i].act_min, g_q[i].act_max};
        g_ao[(a == 2 ? 0 : a == 4 ? 3 : 6) + (o == 2 ? 0 : o == 4 ? 1 : 2)].gavg(&gp, &pq, in, out);
        return;
    }
    const int32_t t = find_wao(CFG.w[i], a, o);
    if (l->kind == FC) {
        const mb_fc_params fp = {p->in_c, p->out_c, p->input_signed};
        g_wao[t].fc(&fp, &g_q[i], in, g_weights[i], out, g_scratch);
    } else {
        (l->kind == CONV ? g_wao[t].conv : l->kind == DW ? g_wao[t].dw : g_wao[t].pw)(p, &g_q[i], in, g_weights[i], out,
                                                                                       g_scratch);
    }
}

static int32_t scratch_bytes(int32_t i)
{
    const mb_conv2d_params *p = &g_p[i];
    const mb_fc_params fp = {p->in_c, p->out_c, 0};
    switch (g_layers[i].kind) {
    case CONV: return mb_conv2d_get_buffer_size(p);
    case DW: return mb_dwconv2d_get_buffer_size(p);
    case PW: return mb_pwconv2d_get_buffer_size(p);
    case FC: return mb_fc_get_buffer_size(&fp);
    default: return 0;
    }
}

int main(int argc, char **argv)
{
    (void)argc, (void)argv;
    setup();
    printf("config %s\n", CFG.name);
    for (int32_t i = 0; i < NLAYERS; i++) {
        const layer_def *l = &g_layers[i];
        const mb_conv2d_params *p = &g_p[i];
        const int32_t macs = l->kind == GAP   ? p->in_h * p->in_w * p->in_c
                             : l->kind == DW  ? p->out_h * p->out_w * p->out_c * l->k * l->k
                                              : p->out_h * p->out_w * p->out_c * l->k * l->k * l->in_c;
        printf("layer %d %s w%d a%d o%d macs %d scratch %d\n", (int)i, l->name, (int)CFG.w[i], (int)layer_in_bits(i),
               (int)CFG.o[i], (int)macs, (int)scratch_bytes(i));
        if (scratch_bytes(i) > (int32_t)sizeof g_scratch) return 100;
    }
    mb_bench_marker = 100; /* start */
    for (int32_t i = 0; i < NLAYERS; i++) {
        run_layer(i, g_act[i], g_act[i + 1]);
        mb_bench_marker = (uint32_t)i;
    }
    mb_bench_marker = 200; /* end of the timed inference */
    int32_t bad = 0;
    for (int32_t i = 0; i < NLAYERS; i++) {
        const layer_def *l = &g_layers[i];
        const mb_conv2d_params *p = &g_p[i];
        const int32_t n = p->out_h * p->out_w * p->out_c, bytes = MB_PACKED_BYTES(n, CFG.o[i]);
        memset(g_ref, 0, sizeof g_ref);
        if (l->kind == GAP) {
            const mb_pool_params gp = {p->in_h, p->in_w, p->in_c, 1, 1, p->in_h, p->in_w, 1, 1, 0, 0, p->input_signed};
            const mb_pool_quant pq = {g_mult[i][0], g_shift[i][0], 0, 0, g_q[i].act_min, g_q[i].act_max};
            ref_avgpool(&gp, &pq, g_act[i], g_ref, layer_in_bits(i), CFG.o[i]);
        } else {
            ref_conv2d(p, &g_q[i], g_act[i], g_weights[i], g_ref, CFG.w[i], layer_in_bits(i), CFG.o[i], l->kind == DW);
        }
        int32_t nonzero = 0;
        for (int32_t j = 0; j < n; j++) nonzero += ref_get(g_ref, j, CFG.o[i], 1) != 0;
        const int32_t same = memcmp(g_ref, g_act[i + 1], (size_t)bytes) == 0;
        printf("check %s %s (%d of %d outputs nonzero)\n", l->name, same ? "ok" : "MISMATCH", (int)nonzero, (int)n);
        bad += !same;
    }
    printf("logits");
    for (int32_t j = 0; j < 10; j++) printf(" %d", (int)ref_get(g_act[NLAYERS], j, 8, 1));
    printf("\n%d passed, %d failed\n", (int)(NLAYERS - bad), (int)bad);
    return (int)bad;
}
