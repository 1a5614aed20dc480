"""A sweep's result: final test accuracy (or loss) against the swept settings.

One swept setting gives a line over its values; two give a heatmap, one cell
per pair, its value written in it. The values sit at even steps (a learning
rate grid like 0.01, 0.03, 0.1, 0.3 is on a log scale, so evenly spaced is how
it was chosen), labelled with the values themselves. Clicking a point or cell
emits `runPicked` with that run's id; grid points not trained yet (or that
ended without a test measurement) are drawn grey and empty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mlpgui.core.runstore import RunRecord

METRICS = {
    "test accuracy": ("final_test_accuracy", "test accuracy (%)", 100.0),
    "test loss": ("final_test_loss", "test loss", 1.0),
    "training loss": ("final_loss", "training loss", 1.0),
}
LINE_COLOR = "#1f77b4"
EMPTY_CELL = (215, 215, 215, 255)
PICK_PIXELS = 14  # a click this close to a point picks it


# The settings a sweep can vary, as the window names them.
FIELD_LABELS = {
    "lr": "learning rate",
    "hidden": "hidden units",
    "epochs": "epochs",
    "batch_size": "batch size",
    "per_class": "images per class",
    "seed": "seed",
    "scale": "input scale",
    "dtype": "precision",
}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


@dataclass(frozen=True)
class GridPoint:
    position: tuple[int, ...]  # index of the value on each axis
    run_id: int | None
    value: float | None  # the chosen metric (None: not measured)


def value_text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class SweepPlot(QWidget):
    """The plot, and a choice of what it shows."""

    runPicked = Signal(int)  # run id of the clicked point or cell

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._axes: dict[str, list] = {}
        self._records: list[RunRecord] = []
        self._points: list[GridPoint] = []
        self._texts: list[pg.TextItem] = []

        self.metric_combo = QComboBox()
        self.metric_combo.addItems(list(METRICS))
        self.metric_combo.setToolTip("What the plot shows for each run")
        self.metric_combo.currentTextChanged.connect(lambda _text: self._draw())
        self.hint = QLabel("Click a point to open that run.")
        self.hint.setStyleSheet("color: #555;")
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.vb.setMouseEnabled(x=False, y=False)
        self.plot_item.vb.disableAutoRange()  # each drawing sets the range the grid needs
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(pg.mkPen("#444"))
            axis.setTextPen(pg.mkPen("#222"))
            axis.enableAutoSIPrefix(False)
        self.curve = pg.PlotDataItem(
            pen=pg.mkPen(LINE_COLOR, width=2),
            symbol="o",
            symbolSize=10,
            symbolBrush=pg.mkBrush(LINE_COLOR),
            symbolPen=pg.mkPen("w"),
        )
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot_item.addItem(self.image)
        self.plot_item.addItem(self.curve)
        self.plot_widget.scene().sigMouseClicked.connect(self._clicked)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:"))
        bar.addWidget(self.metric_combo)
        bar.addStretch(1)
        bar.addWidget(self.hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.plot_widget, 1)

    # -- feeding it -----------------------------------------------------------------------------

    def set_results(self, axes: dict[str, list], records: list[RunRecord]) -> None:
        """Show the grid of `axes` (field -> values, one or two), filled from the sweep's `records`."""
        if not 1 <= len(axes) <= 2:
            raise ValueError("a sweep plot shows one or two swept settings")
        self._axes = {name: list(values) for name, values in axes.items()}
        self._records = list(records)
        self._draw()

    def _draw(self) -> None:
        if not self._axes:
            return
        key, label, scale = METRICS[self.metric_combo.currentText()]
        names = list(self._axes)
        by_values = {}
        for r in sorted(self._records, key=lambda r: r.id):  # a grid point run twice shows its last run
            by_values[tuple(getattr(r.config, n) for n in names)] = r
        self._points = []
        for position in np.ndindex(*(len(self._axes[n]) for n in names)):
            values = tuple(self._axes[n][i] for n, i in zip(names, position, strict=True))
            record = by_values.get(values)
            raw = getattr(record, key) if record is not None else None
            value = None if raw is None or not math.isfinite(raw) else raw * scale
            self._points.append(GridPoint(tuple(int(i) for i in position), record.id if record else None, value))
        for text in self._texts:
            self.plot_item.removeItem(text)
        self._texts = []
        if len(names) == 1:
            self._draw_line(names[0], label)
        else:
            self._draw_heatmap(names, label)

    def _draw_line(self, name: str, label: str) -> None:
        self.image.setVisible(False)
        self.curve.setVisible(True)
        values = self._axes[name]
        x = np.arange(len(values), dtype=float)
        y = np.array([np.nan if p.value is None else p.value for p in self._points], float)
        measured = np.isfinite(y)
        self.curve.setData(x[measured], y[measured])
        self._set_ticks("bottom", values)
        self.plot_item.getAxis("left").setTicks(None)
        self.plot_item.setLabel("bottom", field_label(name))
        self.plot_item.setLabel("left", label)
        self.plot_item.vb.setXRange(-0.5, len(values) - 0.5, padding=0.05)
        finite = y[np.isfinite(y)]
        if len(finite):
            lo, hi = float(finite.min()), float(finite.max())
            pad = max((hi - lo) * 0.15, abs(hi) * 0.01, 1e-6)
            self.plot_item.vb.setYRange(lo - pad, hi + pad, padding=0)
        for p, xi, yi in zip(self._points, x, y, strict=True):
            if p.value is not None:
                self._label(xi, yi, self._format(p.value), anchor=(0.5, 1.3), color="#222")

    def _draw_heatmap(self, names: list[str], label: str) -> None:
        self.curve.setVisible(False)
        self.image.setVisible(True)
        nx, ny = len(self._axes[names[0]]), len(self._axes[names[1]])
        grid = np.full((nx, ny), np.nan)
        for p in self._points:
            if p.value is not None:
                grid[p.position] = p.value
        rgba = np.empty((nx, ny, 4), np.ubyte)
        rgba[:] = EMPTY_CELL
        finite = np.isfinite(grid)
        if finite.any():
            lo, hi = float(grid[finite].min()), float(grid[finite].max())
            share = (grid[finite] - lo) / (hi - lo) if hi > lo else np.full(int(finite.sum()), 0.5)
            if "loss" in label:  # the better cells are the bright ones either way
                share = 1 - share
            rgba[finite] = pg.colormap.get("viridis").map(share, mode="byte")
        # Indexed [x, y] above; an image is rows (y) of columns (x).
        self.image.setImage(np.ascontiguousarray(rgba.transpose(1, 0, 2)), autoLevels=False)
        self.image.setRect(QRectF(-0.5, -0.5, nx, ny))
        for p in self._points:
            if p.value is not None:
                r, g, b, _a = rgba[p.position]
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 140
                self._label(p.position[0], p.position[1], self._format(p.value), (0.5, 0.5), "w" if dark else "#111")
        self._set_ticks("bottom", self._axes[names[0]])
        self._set_ticks("left", self._axes[names[1]])
        self.plot_item.setLabel("bottom", field_label(names[0]))
        self.plot_item.setLabel("left", f"{field_label(names[1])}   (cells: {label})")
        self.plot_item.vb.setRange(QRectF(-0.5, -0.5, nx, ny), padding=0.02)

    def _format(self, value: float) -> str:
        return f"{value:.2f}%" if self.metric_combo.currentText() == "test accuracy" else f"{value:.4g}"

    def _label(self, x, y, text, anchor, color) -> None:
        item = pg.TextItem(text, color=color, anchor=anchor)
        item.setPos(float(x), float(y))
        self.plot_item.addItem(item, ignoreBounds=True)
        self._texts.append(item)

    def _set_ticks(self, axis: str, values: list) -> None:
        self.plot_item.getAxis(axis).setTicks([[(float(i), value_text(v)) for i, v in enumerate(values)]])

    # -- reading it and clicking it ------------------------------------------------------------

    def points(self) -> list[GridPoint]:
        """Every grid point as drawn (value None: drawn empty)."""
        return list(self._points)

    def heatmap_shape(self) -> tuple[int, int] | None:
        """(columns, rows) of the heatmap, or None when the plot is a line."""
        if len(self._axes) != 2 or self.image.image is None:
            return None
        rows, columns = self.image.image.shape[:2]
        return columns, rows

    def cell_colour(self, x: int, y: int) -> tuple[int, int, int]:
        """The colour the heatmap paints at column `x`, row `y` (as the screen shows it)."""
        return tuple(int(c) for c in self.image.image[y, x, :3])

    def point_position(self, run_id: int) -> tuple[float, float]:
        """Where a run's point (or cell centre) is drawn, in the plot's coordinates."""
        for p in self._points:
            if p.run_id == run_id:
                if len(p.position) == 2:
                    return float(p.position[0]), float(p.position[1])
                return float(p.position[0]), float(p.value if p.value is not None else 0.0)
        raise KeyError(run_id)

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.plot_item.vb
        pos = event.scenePos()
        if not vb.sceneBoundingRect().contains(pos):
            return
        run_id = self._pick(vb.mapSceneToView(pos), pos)
        if run_id is not None:
            self.runPicked.emit(run_id)

    def _pick(self, at, scene_pos) -> int | None:
        if len(self._axes) == 2:
            cell = (round(at.x()), round(at.y()))
            return next((p.run_id for p in self._points if p.position == cell), None)
        best, nearest = None, PICK_PIXELS
        for p in self._points:
            if p.value is None or p.run_id is None:
                continue
            where = self.plot_item.vb.mapViewToScene(pg.Point(float(p.position[0]), p.value))
            distance = math.hypot(where.x() - scene_pos.x(), where.y() - scene_pos.y())
            if distance <= nearest:
                best, nearest = p.run_id, distance
        return best
