"""Why this guess? A saliency overlay, the hidden units that carried the guess, and their sum.

`ExplainView` shows, for one 28x28 image and one class, what
`mlpgui.core.explain` computes: the gradient of the class's probability (or
logit) with respect to each pixel as a diverging overlay on the faint digit
(red: more ink here raises it, blue: lowers it; one symmetric scale, so equal
colours mean equal effects), the hidden units whose contribution
(activation x outgoing weight) to the class's logit is largest, each with
its incoming-weight map, and the line that adds them all up to the logit.

The class switch asks "what would make this a 7?"; it stays on the chosen
digit as the image changes, so the overlay follows a drawing live. The view
computes nothing itself: a refresh is one `saliency` and one `contributions`
call (each well under 5 ms for 256 hidden units), made only while the view
is active (`set_active`), so a collapsed panel costs nothing.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.confidence import a_digit
from ..core.explain import Contributions, Saliency, contributions, saliency
from ..core.network import Network

SIDE = 28
TOP_UNITS = 8
RED = np.array([214, 39, 40], np.float64)  # more ink raises the class's score (as in Inside the network)
BLUE = np.array([31, 119, 180], np.float64)  # more ink lowers it
DIGIT_SHADE = 0.28  # how dark the digit's full ink is drawn under the colours (0: invisible, 1: black)
GUESS = None  # the class switch's "explain the guess" entry


def rgb_qimage(rgb: np.ndarray) -> QtGui.QImage:
    """A uint8 (h, w, 3) array as an RGB888 QImage holding its own copy of the pixels."""
    data = np.ascontiguousarray(rgb, np.uint8)
    h, w, _ = data.shape
    return QtGui.QImage(data.data, w, h, data.strides[0], QtGui.QImage.Format.Format_RGB888).copy()


def saliency_rgb(grad: np.ndarray, image: np.ndarray, peak: float) -> np.ndarray:
    """(28, 28, 3) uint8: red where grad > 0, blue where < 0, opacity |grad| / peak, over the faint digit.

    `image` is the digit's pixel values 0..255 (bright = ink), drawn as light
    gray strokes on white so the colours stay readable on top of it.
    """
    paper = 255.0 - DIGIT_SHADE * np.clip(np.asarray(image, np.float64), 0, 255)
    base = np.repeat(paper[..., None], 3, axis=2)
    g = np.asarray(grad, np.float64)
    alpha = np.clip(np.abs(g) / peak, 0.0, 1.0)[..., None] if peak > 0 else np.zeros((*g.shape, 1))
    colour = np.where((g > 0)[..., None], RED, BLUE)
    return np.rint(base * (1.0 - alpha) + colour * alpha).astype(np.uint8)


def weight_map_rgb(weights: np.ndarray) -> np.ndarray:
    """(28, 28, 3) uint8 of a unit's 784 incoming weights: red positive, blue negative, white 0, own scale."""
    w = np.asarray(weights, np.float64).reshape(SIDE, SIDE)
    peak = float(np.abs(w).max())
    alpha = np.clip(np.abs(w) / peak, 0, 1)[..., None] if peak > 0 else np.zeros((SIDE, SIDE, 1))
    colour = np.where((w > 0)[..., None], RED, BLUE)
    return np.rint(255.0 * (1.0 - alpha) + colour * alpha).astype(np.uint8)


def signed(value: float, digits: int = 3) -> str:
    """'+1.23' / '−0.456' with a real minus sign, `digits` significant digits."""
    text = f"{abs(value):.{digits}g}"
    return ("−" if value < 0 else "+") + text


