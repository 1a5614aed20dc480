"""The compiled core against the NumPy reference, on random shapes, both dtypes and both heads.

Every kernel the trainer uses (forward pass, loss, deltas, gradients, one
gradient-descent step) must agree with `mlpgui.core.reference`, which writes
the same math the obvious way. The reference always runs in float64 on the
very values the core sees, so the float32 comparison measures the core's own
rounding: 1e-10 relative for float64, 1e-4 for float32.
"""

import numpy as np
import pytest

from mlpgui import _core
from mlpgui.core import reference

RTOL = {"float64": 1e-10, "float32": 1e-4}

# (n samples, d inputs, h hidden): a single sample, tiny and odd sizes, and the real input width.
SHAPES = [(1, 784, 16), (1, 3, 1), (7, 13, 5), (64, 784, 33), (200, 50, 8)]


def rel_err(actual, expected):
    """Largest deviation relative to the largest magnitude (inf-norm), so near-zero entries don't dominate."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = np.max(np.abs(expected))
    return float(np.max(np.abs(actual - expected)) / (scale if scale > 0 else 1.0))


def make_problem(n, d, h, k, dtype, seed):
    """Random inputs, labels and parameters in `dtype`, plus their float64 copies for the reference."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, (n, d))
    W1 = rng.normal(0.0, 1.5 / np.sqrt(d), (d, h))
    b1 = rng.normal(0.0, 0.5, h)
    W2 = rng.normal(0.0, 2.0 / np.sqrt(h), (h, k))
    b2 = rng.normal(0.0, 0.5, k)
    y = rng.integers(0, 2 if k == 1 else k, n).astype(np.int32)
    typed = [np.ascontiguousarray(a, dtype=dtype) for a in (X, W1, b1, W2, b2)]
    exact = [a.astype(np.float64) for a in typed]  # the same values, exactly, in float64
    return typed, exact, y


def buffers(n, h, k, dtype):
    return np.empty((n, h), dtype), np.empty((n, k), dtype), np.empty((n, h), dtype)


def grads_like(params):
    return [np.empty_like(p) for p in params]


CASES = [
    pytest.param(dtype, k, shape, id=f"{dtype}-k{k}-n{shape[0]}-d{shape[1]}-h{shape[2]}")
    for dtype in ("float64", "float32")
    for k in (1, 10)
    for shape in SHAPES
]


@pytest.mark.parametrize("dtype,k,shape", CASES)
def test_forward_pass_matches_reference(dtype, k, shape):
    n, d, h = shape
    (X, W1, b1, W2, b2), (Xe, W1e, b1e, W2e, b2e), _ = make_problem(n, d, h, k, dtype, seed=sum(shape) + k)
    A1, out, _ = buffers(n, h, k, dtype)
    _core.forward_pass(X, W1, b1, W2, b2, A1, out)
    (_, a1_ref, y_hat_ref), z2_ref = reference.forward_pass(Xe, [W1e, W2e], [b1e, b2e])
    assert rel_err(A1, a1_ref) < RTOL[dtype]
    assert rel_err(out, y_hat_ref) < RTOL[dtype]

    Z2 = np.empty((n, k), dtype)
    _core.forward_pass_logits(X, W1, b1, W2, b2, A1, Z2)
    assert rel_err(Z2, z2_ref) < RTOL[dtype]
    # outputs() turns the logits into exactly what forward_pass returned.
    _core.outputs(Z2)
    np.testing.assert_array_equal(Z2, out)


@pytest.mark.parametrize("dtype,k,shape", CASES)
def test_loss_and_gradients_match_reference(dtype, k, shape):
    n, d, h = shape
    (X, W1, b1, W2, b2), (Xe, W1e, b1e, W2e, b2e), y = make_problem(n, d, h, k, dtype, seed=3 * sum(shape) + k)
    A1, Z2, G = buffers(n, h, k, dtype)
    gW1, gb1, gW2, gb2 = grads_like([W1, b1, W2, b2])
    loss, correct = _core.backprop(X, y, W1, b1, W2, b2, A1, Z2, G, gW1, gb1, gW2, gb2)

    loss_ref, (gW1_ref, gW2_ref), (gb1_ref, gb2_ref), _ = reference.backprop(Xe, y, [W1e, W2e], [b1e, b2e])
    assert rel_err(loss, loss_ref) < RTOL[dtype]
    assert rel_err(gW1, gW1_ref) < RTOL[dtype]
    assert rel_err(gb1, gb1_ref) < RTOL[dtype]
    assert rel_err(gW2, gW2_ref) < RTOL[dtype]
    assert rel_err(gb2, gb2_ref) < RTOL[dtype]
    assert correct == int(np.sum(reference.predict(Xe, [W1e, W2e], [b1e, b2e]) == y))
    # The parameters themselves are left alone by backprop.
    np.testing.assert_array_equal(W1, W1e.astype(dtype))
    np.testing.assert_array_equal(W2, W2e.astype(dtype))


@pytest.mark.parametrize("dtype,k,shape", CASES)
def test_loss_from_logits_matches_reference(dtype, k, shape):
    n, d, h = shape
    (X, W1, b1, W2, b2), (Xe, W1e, b1e, W2e, b2e), y = make_problem(n, d, h, k, dtype, seed=5 * sum(shape) + k)
    A1, Z2, _ = buffers(n, h, k, dtype)
    _core.forward_pass_logits(X, W1, b1, W2, b2, A1, Z2)
    z2 = Z2.astype(np.float64)
    loss, correct = _core.loss_and_deltas(Z2, y)
    assert rel_err(loss, reference.loss(z2, y)) < RTOL[dtype]
    # Z2 now holds delta2 = (y_hat - y) / n.
    y_hat = reference.sigmoid(z2) if k == 1 else reference.softmax(z2)
    assert rel_err(Z2, (y_hat - reference.one_hot(y, k)) / n) < RTOL[dtype]
    predicted = (y_hat[:, 0] >= 0.5).astype(int) if k == 1 else y_hat.argmax(axis=1)
    assert correct == int(np.sum(predicted == y))


