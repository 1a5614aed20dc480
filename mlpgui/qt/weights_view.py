"""Inside the network: what each hidden unit looks for, and which units an image switches on.

Column j of W1 holds hidden unit j's 784 incoming weights; drawn as a 28x28
tile it shows the pattern that excites the unit (red: ink there raises its
activation, blue: ink there lowers it). The grid shows every unit (up to
`MAX_TILES`), each tile scaled to its own largest |weight|. Clicking a tile
shows it large with its outgoing weights W2[j] to the output classes. Given
an image (drawn, or picked in the browser) the units it activates most are
outlined and ranked.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.metrics import hidden_activations, top_hidden_units
from ..core.network import Network
from .qimages import scaled_gray_qimage

SIDE = 28
GAP = 2
MAX_TILES = 4096  # more than this many units: the grid shows the first MAX_TILES
TOP_K = 10  # units outlined for the current input
COLORMAP = "CET-D1"  # diverging: blue negative, white zero, red positive


def grid_shape(n_tiles: int) -> tuple[int, int]:
    """(rows, cols) of a near-square grid, wider than tall."""
    cols = max(1, math.ceil(math.sqrt(n_tiles)))
    return max(1, math.ceil(n_tiles / cols)), cols


def tile_mosaic(W1: np.ndarray, n_tiles: int) -> tuple[np.ndarray, int, int]:
    """Every unit's incoming weights scaled to [-1, 1] by its own max |w|, tiled with NaN gaps."""
    rows, cols = grid_shape(n_tiles)
    tiles = np.asarray(W1[:, :n_tiles], np.float32).T.reshape(n_tiles, SIDE, SIDE)
    peak = np.abs(tiles).reshape(n_tiles, -1).max(axis=1)
    tiles = tiles / np.where(peak > 0, peak, 1)[:, None, None]
    padded = np.full((rows * cols, SIDE + GAP, SIDE + GAP), np.nan, np.float32)
    padded[:n_tiles, :SIDE, :SIDE] = tiles
    mosaic = padded.reshape(rows, cols, SIDE + GAP, SIDE + GAP).transpose(0, 2, 1, 3)
    return mosaic.reshape(rows * (SIDE + GAP), cols * (SIDE + GAP)), rows, cols