class SaliencyOverlay(QtWidgets.QWidget):
    """The saliency of one image as a crisp enlarged 28x28 picture (see `saliency_rgb`)."""

    def __init__(self, side: int = 112, parent=None):
        super().__init__(parent)
        self.setFixedSize(side, side)
        self._grad: np.ndarray | None = None
        self._peak = 0.0
        self._rgb: np.ndarray | None = None
        self._image: QtGui.QImage | None = None

    def set_saliency(self, grad: np.ndarray | None, image: np.ndarray | None = None) -> None:
        if grad is None:
            self._grad, self._rgb, self._image, self._peak = None, None, None, 0.0
        else:
            self._grad = np.array(grad, np.float64)
            self._peak = float(np.abs(self._grad).max())
            self._rgb = saliency_rgb(self._grad, image if image is not None else np.zeros((SIDE, SIDE)), self._peak)
            self._image = rgb_qimage(self._rgb)
        self.update()

    def values(self) -> np.ndarray | None:
        """The gradient shown (28, 28), or None."""
        return None if self._grad is None else self._grad.copy()

    def peak(self) -> float:
        """The colour scale runs from -peak (full blue) to +peak (full red)."""
        return self._peak

    def rgb(self) -> np.ndarray | None:
        """The (28, 28, 3) colours shown, one per input pixel."""
        return None if self._rgb is None else self._rgb.copy()

    def paintEvent(self, event) -> None:
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, False)
        side = min(self.width(), self.height())
        side -= side % SIDE  # whole screen pixels per input pixel: crisp
        rect = QtCore.QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side)
        if self._image is None:
            painter.fillRect(rect, self.palette().color(QtGui.QPalette.ColorRole.Base))
        else:
            painter.drawImage(rect, self._image)
        painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.Mid))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        painter.end()


class UnitTile(QtWidgets.QToolButton):
    """One hidden unit: its incoming-weight map, with its contribution to the class's logit under it."""

    def __init__(self, tile: int, parent=None):
        super().__init__(parent)
        self.unit: int | None = None
        self.contribution = 0.0
        self.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.setIconSize(QtCore.QSize(tile, tile))
        self.setAutoRaise(True)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        font = QtGui.QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        self.setFont(font)
        # as narrow as its icon or its number: eight fit side by side in the draw dock; never squeezed
        metrics = QtGui.QFontMetrics(font)
        self.setFixedSize(max(tile, metrics.horizontalAdvance("−0.00")) + 4, tile + metrics.height() + 8)

    def show_unit(self, unit: int, weights: np.ndarray, contribution: float, tip: str) -> None:
        self.unit, self.contribution = int(unit), float(contribution)
        size = self.iconSize().width()
        picture = rgb_qimage(weight_map_rgb(weights)).scaled(
            size, size, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio, QtCore.Qt.TransformationMode.FastTransformation
        )
        self.setIcon(QtGui.QIcon(QtGui.QPixmap.fromImage(picture)))
        self.setText(signed(contribution, 2))
        colour = "#b51f1f" if contribution > 0 else "#1f5f9a"
        self.setStyleSheet(f"QToolButton {{ color: {colour}; padding: 0px; }}")
        self.setToolTip(tip)
        self.setAccessibleName(f"hidden unit {unit}")


