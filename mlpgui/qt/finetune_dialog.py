"""Fine-tune: train a copy of the current model a few epochs on the training set plus my digits, and compare.

`FineTuneDialog` asks how many times each of my digits joins the training
set (k) and for how many epochs (and the step size and batch), runs
`mlpgui.core.finetune.finetune` on a `FineTuneWorker` thread with progress
and Cancel, then shows the `FineTuneResult` before and after side by side:
accuracy on my digits and on the MNIST test set (so what was forgotten shows
as well as what was learnt), and the thumbnails of my digits whose guess
changed. "Keep the fine-tuned model" emits `keepRequested(result)` (the
window makes it current through the session); anything else changes nothing:
the core trains a copy.

The worker follows `worker.py`: a QObject moved to a QThread, both owned by
Python (kept on the dialog), no deleteLater; results come back by queued
signals, and stopping is a thread-safe event.
"""

from __future__ import annotations

import math
import sys
import threading
import traceback

import numpy as np
import shiboken6
from PySide6 import QtCore, QtWidgets

from ..core.config import TrainConfig
from ..core.errors import MlpguiError
from ..core.finetune import MAX_REPEATS, FineTuneResult, finetune
from ..core.mydigits import MyDigits, of_task
from ..core.network import Network
from ..core.progress import format_duration
from ..core.tasks import TaskData
from . import worker as workers
from .thumbnails import ThumbnailList

DEFAULT_REPEATS = 10
DEFAULT_EPOCHS = 3
MAX_EPOCHS = 1000
DEFAULT_BATCH = 100  # for a model trained full batch: a few full-batch epochs are only a few steps
RIGHT, WRONG = "#1e8e3e", "#d0312d"


class FineTuneWorker(QtCore.QObject):
    """Runs `finetune` once. epochDone(EpochReport) after each epoch; finished(FineTuneResult or None,
    error message or "") always, last."""

    epochDone = QtCore.Signal(object)
    finished = QtCore.Signal(object, str)

    def __init__(
        self, network: Network, config: TrainConfig, task: TaskData, mydigits: MyDigits, repeats: int, epochs: int
    ):
        super().__init__()
        self.network, self.config, self.task = network, config, task
        self.mydigits, self.repeats, self.epochs = mydigits, repeats, epochs
        self._stop = threading.Event()

    def stop(self) -> None:
        """End the run at the next step (thread-safe); the result then says stopped."""
        self._stop.set()

    @QtCore.Slot()
    def run(self) -> None:
        workers.run_in_background()
        result, error = None, ""
        try:
            result = finetune(
                self.network,
                self.config,
                self.task,
                self.mydigits,
                self.repeats,
                self.epochs,
                stop=self._stop,
                progress=self.epochDone.emit,
            )
        except MlpguiError as e:
            error = str(e)
        except Exception as e:  # a bug: tell the user, keep the app alive, leave a trace for the report
            traceback.print_exc(file=sys.stderr)
            error = f"fine-tuning failed unexpectedly ({type(e).__name__}: {e})"
        finally:
            workers.return_to_gui_thread(self)
            self.finished.emit(result, error)


