"""Softmax, sigmoid and both losses when the outputs saturate.

Raw 0..255 pixels push logits far out, and a large learning rate further. The
core must stay finite and correct there: softmax subtracts the row maximum,
the losses are computed from the logits, and the binary delta2 is y_hat - y
itself (never (y_hat - y) / (y_hat (1 - y_hat)) * sigmoid'(z), which is 0/0
once the sigmoid saturates). The expected values are computed the stable way
in float64 (scipy.special), independently of the core.
"""

import numpy as np
import pytest
from scipy.special import expit, logsumexp, softmax

from mlpgui import _core

# Logits far beyond exp's range for each type: exp(1e4) overflows float64, exp(100) float32.
BIG = {"float64": 1e4, "float32": 100.0}
# The core's sigmoid/softmax may return a tiny positive number instead of an
# underflowed 0 (it clamps exp's argument): harmless at this absolute size.
TINY = {"float64": 1e-300, "float32": 1e-30}
RTOL = {"float64": 1e-12, "float32": 1e-6}


def saturated_logits(k, dtype):
    b = BIG[dtype]
    if k == 1:
        return np.array([[b], [-b], [b], [-b], [0.0], [30.0], [-30.0]], dtype=dtype)
    rows = [
        [b, -b] + [0.0] * 8,
        [-b] * 9 + [b],
        [b, b] + [-b] * 8,  # a tie at the top
        [-b] * 10,  # all equal and very negative
        [b] * 10,  # all equal and very positive
        list(np.linspace(-b, b, 10)),
    ]
    return np.array(rows, dtype=dtype)


def labels_for(Z):
    n, k = Z.shape
    if k == 1:
        return np.array([0, 1, 1, 0, 1, 1, 0], np.int32)[:n]  # both right and badly wrong predictions
    return (np.arange(n) * 3 % 10).astype(np.int32)


def exact_loss(z, y):
    """Mean cross-entropy from float64 logits, the stable way."""
    if z.shape[1] == 1:
        # -log(sigmoid(z)) = softplus(-z) for y = 1, -log(1 - sigmoid(z)) = softplus(z) for y = 0.
        return float(np.mean(np.where(y == 1, np.logaddexp(0.0, -z[:, 0]), np.logaddexp(0.0, z[:, 0]))))
    return float(np.mean(logsumexp(z, axis=1) - z[np.arange(len(y)), y]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [1, 10])
def test_outputs_are_finite_and_exact_when_saturated(dtype, k):
    Z = saturated_logits(k, dtype)
    z = Z.astype(np.float64)
    expected = expit(z) if k == 1 else softmax(z, axis=1)
    _core.outputs(Z)
    assert np.isfinite(Z).all()
    assert (Z >= 0).all() and (Z <= 1).all()
    np.testing.assert_allclose(Z, expected, rtol=RTOL[dtype], atol=TINY[dtype])
    if k > 1:
        np.testing.assert_allclose(Z.sum(axis=1), 1.0, rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [1, 10])
def test_loss_is_finite_and_exact_when_saturated(dtype, k):
    Z = saturated_logits(k, dtype)
    y = labels_for(Z)
    expected = exact_loss(Z.astype(np.float64), y)
    loss, _ = _core.loss_and_deltas(Z, y)
    assert np.isfinite(loss)
    assert loss == pytest.approx(expected, rel=RTOL[dtype])
    assert np.isfinite(Z).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [1, 10])
def test_each_saturated_sample_has_its_exact_loss(dtype, k):
    """One sample at a time, so a wrong huge loss can't hide behind a right mean."""
    Z = saturated_logits(k, dtype)
    y = labels_for(Z)
    for i in range(len(y)):
        row = Z[i : i + 1].copy()
        loss, _ = _core.loss_and_deltas(row, y[i : i + 1])
        expected = exact_loss(Z[i : i + 1].astype(np.float64), y[i : i + 1])
        assert np.isfinite(loss)
        assert loss == pytest.approx(expected, rel=RTOL[dtype], abs=TINY[dtype]), f"sample {i}"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [1, 10])
def test_delta2_is_y_hat_minus_y_when_saturated(dtype, k):
    Z = saturated_logits(k, dtype)
    y = labels_for(Z)
    n = len(y)
    z = Z.astype(np.float64)
    if k == 1:
        expected = expit(z) - y[:, None]
    else:
        expected = softmax(z, axis=1)
        expected[np.arange(n), y] -= 1.0
    _core.loss_and_deltas(Z, y)  # Z := (y_hat - y) / n
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z * n, expected, rtol=RTOL[dtype], atol=1e-6 if dtype == "float32" else 1e-12)
    if k == 1:
        # A confidently wrong sigmoid gets the full-size push back, not 0/0 or 0.
        wrong = (np.abs(z[:, 0]) == BIG[dtype]) & ((z[:, 0] > 0) != (y == 1))
        assert wrong.sum() == 2
        np.testing.assert_array_equal(Z[wrong, 0] * n, np.sign(z[wrong, 0]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [1, 10])
def test_backprop_stays_finite_with_saturated_network(dtype, k):
    """Raw pixels and huge weights saturate every unit; gradients are finite (mostly exactly 0 where saturated)."""
    rng = np.random.default_rng(4)
    n, d, h = 20, 784, 16
    X = np.ascontiguousarray(rng.integers(0, 256, (n, d)), dtype=dtype)
    y = rng.integers(0, 2 if k == 1 else k, n).astype(np.int32)
    W1 = np.ascontiguousarray(rng.normal(0, 50.0, (d, h)), dtype=dtype)
    b1 = np.zeros(h, dtype)
    W2 = np.ascontiguousarray(rng.normal(0, BIG[dtype], (h, k)), dtype=dtype)
    b2 = np.zeros(k, dtype)
    A1, Z2, G = np.empty((n, h), dtype), np.empty((n, k), dtype), np.empty((n, h), dtype)
    grads = [np.empty_like(p) for p in (W1, b1, W2, b2)]
    loss, _ = _core.backprop(X, y, W1, b1, W2, b2, A1, Z2, G, *grads)
    assert np.isfinite(loss) and loss > 1.0  # saturated and mostly wrong: a large but finite loss
    for g in grads:
        assert np.isfinite(g).all()
