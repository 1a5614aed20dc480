"""The confusion matrix as a heatmap with its count in every cell, and the per-class scores beside it.

Follows pyqtgraph's examples/MatrixDisplayExample.py: an `ImageItem` shifted
by half a cell so cell (t, g) is centred on (g, t), a `ColorBarItem`, and
axis ticks labelled with the digits. Rows are the true digit, columns the
guess; a binary matrix names its cells TN / FP / FN / TP (positive = the
second digit). Clicking a cell emits `cellClicked(true, guess)`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.metrics import GROUP_CELLS, Evaluation, row_normalised

GROUP_OF_CELL = {cell: group for group, cell in GROUP_CELLS.items()}  # (true, guess) -> "TP", ...
COLORMAP = "viridis"


def _fmt(value: float, digits: int = 3) -> str:
    return "–" if np.isnan(value) else f"{value:.{digits}f}"


def _centre_lines(item: pg.TextItem) -> None:
    """Centre each line of a multi-line TextItem (Qt left-aligns them by default)."""
    text = item.textItem
    text.setTextWidth(-1)
    option = text.document().defaultTextOption()
    option.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
    text.document().setDefaultTextOption(option)
    text.setTextWidth(text.boundingRect().width())
    item.updateTextPos()


class ConfusionMatrixView(pg.GraphicsLayoutWidget):
    """The heatmap itself; `set_evaluation` redraws, a click on a cell emits `cellClicked`."""

    cellClicked = QtCore.Signal(int, int)  # true label, guessed label (0..K-1)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(260, 240)
        self._cmap = pg.colormap.get(COLORMAP)
        self.plot = self.addPlot()
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)  # square cells
        self.plot.setDefaultPadding(0.0)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showAxes(True, showValues=(True, False, False, True), size=20)
        for name in ("left", "bottom", "top", "right"):
            # no tick marks: beside a digit they read as a minus sign ("-0", "-972")
            self.plot.getAxis(name).setStyle(tickLength=0)
        self.plot.getAxis("left").setWidth(44)
        self.plot.getAxis("bottom").setHeight(36)
        self.plot.setLabel("left", "true digit")
        self.plot.setLabel("bottom", "guessed digit")
        self.image = pg.ImageItem()
        self.image.setTransform(QtGui.QTransform().translate(-0.5, -0.5))
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=self._cmap, interactive=False, width=14)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self._texts: list[list[pg.TextItem]] = []
        self._highlight = QtWidgets.QGraphicsRectItem()
        self._highlight.setPen(pg.mkPen("#ff3b30", width=3))
        self._highlight.setZValue(10)
        self._highlight.hide()
        self.plot.addItem(self._highlight)
        self.evaluation: Evaluation | None = None
        self.normalised = False
        self.scene().sigMouseClicked.connect(self._on_click)
        self.scene().sigMouseMoved.connect(self._on_hover)
        self.plot.vb.sigResized.connect(self._fit_text)

    # -- content ------------------------------------------------------------------

    def set_evaluation(self, evaluation: Evaluation | None, normalised: bool | None = None) -> None:
        if normalised is not None:
            self.normalised = normalised
        self.evaluation = evaluation
        if evaluation is None:
            self.image.clear()
            for row in self._texts:
                for item in row:
                    self.plot.removeItem(item)
            self._texts = []
            self._highlight.hide()
            return
        k = evaluation.n_classes
        if len(self._texts) != k:
            self._make_cells(evaluation)
        values = row_normalised(evaluation.confusion) if self.normalised else evaluation.confusion.astype(float)
        top = 1.0 if self.normalised else max(float(values.max()), 1.0)
        self.image.setImage(values, autoLevels=False)
        self.bar.setLevels((0.0, top))
        self.bar.axis.setLabel("fraction of row" if self.normalised else "images")
        colours = self._cmap.map((values / top).ravel(), mode="float")
        for t in range(k):
            for g in range(k):
                r, gr, b = colours[t * k + g][:3]
                light = 0.2126 * r + 0.7152 * gr + 0.0722 * b > 0.5
                item = self._texts[t][g]
                item.setText(self.cell_text(t, g), color="#000000" if light else "#ffffff")
                if evaluation.is_binary:
                    _centre_lines(item)
        self.plot.setRange(xRange=(-0.5, k - 0.5), yRange=(-0.5, k - 0.5), padding=0)
        self._fit_text()

    def label_pixel_size(self) -> int:
        """The cells' font size in pixels: as large as the widest label allows, 7 to 15."""
        if self.evaluation is None or not self._texts:
            return 0
        k = self.evaluation.n_classes
        cell = min(self.plot.vb.width(), self.plot.vb.height()) / k
        lines = [line for row in self._texts for item in row for line in item.toPlainText().split("\n")]
        chars = max((len(line) for line in lines), default=1) or 1
        rows = 2 if self.evaluation.is_binary else 1
        return int(max(7, min(15, cell * 0.9 / (0.62 * chars), cell * 0.8 / (1.3 * rows))))

    def _fit_text(self) -> None:
        size = self.label_pixel_size()
        if not size:
            return
        for row in self._texts:
            for item in row:
                font = item.textItem.font()
                if font.pixelSize() != size:
                    font.setPixelSize(size)
                    item.setFont(font)
                    if self.evaluation.is_binary:
                        _centre_lines(item)

    def _make_cells(self, evaluation: Evaluation) -> None:
        for row in self._texts:
            for item in row:
                self.plot.removeItem(item)
        k = evaluation.n_classes
        ticks = [(i, str(d)) for i, d in enumerate(evaluation.classes)]
        for side in ("left", "bottom", "top", "right"):
            self.plot.getAxis(side).setTicks((ticks, []))
        font = QtGui.QFont()
        font.setBold(k <= 4)
        self._texts = []
        for t in range(k):
            row = []
            for g in range(k):
                item = pg.TextItem(anchor=(0.5, 0.5))
                item.setFont(font)
                item.setPos(g, t)
                item.setZValue(5)
                self.plot.addItem(item)
                row.append(item)
            self._texts.append(row)

    def text_items(self) -> list[list[pg.TextItem]]:
        """The text drawn in each cell, [true][guess] (empty before the first evaluation)."""
        return [list(row) for row in self._texts]

    def shown_text(self, true_label: int, guess: int) -> str:
        """The text drawn in cell (true, guess)."""
        return self._texts[true_label][guess].toPlainText()

    def cell_text(self, true_label: int, guess: int) -> str:
        """What cell (true, guess) shows: its count, or its share of the row when normalised."""
        ev = self.evaluation
        count = int(ev.confusion[true_label, guess])
        if self.normalised:
            share = row_normalised(ev.confusion)[true_label, guess]
            text = f"{100 * share:.1f}%" if ev.is_binary else f"{100 * share:.0f}"
        else:
            text = str(count)  # no thousands separator: it must fit a small cell
        if ev.is_binary:
            return f"{GROUP_OF_CELL[(true_label, guess)]}\n{text}"
        return text

    def highlight_cell(self, cell: tuple[int, int] | None) -> None:
        if cell is None or self.evaluation is None:
            self._highlight.hide()
            return
        t, g = cell
        self._highlight.setRect(QtCore.QRectF(g - 0.5, t - 0.5, 1, 1))
        self._highlight.show()

    # -- mouse ------------------------------------------------------------------------

    def cell_at(self, scene_pos) -> tuple[int, int] | None:
        """(true, guess) of the cell under a scene position, or None outside the matrix."""
        if self.evaluation is None or not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        g, t = int(np.floor(p.x() + 0.5)), int(np.floor(p.y() + 0.5))
        k = self.evaluation.n_classes
        return (t, g) if 0 <= t < k and 0 <= g < k else None

    def cell_widget_pos(self, true_label: int, guess: int) -> QtCore.QPoint:
        """Where cell (true, guess) is drawn, in this widget's coordinates (for clicking it)."""
        scene = self.plot.vb.mapViewToScene(QtCore.QPointF(guess, true_label))
        return self.mapFromScene(scene)

    def click_cell(self, true_label: int, guess: int) -> None:
        self.highlight_cell((true_label, guess))
        self.cellClicked.emit(true_label, guess)

    def _on_click(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.scenePos())
        if cell is not None:
            event.accept()
            self.click_cell(*cell)

    def _on_hover(self, scene_pos) -> None:
        cell = self.cell_at(scene_pos)
        if cell is None:
            self.setToolTip("")
            self.viewport().unsetCursor()
            return
        self.viewport().setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        ev = self.evaluation
        t, g = cell
        count = int(ev.confusion[t, g])
        total = int(ev.confusion[t].sum())
        share = f" ({100 * count / total:.1f}% of the {total:,} {ev.classes[t]}s)" if total else ""
        self.setToolTip(f"true {ev.classes[t]}, guessed {ev.classes[g]}: {count:,} images{share}\nclick to see them")


