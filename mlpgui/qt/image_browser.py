"""Browse the evaluated images: filter by outcome and digit, ordered by how sure the network was.

A `QListView` in icon mode over `ThumbnailModel` scrolls through *all*
matching images (10,000 is no problem): thumbnails are drawn only when the
view asks for them and kept in a small cache. Selecting one shows it large
with its whole probability vector; "Send to draw pad" emits the image.

"Why?" turns the large image into its saliency and shows the hidden units
that carried the guess (`explain_view.ExplainView`) in place of the bars.
"Show: not sure" lists the images whose confidence is below the reject
threshold set under the draw pad (`set_reject_threshold`).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.metrics import Evaluation, Selection, select
from ..core.network import Network
from ..core.reject import accept_mask
from .explain_view import ExplainView
from .qimages import scaled_gray_qimage

THUMB = 56  # thumbnail side in pixels (2x MNIST)
LARGE = 196  # selected image side (7x)
CACHE = 3000  # thumbnails kept
ANY = -1
REJECTED = "rejected"  # the "Show" choice of the images below the reject threshold


class ThumbnailModel(QtCore.QAbstractListModel):
    """One row per shown image: thumbnail, "true -> guess" and the confidence."""

    INDEX_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1  # the image's index in the evaluated set

    def __init__(self, parent=None):
        super().__init__(parent)
        self.evaluation: Evaluation | None = None
        self.indices = np.zeros(0, np.int64)
        self._thumbs: OrderedDict[int, QtGui.QPixmap] = OrderedDict()

    def set_content(self, evaluation: Evaluation | None, indices: np.ndarray) -> None:
        self.beginResetModel()
        if evaluation is None or self.evaluation is None or evaluation.images is not self.evaluation.images:
            self._thumbs.clear()
        self.evaluation = evaluation
        self.indices = np.asarray(indices, np.int64)
        self.endResetModel()

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.indices)

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.evaluation is None:
            return None
        i = int(self.indices[index.row()])
        ev = self.evaluation
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return f"{ev.classes[ev.labels[i]]} → {ev.classes[ev.predictions[i]]}\n{100 * ev.confidence[i]:.1f}%"
        if role == QtCore.Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(i)
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            which = ev.images_name
            return (
                f"{which} image #{i}: true {ev.classes[ev.labels[i]]}, guessed "
                f"{ev.classes[ev.predictions[i]]} with {100 * ev.confidence[i]:.1f}% confidence"
            )
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and ev.labels[i] != ev.predictions[i]:
            return QtGui.QBrush(QtGui.QColor("#d0312d"))
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole:
            return QtCore.Qt.AlignmentFlag.AlignCenter
        if role == self.INDEX_ROLE:
            return i
        return None

    def _thumbnail(self, i: int) -> QtGui.QPixmap:
        pixmap = self._thumbs.get(i)
        if pixmap is None:
            pixmap = QtGui.QPixmap.fromImage(scaled_gray_qimage(self.evaluation.images[i], THUMB))
            self._thumbs[i] = pixmap
            if len(self._thumbs) > CACHE:
                self._thumbs.popitem(last=False)
        else:
            self._thumbs.move_to_end(i)
        return pixmap


class ProbabilityPlot(pg.PlotWidget):
    """The selected image's probability for every class as bars; true class green, wrong guess red."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumHeight(150)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setMenuEnabled(False)
        self.setYRange(0, 1, padding=0.02)
        self.setLabel("left", "probability")
        self.getAxis("bottom").setHeight(24)  # it would shrink to nothing while there are no bars yet
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.addItem(self.bars)

    def set_probabilities(self, classes, proba, true_label: int | None, guess: int | None) -> None:
        k = len(classes)
        colours = []
        for c in range(k):
            if c == true_label:
                colours.append(pg.mkBrush("#34a853"))
            elif c == guess:
                colours.append(pg.mkBrush("#ea4335"))
            else:
                colours.append(pg.mkBrush("#7f8c9a"))
        self.bars.setOpts(x=np.arange(k), height=np.asarray(proba, float), width=0.7, brushes=colours)
        self.getAxis("bottom").setTicks([[(i, str(d)) for i, d in enumerate(classes)], []])
        self.setXRange(-0.6, k - 0.4, padding=0)
        self.setYRange(0, 1, padding=0.02)


