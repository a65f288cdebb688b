/*
 * MixBit integer kernels: one C function per operator and bit-width triple, so that a firmware links (and
 * --gc-sections keeps) only the triples its model uses. Numerics follow docs/INTEGER.md exactly; layouts, scratch
 * formulas and the DSP switch are described in docs/RUNTIME.md.
 *
 * Naming: mb_<op>_w<W>_a<A>_o<O> with W = weight bits, A = input activation bits, O = output bits, each in
 * {2, 4, 8}; mb_add_a<A>_b<B>_o<O>; mb_avgpool_a<A>_o<O>; mb_global_avgpool_a<A>_o<O>; mb_maxpool_a<A>.
 *
 * Common rules:
 *  - Tensors are packed byte strings (mb_pack.h), activations NHWC, batch 1. Weights are signed (no zero point):
 *    conv2d/pointwise OHWI [c_out][k_h][k_w][c_in], depthwise [k_h][k_w][c], fully connected [c_out][c_in].
 *  - Input codes are signed or unsigned according to the params' input_signed (0 or 1); outputs are written as
 *    the low O bits of the clamped value, so an output grid is signed or unsigned by its act_min/act_max alone.
 *  - The output buffer must not overlap an input or the scratch. The whole packed output is written, including
 *    the zero high bits of its last byte; no byte after it is touched.
 *  - Scratch: a buffer of *_get_buffer_size(params) bytes, 4-byte aligned, contents ignored on entry.
 *    Its size depends on the shapes only, never on the bit-widths.
 *  - Dilation and groups other than 1 (besides depthwise with channel multiplier 1) are not supported: the
 *    parameter structs have no field for them, the converter must not emit such layers.
 */
#ifndef MIXBIT_MB_KERNELS_H
#define MIXBIT_MB_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Standard, pointwise and depthwise convolution shapes. out_h = (in_h + pad_top + pad_bottom - k_h) / stride_h + 1
 * (likewise out_w); pad_bottom/pad_right are implied by out_h/out_w. Taps outside the input contribute nothing. */
typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;  /* depthwise: out_c == in_c */
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t input_signed;
} mb_conv2d_params;

/* Fully connected: input of in_features elements (a flattened HWC map), output of out_features. */
typedef struct {
    int32_t in_features, out_features;
    int32_t input_signed;
} mb_fc_params;

/* Per-output-channel requantization of conv/depthwise/pointwise/fully connected:
 *   acc = bias[c] + sum of w * (x + input_offset) over in-bounds taps
 *   out = clamp(requantize(acc, multiplier[c], shift[c]) + output_offset, act_min, act_max)
 * multiplier[c] in {0} U [2^30, 2^31), shift[c] in [1, 62]; bias may be NULL (all 0). */
typedef struct {
    const int32_t *bias;
    const int32_t *multiplier;
    const int8_t *shift;
    int32_t input_offset;  /* minus the input zero point (0 except for the first layer) */
    int32_t output_offset; /* the output zero point */
    int32_t act_min, act_max;
} mb_channel_quant;

/* Residual add of two tensors of the same shape (size elements):
 *   out = clamp(output_offset + (((int64)(a + a_offset) * a_multiplier + (int64)(b + b_offset) * b_multiplier
 *               + 2^(shift-1)) >> shift), act_min, act_max)       one rounding, shift in [1, 62] */
typedef struct {
    int32_t size;
    int32_t a_signed, b_signed;
    int32_t a_offset, b_offset;
    int32_t a_multiplier, b_multiplier;
    int32_t shift;
    int32_t output_offset, act_min, act_max;
} mb_add_params;

/* Average and max pool windows over an H x W x C map (channels independent). Padded taps contribute nothing
 * (an average pool that counts padding has that count in its multiplier). Global average pool reads in_h, in_w,
 * c and input_signed only. */
typedef struct {
    int32_t in_h, in_w, c;
    int32_t out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t input_signed;
} mb_pool_params;

/* Average pool: acc = sum over in-bounds taps of (x + input_offset),
 * out = clamp(requantize(acc, multiplier, shift) + output_offset, act_min, act_max),
 * with multiplier/shift encoding s_in / (s_out * window). */
typedef struct {
    int32_t multiplier, shift;
    int32_t input_offset, output_offset;
    int32_t act_min, act_max;
} mb_pool_quant;

/* Scratch bytes (see docs/RUNTIME.md for the derivation; Kp = K rounded up to 16, Cp = C rounded up to even):
 *   conv2d    : 2 * Kp * (min(MB_CONV_COLS, out_h * out_w) + 2),  K = k_h * k_w * in_c
 *   pointwise : 2 * Kp * (min(MB_CONV_COLS, out_h * out_w) + 2),  K = in_c
 *   fc        : 2 * Kp * 3,                   K = in_features
 *   depthwise : 8 * k_h + 2 * Bp * k_h * (W_span + k_w), W_span = (out_w - 1) * stride_w + k_w,
 *               Bp = min(C, MB_DW_CHANNELS) rounded up to even
 *   add, pools: none. */
