/* Naive reference of every operator, written directly from docs/INTEGER.md: element by element, bit by bit. */
#ifndef MIXBIT_MB_REF_H
#define MIXBIT_MB_REF_H

#include "mixbit/mb_kernels.h"

int32_t ref_get(const uint8_t *buf, int32_t k, int32_t bits, int32_t is_signed);
void ref_set(uint8_t *buf, int32_t k, int32_t bits, int32_t v);
int32_t ref_requantize(int32_t acc, int32_t m0, int32_t n);

/* Outputs go to zeroed buffers of the packed size. Depthwise when depthwise != 0; fc = conv over a 1x1 map. */
void ref_conv2d(const mb_conv2d_params *p, const mb_channel_quant *q, const uint8_t *in, const uint8_t *w,
                uint8_t *out, int32_t wbits, int32_t abits, int32_t obits, int32_t depthwise);
void ref_add(const mb_add_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out, int32_t abits,
             int32_t bbits, int32_t obits);
void ref_avgpool(const mb_pool_params *p, const mb_pool_quant *q, const uint8_t *in, uint8_t *out, int32_t abits,
                 int32_t obits);
void ref_maxpool(const mb_pool_params *p, const uint8_t *in, uint8_t *out, int32_t bits);

#endif
