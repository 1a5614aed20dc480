"""What the CPU running this process can execute, for choosing a build of the kernels (`mlpgui._kernels`).

Compiled without any instruction-set flags, so it imports on every CPU of
its architecture. The check asks the CPU and the operating system (AVX
registers must be saved on a context switch), as the compilers' own
run-time checks do.
"""

cdef extern from *:
    """
    #if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    static int mlpgui_avx2_fma(void)
    {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    #elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
    #include <intrin.h>
    #include <immintrin.h>
    static int mlpgui_avx2_fma(void)
    {
        int r[4];
        __cpuid(r, 0);
        if (r[0] < 7)
            return 0;
        __cpuid(r, 1);
        /* FMA (bit 12), OSXSAVE (27), AVX (28); then the OS saves the SSE and AVX state (XCR0 bits 1, 2) */
        if ((r[2] & (1 << 12)) == 0 || (r[2] & (1 << 27)) == 0 || (r[2] & (1 << 28)) == 0)
            return 0;
        if ((_xgetbv(0) & 6) != 6)
            return 0;
        __cpuidex(r, 7, 0);
        return (r[1] & (1 << 5)) != 0;  /* AVX2 */
    }
    #else
    static int mlpgui_avx2_fma(void) { return 0; }
    #endif
    """
    int mlpgui_avx2_fma() noexcept nogil


def has_avx2_fma():
    """Whether this CPU (and OS) runs AVX2 and FMA instructions; False on other architectures."""
    return bool(mlpgui_avx2_fma())