#ifndef MB_DW_CHANNELS
/* Channels per depthwise block (even): the depthwise scratch grows with it, not with the layer's channel count. */
#define MB_DW_CHANNELS 32
#endif
#ifndef MB_CONV_COLS
/* Output pixels per im2col block (even, >= 2): more amortises the per-block work of the small-K layers (the 1-channel
 * stem: 8 instead of 4 saves 12% of the W8A8 reference CNN), fewer saves scratch. A build that changes it must give
 * the code generator the same value. */
#define MB_CONV_COLS 8
#endif
int32_t mb_conv2d_get_buffer_size(const mb_conv2d_params *p);
int32_t mb_pwconv2d_get_buffer_size(const mb_conv2d_params *p);
int32_t mb_dwconv2d_get_buffer_size(const mb_conv2d_params *p);
int32_t mb_fc_get_buffer_size(const mb_fc_params *p);

/* The 27 (weight, activation, output) bit triples, and the 9 (input, output) pairs. */
#define MB_FOR_O_(X, W, A) X(W, A, 2) X(W, A, 4) X(W, A, 8)
#define MB_FOR_A_(X, W) MB_FOR_O_(X, W, 2) MB_FOR_O_(X, W, 4) MB_FOR_O_(X, W, 8)
#define MB_FOR_EACH_WAO(X) MB_FOR_A_(X, 2) MB_FOR_A_(X, 4) MB_FOR_A_(X, 8)
#define MB_FOR_I_(X, A) X(A, 2) X(A, 4) X(A, 8)
#define MB_FOR_EACH_AO(X) MB_FOR_I_(X, 2) MB_FOR_I_(X, 4) MB_FOR_I_(X, 8)
#define MB_FOR_EACH_A(X) X(2) X(4) X(8)

/* mb_<op><suffix>_get_buffer_size: the per-triple name of the op's (width-independent) scratch size. */
#define MB_BUFFER_SIZE_ALIAS_(OP, SUFFIX, PARAMS)                                                                   \
    static inline int32_t mb_##OP##SUFFIX##_get_buffer_size(const PARAMS *p) { return mb_##OP##_get_buffer_size(p); }

#define MB_DECLARE_WAO_(W, A, O)                                                                                    \
    void mb_conv2d_w##W##_a##A##_o##O(const mb_conv2d_params *p, const mb_channel_quant *q, const uint8_t *input,  \
                                      const uint8_t *weights, uint8_t *output, void *scratch);                       \
    void mb_pwconv2d_w##W##_a##A##_o##O(const mb_conv2d_params *p, const mb_channel_quant *q,                      \
                                        const uint8_t *input, const uint8_t *weights, uint8_t *output,               \
                                        void *scratch);                                                              \
    void mb_dwconv2d_w##W##_a##A##_o##O(const mb_conv2d_params *p, const mb_channel_quant *q,                      \
                                        const uint8_t *input, const uint8_t *weights, uint8_t *output,               \
                                        void *scratch);                                                              \
    void mb_fc_w##W##_a##A##_o##O(const mb_fc_params *p, const mb_channel_quant *q, const uint8_t *input,          \
                                  const uint8_t *weights, uint8_t *output, void *scratch);                           \
    void mb_add_a##W##_b##A##_o##O(const mb_add_params *p, const uint8_t *a, const uint8_t *b, uint8_t *output);   \
    MB_BUFFER_SIZE_ALIAS_(conv2d, _w##W##_a##A##_o##O, mb_conv2d_params)                                           \
    MB_BUFFER_SIZE_ALIAS_(pwconv2d, _w##W##_a##A##_o##O, mb_conv2d_params)                                         \
    MB_BUFFER_SIZE_ALIAS_(dwconv2d, _w##W##_a##A##_o##O, mb_conv2d_params)                                         \
    MB_BUFFER_SIZE_ALIAS_(fc, _w##W##_a##A##_o##O, mb_fc_params)
MB_FOR_EACH_WAO(MB_DECLARE_WAO_)

#define MB_DECLARE_AO_(A, O)                                                                                        \
    void mb_avgpool_a##A##_o##O(const mb_pool_params *p, const mb_pool_quant *q, const uint8_t *input,             \
                                uint8_t *output);                                                                    \
    void mb_global_avgpool_a##A##_o##O(const mb_pool_params *p, const mb_pool_quant *q, const uint8_t *input,      \
                                       uint8_t *output);
MB_FOR_EACH_AO(MB_DECLARE_AO_)

/* Max pool keeps the input's grid: output bits = input bits, same signedness. */
#define MB_DECLARE_A_(A) void mb_maxpool_a##A(const mb_pool_params *p, const uint8_t *input, uint8_t *output);
MB_FOR_EACH_A(MB_DECLARE_A_)

#ifdef __cplusplus
}
#endif

#endif
