"""The same network in PyTorch (CPU, float32): the speed target mlpgui is measured against.

Written the way a PyTorch user writes it: parameters with requires_grad,
`sigmoid` hidden layer, `F.cross_entropy` on the logits (softmax + mean
cross-entropy), `loss.backward()`, `torch.optim.SGD`. Weights start from the
same arrays as ours, so both runs compute the same thing.

`TorchMLP.epoch()` is one full-batch epoch; `train_minibatch` runs the
`fast` preset's recipe (same batch size, learning rate, epochs, initial
weights and per-epoch shuffles as `mlpgui.core.training.Trainer`).
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F


def _params(W1, b1, W2, b2):
    """Leaf tensors (own copies) from row-layout arrays W1 (784, H), b1 (H,), W2 (H, K), b2 (K,)."""
    return [torch.tensor(np.asarray(a, np.float32), requires_grad=True) for a in (W1, b1, W2, b2)]


def _logits(X, W1, b1, W2, b2):
    return torch.sigmoid(X @ W1 + b1) @ W2 + b2


def _inputs(images: np.ndarray, scale: str) -> torch.Tensor:
    X = torch.from_numpy(images.reshape(images.shape[0], -1).astype(np.float32))
    if scale == "unit":
        X /= 255.0
    return X


class TorchMLP:
    """Full-batch gradient descent, one epoch (forward, loss, backward, update) per `epoch()`."""

    name = "PyTorch f32"

    def __init__(self, images, labels, W1, b1, W2, b2, lr: float = 0.1, scale: str = "raw"):
        self.X = _inputs(images, scale)
        self.y = torch.from_numpy(np.asarray(labels, np.int64))
        self.params = _params(W1, b1, W2, b2)
        self.opt = torch.optim.SGD(self.params, lr=lr)

    def epoch(self) -> float:
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(_logits(self.X, *self.params), self.y)
        loss.backward()
        self.opt.step()
        return float(loss.detach())


def accuracy(params, images, labels, scale: str) -> float:
    with torch.no_grad():
        predicted = _logits(_inputs(images, scale), *params).argmax(dim=1).numpy()
    return float(np.mean(predicted == labels))


def train_minibatch(
    train_images,
    train_labels,
    test_images,
    test_labels,
    W1,
    b1,
    W2,
    b2,
    *,
    lr: float,
    batch_size: int,
    epochs: int,
    seed: int,
    scale: str = "unit",
):
    """Mini-batch SGD with Trainer's shuffles; returns (training seconds, test accuracy).

    The clock covers the training loop only (inputs converted beforehand, test
    set evaluated afterwards), as Trainer.elapsed does.
    """
    X = _inputs(train_images, scale)
    y = torch.from_numpy(np.asarray(train_labels, np.int64))
    params = _params(W1, b1, W2, b2)
    opt = torch.optim.SGD(params, lr=lr)
    shuffle = np.random.RandomState(seed + 1)  # Trainer's shuffle stream
    n = len(y)
    elapsed = 0.0
    for _ in range(epochs):
        t0 = time.perf_counter()
        order = torch.from_numpy(shuffle.permutation(n).astype(np.int64))
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(_logits(X[index], *params), y[index])
            loss.backward()
            opt.step()
        elapsed += time.perf_counter() - t0
    return elapsed, accuracy(params, test_images, test_labels, scale)
