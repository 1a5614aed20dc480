"""The trained network: parameters, config and inference through the compiled core.

`Network` is what a model file holds, what the draw pad predicts with and
what the evaluation views inspect. Its arrays use the row-per-sample layout:
W1 (784, h), b1 (h,), W2 (h, k), b2 (k,), with k = 1 (binary) or 10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _core
from .config import TrainConfig
from .reference import init_params
from .tasks import N_PIXELS, scale_images

CHUNK = 4096  # samples per compiled forward call: bounds the temporary buffers


@dataclass
class Network:
    config: TrainConfig
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    epochs_trained: int = 0

    @classmethod
    def initial(cls, config: TrainConfig) -> "Network":
        """The untrained network with the homework's seeded N(0, 0.01) weights."""
        (W1, W2), (b1, b2) = init_params(N_PIXELS, config.hidden, config.n_outputs, config.seed, config.dtype)
        return cls(config, W1, b1, W2, b2)

    @property
    def dtype(self):
        return self.W1.dtype

    @property
    def hidden(self) -> int:
        return self.W1.shape[1]

    @property
    def classes(self) -> tuple[int, ...]:
        return self.config.classes

    def params(self):
        return [self.W1, self.b1, self.W2, self.b2]

    def copy(self) -> "Network":
        return Network(self.config, self.W1.copy(), self.b1.copy(), self.W2.copy(), self.b2.copy(),
                       self.epochs_trained)

    def assign(self, other: "Network") -> None:
        """Copy other's parameters into this network's arrays (same shapes)."""
        for mine, theirs in zip(self.params(), other.params()):
            mine[...] = theirs
        self.epochs_trained = other.epochs_trained

    def is_finite(self) -> bool:
        return all(np.isfinite(p).all() for p in self.params())

    def forward(self, X: np.ndarray, want_hidden: bool = False):
        """y_hat (n, k) for scaled inputs X (n, 784); with want_hidden also A1 (n, h)."""
        X = np.ascontiguousarray(X, dtype=self.dtype).reshape(-1, N_PIXELS)
        n, k = len(X), self.W2.shape[1]
        out = np.empty((n, k), self.dtype)
        hidden = np.empty((n, self.hidden), self.dtype) if want_hidden else None
        a1 = np.empty((min(CHUNK, max(n, 1)), self.hidden), self.dtype)
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            part = a1[: stop - start]
            _core.forward_pass(X[start:stop], self.W1, self.b1, self.W2, self.b2, part, out[start:stop])
            if want_hidden:
                hidden[start:stop] = part
        return (out, hidden) if want_hidden else out

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (n, n_classes): for binary the columns are [P(a), P(b)]."""
        y_hat = self.forward(X).astype(np.float64)
        if y_hat.shape[1] == 1:
            return np.hstack([1.0 - y_hat, y_hat])
        return y_hat

    def predict(self, X: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """Labels 0..k-1: binary y_hat >= threshold means label 1; otherwise argmax."""
        y_hat = self.forward(X)
        if y_hat.shape[1] == 1:
            return (y_hat[:, 0] >= threshold).astype(np.int32)
        return y_hat.argmax(axis=1).astype(np.int32)

    def predict_images(self, images: np.ndarray) -> np.ndarray:
        """predict_proba for uint8 images (n, 28, 28), scaled as the training inputs were.

        Scaled a chunk at a time, so 60,000 images never exist as floats at once.
        """
        images = np.asarray(images).reshape(-1, N_PIXELS)
        if len(images) <= CHUNK:
            return self.predict_proba(scale_images(images, self.config.scale, self.dtype))
        return np.concatenate([
            self.predict_proba(scale_images(images[i:i + CHUNK], self.config.scale, self.dtype))
            for i in range(0, len(images), CHUNK)])

    def labels_for_images(self, images: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """Predicted labels 0..k-1 for uint8 images (binary: P(b) >= threshold means label 1)."""
        proba = self.predict_images(images)
        if proba.shape[1] == 2 and self.W2.shape[1] == 1:
            return (proba[:, 1] >= threshold).astype(np.int32)
        return proba.argmax(axis=1).astype(np.int32)

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(X) == y))