@pytest.mark.parametrize("dtype,k,shape", CASES)
def test_train_step_matches_reference(dtype, k, shape):
    n, d, h = shape
    (X, W1, b1, W2, b2), (Xe, W1e, b1e, W2e, b2e), y = make_problem(n, d, h, k, dtype, seed=7 * sum(shape) + k)
    lr = 0.7
    A1, Z2, G = buffers(n, h, k, dtype)
    grads = grads_like([W1, b1, W2, b2])
    loss, _ = _core.train_step(X, y, W1, b1, W2, b2, A1, Z2, G, *grads, np.dtype(dtype).type(lr))

    coefs, intercepts = [W1e.copy(), W2e.copy()], [b1e.copy(), b2e.copy()]
    loss_ref = reference.train_step(Xe, y, coefs, intercepts, lr)
    assert rel_err(loss, loss_ref) < RTOL[dtype]
    # Compare the step taken (new - old), not just the new weights, which are mostly the old ones.
    for new, old, new_ref in zip(
        (W1, b1, W2, b2), (W1e, b1e, W2e, b2e), (coefs[0], intercepts[0], coefs[1], intercepts[1])
    ):
        assert new.dtype == np.dtype(dtype)
        assert rel_err(new.astype(np.float64) - old, new_ref - old) < 10 * RTOL[dtype]
        assert rel_err(new, new_ref) < RTOL[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [1, 10])
def test_repeated_steps_follow_reference(dtype, k):
    """Ten steps with reused buffers (as the trainer does) stay on the reference's trajectory."""
    n, d, h = 50, 30, 12
    (X, W1, b1, W2, b2), (Xe, W1e, b1e, W2e, b2e), y = make_problem(n, d, h, k, dtype, seed=11 + k)
    A1, Z2, G = buffers(n, h, k, dtype)
    grads = grads_like([W1, b1, W2, b2])
    coefs, intercepts = [W1e.copy(), W2e.copy()], [b1e.copy(), b2e.copy()]
    for _ in range(10):
        loss, _ = _core.train_step(X, y, W1, b1, W2, b2, A1, Z2, G, *grads, np.dtype(dtype).type(0.5))
        loss_ref = reference.train_step(Xe, y, coefs, intercepts, 0.5)
        assert rel_err(loss, loss_ref) < 10 * RTOL[dtype]
    assert rel_err(W1, coefs[0]) < 10 * RTOL[dtype]
    assert rel_err(W2, coefs[1]) < 10 * RTOL[dtype]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_homework_scale_inputs_match_reference(dtype):
    """Raw 0..255 pixels with the homework's N(0, 0.01) weights: the regime of the reference run."""
    rng = np.random.default_rng(0)
    n, h = 40, 24
    X = np.ascontiguousarray(rng.integers(0, 256, (n, 784)), dtype=dtype)
    y = rng.integers(0, 10, n).astype(np.int32)
    (W1, W2), (b1, b2) = reference.init_params(784, h, 10, seed=3, dtype=dtype)
    A1, Z2, G = buffers(n, h, 10, dtype)
    grads = grads_like([W1, b1, W2, b2])
    loss, _ = _core.backprop(X, y, W1, b1, W2, b2, A1, Z2, G, *grads)
    e = [a.astype(np.float64) for a in (X, W1, b1, W2, b2)]
    loss_ref, (gW1, gW2), (gb1, gb2), _ = reference.backprop(e[0], y, [e[1], e[3]], [e[2], e[4]])
    assert rel_err(loss, loss_ref) < RTOL[dtype]
    for got, want in zip(grads, (gW1, gb1, gW2, gb2)):
        assert rel_err(got, want) < RTOL[dtype]


def test_mismatched_buffers_are_refused():
    """Wrong shapes are a ValueError before any memory is touched, never a crash."""
    (X, W1, b1, W2, b2), _, y = make_problem(5, 4, 3, 10, "float64", seed=1)
    with pytest.raises(ValueError):
        _core.forward_pass(X, W1, b1, W2, b2, np.empty((5, 4)), np.empty((5, 10)))
    with pytest.raises(ValueError):
        _core.forward_pass(X, W1.T.copy(), b1, W2, b2, np.empty((5, 3)), np.empty((5, 10)))
    bad_labels = y.copy()
    bad_labels[0] = 10
    with pytest.raises(ValueError):
        _core.backprop(
            X,
            bad_labels,
            W1,
            b1,
            W2,
            b2,
            np.empty((5, 3)),
            np.empty((5, 10)),
            np.empty((5, 3)),
            *grads_like([W1, b1, W2, b2]),
        )


def test_gather_rows_copies_the_indexed_rows():
    rng = np.random.default_rng(2)
    src = rng.normal(size=(20, 7)).astype(np.float32)
    index = rng.permutation(20)[:6].astype(np.intp)
    dst = np.zeros((8, 7), np.float32)
    _core.gather_rows(src, index, dst)
    np.testing.assert_array_equal(dst[:6], src[index])
    np.testing.assert_array_equal(dst[6:], 0)
    with pytest.raises(IndexError):
        _core.gather_rows(src, np.array([0, 20], np.intp), dst)
