"""Training, epoch by epoch: a generator the command line and the worker thread both drive.

`Trainer.run()` yields an `EpochReport` after every epoch. Each compiled call
covers one full-batch epoch or one mini-batch with the GIL released, and a
stop request (a `threading.Event`) takes effect at the next call boundary,
so another thread can stop a run within one epoch (one mini-batch).

The reported loss is the loss of the forward pass made before the epoch's
update, as the homework records it (for mini-batches: the mean over the
epoch's batches). A diverged loss (non-finite, or beyond what any float
probability could give, see `DIVERGED_LOSS`) stops the run with `TrainingDiverged`
after the network is rolled back to the last weights whose loss was finite.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import _core, _sparse
from .config import TrainConfig, validate
from .errors import TrainingDiverged
from .metrics import Evaluation
from .network import Network
from .tasks import TaskData, default_threads


@dataclass(frozen=True)
class EpochReport:
    epoch: int  # 1-based
    epochs: int  # planned in all
    loss: float  # training loss (see module docstring)
    train_accuracy: float  # of that same forward pass (mini-batch: over the epoch's batches)
    elapsed: float  # seconds of training so far
    test_loss: float | None = None  # when evaluated this epoch
    test_accuracy: float | None = None


# Above this fraction of non-zero inputs the dense BLAS path is faster than
# the sparse one (measured with benchmarks/bench_epoch.py: MNIST is ~0.19
# dense, Fashion-MNIST ~0.50).
SPARSE_MAX_DENSITY = 0.35
# Which mini-batches run on more than one thread. Up to _sparse's
# SMALL_BATCH_MAX (1024) the threads split the hidden units; from
# MIN_SHARED_BATCH on that saves more than waking the second thread costs
# (float32, H=256, 30,000 images, median of six runs each: batch 32 0.233 s
# on one thread and 0.228 s on two, batch 64 0.232 and 0.186 s, batch 256
# 0.252 and 0.171 s). Larger batches split their samples into tiles, which
# only pays from MIN_PARALLEL_BATCH on (batch 256: 2.9 ms alone, 3.4 ms on two).
MIN_SHARED_BATCH = 64
MIN_PARALLEL_BATCH = 2048
LAYOUTS = ("auto", "dense", "sparse")

# The losses are computed from the logits, so they stay finite where the
# homework's log(y_hat) overflows. A mean loss above this many nats means the
# true class gets probability below e^-1000, which no float can hold: the
# homework would print inf, and we call the run diverged.
DIVERGED_LOSS = 1000.0


def diverged(loss: float) -> bool:
    return not np.isfinite(loss) or loss > DIVERGED_LOSS


def minibatch_shares_threads(batch_size: int) -> bool:
    """Whether a step of this many samples (0: the full batch) runs on all the trainer's threads."""
    return (
        batch_size == 0 or MIN_SHARED_BATCH <= batch_size <= _sparse.SMALL_BATCH_MAX or batch_size >= MIN_PARALLEL_BATCH
    )


def input_lut(scale: str, dtype) -> np.ndarray:
    """The scaled input value of each uint8 pixel value, computed as `scale_images` does."""
    lut = np.arange(256).astype(dtype)
    if scale == "unit":
        lut /= 255.0
    return lut


