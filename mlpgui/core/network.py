"""The trained network: parameters, config and inference through the compiled core.

`Network` is what a model file holds, what the draw pad predicts with and
what the evaluation views inspect. Its arrays use the row-per-sample layout:
W1 (784, h), b1 (h,), W2 (h, k), b2 (k,), with k = 1 (binary) or 10.

Inference has one path: every forward pass goes CHUNK rows at a time
through the compiled kernel (`_chunks`); `proba_and_loss` turns its logits
into class probabilities (and, given labels, the mean loss) and
`labels_from_proba` turns probabilities into labels. `predict_proba`,
`predict`, `predict_images`, `hidden_activations` and `metrics.Evaluation`
all go through these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _core
from .config import TrainConfig
from .tasks import N_PIXELS, scale_images

CHUNK = 4096  # samples per compiled forward call: bounds the temporary buffers
INIT_STD = 0.01  # the homework's N(0, 0.01) initial weights


def initial_params(hidden: int, n_outputs: int, seed: int, dtype) -> tuple[np.ndarray, ...]:
    """The homework's initial (W1, b1, W2, b2) in the row-per-sample layout.

    The homework draws, from RandomState(seed), W1 (hidden, 784) first and
    then W2 (n_outputs, hidden), both N(0, 0.01), with zero biases; the same
    numbers, transposed, so a seed gives the course's run.
    """
    rng = np.random.RandomState(seed)
    W1 = rng.normal(0.0, INIT_STD, (hidden, N_PIXELS))
    W2 = rng.normal(0.0, INIT_STD, (n_outputs, hidden))
    return (
        np.ascontiguousarray(W1.T, dtype=dtype),
        np.zeros(hidden, dtype),
        np.ascontiguousarray(W2.T, dtype=dtype),
        np.zeros(n_outputs, dtype),
    )


def labels_from_proba(proba: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Labels 0..K-1 from (n, K) probabilities: binary P(b) >= threshold means label 1; otherwise the argmax."""
    proba = np.asarray(proba)
    if proba.shape[1] == 2:
        return (proba[:, 1] >= threshold).astype(np.int32)
    return proba.argmax(axis=1).astype(np.int32)


@dataclass
class Network:
    config: TrainConfig
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    epochs_trained: int = 0

    @classmethod
    def initial(cls, config: TrainConfig) -> Network:
        """The untrained network with the homework's seeded N(0, 0.01) weights."""
        return cls(config, *initial_params(config.hidden, config.n_outputs, config.seed, config.dtype))

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

    def copy(self) -> Network:
        return Network(self.config, self.W1.copy(), self.b1.copy(), self.W2.copy(), self.b2.copy(), self.epochs_trained)

    def assign(self, other: Network) -> None:
        """Copy other's parameters into this network's arrays (same shapes)."""
        for mine, theirs in zip(self.params(), other.params(), strict=True):
            mine[...] = theirs
        self.epochs_trained = other.epochs_trained

    def is_finite(self) -> bool:
        return all(np.isfinite(p).all() for p in self.params())

    def _chunks(self, rows: np.ndarray, images: bool):
        """Yield (start, stop, A1, Z2) per CHUNK rows: hidden activations and output logits of the chunk.

        `rows` are scaled inputs (n, 784), or with images=True uint8 images
        scaled here a chunk at a time exactly as the training inputs were (so
        60,000 images never exist as floats at once). The buffers are reused:
        use them before the next chunk.
        """
        rows = np.asarray(rows).reshape(-1, N_PIXELS)
        n = len(rows)
        a1 = np.empty((min(CHUNK, max(n, 1)), self.hidden), self.dtype)
        z2 = np.empty((len(a1), self.W2.shape[1]), self.dtype)
        for start in range(0, n, CHUNK):
            stop = min(start + CHUNK, n)
            m = stop - start
            if images:
                X = scale_images(rows[start:stop], self.config.scale, self.dtype)
            else:
                X = np.ascontiguousarray(rows[start:stop], dtype=self.dtype)
            # Z2 = sigmoid(X @ W1 + b1) @ W2 + b2
            _core.forward_pass_logits(X, self.W1, self.b1, self.W2, self.b2, a1[:m], z2[:m])
            yield start, stop, a1[:m], z2[:m]

    def proba_and_loss(
        self, rows: np.ndarray, labels: np.ndarray | None = None, images: bool = False
    ) -> tuple[np.ndarray, float | None]:
        """Class probabilities (n, n_classes) float64 and, given labels 0..K-1, the mean loss.

        `rows` are scaled inputs (n, 784), or with images=True uint8 images
        (n, 28, 28). Binary columns are [P(a), P(b)]. The loss is computed
        from the logits by the training kernel, so it is the training loss and
        stays finite where log(y_hat) would not; None without labels.
        """
        n = len(np.asarray(rows).reshape(-1, N_PIXELS))
        if labels is not None:
            labels = np.ascontiguousarray(labels, dtype=np.int32)
            if labels.shape != (n,):
                raise ValueError(f"{len(labels)} labels for {n} samples")
        proba = np.empty((n, len(self.classes)), np.float64)
        total = 0.0
        for start, stop, _, z2 in self._chunks(rows, images):
            if labels is not None:
                loss, _ = _core.loss_and_deltas(z2.copy(), labels[start:stop])
                total += loss * (stop - start)
            _core.outputs(z2)  # logits -> y_hat in place: sigmoid (binary) or softmax
            if z2.shape[1] == 1:
                proba[start:stop, 1] = z2[:, 0]
                proba[start:stop, 0] = 1.0 - proba[start:stop, 1]
            else:
                proba[start:stop] = z2
        if labels is None:
            return proba, None
        return proba, (total / n if n else float("nan"))

    def hidden_activations(self, rows: np.ndarray, images: bool = False) -> np.ndarray:
        """A1 (n, h) float64: every hidden unit's activation for each input (see proba_and_loss for rows)."""
        rows = np.asarray(rows)
        hidden = np.empty((len(rows.reshape(-1, N_PIXELS)), self.hidden), np.float64)
        for start, stop, a1, _ in self._chunks(rows, images):
            hidden[start:stop] = a1
        return hidden

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (n, n_classes) of scaled inputs X: for binary the columns are [P(a), P(b)]."""
        return self.proba_and_loss(X)[0]

    def predict_images(self, images: np.ndarray) -> np.ndarray:
        """predict_proba for uint8 images (n, 28, 28), scaled as the training inputs were."""
        return self.proba_and_loss(images, images=True)[0]

    def predict(self, X: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """Labels 0..k-1 of scaled inputs X (binary: P(b) >= threshold means label 1)."""
        return labels_from_proba(self.predict_proba(X), threshold)
