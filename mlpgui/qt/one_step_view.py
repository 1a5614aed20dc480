"""One sample, one step: the forward pass, the backward pass and one gradient-descent step, for one image.

For the image selected in the evaluation browser, `OneStepView` lists what
`mlpgui.core.explain.one_step` computes with the same compiled kernels that
train: each stage in the course's notation (x, z1 = x W1 + b1, a1, z2,
y_hat, the loss L, then delta2, dW2, delta1, dW1 ...) with its shape, its
first values, its range and its size (Euclidean norm); the gradients'
norms; and what one step W <- W - lr dL/dW at the Experiment form's
learning rate would do to this image's loss, predicted to first order
(-lr |grad|^2) and measured after a real step on a copy of the weights.

Nothing is computed while the view is hidden; it catches up when shown.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.explain import OneStep, Stage, one_step
from ..core.network import Network
from .qimages import scaled_gray_qimage

COLUMNS = ("stage", "shape", "size ‖·‖", "range", "first values")
NORM_COLUMN = 2
THUMB = 84


def number(value: float, digits: int = 4) -> str:
    """A value in `digits` significant digits with a real minus sign."""
    return f"{value:.{digits}g}".replace("-", "−")


def shape_text(shape: tuple[int, ...]) -> str:
    return "scalar" if not shape else " × ".join(str(n) for n in shape)


class OneStepView(QtWidgets.QWidget):
    """The stages of one sample's forward and backward pass, and one step's effect on its loss."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.network: Network | None = None
        self.image: np.ndarray | None = None
        self.label: int | None = None
        self.source = ""
        self.lr: float | None = None
        self.result: OneStep | None = None
        self._error = ""
        self._stale = True

        self.thumb = QtWidgets.QLabel()
        self.thumb.setFixedSize(THUMB, THUMB)
        self.thumb.setStyleSheet("background: black;")
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(QtCore.Qt.TextFormat.RichText)

        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.norms = QtWidgets.QLabel()
        self.norms.setWordWrap(True)
        self.norms.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.step = QtWidgets.QLabel()
        self.step.setWordWrap(True)
        self.step.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.step.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        text = QtWidgets.QVBoxLayout()
        text.addWidget(self.caption)
        text.addWidget(self.step)
        text.addWidget(self.norms)
        text.addStretch(1)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(self.thumb, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        head.addLayout(text, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)
        self._show()

    # -- public -------------------------------------------------------------------------

    def set_network(self, network: Network | None) -> None:
        self.network = network
        self._changed()

    def set_sample(self, image: np.ndarray | None, label: int | None, source: str = "") -> None:
        """The (28, 28) uint8 image, its true digit and where it comes from (e.g. 'test image #12')."""
        self.image = None if image is None else np.array(image, np.uint8)
        self.label = None if label is None else int(label)
        self.source = source
        self._changed()

    def set_learning_rate(self, lr: float | None) -> None:
        """The step's learning rate (the Experiment form's; None while the form's is not valid)."""
        self.lr = None if lr is None else float(lr)
        self._changed()

    def refresh(self) -> None:
        """Compute now, visible or not."""
        self._stale = False
        self.result = None
        self._error = ""
        if self.network is not None and self.image is not None and self.label is not None and self.lr is not None:
            try:
                self.result = one_step(self.network, self.image, self.label, self.lr)
            except ValueError as e:  # e.g. a model that doesn't know this digit
                self._error = str(e)
        self._show()

    # -- internals ------------------------------------------------------------------------

    def _changed(self) -> None:
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _show(self) -> None:
        r = self.result
        if self.image is None:
            self.thumb.clear()
        else:
            self.thumb.setPixmap(QtGui.QPixmap.fromImage(scaled_gray_qimage(self.image, THUMB)))
        if r is None:
            self.table.setRowCount(0)
            self.norms.setText("")
            self.step.setText("")
            if self.network is None:
                why = "Train or open a model first."
            elif self.image is None:
                why = "Select an image in the browser (Confusion matrix &amp; images) to follow it through the network."
            elif self.lr is None:
                why = "Enter a valid learning rate in the Experiment form: it sets the size of the step."
            else:
                why = self._error
            self.caption.setText(f"<b>One sample, one step.</b> {why}")
            return
        self.caption.setText(
            f"<b>One sample, one step</b>: {self.source or 'this image'}, true digit <b>{r.label}</b>, "
            f"learning rate lr = <b>{self.lr:g}</b> (the Experiment form's). Below: the forward pass to the "
            "loss L, then the backward pass (hover a row for what it is)."
        )
        self._fill_table(r)
        n = r.grad_norms
        self.norms.setText(
            "Gradient sizes: "
            + ", ".join(f"‖d{k}‖ = {number(n[k])}" for k in ("W1", "b1", "W2", "b2"))
            + f"; all together ‖∇L‖ = <b>{number(n['all'])}</b>."
        )
        self.step.setText(
            f"One gradient-descent step on this image alone, W ← W − lr · dW for W1, b1, W2, b2, "
            f"would take its loss from L = <b>{number(r.loss)}</b> to <b>{number(r.loss_after)}</b>: "
            f"a change of <b>{number(r.actual_change)}</b>, where the first-order prediction "
            f"−lr · ‖∇L‖² says <b>{number(r.predicted_change)}</b>."
            + (
                ""
                if abs(r.actual_change - r.predicted_change) <= 0.1 * abs(r.predicted_change)
                else " <span style='color:gray'>They differ by more than 10%: the loss curves within a step "
                "this large.</span>"
            )
        )

    def _fill_table(self, r: OneStep) -> None:
        rows: list[Stage | str] = ["Forward pass", *r.forward, "Backward pass", *r.backward]
        self.table.clearSpans()
        self.table.setRowCount(len(rows))
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        bold = QtGui.QFont(self.font())
        bold.setBold(True)
        for row, stage in enumerate(rows):
            if isinstance(stage, str):
                item = QtWidgets.QTableWidgetItem(stage)
                item.setFont(bold)
                self.table.setItem(row, 0, item)
                for col in range(1, len(COLUMNS)):
                    self.table.setItem(row, col, QtWidgets.QTableWidgetItem(""))
                self.table.setSpan(row, 0, 1, len(COLUMNS))
                continue
            values = stage.values.ravel()
            preview = ", ".join(number(v, 3) for v in stage.values_preview)
            if values.size > len(stage.values_preview):
                preview += ", …"
            cells = (
                stage.symbol,
                shape_text(stage.shape),
                number(stage.norm),
                f"{number(values.min())} … {number(values.max())}" if values.size > 1 else "",
                preview,
            )
            for col, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setToolTip(f"{stage.symbol}: {stage.name}\nfirst values: {preview}")
                item.setFont(mono)
                self.table.setItem(row, col, item)

    def stage_rows(self) -> list[tuple[str, str, str]]:
        """(symbol, shape, norm) as shown, one per stage (section titles left out)."""
        out = []
        for row in range(self.table.rowCount()):
            if self.table.columnSpan(row, 0) > 1:
                continue
            out.append(tuple(self.table.item(row, col).text() for col in (0, 1, NORM_COLUMN)))
        return out