class Trainer:
    """Owns the network, the inputs and every buffer of one run; allocates once.

    layout "sparse" keeps the inputs as CSR over their non-zero pixels (the
    _sparse kernels, OpenMP over samples); "dense" as a float matrix (the
    _core kernels, BLAS); "auto" picks by the training images' density.
    """

    def __init__(
        self,
        config: TrainConfig,
        task: TaskData,
        network: Network | None = None,
        layout: str = "auto",
        n_threads: int | None = None,
    ):
        validate(config)
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        self.config = config
        self.task = task
        self.network = network if network is not None else Network.initial(config)
        dtype = np.dtype(config.dtype)
        self.n_threads = n_threads or default_threads()
        pixels = task.train_images.reshape(len(task.train_images), -1)
        self._y = np.ascontiguousarray(task.train_labels, dtype=np.int32)
        self.density = float(np.count_nonzero(pixels)) / max(1, pixels.size)
        if layout == "auto":
            layout = "sparse" if self.density <= SPARSE_MAX_DENSITY else "dense"
        self.layout = layout
        n, h, k = len(self._y), config.hidden, config.n_outputs
        batch = n if config.batch_size == 0 else config.batch_size
        if layout == "sparse":
            self._inputs = _sparse.CsrInputs(pixels, self._y, input_lut(config.scale, dtype))
            threads = self.n_threads if minibatch_shares_threads(config.batch_size) else 1
            self._ws = _sparse.Workspace(pixels.shape[1], h, k, dtype, threads, batch=config.batch_size)
        else:
            self._X = task.inputs("train", dtype)
            self._A1 = np.empty((batch, h), dtype)
            self._G = np.empty((batch, h), dtype)
            self._Z2 = np.empty((batch, k), dtype)
            self._grads = [np.empty_like(p) for p in self.network.params()]
            if config.batch_size:
                self._Xb = np.empty((batch, self._X.shape[1]), dtype)
                self._yb = np.empty(batch, np.int32)
        self._lr = dtype.type(config.lr)
        # The weights at the start of this epoch and of the one before: a loss
        # measured on the first is the only proof the second was still sound.
        self._epoch_start = self.network.copy()
        self._previous_start = self.network.copy()
        self._shuffle = np.random.RandomState(config.seed + 1)
        self._in_epoch = False  # the weights have moved past the last finished epoch
        self.history: list[EpochReport] = []
        self.stopped = False
        self.elapsed = 0.0

    @property
    def step_threads(self) -> int | None:
        """Threads a training step runs on (sparse layout); None for the dense layout, whose BLAS decides."""
        return self._ws.n_threads if self.layout == "sparse" else None

    # -- one epoch -----------------------------------------------------------

    def _dense_step(self, X, y, A1, Z2, G) -> tuple[float, int]:
        net = self.network
        return _core.train_step(X, y, net.W1, net.b1, net.W2, net.b2, A1, Z2, G, *self._grads, self._lr)

    def _remember_epoch_start(self) -> None:
        self._previous_start, self._epoch_start = self._epoch_start, self._previous_start
        self._epoch_start.assign(self.network)

    def _roll_back(self, seen: int) -> None:
        """Back to the last weights whose own loss was measured sound.

        Full batch, or a mini-batch epoch that diverged on its first batch: the
        weights at the start of this epoch are the ones that failed, so go to
        those before the previous update. Later in a mini-batch epoch: the
        start of this epoch, which the first batch measured finite.
        """
        if self.config.batch_size == 0 or seen == 0:
            self.network.assign(self._previous_start)
        else:
            self.network.assign(self._epoch_start)

    def _full_batch_epoch(self, stop) -> tuple[float, int, int]:
        if self.layout == "sparse":
            loss, correct = _sparse.full_batch_step(self._inputs, *self.network.params(), self._lr, self._ws)
        else:
            loss, correct = self._dense_step(self._X, self._y, self._A1, self._Z2, self._G)
        return loss, correct, len(self._y)

    def _minibatch_epoch(self, stop) -> tuple[float, int, int]:
        order = self._shuffle.permutation(len(self._y)).astype(np.intp)
        bs = self.config.batch_size
        params = self.network.params()
        total, correct, seen = 0.0, 0, 0
        for start in range(0, len(order), bs):
            if stop is not None and stop.is_set():
                break
            index = order[start : start + bs]
            m = len(index)
            if self.layout == "sparse":
                loss, c = _sparse.minibatch_step(self._inputs, index, *params, self._lr, self._ws)
            else:
                Xb, yb = self._Xb[:m], self._yb[:m]
                _core.gather_rows(self._X, index, Xb)
                np.take(self._y, index, out=yb)
                loss, c = self._dense_step(Xb, yb, self._A1[:m], self._Z2[:m], self._G[:m])
            if diverged(loss):
                return loss, correct, seen
            total += loss * m
            correct += c
            seen += m
        return (total / seen if seen else float("nan")), correct, seen

    # -- the run -------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, evaluate_every: int = 0) -> Iterator[EpochReport]:
        """Train for config.epochs epochs, yielding after each; stop early when `stop` is set.

        evaluate_every=k measures test loss and accuracy every k epochs (and
        after the last); 0 never does.
        """
        first = self.network.epochs_trained + 1
        last = first + self.config.epochs - 1
        epoch_fn = self._minibatch_epoch if self.config.batch_size else self._full_batch_epoch
        for epoch in range(first, last + 1):
            if stop is not None and stop.is_set():
                self.stopped = True
                return
            t0 = time.perf_counter()
            self._remember_epoch_start()
            self._in_epoch = True
            loss, correct, seen = epoch_fn(stop)
            self.elapsed += time.perf_counter() - t0
            if diverged(loss):
                self._in_epoch = False
                self._roll_back(seen)
                kept = self.network.epochs_trained
                where = f"the weights after epoch {kept}" if kept else "the untrained starting weights"
                raise TrainingDiverged(
                    f"training diverged at epoch {epoch}: the loss became {loss:.3g} (learning rate "
                    f"{self.config.lr:g} is too high?); the model was rolled back to {where}"
                )
            if seen < len(self._y):  # stopped mid-epoch: keep the finished mini-batches' weights
                self.network.epochs_trained = epoch
                self._in_epoch = False
                self.stopped = True
                return
            self.network.epochs_trained = epoch
            test_loss = test_acc = None
            if evaluate_every and (epoch % evaluate_every == 0 or epoch == last):
                tested = Evaluation.compute(self.network, self.task, "test")
                test_loss, test_acc = tested.loss, tested.accuracy
            report = EpochReport(epoch, last, float(loss), correct / seen, self.elapsed, test_loss, test_acc)
            self.history.append(report)
            self._in_epoch = False
            yield report

    def rewind_unfinished_epoch(self) -> bool:
        """After an exception (Ctrl-C) inside an epoch: back to the weights of the last finished epoch.

        An exception can leave the weights part-way through an epoch (some
        mini-batches applied, or a full-batch update not yet counted), so that
        they match neither `epochs_trained` nor the history. This puts back
        the weights the history's last epoch ended with; True if it had to.
        """
        if not self._in_epoch:
            return False
        self.network.assign(self._epoch_start)
        self._in_epoch = False
        return True

    def train(self, stop: threading.Event | None = None) -> list[EpochReport]:
        """Run to the end (or until stopped); returns the history."""
        for _ in self.run(stop):
            pass
        return self.history


# -- how often a run measures the test set ---------------------------------------

EVALUATION_SHARE = 0.05  # measuring the test set may cost at most ~5% of training time


def evaluation_interval(n_train: int, n_test: int) -> int:
    """Every how many epochs to measure the test set so it costs under ~5% of training.

    Measuring the test set is one forward pass over n_test images; an epoch
    is a forward pass, a backward pass and an update over n_train images.
    One evaluation costs about half an epoch per image (0.5 * n_test / n_train
    epochs), so evaluating every k = ceil(0.5 * n_test / n_train / 0.05)
    = ceil(10 * n_test / n_train) epochs keeps it under 5%: k = 10 for both
    homework presets, 2 for "fast" (60,000 training images). The caller
    measures the last epoch as well (`Trainer.run` does).
    """
    ratio = 0.5 * n_test / max(n_train, 1)
    return max(1, math.ceil(ratio / EVALUATION_SHARE - 1e-9))
