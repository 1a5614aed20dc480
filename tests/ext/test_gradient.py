"""Central-difference gradient check of the compiled core (float64, both heads).

Independent of the NumPy reference: the analytic gradients `_core.backprop`
returns must be the derivatives of the loss it returns, for every entry of
W1, b1, W2 and b2 (scikit-learn's `test_mlp.py::test_gradient` idea).
"""

import numpy as np
import pytest

from mlpgui import _core

EPS = 1e-6


def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params
    n, h, k = X.shape[0], W1.shape[1], W2.shape[1]
    A1, Z2, G = np.empty((n, h)), np.empty((n, k)), np.empty((n, h))
    grads = [np.empty_like(p) for p in params]
    loss, _ = _core.backprop(X, y, W1, b1, W2, b2, A1, Z2, G, *grads)
    return loss, grads


@pytest.mark.parametrize("k", [1, 10], ids=["binary-sigmoid", "multiclass-softmax"])
@pytest.mark.parametrize("n", [1, 9])
def test_backprop_matches_central_differences(k, n):
    rng = np.random.default_rng(100 + k + n)
    d, h = 6, 5
    X = rng.uniform(0.0, 1.0, (n, d))
    y = rng.integers(0, 2 if k == 1 else k, n).astype(np.int32)
    params = [rng.normal(0, 1.0, (d, h)), rng.normal(0, 0.5, h), rng.normal(0, 1.0, (h, k)), rng.normal(0, 0.5, k)]

    _, analytic = loss_and_grads(X, y, params)
    for name, p, g in zip(("W1", "b1", "W2", "b2"), params, analytic):
        numeric = np.empty_like(p)
        for idx in np.ndindex(p.shape):
            saved = p[idx]
            p[idx] = saved + EPS
            plus, _ = loss_and_grads(X, y, params)
            p[idx] = saved - EPS
            minus, _ = loss_and_grads(X, y, params)
            p[idx] = saved
            numeric[idx] = (plus - minus) / (2 * EPS)
        assert np.abs(numeric).max() > 1e-4, f"{name}: gradient too small to be a meaningful check"
        error = np.linalg.norm(numeric - g) / np.linalg.norm(numeric + g)
        assert error < 1e-6, f"{name}: relative error {error:.2e} between backprop and central differences"
