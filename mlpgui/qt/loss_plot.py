"""The live loss plot: training and test loss per epoch, accuracies on a second axis.

One curve per quantity, fed with `setData` (pyqtgraph's scrollingPlots idea);
points arrive per epoch but the curves are redrawn at most 20 times a second,
so runs with very short epochs cannot flood the GUI thread. Runs ticked in
the Runs dock are overlaid as faded training-loss curves, read from the run
store (so they outlive the window); the legend names each by what differed
from the current run ("run 3: lr 0.1"), with its full settings in a tooltip.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from mlpgui.core.config import TrainConfig
from mlpgui.core.training import EpochReport

TRAIN_COLOR = "#1f77b4"
TEST_COLOR = "#e6550d"
OVERLAY_COLORS = ["#7f7f7f", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#e377c2"]
MAX_OVERLAYS = 10  # more faded curves than this are a tangle, not a comparison
# Where the legend may sit, in order of preference: (its point, the plot's point, offset in pixels).
# Right, half-way up first: below the accuracy curves, above the late loss curves.
LEGEND_PLACES = [
    ((1, 0.5), (1, 0.5), (-10, 0)),
    ((1, 0), (1, 0), (-10, 10)),
    ((1, 1), (1, 1), (-10, -10)),
    ((0.5, 0), (0.5, 0), (0, 10)),
    ((0.5, 1), (0.5, 1), (0, -10)),
    ((0, 0.5), (0, 0.5), (10, 0)),
    ((0, 0), (0, 0), (10, 10)),
    ((0, 1), (0, 1), (10, -10)),
]
LEGEND_LABEL_CHARS = 28  # longer overlay labels keep their first difference (the rest is in the tooltip)
REDRAW_MS = 200  # 5 redraws a second look live and keep the GUI thread (and the GIL) mostly free
EMPTY_HINT = "Press Start to train: the loss appears here, epoch by epoch."

# Setting name -> how the legend names it.
FIELD_NAMES = {
    "task": "task",
    "digits": "digits",
    "per_class": "n",
    "hidden": "hidden",
    "epochs": "epochs",
    "lr": "lr",
    "batch_size": "batch",
    "scale": "scale",
    "dtype": "",
    "seed": "seed",
}


def describe_difference(config: TrainConfig, current: TrainConfig) -> str:
    """What `config` had that `current` doesn't, e.g. 'lr 0.5, hidden 64'."""
    return describe_fields(config, [f for f in FIELD_NAMES if getattr(config, f) != getattr(current, f)])


def describe_fields(config: TrainConfig, fields) -> str:
    """`config`'s values of `fields`, named as the legend names them ('same settings' for none)."""
    parts = []
    for field, label in FIELD_NAMES.items():
        value = getattr(config, field)
        if field not in fields or (field == "digits" and config.task != "binary"):
            continue
        if field == "digits":
            value = f"{value[0]}/{value[1]}"
        elif field == "batch_size" and value == 0:
            value = "full"
        elif field == "per_class" and value == 0:
            value = "all"
        elif field == "lr":
            value = f"{value:g}"
        parts.append(f"{label} {value}".strip())
    return ", ".join(parts) if parts else "same settings"


def _mark_lone_points(curve: pg.PlotDataItem) -> None:
    """A curve of fewer than two points draws no line: give it a symbol so the point shows.

    Longer curves go without symbols: scatter items would double the cost of every repaint.
    """
    n = 0 if curve.xData is None else len(curve.xData)
    symbol = "o" if n == 1 else None
    if curve.opts["symbol"] != symbol:
        pen = curve.opts["pen"]
        color = pg.mkPen(pen).color()
        curve.setSymbol(symbol)
        curve.setSymbolBrush(pg.mkBrush(color))
        curve.setSymbolPen(pg.mkPen(color))
        curve.setSymbolSize(7)


class _Legend(pg.LegendItem):
    """pyqtgraph's legend, which knows when the user has dragged it (then it stays where it was put)."""

    dragged = False

    def mouseDragEvent(self, ev) -> None:
        super().mouseDragEvent(ev)
        if ev.isAccepted():
            self.dragged = True


def short_label(number: int, difference: str) -> str:
    """'run 3: lr 0.1': the run and what differed, cut to the first difference when that is long."""
    label = f"run {number}: {difference}"
    if len(label) <= LEGEND_LABEL_CHARS:
        return label
    return f"run {number}: {difference.split(', ')[0]}, …"


class _Overlay:
    """A stored run drawn under the current one: its training loss, faded."""

    def __init__(self, run_id: int, config: TrainConfig, curve: pg.PlotDataItem):
        self.run_id, self.config, self.curve = run_id, config, curve


