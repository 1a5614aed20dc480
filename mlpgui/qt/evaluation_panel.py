"""The evaluation tab: confusion matrix, image browser, binary threshold view and the hidden units, linked.

`set_model(network, task)` runs one forward pass over the chosen set (test by
default; the training set only when the toggle asks for it) into an
`Evaluation` that every view shows. Clicking a confusion cell filters the
browser to exactly that cell's images; the binary threshold recounts the
2x2 matrix, the metrics and the browser without another forward pass;
selecting an image (or drawing one) ranks the hidden units it activates.

Cost: the forward pass runs on an `EvaluationWorker` thread (the status
line says "Evaluating..." meanwhile), one at a time: models that arrive
during one are not queued, the newest starts when it ends, and a result
that a newer model overtook is dropped. The GUI thread only redraws. The
scaled inputs are cached per task and set. While this panel is hidden
(another tab, a closed window), refreshes wait until it is shown; an
evaluation that turns out slow (a large training set) spaces the next ones
out, so training keeps most of the CPU.
"""

from __future__ import annotations

import time

import numpy as np
import shiboken6
from PySide6 import QtCore, QtWidgets

from ..core.metrics import Evaluation, selection_cell
from ..core.network import Network
from ..core.tasks import TaskData
from . import worker as workers
from .binary_view import BinaryView
from .confusion_view import ConfusionView
from .image_browser import ImageBrowser
from .weights_view import WeightsView

INPUT_CACHE_BYTES = 160 * 2**20  # keep a set's scaled inputs if they fit in this
SLOW_REFRESH = 0.15  # seconds; slower refreshes are spaced out ...
BUSY_SHARE = 0.25  # ... so at most this share of the time goes to them
BROWSER_MIN_HEIGHT = 460  # stacked: the list, the large image, its probabilities and "Send to draw pad"