def percent(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{100 * value:.1f}%"


def change(before: float, after: float) -> str:
    if not (math.isfinite(before) and math.isfinite(after)):
        return "–"
    return f"{100 * (after - before):+.1f} points"


class FineTuneDialog(QtWidgets.QDialog):
    """Settings, progress and Cancel, then before/after and the changed guesses; Keep or close."""

    keepRequested = QtCore.Signal(object)  # FineTuneResult

    def __init__(self, network: Network, task: TaskData, mydigits: MyDigits, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Fine-tune on my digits")
        self.network, self.task = network, task
        # A snapshot: the worker reads it while the learner may add more digits (the core replaces, never
        # changes in place, the arrays of a set).
        self.mydigits = MyDigits(mydigits.folder, mydigits.images, mydigits.labels)
        self.result: FineTuneResult | None = None
        self.error = ""
        self._thread: QtCore.QThread | None = None
        self._worker: FineTuneWorker | None = None
        self._closing = False
        c = network.config
        self._mine = len(of_task(self.mydigits, task.classes)[0])

        intro = QtWidgets.QLabel(
            f"Trains a <b>copy</b> of the current model ({c.describe()}, {network.epochs_trained} epochs so far) "
            f"for a few more epochs on its {task.n_train:,} training images plus your <b>{self._mine}</b> digits "
            f"of its classes, each repeated k times. The model you have stays as it is unless you keep the copy."
        )
        intro.setWordWrap(True)

        self.repeats = QtWidgets.QSpinBox()
        self.repeats.setRange(1, MAX_REPEATS)
        self.repeats.setValue(DEFAULT_REPEATS)
        self.repeats.setToolTip("How many times each of my digits joins the training set")
        self.epochs = QtWidgets.QSpinBox()
        self.epochs.setRange(1, MAX_EPOCHS)
        self.epochs.setValue(DEFAULT_EPOCHS)
        self.epochs.setToolTip("Passes over the training set plus my digits")
        self.lr = QtWidgets.QDoubleSpinBox()
        self.lr.setDecimals(4)
        self.lr.setRange(0.0001, 1000.0)
        self.lr.setValue(c.lr)
        self.lr.setToolTip("Gradient-descent step size (the model's own to start with)")
        self.batch = QtWidgets.QSpinBox()
        self.batch.setRange(0, 100_000)
        self.batch.setSpecialValueText("full batch")
        self.batch.setValue(c.batch_size or DEFAULT_BATCH)
        self.batch.setToolTip(
            "Images per gradient step (0: full batch, one step per epoch).\n"
            "A model trained full batch gets mini-batches here, so a few epochs are more than a few steps."
        )
        self.sizes = QtWidgets.QLabel()
        form = QtWidgets.QFormLayout()
        form.addRow("Repeat each of my digits (k)", self.repeats)
        form.addRow("Epochs", self.epochs)
        form.addRow("Learning rate", self.lr)
        form.addRow("Batch size", self.batch)
        form.addRow(self.sizes)

        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, DEFAULT_EPOCHS)
        self.progress.setValue(0)
        self.progress.setFormat("epoch %v / %m")
        self.progress_label = QtWidgets.QLabel()
        self.progress_label.setWordWrap(True)

        # before / after, side by side
        self.table = QtWidgets.QGridLayout()
        for col, text in enumerate(("", "Before", "After", "Change")):
            label = QtWidgets.QLabel(f"<b>{text}</b>")
            label.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight if col else QtCore.Qt.AlignmentFlag.AlignLeft)
            self.table.addWidget(label, 0, col)
        self.cells: dict[tuple[str, str], QtWidgets.QLabel] = {}
        for row, (key, text) in enumerate(
            (
                ("mine", f"Accuracy on my digits ({self._mine})"),
                ("test", f"Accuracy on the MNIST test set ({task.n_test:,})"),
            ),
            start=1,
        ):
            self.table.addWidget(QtWidgets.QLabel(text), row, 0)
            for col, which in enumerate(("before", "after", "change"), start=1):
                cell = QtWidgets.QLabel("–")
                cell.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
                self.cells[(key, which)] = cell
                self.table.addWidget(cell, row, col)
        self.table.setColumnStretch(0, 1)
        results = QtWidgets.QGroupBox("Before and after")
        box = QtWidgets.QVBoxLayout(results)
        box.addLayout(self.table)
        self.changed_label = QtWidgets.QLabel("My digits whose guess changed appear here.")
        self.changed_label.setWordWrap(True)
        box.addWidget(self.changed_label)
        self.changed = ThumbnailList(42, caption_lines=1)
        self.changed.setMinimumHeight(120)
        self.changed.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        box.addWidget(self.changed, 1)

        self.start_button = QtWidgets.QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop fine-tuning: the model stays as it was")
        self.cancel_button.clicked.connect(self.cancel)
        self.keep_button = QtWidgets.QPushButton("Keep the fine-tuned model")
        self.keep_button.setToolTip("Make the fine-tuned copy the current model (File > Save keeps it in a file)")
        self.keep_button.clicked.connect(self.keep)
        self.close_button = QtWidgets.QPushButton("Close")
        self.close_button.setToolTip("Close; the current model stays as it is")
        self.close_button.clicked.connect(self.reject)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.close_button)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addWidget(results, 1)
        layout.addLayout(buttons)

        for spin in (self.repeats, self.epochs, self.batch):
            spin.valueChanged.connect(self._show_sizes)
        self._show_sizes()
        self._show_buttons()
        self.resize(620, 600)

    # -- running -------------------------------------------------------------------------

    def config(self) -> TrainConfig:
        """The training settings of the fine-tuning run (the model's, with this dialog's lr and batch)."""
        return self.network.config.replace(lr=float(self.lr.value()), batch_size=int(self.batch.value()))

    def is_running(self) -> bool:
        return self._worker is not None

    def start(self) -> bool:
        if self._worker is not None:
            return False
        self.result, self.error = None, ""
        self._show_result()
        epochs = int(self.epochs.value())
        w = FineTuneWorker(self.network, self.config(), self.task, self.mydigits, int(self.repeats.value()), epochs)
        w.epochDone.connect(self._on_epoch)
        w.finished.connect(self._on_finished)
        self._worker = w
        self.progress.setRange(0, epochs)
        self.progress.setValue(0)
        self.progress_label.setText("Measuring the model before, then training the copy...")
        self._thread = workers.start(w)
        self._show_buttons()
        return True

    def cancel(self) -> None:
        """Stop the run under way (the model stays as it was); without one, close."""
        if self._worker is None:
            self.reject()
            return
        self._worker.stop()
        self.progress_label.setText("Cancelling...")
        self.cancel_button.setEnabled(False)

    def wait(self) -> None:
        """Block until the run under way has ended (closing)."""
        thread = self._thread
        if thread is not None and shiboken6.isValid(thread):
            thread.wait()

    def _on_epoch(self, report) -> None:
        if self._worker is None:
            return
        done = report.epoch - self.network.epochs_trained
        self.progress.setValue(min(done, self.progress.maximum()))
        self.progress_label.setText(f"Epoch {done} of {self.progress.maximum()}: training loss {report.loss:.4g}")

    def _on_finished(self, result: FineTuneResult | None, error: str) -> None:
        if self._worker is None:
            return
        self._worker = None
        if error:
            self.error = error
            self.progress_label.setText(f"<b>Can't fine-tune:</b> {error}. The model is unchanged.")
        elif result is None or result.stopped:
            self.progress_label.setText("Cancelled: the model is unchanged.")
        else:
            self.result = result
            secs = result.history[-1].elapsed if result.history else 0.0
            took = f"{secs:.2f} s" if secs < 60 else format_duration(secs)
            self.progress_label.setText(
                f"Done: {len(result.history)} epoch{'s' if len(result.history) != 1 else ''} of training in {took}. "
                "Keep the fine-tuned model, or close to leave the current one as it is."
            )
        self._show_result()
        self._show_buttons()

    # -- the answer -------------------------------------------------------------------------

    def keep(self) -> bool:
        if self.result is None or self._worker is not None:
            return False
        self.keepRequested.emit(self.result)
        self.accept()
        return True

    def reject(self) -> None:
        """Close (Escape, the window's close button, Close or Cancel): a run under way is stopped first."""
        if self._worker is not None:
            self._worker.stop()
            self.wait()
            self._worker = None
        super().reject()

    def closeEvent(self, event) -> None:
        if self._worker is not None:
            self._worker.stop()
            self.wait()
            self._worker = None
        super().closeEvent(event)

    # -- showing ------------------------------------------------------------------------------

    def shown(self, row: str, which: str) -> str:
        """A cell of the before/after table: row "mine" or "test", which "before", "after" or "change"."""
        return self.cells[(row, which)].text()

    def _show_sizes(self) -> None:
        k = int(self.repeats.value())
        self.sizes.setText(
            f"Training set: {self.task.n_train:,} images + {self._mine} × {k} = {self._mine * k:,} of mine"
        )

    def _show_buttons(self) -> None:
        running = self._worker is not None
        for w in (self.repeats, self.epochs, self.lr, self.batch, self.start_button):
            w.setEnabled(not running and self._mine > 0)
        self.cancel_button.setEnabled(running)
        self.keep_button.setEnabled(self.result is not None and not running)
        self.close_button.setEnabled(not running)
        if self._mine == 0:
            self.progress_label.setText("None of my digits is one of this model's digits: nothing to fine-tune on.")

    def _show_result(self) -> None:
        r = self.result
        if r is None:
            for cell in self.cells.values():
                cell.setText("–")
            self.changed.clear()
            self.changed_label.setText("My digits whose guess changed appear here.")
            return
        for key, before, after in (("mine", r.before_mine, r.after_mine), ("test", r.before_test, r.after_test)):
            self.cells[(key, "before")].setText(percent(before))
            self.cells[(key, "after")].setText(percent(after))
            self.cells[(key, "change")].setText(change(before, after))
        position = {int(i): p for p, i in enumerate(r.indices)}
        rows = [position[int(i)] for i in r.changed]
        labels = self.mydigits.labels
        captions, tips, colours = [], [], []
        for p in rows:
            i, b, a = int(r.indices[p]), int(r.before_guesses[p]), int(r.after_guesses[p])
            captions.append(f"{b} → {a}")
            tips.append(f"My digit #{i}, labelled {labels[i]}: guessed {b} before, {a} after")
            colours.append(RIGHT if a == labels[i] else WRONG)
        images = self.mydigits.images[np.asarray(r.changed, np.intp)]
        self.changed.set_items(images, captions, keys=[int(i) for i in r.changed], tooltips=tips, colours=colours)
        n = len(rows)
        fixed = sum(c == RIGHT for c in colours)
        self.changed_label.setText(
            "No guess of my digits changed."
            if n == 0
            else f"{n} of my digits changed their guess (before → after): {fixed} now right (green), "
            f"{n - fixed} now wrong (red)."
        )


def open_finetune_dialog(session, digits: MyDigits | None, parent, previous: FineTuneDialog | None = None):
    """Open a FineTuneDialog (window-modal) for `session`'s current model and `digits`; None when there is
    no model with its training set, no readable set of digits, or a run is under way. "Keep" makes the
    fine-tuned copy current through `session.keep_finetuned`. A previous dialog whose run has ended is
    deleted: one at a time."""
    state = session.model
    if state.network is None or state.task is None or digits is None or session.is_training():
        return None
    if previous is not None and shiboken6.isValid(previous) and not previous.is_running():
        previous.deleteLater()
    dialog = FineTuneDialog(state.network, state.task, digits, parent)

    def keep(result: FineTuneResult) -> None:
        if not session.keep_finetuned(result.network, result.history, result.after_test):
            QtWidgets.QMessageBox.warning(
                parent, "Can't keep the fine-tuned model", "A training run started meanwhile; the model is unchanged."
            )

    dialog.keepRequested.connect(keep)
    dialog.open()
    return dialog
