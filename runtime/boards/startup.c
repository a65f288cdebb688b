/*
 * Minimal Cortex-M startup for the QEMU MPS2/MPS3 boards: vector table at the start of FLASH (initial SP, reset
 * handler, fault handlers), then reset: enable the FPU when built hard-float (CPACR, CP10/CP11 full access), copy
 * .data from its FLASH load address to RAM, zero .bss, and hand over to newlib's _start (rdimon semihosting crt0:
 * heap, argv, constructors, main, exit). newlib's --specs=rdimon.specs alone has no vector table at address 0.
 */
#include <stdint.h>
#include <string.h>

extern uint32_t __stack_top, __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__;
extern void _start(void);
extern void _exit(int status);

void Reset_Handler(void);
void Fault_Handler(void);

__attribute__((noreturn)) void Reset_Handler(void)
{
#if defined(__ARM_FP)
    /* SCB->CPACR: CP10 and CP11 full access, then barriers so the next instruction may use the FPU. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
#endif
    memcpy(&__data_start__, &__data_load__, (size_t)((char *)&__data_end__ - (char *)&__data_start__));
    memset(&__bss_start__, 0, (size_t)((char *)&__bss_end__ - (char *)&__bss_start__));
    _start();
    for (;;) {
    }
}

/* Any fault ends the semihosted run with a code no test produces, instead of hanging until the timeout. */
__attribute__((noreturn)) void Fault_Handler(void)
{
    _exit(254);
    for (;;) {
    }
}

/* Initial SP, reset, NMI, HardFault, MemManage, BusFault, UsageFault (the core reads no further before main). */
__attribute__((section(".vectors"), used)) void *const g_vectors[] = {
    &__stack_top,
    (void *)Reset_Handler,
    (void *)Fault_Handler,
    (void *)Fault_Handler,
    (void *)Fault_Handler,
    (void *)Fault_Handler,
    (void *)Fault_Handler,
};
