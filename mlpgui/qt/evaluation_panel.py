"""The evaluation tab: confusion matrix, image browser, binary threshold view and the hidden units, linked.

`set_model(network, task)` runs one forward pass over the chosen set (test by
default; the training set only when the toggle asks for it) into an
`Evaluation` that every view shows. Clicking a confusion cell filters the
browser to exactly that cell's images; the binary threshold recounts the
2x2 matrix, the metrics and the browser without another forward pass;
selecting an image (or drawing one) ranks the hidden units it activates.

Cost: the scaled inputs are cached per task and set, so a refresh is one
forward pass plus redrawing (see `last_refresh_seconds`). While the window
is open but this panel is hidden (another tab), refreshes wait until it is
shown; a refresh that turns out slow (a large training set) spaces the next
ones out so the window stays responsive during training.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6 import QtCore, QtWidgets

from ..core.errors import MlpguiError
from ..core.metrics import Evaluation, selection_cell
from ..core.network import Network
from ..core.tasks import TaskData
from .binary_view import BinaryView
from .confusion_view import ConfusionView
from .image_browser import ImageBrowser
from .weights_view import WeightsView

INPUT_CACHE_BYTES = 160 * 2**20  # keep a set's scaled inputs if they fit in this
SLOW_REFRESH = 0.15  # seconds; slower refreshes are spaced out ...
BUSY_SHARE = 0.25  # ... so at most this share of the time goes to them


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
        self._dirty = False
        self._last_end = 0.0
        self.last_refresh_seconds = 0.0
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._refresh_if_dirty)

        self.set_choice = QtWidgets.QComboBox()
        self.set_choice.addItem("test set", "test")
        self.set_choice.addItem("training set", "train")
        self.set_choice.setToolTip("Which images to evaluate the current model on")
        self._extra_sets = {}  # a chooser entry's data -> make_task(model's task): a task whose test split it is
        self._model_task: TaskData | None = None
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
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.errors, "Confusion matrix && images")
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
        self._dirty = True
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

    def add_set(self, label: str, key: str, make_task) -> None:
        """Offer one more set in the chooser: `make_task(model's task)` gives a task whose test split it is
        (e.g. my digits), so the views show it as they show the test set."""
        self._extra_sets[key] = make_task
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
        """What the views show (brought up to date first if a refresh is pending)."""
        self._refresh_if_dirty()
        return self._evaluation

    # -- refreshing ---------------------------------------------------------------------

    def _schedule(self) -> None:
        if self.window().isVisible() and not self.isVisible():
            return  # showEvent refreshes
        wait = 0.0
        if self.last_refresh_seconds > SLOW_REFRESH:
            gap = self.last_refresh_seconds * (1 / BUSY_SHARE - 1)
            wait = self._last_end + gap - time.perf_counter()
        if wait > 0:
            if not self._timer.isActive():
                self._timer.start(int(wait * 1000) + 1)
        else:
            self._refresh_if_dirty()

    def fit_width(self, width: int) -> None:
        """Side by side when `width` holds the matrix and the browser, else the browser below.

        Called by the page that scrolls this panel with the width it can show:
        a laptop screen with both docks open leaves about 620 pixels, and
        side by side the two need about 1,070.
        """
        side = self.errors.orientation() == QtCore.Qt.Orientation.Horizontal
        margins = self.minimumSizeHint().width() - self.errors.minimumSizeHint().width()
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
        """Stacked: the matrix and its table as tall as they need, the browser the rest."""
        if self.errors.orientation() == QtCore.Qt.Orientation.Vertical:
            total = sum(self.errors.sizes())
            if total <= 0:  # not laid out yet
                return
            top = min(self._left.sizeHint().height(), total // 2)
            self.errors.setSizes([top, total - top])
            if self.binary.isVisible():  # the matrix as tall as it needs, the binary plots the rest
                matrix = min(self.confusion.sizeHint().height(), top // 2)
                self._left.setSizes([matrix, top - matrix])

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._schedule()

    def _refresh_if_dirty(self) -> None:
        if self._dirty:
            self._refresh()

    def _refresh(self) -> None:
        start = time.perf_counter()
        self._dirty = False
        self._timer.stop()
        network, task = self._network, self._task
        self._base = self._evaluation = None
        if network is None or task is None:
            self._show(None)
            self.weights.set_network(None)
            self.status.setText("Train or load a model to see what it gets right and wrong.")
        else:
            try:
                threshold = self.binary.threshold if len(task.classes) == 2 else 0.5
                self._base = Evaluation.compute(
                    network, task, self.which, threshold, inputs=self._cached_inputs(network, task)
                )
            except MlpguiError as e:
                self._show(None)
                self.weights.set_network(None)
                self.status.setText(f"Can't evaluate this model: {e}")
            else:
                self._show(self._base)
                self.weights.set_network(network)
        self._last_end = time.perf_counter()
        self.last_refresh_seconds = self._last_end - start
        self._fit_stacked_heights()
        self.updated.emit()

    def _cached_inputs(self, network: Network, task: TaskData) -> np.ndarray | None:
        key = (self.which, network.config.scale, np.dtype(network.dtype).str)
        if key == self._inputs_key:
            return self._inputs
        n = len(task.test_labels if self.which == "test" else task.train_labels)
        if n * 784 * np.dtype(network.dtype).itemsize > INPUT_CACHE_BYTES:
            return None  # Evaluation.compute scales chunk by chunk instead
        self._inputs_key = key
        self._inputs = task.inputs(self.which, network.dtype)
        return self._inputs

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
            which = "test" if ev.which == "test" else "training"
            self.status.setText(
                f"Model after {ev.epochs_trained:,} epoch{'s' if ev.epochs_trained != 1 else ''} on the "
                f"{ev.size:,} {which} images: accuracy <b>{100 * ev.accuracy:.2f}%</b>, "
                f"{ev.size - int(np.trace(ev.confusion)):,} wrong."
            )

    # -- linking ---------------------------------------------------------------------------

    def _on_set_choice(self) -> None:
        self._dirty = True
        self._refresh()

    def _on_threshold(self, threshold: float) -> None:
        if not self._dirty and self._base is not None and self._base.is_binary:
            self._show(self._base.with_threshold(threshold))

    def _on_cell(self, true_label: int, guess: int) -> None:
        self.browser.show_cell(true_label, guess)

    def _on_browser_filter(self) -> None:
        self.confusion.matrix.highlight_cell(selection_cell(self.browser.selection()))

    def _on_image_selected(self, image) -> None:
        if image is None:
            self.weights.show_input(self._drawn, "the draw pad")
            return
        ev = self.browser.evaluation
        which = "test" if ev.which == "test" else "training"
        self.weights.show_input(image, f"{which} image #{self.browser.selected_index()}")
