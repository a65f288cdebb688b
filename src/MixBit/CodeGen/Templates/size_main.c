/*
 * The smallest firmware around the library, for `arm-none-eabi-size` (not a test): a vector table, a reset handler
 * that copies .data and zeroes .bss, and a loop calling mixbit_run on an image in FLASH. Its FLASH and RAM are the
 * library's (weights, parameters, runtime code, arena) plus these few bytes of startup; the stack comes from the
 * harness's measurement.
 */
#include <stdint.h>
#include <string.h>

#include "model.h"

extern uint32_t __stack_top, __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__;
void Reset_Handler(void);
static const uint8_t g_image[MIXBIT_INPUT_BYTES] = {0};
volatile int8_t g_sink;

__attribute__((noreturn)) void Reset_Handler(void)
{
    static int8_t logits[MIXBIT_OUTPUT_COUNT];
    memcpy(&__data_start__, &__data_load__, (size_t)((char *)&__data_end__ - (char *)&__data_start__));
    memset(&__bss_start__, 0, (size_t)((char *)&__bss_end__ - (char *)&__bss_start__));
    for (;;) {
        mixbit_run(g_image, logits);
        g_sink = logits[0];
    }
}

__attribute__((section(".vectors"), used)) void *const g_vectors[] = {&__stack_top, (void *)Reset_Handler};
