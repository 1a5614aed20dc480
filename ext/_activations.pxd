# Elementwise math shared by the dense (_core) and sparse (_sparse) kernels, inlined.
#
# exp() of a very negative float32 falls into slow underflow paths (and raw
# 0..255 pixels make |z| reach 100+); clamping its argument changes results by
# less than the type can show: exp(-80) is 1.8e-35 in float32, exp(-700) 1e-304.

from cython cimport floating
from libc.math cimport exp, expf, log1p, log1pf


cdef inline floating clamp_low(floating x) noexcept nogil:
    if floating is float:
        return x if x > -80.0 else -80.0
    else:
        return x if x > -700.0 else -700.0


cdef inline floating fexp(floating x) noexcept nogil:
    if floating is float:
        return expf(x)
    else:
        return exp(x)


cdef inline floating flog1p(floating x) noexcept nogil:
    if floating is float:
        return log1pf(x)
    else:
        return log1p(x)


cdef inline floating sigmoid(floating z) noexcept nogil:
    """1 / (1 + exp(-z)), never taking exp of a positive number."""
    cdef floating e
    if z >= 0:
        e = fexp(clamp_low(-z))
        return 1 / (1 + e)
    e = fexp(clamp_low(z))
    return e / (1 + e)


cdef inline floating binary_loss(floating z, int y) noexcept nogil:
    """Binary cross-entropy from the logit: max(z, 0) - y z + log(1 + exp(-|z|))."""
    cdef floating a = z if z > 0 else -z
    return (z if z > 0 else 0) - y * z + flog1p(fexp(clamp_low(-a)))


# exp() as a polynomial the compiler can vectorise (libm's exp is a call per
# element, and the two-branch sigmoid above defeats vectorisation). Cephes'
# range reduction and coefficients: about 1 ulp in float32 and in float64, for
# arguments in [-87, 87] (float32) and [-700, 700] (float64); callers clamp.
cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #include <math.h>
    static inline float mlpgui_expf(float x) {
        /* n = round(x / ln 2) by the 1.5 * 2^23 trick: floorf would not vectorise */
        float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
        float r = x - n * 0.693359375f + n * 2.12194440e-4f;
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        p = p * r * r + r + 1.0f;
        float t = n + (127.0f + 8388608.0f);   /* 2^23: the integer lands in the low mantissa bits */
        int32_t bits;
        memcpy(&bits, &t, 4);
        bits <<= 23;
        float scale;
        memcpy(&scale, &bits, 4);
        return p * scale;
    }
    static inline double mlpgui_exp(double x) {
        double n = (x * 1.4426950408889634 + 6755399441055744.0) - 6755399441055744.0;
        double r = x - n * 6.93145751953125e-1 - n * 1.42860682030941723212e-6;
        double xx = r * r;
        double px = r * ((1.26177193074810590878e-4 * xx + 3.02994407707441961300e-2) * xx
                         + 9.99999999999999999910e-1);
        double qx = ((3.00198505138664455042e-6 * xx + 2.52448340349684104192e-3) * xx
                     + 2.27265548208155028766e-1) * xx + 2.00000000000000000009e0;
        double e = 1.0 + 2.0 * px / (qx - px);
        double t = n + (1023.0 + 4503599627370496.0);   /* 2^52 */
        int64_t bits;
        memcpy(&bits, &t, 8);
        bits <<= 52;
        double scale;
        memcpy(&scale, &bits, 8);
        return e * scale;
    }
    /* 1 / (1 + exp(-z)), z clamped to +-80 (float32) or +-700 (float64) first,
       which changes the result by less than the type can show. */
    static inline float mlpgui_sigmoidf(float z) {
        z = z < -80.0f ? -80.0f : z;   /* ternaries, not fminf: those stay library calls */
        z = z > 80.0f ? 80.0f : z;
        return 1.0f / (1.0f + mlpgui_expf(-z));
    }
    static inline double mlpgui_sigmoid(double z) {
        z = z < -700.0 ? -700.0 : z;
        z = z > 700.0 ? 700.0 : z;
        return 1.0 / (1.0 + mlpgui_exp(-z));
    }
    """
    float mlpgui_expf(float x) noexcept nogil
    double mlpgui_exp(double x) noexcept nogil
    float mlpgui_sigmoidf(float z) noexcept nogil
    double mlpgui_sigmoid(double z) noexcept nogil


cdef inline floating sigmoid_vec(floating z) noexcept nogil:
    """1 / (1 + exp(-z)) without branches, so loops over it vectorise."""
    if floating is float:
        return mlpgui_sigmoidf(z)
    else:
        return mlpgui_sigmoid(z)


cdef inline floating exp_vec(floating x) noexcept nogil:
    """exp(x) for x in [-80, 0]: the polynomial in float32, so loops over it vectorise; libm's in float64."""
    if floating is float:
        return mlpgui_expf(x)
    else:
        return exp(x)
