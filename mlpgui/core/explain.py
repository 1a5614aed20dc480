"""Why did the network guess this? Saliency, hidden-unit contributions and one gradient step, for one image.

Everything here is about a single 28x28 image and is computed in float64
from the network's own parameters, through the compiled kernels that train
(`_core.forward_pass_logits` for the forward pass, `_core.train_step` for
one step), with the image scaled as the network's training inputs were
(`tasks.scale_images`).

Images are uint8 pixels 0..255 as in the MNIST files, or floats 0..1 ink as
`drawing.preprocess_digit` returns them (a float f stands for pixel 255 f).
A "class" is a digit the network knows: 0..9, or for a binary network one of
its two digits (a, b). The binary network has one output z = the log-odds of
b, so the logit of b is z and that of a is -z; P(b) = sigmoid(z), P(a) = 1 - P(b).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _core
from .network import Network
from .tasks import N_PIXELS, scale_images

OF = ("probability", "logit")


# -- the image and the forward pass -----------------------------------------------


def pixels(image) -> np.ndarray:
    """The (28, 28) float64 pixel values 0..255 of a uint8 image or of float 0..1 ink."""
    a = np.asarray(image)
    if a.shape != (28, 28):
        raise ValueError(f"expected a 28x28 image, got shape {a.shape}")
    if a.dtype == np.uint8:
        return a.astype(np.float64)
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"expected uint8 pixels or float 0..1 ink, got {a.dtype}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError("the image holds NaN or infinite values")
    if a.min() < 0.0 or a.max() > 1.0:
        raise ValueError("float images are ink from 0 to 1 (pass uint8 for pixel values 0..255)")
    return 255.0 * a


def _params64(network: Network) -> tuple[np.ndarray, ...]:
    return tuple(np.ascontiguousarray(p, dtype=np.float64) for p in network.params())


def _pixel_slope(network: Network) -> float:
    """d(scaled input)/d(pixel value): scaling is linear, 1 for raw pixels and 1/255 for unit."""
    return float(scale_images(np.ones((28, 28)), network.config.scale, np.float64)[0, 0])


@dataclass(frozen=True)
class _Forward:
    x: np.ndarray  # (784,) scaled input
    a1: np.ndarray  # (h,) hidden activations
    z2: np.ndarray  # (k,) output logits
    params: tuple  # float64 (W1, b1, W2, b2)


def _forward(network: Network, image) -> _Forward:
    """One float64 forward pass of the compiled kernel over the image, scaled as in training."""
    params = _params64(network)
    x = scale_images(pixels(image), network.config.scale, np.float64)  # (1, 784)
    a1 = np.empty((1, network.hidden))
    z2 = np.empty((1, params[2].shape[1]))
    _core.forward_pass_logits(x, *params, a1, z2)
    return _Forward(x[0], a1[0], z2[0], params)


def _class_index(network: Network, digit: int | None, z2: np.ndarray) -> int:
    """The label 0..K-1 of `digit` (None: the network's guess)."""
    classes = tuple(network.classes)
    if digit is None:
        if len(classes) == 2:
            return int(z2[0] >= 0.0)  # P(b) >= 0.5, as labels_from_proba decides
        return int(np.argmax(z2))
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or int(digit) not in classes:
        raise ValueError(f"{digit!r} is not one of this model's digits {classes}")
    return classes.index(int(digit))


def _output_probabilities(z2: np.ndarray) -> np.ndarray:
    """(K,) class probabilities from the logits: binary [P(a), P(b)], else the softmax."""
    if len(z2) == 1:
        pb = 0.5 * (1.0 + np.tanh(0.5 * z2[0]))  # sigmoid, without overflow
        return np.array([1.0 - pb, pb])
    e = np.exp(z2 - z2.max())
    return e / e.sum()


def _logit_direction(network: Network, label: int, probs: np.ndarray, of: str) -> np.ndarray:
    """d(class `label`'s probability or logit)/d(z2), a (k,) vector."""
    k = network.W2.shape[1]
    if k == 1:
        sign = 1.0 if label == 1 else -1.0  # the logit of a is -z; P(a) = 1 - P(b)
        scale = 1.0 if of == "logit" else probs[0] * probs[1]
        return np.array([sign * scale])
    if of == "logit":
        g = np.zeros(k)
        g[label] = 1.0
        return g
    g = -probs[label] * probs
    g[label] += probs[label]
    return g


# -- saliency --------------------------------------------------------------------------


@dataclass(frozen=True)
class Saliency:
    """How each pixel moves one class's probability (or logit): the gradient over the image.

    grad[r, c] is the change of the target per unit of pixel value (0..255
    scale); positive means more ink there raises the target.
    """

    image: np.ndarray  # (28, 28) float64 pixel values 0..255 explained
    target: int  # the class digit
    of: str  # "probability" or "logit"
    grad: np.ndarray  # (28, 28) float64
    value: float  # the target's probability or logit at the image
    guess: int  # the network's guess (a digit)


def saliency(network: Network, image, target_class: int | None = None, of: str = "probability") -> Saliency:
    """The gradient of `target_class`'s probability (or logit) with respect to every pixel.

    target_class None explains the guess. Backpropagation from the output:
    d/dx = W1 (a1 (1 - a1) * (W2 g)), g = d(target)/d(z2), times d(input)/d(pixel).
    """
    if of not in OF:
        raise ValueError(f"of must be one of {OF}, not {of!r}")
    f = _forward(network, image)
    W1, _, W2, _ = f.params
    probs = _output_probabilities(f.z2)
    label = _class_index(network, target_class, f.z2)
    g2 = _logit_direction(network, label, probs, of)
    g1 = (W2 @ g2) * f.a1 * (1.0 - f.a1)
    grad = (W1 @ g1) * _pixel_slope(network)
    if of == "probability":
        value = float(probs[label])
    else:
        value = float(f.z2[0] if label == 1 else -f.z2[0]) if len(f.z2) == 1 else float(f.z2[label])
    classes = network.classes
    return Saliency(
        pixels(image),
        classes[label],
        of,
        grad.reshape(28, 28),
        value,
        classes[_class_index(network, None, f.z2)],
    )


# -- contributions of the hidden units --------------------------------------------------------


@dataclass(frozen=True)
class Contributions:
    """What each hidden unit adds to one class's logit: activation x outgoing weight.

    sum(values) + bias == logit. For a binary network the logit of b is the
    output z and that of a is -z, so a's contributions are b's negated.
    """

    target: int  # the class digit
    logit: float
    bias: float  # the output bias of the target's logit (b2[k]; binary a: -b2[0])
    units: np.ndarray  # top unit indices by |contribution|, largest first
    values: np.ndarray  # (h,) float64: a1[j] * W2[j, k] (with the sign for binary a)
    activations: np.ndarray  # (h,) float64 a1
    guess: int  # the network's guess (a digit)


def contributions(network: Network, image, target_class: int | None = None, top: int = 8) -> Contributions:
    """The hidden units that carry `target_class`'s logit (None: the guess), strongest `top` first."""
    f = _forward(network, image)
    _, _, W2, b2 = f.params
    label = _class_index(network, target_class, f.z2)
    if W2.shape[1] == 1:
        sign = 1.0 if label == 1 else -1.0
        values, bias, logit = sign * f.a1 * W2[:, 0], sign * b2[0], sign * f.z2[0]
    else:
        values, bias, logit = f.a1 * W2[:, label], b2[label], f.z2[label]
    units = np.argsort(-np.abs(values), kind="stable")[: max(0, min(top, len(values)))]
    classes = network.classes
    return Contributions(
        classes[label], float(logit), float(bias), units, values, f.a1, classes[_class_index(network, None, f.z2)]
    )


# -- one sample, one step ---------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One quantity of the forward or backward pass, in the course's notation."""

    name: str  # what it is, in words
    symbol: str  # the course's symbol, e.g. "z1 = x W1 + b1"
    shape: tuple[int, ...]
    values_preview: np.ndarray  # the first few values (float64)
    norm: float  # Euclidean (Frobenius) norm
    values: np.ndarray  # all of it, float64
    phase: str  # "forward" or "backward"


PREVIEW = 6  # values shown per stage


def _stage(name: str, symbol: str, values, phase: str) -> Stage:
    v = np.asarray(values, np.float64)
    return Stage(name, symbol, v.shape, v.ravel()[:PREVIEW].copy(), float(np.linalg.norm(v)), v, phase)


@dataclass(frozen=True)
class OneStep:
    """One sample through the network and back, and what one gradient-descent step does to its loss."""

    label: int  # the true digit
    lr: float
    stages: tuple[Stage, ...]  # forward then backward
    loss: float  # before the step
    loss_after: float  # after one real step on this sample alone
    grads: tuple[np.ndarray, ...]  # (dW1, db1, dW2, db2), float64, from the compiled step
    grad_norms: dict[str, float]  # "W1", "b1", "W2", "b2" and "all"
    predicted_change: float  # -lr |grad|^2: the first-order change of the loss
    actual_change: float  # loss_after - loss

    @property
    def forward(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.phase == "forward")

    @property
    def backward(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.phase == "backward")


def _loss(z2: np.ndarray, label: int) -> float:
    """The training loss of one row of logits (the kernel's, so it is the trainer's own)."""
    loss, _ = _core.loss_and_deltas(np.array(z2, np.float64).reshape(1, -1), np.array([label], np.int32))
    return float(loss)


def one_step(network: Network, image, label: int, lr: float) -> OneStep:
    """The forward pass, backward pass and one gradient-descent step of `lr` on this one image.

    `label` is the image's true digit. The step is the trainer's own compiled
    `train_step` (float64, on this sample alone, so the 1/n of the mean loss
    is 1) applied to a copy of the weights, so the network is untouched; its
    gradients and deltas are the ones shown.
    """
    lr = float(lr)
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"the learning rate must be a positive number, not {lr}")
    f = _forward(network, image)
    y = np.array([_class_index(network, label, f.z2)], np.int32)
    params = f.params
    h, k = network.hidden, params[2].shape[1]
    X = f.x.reshape(1, N_PIXELS)
    A1, Z2, G = np.empty((1, h)), np.empty((1, k)), np.empty((1, h))
    grads = tuple(np.empty_like(p) for p in params)
    stepped = tuple(p.copy() for p in params)
    # The trainer's own step, on a copy: the loss before it, the gradients, and the deltas it leaves in A1 and Z2.
    loss, _ = _core.train_step(X, y, *stepped, A1, Z2, G, *grads, lr)
    delta2, delta1 = Z2[0].copy(), A1[0].copy()
    a1_after, z2_after = np.empty((1, h)), np.empty((1, k))
    _core.forward_pass_logits(X, *stepped, a1_after, z2_after)
    loss_after = _loss(z2_after[0], int(y[0]))

    y_hat = _output_probabilities(f.z2)
    y_hat = y_hat[1:] if k == 1 else y_hat
    target = y.astype(np.float64) if k == 1 else np.eye(k)[y[0]]  # y: 0/1, or one-hot
    output = "sigmoid(z2)" if k == 1 else "softmax(z2)"
    loss_name = "binary cross-entropy" if k == 1 else "cross-entropy"
    gW1, gb1, gW2, gb2 = grads
    stages = (
        _stage("input", "x", X, "forward"),
        _stage("hidden pre-activation", "z1 = x W1 + b1", X @ params[0] + params[1], "forward"),
        _stage("hidden activation", "a1 = sigmoid(z1)", f.a1.reshape(1, h), "forward"),
        _stage("output logits", "z2 = a1 W2 + b2", f.z2.reshape(1, k), "forward"),
        _stage("output", f"y_hat = {output}", y_hat.reshape(1, k), "forward"),
        _stage(loss_name, "L", np.array(loss), "forward"),
        _stage("target", "y", target.reshape(1, k), "backward"),
        _stage("output delta", "delta2 = y_hat - y", delta2.reshape(1, k), "backward"),
        _stage("output weight gradient", "dW2 = a1^T delta2", gW2, "backward"),
        _stage("output bias gradient", "db2 = delta2", gb2, "backward"),
        _stage("hidden delta", "delta1 = delta2 W2^T * a1 (1 - a1)", delta1.reshape(1, h), "backward"),
        _stage("hidden weight gradient", "dW1 = x^T delta1", gW1, "backward"),
        _stage("hidden bias gradient", "db1 = delta1", gb1, "backward"),
    )
    norms = {name: float(np.linalg.norm(g)) for name, g in zip(("W1", "b1", "W2", "b2"), grads)}
    squared = sum(n * n for n in norms.values())
    norms["all"] = float(np.sqrt(squared))
    return OneStep(
        network.classes[int(y[0])],
        lr,
        stages,
        float(loss),
        loss_after,
        grads,
        norms,
        -lr * squared,
        loss_after - float(loss),
    )
