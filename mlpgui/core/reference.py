"""The network's math in plain NumPy: the oracle the compiled core is tested against.

Same layout and names as the core (one sample per row; W1 (784, h), W2 (h, k))
and the same formulas, written the obvious way with temporaries, including
the homework's weight initialisation. Only tests import this module (an
import-linter contract in pyproject.toml keeps it so): production code has
its own implementation of everything here, and the tests compare the two.
"""

from __future__ import annotations

import numpy as np


def init_params(n_inputs: int, hidden: int, n_outputs: int, seed: int, dtype="float64"):
    """The homework's initial weights, transposed into the row-per-sample layout.

    rng = RandomState(seed); W1 = rng.normal(0, 0.01, (hidden, n_inputs)) first,
    then W2 = rng.normal(0, 0.01, (n_outputs, hidden)); biases zero. Returned
    as coefs [W1.T, W2.T] and intercepts [b1, b2], C-contiguous, in `dtype`.
    """
    rng = np.random.RandomState(seed)
    w1 = rng.normal(0.0, 0.01, (hidden, n_inputs))
    w2 = rng.normal(0.0, 0.01, (n_outputs, hidden))
    coefs = [np.ascontiguousarray(w1.T, dtype=dtype), np.ascontiguousarray(w2.T, dtype=dtype)]
    intercepts = [np.zeros(hidden, dtype), np.zeros(n_outputs, dtype)]
    return coefs, intercepts


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward_pass(X, coefs, intercepts):
    """activations [X, A1, y_hat] and the output logits Z2."""
    a1 = sigmoid(X @ coefs[0] + intercepts[0])
    z2 = a1 @ coefs[1] + intercepts[1]
    y_hat = sigmoid(z2) if z2.shape[1] == 1 else softmax(z2)
    return [X, a1, y_hat], z2


def one_hot(y, n_outputs):
    if n_outputs == 1:
        return y.reshape(-1, 1).astype(float)
    t = np.zeros((len(y), n_outputs))
    t[np.arange(len(y)), y] = 1.0
    return t


def loss(z2, y):
    """Mean binary cross-entropy (one output) or cross-entropy (several), from the logits."""
    if z2.shape[1] == 1:
        z = z2[:, 0]
        return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    m = z2.max(axis=1)
    lse = m + np.log(np.exp(z2 - m[:, None]).sum(axis=1))
    return np.mean(lse - z2[np.arange(len(y)), y])


def backprop(X, y, coefs, intercepts):
    """(loss, coef_grads, intercept_grads, activations) of the mean loss."""
    activations, z2 = forward_pass(X, coefs, intercepts)
    a1, y_hat = activations[1], activations[2]
    n = X.shape[0]
    delta2 = (y_hat - one_hot(y, y_hat.shape[1])) / n
    delta1 = (delta2 @ coefs[1].T) * a1 * (1 - a1)
    coef_grads = [X.T @ delta1, a1.T @ delta2]
    intercept_grads = [delta1.sum(axis=0), delta2.sum(axis=0)]
    return loss(z2, y), coef_grads, intercept_grads, activations


def train_step(X, y, coefs, intercepts, lr):
    """One full-batch gradient-descent step in place; returns the loss before it."""
    value, coef_grads, intercept_grads, _ = backprop(X, y, coefs, intercepts)
    for p, g in zip(coefs + intercepts, coef_grads + intercept_grads):
        p -= lr * g
    return value


def predict(X, coefs, intercepts):
    y_hat = forward_pass(X, coefs, intercepts)[0][2]
    return (y_hat[:, 0] >= 0.5).astype(int) if y_hat.shape[1] == 1 else y_hat.argmax(axis=1)
