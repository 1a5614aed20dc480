"""The course homework's NumPy network, as written, and a tidy float32 NumPy version of it.

Both train the multiclass 784 -> H sigmoid -> 10 softmax network by full-batch
gradient descent on the mean cross-entropy; one call of `epoch()` is one
epoch: forward pass, loss, backward pass, update.

`HomeworkNumpy` keeps the homework's own orientation and style: features x
samples (X is (784, N) float64, W1 (H, 784), b1 (H, 1)), a fresh temporary
for every expression, one-hot targets, `dW = dZ @ A.T / N`. It is the
baseline the speed targets are stated against, so it stays naive on purpose.

`TidyNumpy` is what a careful NumPy programmer would write: samples x
features float32, buffers allocated once, elementwise steps in place with
`out=`, the sigmoid's input clamped (float32 exp of -z for z around -100
overflows and takes a slow path), softmax gradient without a one-hot matrix.
"""

from __future__ import annotations

import numpy as np


def homework_init(n_inputs: int, hidden: int, n_outputs: int, seed: int):
    """W1 (hidden, n_inputs), b1 (hidden, 1), W2 (n_outputs, hidden), b2 (n_outputs, 1), N(0, 0.01)."""
    rng = np.random.RandomState(seed)
    W1 = rng.normal(0.0, 0.01, (hidden, n_inputs))
    W2 = rng.normal(0.0, 0.01, (n_outputs, hidden))
    b1 = np.zeros((hidden, 1))
    b2 = np.zeros((n_outputs, 1))
    return W1, b1, W2, b2


# --- the homework, as written ------------------------------------------------


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def one_hot(y, n_classes):
    Y = np.zeros((n_classes, y.shape[0]))
    Y[y, np.arange(y.shape[0])] = 1
    return Y


def forward(X, W1, b1, W2, b2):
    Z1 = W1 @ X + b1
    A1 = sigmoid(Z1)
    Z2 = W2 @ A1 + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def compute_loss(A2, Y):
    N = Y.shape[1]
    return -np.sum(Y * np.log(A2 + 1e-12)) / N


def backward(X, Y, A1, A2, W2):
    N = X.shape[1]
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / N
    db2 = np.sum(dZ2, axis=1, keepdims=True) / N
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * A1 * (1 - A1)
    dW1 = dZ1 @ X.T / N
    db1 = np.sum(dZ1, axis=1, keepdims=True) / N
    return dW1, db1, dW2, db2


class HomeworkNumpy:
    """The homework's training loop, one epoch per `epoch()` call (float64)."""

    name = "homework NumPy f64"

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        hidden: int = 256,
        lr: float = 0.1,
        scale: str = "raw",
        seed: int = 3,
        n_classes: int = 10,
    ):
        X = images.reshape(images.shape[0], -1).T.astype(np.float64)  # (784, N)
        if scale == "unit":
            X = X / 255
        self.X = np.ascontiguousarray(X)
        self.Y = one_hot(labels, n_classes)
        self.lr = lr
        self.W1, self.b1, self.W2, self.b2 = homework_init(self.X.shape[0], hidden, n_classes, seed)

    def epoch(self) -> float:
        Z1, A1, Z2, A2 = forward(self.X, self.W1, self.b1, self.W2, self.b2)
        loss = compute_loss(A2, self.Y)
        dW1, db1, dW2, db2 = backward(self.X, self.Y, A1, A2, self.W2)
        self.W1 = self.W1 - self.lr * dW1
        self.b1 = self.b1 - self.lr * db1
        self.W2 = self.W2 - self.lr * dW2
        self.b2 = self.b2 - self.lr * db2
        return float(loss)


# --- tidy float32 ---------------------------------------------------------------


class TidyNumpy:
    """Samples x features, preallocated buffers, in-place elementwise steps (float32 by default)."""

    name = "tidy NumPy f32"
    CLAMP = 60.0  # sigmoid(+-60) is 0 or 1 in float32 already; beyond, exp overflows slowly

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        hidden: int = 256,
        lr: float = 0.1,
        scale: str = "raw",
        seed: int = 3,
        n_classes: int = 10,
        dtype=np.float32,
    ):
        dt = np.dtype(dtype)
        n = images.shape[0]
        X = images.reshape(n, -1).astype(dt)
        if scale == "unit":
            X /= dt.type(255)
        self.X = X  # (N, 784)
        self.y = np.asarray(labels, np.intp)
        self.rows = np.arange(n)
        self.lr = dt.type(lr)
        W1, b1, W2, b2 = homework_init(X.shape[1], hidden, n_classes, seed)
        self.W1 = np.ascontiguousarray(W1.T, dt)  # (784, H)
        self.b1 = b1[:, 0].astype(dt)
        self.W2 = np.ascontiguousarray(W2.T, dt)  # (H, K)
        self.b2 = b2[:, 0].astype(dt)
        self.A1 = np.empty((n, hidden), dt)
        self.G = np.empty((n, hidden), dt)
        self.Z2 = np.empty((n, n_classes), dt)
        self.m = np.empty((n, 1), dt)
        self.s = np.empty((n, 1), dt)
        self.dW1 = np.empty_like(self.W1)
        self.dW2 = np.empty_like(self.W2)

    def epoch(self) -> float:
        X, A1, G, Z2, m, s = self.X, self.A1, self.G, self.Z2, self.m, self.s
        n = X.shape[0]
        # A1 = sigmoid(X W1 + b1), in place
        np.matmul(X, self.W1, out=A1)
        A1 += self.b1
        np.clip(A1, -self.CLAMP, self.CLAMP, out=A1)
        np.negative(A1, out=A1)
        np.exp(A1, out=A1)
        A1 += 1
        np.reciprocal(A1, out=A1)
        # Z2 = A1 W2 + b2; softmax in place; loss from the log-sum-exp
        np.matmul(A1, self.W2, out=Z2)
        Z2 += self.b2
        np.max(Z2, axis=1, keepdims=True, out=m)
        Z2 -= m
        true_logit = Z2[self.rows, self.y]
        np.exp(Z2, out=Z2)
        np.sum(Z2, axis=1, keepdims=True, out=s)
        loss = float(np.mean(np.log(s[:, 0]) - true_logit))
        # delta2 = (softmax - onehot) / n, stored in Z2
        Z2 /= s
        Z2[self.rows, self.y] -= 1
        Z2 *= 1 / n
        # dW2 = A1^T delta2 first: A1 is overwritten below
        np.matmul(A1.T, Z2, out=self.dW2)
        # G = -delta1 = (delta2 W2^T) * A1 * (A1 - 1)
        np.matmul(Z2, self.W2.T, out=G)
        G *= A1
        A1 -= 1
        G *= A1
        np.matmul(X.T, G, out=self.dW1)  # -dW1
        self.dW1 *= self.lr
        self.W1 += self.dW1
        self.b1 += self.lr * G.sum(axis=0)
        self.dW2 *= self.lr
        self.W2 -= self.dW2
        self.b2 -= self.lr * Z2.sum(axis=0)
        return loss