class EvaluationPanel(QtWidgets.QWidget):
    sendToDrawPad = QtCore.Signal(object)  # (28, 28) uint8 image
    updated = QtCore.Signal()  # the views now show the current model

    def __init__(self, parent=None):
        super().__init__(parent)
        self._network: Network | None = None
        self._task: TaskData | None = None
        self._base: Evaluation | None = None  # at threshold 0.5 or the current one: same proba
        self._evaluation: Evaluation | None = None
        self._inputs_key = None
        self._inputs: np.ndarray | None = None
        self._drawn: np.ndarray | None = None
        self._version = 0  # bumped by every change the views must follow (model, set)
        self._shown_version = 0  # the change the views show
        self._job: tuple[QtCore.QThread, workers.EvaluationWorker, int] | None = None  # the evaluation under way
        self._result_text = ""  # the status line of the evaluation shown
        self._last_end = 0.0
        self.last_refresh_seconds = 0.0
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._start)

        self.set_choice = QtWidgets.QComboBox()
        self.set_choice.addItem("test set", "test")
        self.set_choice.addItem("training set", "train")
        self.set_choice.setToolTip("Which images to evaluate the current model on")
        self._extra_sets = {}  # a chooser entry's data -> make_task(model's task): a task whose test split it is
        self._model_task: TaskData | None = None
        self._empty_texts: dict[str, str] = {}
        self.status = QtWidgets.QLabel("Train or load a model to see what it gets right and wrong.")
        self.status.setWordWrap(True)

        self.confusion = ConfusionView()
        self.binary = BinaryView()
        self.binary.hide()
        self.browser = ImageBrowser()
        self.weights = WeightsView()

        self._left = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self._left.addWidget(self.confusion)
        self._left.addWidget(self.binary)
        self._left.setChildrenCollapsible(False)
        self.errors = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.errors.addWidget(self._left)
        self.errors.addWidget(self.browser)
        self.errors.setStretchFactor(0, 3)
        self.errors.setStretchFactor(1, 2)
        self.errors.setSizes([3000, 2000])  # proportions: the matrix and its table get 60%
        self.errors.setChildrenCollapsible(False)
        # Stacked (a narrow page), the matrix, its table and the browser are taller than the page:
        # this tab scrolls down on its own, so the other tab keeps the page's height.
        self.errors_page = QtWidgets.QScrollArea()
        self.errors_page.setWidgetResizable(True)
        self.errors_page.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.errors_page.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.errors_page.setWidget(self.errors)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.errors_page, "Confusion matrix && images")
        self.tabs.addTab(self.weights, "Inside the network")

        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Evaluate on"))
        top.addWidget(self.set_choice)
        top.addWidget(self.status, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

        self.set_choice.currentIndexChanged.connect(self._use_chosen_set)  # before _on_set_choice refreshes
        self.set_choice.currentIndexChanged.connect(self._on_set_choice)
        self.confusion.cellClicked.connect(self._on_cell)
        self.browser.selectionChanged.connect(self._on_browser_filter)
        self.browser.imageSelected.connect(self._on_image_selected)
        self.browser.sendToDrawPad.connect(self.sendToDrawPad)
        self.binary.thresholdChanged.connect(self._on_threshold)

    # -- API for the window ---------------------------------------------------------------

    def set_model(self, network: Network | None, task: TaskData | None) -> None:
        """Evaluate `network` on `task` and refresh every view (None clears them).

        Pass a copy of a network that is still training: the panel keeps it.
        """
        self._version += 1
        if task is not self._task:
            self._inputs_key = self._inputs = None
            if task is None or self._task is None or tuple(task.classes) != tuple(self._task.classes):
                self.binary.set_threshold(0.5)
        self._network, self._task = network, self._evaluated_task(task)
        self._schedule()

    def show_drawn_input(self, image: np.ndarray | None) -> None:
        """The draw pad's (28, 28) uint8 image: the weights view ranks the units it activates."""
        self._drawn = None if image is None else np.array(image, np.uint8)
        self.weights.show_input(self._drawn, "the draw pad")

    def add_set(self, label: str, key: str, make_task, empty: str = "") -> None:
        """Offer one more set in the chooser: `make_task(model's task)` gives a task whose test split it is
        (e.g. my digits), so the views show it as they show the test set; `empty` says why it has no images."""
        self._extra_sets[key] = make_task
        self._empty_texts[key] = empty or f"{label} hold none of its digits"
        self.set_choice.addItem(label, key)

    def refresh_set(self, key: str) -> None:
        """The images of set `key` changed: evaluate again if it is the one chosen."""
        if self.set_choice.currentData() == key:
            self.set_model(self._network, self._model_task)

    def _evaluated_task(self, task: TaskData | None) -> TaskData | None:
        self._model_task = task
        make = self._extra_sets.get(self.set_choice.currentData())
        return task if make is None or task is None else make(task)

    def _use_chosen_set(self) -> None:
        self._inputs_key = self._inputs = None
        self._task = self._evaluated_task(self._model_task)

    @property
    def which(self) -> str:
        chosen = self.set_choice.currentData()
        return "test" if chosen in self._extra_sets else chosen

    def set_which(self, which: str) -> None:
        self.set_choice.setCurrentIndex(self.set_choice.findData(which))

    @property
    def evaluation(self) -> Evaluation | None:
        """What the views show (brought up to date first, on this thread, if the model changed)."""
        if self._shown_version != self._version:
            self.finish_evaluation()
        return self._evaluation

    # -- refreshing ---------------------------------------------------------------------

    def _schedule(self) -> None:
        """Start evaluating the newest model, unless shown already, nobody can see it, or one is under way."""
        if self._shown_version == self._version or self._job is not None:
            return  # a running evaluation starts the newest one when it ends
        if not self.isVisible():
            return  # showEvent refreshes (and `evaluation` computes on demand)
        wait = 0.0
        if self.last_refresh_seconds > SLOW_REFRESH:
            gap = self.last_refresh_seconds * (1 / BUSY_SHARE - 1)
            wait = self._last_end + gap - time.perf_counter()
        if wait > 0:
            if not self._timer.isActive():
                self._timer.start(int(wait * 1000) + 1)
        else:
            self._start()

    def _start(self) -> None:
        """Hand the newest model to an `EvaluationWorker` (no model: clear the views at once)."""
        self._timer.stop()
        if self._job is not None or self._shown_version == self._version:
            return
        network, task = self._network, self._task
        if network is None or task is None:
            self._apply(self._version, None, None, "")
            return
        worker = self._worker_for(network, task)
        worker.finished.connect(self._on_evaluated)
        self._job = (workers.start(worker), worker, self._version)
        n = network.epochs_trained
        busy = f"<i>Evaluating the model after {n:,} epoch{'s' if n != 1 else ''}...</i>"
        self.status.setText(f"{self._result_text} {busy}" if self._result_text else busy)

    def _worker_for(self, network: Network, task: TaskData) -> workers.EvaluationWorker:
        threshold = self.binary.threshold if len(task.classes) == 2 else 0.5
        key = self._inputs_key_for(network)
        inputs = self._inputs if key == self._inputs_key else None
        n = len(task.test_labels if self.which == "test" else task.train_labels)
        small = n * 784 * np.dtype(network.dtype).itemsize <= INPUT_CACHE_BYTES  # else scaled chunk by chunk
        worker = workers.EvaluationWorker(
            network, task, self.which, threshold, inputs, scale_inputs=small, prepare=self.weights.prepare
        )
        worker.inputs_key = key
        return worker

    def _on_evaluated(self, worker: workers.EvaluationWorker) -> None:
        job = self._job
        if job is None or job[1] is not worker:
            return  # taken already (`evaluation` waited for it)
        self._job = None
        self._take(worker, job[2])
        self._schedule()  # a newer model may have arrived meanwhile

    def _take(self, worker: workers.EvaluationWorker, version: int) -> None:
        """Keep what a finished worker scaled; show its evaluation unless a newer model has come since."""
        if worker.inputs is not None and worker.task is self._task:
            self._inputs_key, self._inputs = worker.inputs_key, worker.inputs
        self._last_end = time.perf_counter()
        self.last_refresh_seconds = worker.seconds
        if version == self._version:  # else stale: dropped
            self._apply(version, worker.network, worker.evaluation, worker.error, worker.prepared)

    def _apply(self, version: int, network, evaluation: Evaluation | None, error: str, prepared=None) -> None:
        self._shown_version = version
        if evaluation is not None and evaluation.size == 0:  # an added set with none of the model's digits
            evaluation, error = None, self._empty_texts.get(self.set_choice.currentData(), "no images")
        if evaluation is not None and evaluation.is_binary and evaluation.threshold != self.binary.threshold:
            evaluation = evaluation.with_threshold(self.binary.threshold)  # moved while it was computed
        self._base = evaluation
        self._result_text = ""
        if evaluation is None:
            self._show(None)
            self.weights.set_network(None)
            self.status.setText(
                f"Can't evaluate this model: {error}"
                if error
                else "Train or load a model to see what it gets right and wrong."
            )
        else:
            self._show(evaluation)
            self.weights.set_network(network, prepared)
        self._fit_stacked_heights()
        self.updated.emit()

    def wait_until_idle(self) -> None:
        """Wait for a running evaluation and drop it (the window is closing)."""
        self._timer.stop()
        if self._job is not None:
            thread, _worker, _version = self._job
            self._job = None
            if shiboken6.isValid(thread):
                thread.wait()

    def finish_evaluation(self) -> None:
        """Bring the views up to date now, on this thread (waits for a running evaluation first).

        For callers that need the result at once (`evaluation`, closing the window);
        the panel's own refreshes never wait.
        """
        if self._job is not None:
            thread, worker, version = self._job
            self._job = None
            if shiboken6.isValid(thread):
                thread.wait()
            self._take(worker, version)
        if self._shown_version != self._version:
            self._timer.stop()
            if self._network is None or self._task is None:
                self._apply(self._version, None, None, "")
            else:
                worker = self._worker_for(self._network, self._task)
                start = time.perf_counter()
                worker.evaluate()
                worker.seconds = time.perf_counter() - start
                self._take(worker, self._version)

    def hasHeightForWidth(self) -> bool:
        # The page that scrolls this panel gives it the page's height (or its minimum): each tab fits
        # that height on its own (the matrix tab scrolls inside), so word-wrapped captions must not
        # make the whole panel as tall as their one-line widths would.
        return False

    def heightForWidth(self, _width: int) -> int:
        return -1  # QScrollArea asks the layout, not hasHeightForWidth: -1 means "the minimum will do"

    def fit_width(self, width: int) -> None:
        """Side by side when `width` holds the matrix and the browser, else the browser below.

        Called by the page that scrolls this panel with the width it can show:
        a laptop screen with both docks open leaves about 620 pixels, and
        side by side the two need about 1,070.
        """
        side = self.errors.orientation() == QtCore.Qt.Orientation.Horizontal
        margins = self.minimumSizeHint().width() - self.errors_page.minimumSizeHint().width()
        margins += self.errors_page.verticalScrollBar().sizeHint().width()
        needed = (
            self._left.minimumSizeHint().width()
            + self.browser.minimumSizeHint().width()
            + self.errors.handleWidth()
            + margins
        )
        wanted = QtCore.Qt.Orientation.Horizontal if width >= needed else QtCore.Qt.Orientation.Vertical
        if (wanted == QtCore.Qt.Orientation.Horizontal) != side:
            self.errors.setOrientation(wanted)
            if wanted == QtCore.Qt.Orientation.Horizontal:  # the matrix and its table get 60%
                self.errors.setSizes([3000, 2000])
        QtCore.QTimer.singleShot(0, self._fit_stacked_heights)

    def _fit_stacked_heights(self) -> None:
        """Stacked: the matrix and its table as tall as they need, the browser below as tall as its
        image and "Send to draw pad" need; the tab scrolls down to it."""
        if self.errors.orientation() != QtCore.Qt.Orientation.Vertical:
            self.errors.setMinimumHeight(0)
            return
        width = self.errors.width()
        if width <= 0:  # not laid out yet
            return
        matrix = self.confusion.heightForWidth(width)
        top = matrix
        if self.binary.isVisible():
            top += self._left.handleWidth() + self.binary.sizeHint().height()
        browser = max(self.browser.minimumSizeHint().height(), BROWSER_MIN_HEIGHT)
        self.errors.setMinimumHeight(top + self.errors.handleWidth() + browser)
        total = max(sum(self.errors.sizes()), top + browser)
        self.errors.setSizes([top, total - top])
        if self.binary.isVisible():
            self._left.setSizes([matrix, top - matrix])

    def _show_browser(self) -> None:
        """Stacked, scroll the browser into view (a click on a cell filters it)."""
        if self.errors.orientation() == QtCore.Qt.Orientation.Vertical:
            y = self.browser.mapTo(self.errors, QtCore.QPoint(0, 0)).y()
            self.errors_page.verticalScrollBar().setValue(y)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._schedule()

    def _inputs_key_for(self, network: Network):
        return (self.set_choice.currentData(), network.config.scale, np.dtype(network.dtype).str)

    def _show(self, evaluation: Evaluation | None) -> None:
        self._evaluation = evaluation
        self.confusion.set_evaluation(evaluation)
        self.browser.set_evaluation(evaluation)
        binary = evaluation is not None and evaluation.is_binary
        self.binary.set_evaluation(evaluation if binary else None)
        self.binary.setVisible(binary)
        self._on_browser_filter()
        if evaluation is not None:
            ev = evaluation
            which = ev.images_name
            self._result_text = (
                f"Model after {ev.epochs_trained:,} epoch{'s' if ev.epochs_trained != 1 else ''} on the "
                f"{ev.size:,} {which} images: accuracy <b>{100 * ev.accuracy:.2f}%</b>, "
                f"{ev.size - int(np.trace(ev.confusion)):,} wrong."
            )
            self.status.setText(self._result_text)

    # -- linking ---------------------------------------------------------------------------

    def _on_set_choice(self) -> None:
        self._version += 1
        self._schedule()

    def _on_threshold(self, threshold: float) -> None:
        if self._shown_version == self._version and self._base is not None and self._base.is_binary:
            self._show(self._base.with_threshold(threshold))

    def _on_cell(self, true_label: int, guess: int) -> None:
        self.browser.show_cell(true_label, guess)
        self._show_browser()

    def _on_browser_filter(self) -> None:
        self.confusion.matrix.highlight_cell(selection_cell(self.browser.selection()))

    def _on_image_selected(self, image) -> None:
        if image is None:
            self.weights.show_input(self._drawn, "the draw pad")
            return
        ev = self.browser.evaluation
        which = ev.images_name
        self.weights.show_input(image, f"{which} image #{self.browser.selected_index()}")
