"""The training session: the one owner of the run's state and the model's state.

A run flows one way, through here (ndv's controller idea: `_on_view_*`
handlers take what the user asked for, `_on_worker_*` handlers take what the
worker reports, and every change goes out as a signal carrying a named state):

    ExperimentPanel --startRequested(config)--> _on_view_start --> TrainingWorker on its QThread
                    --pauseToggled / stopRequested--> _on_view_pause / _on_view_stop --> worker.pause/stop
    TrainingWorker --epochDone--> _on_worker_epoch --> epochReported(EpochReport) --> loss plot
                   --snapshot---> _on_worker_snapshot --> modelChanged(ModelState) --> draw pad, evaluation
                   --tested, failed, finished--> _on_worker_finished --> modelChanged, runFinished
    every change of the run --> runStateChanged(RunState) --> panel (sets its own buttons), status bar

Opening or restoring a model goes the same way: `open_model` / `restore_last_model`
read the file and emit `historyLoaded` (loss plot) and `modelChanged`; the test
accuracy comes from the file's history, or from an `AccuracyWorker` off the GUI
thread, and arrives as one more `modelChanged` ("test accuracy ..." in the status).

Every run is recorded in the run store (`mlpgui.core.runstore`, opened once in
the data folder): a `RunRecorder` per run takes its epochs as they arrive and
its end ("finished", "stopped", "diverged" or "failed"); `runRecorded(id)` tells
the Runs dock. A store that can't be opened or written costs the recording only:
training goes on, and `recordingProblem` says "not recording runs: ...".

The session also keeps the user's work: after every run the model is saved to
the data folder (`last_model_path`) and offered back at the next start; closing
mid-run (`shutdown`) stops the run, waits for it and keeps what it learnt. It
never touches a widget: the window wires its signals to the views.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QThread, QTimer, Signal

from mlpgui.core import model_io
from mlpgui.core.config import TrainConfig
from mlpgui.core.data import shipped_dir
from mlpgui.core.errors import MlpguiError
from mlpgui.core.history import last_test_accuracy, reports_from_history, write_history_csv
from mlpgui.core.network import Network
from mlpgui.core.progress import format_duration
from mlpgui.core.run_state import ModelOrigin, ModelState, RunPhase, RunState
from mlpgui.core.runstore import RunRecorder, RunStore, RunStoreError
from mlpgui.core.tasks import TaskCache, TaskData
from mlpgui.core.training import EpochReport

from . import worker as workers
from .settings import LAST_MODEL_NAME

PROGRESS_INTERVAL_MS = 100  # epoch progress reaches the views at most 10 times a second


@dataclass
class _Run:
    """One run: what it trains, its worker and thread, and what it has reported so far."""

    config: TrainConfig
    task: TaskData
    worker: workers.TrainingWorker
    before: ModelState  # the model the user had when the run started
    outcome: workers.RunOutcome = field(init=False)
    thread: QThread | None = None
    history: list[EpochReport] = field(default_factory=list)
    final_test: tuple[float, float] | None = None
    error: str | None = None
    saved: tuple[Network, str] | None = None  # a snapshot saved to a file during the run, and where
    epoch_began: float = field(default_factory=time.monotonic)  # when the epoch under way began (about)
    recorder: RunRecorder | None = None  # None once the run's end is recorded

    def __post_init__(self):
        self.outcome = self.worker.outcome  # readable after the thread ended, when the worker is gone

    def kept_history(self, network: Network) -> tuple[EpochReport, ...]:
        return tuple(r for r in self.history if r.epoch <= network.epochs_trained)


def _same_weights(a: Network, b: Network) -> bool:
    return a.epochs_trained == b.epochs_trained and all(
        np.array_equal(x, y) for x, y in zip(a.params(), b.params(), strict=True)
    )


def _nothing_kept(before: ModelState) -> str:
    if before.network is None:
        return "No epoch of this run was kept, so there is still no trained model."
    return f"No epoch of this run was kept: the model you had before it is still current ({before.describe()})."


class TrainingSession(QObject):
    """Starts, pauses and stops runs; opens, saves and keeps models; tells the views what changed."""

    runStateChanged = Signal(object)  # RunState
    modelChanged = Signal(object)  # ModelState
    runStarted = Signal(object)  # TrainConfig
    epochReported = Signal(object)  # EpochReport
    testMeasured = Signal(int, float, float)  # (epoch, test loss, test accuracy) of a run that ended early
    historyLoaded = Signal(object, object)  # (TrainConfig, list[EpochReport]) of an opened model
    runFinished = Signal(object, bool)  # (Network or None, stopped), after the model state took it in
    failed = Signal(str, str)  # (title, message) to show the user
    notice = Signal(str)  # a passing status-bar message
    runRecorded = Signal(int)  # a run's id in the store: when it starts, and again when its end is recorded
    recordingProblem = Signal(str)  # "not recording runs: ..." (the store failed; training goes on)

    def __init__(self, tasks: TaskCache | None, data_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.tasks = tasks
        self.data_dir = Path(data_dir)
        self.store: RunStore | None = None
        self.store_problem: str | None = None  # why runs are not recorded
        try:
            self.store = RunStore.open(self.data_dir)
        except RunStoreError as e:
            self.store_problem = f"not recording runs: {e}"
        self._run: _Run | None = None
        self._run_state = RunState()
        self._model = ModelState()
        self._pending_open: str | None = None
        self._closing = False
        self._accuracy_threads: list[QThread] = []
        self._saving: tuple[QThread, workers.SaveWorker] | None = None  # the copy being kept now
        self._run_saves: dict[int, tuple[QThread, workers.SaveWorker]] = {}  # run id -> its model being written
        self._pending_save: workers.SaveWorker | None = None  # and the newer one waiting for it
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_INTERVAL_MS)
        self._progress_timer.timeout.connect(self._emit_progress)
        self._stopping_timer = QTimer(self)  # the stopping line's time left, once a second
        self._stopping_timer.setInterval(1000)
        self._stopping_timer.timeout.connect(self._refresh_stopping_note)

    # -- reading the state ---------------------------------------------------------------

    @property
    def run_state(self) -> RunState:
        return self._run_state

    @property
    def model(self) -> ModelState:
        return self._model

    def is_training(self) -> bool:
        return self._run is not None

    @property
    def closing(self) -> bool:
        """True once the window has begun to close: nothing new may start."""
        return self._closing

    def last_model_path(self) -> Path:
        """Where the last trained model is kept between sessions."""
        return self.data_dir / LAST_MODEL_NAME

    def should_ask_to_save(self) -> bool:
        """True when closing now would leave a trained model unsaved in the user's own files."""
        return self._model.trained and (not self._model.saved or self._run is not None)

    # -- what the user asks for (the panel's and the window's requests) ----------------------

    def _on_view_start(
        self, config: TrainConfig, task: TaskData | None = None, tags: tuple[str, ...] = (), sweep_id: str | None = None
    ) -> bool:
        """Train a fresh network with `config` (on `task`, or the cached task for it), recorded with
        `tags` (and a sweep's id). False if it can't start."""
        if self._run is not None or self.tasks is None:
            return False
        if task is None:
            try:
                task = self.tasks.get(config)
            except MlpguiError as e:
                self.failed.emit("Can't start", str(e))
                return False
        run = self._run = _Run(config, task, workers.TrainingWorker(config, task), before=self._model)
        w = run.worker
        w.epochDone.connect(self._on_worker_epoch)
        w.snapshot.connect(self._on_worker_snapshot)
        w.tested.connect(self._on_worker_tested)
        w.failed.connect(self._on_worker_failed)
        w.finished.connect(self._on_worker_finished)
        run.recorder = RunRecorder(self.store, config, _data_source(task), "window", tuple(tags), sweep_id)
        self.runStarted.emit(config)
        self._check_recording(run.recorder)
        if run.recorder.run_id is not None:
            self.runRecorded.emit(run.recorder.run_id)
        self._set_run_state(RunState(RunPhase.PREPARING, 0, config.epochs))
        run.thread = workers.start(w)
        return True

    def _on_view_stop(self, wait: bool = False) -> None:
        """End the run after the current epoch (mini-batch); with wait, block until it has."""
        run = self._run
        if run is None:
            return
        run.worker.stop()
        self._set_run_state(dataclasses.replace(self._run_state, phase=RunPhase.STOPPING, note=self._stopping_note()))
        if wait and run.thread is not None and shiboken6.isValid(run.thread):
            run.thread.wait()
        elif not self._stopping_timer.isActive():
            self._stopping_timer.start()

    def stop_for_closing(self, wait_ms: int) -> bool:
        """Stop the run for the closing window; True if it ended within `wait_ms` (then `shutdown` keeps it)."""
        run = self._run
        if run is None:
            return True
        self._on_view_stop()
        return run.thread is None or not shiboken6.isValid(run.thread) or run.thread.wait(wait_ms)

    def _stopping_note(self) -> str:
        """What Stop waits for, honestly: a mini-batch, or the rest of a full-batch epoch and how long that takes."""
        run = self._run
        if run is None or run.config.batch_size:
            return "Stopping after this mini-batch..."
        since = time.monotonic() - run.epoch_began
        if not run.history:
            return (
                f"Stopping when the first epoch ends (a full-batch epoch can't be cut short): "
                f"{format_duration(since)} into it so far..."
            )
        last = run.history[-1]
        left = last.elapsed / max(last.epoch, 1) - since
        if left < 1:  # longer than the epochs before it: no promise, only how long it has run
            return f"Stopping when this epoch ends: it has run {format_duration(since)} so far..."
        return f"Stopping when this epoch ends: about {format_duration(left)} left..."

    def _refresh_stopping_note(self) -> None:
        if self._run is None or self._run_state.phase is not RunPhase.STOPPING:
            self._stopping_timer.stop()
            return
        self._set_run_state(dataclasses.replace(self._run_state, note=self._stopping_note()))

    def _on_view_pause(self, paused: bool) -> None:
        run = self._run
        if run is None or run.worker.stop_requested:
            return
        if paused:
            run.worker.pause()
            phase = RunPhase.PAUSED
        else:
            run.worker.resume()
            phase = RunPhase.TRAINING if run.history else RunPhase.PREPARING
        self._set_run_state(dataclasses.replace(self._run_state, phase=phase))

    # -- what the worker reports (queued onto the GUI thread) ----------------------------------

    def _on_worker_epoch(self, report: EpochReport) -> None:
        run = self._run
        if run is None:
            return
        run.history.append(report)
        run.epoch_began = time.monotonic()
        if run.recorder is not None:
            run.recorder.epoch(report)
            self._check_recording(run.recorder)
        self.epochReported.emit(report)
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _on_worker_snapshot(self, network: Network) -> None:
        run = self._run
        if run is None or self._closing:
            return
        self._set_model(ModelState(network, run.task, tuple(run.history), None, ModelOrigin.TRAINING, saved=False))

    def _on_worker_tested(self, loss: float, accuracy: float) -> None:
        if self._run is not None:
            self._run.final_test = (loss, accuracy)

    def _on_worker_failed(self, message: str) -> None:
        if self._run is not None:
            self._run.error = message

    def _on_worker_finished(self, network: Network | None, stopped: bool) -> None:
        run = self._run
        if run is None:
            return
        self._run = None
        if self._closing:
            return  # `shutdown` kept what the run learnt
        self._progress_timer.stop()
        self._stopping_timer.stop()
        last = run.history[-1] if run.history else None
        note = "" if run.error else self._end_note(run, network)
        done = max(last.epoch if last else 0, network.epochs_trained if network is not None else 0)
        self._set_run_state(RunState(RunPhase.IDLE, done, run.config.epochs, last.elapsed if last else 0.0, note))
        self._record_end(run, network, stopped)
        if network is not None:
            history = run.kept_history(network)
            if run.final_test is not None:
                self.testMeasured.emit(network.epochs_trained, *run.final_test)
                accuracy = run.final_test[1]
            else:
                tested = [r.test_accuracy for r in history if r.test_accuracy is not None]
                accuracy = tested[-1] if tested else None
            origin = ModelOrigin.STOPPED if stopped else ModelOrigin.TRAINED
            path = run.saved[1] if run.saved is not None and _same_weights(run.saved[0], network) else None
            self._set_model(ModelState(network, run.task, history, accuracy, origin, path, saved=path is not None))
            self._autosave(network, history)
        elif self._model.network is not run.before.network:
            # Snapshots were shown, but the run kept no sound epoch (it diverged at once):
            # the model the user had before the run is current again.
            self._set_model(run.before)
        self.runFinished.emit(network, stopped)
        if run.error and not self._closing:
            error = run.error
            if network is None:  # no epoch kept: say which model is current, not what the trainer rolled back to
                error = error.partition("; the model was rolled back")[0] + ".\n" + _nothing_kept(run.before)
            self.failed.emit("Training stopped", error[:1].upper() + error[1:])
        if self._pending_open is not None:
            path, self._pending_open = self._pending_open, None
            self.open_model(path)

    @staticmethod
    def _end_note(run: _Run, network: Network | None) -> str:
        """The panel's line for a run that stopped where its history doesn't show it (the status bar agrees)."""
        done = run.history[-1].epoch if run.history else 0
        if network is None:
            return "" if run.history else "Stopped before the first epoch ended: no model was kept."
        if network.epochs_trained > done:  # stopped inside an epoch: it kept the mini-batches it finished
            return f"Stopped during epoch {network.epochs_trained}: the model keeps the mini-batches it finished."
        return ""

    def _emit_progress(self) -> None:
        run = self._run
        if run is None or not run.history:
            return
        last = run.history[-1]
        phase = self._run_state.phase if self._run_state.phase is not RunPhase.PREPARING else RunPhase.TRAINING
        note = self._stopping_note() if phase is RunPhase.STOPPING else ""
        self._set_run_state(RunState(phase, last.epoch, run.config.epochs, last.elapsed, note))

    def _on_worker_accuracy(self, network: Network, accuracy: float | None) -> None:
        self._accuracy_threads = [t for t in self._accuracy_threads if shiboken6.isValid(t) and t.isRunning()]
        if accuracy is not None and self._model.network is network:
            self._set_model(dataclasses.replace(self._model, test_accuracy=accuracy))

    # -- the run store --------------------------------------------------------------------------

    def _check_recording(self, recorder: RunRecorder) -> None:
        """Say it (once) when recording a run has failed."""
        if recorder.problem and recorder.problem != self.store_problem:
            self.store_problem = recorder.problem
            self.recordingProblem.emit(recorder.problem)

    def _record_end(self, run: _Run, network: Network | None, stopped: bool) -> None:
        """Record how the run ended, with its model and final test numbers."""
        recorder, run.recorder = run.recorder, None
        if recorder is None:
            return
        if run.outcome.diverged:
            status = "diverged"
        elif run.error:
            status = "failed"
        else:
            status = "stopped" if stopped else "finished"
        final_test = run.final_test
        if final_test is None and network is not None:
            tested = [r for r in run.kept_history(network) if r.test_accuracy is not None]
            if tested and tested[-1].epoch == network.epochs_trained:
                final_test = (tested[-1].test_loss, tested[-1].test_accuracy)
        recorder.finish(status, None, final_test)  # the model file is written off the GUI thread, below
        self._check_recording(recorder)
        if recorder.run_id is None:
            return
        self.runRecorded.emit(recorder.run_id)
        if network is not None and network.epochs_trained > 0 and not recorder.problem and self.store is not None:
            self._save_run_model(recorder.run_id, network, run.kept_history(network))

    def _save_run_model(self, run_id: int, network: Network, history) -> None:
        """Keep a run's model beside the run store (models/run-<id>.npz) on a `SaveWorker` thread."""
        saver = workers.SaveWorker(network, self.store.model_file(run_id), history)
        saver.run_id = run_id
        if self._closing:
            saver.save()
            self._on_run_model_saved(saver)
            return
        saver.finished.connect(self._on_run_model_saved)
        self._run_saves[run_id] = (workers.start(saver), saver)

    def _on_run_model_saved(self, saver: workers.SaveWorker) -> None:
        self._run_saves.pop(saver.run_id, None)
        if saver.error:
            if not self._closing:
                self.notice.emit(f"Run {saver.run_id} is recorded, but its model was not kept: {saver.error}")
        elif not self._closing:
            self.runRecorded.emit(saver.run_id)  # its model can be opened now

    def _wait_for_run_saves(self) -> None:
        for thread, saver in list(self._run_saves.values()):
            if shiboken6.isValid(thread):
                thread.wait()
            self._on_run_model_saved(saver)

    def current_run_id(self) -> int | None:
        """The store's id of the run in progress (None when idle or not recording)."""
        run = self._run
        return run.recorder.run_id if run is not None and run.recorder is not None else None

    # -- the model ------------------------------------------------------------------------------

    def _set_run_state(self, state: RunState) -> None:
        self._run_state = state
        self.runStateChanged.emit(state)

    def _set_model(self, state: ModelState) -> None:
        self._model = state
        self.modelChanged.emit(state)

    def _task_for(self, network: Network) -> TaskData | None:
        if self.tasks is None:
            return None
        try:
            return self.tasks.get(network.config)
        except MlpguiError:
            return None

    def _take_model(self, network: Network, history: list[EpochReport], origin: ModelOrigin, path) -> None:
        """Make an opened or restored model current; its test accuracy is the file's, or measured off-thread."""
        task = self._task_for(network)
        accuracy = last_test_accuracy(history, network.epochs_trained)
        self.historyLoaded.emit(network.config, history)
        self._set_run_state(RunState(RunPhase.IDLE, n := network.epochs_trained, max(network.config.epochs, n, 1)))
        self._set_model(ModelState(network, task, tuple(history), accuracy, origin, str(path), saved=True))
        if accuracy is None and task is not None:
            measure = workers.AccuracyWorker(network, task)
            measure.finished.connect(self._on_worker_accuracy)
            self._accuracy_threads.append(workers.start(measure))

    def keep_finetuned(self, network: Network, history, test_accuracy: float | None) -> bool:
        """Make `network`, fine-tuned from the current model, the current one (not during a run).

        Like the end of a run: its epochs join the history, it is not saved in a file yet, and a copy is
        kept in the data folder. False (nothing changes) during a run or without a current model.
        """
        if self._run is not None or self._model.network is None:
            return False
        kept = tuple(self._model.history) + tuple(r for r in history if r.epoch <= network.epochs_trained)
        self._set_model(ModelState(network, self._model.task, kept, test_accuracy, ModelOrigin.TRAINED, saved=False))
        self._autosave(network, kept)
        return True

    def open_model(self, path) -> bool:
        """Open a model file. During a run: stop it, then open (returns False now, opens when it has ended)."""
        if self._run is not None:
            self._pending_open = str(path)
            self._on_view_stop()
            return False
        return self._load(path, ModelOrigin.OPENED, "Can't open the model")

    def save_model(self, path) -> bool:
        """Save the current model and its history to `path`."""
        network = self._model.network
        if network is None:
            return False
        try:
            model_io.save_model(network, path, list(self._model.history))
        except MlpguiError as e:
            self.failed.emit("Can't save the model", str(e))
            return False
        if self._run is None:
            self._set_model(dataclasses.replace(self._model, path=str(path), saved=True))
        else:
            self._run.saved = (network, str(path))  # still saved if the run ends with these very weights
        self.notice.emit(f"Saved the model to {path}")
        return True

    def export_history(self, path) -> bool:
        if not self._model.history:
            self.failed.emit("Nothing to export", "train or open a model first: there is no loss history yet")
            return False
        try:
            write_history_csv(path, list(self._model.history))
        except MlpguiError as e:
            self.failed.emit("Can't export the loss history", str(e))
            return False
        self.notice.emit(f"Wrote {path}")
        return True

    # -- the last model, kept between sessions --------------------------------------------------

    def _autosave(self, network: Network, history, wait: bool = False) -> None:
        """Keep a copy of `network` at `last_model_path()` on a `SaveWorker` thread (with wait: here, now).

        One save at a time, so the newest model is the one that ends up in the file:
        a model that comes during a save waits for it (only the newest waiting one is kept).
        """
        saver = workers.SaveWorker(network, self.last_model_path(), history)
        if wait or self._closing:
            self._wait_for_autosave()
            self._pending_save = None
            saver.save()
            self._on_saved(saver)
            return
        if self._saving is not None:
            self._pending_save = saver
            return
        saver.finished.connect(self._on_saved)
        self._saving = (workers.start(saver), saver)

    def _on_saved(self, saver: workers.SaveWorker) -> None:
        if self._saving is not None and self._saving[1] is saver:
            self._saving = None
        if saver.error and not self._closing:
            self.notice.emit(f"Couldn't keep a copy of the model: {saver.error}")
        if self._saving is None and self._pending_save is not None:
            pending, self._pending_save = self._pending_save, None
            pending.finished.connect(self._on_saved)
            self._saving = (workers.start(pending), pending)

    def _wait_for_autosave(self) -> None:
        """Block until the running save (and the one waiting for it) are written."""
        while self._saving is not None:
            thread, saver = self._saving
            self._saving = None
            if shiboken6.isValid(thread):
                thread.wait()
            self._on_saved(saver)  # starts the waiting one, if any

    def kept_model(self) -> Network | None:
        """The model kept from the last session, if there is a readable one."""
        path = self.last_model_path()
        if not path.is_file():
            return None
        try:
            return model_io.load_model(path)
        except MlpguiError:
            return None

    def restore_last_model(self) -> bool:
        """Make the model kept from the last session current (not during a run)."""
        if self._run is not None:
            return False
        return self._load(self.last_model_path(), ModelOrigin.RESTORED, "Can't restore the last model")

    def _load(self, path, origin: ModelOrigin, problem: str) -> bool:
        """Read a model file and make it current; a bad file becomes a `failed` message titled `problem`."""
        try:
            network, history = model_io.load_model_with_history(path)
        except MlpguiError as e:
            self.failed.emit(problem, str(e))
            return False
        self._take_model(network, reports_from_history(history), origin, path)
        return True

    # -- closing ------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """The window is closing: stop the run and wait for it, keep what it learnt, wait for measurements."""
        self._closing = True
        run = self._run
        if run is not None:
            self._on_view_stop(wait=True)
            outcome = run.outcome.network
            if outcome is not None:
                # The outcome's own history: the last epochs' reports may still be queued for this thread.
                history = run.outcome.history or run.history
                self._autosave(outcome, tuple(r for r in history if r.epoch <= outcome.epochs_trained), wait=True)
            if run.recorder is not None:  # the epochs still queued for this thread, then the end
                recorded = run.history[-1].epoch if run.history else 0
                for report in run.outcome.history:
                    if report.epoch > recorded:
                        run.recorder.epoch(report)
                self._record_end(run, outcome, run.outcome.stopped)
        self._wait_for_autosave()
        self._wait_for_run_saves()
        for thread in self._accuracy_threads:
            if shiboken6.isValid(thread):
                thread.wait()
        self._accuracy_threads = []
        if self.store is not None:
            self.store.close()
            self.store = None


def _data_source(task: TaskData | None) -> str:
    """The data a run trained on, as the run store names it."""
    if task is None or not task.source or Path(task.source) == shipped_dir():
        return "MNIST (shipped)"
    return task.source
