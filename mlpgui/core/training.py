"""Training, epoch by epoch: a generator the command line and the worker thread both drive.

`Trainer.run()` yields an `EpochReport` after every epoch. Each compiled call
covers one full-batch epoch or one mini-batch with the GIL released, and a
stop request (a `threading.Event`) takes effect at the next call boundary,
so another thread can stop a run within one epoch (one mini-batch).

The reported loss is the loss of the forward pass made before the epoch's
update, as the homework records it (for mini-batches: the mean over the
epoch's batches). A non-finite loss stops the run with `TrainingDiverged`
after the network is rolled back to the last weights whose loss was finite.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .. import _core
from .config import TrainConfig, validate
from .errors import TrainingDiverged
from .network import Network
from .tasks import TaskData


@dataclass(frozen=True)
class EpochReport:
    epoch: int                     # 1-based
    epochs: int                    # planned in all
    loss: float                    # training loss (see module docstring)
    train_accuracy: float          # of that same forward pass (mini-batch: over the epoch's batches)
    elapsed: float                 # seconds of training so far
    test_loss: float | None = None       # when evaluated this epoch
    test_accuracy: float | None = None


class Trainer:
    """Owns the network, the inputs and every buffer of one run; allocates once."""

    def __init__(self, config: TrainConfig, task: TaskData, network: Network | None = None):
        validate(config)
        self.config = config
        self.task = task
        self.network = network if network is not None else Network.initial(config)
        dtype = np.dtype(config.dtype)
        self._X = task.inputs("train", dtype)
        self._y = np.ascontiguousarray(task.train_labels, dtype=np.int32)
        self._X_test = task.inputs("test", dtype)
        self._y_test = np.ascontiguousarray(task.test_labels, dtype=np.int32)
        n, h, k = len(self._y), config.hidden, config.n_outputs
        batch = n if config.batch_size == 0 else config.batch_size
        self._A1 = np.empty((batch, h), dtype)
        self._G = np.empty((batch, h), dtype)
        self._Z2 = np.empty((batch, k), dtype)
        net = self.network
        self._grads = [np.empty_like(p) for p in net.params()]
        if config.batch_size:
            self._Xb = np.empty((batch, self._X.shape[1]), dtype)
            self._yb = np.empty(batch, np.int32)
        self._rollback = net.copy()
        self._shuffle = np.random.RandomState(config.seed + 1)
        self.history: list[EpochReport] = []
        self.stopped = False
        self.elapsed = 0.0

    # -- one epoch -----------------------------------------------------------

    def _step(self, X, y, A1, Z2, G) -> tuple[float, int]:
        net = self.network
        return _core.train_step(X, y, net.W1, net.b1, net.W2, net.b2, A1, Z2, G, *self._grads,
                                net.dtype.type(self.config.lr))

    def _full_batch_epoch(self, stop) -> tuple[float, int, int]:
        self._rollback.assign(self.network)
        loss, correct = self._step(self._X, self._y, self._A1, self._Z2, self._G)
        return loss, correct, len(self._y)

    def _minibatch_epoch(self, stop) -> tuple[float, int, int]:
        self._rollback.assign(self.network)
        order = self._shuffle.permutation(len(self._y)).astype(np.intp)
        bs = self.config.batch_size
        total, correct, seen = 0.0, 0, 0
        for start in range(0, len(order), bs):
            if stop is not None and stop.is_set():
                break
            index = order[start:start + bs]
            m = len(index)
            Xb, yb = self._Xb[:m], self._yb[:m]
            _core.gather_rows(self._X, index, Xb)
            np.take(self._y, index, out=yb)
            loss, c = self._step(Xb, yb, self._A1[:m], self._Z2[:m], self._G[:m])
            if not np.isfinite(loss):
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
            loss, correct, seen = epoch_fn(stop)
            self.elapsed += time.perf_counter() - t0
            if not np.isfinite(loss):
                self.network.assign(self._rollback)
                raise TrainingDiverged(
                    f"the loss became {loss} at epoch {epoch} (learning rate {self.config.lr:g} is too "
                    f"high?); the model was rolled back to the weights of epoch {epoch - 1}")
            if seen < len(self._y):  # stopped mid-epoch: keep the finished mini-batches' weights
                self.network.epochs_trained = epoch
                self.stopped = True
                return
            self.network.epochs_trained = epoch
            test_loss = test_acc = None
            if evaluate_every and (epoch % evaluate_every == 0 or epoch == last):
                test_loss, test_acc = self.evaluate("test")
            report = EpochReport(epoch, last, float(loss), correct / seen, self.elapsed, test_loss, test_acc)
            self.history.append(report)
            yield report

    def train(self, stop: threading.Event | None = None) -> list[EpochReport]:
        """Run to the end (or until stopped); returns the history."""
        for _ in self.run(stop):
            pass
        return self.history

    # -- measuring -----------------------------------------------------------

    def evaluate(self, which: str = "test") -> tuple[float, float]:
        """(mean loss, accuracy) of the current network on the training or test set."""
        X, y = (self._X_test, self._y_test) if which == "test" else (self._X, self._y)
        net = self.network
        losses = correct = 0.0
        for start in range(0, len(y), 4096):
            Xc, yc = X[start:start + 4096], y[start:start + 4096]
            m = len(yc)
            a1 = np.empty((m, net.hidden), net.dtype)
            z2 = np.empty((m, net.W2.shape[1]), net.dtype)
            _core.forward_pass_logits(Xc, net.W1, net.b1, net.W2, net.b2, a1, z2)
            loss, c = _core.loss_and_deltas(z2, yc)
            losses += loss * m
            correct += c
        return losses / len(y), correct / len(y)

    def accuracy(self, which: str = "train") -> float:
        X, y = (self._X_test, self._y_test) if which == "test" else (self._X, self._y)
        return self.network.accuracy(X, y)
