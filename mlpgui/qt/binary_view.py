"""Binary tasks: where y_hat falls for each true digit, the ROC curve, and the decision threshold.

The single sigmoid output y_hat is P(second digit). The histogram shows its
distribution for each true digit with the threshold as a draggable line;
the slider and spin box move the same threshold (default 0.5, as the
homework) and `thresholdChanged` tells the panel to recount the 2x2 matrix,
the metrics and the browser. The ROC curve marks the current threshold.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ..core.metrics import Evaluation, rates

STEPS = 1000  # slider resolution: threshold in steps of 0.001
BINS = 50
COLOURS = ("#4c9be8", "#f28e2b")  # first digit, second digit


class BinaryView(QtWidgets.QWidget):
    thresholdChanged = QtCore.Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.evaluation: Evaluation | None = None
        self._threshold = 0.5
        self._proba_shown = None

        self.histogram = pg.PlotWidget()
        self.histogram.setMenuEnabled(False)
        self.histogram.setLabel("bottom", "y_hat = network output")
        self.histogram.setLabel("left", "images")
        self.histogram.addLegend(offset=(-10, 10))
        self.histogram.setXRange(0, 1, padding=0.02)
        self.histogram.setMouseEnabled(x=False, y=False)
        self.histogram.hideButtons()
        self.curves = [
            self.histogram.plot(
                [0, 1],
                [0],
                stepMode="center",
                fillLevel=0,
                pen=pg.mkPen(c, width=2),
                brush=pg.mkBrush(c + "55"),
                name=" ",
            )
            for c in COLOURS
        ]
        self.line = pg.InfiniteLine(
            0.5,
            angle=90,
            movable=True,
            bounds=(0, 1),
            pen=pg.mkPen("#e8e8e8", width=2, style=QtCore.Qt.PenStyle.DashLine),
            hoverPen=pg.mkPen("#ff3b30", width=3),
        )
        self.line.setToolTip("Drag to move the decision threshold")
        self.histogram.addItem(self.line)

        self.roc = pg.PlotWidget()
        self.roc.setMenuEnabled(False)
        self.roc.setMouseEnabled(x=False, y=False)
        self.roc.hideButtons()
        self.roc.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.03)
        self.roc.setLabel("bottom", "false positive rate")
        self.roc.setLabel("left", "true positive rate")
        self.roc.plot([0, 1], [0, 1], pen=pg.mkPen("#888888", style=QtCore.Qt.PenStyle.DotLine))
        self.roc_curve = self.roc.plot([], [], pen=pg.mkPen("#f28e2b", width=2))
        self.roc_point = self.roc.plot(
            [], [], pen=None, symbol="o", symbolSize=10, symbolBrush="#ff3b30", symbolPen="w"
        )

        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, STEPS)
        self.slider.setValue(STEPS // 2)
        self.spin = QtWidgets.QDoubleSpinBox()
        self.spin.setRange(0.0, 1.0)
        self.spin.setDecimals(3)
        self.spin.setSingleStep(0.01)
        self.spin.setValue(0.5)
        self.reset_button = QtWidgets.QPushButton("0.5")
        self.reset_button.setToolTip("Back to the homework's threshold")
        self.rates = QtWidgets.QLabel()
        self.rates.setWordWrap(True)  # a narrow Evaluation page (1024x700) wraps it instead of cutting it

        controls = QtWidgets.QHBoxLayout()
        controls.addWidget(QtWidgets.QLabel("Threshold"))
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.spin)
        controls.addWidget(self.reset_button)
        plots = QtWidgets.QHBoxLayout()
        plots.addWidget(self.histogram, 3)
        plots.addWidget(self.roc, 2)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(plots, 1)
        layout.addLayout(controls)
        layout.addWidget(self.rates)

        self.slider.valueChanged.connect(lambda v: self.set_threshold(v / STEPS))
        self.spin.valueChanged.connect(self.set_threshold)
        self.line.sigPositionChanged.connect(lambda line: self.set_threshold(line.value()))
        self.reset_button.clicked.connect(lambda: self.set_threshold(0.5))

    @property
    def threshold(self) -> float:
        return self._threshold

    def set_threshold(self, threshold: float) -> None:
        """Move every control to `threshold` and emit thresholdChanged once if it changed."""
        threshold = float(min(max(threshold, 0.0), 1.0))
        changed = abs(threshold - self._threshold) > 1e-12
        self._threshold = threshold
        for widget, value in ((self.slider, round(threshold * STEPS)), (self.spin, threshold)):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        if abs(self.line.value() - threshold) > 1e-12:
            self.line.blockSignals(True)
            self.line.setValue(threshold)
            self.line.blockSignals(False)
        if changed:
            self.thresholdChanged.emit(threshold)

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        """Redraw for a binary evaluation (its threshold is the one to mark)."""
        self.evaluation = evaluation
        if evaluation is None or not evaluation.is_binary:
            for curve in self.curves:
                curve.setData([0, 1], [0])
            self.roc_curve.setData([], [])
            self.roc_point.setData([], [])
            self.rates.setText("")
            self._proba_shown = None
            return
        ev = evaluation
        if ev.proba is not self._proba_shown:  # a new forward pass: redraw the distributions and ROC
            self._proba_shown = ev.proba
            edges = np.linspace(0, 1, BINS + 1)
            legend = self.histogram.plotItem.legend
            legend.clear()
            for label, curve in enumerate(self.curves):
                counts, _ = np.histogram(ev.proba[ev.labels == label, 1], bins=edges)
                curve.setData(edges, counts)
                legend.addItem(curve, f"true {ev.classes[label]} ({int(np.sum(ev.labels == label)):,})")
            fpr, tpr, _ = ev.roc()
            self.roc_curve.setData(fpr, tpr)
            self.roc.setTitle(f"ROC, AUC = {ev.auc():.4f}")
            self.histogram.setTitle(f"y_hat = P({ev.classes[1]}) by true digit")
        self._threshold = ev.threshold
        self.set_threshold(ev.threshold)
        tpr, fpr = rates(ev.counts)
        self.roc_point.setData([fpr], [tpr])
        a, b = ev.classes
        self.rates.setText(
            f"y_hat ≥ {ev.threshold:.3f} → {b}: true positive rate (recall of {b}) {tpr:.3f}, "
            f"false positive rate ({a}s called {b}) {fpr:.3f}"
        )
