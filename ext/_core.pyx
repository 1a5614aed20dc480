"""The compiled core: forward pass, loss, backprop and gradient descent.

Layout (scikit-learn's): one sample per row. X is (n, d), W1 (d, h), W2 (h, k),
so Z1 = X @ W1 + b1 and Z2 = A1 @ W2 + b2. Every kernel is one `floating`
(float32 or float64) function over typed memoryviews; the `def` wrappers
check shapes with the GIL, then release it once for the whole step.

Matrix products go to BLAS through scipy.linalg.cython_blas; elementwise work
(bias + sigmoid, softmax, loss, deltas, bias gradients, the update) is fused
into loops here. Buffers belong to the caller and are reused across epochs.
"""

from cython cimport floating
from libc.math cimport log, isfinite
from scipy.linalg.cython_blas cimport sgemm, dgemm

from _activations cimport binary_loss, clamp_low, fexp, sigmoid, sigmoid_vec

import numpy as np


cdef void _gemm(bint trans_a, bint trans_b, int m, int n, int k,
                floating alpha, const floating* A, int lda,
                const floating* B, int ldb,
                floating beta, floating* C, int ldc) noexcept nogil:
    """C := alpha * op(A) @ op(B) + beta * C for row-major arrays.

    op(A) is (m, k), op(B) is (k, n), C is (m, n); lda, ldb, ldc are the
    stored row lengths. Fortran BLAS is column-major, and a row-major C is a
    column-major C^T = op(B)^T op(A)^T, so the operands are swapped, no copies.
    """
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    if floating is float:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, <float*> B, &ldb, <float*> A, &lda, &beta, C, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, <double*> B, &ldb, <double*> A, &lda, &beta, C, &ldc)


