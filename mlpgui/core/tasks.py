"""Turn MNIST and a config into the homework's training and test sets.

binary: the first n training images of digit a, then the first n of b;
label 0 for a, 1 for b; the test set is built the same way from the test
split (with n=1000 and 5/8 that is 892 + 974 = 1866 images, since fewer than
1000 test images of 5 exist). multiclass: the first n training images of
each digit in digit order 0..9, tested on the whole test split. n=0 means
every image of the chosen digits (for multiclass: the split as it is).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .._sparse import full_batch_parts
from .config import TrainConfig, validate
from .data import Mnist
from .errors import ConfigError

N_PIXELS = 784


@dataclass(frozen=True)
class TaskData:
    """The images (uint8, as in the files) and labels (0..K-1) of one task."""

    config: TrainConfig
    train_images: np.ndarray  # (N, 28, 28) uint8
    train_labels: np.ndarray  # (N,) int32, 0/1 for binary, the digit for multiclass
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str = ""

    @property
    def classes(self) -> tuple[int, ...]:
        return self.config.classes

    @property
    def n_train(self) -> int:
        return len(self.train_labels)

    def inputs(self, which: str = "train", dtype=None) -> np.ndarray:
        """Scaled inputs, one sample per row: (N, 784) in the config's dtype."""
        images = self.train_images if which == "train" else self.test_images
        return scale_images(images, self.config.scale, dtype or self.config.dtype)

    def describe(self) -> str:
        c = self.config
        what = f"digits {c.digits[0]} vs {c.digits[1]}" if c.task == "binary" else "digits 0-9"
        return f"MNIST {what}: {self.n_train:,} training, {len(self.test_labels):,} test images"


def scale_images(images: np.ndarray, scale: str, dtype) -> np.ndarray:
    """uint8 images (..., 28, 28) -> (n, 784) floats, raw 0..255 or unit 0..1."""
    x = np.asarray(images).reshape(-1, N_PIXELS).astype(dtype)
    if scale == "unit":
        x /= 255.0
    return x


def _select(images, labels, config: TrainConfig, n: int, strict: bool, split: str):
    if n == 0 and config.task == "multiclass":
        return images, labels.astype(np.int32)  # every image: keep the file order, no copy
    picked = []
    for label, digit in enumerate(config.classes):
        idx = np.flatnonzero(labels == digit)
        if strict and n > len(idx):
            raise ConfigError(
                f"images per class: only {len(idx):,} {split} images of digit {digit} exist (asked for {n:,})",
                "per_class",
            )
        picked.append((idx if n == 0 else idx[:n], label))
    index = np.concatenate([i for i, _ in picked])
    y = np.concatenate([np.full(len(i), label, np.int32) for i, label in picked])
    return images[index], y


def build_task(config: TrainConfig, mnist: Mnist) -> TaskData:
    """Select the homework's training and test images for `config` (validated here)."""
    validate(config)
    xtr, ytr = _select(mnist.x_train, mnist.y_train, config, config.per_class, True, "training")
    if config.task == "binary":
        xte, yte = _select(mnist.x_test, mnist.y_test, config, config.per_class, False, "test")
    else:
        xte, yte = mnist.x_test, mnist.y_test.astype(np.int32)
    if len(ytr) == 0:
        raise ConfigError("the chosen digits have no training images in this data set", "per_class")
    if len(yte) == 0:
        which = "has no test images" if len(mnist.y_test) == 0 else "has no test images of the chosen digits"
        raise ConfigError(f"the data set {which}, so the model could not be tested", "digits")
    task = TaskData(config, xtr, ytr, xte, yte, mnist.source)
    check_fits(config, task.n_train)
    return task


def available_memory() -> int:
    """Bytes the OS says a new allocation can get (MemAvailable), or 8 GiB if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def default_threads() -> int:
    """Cores this process may use (MLPGUI_THREADS overrides)."""
    env = os.environ.get("MLPGUI_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def estimate_memory(config: TrainConfig, n_train: int, n_test: int = 10_000) -> int:
    """Bytes a run needs at its peak: inputs, activations and deltas, parameters, gradients."""
    item = 4 if config.dtype == "float32" else 8
    h, k = config.hidden, config.n_outputs
    batch = n_train if config.batch_size == 0 else min(config.batch_size, n_train)
    inputs = (n_train + n_test) * N_PIXELS * item
    per_sample = 2 * h + 2 * k  # hidden activations and deltas, outputs and output deltas
    work = max(batch, n_test) * per_sample * item
    n_params = N_PIXELS * h + h + h * k + k
    params = 4 * n_params * item  # weights, gradients, a snapshot, a rollback copy
    # a full batch sums each part's gradients apart (_sparse.full_batch_parts)
    parts = full_batch_parts(default_threads()) * n_params * item if config.batch_size == 0 else 0
    return inputs + work + params + parts


def check_fits(config: TrainConfig, n_train: int) -> None:
    """Refuse up front what can't run: a batch larger than the set, or more memory than there is."""
    if config.batch_size > n_train:
        raise ConfigError(
            f"batch size {config.batch_size:,} is larger than the training set ({n_train:,} images); "
            "use 0 for full batch",
            "batch_size",
        )
    need = estimate_memory(config, n_train)
    have = available_memory()
    if need > 0.8 * have:
        field = "hidden" if config.hidden > 4096 else None
        raise ConfigError(
            f"this run would need about {need / 2**30:.1f} GiB of memory, but only "
            f"{have / 2**30:.1f} GiB is available; use fewer hidden units or images",
            field,
        )


class TaskCache:
    """Builds `TaskData` for configs, reusing the image selection when only training settings change.

    Selecting images is the slow part of `build_task`; it depends only on the
    task, the digits and the images per class, so the last `keep` selections
    are kept and a config that differs elsewhere (lr, hidden, ...) reuses one.
    """

    def __init__(self, mnist: Mnist, keep: int = 2):
        from collections import OrderedDict

        self.mnist = mnist
        self._keep = keep
        self._cache: OrderedDict[tuple, TaskData] = OrderedDict()

    def get(self, config: TrainConfig) -> TaskData:
        """The task for `config`; raises ConfigError (with .field) when it can't run."""
        from dataclasses import replace

        validate(config)
        key = (config.task, tuple(config.digits) if config.task == "binary" else None, config.per_class)
        base = self._cache.get(key)
        if base is None:
            base = build_task(config, self.mnist)
            self._cache[key] = base
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        check_fits(config, base.n_train)
        return replace(base, config=config)
