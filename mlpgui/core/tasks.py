"""Turn MNIST and a config into the homework's training and test sets.

binary: the first n training images of digit a, then the first n of b;
label 0 for a, 1 for b; the test set is built the same way from the test
split (with n=1000 and 5/8 that is 892 + 974 = 1866 images, since fewer than
1000 test images of 5 exist). multiclass: the first n training images of
each digit in digit order 0..9, tested on the whole test split. n=0 means
every image of the chosen digits (for multiclass: the split as it is).
"""

from __future__ import annotations

import functools
import os
from collections import OrderedDict
from dataclasses import dataclass, replace

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
    test_set_name: str = "test"  # what its test images are called in the views: "test images", "drawn images"

    @property
    def classes(self) -> tuple[int, ...]:
        return self.config.classes

    @property
    def n_train(self) -> int:
        return len(self.train_labels)

    @property
    def n_test(self) -> int:
        return len(self.test_labels)

    @functools.cached_property
    def layout(self) -> str:
        """How the trainer will keep the training images ('sparse' or 'dense', see input_layout)."""
        return input_layout(self.train_images)

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


def _test_split(config: TrainConfig, mnist: Mnist) -> tuple[np.ndarray, np.ndarray]:
    """The test images and labels of the task; refused when there are none to measure a model on."""
    if config.task == "binary":
        xte, yte = _select(mnist.x_test, mnist.y_test, config, config.per_class, False, "test")
    else:
        xte, yte = mnist.x_test, mnist.y_test.astype(np.int32)
    if len(yte) == 0:
        which = "has no test images" if len(mnist.y_test) == 0 else "has no test images of the chosen digits"
        raise ConfigError(f"the data set {which}, so the model could not be tested", "digits")
    return xte, yte


def build_task(config: TrainConfig, mnist: Mnist) -> TaskData:
    """Select the homework's training and test images for `config` (validated here)."""
    validate(config)
    xtr, ytr = _select(mnist.x_train, mnist.y_train, config, config.per_class, True, "training")
    if len(ytr) == 0:
        raise ConfigError("the chosen digits have no training images in this data set", "per_class")
    xte, yte = _test_split(config, mnist)
    task = TaskData(config, xtr, ytr, xte, yte, mnist.source)
    check_fits(config, task.n_train, task.n_test, input_layout(xtr))
    return task


def build_evaluation_task(config: TrainConfig, mnist: Mnist) -> TaskData:
    """The test images of `config`'s task, for measuring a saved model: no training images are needed."""
    validate(config)
    xte, yte = _test_split(config, mnist)
    task = TaskData(config, np.empty((0, 28, 28), np.uint8), np.empty(0, np.int32), xte, yte, mnist.source)
    check_memory(estimate_evaluation_memory(config, task.n_test), config, "evaluating this model")
    return task


def available_memory() -> int:
    """Bytes a new allocation can get: the machine's MemAvailable (8 GiB if unknown), and no more than
    this process's address-space limit leaves (`ulimit -v`, `prlimit --as`), less a stack per thread."""
    have = _machine_available()
    room = _address_space_left()
    return have if room is None else max(0, min(have, room))


def _machine_available() -> int:
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