cdef void _forward_pass(const floating[:, ::1] X,      # IN  (n, d)
                        const floating[:, ::1] W1,     # IN  (d, h)
                        const floating[::1] b1,        # IN  (h,)
                        const floating[:, ::1] W2,     # IN  (h, k)
                        const floating[::1] b2,        # IN  (k,)
                        floating[:, ::1] A1,           # OUT (n, h) hidden activations
                        floating[:, ::1] Z2) noexcept nogil:  # OUT (n, k) output logits
    """A1 = sigmoid(X @ W1 + b1); Z2 = A1 @ W2 + b2."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], h = W1.shape[1], k = W2.shape[1]
    cdef Py_ssize_t i, j
    # A1 = X @ W1
    _gemm(False, False, n, h, d, <floating> 1, &X[0, 0], d, &W1[0, 0], h, <floating> 0, &A1[0, 0], h)
    # A1 = sigmoid(A1 + b1)
    for i in range(n):
        for j in range(h):
            A1[i, j] = sigmoid_vec(A1[i, j] + b1[j])
    # Z2 = A1 @ W2 + b2
    _gemm(False, False, n, k, h, <floating> 1, &A1[0, 0], h, &W2[0, 0], k, <floating> 0, &Z2[0, 0], k)
    for i in range(n):
        for j in range(k):
            Z2[i, j] += b2[j]


cdef void _outputs(floating[:, ::1] Z2) noexcept nogil:
    """Z2 := y_hat, in place: sigmoid for one output, softmax (max subtracted) for several."""
    cdef Py_ssize_t n = Z2.shape[0], k = Z2.shape[1], i, j
    cdef floating m, s
    if k == 1:
        for i in range(n):
            Z2[i, 0] = sigmoid(Z2[i, 0])
        return
    for i in range(n):
        m = Z2[i, 0]
        for j in range(1, k):
            if Z2[i, j] > m:
                m = Z2[i, j]
        s = 0
        for j in range(k):
            Z2[i, j] = fexp(clamp_low(Z2[i, j] - m))
            s += Z2[i, j]
        for j in range(k):
            Z2[i, j] /= s


cdef double _loss_and_deltas(floating[:, ::1] Z2,   # IN logits, OUT deltas (y_hat - y) / n
                             const int[::1] y,      # IN  (n,) labels 0..k-1 (0/1 for one output)
                             Py_ssize_t* n_correct) noexcept nogil:  # OUT correct predictions
    """Mean loss from the logits, and delta2 = (y_hat - y) / n in place of them.

    One output: binary cross-entropy max(z, 0) - y z + log(1 + exp(-|z|)).
    Several: cross-entropy logsumexp(z) - z_y. Both are finite for any logits.
    Predictions: y_hat >= 0.5 means label 1; otherwise the argmax.
    """
    cdef Py_ssize_t n = Z2.shape[0], k = Z2.shape[1], i, j, best
    cdef double total = 0
    cdef floating z, m, s, p, inv_n = (<floating> 1) / n
    cdef Py_ssize_t correct = 0
    if k == 1:
        for i in range(n):
            z = Z2[i, 0]
            total += binary_loss(z, y[i])
            p = sigmoid(z)
            correct += (p >= 0.5) == (y[i] == 1)
            Z2[i, 0] = (p - y[i]) * inv_n
    else:
        for i in range(n):
            m = Z2[i, 0]
            best = 0
            for j in range(1, k):
                if Z2[i, j] > m:
                    m = Z2[i, j]
                    best = j
            correct += best == y[i]
            s = 0
            for j in range(k):
                s += fexp(clamp_low(Z2[i, j] - m))
            total += log(s) + m - Z2[i, y[i]]
            for j in range(k):
                Z2[i, j] = fexp(clamp_low(Z2[i, j] - m)) / s * inv_n
            Z2[i, y[i]] -= inv_n
    n_correct[0] = correct
    return total / n


cdef void _backprop(const floating[:, ::1] X,       # IN  (n, d)
                    const floating[:, ::1] W2,      # IN  (h, k)
                    floating[:, ::1] A1,            # IN  (n, h) activations; OUT hidden deltas
                    const floating[:, ::1] D2,      # IN  (n, k) output deltas (y_hat - y) / n
                    floating[:, ::1] G,             # WORK (n, h)
                    floating[:, ::1] gW1, floating[::1] gb1,   # OUT coef and intercept grads
                    floating[:, ::1] gW2, floating[::1] gb2) noexcept nogil:
    """Gradients of the mean loss (the deltas already carry the 1/n).

    gW2 = A1^T D2, gb2 = sum D2; D1 = (D2 W2^T) * A1 (1 - A1); gW1 = X^T D1, gb1 = sum D1.
    """
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], h = A1.shape[1], k = D2.shape[1], i, j
    cdef floating a
    # gW2 = A1.T @ D2
    _gemm(True, False, h, k, n, <floating> 1, &A1[0, 0], h, &D2[0, 0], k, <floating> 0, &gW2[0, 0], k)
    # G = D2 @ W2.T
    _gemm(False, True, n, h, k, <floating> 1, &D2[0, 0], k, &W2[0, 0], k, <floating> 0, &G[0, 0], h)
    for j in range(k):
        gb2[j] = 0
    for j in range(h):
        gb1[j] = 0
    for i in range(n):
        for j in range(k):
            gb2[j] += D2[i, j]
        # D1 = G * A1 * (1 - A1), written over A1
        for j in range(h):
            a = A1[i, j]
            A1[i, j] = G[i, j] * a * (1 - a)
            gb1[j] += A1[i, j]
    # gW1 = X.T @ D1
    _gemm(True, False, d, h, n, <floating> 1, &X[0, 0], d, &A1[0, 0], h, <floating> 0, &gW1[0, 0], h)


cdef void _descend(floating[:, ::1] W, const floating[:, ::1] gW, floating lr) noexcept nogil:
    """W -= lr * gW."""
    cdef Py_ssize_t i, j
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            W[i, j] -= lr * gW[i, j]


cdef void _descend1(floating[::1] b, const floating[::1] gb, floating lr) noexcept nogil:
    """b -= lr * gb."""
    cdef Py_ssize_t j
    for j in range(b.shape[0]):
        b[j] -= lr * gb[j]


cdef double _loss_and_gradients(const floating[:, ::1] X, const int[::1] y,
                                const floating[:, ::1] W1, const floating[::1] b1,
                                const floating[:, ::1] W2, const floating[::1] b2,
                                floating[:, ::1] A1, floating[:, ::1] Z2, floating[:, ::1] G,   # WORK
                                floating[:, ::1] gW1, floating[::1] gb1,   # OUT gradients
                                floating[:, ::1] gW2, floating[::1] gb2,
                                Py_ssize_t* n_correct) noexcept nogil:     # OUT
    """Forward pass, mean loss (returned) and its gradients: the body of one gradient-descent step."""
    _forward_pass(X, W1, b1, W2, b2, A1, Z2)
    cdef double loss = _loss_and_deltas(Z2, y, n_correct)
    _backprop(X, W2, A1, Z2, G, gW1, gb1, gW2, gb2)
    return loss


def _check(X, W1, b1, W2, b2, A1, Z2, y=None, G=None):
    n, d = X.shape[0], X.shape[1]
    h, k = W1.shape[1], W2.shape[1]
    if n < 1:
        raise ValueError("need at least one sample")
    if W1.shape[0] != d or b1.shape[0] != h or W2.shape[0] != h or b2.shape[0] != k:
        raise ValueError(f"parameter shapes don't fit: X {X.shape[:2]}, W1 {W1.shape[:2]}, "
                         f"b1 {b1.shape[:1]}, W2 {W2.shape[:2]}, b2 {b2.shape[:1]}")
    if tuple(A1.shape[:2]) != (n, h) or tuple(Z2.shape[:2]) != (n, k):
        raise ValueError(f"work buffers must be ({n}, {h}) and ({n}, {k})")
    if G is not None and tuple(G.shape[:2]) != (n, h):
        raise ValueError("G must be shaped like A1")
    if y is not None:
        if y.shape[0] != n:
            raise ValueError(f"{y.shape[0]} labels for {n} samples")
        lo, hi = np.min(y), np.max(y)
        if lo < 0 or hi > max(k - 1, 1):
            raise ValueError(f"labels must be in 0..{max(k - 1, 1)}")


def forward_pass(const floating[:, ::1] X, const floating[:, ::1] W1, const floating[::1] b1,
                 const floating[:, ::1] W2, const floating[::1] b2,
                 floating[:, ::1] A1, floating[:, ::1] out):
    """out := y_hat (sigmoid or softmax outputs), A1 := hidden activations."""
    _check(X, W1, b1, W2, b2, A1, out)
    with nogil:
        _forward_pass(X, W1, b1, W2, b2, A1, out)
        _outputs(out)


def forward_pass_logits(const floating[:, ::1] X, const floating[:, ::1] W1, const floating[::1] b1,
                        const floating[:, ::1] W2, const floating[::1] b2,
                        floating[:, ::1] A1, floating[:, ::1] Z2):
    """Z2 := output logits (before sigmoid/softmax), A1 := hidden activations."""
    _check(X, W1, b1, W2, b2, A1, Z2)
    with nogil:
        _forward_pass(X, W1, b1, W2, b2, A1, Z2)


def backprop(const floating[:, ::1] X, const int[::1] y,
             const floating[:, ::1] W1, const floating[::1] b1,
             const floating[:, ::1] W2, const floating[::1] b2,
             floating[:, ::1] A1, floating[:, ::1] Z2, floating[:, ::1] G,
             floating[:, ::1] gW1, floating[::1] gb1, floating[:, ::1] gW2, floating[::1] gb2):
    """Forward pass, loss and gradients without an update: returns (loss, n_correct).

    Buffers: A1 and G (n, h), Z2 (n, k); gradients shaped like their parameters.
    """
    _check(X, W1, b1, W2, b2, A1, Z2, y, G)
    cdef double loss
    cdef Py_ssize_t correct
    with nogil:
        loss = _loss_and_gradients(X, y, W1, b1, W2, b2, A1, Z2, G, gW1, gb1, gW2, gb2, &correct)
    return loss, correct


def train_step(const floating[:, ::1] X, const int[::1] y,
               floating[:, ::1] W1, floating[::1] b1, floating[:, ::1] W2, floating[::1] b2,
               floating[:, ::1] A1, floating[:, ::1] Z2, floating[:, ::1] G,
               floating[:, ::1] gW1, floating[::1] gb1, floating[:, ::1] gW2, floating[::1] gb2,
               floating lr):
    """One gradient-descent step on (X, y): `backprop`, then W -= lr * gW for each parameter.

    Returns (loss, n_correct) of the forward pass made before the update, as
    the homework records it, and leaves the parameters alone when that loss
    is not finite. The GIL is released for the whole step.
    """
    _check(X, W1, b1, W2, b2, A1, Z2, y, G)
    cdef double loss
    cdef Py_ssize_t correct
    with nogil:
        loss = _loss_and_gradients(X, y, W1, b1, W2, b2, A1, Z2, G, gW1, gb1, gW2, gb2, &correct)
        if isfinite(loss):
            _descend(W1, gW1, lr)
            _descend1(b1, gb1, lr)
            _descend(W2, gW2, lr)
            _descend1(b2, gb2, lr)
    return loss, correct


def loss_and_deltas(floating[:, ::1] Z2, const int[::1] y):
    """Mean loss of logits Z2 against labels y; Z2 becomes (y_hat - y) / n. Returns (loss, n_correct)."""
    if Z2.shape[0] != y.shape[0] or Z2.shape[0] < 1:
        raise ValueError("one label per row of logits, at least one row")
    cdef double loss
    cdef Py_ssize_t correct
    with nogil:
        loss = _loss_and_deltas(Z2, y, &correct)
    return loss, correct


def outputs(floating[:, ::1] Z2):
    """Z2 := sigmoid(Z2) (one column) or row-wise softmax (several), in place."""
    with nogil:
        _outputs(Z2)


def gather_rows(const floating[:, ::1] src, const Py_ssize_t[::1] index, floating[:, ::1] dst):
    """dst[i] = src[index[i]]: a mini-batch copied into a reused buffer."""
    cdef Py_ssize_t i, j, n = index.shape[0], d = src.shape[1]
    if dst.shape[0] < n or dst.shape[1] != d:
        raise ValueError("destination too small")
    for i in range(n):
        if index[i] < 0 or index[i] >= src.shape[0]:
            raise IndexError("row index out of range")
    with nogil:
        for i in range(n):
            for j in range(d):
                dst[i, j] = src[index[i], j]
