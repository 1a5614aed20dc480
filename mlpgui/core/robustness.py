"""How robust is the network? Accuracy on test images damaged on purpose, at growing strengths.

Five kinds of damage, each a few lines of scipy.ndimage on the uint8 images:
Gaussian noise (its standard deviation in pixel levels), rotation (degrees,
counter-clockwise, about the image centre), shift (pixels right and down),
stroke thickness (pixels of ink grown, or taken away when negative) and blur
(the Gaussian's sigma in pixels). Strength 0 leaves the images as they are.
Noise at every strength scales one fixed field of random numbers, so a
stronger noise is the same noise, louder.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from .network import Network, labels_from_proba
from .tasks import TaskData

PERTURBATIONS = ("noise", "rotation", "shift", "thickness", "blur")
STRENGTHS = {
    "noise": (0, 16, 32, 48, 64, 96, 128, 160),
    "rotation": (0, 5, 10, 15, 20, 30, 45, 60),
    "shift": (0, 1, 2, 3, 4, 5, 6),
    "thickness": (-2, -1, 0, 1, 2, 3),
    "blur": (0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0),
}
UNITS = {
    "noise": "noise std (pixel levels)",
    "rotation": "rotation (degrees)",
    "shift": "shift right and down (pixels)",
    "thickness": "stroke thickness change (pixels)",
    "blur": "blur sigma (pixels)",
}
_CROSS = ndimage.generate_binary_structure(2, 1)[None]  # 3x3 cross within each image, never across images


def strengths(kind: str) -> tuple[float, ...]:
    """The strengths a curve of `kind` is measured at (6-10 of them, 0 among them), ascending."""
    _check_kind(kind)
    return STRENGTHS[kind]


def _check_kind(kind: str) -> None:
    if kind not in PERTURBATIONS:
        raise ValueError(f"kind must be one of {PERTURBATIONS}, not {kind!r}")


def _to_u8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _noise(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """The field of standard normal numbers every noise strength scales."""
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def _noisy(images: np.ndarray, strength: float, noise: np.ndarray) -> np.ndarray:
    out = np.multiply(noise, np.float32(strength))
    out += images
    return _to_u8(out)


def perturb(images: np.ndarray, kind: str, strength: float, seed: int = 0) -> np.ndarray:
    """(n, 28, 28) uint8 images damaged by `kind` at `strength`; a new array of the same shape."""
    _check_kind(kind)
    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images (n, height, width), got {images.dtype} {images.shape}")
    if strength == 0:
        return images.copy()
    if kind == "noise":
        return _noisy(images, strength, _noise(images.shape, seed))
    if kind == "thickness":
        grow = ndimage.grey_dilation if strength > 0 else ndimage.grey_erosion
        out = images
        for _ in range(int(round(abs(strength)))):
            out = grow(out, footprint=_CROSS, mode="constant", cval=0)
        return out.copy() if out is images else out
    x = images.astype(np.float32)
    if kind == "rotation":
        out = ndimage.rotate(x, strength, axes=(2, 1), reshape=False, order=1, mode="constant", cval=0.0)
    elif kind == "shift":
        out = ndimage.shift(x, (0, strength, strength), order=1, mode="constant", cval=0.0)
    else:  # blur
        out = ndimage.gaussian_filter(x, sigma=(0, strength, strength), mode="constant", cval=0.0)
    return _to_u8(out)


@dataclass
class RobustnessCurve:
    """Accuracy at each strength of one kind of damage, with an example and the images that flipped."""

    kind: str
    strengths: np.ndarray
    accuracy: np.ndarray  # (len(strengths),)
    example: list[np.ndarray] = field(default_factory=list)  # per strength: one damaged (28, 28) image
    flipped: list[np.ndarray] = field(default_factory=list)  # per strength: test indices right at 0, wrong here
    example_index: int = 0  # the test image the examples show
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.intp))  # the test images measured

    @property
    def unit(self) -> str:
        return UNITS[self.kind]


def sample(n_test: int, n: int | None, seed: int = 0) -> np.ndarray:
    """Indices of the test images to measure: all of them, or n drawn without replacement (in file order)."""
    if n is None or n >= n_test:
        return np.arange(n_test)
    return np.sort(np.random.RandomState(seed).choice(n_test, n, replace=False))


def robustness_curves(
    network: Network,
    task: TaskData,
    kinds=PERTURBATIONS,
    n: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> list[RobustnessCurve]:
    """One curve per kind over the task's test set (n None: every image; else a seeded sample of n).

    progress(done, total) follows every strength measured; when `stop` is
    set the curves finished so far are returned.
    """
    for kind in kinds:
        _check_kind(kind)
    index = sample(task.n_test, n)
    images = task.test_images[index]
    labels = np.asarray(task.test_labels)[index]

    def correct(damaged: np.ndarray) -> np.ndarray:
        return labels_from_proba(network.predict_images(damaged)) == labels

    total = sum(len(STRENGTHS[k]) for k in kinds)
    done = 0
    clean = correct(images)
    shown = int(np.argmax(clean)) if clean.any() else 0  # an image the network reads right, if any
    curves = []
    noise = None
    for kind in kinds:
        accuracy, examples, flipped = [], [], []
        for strength in STRENGTHS[kind]:
            if stop is not None and stop.is_set():
                return curves
            if kind == "noise" and strength != 0:  # one noise field for every strength, as perturb draws it
                noise = _noise(images.shape, 0) if noise is None else noise
                damaged = _noisy(images, strength, noise)
            else:
                damaged = perturb(images, kind, strength)
            right = clean if strength == 0 else correct(damaged)
            accuracy.append(float(right.mean()) if len(right) else float("nan"))
            examples.append(damaged[shown].copy() if len(damaged) else np.zeros((28, 28), np.uint8))
            flipped.append(index[clean & ~right])
            done += 1
            if progress is not None:
                progress(done, total)
        curves.append(
            RobustnessCurve(
                kind,
                np.asarray(STRENGTHS[kind], np.float64),
                np.asarray(accuracy),
                examples,
                flipped,
                int(index[shown]) if len(index) else 0,
                index,
            )
        )
    return curves