def _address_space_left() -> int | None:
    """Under an address-space limit, what is left of it once each OpenMP thread has its stack, else None.

    A thread the OpenMP runtime can't map a stack for ends the process
    ("libgomp: Thread creation failed"), so the stacks are counted here, where
    a run that can't have them is refused with a message instead.
    """
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return None
        stack = resource.getrlimit(resource.RLIMIT_STACK)[0]
        with open("/proc/self/status") as f:
            used = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    except (ImportError, OSError, ValueError, StopIteration):
        return None
    if stack == resource.RLIM_INFINITY or stack <= 0:
        stack = 8 * 2**20
    return limit - used - default_threads() * stack


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Cores this process may use, or MLPGUI_THREADS (a whole number from 1 to 4 per core).

    Raises ConfigError naming MLPGUI_THREADS when it is set to anything else,
    rather than quietly ignoring it or asking the OpenMP runtime for thousands of threads.
    """
    cores = _cores()
    env = os.environ.get("MLPGUI_THREADS", "").strip()
    if not env:
        return cores
    limit = MAX_THREADS_PER_CORE * cores
    if not env.isdigit() or not 1 <= int(env) <= limit:
        raise ConfigError(
            f"MLPGUI_THREADS={env} is not a number of threads from 1 to {limit} "
            f"({MAX_THREADS_PER_CORE} per core; this process may use {cores} core{'s' if cores != 1 else ''})"
        )
    return int(env)


EVAL_CHUNK = 4096  # samples per forward call when evaluating (network.CHUNK)
SPARSE_TILE = 64  # samples a sparse-kernel thread takes at a time (_sparse.TILE)
MEMORY_SHARE = 0.8  # a run may take this share of the available memory; the rest is the system's
# The arrays counted below came to 0.97-1.6x the peak resident memory of real runs (both
# layouts, H 1,024 to 8,192; tests/core/test_memory_estimate.py measures some): a tenth more
# covers the allocator, thread stacks and library buffers, so neither layout is underestimated.
ESTIMATE_MARGIN = 1.1
MAX_THREADS_PER_CORE = 4  # MLPGUI_THREADS beyond this many per core only thrashes (or fails to start)


def input_layout(images: np.ndarray) -> str:
    """'sparse' or 'dense': how the trainer keeps these images, by their share of non-zero pixels."""
    from .training import SPARSE_MAX_DENSITY  # the trainer's own rule; training imports this module

    pixels = np.asarray(images).reshape(len(images), -1)
    density = float(np.count_nonzero(pixels)) / max(1, pixels.size)
    return "sparse" if density <= SPARSE_MAX_DENSITY else "dense"


def _evaluation_memory(config: TrainConfig, n_images: int, item: int) -> int:
    """A forward pass over n_images: one chunk's scaled inputs (converted, then made contiguous: twice)
    and activations, and every probability."""
    h, k = config.hidden, config.n_outputs
    chunk = min(EVAL_CHUNK, max(n_images, 1))
    return chunk * (2 * N_PIXELS + h + 2 * k) * item + n_images * max(k, 2) * 8


def estimate_memory(config: TrainConfig, n_train: int, n_test: int = 10_000, layout: str = "sparse") -> int:
    """Bytes a training run adds at its peak (within 2x of what was measured, for both layouts).

    Counted: the selected images; the network and the trainer's two copies of it
    (for rolling back); the layout's own buffers; and evaluating afterwards.
    dense keeps every input as a float row and a full batch's activations and
    deltas (batch x hidden, twice); sparse keeps the non-zero pixels (at most
    SPARSE_MAX_DENSITY of them) and per-part gradient sums of W1.
    """
    from .training import SPARSE_MAX_DENSITY, minibatch_shares_threads  # the trainer's rules

    item = 4 if config.dtype == "float32" else 8
    h, k, d = config.hidden, config.n_outputs, N_PIXELS
    batch = n_train if config.batch_size == 0 else min(config.batch_size, n_train)
    n_params = d * h + h + h * k + k
    common = n_train * d + 3 * n_params * item  # uint8 images; network, epoch-start and rollback copies
    if layout == "dense":
        run = n_train * d * item + batch * (2 * h + k) * item + n_params * item  # inputs, activations, gradients
        if config.batch_size:
            run += batch * d * item  # the gathered mini-batch
    else:
        threads = default_threads() if minibatch_shares_threads(config.batch_size) else 1
        parts = full_batch_parts(threads) if config.batch_size == 0 else threads
        nnz = int(SPARSE_MAX_DENSITY * n_train * d)  # at most: denser images take the dense layout
        run = nnz * 7 + n_train * 48  # CSR indices and codes, their grouping by pixel, row bands
        run += (parts + 1) * n_params * item  # per-part gradient sums and the blocked W1
        run += threads * SPARSE_TILE * (h + d) * item  # each thread's tile of deltas and inputs
        if config.batch_size:
            run += batch * h * item  # the mini-batch's hidden deltas
    evaluation = _evaluation_memory(config, max(n_train, n_test), item)
    return int(ESTIMATE_MARGIN * (common + run + evaluation))


def estimate_evaluation_memory(config: TrainConfig, n_test: int) -> int:
    """Bytes evaluating a saved model on n_test images adds: the network and one forward pass."""
    item = 4 if config.dtype == "float32" else 8
    n_params = N_PIXELS * config.hidden + config.hidden + config.hidden * config.n_outputs + config.n_outputs
    return int(ESTIMATE_MARGIN * (n_test * N_PIXELS + n_params * item + _evaluation_memory(config, n_test, item)))


def check_memory(need: int, config: TrainConfig, what: str = "this run") -> None:
    """Refuse what would take more than MEMORY_SHARE of the memory available now, saying so."""
    have = available_memory()
    if need > MEMORY_SHARE * have:
        field = "hidden" if config.hidden > 4096 else None
        raise ConfigError(
            f"{what} would need about {need / 2**30:.1f} GiB of memory, but only {have / 2**30:.1f} GiB is "
            f"available and mlpgui takes at most {MEMORY_SHARE:.0%} of it; use fewer hidden units or images",
            field,
        )


def check_fits(config: TrainConfig, n_train: int, n_test: int = 10_000, layout: str = "sparse") -> None:
    """Refuse up front what can't run: a batch larger than the set, or more memory than there is."""
    if config.batch_size > n_train:
        raise ConfigError(
            f"batch size {config.batch_size:,} is larger than the training set ({n_train:,} images); "
            "use 0 for full batch",
            "batch_size",
        )
    check_memory(estimate_memory(config, n_train, n_test, layout), config)


class TaskCache:
    """Builds `TaskData` for configs, reusing the image selection when only training settings change.

    Selecting images is the slow part of `build_task`; it depends only on the
    task, the digits and the images per class, so the last `keep` selections
    are kept and a config that differs elsewhere (lr, hidden, ...) reuses one.
    """

    def __init__(self, mnist: Mnist, keep: int = 2):
        self.mnist = mnist
        self._keep = keep
        self._cache: OrderedDict[tuple, TaskData] = OrderedDict()

    def get(self, config: TrainConfig) -> TaskData:
        """The task for `config`; raises ConfigError (with .field) when it can't run."""
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
        check_fits(config, base.n_train, base.n_test, base.layout)
        return replace(base, config=config)


def first_of_each_class(labels: np.ndarray, count: int = 10) -> np.ndarray:
    """Indices of the first training images of every class, class by class, `count` in all (about).

    Ten classes give the first image of each; two give the first five of each, so a strip of
    samples shows what every class looks like rather than the first class only.
    """
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if not len(classes):
        return np.zeros(0, dtype=np.intp)
    per_class = max(1, count // len(classes))
    return np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in classes])
