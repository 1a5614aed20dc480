"""The main window: experiment dock, loss plot and views, draw pad, File menu, status bar.

The window wires parts together and computes nothing itself: the experiment
panel says what to train, a `TrainingWorker` on its own thread trains it, the
loss plot and the views show what comes back. `modelChanged(network, task)`
is the one signal every view listens to; it fires on each training snapshot,
when a run finishes, and when a model is opened or restored.

Nothing the user made is lost: the last trained model is also saved to the
user's data folder after every run (and when the window closes mid-run) and
offered back at the next start; quitting with an unsaved model asks first.
"""

from __future__ import annotations

import csv
import math
import os
import time
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QFrame, QHBoxLayout, QLabel, QMainWindow, QMessageBox,
                               QPushButton, QScrollArea, QTabWidget, QVBoxLayout, QWidget)

from mlpgui.core.config import TrainConfig
from mlpgui.core.data import load_mnist
from mlpgui.core.errors import ConfigError, MlpguiError
from mlpgui.core.metrics import Evaluation
from mlpgui.core.network import Network
from mlpgui.core.tasks import TaskData
from mlpgui.core.training import EpochReport

from . import worker as training
from .experiment_panel import ExperimentPanel, TaskSource
from .loss_plot import LossPlot
from .settings import LAST_MODEL_NAME, Settings, app_data_dir

from mlpgui.core import model_io

from .draw_pad import DrawPadPanel
from .evaluation_panel import EvaluationPanel

MODEL_FILTER = "mlpgui models (*.npz)"
STATUS_INTERVAL_MS = 100
HISTORY_COLUMNS = ("epoch", "loss", "train_accuracy", "test_loss", "test_accuracy", "elapsed")


def write_history_csv(path, reports: list[EpochReport]) -> None:
    """One row per epoch; empty cells where the test set was not measured. Written atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(HISTORY_COLUMNS)
            for r in reports:
                out.writerow(["" if getattr(r, c) is None else repr(getattr(r, c)) for c in HISTORY_COLUMNS])
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise MlpguiError(f"can't write {path}: {e.strerror or e}") from None


def reports_from_history(history: dict | None) -> list[EpochReport]:
    """A model file's history columns back into EpochReports (NaN = not measured)."""
    if not history or "loss" not in history:
        return []
    n = len(history["loss"])
    epochs = history.get("epoch", np.arange(1, n + 1))

    def column(name, i):
        if name not in history:
            return None
        v = float(history[name][i])
        return None if math.isnan(v) else v

    last = int(epochs[-1]) if n else 0
    return [EpochReport(int(epochs[i]), last, float(history["loss"][i]), column("train_accuracy", i) or 0.0,
                        column("elapsed", i) or 0.0, column("test_loss", i), column("test_accuracy", i))
            for i in range(n)]


def _percent(x: float | None) -> str:
    return "?" if x is None else f"{100 * x:.1f}%"


class _Run(QObject):
    """One training run: the worker's signals arrive here, on the GUI thread, tagged with their run."""

    def __init__(self, window: "MainWindow", config: TrainConfig, task: TaskData):
        super().__init__(window)
        self.win = window
        self.config, self.task = config, task
        self.worker = training.TrainingWorker(config, task)
        self.outcome = self.worker.outcome
        self.history: list[EpochReport] = []
        self.final_test: tuple[float, float] | None = None
        self.error: str | None = None
        self.started = time.monotonic()
        self.thread = None
        self.before: tuple = (None, None, "", [], None)  # the window's model when the run started
        w = self.worker
        w.epochDone.connect(self._epoch)
        w.snapshot.connect(self._snapshot)
        w.tested.connect(self._tested)
        w.failed.connect(self._failed)
        w.finished.connect(self._finished)

    @Slot(object)
    def _epoch(self, report):
        self.win._run_epoch(self, report)

    @Slot(object)
    def _snapshot(self, network):
        self.win._run_snapshot(self, network)

    @Slot(float, float)
    def _tested(self, loss, accuracy):
        self.final_test = (loss, accuracy)

    @Slot(str)
    def _failed(self, message):
        self.error = message

    @Slot(object, bool)
    def _finished(self, network, stopped):
        self.win._run_finished(self, network, stopped)


class FittingScrollArea(QScrollArea):
    """Scrolls its widget, first telling it the width it has (`fit_width`), so it can rearrange."""

    def resizeEvent(self, event) -> None:
        widget = self.widget()
        if widget is not None:
            widget.fit_width(event.size().width() - self.verticalScrollBar().sizeHint().width())
        super().resizeEvent(event)