class ExplainView(QtWidgets.QWidget):
    """Saliency overlay, class switch, the top hidden units and the sum line for one image.

    The host places `overlay` (e.g. where it shows the image itself: the
    overlay has the digit underneath); the rest is this widget's layout.
    The class switch and the probability/logit switch share one line, after
    the word "Explain" when `labelled` (the switches' tooltips say it too).
    Its minimum width fits the draw dock's (about 280 pixels).
    `unitClicked(int)` asks the window to show that hidden unit in "Inside the network".
    """

    unitClicked = QtCore.Signal(int)

    def __init__(
        self,
        overlay_side: int = 116,
        units_per_row: int = TOP_UNITS,
        tile: int = 26,
        labelled: bool = True,
        parent=None,
    ):
        super().__init__(parent)
        self.network: Network | None = None
        self.image: np.ndarray | None = None
        self.saliency: Saliency | None = None
        self.contributions: Contributions | None = None
        self._active = True
        self._stale = False

        self.overlay = SaliencyOverlay(overlay_side)
        self.overlay.setToolTip(
            "Saliency: red = more ink here would raise the class's score, blue = would lower it.\n"
            "The digit is drawn faintly underneath; the colours use one symmetric scale."
        )
        self.target_choice = QtWidgets.QComboBox()
        self.target_choice.setToolTip('Explain another digit: "what would make this a 7?"')
        self.of_choice = QtWidgets.QComboBox()
        self.of_choice.addItem("probability", "probability")
        self.of_choice.addItem("logit", "logit")
        for combo in (self.target_choice, self.of_choice):  # narrow enough for the draw dock
            combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        self.of_choice.setToolTip(
            "Probability: how the class's probability would change.\n"
            "Logit: its score z2 before the softmax, which the other classes don't affect."
        )
        self.legend = QtWidgets.QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.units_title = QtWidgets.QLabel()
        self.units_title.setWordWrap(True)
        self.units_title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.sum_label = QtWidgets.QLabel()
        self.sum_label.setWordWrap(True)
        self.sum_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.sum_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sum_label.setToolTip(
            "Each hidden unit adds (its activation a1) x (its weight to this class, W2) to the class's logit;\n"
            "the sum over all hidden units plus the output bias b2 is the logit z2, exactly."
        )

        self.tiles = [UnitTile(tile) for _ in range(TOP_UNITS)]
        for t in self.tiles:
            t.clicked.connect(lambda _checked=False, t=t: self._tile_clicked(t))
        tiles = QtWidgets.QGridLayout()
        tiles.setSpacing(0)
        tiles.setContentsMargins(0, 0, 0, 0)
        for i, t in enumerate(self.tiles):
            tiles.addWidget(t, i // units_per_row, i % units_per_row)

        controls = QtWidgets.QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        if labelled:
            controls.addWidget(QtWidgets.QLabel("Explain"))
        controls.addWidget(self.target_choice, 1)
        controls.addWidget(self.of_choice, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(controls)
        layout.addWidget(self.legend)
        layout.addWidget(self.units_title)
        layout.addLayout(tiles)
        layout.addWidget(self.sum_label)

        self.target_choice.currentIndexChanged.connect(self._on_choice)
        self.of_choice.currentIndexChanged.connect(self._on_choice)
        self._fill_targets(())
        self._show()

    # -- public ---------------------------------------------------------------------------

    def set_network(self, network: Network | None, refresh: bool = True) -> None:
        """Explain with `network` from now on (the class switch keeps its digit if the model knows it).

        refresh False: the caller sets the image next, which explains it once.
        """
        old = () if self.network is None else tuple(self.network.classes)
        self.network = network
        if network is None or tuple(network.classes) != old:
            self._fill_targets(() if network is None else tuple(network.classes))
        if refresh:
            self._refresh()

    def set_image(self, image: np.ndarray | None) -> None:
        """The (28, 28) image to explain: uint8 pixels 0..255 (or None to clear)."""
        self.image = None if image is None else np.array(image, np.uint8)
        self._refresh()

    def set_active(self, active: bool) -> None:
        """Inactive (collapsed, hidden): nothing is computed until active again."""
        self._active = bool(active)
        if self._active and self._stale:
            self._refresh()

    def set_target(self, digit: int | None) -> None:
        """Explain `digit` (None: the guess), as if picked in the class switch."""
        index = self.target_choice.findData(GUESS if digit is None else int(digit))
        if index < 0:
            raise ValueError(f"{digit!r} is not one of this model's digits")
        self.target_choice.setCurrentIndex(index)

    def set_of(self, of: str) -> None:
        """'probability' or 'logit'."""
        self.of_choice.setCurrentIndex(self.of_choice.findData(of))

    def target(self) -> int | None:
        """The digit explained now (the guess, or the one picked), None when nothing is shown."""
        return None if self.saliency is None else int(self.saliency.target)

    def top_units(self) -> list[int]:
        """The hidden units shown, strongest contribution first."""
        return [t.unit for t in self.tiles if t.isVisible() and t.unit is not None]

    def sum_line(self) -> str:
        """The line that adds the contributions and the bias up to the logit, as plain text."""
        return QtGui.QTextDocumentFragment.fromHtml(self.sum_label.text()).toPlainText()

    # -- internals ------------------------------------------------------------------------

    def _fill_targets(self, classes: tuple[int, ...]) -> None:
        keep = self.target_choice.currentData()
        blocked = self.target_choice.blockSignals(True)
        self.target_choice.clear()
        self.target_choice.addItem("guess", GUESS)
        for digit in classes:
            self.target_choice.addItem(str(digit), digit)
        index = self.target_choice.findData(keep) if keep is not None else 0
        self.target_choice.setCurrentIndex(max(index, 0))
        self.target_choice.blockSignals(blocked)

    def _on_choice(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        if not self._active:
            self._stale = True
            return
        self._stale = False
        self.saliency = self.contributions = None
        if self.network is not None and self.image is not None:
            target, of = self.target_choice.currentData(), self.of_choice.currentData()
            self.saliency = saliency(self.network, self.image, target, of)
            self.contributions = contributions(self.network, self.image, target, top=TOP_UNITS)
        self._show()

    def _show(self) -> None:
        s, c, net = self.saliency, self.contributions, self.network
        if s is None or c is None:
            self.overlay.set_saliency(None)
            for t in self.tiles:
                t.hide()
            self.legend.setText("")
            self.units_title.setText(
                "Train or open a model first." if net is None else "Draw a digit or pick an image to explain it."
            )
            self.sum_label.setText("")
            self._label_guess_entry(None)
            self._fit_height()
            return
        self._label_guess_entry(s.guess)
        self.overlay.set_saliency(s.grad, s.image)
        score = f"P({s.target})" if s.of == "probability" else f"the logit z2 of {s.target}"
        # grad is per unit of pixel value (0..255): x255 is the first-order effect of a whole pixel of ink
        per_pixel = 255.0 * self.overlay.peak()
        question = "" if s.target == s.guess else f"<b>What would make this {a_digit(s.target)}?</b> "
        self.legend.setText(
            question + f"<span style='color:#d62728'><b>Red</b></span>: ink there raises {score} "
            f"(now {s.value:.3g}), <span style='color:#1f77b4'><b>blue</b></span>: lowers it; "
            f"full colour ±{per_pixel:.2g} per inked pixel."
        )
        W1 = net.W1
        for t, unit in zip(self.tiles, c.units, strict=False):
            j = int(unit)
            value = float(c.values[j])
            t.show_unit(
                j,
                W1[:, j],
                value,
                f"Hidden unit {j}: activation a1 = {c.activations[j]:.3f}, contribution {signed(value)} "
                f"to the logit of {c.target}.\nIts map shows its incoming weights (red: ink here excites it).\n"
                "Click to see it in Inside the network.",
            )
            t.show()
        for t in self.tiles[len(c.units) :]:
            t.hide()
        self.units_title.setText(f"Top units for <b>{c.target}</b> (click one):")
        total = float(np.sum(c.values))
        self.sum_label.setText(
            f"Σ a1·W2 {signed(total, 4)} + bias {signed(c.bias, 4)} = logit <b>{signed(c.logit, 4)}</b>"
        )
        self._fit_height()

    def _fit_height(self) -> None:
        """Ask for the height the wrapped texts need at this width (layouts don't, and the tiles got squeezed)."""
        height = self.heightForWidth(self.width())
        if height > 0 and height != self.minimumHeight():
            self.setMinimumHeight(height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()

    def _label_guess_entry(self, guess: int | None) -> None:
        text = "guess" if guess is None else f"guess ({guess})"
        if self.target_choice.itemText(0) != text:
            self.target_choice.setItemText(0, text)

    def _tile_clicked(self, tile: UnitTile) -> None:
        if tile.unit is not None:
            self.unitClicked.emit(tile.unit)
