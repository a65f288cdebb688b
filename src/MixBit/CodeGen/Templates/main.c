/*
 * Test harness of the generated model (not part of the library): runs the embedded test images through mixbit_run,
 * compares the logits byte for byte with the C# integer engine's (test_data.h), prints one line per image and exits
 * with the number of images that differ. On ARM it also measures the stack mixbit_run uses (the region below the
 * stack pointer is painted first) and marks the first inference for the instruction-counting QEMU plugin.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "test_data.h"

volatile uint32_t mixbit_marker;
volatile int32_t mixbit_marking;

#if defined(__arm__)
extern uint8_t end; /* the linker script's end of .bss: the painted window never reaches below it */
static uintptr_t stack_pointer(void)
{
    uintptr_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    return sp;
}
#define STACK_PAINT 0xA5u
#define STACK_WINDOW 65536u
#endif

int main(void)
{
    static int8_t logits[MIXBIT_OUTPUT_COUNT];
    int bad = 0;
#if defined(__arm__)
    const uintptr_t sp = stack_pointer();
    uint8_t *const hi = (uint8_t *)(sp - 256u);
    uint8_t *const lo = sp - STACK_WINDOW > (uintptr_t)&end ? (uint8_t *)(sp - STACK_WINDOW) : &end;
    memset(lo, STACK_PAINT, (size_t)(hi - lo));
#endif
    mixbit_marking = 1;
    mixbit_marker = 100000u; /* start of the first inference */
    mixbit_run(mixbit_test_images[0], logits);
    mixbit_marking = 0;
#if defined(__arm__)
    {
        const uint8_t *p = lo;
        while (p < hi && *p == STACK_PAINT) p++;
        printf("stack %ld\n", (long)(sp - (uintptr_t)p));
    }
#endif
    for (int i = 0; i < MIXBIT_TEST_COUNT; i++) {
        memset(logits, 0x55, sizeof logits);
        mixbit_run(mixbit_test_images[i], logits);
        const int same = memcmp(logits, mixbit_test_expected[i], MIXBIT_OUTPUT_COUNT) == 0;
        bad += !same;
        printf("image %d %s", i, same ? "ok" : "MISMATCH");
        for (int k = 0; k < MIXBIT_OUTPUT_COUNT; k++) printf(" %d", (int)logits[k]);
        printf("\n");
    }
    printf("bitexact %d of %d\n", MIXBIT_TEST_COUNT - bad, MIXBIT_TEST_COUNT);
    return bad;
}