class LossPlot(QWidget):
    """Loss (left axis) and accuracy in % (right axis) against the epoch."""

    overlaysCleared = Signal()  # the user cleared the overlaid runs (the Runs dock unticks them)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._name = ""  # the current run's name in the store, e.g. "run 12" ("" when not recorded)
        self._config: TrainConfig | None = None
        self._previous: tuple | None = None  # the run shown before the current one, until it has a point
        self._overlays: list[_Overlay] = []
        self._planned = 2  # the epochs the x axis spans at least
        self._clear_data()

        self.plot_widget = pg.PlotWidget(background="w")
        self.plot_item = item = self.plot_widget.getPlotItem()
        item.setLabel("bottom", "epoch")
        item.setLabel("left", "loss")
        item.setMenuEnabled(True)
        for name in ("left", "bottom", "right"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen("#444"))
            axis.setTextPen(pg.mkPen("#222"))
            axis.enableAutoSIPrefix(False)  # a loss of 0.3 reads "0.3", not "300 (x0.001)"

        # Accuracy lives in its own ViewBox, x-linked, drawn against the right axis
        # (pyqtgraph's MultiplePlotAxes example).
        self.accuracy_view = pg.ViewBox()
        item.showAxis("right")
        item.scene().addItem(self.accuracy_view)
        item.getAxis("right").linkToView(self.accuracy_view)
        item.getAxis("right").setLabel("accuracy (%)")
        self.accuracy_view.setXLink(item)
        self.accuracy_view.setYRange(0, 100, padding=0.02)
        self.accuracy_view.setMouseEnabled(x=False, y=False)
        item.vb.sigResized.connect(self._sync_views)
        item.vb.disableAutoRange(axis=pg.ViewBox.YAxis)
        item.vb.setYRange(0, 1, padding=0.02)
        item.vb.sigRangeChangedManually.connect(self._user_moved_view)
        self._manage_y = True

        self.legend = _Legend(labelTextColor="#222", brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#bbb"))
        self.legend.setParentItem(item.vb)
        item.legend = self.legend
        self._legend_place = LEGEND_PLACES[0]
        self.legend.anchor(*self._legend_place)
        self.train_curve = item.plot([], [], pen=pg.mkPen(TRAIN_COLOR, width=2))
        # No point symbols: scatter items would double the cost of every repaint.
        self.test_curve = item.plot([], [], pen=pg.mkPen(TEST_COLOR, width=2))
        self.train_acc_curve = pg.PlotDataItem(pen=pg.mkPen(TRAIN_COLOR, width=1.5, style=Qt.PenStyle.DashLine))
        self.test_acc_curve = pg.PlotDataItem(pen=pg.mkPen(TEST_COLOR, width=1.5, style=Qt.PenStyle.DashLine))
        for curve in (self.train_acc_curve, self.test_acc_curve):
            self.accuracy_view.addItem(curve)
        self._relabel()

        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#999", style=Qt.PenStyle.DotLine))
        self.cursor.setVisible(False)
        item.addItem(self.cursor, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(item.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved)

        self.log_check = QCheckBox("Log scale")
        self.log_check.setToolTip("Show the loss on a logarithmic axis (small late improvements become visible)")
        self.log_check.toggled.connect(self.set_log_scale)
        self.clear_button = QPushButton("Clear overlays")
        self.clear_button.setToolTip("Remove the faded curves of the runs ticked in the Runs dock")
        self.clear_button.clicked.connect(self.clear_overlays)
        self.clear_button.setEnabled(False)
        self.readout = QLabel(EMPTY_HINT)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setMinimumWidth(36)

        self._bar = bar = QHBoxLayout()
        bar.addWidget(self.readout, 1)
        bar.addWidget(self.log_check)
        bar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.plot_widget, 1)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self._redraw)

    # -- feeding it ----------------------------------------------------------------

    def add_header_button(self, action: QAction) -> QToolButton:
        """A button for `action` at the right of the plot's header (e.g. the Runs dock's toggle)."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._bar.addWidget(button)
        return button

    def _clear_data(self) -> None:
        self._epochs: list[int] = []
        self._loss: list[float] = []
        self._train_acc: list[float] = []
        self._test: dict[int, tuple[float, float]] = {}
        self._dirty = False

    def start_run(self, config: TrainConfig, name: str = "") -> None:
        """A new run begins with an empty curve (tick the last one in the Runs dock to keep it in view)."""
        self._redraw()
        if self._config is not None:
            self._previous = (self._config, self._name, (self._epochs, self._loss, self._train_acc, self._test))
        self.cursor.setVisible(False)
        self._manage_y = not self.plot_item.vb.autoRangeEnabled()[1]
        self._config, self._name = config, name
        self._clear_data()
        self._redraw(force=True)
        # The whole run's epochs from the start: the curve grows left to right, and the
        # x axis is not re-laid out at every epoch (the most expensive part of a repaint).
        self._planned = max(config.epochs, 2)
        self._fit_epoch_axis()
        self._relabel()
        self.readout.setText(f"{(name or 'This run').capitalize()}: {config.describe()}")

    def set_run_name(self, name: str) -> None:
        """Name the current run as the run store does ("run 12"), once it is recorded."""
        self._name = name
        self._relabel()
        if self._config is not None and not self._epochs:
            self.readout.setText(f"{name.capitalize()}: {self._config.describe()}")

    def drop_run_if_empty(self, *_args) -> None:
        """A run that ended without an epoch (it diverged at once) leaves no trace: the run shown
        before it, if any, is current again, with its own legend and epoch axis."""
        if self._loss or self._config is None:
            return
        if self._previous is not None:
            self._config, self._name, data = self._previous
            self._epochs, self._loss, self._train_acc, self._test = data
            self.readout.setText(f"{(self._name or 'This run').capitalize()}: {self._config.describe()}")
            self._planned = max(self._config.epochs, len(self._epochs), 2)
        else:
            self._config, self._name = None, ""
            self.readout.setText(EMPTY_HINT)
        self._previous = None
        self._fit_epoch_axis()
        self._relabel()
        self._redraw(force=True)

    def show_planned_epochs(self, epochs: int) -> None:
        """Before any run, lay the epoch axis out for the run the form describes."""
        if self._config is None and not self._loss:
            self._planned = max(epochs, 2)
            self._fit_epoch_axis()

    def _fit_epoch_axis(self) -> None:
        """The planned epochs, or more when an overlaid run went further."""
        longest = max(
            (int(o.curve.xData[-1]) for o in self._overlays if o.curve.xData is not None and len(o.curve.xData)),
            default=0,
        )
        last = max(self._planned, self._epochs[-1] if self._epochs else 0, longest, 2)
        self.plot_item.setXRange(1, last, padding=0.02)

    def add_report(self, report: EpochReport) -> None:
        self._epochs.append(report.epoch)
        self._loss.append(report.loss)
        self._train_acc.append(100.0 * report.train_accuracy)
        if report.test_loss is not None:
            self._test[report.epoch] = (report.test_loss, 100.0 * report.test_accuracy)
        self._schedule()

    def add_test_point(self, epoch: int, test_loss: float, test_accuracy: float) -> None:
        """The test numbers of the final model of a run that ended early."""
        self._test[epoch] = (test_loss, 100.0 * test_accuracy)
        self._schedule()

    def show_history(self, config: TrainConfig, reports: list[EpochReport]) -> None:
        """Show a finished history (an opened model's) as the current run."""
        self.start_run(config)
        for report in reports:
            self.add_report(report)
        self._redraw()

    def _schedule(self) -> None:
        self._dirty = True
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _redraw(self, force: bool = False) -> None:
        if not (self._dirty or force):
            return
        self._dirty = False
        x = np.asarray(self._epochs, float)
        self.train_curve.setData(x, np.asarray(self._loss, float))
        self.train_acc_curve.setData(x, np.asarray(self._train_acc, float))
        test_epochs = sorted(self._test)
        tx = np.asarray(test_epochs, float)
        self.test_curve.setData(tx, np.asarray([self._test[e][0] for e in test_epochs], float))
        self.test_acc_curve.setData(tx, np.asarray([self._test[e][1] for e in test_epochs], float))
        for curve in (self.train_curve, self.test_curve, self.train_acc_curve, self.test_acc_curve):
            _mark_lone_points(curve)
        self._fit_loss_axis()
        self._place_legend()

    def _fit_loss_axis(self) -> None:
        """Keep every loss in view, changing the range rarely (a new range re-lays out the axis,
        the dearest part of a repaint). Off once the user pans, zooms or turns pyqtgraph's auto-range on."""
        vb = self.plot_item.vb
        if not self._manage_y or vb.autoRangeEnabled()[1]:
            return
        values = [v for v in self._loss if v > 0 and math.isfinite(v)]
        values += [t for t, _ in self._test.values() if t > 0 and math.isfinite(t)]
        for run in self._overlays:
            y = run.curve.yData
            if y is not None and len(y):
                values += [float(np.nanmax(y)), float(np.nanmin(y))]
        values = [v for v in values if v > 0 and math.isfinite(v)]
        if not values:
            return
        lo, hi = vb.viewRange()[1]
        if self.log_check.isChecked():
            want_lo, want_hi = math.log10(min(values)), math.log10(max(values))
            if want_lo < lo or want_hi > hi or hi - lo > 2 * (want_hi - want_lo) + 1:
                self._set_loss_range(want_lo - 0.5, want_hi + 0.1)  # room for half a decade of progress
        else:
            top = max(values) * 1.05
            if top > hi or top < 0.7 * hi or lo != 0:
                self._set_loss_range(0.0, top)

    def _set_loss_range(self, lo: float, hi: float) -> None:
        self.plot_item.vb.setYRange(lo, hi, padding=0)

    def _user_moved_view(self, *_args) -> None:
        self._manage_y = False

    # -- overlaid runs ---------------------------------------------------------------------

    def add_overlay(self, run_id: int, config: TrainConfig, reports: list[EpochReport]) -> None:
        """Draw a stored run's training loss, faded, under the current run (again: replaced)."""
        self.remove_overlay(run_id, relabel=False)
        used = {o.curve.opts["pen"].color().name() for o in self._overlays}
        free = [c for c in OVERLAY_COLORS if c not in used] or OVERLAY_COLORS
        color = QColor(free[0])
        color.setAlpha(150)
        curve = self.plot_item.plot(
            np.asarray([r.epoch for r in reports], float),
            np.asarray([r.loss for r in reports], float),
            pen=pg.mkPen(color, width=1.5),
        )
        curve.setZValue(-10)
        _mark_lone_points(curve)
        self._overlays.append(_Overlay(run_id, config, curve))
        while len(self._overlays) > MAX_OVERLAYS:
            self._remove_curve(self._overlays.pop(0))
        self.clear_button.setEnabled(True)
        self._fit_epoch_axis()
        self._relabel()
        self._fit_loss_axis()

    def remove_overlay(self, run_id: int, relabel: bool = True) -> None:
        for overlay in [o for o in self._overlays if o.run_id == run_id]:
            self._overlays.remove(overlay)
            self._remove_curve(overlay)
        self.clear_button.setEnabled(bool(self._overlays))
        if relabel:
            self._relabel()

    def overlay_ids(self) -> list[int]:
        """The overlaid runs' ids, in the order they were ticked."""
        return [o.run_id for o in self._overlays]

    def overlay_data(self, run_id: int) -> tuple[list[int], list[float]]:
        """(epochs, training losses) as drawn for an overlaid run."""
        for o in self._overlays:
            if o.run_id == run_id:
                x, y = o.curve.getOriginalDataset()
                return ([] if x is None else [int(v) for v in x]), ([] if y is None else [float(v) for v in y])
        raise KeyError(run_id)

    def _relabel(self) -> None:
        """The legend, in reading order: this run's curves, then each overlaid run by what differed.

        Labels stay short so the legend fits inside the plot; an overlaid run's full settings are
        in its label's tooltip."""
        self.legend.clear()
        name = f" ({self._name})" if self._overlays and self._name else ""
        self.legend.addItem(self.train_curve, f"training loss{name}")
        self.legend.addItem(self.test_curve, "test loss")
        self.legend.addItem(self.train_acc_curve, "training accuracy %")
        self.legend.addItem(self.test_acc_curve, "test accuracy %")
        # Without a current run, each overlaid run is named by the settings the overlaid runs vary in.
        varying = [f for f in FIELD_NAMES if len({getattr(o.config, f) for o in self._overlays}) > 1]
        for overlay in self._overlays:
            if self._config is not None:
                difference = describe_difference(overlay.config, self._config)
            elif varying:
                difference = describe_fields(overlay.config, varying)
            else:
                difference = overlay.config.describe()
            self.legend.addItem(overlay.curve, short_label(overlay.run_id, difference))
            _sample, label = self.legend.items[-1]
            tip = f"run {overlay.run_id}: {overlay.config.describe()}"
            if self._config is not None:
                tip += f"\n(differs in: {difference})"
            label.setToolTip(tip)
        self._fit_legend()
        self._place_legend()

    def _place_legend(self) -> None:
        """Move the legend to the first corner where it covers none of this run's points (or the fewest),
        unless the user has dragged it somewhere."""
        if self.legend.dragged or not self.legend.items:
            return
        vb = self.plot_item.vb.sceneBoundingRect()
        size = self.legend.sceneBoundingRect().size()
        points = []
        for curve, box in (
            (self.train_curve, self.plot_item.vb),
            (self.test_curve, self.plot_item.vb),
            (self.train_acc_curve, self.accuracy_view),
            (self.test_acc_curve, self.accuracy_view),
        ):
            x, y = curve.getData()
            if x is not None and len(x):
                points.append((box, np.asarray(x, float), np.asarray(y, float)))
        best, fewest = self._legend_place, None
        for place in LEGEND_PLACES:
            (ix, iy), (px, py), (ox, oy) = place
            left = vb.left() + px * vb.width() - ix * size.width() + ox
            top = vb.top() + py * vb.height() - iy * size.height() + oy
            rect = QRectF(left, top, size.width(), size.height())
            covered = 0
            for box, x, y in points:
                corners = box.mapSceneToView(rect).boundingRect()
                inside = (x >= corners.left()) & (x <= corners.right()) & (y >= corners.top()) & (y <= corners.bottom())
                covered += int(np.count_nonzero(inside))
            if fewest is None or covered < fewest:
                best, fewest = place, covered
            if covered == 0:
                break
        if best != self._legend_place:
            self._legend_place = best
            self.legend.anchor(*best)

    def _fit_legend(self) -> None:
        """As many columns as it takes for the legend to fit the plot's height (it can be dragged anywhere)."""
        items = self.legend.items
        if not items:
            return
        row = max(label.boundingRect().height() for _sample, label in items) + 2
        rows = max(1, int((self.plot_item.vb.height() - 24) // max(row, 1)))
        self.legend.setColumnCount(max(1, math.ceil(len(items) / rows)))

    def _remove_curve(self, overlay: _Overlay) -> None:
        self.legend.removeItem(overlay.curve)
        self.plot_item.removeItem(overlay.curve)

    def clear_overlays(self) -> None:
        """Remove every overlaid run (the Runs dock unticks them: `overlaysCleared`)."""
        for overlay in self._overlays:
            self._remove_curve(overlay)
        self._overlays.clear()
        self.clear_button.setEnabled(False)
        self._relabel()
        self.overlaysCleared.emit()

    def earlier_run_labels(self) -> list[str]:
        """The legend text of each overlaid run, in the order they were ticked."""
        labels = {id(sample.item): label.text for sample, label in self.legend.items}
        return [labels.get(id(o.curve), "") for o in self._overlays]

    # -- reading it ---------------------------------------------------------------------

    def loss_values(self) -> list[float]:
        """The current run's training loss as plotted, one value per epoch."""
        self._redraw()
        y = self.train_curve.yData
        return [] if y is None else [float(v) for v in y]

    def test_loss_values(self) -> list[tuple[int, float]]:
        self._redraw()
        x, y = self.test_curve.xData, self.test_curve.yData
        return [] if y is None else [(int(e), float(v)) for e, v in zip(x, y, strict=True)]

    def epoch_text(self, epoch: int) -> str:
        """What hovering over `epoch` shows."""
        i = epoch - self._epochs[0] if self._epochs else -1  # epochs are consecutive within a run
        if not 0 <= i < len(self._epochs) or self._epochs[i] != epoch:
            return ""
        text = f"epoch {epoch}: training loss {self._loss[i]:.4g}, accuracy {self._train_acc[i]:.1f}%"
        if epoch in self._test:
            test_loss, test_acc = self._test[epoch]
            text += f"  ·  test loss {test_loss:.4g}, accuracy {test_acc:.1f}%"
        return text

    def set_log_scale(self, on: bool) -> None:
        self.log_check.setChecked(on)
        self.plot_item.setLogMode(y=on)
        # Only the loss goes logarithmic: the accuracy axis keeps reading 0-100 %.
        self.plot_item.getAxis("right").setLogMode(False, False)
        self._manage_y = not self.plot_item.vb.autoRangeEnabled()[1]
        self._fit_loss_axis()

    def export_png(self, path: str) -> bool:
        return self.plot_widget.grab().save(str(path), "PNG")

    # -- internals ------------------------------------------------------------------------

    def _sync_views(self) -> None:
        self._fit_legend()
        self._place_legend()
        self.accuracy_view.setGeometry(self.plot_item.vb.sceneBoundingRect())
        self.accuracy_view.linkedViewChanged(self.plot_item.vb, self.accuracy_view.XAxis)

    def _mouse_moved(self, event) -> None:
        pos = event[0]
        if not self._epochs or not self.plot_item.vb.sceneBoundingRect().contains(pos):
            self.cursor.setVisible(False)
            return
        x = self.plot_item.vb.mapSceneToView(pos).x()
        if not math.isfinite(x):
            return
        epoch = min(max(round(x), self._epochs[0]), self._epochs[-1])
        self.cursor.setPos(epoch)
        self.cursor.setVisible(True)
        self.readout.setText(self.epoch_text(epoch))
