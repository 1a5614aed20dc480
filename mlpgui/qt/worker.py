"""Training on a worker thread, so the window never waits for the compiled core.

A `TrainingWorker` (a QObject) is moved to a `QThread` with the classic wiring:
`thread.started -> worker.run`, `worker.finished -> thread.quit`. Both objects
are owned by Python alone and freed on the GUI thread once the thread has
ended: the worker moves itself back to the GUI thread as its run ends, and
nothing calls `deleteLater` on them: a C++ deletion on the training thread
would race Python's release of the same objects on the GUI thread. `run` drives
`Trainer.run(stop_event, evaluate_every=k)` and, between epochs, emits plain
data only; widgets are touched on the GUI thread alone.

Signals, in the order a run emits them:
  epochDone(EpochReport)        after every epoch
  snapshot(Network)             a copy taken between epochs, at most 5 per second
  tested(test_loss, test_acc)   when the run ended early, the final model's test numbers
  failed(str)                   a one-line message, when the run ended with an error
  finished(Network|None, bool)  always, last: a copy of the final model (None if no
                                epoch finished) and whether the run ended early

An `AccuracyWorker` measures an opened model's test accuracy the same way,
and an `EvaluationWorker` runs the Evaluation tab's forward pass, so the GUI
thread never runs the network over a whole set; a `SaveWorker` keeps a copy
of a finished run's model without holding the window up.

`stop()`, `pause()` and `resume()` are plain thread-safe methods (threading
events), to be called directly from the GUI thread: the worker's own event
loop is busy training, so queued slot calls would arrive too late.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
import traceback
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from mlpgui.core import model_io
from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import MlpguiError, TrainingDiverged
from mlpgui.core.metrics import Evaluation
from mlpgui.core.network import Network
from mlpgui.core.tasks import TaskData
from mlpgui.core.training import Trainer, evaluation_interval

SNAPSHOT_INTERVAL = 0.2  # seconds: at most 5 model copies per second reach the GUI
BACKGROUND_NICE = 5  # the training thread's CPU priority: below the GUI thread's 0
NO_MEMORY = "not enough memory for this run; use fewer images or hidden units"


class RunOutcome:
    """How the run ended, readable after `thread.wait()` even if the queued signals never arrive."""

    def __init__(self):
        self.network: Network | None = None
        self.history: list = []  # every EpochReport of the run, the ones still queued to the GUI thread too
        self.stopped = False
        self.diverged = False  # the loss diverged (the network, if any, is the rolled-back one)
        self.done = False


# Every (thread, worker) this module started, kept so Python frees neither before its thread has ended.
_started: list[tuple[QThread, QObject]] = []
_started_lock = threading.Lock()


def running_threads() -> list[QThread]:
    """QThreads started by this module that are still running (tests fail if any remain)."""
    with _started_lock:
        alive, keep = [], []
        for thread, worker in _started:
            if not shiboken6.isValid(thread):
                continue
            if thread.isRunning():
                alive.append(thread)
            # wait(0) is true only once the OS thread has left run(): before that it may still
            # be touching the worker, so both stay referenced.
            if not thread.wait(0):
                keep.append((thread, worker))
        _started[:] = keep
        return alive


class TrainingWorker(QObject):
    """Trains one run of `config` on `task`, starting from `network` (or fresh weights)."""

    epochDone = Signal(object)
    snapshot = Signal(object)
    tested = Signal(float, float)
    failed = Signal(str)
    finished = Signal(object, bool)

    def __init__(
        self,
        config: TrainConfig,
        task: TaskData,
        network: Network | None = None,
        evaluate_every: int | None = None,
        snapshot_interval: float = SNAPSHOT_INTERVAL,
    ):
        super().__init__()
        self.config = config
        self.task = task
        self._network = network
        self.evaluate_every = (
            evaluate_every if evaluate_every is not None else evaluation_interval(task.n_train, len(task.test_labels))
        )
        self.snapshot_interval = snapshot_interval
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self.outcome = RunOutcome()

    # -- control, from any thread ----------------------------------------------

    def stop(self) -> None:
        """End the run within one epoch (one mini-batch), keeping the last finished weights."""
        self._stop.set()
        self._resume.set()

    def pause(self) -> None:
        """Hold the run before its next epoch."""
        if not self._stop.is_set():
            self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # -- the run, on the worker thread -------------------------------------------

    @Slot()
    def run(self) -> None:
        run_in_background()
        trainer = None
        stopped = True
        result = None
        try:
            trainer = Trainer(self.config, self.task, self._network)
            last_snapshot, sent = -math.inf, 0  # when, and of which epoch, the last snapshot was sent
            last = None
            for report in trainer.run(self._stop, evaluate_every=self.evaluate_every):
                last = report
                self.epochDone.emit(report)
                now = time.monotonic()
                if now - last_snapshot >= self.snapshot_interval and report.epoch < report.epochs:
                    self.snapshot.emit(trainer.network.copy())
                    last_snapshot, sent = now, report.epoch
                if self.paused and sent != report.epoch:
                    # paused, the views (and File > Save) get the model of the epoch the run holds at
                    self.snapshot.emit(trainer.network.copy())
                    sent = report.epoch
                self._wait_while_paused()
            stopped = trainer.stopped
            trained = trainer.network.epochs_trained > 0
            if (
                stopped
                and trained
                and (last is None or last.test_accuracy is None or last.epoch != trainer.network.epochs_trained)
            ):
                test = Evaluation.compute(trainer.network, self.task, "test")
                self.tested.emit(test.loss, test.accuracy)
            result = trainer.network.copy()
        except TrainingDiverged as e:  # the trainer already rolled the weights back
            self.outcome.diverged = True
            self.failed.emit(str(e))
            result = trainer.network.copy() if trainer is not None else None
        except MlpguiError as e:
            self.failed.emit(str(e))
        except MemoryError:  # as the command line says it; the weights of the last finished epoch are kept
            result = self._last_finished(trainer)
            kept = result.epochs_trained if result is not None else 0
            self.failed.emit(NO_MEMORY + (f"; the model of epoch {kept} is kept" if kept else ""))
        except Exception as e:  # a bug: tell the user, keep the app alive, leave a trace for the report
            traceback.print_exc(file=sys.stderr)
            self.failed.emit(f"training failed unexpectedly ({type(e).__name__}: {e})")
        finally:
            if result is not None and result.epochs_trained == 0:
                result = None
            self.outcome.history = list(trainer.history) if trainer is not None else []
            self.outcome.network, self.outcome.stopped, self.outcome.done = result, stopped, True
            return_to_gui_thread(self)
            self.finished.emit(result, stopped)

    @staticmethod
    def _last_finished(trainer: Trainer | None) -> Network | None:
        """The weights of the last finished epoch, after an epoch broke off (None if there are none)."""
        if trainer is None:
            return None
        try:
            trainer.rewind_unfinished_epoch()
            return trainer.network.copy()
        except MemoryError:  # not even room for the copy: hand over the trainer's own network
            return trainer.network

    def _wait_while_paused(self) -> None:
        while not self._resume.wait(0.1):
            if self._stop.is_set():
                return


class AccuracyWorker(QObject):
    """Measures a model's test accuracy off the GUI thread (a model opened without one in its history).

    finished(Network, float or None): the network it measured, and its accuracy (None if it failed).
    """

    finished = Signal(object, object)

    def __init__(self, network: Network, task: TaskData):
        super().__init__()
        self.network, self.task = network, task

    @Slot()
    def run(self) -> None:
        run_in_background()
        accuracy = None
        try:
            accuracy = Evaluation.compute(self.network, self.task, "test").accuracy
        except MlpguiError:
            pass
        except Exception:  # a bug: keep the app alive, leave a trace for the report
            traceback.print_exc(file=sys.stderr)
        finally:
            return_to_gui_thread(self)
            self.finished.emit(self.network, accuracy)


class EvaluationWorker(QObject):
    """One evaluation (a forward pass over the test or training set) off the GUI thread.

    With `inputs` None and `scale_inputs` set, it scales the set's images first
    and hands them back in `inputs`, for the caller to keep for the next one.
    finished(EvaluationWorker): read `evaluation` (None if it failed), `error`
    (a one-line message or ""), `inputs`, `prepared` (what `prepare(network)`
    returned, if given) and `seconds`.
    """

    finished = Signal(object)

    def __init__(
        self,
        network: Network,
        task: TaskData,
        which: str = "test",
        threshold: float = 0.5,
        inputs=None,
        scale_inputs: bool = False,
        prepare=None,
    ):
        super().__init__()
        self.network, self.task, self.which, self.threshold = network, task, which, threshold
        self.inputs, self.scale_inputs = inputs, scale_inputs
        self.prepare = prepare  # optional: prepare(network) -> what a view draws, made here too
        self.prepared = None
        self.evaluation: Evaluation | None = None
        self.error = ""
        self.seconds = 0.0

    @Slot()
    def run(self) -> None:
        run_in_background()
        start = time.perf_counter()
        try:
            self.evaluate()
        finally:
            self.seconds = time.perf_counter() - start
            return_to_gui_thread(self)
            self.finished.emit(self)

    def evaluate(self) -> None:
        """The evaluation itself, on the calling thread (`run` calls it on the worker's thread)."""
        try:
            if self.inputs is None and self.scale_inputs:
                self.inputs = self.task.inputs(self.which, self.network.dtype)
            self.evaluation = Evaluation.compute(self.network, self.task, self.which, self.threshold, self.inputs)
            if self.prepare is not None:
                self.prepared = self.prepare(self.network)
        except MlpguiError as e:
            self.error = str(e)
        except MemoryError:
            self.error = "not enough memory to evaluate this model"
        except Exception as e:  # a bug: keep the app alive, leave a trace for the report
            traceback.print_exc(file=sys.stderr)
            self.error = f"the evaluation failed unexpectedly ({type(e).__name__}: {e})"


class SaveWorker(QObject):
    """Writes a model file off the GUI thread (a large network takes seconds to compress).

    finished(SaveWorker): read `error`, a one-line message ("" when saved).
    """

    finished = Signal(object)

    def __init__(self, network: Network, path, history):
        super().__init__()
        self.network, self.path, self.history = network, Path(path), list(history)
        self.error = ""
        self.run_id: int | None = None  # the run store's run whose model this is, if any

    @Slot()
    def run(self) -> None:
        try:
            self.save()
        finally:
            return_to_gui_thread(self)
            self.finished.emit(self)

    def save(self) -> None:
        """The save itself, on the calling thread (`run` calls it on the worker's thread)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            model_io.save_model(self.network, self.path, self.history)
        except (MlpguiError, OSError) as e:
            self.error = str(e)
        except MemoryError:
            self.error = "not enough memory to write the file"


def return_to_gui_thread(worker: QObject) -> None:
    """Called by a worker as its run ends, on its own thread: Python frees it on the GUI thread,
    and a QObject must be destroyed in the thread it belongs to."""
    app = QCoreApplication.instance()
    if app is not None:
        worker.moveToThread(app.thread())


def run_in_background() -> None:
    """Lower the calling thread's CPU priority to BACKGROUND_NICE (Linux; elsewhere a no-op).

    Training keeps every core busy; at equal priority the GUI thread waits its
    turn behind the training threads and the window stutters. The OpenMP
    threads the core starts from this thread inherit the lower priority. On
    an idle machine training still gets all the CPU.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
    except OSError:  # not permitted here: train at normal priority
        pass


def start(worker: QObject) -> QThread:
    """Move `worker` to a new QThread and start it; both are freed by Python after the thread ends."""
    thread = QThread()
    thread.setObjectName("mlpgui-training")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: QThread.quit is thread-safe, and a GUI thread blocked in thread.wait()
    # (closing the window mid-run) could never deliver a queued quit.
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    running_threads()  # forget threads that have ended
    with _started_lock:
        _started.append((thread, worker))
    thread.start()
    return thread