class ClassMetricsTable(QtWidgets.QTableWidget):
    """Precision, recall, F1 and support for every class."""

    HEADERS = ("digit", "precision", "recall", "F1", "images")

    def __init__(self, parent=None):
        super().__init__(0, len(self.HEADERS), parent)
        self.setTabKeyNavigation(False)  # Tab leaves the table (arrow keys move inside it)
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().hide()
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizeAdjustPolicy(QtWidgets.QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        if evaluation is None:
            self.setRowCount(0)
            return
        m = evaluation.metrics
        self.setRowCount(evaluation.n_classes)
        for row, digit in enumerate(evaluation.classes):
            cells = (str(digit), _fmt(m.precision[row]), _fmt(m.recall[row]), _fmt(m.f1[row]), f"{m.support[row]:,}")
            for col, text in enumerate(cells):
                item = self.item(row, col)
                if item is None:
                    item = QtWidgets.QTableWidgetItem()
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                    self.setItem(row, col, item)
                item.setText(text)

    def sizeHint(self) -> QtCore.QSize:
        frame = 2 * self.frameWidth()
        return QtCore.QSize(
            self.horizontalHeader().length() + frame,
            self.horizontalHeader().height() + self.verticalHeader().length() + frame,
        )

    minimumSizeHint = sizeHint


class ConfusionView(QtWidgets.QWidget):
    """Matrix, normalisation switch, overall accuracy and the per-class table: beside the matrix when the
    cells stay big enough to read, else below it.

    The cells' text is sized from the cell (see `ConfusionMatrixView.label_pixel_size`): the view gives
    the matrix the room for cells of at least MIN_CELL pixels where it can, so a four-digit count is
    readable, and never more than MAX_MATRIX pixels a side.
    """

    cellClicked = QtCore.Signal(int, int)

    SIDE_WIDTH = 280  # the accuracy line and the table
    OVERHEAD = QtCore.QSize(135, 50)  # the matrix widget around its cells: left axis + colour bar, bottom axis
    MIN_CELL = 30  # pixels: a four-digit count at 10 px and more
    MAX_MATRIX = {2: 260, 10: 380}  # the cells' area at most, by classes

    def __init__(self, parent=None):
        super().__init__(parent)
        self.matrix = ConfusionMatrixView()
        self.table = ClassMetricsTable()
        self.normalise = QtWidgets.QCheckBox("Normalise rows")
        self.normalise.setToolTip(
            "Colour and label each cell by its share of the true digit's images "
            "(the diagonal is then each digit's recall)"
        )
        self.accuracy_label = QtWidgets.QLabel()
        self.accuracy_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.accuracy_label.setWordWrap(True)
        hint = QtWidgets.QLabel("Click a cell to browse its images.")
        hint.setEnabled(False)

        side = QtWidgets.QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.accuracy_label)
        side.addWidget(self.table)
        side.addWidget(self.normalise)
        side.addWidget(hint)
        side.addStretch(1)
        side_widget = QtWidgets.QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(self.SIDE_WIDTH)
        self._side = side_widget
        self._layout = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.LeftToRight, self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.matrix, 1, QtCore.Qt.AlignmentFlag.AlignTop)
        self._layout.addWidget(side_widget)

        self.normalise.toggled.connect(self._on_normalise)
        self.matrix.cellClicked.connect(self.cellClicked)
        self.evaluation: Evaluation | None = None

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        self.evaluation = evaluation
        self.matrix.set_evaluation(evaluation, self.normalise.isChecked())
        self.table.set_evaluation(evaluation)
        self.table.updateGeometry()
        self._fit(self.width(), self.height())
        if evaluation is None:
            self.accuracy_label.setText("")
            return
        ev = evaluation
        n_right = int(np.trace(ev.confusion))
        which = ev.images_name
        text = (
            f"<b>Accuracy {100 * ev.accuracy:.2f}%</b>: {n_right:,} of {ev.size:,} {which} images right, "
            f"{ev.size - n_right:,} wrong"
        )
        if ev.is_binary:
            c = ev.counts
            text += (
                f"<br>positive = digit {ev.classes[1]}, threshold {ev.threshold:.3f}: "
                f"TP {c.tp:,}, TN {c.tn:,}, FP {c.fp:,}, FN {c.fn:,}"
            )
        self.accuracy_label.setText(text)

    def click_cell(self, true_label: int, guess: int) -> None:
        self.matrix.click_cell(true_label, guess)

    # -- layout ----------------------------------------------------------------------

    def _classes(self) -> int:
        return self.evaluation.n_classes if self.evaluation is not None else 10

    def side_beside(self, width: int) -> bool:
        """Whether the table goes beside the matrix at this width (else below it)."""
        room = width - self.SIDE_WIDTH - self._layout.spacing() - self.OVERHEAD.width()
        fits = width >= self.matrix.minimumWidth() + self._layout.spacing() + self.SIDE_WIDTH
        return fits and room >= self.MIN_CELL * self._classes()

    def matrix_side(self, width: int, height: int | None = None) -> int:
        """The cells' area, in pixels a side, at this size (height None: as tall as it needs)."""
        beside = self.side_beside(width)
        room = width - self.OVERHEAD.width() - ((self.SIDE_WIDTH + self._layout.spacing()) if beside else 0)
        if height is not None and beside:
            room = min(room, height - self.OVERHEAD.height())
        return max(150, min(room, self.MAX_MATRIX.get(self._classes(), self.MAX_MATRIX[10])))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        matrix = self.matrix_side(width) + self.OVERHEAD.height()
        side = self._side.sizeHint().height()
        if self.side_beside(width):
            return max(matrix, side)
        return matrix + self._layout.spacing() + side

    def sizeHint(self) -> QtCore.QSize:
        width = max(self.width(), self.minimumSizeHint().width())
        return QtCore.QSize(width, self.heightForWidth(width))

    def _fit(self, width: int, height: int) -> None:
        beside = self.side_beside(width)
        direction = QtWidgets.QBoxLayout.Direction.LeftToRight if beside else QtWidgets.QBoxLayout.Direction.TopToBottom
        if self._layout.direction() != direction:
            self._layout.setDirection(direction)
            self.updateGeometry()
        # keep the matrix widget square so the aspect-locked cells fill it instead of
        # leaving empty bands inside the axes; the space it leaves stays plain background
        side = self.matrix_side(width, height if beside else None)
        self.matrix.setMaximumWidth(side + self.OVERHEAD.width())
        self.matrix.setFixedHeight(side + self.OVERHEAD.height())

    def resizeEvent(self, event) -> None:
        self._fit(event.size().width(), event.size().height())
        super().resizeEvent(event)

    def _on_normalise(self, on: bool) -> None:
        self.matrix.set_evaluation(self.evaluation, on)
