"""The main window: experiment dock, loss plot and views, draw pad, File menu, status bar.

The window composes widgets and wires signals; it neither trains nor computes.
A `TrainingSession` owns the run and the model (see its module docstring for
how a run flows): the panel's requests go to the session's `_on_view_*`
handlers, and the session's named states go to the views: `RunState` to the
panel and the status bar, `ModelState` to the draw pad, the evaluation tab and
the status bar, epoch reports to the loss plot. `modelChanged(network, task)`
is the one signal every view listens to; it fires when the model itself
changes (a training snapshot, the end of a run, an opened or restored model).

Nothing the user made is lost: the session keeps the last trained model in the
user's data folder, the window offers it back at the next start, and quitting
with an unsaved model asks first.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlpgui.core.config import TrainConfig
from mlpgui.core.data import load_mnist
from mlpgui.core.errors import MlpguiError
from mlpgui.core.mydigits import MYDIGITS_DIR_NAME, MyDigits, as_task
from mlpgui.core.network import Network
from mlpgui.core.run_state import ModelOrigin, ModelState, RunState
from mlpgui.core.tasks import TaskCache, TaskData
from mlpgui.core.training import EpochReport

from .accessibility import name_controls
from .draw_pad import DrawPadPanel
from .evaluation_panel import EvaluationPanel
from .experiment_panel import PAUSE_KEY, START_KEY, STOP_KEY, ExperimentPanel
from .finetune_dialog import FineTuneDialog, open_finetune_dialog
from .loss_plot import LossPlot
from .mydigits_view import MyDigitsView
from .one_step_view import OneStepView
from .reject_view import RejectView
from .robustness_view import RobustnessView
from .runs_dock import RunsPanel
from .session import TrainingSession
from .settings import Settings, app_data_dir

MODEL_FILTER = "mlpgui models (*.npz)"
STATUS_MESSAGE_MS = 5000
DEFAULT_SIZE = (1280, 800)
TITLE_BAR = 40  # room left for the window manager's title bar (not known before the window is shown)
FRAME = 8  # and for its borders
CLOSE_WAIT_MS = 100  # closing mid-run waits this long for the run to stop, then closes when it has


class FittingScrollArea(QScrollArea):
    """Scrolls its widget, first telling it the width it has (`fit_width`), so it can rearrange."""

    def resizeEvent(self, event) -> None:
        widget = self.widget()
        if widget is not None:
            widget.fit_width(event.size().width() - self.verticalScrollBar().sizeHint().width())
        super().resizeEvent(event)


def first_window_geometry(available: QRect) -> QRect:
    """The contents' rectangle of a first window: 1280x800 where there is room, else the available
    area less a title bar and borders; centred with its decorations in the available area."""
    width = min(DEFAULT_SIZE[0], available.width() - FRAME)
    height = min(DEFAULT_SIZE[1], available.height() - TITLE_BAR - FRAME)
    left = available.x() + (available.width() - FRAME - width) // 2 + FRAME // 2
    top = available.y() + (available.height() - TITLE_BAR - FRAME - height) // 2 + TITLE_BAR
    return QRect(left, top, width, height)


class MainWindow(QMainWindow):
    """Train, watch, draw, save: the whole app in one window."""

    modelChanged = Signal(object, object)  # (Network, TaskData or None): the model every view shows
    trainingStarted = Signal(object)  # TrainConfig
    runFinished = Signal(object, bool)  # (Network or None, stopped), after the session took it in

    def __init__(self, settings: Settings | None = None, data_dir=None, mnist=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings if settings is not None else Settings()
        self.setWindowTitle("mlpgui: train a neural network on handwritten digits")

        data_error = ""
        if mnist is None:
            try:
                mnist = load_mnist()
            except MlpguiError as e:
                data_error = f"Can't load the MNIST data: {e}"
        self.mnist = mnist
        self.tasks = TaskCache(mnist) if mnist is not None else None
        self.session = TrainingSession(self.tasks, Path(data_dir) if data_dir is not None else app_data_dir(), self)
        self._shown: tuple[Network | None, TaskData | None] = (None, None)  # what modelChanged last said
        self._offered: Network | None = None
        self._ask_on_close = True  # False once SIGTERM asked to close: nobody is there to answer
        self._asking = False  # the save question is on screen
        self._close_after_run = False  # closing, once the run's epoch under way has ended

        self._build(data_error)
        self._wire()
        self._build_explain()
        self._build_mydigits()
        self._build_robustness()
        name_controls(self)
        self._restore_settings()
        self._offer_last_model()
        self._on_form_changed(self.panel.config())  # the plot's epoch axis and the status, before any run
        if data_error:
            QTimer.singleShot(0, lambda: self._error("No data", data_error))

    # -- building -----------------------------------------------------------------------

    def _build(self, data_error: str) -> None:
        self.panel = ExperimentPanel(self.tasks, data_error)
        self.experiment_dock = QDockWidget("Experiment")
        self.experiment_dock.setObjectName("experimentDock")
        self.experiment_dock.setWidget(self.panel)
        self.experiment_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
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

        self.evaluation = EvaluationPanel()
        # Scrolls rather than widening the window: it must fit 1280x800 with both docks open.
        evaluation_page = FittingScrollArea()
        evaluation_page.setWidgetResizable(True)
        evaluation_page.setFrameShape(QFrame.Shape.NoFrame)
        evaluation_page.setWidget(self.evaluation)
        self.add_view(evaluation_page, "Evaluation")

        self.dataset_status = QLabel()
        self.model_status = QLabel()
        self.statusBar().addWidget(self.model_status, 1)
        self.statusBar().addPermanentWidget(self.dataset_status)

        self._build_menus()
        self._build_runs_dock()

    def _wire(self) -> None:
        """Views -> session -> views: the only place the parts meet."""
        session, panel = self.session, self.panel
        panel.startRequested.connect(lambda config: self.start_training(config))
        panel.stopRequested.connect(session._on_view_stop)
        panel.pauseToggled.connect(session._on_view_pause)
        panel.configChanged.connect(self._on_form_changed)

        session.runStarted.connect(self._on_run_started)
        session.runStarted.connect(self.loss_plot.start_run)
        session.epochReported.connect(self.loss_plot.add_report)
        session.testMeasured.connect(self.loss_plot.add_test_point)
        session.historyLoaded.connect(self.loss_plot.show_history)
        session.runStateChanged.connect(panel.show_run_state)
        session.runStateChanged.connect(self._show_status)
        session.runStateChanged.connect(self._sync_run_actions)
        panel.configChanged.connect(self._sync_run_actions)
        session.modelChanged.connect(self._on_model_changed)
        session.runFinished.connect(self.loss_plot.drop_run_if_empty)
        session.runFinished.connect(self.runFinished)
        session.runFinished.connect(self._close_if_waiting)
        session.failed.connect(self._error)
        session.notice.connect(lambda text: self.statusBar().showMessage(text, STATUS_MESSAGE_MS))

        self.modelChanged.connect(lambda network, _task: self.draw_pad.set_network(network))
        self.modelChanged.connect(self.evaluation.set_model)
        self.evaluation.sendToDrawPad.connect(self.show_in_draw_pad)
        self.draw_pad.inputChanged.connect(self.evaluation.show_drawn_input)

    def _build_explain(self) -> None:
        """Why this guess (pad and browser), one sample one step, and the reject option ("not sure")."""
        evaluation, browser, pad = self.evaluation, self.evaluation.browser, self.draw_pad
        self.one_step = OneStepView()
        self.reject_view = RejectView()
        evaluation.tabs.addTab(self.one_step, "One sample, one step")
        evaluation.tabs.addTab(self.reject_view, "Not sure?")
        self.modelChanged.connect(lambda network, _task: browser.set_network(network))
        self.modelChanged.connect(lambda network, _task: self.one_step.set_network(network))
        self.panel.configChanged.connect(lambda c: self.one_step.set_learning_rate(None if c is None else c.lr))
        self.one_step.set_learning_rate(None if self.panel.config() is None else self.panel.config().lr)
        browser.imageSelected.connect(
            lambda _image: self.one_step.set_sample(
                browser.selected_image(), browser.selected_label(), browser.selected_description()
            )
        )
        evaluation.updated.connect(lambda: self.reject_view.set_evaluation(evaluation.evaluation))
        pad.rejectThresholdChanged.connect(browser.set_reject_threshold)
        pad.rejectThresholdChanged.connect(self.reject_view.set_threshold)
        pad.why.unitClicked.connect(self.show_hidden_unit)
        browser.why.unitClicked.connect(self.show_hidden_unit)

    def show_hidden_unit(self, unit: int) -> None:
        """Show hidden unit `unit` in Evaluation > Inside the network."""
        evaluation = self.evaluation
        _ = evaluation.evaluation  # brings its views up to the current model first
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).isAncestorOf(evaluation):
                self.tabs.setCurrentIndex(i)
        evaluation.tabs.setCurrentWidget(evaluation.weights)
        evaluation.weights.select_unit(unit)

    def _build_mydigits(self) -> None:
        """My digits (a tab): label the pad's drawing with a key or a button; evaluate and fine-tune on them."""
        view = self.mydigits = MyDigitsView(self.session.data_dir / MYDIGITS_DIR_NAME)
        self._finetune_dialog: FineTuneDialog | None = None
        view.attach_pad(self.draw_pad)
        self.add_view(self._scrolling(view), "My digits")
        self.evaluation.add_set(
            "my digits",
            "mine",
            lambda task: as_task(view.digits if view.digits is not None else MyDigits(view.folder), task),
            "none of my digits is one of its digits yet: add some in the My digits tab",
        )
        view.changed.connect(lambda: self.evaluation.refresh_set("mine"))
        view.evaluateRequested.connect(self.evaluate_on_my_digits)
        view.fineTuneRequested.connect(self.fine_tune)
        self.session.modelChanged.connect(view.set_model_state)
        self.session.runStateChanged.connect(view.set_run_state)

    def evaluate_on_my_digits(self) -> None:
        """Evaluation tab, on my digits."""
        self.evaluation.set_which("mine")
        self.evaluation.tabs.setCurrentIndex(0)
        for i in range(self.tabs.count()):
            if self.tabs.widget(i).isAncestorOf(self.evaluation):
                self.tabs.setCurrentIndex(i)

    def fine_tune(self) -> FineTuneDialog | None:
        """Open the fine-tune dialog for the current model and my digits (None when it can't be)."""
        dialog = open_finetune_dialog(self.session, self.mydigits.digits, self, self._finetune_dialog)
        if dialog is not None:
            self._finetune_dialog = dialog
        return dialog

    def _build_robustness(self) -> None:
        """How robust is it? (a tab): accuracy curves on damaged test images, for the current model."""
        self.robustness = RobustnessView()
        self.add_view(self._scrolling(self.robustness), "Robustness")
        self.modelChanged.connect(self.robustness.set_model)

    @staticmethod
    def _scrolling(view: QWidget) -> QScrollArea:
        """A page that scrolls `view` rather than widening the window (it must fit 1280x800 with both docks)."""
        page = QScrollArea()
        page.setWidgetResizable(True)
        page.setFrameShape(QFrame.Shape.NoFrame)
        page.setWidget(view)
        return page

    def _stop_lab_threads(self) -> None:
        """Closing: stop fine-tuning and robustness measuring and wait for them (they work on copies)."""
        self.robustness.wait()
        if self._finetune_dialog is not None and shiboken6.isValid(self._finetune_dialog):
            self._finetune_dialog.reject()

    def _build_banner(self) -> QFrame:
        banner = QFrame()
        banner.setObjectName("restoreBanner")
        banner.setStyleSheet(
            "#restoreBanner { background: #fff4ce; border-bottom: 1px solid #e0c97f; }"
            "#restoreBanner QLabel { color: #3a3000; }"
        )
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
        self.open_action = action(
            "&Open model...", self.open_model, QKeySequence.StandardKey.Open, "Open a model saved by mlpgui (.npz)"
        )
        self.save_action = action(
            "&Save model...",
            self.save_model,
            QKeySequence.StandardKey.Save,
            "Save the current model and its loss history (.npz)",
        )
        self.export_history_action = action(
            "Export loss &history (CSV)...",
            self.export_history,
            tip="The loss and accuracies of every epoch, as a CSV table",
        )
        self.export_plot_action = action("Export &plot (PNG)...", self.export_plot, tip="The loss plot as a picture")
        self.quit_action = action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        for a in (
            self.open_action,
            self.save_action,
            None,
            self.export_history_action,
            self.export_plot_action,
            None,
            self.quit_action,
        ):
            file_menu.addSeparator() if a is None else file_menu.addAction(a)

        run_menu = self.menuBar().addMenu("&Run")
        panel = self.panel
        self.start_action = action("&Start", panel.start_button.click, START_KEY, panel.start_button.toolTip())
        self.pause_action = action("&Pause / Resume", panel.pause_button.click, PAUSE_KEY, panel.pause_button.toolTip())
        self.stop_action = action("S&top", panel.stop_button.click, STOP_KEY, panel.stop_button.toolTip())
        for a in (self.start_action, self.pause_action, self.stop_action):
            run_menu.addAction(a)
        self._sync_run_actions()

        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.experiment_dock.toggleViewAction())
        view_menu.addAction(self.draw_dock.toggleViewAction())

    def _build_runs_dock(self) -> None:
        """The Runs dock (below the plot, hidden until asked for), Run > Sweep..., and how runs are recorded."""
        session, plot = self.session, self.loss_plot
        self.runs = runs = RunsPanel(session.store, session.store_problem)
        self.runs_dock = QDockWidget("Runs")
        self.runs_dock.setObjectName("runsDock")
        self.runs_dock.setWidget(runs)
        # The side docks keep the full height: the Runs dock sits under the centre only, so opening it
        # never pushes the window's status bar off a 800-pixel screen.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.runs_dock)
        self.runs_dock.hide()  # opened from the loss plot's Runs button or View > Runs; the window remembers
        toggle = self.runs_dock.toggleViewAction()
        toggle.setText("&Runs")
        toggle.setShortcut("Ctrl+Shift+R")
        toggle.setToolTip("Every run you have trained, here and on the command line: tick runs to overlay them")
        plot.add_header_button(toggle)
        self.recording_status = QLabel(session.store_problem or "")
        self.recording_status.setStyleSheet("color: #8a1c00;")
        self.recording_status.setVisible(bool(session.store_problem))
        self.statusBar().addPermanentWidget(self.recording_status)

        runs.overlayAdded.connect(plot.add_overlay)
        runs.overlayRemoved.connect(plot.remove_overlay)
        plot.overlaysCleared.connect(runs.untick_all)
        runs.openRequested.connect(self.open_model)
        runs.runAgainRequested.connect(self.run_again)
        runs.failed.connect(self._error)
        runs.notice.connect(lambda text: self.statusBar().showMessage(text, STATUS_MESSAGE_MS))
        session.runRecorded.connect(runs.on_run_recorded)
        session.runRecorded.connect(
            lambda run_id: plot.set_run_name(f"run {run_id}") if run_id == session.current_run_id() else None
        )
        session.recordingProblem.connect(self._show_recording_problem)

        menus = {a.text(): a.menu() for a in self.menuBar().actions()}
        self.sweep_action = QAction("S&weep...", self)
        self.sweep_action.setStatusTip("Train a grid of settings one run after another and plot what each achieved")
        self.sweep_action.triggered.connect(lambda _checked=False: self.open_sweep_dialog())
        menus["&Run"].addSeparator()
        menus["&Run"].addAction(self.sweep_action)
        menus["&View"].addAction(self.runs_dock.toggleViewAction())
        self.sweep_dialog = None

    def _show_recording_problem(self, problem: str) -> None:
        self.recording_status.setText(problem)
        self.recording_status.setVisible(True)
        self.runs.set_problem(problem)

    def run_again(self, config: TrainConfig) -> bool:
        """Train a fresh network with a recorded run's settings (shown in the form too)."""
        if self.session.is_training():
            self.statusBar().showMessage("A run is in progress: stop it first", STATUS_MESSAGE_MS)
            return False
        self.panel.set_config(config)
        return self.start_training(config)

    def open_sweep_dialog(self):
        """Run > Sweep...: one dialog per window, kept open while its sweep runs."""
        from .sweep_dialog import SweepDialog

        if self.sweep_dialog is None:
            self.sweep_dialog = SweepDialog(self.session, self.panel.config(), self)
            self.sweep_dialog.runPicked.connect(self._show_swept_run)
        elif not self.sweep_dialog.running():
            self.sweep_dialog.set_base(self.panel.config())
        self.sweep_dialog.show()
        self.sweep_dialog.raise_()
        return self.sweep_dialog

    def _show_swept_run(self, run_id: int) -> None:
        """A point of a sweep's plot was clicked: show that run in the Runs dock and open its model."""
        self.runs_dock.show()
        self.runs.show_run(run_id)
        self.runs.open_selected()

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
        return self.session.model.network

    def current_task(self) -> TaskData | None:
        return self.session.model.task

    def model(self) -> ModelState:
        """The current model and what is known about it."""
        return self.session.model

    def run_state(self) -> RunState:
        return self.session.run_state

    def history(self) -> list[EpochReport]:
        """The loss history of the current model."""
        return list(self.session.model.history)

    def is_training(self) -> bool:
        return self.session.is_training()

    def last_model_path(self) -> Path:
        """Where the last trained model is kept between sessions."""
        return self.session.last_model_path()

    # -- training ------------------------------------------------------------------------------

    def start_training(self, config: TrainConfig | None = None) -> bool:
        """Train a fresh network with `config` (default: the form's). False if it can't start."""
        if config is None or config == self.panel.config():
            config, task = self.panel.config(), self.panel.task()
            if config is None or task is None:
                return False
            return self.session._on_view_start(config, task)
        return self.session._on_view_start(config)

    def stop_training(self, wait: bool = False) -> None:
        """Ask the run to end after the current epoch (mini-batch); with wait, block until it has."""
        self.session._on_view_stop(wait)

    def pause_training(self, paused: bool) -> None:
        self.session._on_view_pause(paused)

    def _on_run_started(self, config: TrainConfig) -> None:
        self.banner.hide()
        self.settings.set_last_config(self.panel.preset_name(), config)
        self.trainingStarted.emit(config)

    def _sync_run_actions(self, *_args) -> None:
        """The Run menu offers what the panel's buttons offer."""
        panel = self.panel
        self.start_action.setEnabled(panel.start_button.isEnabled())
        self.pause_action.setEnabled(panel.pause_button.isEnabled())
        self.stop_action.setEnabled(panel.stop_button.isEnabled())

    def _on_form_changed(self, config: TrainConfig | None) -> None:
        if config is not None and not self.session.is_training():
            self.loss_plot.show_planned_epochs(config.epochs)
        self._show_status()

    def _on_model_changed(self, state: ModelState) -> None:
        self.save_action.setEnabled(state.network is not None)
        if state.origin in (ModelOrigin.OPENED, ModelOrigin.RESTORED) and state.network is not None:
            form, c = self.panel.config(), state.network.config
            if form is None or (form.task, form.digits) != (c.task, c.digits):
                self.panel.set_config(c)  # the form shows the model's task
        self._show_status()
        if state.network is not self._shown[0] or state.task is not self._shown[1]:
            self._shown = (state.network, state.task)
            self.modelChanged.emit(state.network, state.task)

    # -- files -------------------------------------------------------------------------------------

    def open_model(self, path=None) -> bool:
        """Open a model file (asks for one when path is None). During a run: stop it, then open."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open model", self.settings.last_folder(), MODEL_FILTER)
            if not path:
                return False
        opened = self.session.open_model(path)
        if opened:
            self.settings.set_last_folder(Path(path).parent)
        return opened

    def save_model(self, path=None) -> bool:
        """Save the current model and its history (asks where when path is None)."""
        network = self.current_model()
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
        saved = self.session.save_model(path)
        if saved:
            self.settings.set_last_folder(Path(path).parent)
        return saved

    def export_history(self, path=None) -> bool:
        if path is None and self.session.model.history:
            suggested = str(Path(self.settings.last_folder()) / "loss-history.csv")
            path, _ = QFileDialog.getSaveFileName(self, "Export loss history", suggested, "CSV tables (*.csv)")
            if not path:
                return False
        return self.session.export_history(path)

    def export_plot(self, path=None) -> bool:
        if path is None:
            suggested = str(Path(self.settings.last_folder()) / "loss.png")
            path, _ = QFileDialog.getSaveFileName(self, "Export plot", suggested, "PNG images (*.png)")
            if not path:
                return False
        if not self.loss_plot.export_png(path):
            self._error("Can't export the plot", f"can't write {path}")
            return False
        self.statusBar().showMessage(f"Wrote {path}", STATUS_MESSAGE_MS)
        return True

    # -- the last model, kept between sessions --------------------------------------------------

    def _offer_last_model(self) -> None:
        network = self.session.kept_model()
        if network is None:
            return
        when = time.strftime("%d %b %H:%M", time.localtime(self.last_model_path().stat().st_mtime))
        self._offered = network
        self.banner_label.setText(
            f"Your last trained model ({network.config.describe()}, {network.epochs_trained} epochs, "
            f"from {when}) was kept. Restore it?"
        )
        self.banner.show()

    def has_offer(self) -> bool:
        """True when the window offers the last session's model back."""
        return self._offered is not None and not self.banner.isHidden()

    def restore_last_model(self) -> bool:
        """Make the model kept from the last session current."""
        self.banner.hide()
        return self.session.restore_last_model()

    # -- status ----------------------------------------------------------------------------------

    def _show_status(self, *_args) -> None:
        run, model = self.session.run_state, self.session.model
        task = self.panel.task() or model.task
        self.dataset_status.setText(task.describe() if task is not None else "no data")
        self.model_status.setText(run.describe() or model.describe())

    def model_state(self) -> str:
        """The model part of the status bar."""
        return self.model_status.text()

    # -- layout ----------------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self._give_centre_room)

    def _give_centre_room(self) -> None:
        """Narrow the side docks (down to their minimum) so the plot and the views keep half the width."""
        docks = [
            d
            for d in (self.experiment_dock, self.draw_dock)
            if d.isVisible() and not d.isFloating() and self.dockWidgetArea(d) != Qt.DockWidgetArea.TopDockWidgetArea
        ]
        if not docks or self.centralWidget().width() >= self.width() // 2:
            return
        room = (self.width() - self.width() // 2 - 12) // len(docks)  # 12: the dock separators
        widths = [max(d.minimumSizeHint().width(), min(d.width(), room)) for d in docks]
        self.resizeDocks(docks, widths, Qt.Orientation.Horizontal)

    # -- closing ---------------------------------------------------------------------------------

    def should_ask_to_save(self) -> bool:
        """True when closing now would leave a trained model unsaved in the user's own files."""
        return self.session.should_ask_to_save()

    def ask_to_save(self) -> str:
        """'save', 'discard' or 'cancel' (a QMessageBox; tests monkeypatch QMessageBox.exec)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Save the model?",
            "The model you trained is not saved in a file. Save it before quitting?\n"
            "(A copy is kept and offered back next time either way.)",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        # Alt+S / Alt+D answer from the keyboard (Escape cancels); not every style gives them mnemonics.
        box.button(QMessageBox.StandardButton.Save).setText("&Save")
        box.button(QMessageBox.StandardButton.Discard).setText("&Discard")
        answer = box.exec()
        box.deleteLater()
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel"
        )

    def close_from_terminal(self, ask: bool = True) -> None:
        """Ctrl-C in the terminal (ask: the usual question about an unsaved model) or SIGTERM
        (nobody to ask: close at once; the session keeps a copy of the model, offered back next time)."""
        if self._asking:
            return  # the question is on screen already
        self._ask_on_close = self._ask_on_close and ask
        self.close()

    def closeEvent(self, event) -> None:
        if self._close_after_run:  # asked already: waiting for the run's last epoch
            if self.session.is_training():
                event.ignore()
                return
        elif self._ask_on_close and self.should_ask_to_save():
            self._asking = True
            try:
                answer = self.ask_to_save()
                cancelled = answer == "cancel" or (answer == "save" and not self.save_model())
            finally:
                self._asking = False
            if cancelled:
                event.ignore()
                return
        if self.session.is_training() and not self.session.stop_for_closing(CLOSE_WAIT_MS):
            # An epoch that can't be cut short: the window stays usable and closes when it ends.
            self._close_after_run = True
            self.statusBar().showMessage("Finishing the epoch under way; the window closes when it ends...")
            event.ignore()
            return
        self.evaluation.wait_until_idle()
        self._stop_lab_threads()
        self.runs.shutdown()
        self.session.shutdown()
        self._save_settings()
        event.accept()

    def _close_if_waiting(self, *_args) -> None:
        if self._close_after_run:
            QTimer.singleShot(0, self.close)

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
        if geometry is None or not self.restoreGeometry(geometry) or not self._fits_screen():
            self._fit_to_screen()
        if state is not None:
            self.restoreState(state)

    def _available(self) -> QRect:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry()

    def _fits_screen(self) -> bool:
        """True when the window, with room for a title bar and borders, fits the screen it is on and starts on it."""
        available, size = self._available(), self.geometry().size()
        return (
            size.width() + FRAME <= available.width()
            and size.height() + TITLE_BAR + FRAME <= available.height()
            and available.contains(self.frameGeometry().topLeft())
        )

    def _fit_to_screen(self) -> None:
        contents = first_window_geometry(self._available())
        self.resize(contents.size())
        self.move(contents.x() - FRAME // 2, contents.y() - TITLE_BAR)  # move() places the frame

    # -- dialogs -----------------------------------------------------------------------------------

    def _error(self, title: str, message: str) -> None:
        """Tell the user what went wrong (tests monkeypatch QMessageBox.warning)."""
        QMessageBox.warning(self, title, message)