class ImageBrowser(QtWidgets.QWidget):
    """Filters, the thumbnail list and the selected image with its probabilities."""

    sendToDrawPad = QtCore.Signal(object)  # (28, 28) uint8 image
    imageSelected = QtCore.Signal(object)  # (28, 28) uint8 image, or None when nothing is selected
    selectionChanged = QtCore.Signal()  # the filter changed (the shown set of images)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.evaluation: Evaluation | None = None
        self._selection = Selection()
        self._updating = False
        self._binary = False
        self._only_rejected = False
        self._reject_threshold = 0.0

        self.kind = QtWidgets.QComboBox()
        for text, kind in (
            ("misclassified", "misclassified"),
            ("correct", "correct"),
            ("all", "all"),
            ("not sure", REJECTED),
        ):
            self.kind.addItem(text, kind)
        self.kind.setItemData(
            3,
            "The images whose confidence is below the reject threshold (set under the draw pad)",
            QtCore.Qt.ItemDataRole.ToolTipRole,
        )
        self.true_class = QtWidgets.QComboBox()
        self.guess_class = QtWidgets.QComboBox()
        self.group = QtWidgets.QComboBox()
        self.group.setToolTip("The homework's groups; positive = the second digit")
        self.order = QtWidgets.QComboBox()
        self.order.addItem("most confident first", True)
        self.order.addItem("least confident first", False)
        self.count_label = QtWidgets.QLabel()
        self.count_label.setWordWrap(True)

        filters = QtWidgets.QHBoxLayout()
        filters.addWidget(QtWidgets.QLabel("Show"))
        filters.addWidget(self.kind)
        filters.addWidget(QtWidgets.QLabel("true"))
        filters.addWidget(self.true_class)
        filters.addWidget(QtWidgets.QLabel("guessed"))
        filters.addWidget(self.guess_class)
        self.group_label = QtWidgets.QLabel("group")
        filters.addWidget(self.group_label)
        filters.addWidget(self.group)
        filters.addStretch(1)
        # The order on the count's line: one row of every filter is wider than a laptop's
        # Evaluation page with both docks open.
        counting = QtWidgets.QHBoxLayout()
        counting.addWidget(self.order, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        counting.addWidget(self.count_label, 1)

        self.model = ThumbnailModel(self)
        self.view = QtWidgets.QListView()
        self.view.setViewMode(QtWidgets.QListView.ViewMode.IconMode)
        self.view.setResizeMode(QtWidgets.QListView.ResizeMode.Adjust)
        self.view.setMovement(QtWidgets.QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setLayoutMode(QtWidgets.QListView.LayoutMode.Batched)
        self.view.setBatchSize(500)
        self.view.setIconSize(QtCore.QSize(THUMB, THUMB))
        self.view.setGridSize(QtCore.QSize(THUMB + 26, THUMB + 40))
        self.view.setSpacing(2)
        self.view.setWordWrap(True)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setModel(self.model)
        self.view.setMinimumWidth(THUMB * 2 + 70)  # two columns still fit a 1024x700 window's Evaluation page

        self.large = QtWidgets.QLabel()
        self.large.setFixedSize(LARGE, LARGE)
        self.large.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.large.setStyleSheet("background: black;")
        self.caption = QtWidgets.QLabel("Select an image to see it large.")
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.probabilities = ProbabilityPlot()
        self.send_button = QtWidgets.QPushButton("Send to draw pad")
        self.send_button.setToolTip("Put this image on the draw pad to change it and watch the prediction")
        self.send_button.setEnabled(False)
        self.why_button = QtWidgets.QPushButton("Why?")
        self.why_button.setCheckable(True)
        self.why_button.setToolTip("Which pixels and hidden units made the network guess this")
        self.why = ExplainView(overlay_side=LARGE, units_per_row=4, tile=30, labelled=False)
        self.why.set_active(False)
        self.why_button.toggled.connect(self.set_why_shown)
        # the saliency takes the large image's place (it has the digit underneath), the units the bars'
        self.picture = QtWidgets.QStackedWidget()
        self.picture.addWidget(self.large)
        self.picture.addWidget(self.why.overlay)
        self.picture.setFixedSize(LARGE, LARGE)
        why_area = QtWidgets.QScrollArea()  # scrolls when the page leaves the column short
        why_area.setWidgetResizable(True)
        why_area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        why_area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        why_area.setWidget(self.why)
        self.body = QtWidgets.QStackedWidget()
        self.body.addWidget(self.probabilities)
        self.body.addWidget(why_area)

        detail = QtWidgets.QVBoxLayout()
        detail.addWidget(self.picture, 0, QtCore.Qt.AlignmentFlag.AlignHCenter)
        detail.addWidget(self.caption)
        detail.addWidget(self.body, 1)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.why_button)
        buttons.addWidget(self.send_button, 1)
        detail.addLayout(buttons)
        detail_widget = QtWidgets.QWidget()
        detail_widget.setLayout(detail)
        detail_widget.setFixedWidth(LARGE + 40)

        body = QtWidgets.QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addWidget(detail_widget)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addLayout(counting)
        layout.addLayout(body, 1)

        for combo in (self.kind, self.true_class, self.guess_class, self.group, self.order):
            combo.currentIndexChanged.connect(self._on_filter)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.send_button.clicked.connect(self._send)
        self._fill_class_combos(())

    # -- public -------------------------------------------------------------------------

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        """Show a new evaluation, keeping the filter and (if still shown) the selected image."""
        old = self.evaluation
        self.evaluation = evaluation
        keep = self.selected_index()
        if evaluation is None or old is None or old.classes != evaluation.classes or old.which != evaluation.which:
            keep = None
            self._fill_class_combos(() if evaluation is None else evaluation.classes)
            if evaluation is not None and (old is None or old.classes != evaluation.classes):
                self._selection = Selection(most_confident_first=self._selection.most_confident_first)
            self._show_selection_in_combos()
        self._refresh(keep)

    def set_network(self, network: Network | None) -> None:
        """The model "Why?" explains with (the one evaluated)."""
        self.why.set_network(network)

    def set_why_shown(self, shown: bool) -> None:
        """Show the selected image's saliency and hidden units ("Why?") or its picture and bars."""
        if self.why_button.isChecked() != shown:
            self.why_button.setChecked(shown)  # comes back here through toggled
            return
        self.why.set_active(shown)
        self.picture.setCurrentWidget(self.why.overlay if shown else self.large)
        self.body.setCurrentIndex(1 if shown else 0)

    def set_reject_threshold(self, threshold: float) -> None:
        """The reject threshold (0..1, 0: off) that "Show: not sure" lists the images below."""
        self._reject_threshold = float(threshold)
        if self._only_rejected:
            self._refresh(self.selected_index())

    def reject_threshold(self) -> float:
        return self._reject_threshold

    def set_selection(self, selection: Selection, only_rejected: bool = False) -> None:
        """Show `selection`'s images; only_rejected: only those below the reject threshold among them."""
        self._selection = selection
        self._only_rejected = bool(only_rejected)
        self._show_selection_in_combos()
        self._refresh(None)
        self.selectionChanged.emit()

    def selection(self) -> Selection:
        return self._selection

    def show_cell(self, true_label: int, guess: int) -> None:
        """Exactly the images of confusion-matrix cell (true, guess)."""
        self.set_selection(Selection.cell(true_label, guess))

    def shown_indices(self) -> np.ndarray:
        """Indices (into the evaluated set) of the listed images, in display order."""
        return self.model.indices

    def count(self) -> int:
        return len(self.model.indices)

    def select_row(self, row: int) -> None:
        self.view.setCurrentIndex(self.model.index(row, 0))

    def selected_index(self) -> int | None:
        current = self.view.currentIndex()
        if not current.isValid() or self.model.evaluation is None:
            return None
        return int(self.model.indices[current.row()])

    def selected_image(self) -> np.ndarray | None:
        i = self.selected_index()
        return None if i is None else self.evaluation.images[i]

    def selected_label(self) -> int | None:
        """The selected image's true digit."""
        i = self.selected_index()
        return None if i is None else int(self.evaluation.classes[self.evaluation.labels[i]])

    def selected_description(self) -> str:
        """E.g. 'test image #12' ('' when nothing is selected)."""
        i = self.selected_index()
        if i is None:
            return ""
        return f"{'test' if self.evaluation.which == 'test' else 'training'} image #{i}"

    # -- internals ---------------------------------------------------------------------

    def _fill_class_combos(self, classes) -> None:
        self._updating = True
        for combo in (self.true_class, self.guess_class):
            combo.clear()
            combo.addItem("any", ANY)
            for label, digit in enumerate(classes):
                combo.addItem(str(digit), label)
        self.group.clear()
        self.group.addItem("any", None)
        binary = self._binary = len(classes) == 2
        if binary:
            a, b = classes
            for group, what in (
                ("TP", f"{b} called {b}"),
                ("TN", f"{a} called {a}"),
                ("FP", f"{a} called {b}"),
                ("FN", f"{b} called {a}"),
            ):
                self.group.addItem(f"{group} ({what})", group)
        self.group.setVisible(binary)
        self.group_label.setVisible(binary)
        self._updating = False

    def _show_selection_in_combos(self) -> None:
        s = self._selection
        self._updating = True
        self.kind.setCurrentIndex(max(self.kind.findData(REJECTED if self._only_rejected else s.kind), 0))
        self.true_class.setCurrentIndex(max(self.true_class.findData(ANY if s.true_class is None else s.true_class), 0))
        self.guess_class.setCurrentIndex(
            max(self.guess_class.findData(ANY if s.guess_class is None else s.guess_class), 0)
        )
        self.group.setCurrentIndex(max(self.group.findData(s.group), 0) if s.group else 0)
        self.order.setCurrentIndex(0 if s.most_confident_first else 1)
        enabled = s.group is None
        for combo in (self.kind, self.true_class, self.guess_class):
            combo.setEnabled(enabled)
        self._updating = False

    def _on_filter(self) -> None:
        if self._updating:
            return
        true_class = self.true_class.currentData()
        guess_class = self.guess_class.currentData()
        rejected = self.kind.currentData() == REJECTED
        self.set_selection(
            Selection(
                kind="all" if rejected else self.kind.currentData(),
                true_class=None if true_class in (None, ANY) else int(true_class),
                guess_class=None if guess_class in (None, ANY) else int(guess_class),
                group=self.group.currentData() if self._binary else None,
                most_confident_first=bool(self.order.currentData()),
            ),
            only_rejected=rejected,
        )

    def _refresh(self, keep: int | None) -> None:
        ev = self.evaluation
        indices = np.zeros(0, np.int64) if ev is None else select(ev, self._selection)
        if ev is not None and self._only_rejected:
            indices = indices[~accept_mask(ev.proba[indices], self._reject_threshold)]
        self.model.set_content(ev, indices)
        if ev is None:
            self.count_label.setText("")
        else:
            which = ev.images_name
            n = len(indices)
            what = self._selection.describe(ev.classes)
            if self._only_rejected:
                t = self._reject_threshold
                below = f"confidence below {100 * t:.0f}%" if t > 0 else "none: the reject threshold is off"
                what = what.replace("all", f"not sure ({below})", 1)
            self.count_label.setText(
                f"<b>{n:,}</b> {which} image{'s' if n != 1 else ''}: {what}, "
                f"{'most' if self._selection.most_confident_first else 'least'} confident first "
                f"<span style='color:gray'>(under each: true → guess, confidence in the guess)</span>"
            )
        row = -1
        if keep is not None:
            hits = np.flatnonzero(indices == keep)
            row = int(hits[0]) if len(hits) else -1
        if row >= 0:
            self.select_row(row)
            self.view.scrollTo(self.model.index(row, 0))
        else:
            self._show_detail(None)

    def _on_current(self, current, _previous) -> None:
        self._show_detail(self.selected_index() if current.isValid() else None)

    def _show_detail(self, i: int | None) -> None:
        ev = self.evaluation
        if i is None or ev is None:
            self.large.clear()
            self.caption.setText("Select an image to see it large." if ev is not None else "")
            self.probabilities.set_probabilities((), [], None, None)
            self.send_button.setEnabled(False)
            self.why.set_image(None)
            self.imageSelected.emit(None)
            return
        self.large.setPixmap(QtGui.QPixmap.fromImage(scaled_gray_qimage(ev.images[i], LARGE)))
        true_label, guess = int(ev.labels[i]), int(ev.predictions[i])
        which = ev.images_name
        verdict = "right" if true_label == guess else "<span style='color:#d0312d'>wrong</span>"
        self.caption.setText(
            f"{which} image #{i}: true <b>{ev.classes[true_label]}</b>, guessed <b>{ev.classes[guess]}</b> "
            f"({100 * ev.confidence[i]:.1f}%), {verdict}"
        )
        self.probabilities.set_probabilities(ev.classes, ev.proba[i], true_label, guess)
        self.why.set_image(ev.images[i])
        self.send_button.setEnabled(True)
        self.imageSelected.emit(ev.images[i])

    def _send(self) -> None:
        image = self.selected_image()
        if image is not None:
            self.sendToDrawPad.emit(np.array(image, np.uint8))