class WeightsView(QtWidgets.QWidget):
    """The tile grid, and beside it the input's most active units (ranked tiles) and the selected unit.

    The grid widget is kept to the mosaic's own shape, as large as the page allows, so
    tiles are as big as they can be and no black band surrounds them. The ranking is a
    strip of its own: the grid only outlines the ranked tiles, nothing is drawn over them.
    """

    unitClicked = QtCore.Signal(int)

    SIDE_WIDTH = 260  # the ranked units and the selected unit
    RANK_TILE = 40  # pixels of a ranked unit's tile in the strip
    RANK_COLUMNS = 5

    def __init__(self, parent=None):
        super().__init__(parent)
        self.network: Network | None = None
        self.selected_unit: int | None = None
        self.tile_count = 0
        self._cols = 1
        self._rows = 1
        self._input: np.ndarray | None = None
        self._input_source = ""
        self.activations: np.ndarray | None = None
        self.top_units = np.zeros(0, np.int64)
        self._cmap = pg.colormap.get(COLORMAP)
        self._lut = self._cmap.getLookupTable(0.0, 1.0, 256, alpha=True)

        # the grid of all tiles
        self.grid = pg.GraphicsLayoutWidget()
        self.grid.ci.setContentsMargins(0, 0, 0, 0)
        self.grid.setMinimumSize(40, 40)
        self.grid.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)
        self.grid_box = self.grid.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.grid_box.setMenuEnabled(False)
        self.grid_image = pg.ImageItem()
        self.grid_box.addItem(self.grid_image)
        self._marks: list[QtWidgets.QGraphicsRectItem] = []
        self._selected_mark = QtWidgets.QGraphicsRectItem()
        self._selected_mark.setPen(pg.mkPen("#ffd60a", width=3, cosmetic=True))
        self._selected_mark.setZValue(12)
        self._selected_mark.hide()
        self.grid_box.addItem(self._selected_mark)
        self.grid.scene().sigMouseClicked.connect(self._on_click)
        self.grid_title = QtWidgets.QLabel()
        self.grid_title.setWordWrap(True)

        # the current input and its most active units, ranked
        self.input_label = QtWidgets.QLabel()
        self.input_label.setFixedSize(56, 56)
        self.input_label.setStyleSheet("background: black;")
        self.input_caption = QtWidgets.QLabel()
        self.input_caption.setWordWrap(True)
        self.input_caption.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.rank_buttons: list[QtWidgets.QToolButton] = []
        ranks = QtWidgets.QGridLayout()
        ranks.setSpacing(2)
        for rank in range(TOP_K):
            button = QtWidgets.QToolButton()
            button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(QtCore.QSize(self.RANK_TILE, self.RANK_TILE))
            button.setAutoRaise(True)
            button.clicked.connect(lambda _checked=False, r=rank: self._rank_clicked(r))
            button.hide()
            ranks.addWidget(button, rank // self.RANK_COLUMNS, rank % self.RANK_COLUMNS)
            self.rank_buttons.append(button)

        # the selected unit, large, and its outgoing weights
        self.unit_plot = pg.GraphicsLayoutWidget()
        self.unit_plot.setFixedHeight(170)
        self.unit_box = self.unit_plot.addPlot()
        self.unit_box.setAspectLocked(True)
        self.unit_box.invertY(True)
        self.unit_box.hideAxis("left")
        self.unit_box.hideAxis("bottom")
        self.unit_box.setMouseEnabled(False, False)
        self.unit_box.hideButtons()
        self.unit_box.setMenuEnabled(False)
        self.unit_image = pg.ImageItem()
        self.unit_box.addItem(self.unit_image)
        self.unit_bar = pg.ColorBarItem(values=(-1, 1), colorMap=self._cmap, interactive=False, width=12)
        self.unit_bar.setImageItem(self.unit_image, insert_in=self.unit_box)
        self.unit_caption = QtWidgets.QLabel("Click a tile to see the unit large.")
        self.unit_caption.setWordWrap(True)
        self.outgoing = pg.PlotWidget()
        self.outgoing.setMinimumHeight(120)
        self.outgoing.setMouseEnabled(False, False)
        self.outgoing.hideButtons()
        self.outgoing.setMenuEnabled(False)
        self.outgoing.setLabel("left", "outgoing weight")
        for side in ("left", "bottom"):
            self.outgoing.getAxis(side).enableAutoSIPrefix(False)
        self.outgoing.getAxis("bottom").setHeight(36)
        self.outgoing.setLabel("bottom", "to output")
        self.outgoing.addLine(y=0, pen=pg.mkPen("#888888"))
        self.outgoing_bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.outgoing.addItem(self.outgoing_bars)

        side = QtWidgets.QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        input_row = QtWidgets.QHBoxLayout()
        input_row.addWidget(self.input_label, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        input_row.addWidget(self.input_caption, 1)
        side.addLayout(input_row)
        side.addLayout(ranks)
        side.addWidget(self.unit_caption)
        side.addWidget(self.unit_plot)
        side.addWidget(self.outgoing, 1)
        side_widget = QtWidgets.QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(self.SIDE_WIDTH)
        self._side = side_widget
        left = QtWidgets.QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.grid_title)
        left.addWidget(self.grid, 1)  # kept to the mosaic's shape by its maximum size: top left, no black band
        left.addStretch(0)  # what the grid (stretch 1, up to its maximum) can't take stays below it
        self._left = QtWidgets.QWidget()
        self._left.setLayout(left)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._left, 1)
        layout.addWidget(side_widget)
        self._fit_timer = QtCore.QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_grid)
        self._show_input_caption()

    def tile_pixels(self) -> float:
        """How many screen pixels a tile's side is drawn with (0 before there is a grid)."""
        if not self.tile_count:
            return 0.0
        return (
            self.grid_box.mapViewToDevice(QtCore.QPointF(SIDE, 0)).x()
            - self.grid_box.mapViewToDevice(QtCore.QPointF(0, 0)).x()
        )

    def _fit_grid(self) -> None:
        """The grid widget as large as the room beside the side panel allows, in the mosaic's shape."""
        width = self._left.width()
        height = self._left.height() - self.grid_title.heightForWidth(width) - self._left.layout().spacing()
        if width <= 0 or height <= 0:
            return
        aspect = self._rows / self._cols  # height / width of the mosaic
        w = int(min(width, height / aspect))
        self.grid.setMaximumSize(max(w, 40), max(int(w * aspect), 40))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_timer.start()  # once the layout has placed the grid's column

    # -- public -----------------------------------------------------------------------

    def prepare(self, network: Network) -> tuple[np.ndarray, int, int]:
        """The grid's colours (rgba, rows, cols) for `network`: plain NumPy, safe on a worker thread.

        One pass over up to MAX_TILES columns of W1: about 0.2 s for the largest networks,
        so the Evaluation tab's worker makes it and hands it to `set_network`.
        """
        mosaic, rows, cols = tile_mosaic(network.W1, min(network.hidden, MAX_TILES))
        rgba = self._lut[np.clip(((np.nan_to_num(mosaic) + 1) * 127.5).astype(np.int32), 0, 255)]
        rgba[np.isnan(mosaic), 3] = 0
        return rgba, rows, cols

    def set_network(self, network: Network | None, prepared: tuple[np.ndarray, int, int] | None = None) -> None:
        """Redraw every tile from `prepare(network)` (made here if not given), keeping the unit and the input."""
        self.network = network
        if network is None:
            self.tile_count = 0
            self.grid_image.clear()
            self.grid_title.setText("No model yet.")
            self.selected_unit = None
            self._show_unit()
            self._set_input_activations()
            return
        h = network.hidden
        self.tile_count = min(h, MAX_TILES)
        rgba, rows, self._cols = prepared if prepared is not None else self.prepare(network)
        self._rows = rows
        self._fit_grid()
        self.grid_image.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.grid_box.autoRange(padding=0.01)
        shown = f"all {h:,}" if h <= MAX_TILES else f"the first {MAX_TILES:,} of {h:,}"
        self.grid_title.setText(
            f"Incoming weights of {shown} hidden units ({rows}×{self._cols}), each tile scaled to its own "
            "largest: <span style='color:#d62728'>red</span> = ink here excites the unit, "
            "<span style='color:#1f77b4'>blue</span> = inhibits it. Click a tile."
        )
        if self.selected_unit is not None and self.selected_unit >= self.tile_count:
            self.selected_unit = None
        self._show_unit()
        self._set_input_activations()

    def select_unit(self, unit: int | None) -> None:
        if self.network is None or unit is None or not 0 <= unit < self.tile_count:
            unit = None
        self.selected_unit = unit
        self._show_unit()
        if unit is not None:
            self.unitClicked.emit(unit)

    def show_input(self, image: np.ndarray | None, source: str = "the draw pad") -> None:
        """Rank the hidden units by how strongly `image` (28x28 uint8) activates them; None clears."""
        self._input = None if image is None else np.array(image, np.uint8)
        self._input_source = source
        if self._input is None:
            self.input_label.clear()
        else:
            self.input_label.setPixmap(QtGui.QPixmap.fromImage(scaled_gray_qimage(self._input, 56)))
        self._set_input_activations()

    def tile_rect(self, unit: int) -> QtCore.QRectF:
        """Where a unit's tile is in the grid's image coordinates."""
        row, col = divmod(unit, self._cols)
        return QtCore.QRectF(col * (SIDE + GAP), row * (SIDE + GAP), SIDE, SIDE)

    def tile_widget_pos(self, unit: int) -> QtCore.QPoint:
        """The centre of a unit's tile in the grid widget's coordinates (for clicking it)."""
        scene = self.grid_box.mapViewToScene(self.tile_rect(unit).center())
        return self.grid.mapFromScene(scene)

    def unit_at(self, scene_pos) -> int | None:
        if self.network is None or not self.grid_box.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.grid_box.mapSceneToView(scene_pos)
        col, row = int(p.x() // (SIDE + GAP)), int(p.y() // (SIDE + GAP))
        if p.x() < 0 or p.y() < 0 or col >= self._cols:
            return None
        if p.x() - col * (SIDE + GAP) >= SIDE or p.y() - row * (SIDE + GAP) >= SIDE:
            return None  # in a gap
        unit = row * self._cols + col
        return unit if unit < self.tile_count else None

    # -- internals ------------------------------------------------------------------------

    def _on_click(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        unit = self.unit_at(event.scenePos())
        if unit is not None:
            event.accept()
            self.select_unit(unit)

    def _show_unit(self) -> None:
        net, j = self.network, self.selected_unit
        if net is None or j is None:
            self.unit_image.clear()
            self.outgoing_bars.setOpts(x=[], height=[], width=0.7)
            self._selected_mark.hide()
            self.unit_caption.setText("Click a tile to see the unit large." if net is not None else "")
            return
        weights = np.asarray(net.W1[:, j], np.float64).reshape(SIDE, SIDE)
        peak = float(np.abs(weights).max()) or 1.0
        self.unit_image.setImage(weights, autoLevels=False)
        self.unit_bar.setLevels((-peak, peak))
        self.unit_box.setRange(xRange=(0, SIDE), yRange=(0, SIDE), padding=0)
        out = np.asarray(net.W2[j], np.float64)
        if len(out) == 1:
            names = [f"y_hat ({net.classes[1]})"]
        else:
            names = [str(d) for d in net.classes]
        brushes = [pg.mkBrush("#d62728" if w > 0 else "#1f77b4") for w in out]
        self.outgoing_bars.setOpts(x=np.arange(len(out)), height=out, width=0.7, brushes=brushes)
        self.outgoing.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)], []])
        self.outgoing.setXRange(-0.6 if len(out) > 1 else -1.5, len(out) - 0.4 if len(out) > 1 else 1.5, padding=0)
        low, high = min(out.min(), 0.0), max(out.max(), 0.0)
        self.outgoing.setYRange(low, high, padding=0.08)
        if len(out) == 1:
            votes = f"below, its weight to the output (positive: the unit votes for {net.classes[1]})"
        else:
            votes = "below, its weights to the outputs (positive: the unit votes for that digit)"
        text = f"<b>Hidden unit {j}</b>: incoming weights (|w| ≤ {peak:.3g}), bias {float(net.b1[j]):+.3g}; {votes}"
        if self.activations is not None:
            text += f"<br>activation for the input: {self.activations[j]:.3f}"
        self.unit_caption.setText(text)
        self._selected_mark.setRect(self.tile_rect(j).adjusted(-1, -1, 1, 1))
        self._selected_mark.show()

    def _set_input_activations(self) -> None:
        for item in self._marks:
            self.grid_box.removeItem(item)
        self._marks = []
        if self.network is None or self._input is None:
            self.activations = None
            self.top_units = np.zeros(0, np.int64)
            self._show_ranked()
            self._show_input_caption()
            return
        self.activations = hidden_activations(self.network, self._input)
        shown = self.activations[: self.tile_count]
        self.top_units = top_hidden_units(shown, TOP_K)
        for unit in self.top_units:  # an outline in the gap around the tile: nothing covers the tile
            rect = QtWidgets.QGraphicsRectItem(self.tile_rect(int(unit)).adjusted(-1, -1, 1, 1))
            rect.setPen(pg.mkPen("#00e676", width=2, cosmetic=True))
            rect.setZValue(10)
            self.grid_box.addItem(rect)
            self._marks.append(rect)
        self._show_ranked()
        self._show_input_caption()
        if self.selected_unit is not None:
            self._show_unit()

    def _tile_pixmap(self, unit: int) -> QtGui.QPixmap:
        w = np.asarray(self.network.W1[:, unit], np.float32).reshape(SIDE, SIDE)
        peak = float(np.abs(w).max()) or 1.0
        rgba = np.ascontiguousarray(self._lut[np.clip(((w / peak + 1) * 127.5).astype(np.int32), 0, 255)])
        image = QtGui.QImage(rgba.data, SIDE, SIDE, 4 * SIDE, QtGui.QImage.Format.Format_RGBA8888).copy()
        return QtGui.QPixmap.fromImage(image).scaled(
            self.RANK_TILE, self.RANK_TILE, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio
        )

    def _show_ranked(self) -> None:
        """The ranked units as tiles of their own, rank and unit under each (click: select it)."""
        for rank, button in enumerate(self.rank_buttons):
            if rank < len(self.top_units):
                unit = int(self.top_units[rank])
                button.setIcon(QtGui.QIcon(self._tile_pixmap(unit)))
                button.setText(f"{rank + 1}: {unit}")
                button.setToolTip(f"rank {rank + 1}: hidden unit {unit}, activation {self.activations[unit]:.3f}")
                button.setAccessibleName(f"Rank {rank + 1}: hidden unit {unit}")
                button.show()
            else:
                button.hide()

    def _rank_clicked(self, rank: int) -> None:
        if rank < len(self.top_units):
            self.select_unit(int(self.top_units[rank]))

    def _show_input_caption(self) -> None:
        if self.network is None or self._input is None:
            self.input_caption.setText(
                "Draw a digit or select an image in the browser to see which hidden units it activates most."
            )
            return
        acts = self.activations
        self.input_caption.setText(
            f"The {len(self.top_units)} hidden units that {self._input_source} activates most "
            f"(outlined in green in the grid), by rank: unit number under each. Mean activation {acts.mean():.2f}."
        )
