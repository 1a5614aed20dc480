"""I'm not sure: how accuracy on the accepted images grows as the model rejects more of them.

A reject threshold t turns every guess whose confidence (its class's
probability) is below t into "not sure". `RejectView` plots what
`mlpgui.core.reject.reject_curve` computes over all thresholds for the
evaluated set: the accuracy on the accepted images against the share
rejected, and marks the threshold set under the draw pad.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ..core.metrics import Evaluation
from ..core.reject import RejectCurve, reject_curve


class RejectView(QtWidgets.QWidget):
    """Accuracy on accepted images (%) against the share rejected (%), the current threshold marked."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.evaluation: Evaluation | None = None
        self.curve: RejectCurve | None = None
        self.point: RejectCurve | None = None  # the curve at the current threshold alone
        self.threshold = 0.0

        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(220)
        self.plot.setMaximumHeight(340)  # a small plot: the page is as tall as the tallest tab
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "images rejected as “not sure” (%)")
        self.plot.setLabel("left", "accuracy on the accepted images (%)")
        for side in ("left", "bottom"):
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.line = self.plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2))
        self.marker = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("#d62728"), pen=pg.mkPen("w", width=1))
        self.plot.addItem(self.marker)
        self.marker_label = pg.TextItem("", color="#d62728", anchor=(0, 1))
        self.plot.addItem(self.marker_label)
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(QtCore.Qt.TextFormat.RichText)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot, 1)
        layout.addStretch(0)
        self._show()

    # -- public -------------------------------------------------------------------------

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        self.evaluation = evaluation
        self.curve = None
        if evaluation is not None:
            self.curve = reject_curve(evaluation.proba, evaluation.labels, evaluation.classes)
        self._measure_point()
        self._show()

    def set_threshold(self, threshold: float) -> None:
        """The draw pad's reject threshold (0: off)."""
        self.threshold = float(threshold)
        self._measure_point()
        self._show()

    def plotted(self) -> tuple[np.ndarray, np.ndarray]:
        """(share rejected %, accuracy on accepted %) as drawn."""
        x, y = self.line.getData()
        return (np.zeros(0), np.zeros(0)) if x is None else (np.asarray(x), np.asarray(y))

    # -- internals ------------------------------------------------------------------------

    def _measure_point(self) -> None:
        ev = self.evaluation
        self.point = None
        if ev is not None:
            self.point = reject_curve(ev.proba, ev.labels, ev.classes, thresholds=np.array([self.threshold]))

    def _show(self) -> None:
        c, ev = self.curve, self.evaluation
        if c is None or ev is None:
            self.line.setData([], [])
            self.marker.setData([], [])
            self.marker_label.setText("")
            self.caption.setText("Train or open a model to see how sure it is.")
            return
        keep = np.isfinite(c.accuracy_on_accepted)  # rejecting everything leaves no accuracy to plot
        x = 100.0 * (1.0 - np.asarray(c.accepted_share, np.float64))[keep]
        y = 100.0 * np.asarray(c.accuracy_on_accepted, np.float64)[keep]
        self.line.setData(x, y)
        which = ev.images_name
        text = (
            f"<b>I'm not sure.</b> A model may refuse to answer when its confidence (the guessed digit's "
            f"probability) is below a threshold. The curve shows, over all thresholds, the accuracy on the "
            f"{which} images it still answers against the share it rejects."
        )
        p = self.point
        if self.threshold <= 0 or p is None:
            self.marker.setData([], [])
            self.marker_label.setText("")
            text += " Set a threshold under the draw pad (“Not sure below”) to mark it here."
        else:
            share = 100.0 * (1.0 - float(p.accepted_share[0]))
            acc = float(p.accuracy_on_accepted[0])
            if np.isfinite(acc):
                self.marker.setData([share], [100.0 * acc])
                self.marker_label.setText(f"{100 * self.threshold:.0f}%")
                self.marker_label.setPos(share, 100.0 * acc)
                text += (
                    f" At your threshold of <b>{100 * self.threshold:.0f}%</b>: {share:.1f}% rejected, "
                    f"accuracy <b>{100 * acc:.2f}%</b> on the rest (all images: {100 * ev.accuracy:.2f}%)."
                )
            else:
                self.marker.setData([], [])
                self.marker_label.setText("")
                text += f" At your threshold of {100 * self.threshold:.0f}% every image is rejected."
        self.caption.setText(text)
        top = float(np.nanmax(y)) if y.size else 100.0
        self.plot.setYRange(min(float(np.nanmin(y)) if y.size else 0.0, 100.0 * ev.accuracy), max(top, 100.0))
        self.plot.setXRange(0, 100, padding=0.02)
