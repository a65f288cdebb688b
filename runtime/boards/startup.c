/*
 * Minimal Cortex-M startup for the QEMU MPS2/MPS3 boards: vector table at the start of FLASH (initial SP, reset
 * handler, fault handlers), then reset: enable the FPU when built hard-float (CPACR, CP10/CP11 full access), copy
 * .data from its FLASH load address to RAM, zero .bss, open the semihosting stdio handles, run the constructors,
 * then exit(main()). newlib's --specs=rdimon.specs alone has no vector table at address 0, and its crt0 (_start)
 * is not used: it moves the stack and heap to where QEMU's SYS_HEAPINFO says, which on mps3-an547 is the top of
 * the 512 kB ITCM, below our .bss. Here the stack is the linker script's __stack_top and the heap runs from `end`
 * up to the stack (newlib's _sbrk checks against the stack pointer).
 */
#include <stdint.h>
#include <string.h>

extern uint32_t __stack_top, __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__;
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);
extern int main(int argc, char **argv);
extern void exit(int status);
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
    initialise_monitor_handles();
    __libc_init_array();
    exit(main(0, 0));
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