class MainWindow(QMainWindow):
    """Train, watch, draw, save: the whole app in one window."""

    modelChanged = Signal(object, object)   # (Network, TaskData or None): the model every view shows
    trainingStarted = Signal(object)        # TrainConfig
    runFinished = Signal(object, bool)      # (Network or None, stopped), after the window took it in

    def __init__(self, settings: Settings | None = None, data_dir=None, mnist=None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings if settings is not None else Settings()
        self.data_dir = Path(data_dir) if data_dir is not None else app_data_dir()
        self.setWindowTitle("mlpgui: train a neural network on handwritten digits")

        data_error = ""
        if mnist is None:
            try:
                mnist = load_mnist()
            except MlpguiError as e:
                data_error = f"Can't load the MNIST data: {e}"
        self.mnist = mnist
        self.tasks = TaskSource(mnist) if mnist is not None else None

        self._network: Network | None = None
        self._model_task: TaskData | None = None
        self._history: list[EpochReport] = []
        self._test_accuracy: float | None = None
        self._model_source = ""
        self._unsaved = False
        self._run: _Run | None = None
        self._pending_open: str | None = None
        self._closing = False
        self._offered: Network | None = None

        self._build(data_error)
        self._restore_settings()
        self._offer_last_model()
        self._form_changed(self.panel.config())
        if data_error:
            QTimer.singleShot(0, lambda: self._error("No data", data_error))

    # -- building -----------------------------------------------------------------------

    def _build(self, data_error: str) -> None:
        self.panel = ExperimentPanel(self.tasks, data_error)
        self.panel.startRequested.connect(self.start_training)
        self.panel.stopRequested.connect(self.stop_training)
        self.panel.pauseToggled.connect(self.pause_training)
        self.panel.configChanged.connect(self._form_changed)
        self.experiment_dock = QDockWidget("Experiment")
        self.experiment_dock.setObjectName("experimentDock")
        self.experiment_dock.setWidget(self.panel)
        self.experiment_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.experiment_dock)

        self.loss_plot = LossPlot()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.loss_plot, "Loss")

        self.banner = self._build_banner()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.draw_pad = DrawPadPanel()
        self.draw_dock = QDockWidget("Draw a digit")
        self.draw_dock.setObjectName("drawPadDock")
        self.draw_dock.setWidget(self.draw_pad)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.draw_dock)
        self.modelChanged.connect(self._feed_draw_pad)

        self.evaluation = EvaluationPanel()
        # Scrolls rather than widening the window: it must fit 1280x800 with both docks open.
        evaluation_page = FittingScrollArea()
        evaluation_page.setWidgetResizable(True)
        evaluation_page.setFrameShape(QFrame.Shape.NoFrame)
        evaluation_page.setWidget(self.evaluation)
        self.add_view(evaluation_page, "Evaluation")
        self.modelChanged.connect(self.evaluation.set_model)
        self.evaluation.sendToDrawPad.connect(self.show_in_draw_pad)
        self.draw_pad.inputChanged.connect(self.evaluation.show_drawn_input)

        self.dataset_status = QLabel()
        self.model_status = QLabel()
        self.statusBar().addWidget(self.model_status, 1)
        self.statusBar().addPermanentWidget(self.dataset_status)
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(STATUS_INTERVAL_MS)
        self._status_timer.timeout.connect(self._update_progress)

        self._build_menus()

    def _build_banner(self) -> QFrame:
        banner = QFrame()
        banner.setObjectName("restoreBanner")
        banner.setStyleSheet("#restoreBanner { background: #fff4ce; border-bottom: 1px solid #e0c97f; }"
                             "#restoreBanner QLabel { color: #3a3000; }")
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        restore = QPushButton("Restore")
        restore.setToolTip("Load the model you trained last time")
        restore.clicked.connect(self.restore_last_model)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(banner.hide)
        self.banner_restore_button = restore
        row = QHBoxLayout(banner)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.banner_label, 1)
        row.addWidget(restore)
        row.addWidget(dismiss)
        banner.hide()
        return banner

    def _build_menus(self) -> None:
        def action(text, slot, shortcut=None, tip=""):
            a = QAction(text, self)
            a.triggered.connect(lambda _checked=False: slot())
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.setStatusTip(tip)
            return a

        file_menu = self.menuBar().addMenu("&File")
        self.open_action = action("&Open model...", self.open_model, QKeySequence.StandardKey.Open,
                                  "Open a model saved by mlpgui (.npz)")
        self.save_action = action("&Save model...", self.save_model, QKeySequence.StandardKey.Save,
                                  "Save the current model and its loss history (.npz)")
        self.export_history_action = action("Export loss &history (CSV)...", self.export_history,
                                            tip="The loss and accuracies of every epoch, as a CSV table")
        self.export_plot_action = action("Export &plot (PNG)...", self.export_plot,
                                         tip="The loss plot as a picture")
        self.quit_action = action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        for a in (self.open_action, self.save_action, None, self.export_history_action,
                  self.export_plot_action, None, self.quit_action):
            file_menu.addSeparator() if a is None else file_menu.addAction(a)

        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.experiment_dock.toggleViewAction())
        view_menu.addAction(self.draw_dock.toggleViewAction())

    # -- what the lead and the views use -----------------------------------------------------

    def add_view(self, widget: QWidget, title: str) -> int:
        """Add a tab beside the loss plot; returns its index. Views follow `modelChanged`."""
        return self.tabs.addTab(widget, title)

    def show_in_draw_pad(self, image: np.ndarray) -> None:
        """Put a uint8 (28, 28) image on the draw pad (e.g. from the image browser)."""
        self.draw_pad.set_image(image)
        self.draw_dock.show()
        self.draw_dock.raise_()

    def current_model(self) -> Network | None:
        return self._network

    def current_task(self) -> TaskData | None:
        return self._model_task

    def history(self) -> list[EpochReport]:
        """The loss history of the current model."""
        return list(self._history)

    def is_training(self) -> bool:
        return self._run is not None

    def last_model_path(self) -> Path:
        """Where the last trained model is kept between sessions."""
        return self.data_dir / LAST_MODEL_NAME

    # -- training ------------------------------------------------------------------------------

    def start_training(self, config: TrainConfig | None = None) -> bool:
        """Train a fresh network with `config` (default: the form's). False if it can't start."""
        if self._run is not None or self.tasks is None:
            return False
        if config is None or config == self.panel.config():
            config, task = self.panel.config(), self.panel.task()
        else:
            try:
                task = self.tasks.get(config)
            except MlpguiError as e:
                self._error("Can't start", str(e))
                return False
        if config is None or task is None:
            return False
        self.banner.hide()
        self.settings.set_last_config(self.panel.preset_name(), config)
        run = self._run = _Run(self, config, task)
        run.before = (self._network, self._model_task, self._model_source, self._history, self._test_accuracy)
        self.loss_plot.start_run(config)
        self.panel.set_running(True)
        self.panel.reset_progress(config.epochs)
        self.panel.show_status("Preparing the data...")
        self.trainingStarted.emit(config)
        run.thread = training.start(run.worker)
        self._update_status()
        return True

    def stop_training(self, wait: bool = False) -> None:
        """Ask the run to end after the current epoch (mini-batch); with wait, block until it has."""
        run = self._run
        if run is None:
            return
        run.worker.stop()
        self.panel.stop_button.setEnabled(False)
        self.panel.pause_button.setEnabled(False)
        self.panel.show_status("Stopping after this epoch...")
        if wait and run.thread is not None and shiboken6.isValid(run.thread):
            run.thread.wait()

    def pause_training(self, paused: bool) -> None:
        run = self._run
        if run is None:
            return
        run.worker.pause() if paused else run.worker.resume()
        self.panel.set_paused(paused)
        self._update_status()

    def _run_epoch(self, run: _Run, report: EpochReport) -> None:
        if run is not self._run:
            return
        run.history.append(report)
        self.loss_plot.add_report(report)
        if not self._status_timer.isActive():
            self._status_timer.start()

    def _run_snapshot(self, run: _Run, network: Network) -> None:
        if run is not self._run or self._closing:
            return
        self._history = list(run.history)
        self._test_accuracy = None
        self._set_model(network, run.task, "training")

    def _run_finished(self, run: _Run, network: Network | None, stopped: bool) -> None:
        if run is not self._run:
            return
        self._run = None
        run.deleteLater()
        self.panel.set_running(False)
        self._update_progress(run)
        if network is not None:
            history = [r for r in run.history if r.epoch <= network.epochs_trained]
            if run.final_test is not None:
                self.loss_plot.add_test_point(network.epochs_trained, *run.final_test)
            tested = [r.test_accuracy for r in history if r.test_accuracy is not None]
            accuracy = run.final_test[1] if run.final_test is not None else (tested[-1] if tested else None)
            self._history = history
            self._test_accuracy = accuracy
            self._unsaved = True
            self._set_model(network, run.task, "stopped" if stopped else "trained")
            self._autosave(network, history)
        elif self._network is not run.before[0]:
            # Snapshots were shown, but the run kept no sound epoch (it diverged at once):
            # the model the user had before the run is current again.
            network_before, task, source, self._history, self._test_accuracy = run.before
            self._set_model(network_before, task, source)
        if not run.history:
            self.panel.show_status("Stopped before the first epoch ended." if not run.error else "")
        self._update_status()
        self.runFinished.emit(network, stopped)
        if run.error and not self._closing:
            self._error("Training stopped", run.error[:1].upper() + run.error[1:])
        if self._pending_open is not None:
            path, self._pending_open = self._pending_open, None
            self.open_model(path)

    def _form_changed(self, config: TrainConfig | None) -> None:
        if config is not None and self._run is None:
            self.loss_plot.show_planned_epochs(config.epochs)
            if self._network is None:
                self.panel.reset_progress(config.epochs)
        self._update_status()

    # -- the current model -------------------------------------------------------------------------

    def _set_model(self, network: Network | None, task: TaskData | None, source: str) -> None:
        self._network, self._model_task, self._model_source = network, task, source
        self.save_action.setEnabled(network is not None)
        self._update_status()
        self.modelChanged.emit(network, task)

    def _feed_draw_pad(self, network, _task) -> None:
        self.draw_pad.set_network(network)

    def _task_for(self, config: TrainConfig) -> TaskData | None:
        if self.tasks is None:
            return None
        try:
            return self.tasks.get(config)
        except ConfigError:
            return None

    def _take_model(self, network: Network, history: list[EpochReport], source: str) -> None:
        """Make an opened or restored model current: form, plot, views, status."""
        form = self.panel.config()
        if form is None or (form.task, form.digits) != (network.config.task, network.config.digits):
            self.panel.set_config(network.config)
        task = self._task_for(network.config)
        self._history = history
        self._test_accuracy = None
        if task is not None:
            self._test_accuracy = Evaluation.compute(network, task, "test").accuracy
        self.loss_plot.show_history(network.config, history)
        self._unsaved = False
        self._set_model(network, task, source)

    # -- files -------------------------------------------------------------------------------------

    def open_model(self, path=None) -> bool:
        """Open a model file (asks for one when path is None). During a run: stop it, then open."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open model", self.settings.last_folder(), MODEL_FILTER)
            if not path:
                return False
        if self._run is not None:
            self._pending_open = str(path)
            self.stop_training()
            return False
        try:
            network, history = model_io.load_model_with_history(path)
        except MlpguiError as e:
            self._error("Can't open the model", str(e))
            return False
        self.settings.set_last_folder(Path(path).parent)
        self._take_model(network, reports_from_history(history), f"opened {Path(path).name}")
        return True

    def save_model(self, path=None) -> bool:
        """Save the current model and its history (asks where when path is None)."""
        network = self._network
        if network is None:
            return False
        if path is None:
            c = network.config
            what = f"binary-{c.digits[0]}{c.digits[1]}" if c.task == "binary" else "multiclass"
            suggested = str(Path(self.settings.last_folder()) / f"mlp-{what}-{network.epochs_trained}ep.npz")
            path, _ = QFileDialog.getSaveFileName(self, "Save model", suggested, MODEL_FILTER)
            if not path:
                return False
            if not path.lower().endswith(".npz"):
                path += ".npz"
        try:
            model_io.save_model(network, path, self._history)
        except MlpguiError as e:
            self._error("Can't save the model", str(e))
            return False
        self.settings.set_last_folder(Path(path).parent)
        if self._run is None:
            self._unsaved = False
        self.statusBar().showMessage(f"Saved the model to {path}", 5000)
        return True

    def export_history(self, path=None) -> bool:
        if not self._history:
            self._error("Nothing to export", "train or open a model first: there is no loss history yet")
            return False
        if path is None:
            suggested = str(Path(self.settings.last_folder()) / "loss-history.csv")
            path, _ = QFileDialog.getSaveFileName(self, "Export loss history", suggested, "CSV tables (*.csv)")
            if not path:
                return False
        try:
            write_history_csv(path, self._history)
        except MlpguiError as e:
            self._error("Can't export the loss history", str(e))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    def export_plot(self, path=None) -> bool:
        if path is None:
            suggested = str(Path(self.settings.last_folder()) / "loss.png")
            path, _ = QFileDialog.getSaveFileName(self, "Export plot", suggested, "PNG images (*.png)")
            if not path:
                return False
        if not self.loss_plot.export_png(path):
            self._error("Can't export the plot", f"can't write {path}")
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    # -- the last model, kept between sessions --------------------------------------------------

    def _autosave(self, network: Network, history: list[EpochReport]) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            model_io.save_model(network, self.last_model_path(), history)
        except (MlpguiError, OSError) as e:
            self.statusBar().showMessage(f"Couldn't keep a copy of the model: {e}", 10000)

    def _offer_last_model(self) -> None:
        path = self.last_model_path()
        if not path.is_file():
            return
        try:
            network, _history = model_io.load_model_with_history(path)
        except MlpguiError:
            return
        when = time.strftime("%d %b %H:%M", time.localtime(path.stat().st_mtime))
        self._offered = network
        self.banner_label.setText(
            f"Your last trained model ({network.config.describe()}, {network.epochs_trained} epochs, "
            f"from {when}) was kept. Restore it?")
        self.banner.show()

    def has_offer(self) -> bool:
        """True when the window offers the last session's model back."""
        return self._offered is not None and not self.banner.isHidden()

    def restore_last_model(self) -> bool:
        """Make the model kept from the last session current."""
        self.banner.hide()
        if self._run is not None:
            return False
        try:
            network, history = model_io.load_model_with_history(self.last_model_path())
        except MlpguiError as e:
            self._error("Can't restore the last model", str(e))
            return False
        self._take_model(network, reports_from_history(history), "restored from the last session")
        return True

    # -- status ----------------------------------------------------------------------------------

    def _update_progress(self, run: _Run | None = None) -> None:
        run = run or self._run
        if run is None or not run.history:
            return
        last = run.history[-1]
        done = last.epoch - run.history[0].epoch + 1
        self.panel.show_progress(done, run.config.epochs, last.elapsed)
        self._update_status()

    def _update_status(self) -> None:
        run = self._run
        task = run.task if run is not None else (self.panel.task() or self._model_task)
        self.dataset_status.setText(task.describe() if task is not None else "no data")
        if run is not None:
            n = run.history[-1].epoch if run.history else 0
            if run.worker.stop_requested:
                state = f"Stopping: epoch {n} / {run.config.epochs}"
            elif run.worker.paused:
                state = f"Paused at epoch {n} / {run.config.epochs}"
            else:
                state = f"Training: epoch {n} / {run.config.epochs}"
        elif self._network is None:
            state = "Untrained: choose a preset and press Start"
        else:
            net = self._network
            epochs = f"{net.epochs_trained} epoch{'s' if net.epochs_trained != 1 else ''}"
            accuracy = f", test accuracy {_percent(self._test_accuracy)}" if self._test_accuracy is not None else ""
            how = {"trained": "Trained", "stopped": "Stopped early", "training": "Trained"}.get(
                self._model_source, self._model_source[:1].upper() + self._model_source[1:])
            state = f"{how}: {epochs}{accuracy}" + ("" if not self._unsaved else " (not saved)")
        self.model_status.setText(state)

    def model_state(self) -> str:
        """The model part of the status bar."""
        return self.model_status.text()

    # -- closing ---------------------------------------------------------------------------------

    def should_ask_to_save(self) -> bool:
        """True when closing now would leave a trained model unsaved in the user's own files."""
        trained = self._network is not None and self._network.epochs_trained > 0
        return trained and (self._unsaved or self._run is not None)

    def ask_to_save(self) -> str:
        """'save', 'discard' or 'cancel' (a QMessageBox; tests monkeypatch QMessageBox.question)."""
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        answer = QMessageBox.question(
            self, "Save the model?",
            "The model you trained is not saved in a file. Save it before quitting?\n"
            "(A copy is kept and offered back next time either way.)", buttons, QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def closeEvent(self, event) -> None:
        if self.should_ask_to_save():
            answer = self.ask_to_save()
            if answer == "cancel" or (answer == "save" and not self.save_model()):
                event.ignore()
                return
        self._closing = True
        run = self._run
        if run is not None:
            self.stop_training(wait=True)
            if run.outcome.network is not None:
                self._autosave(run.outcome.network, [r for r in run.history
                                                     if r.epoch <= run.outcome.network.epochs_trained])
        self._save_settings()
        event.accept()

    def _save_settings(self) -> None:
        self.settings.set_window(self.saveGeometry(), self.saveState())
        config = self.panel.config()
        if config is not None:
            self.settings.set_last_config(self.panel.preset_name(), config)
        self.settings.sync()

    def _restore_settings(self) -> None:
        name, config = self.settings.last_config()
        if config is not None:
            self.panel.set_config(config)
        geometry, state = self.settings.geometry(), self.settings.window_state()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        if state is not None:
            self.restoreState(state)

    # -- dialogs -----------------------------------------------------------------------------------

    def _error(self, title: str, message: str) -> None:
        """Tell the user what went wrong (tests monkeypatch QMessageBox.warning)."""
        QMessageBox.warning(self, title, message)
