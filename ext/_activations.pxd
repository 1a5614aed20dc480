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
