/* MixBit C runtime: packed tensors, the requantization rule and the integer kernels (docs/RUNTIME.md). */
#ifndef MIXBIT_MIXBIT_H
#define MIXBIT_MIXBIT_H

#include "mb_pack.h"
#include "mb_requant.h"
#include "mb_kernels.h"

#endif
