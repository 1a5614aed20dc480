"""The draw pad: draw a digit with the mouse or a pen and watch the network guess it, live.

`DrawCanvas` paints white strokes with round caps onto a large offscreen
black image (finer than any screen shows it, so the 28x28 input is
anti-aliased like MNIST's). `DrawPadPanel` puts the canvas beside what the
network actually sees, the 28x28 image made by `mlpgui.core.drawing`, and
shows the guess with a bar per class. Predictions are throttled by a
single-shot timer, so a burst of mouse moves costs one prediction.

Under the bars, "Why this guess?" (collapsed at first, so the pad keeps its
room) turns the 28x28 input into its saliency and lists the hidden units
that carried the guess (`explain_view.ExplainView`), updated with every
prediction. "Not sure below" is a reject threshold (off at 0): a guess less
confident than it is answered "not sure".
"""

from __future__ import annotations

import itertools

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.confidence import guess_detail, percent
from ..core.drawing import predict_digit, preprocess_digit, to_mnist_uint8
from ..core.reject import accept_mask
from .explain_view import ExplainView
from .qimages import gray_qimage, qimage_to_rgba

IMAGE_SIZE = 560  # side of the offscreen canvas, 20 x 28 pixels
DEFAULT_PEN = 48  # in canvas pixels: ~2.5 px strokes once a pad-high digit is scaled to 20 px
PEN_RANGE = (12, 80)
THROTTLE_MS = 40
NO_MODEL = "Train or open a model first"
REJECT_MAX = 99  # percent: the reject slider's top
NOT_SURE = "?"  # the guess shown for a rejected drawing
INPUT_CAPTION = "Network input (28x28)"
WHY_CAPTION = "Why: red raises, blue lowers"


class DrawCanvas(QWidget):
    """A square black pad to draw on; the strokes live in an offscreen IMAGE_SIZE image.

    Every change (a new piece of stroke, Undo, Clear, a loaded image) emits
    `inkChanged`. Actions are kept so Undo can repaint the image without the
    last one: a stroke, a Clear, or a loaded image each count as one.
    """

    inkChanged = Signal()
    actionsChanged = Signal()  # a stroke ended, or Undo/Clear/an image changed what Undo can take back

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image = QImage(IMAGE_SIZE, IMAGE_SIZE, QImage.Format.Format_RGB32)
        self._image.fill(Qt.GlobalColor.black)
        self._actions: list[tuple] = []  # ("stroke", width, [QPointF...]) | ("clear",) | ("image", QImage)
        self._stroke: list[QPointF] | None = None
        self._pen_width = DEFAULT_PEN
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.setToolTip("Draw a digit: left button or pen. Undo: Ctrl+Z. Clear: Delete.")

    # -- state ------------------------------------------------------------------------

    def pen_width(self) -> int:
        return self._pen_width

    def set_pen_width(self, width: int) -> None:
        """Width of the next strokes, in canvas pixels (the canvas is IMAGE_SIZE wide)."""
        self._pen_width = int(width)

    def is_empty(self) -> bool:
        return self._stroke is None and not self._visible_actions()

    def can_undo(self) -> bool:
        return bool(self._actions)

    def ink(self) -> np.ndarray:
        """The canvas as float gray in [0, 1], (IMAGE_SIZE, IMAGE_SIZE), bright = ink."""
        # strokes are gray, so the green channel is the gray level
        return qimage_to_rgba(self._image)[..., 1].astype(np.float64) / 255.0

    def clear(self) -> None:
        if self.is_empty():
            return
        self._stroke = None
        self._actions.append(("clear",))
        self._image.fill(Qt.GlobalColor.black)
        self.update()
        self.inkChanged.emit()

    def undo(self) -> None:
        """Take back the last stroke (or Clear, or loaded image)."""
        if self._stroke is not None:
            self._stroke = None
        elif self._actions:
            self._actions.pop()
        else:
            return
        self._repaint_image()
        self.update()
        self.inkChanged.emit()

    def set_image(self, image: np.ndarray) -> None:
        """Fill the canvas with a gray image (e.g. a 28x28 MNIST digit), enlarged with square pixels."""
        qimage = gray_qimage(np.asarray(image, dtype=np.uint8))
        self._stroke = None
        self._actions.append(("image", qimage))
        self._repaint_image()
        self.update()
        self.inkChanged.emit()

    # -- painting into the offscreen image -----------------------------------------------

    def _visible_actions(self) -> list[tuple]:
        """The actions since the last Clear: what the image shows."""
        for i in range(len(self._actions) - 1, -1, -1):
            if self._actions[i][0] == "clear":
                return self._actions[i + 1 :]
        return self._actions

    def _painter(self) -> QPainter:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        return painter

    @staticmethod
    def _pen(width: float) -> QPen:
        return QPen(
            QColor(255, 255, 255), width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
        )

    def _paint_segment(self, painter: QPainter, width: float, a: QPointF, b: QPointF) -> None:
        painter.setPen(self._pen(width))
        if a == b:
            painter.drawPoint(a)
        else:
            painter.drawLine(a, b)

    def _repaint_image(self) -> None:
        self._image.fill(Qt.GlobalColor.black)
        painter = self._painter()
        for action in self._visible_actions():
            if action[0] == "image":
                # square pixels: shrinking back to 28x28 then gives exactly the loaded image
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
                painter.drawImage(QRectF(0, 0, IMAGE_SIZE, IMAGE_SIZE), action[1])
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            else:
                _, width, points = action
                self._paint_stroke(painter, width, points)
        painter.end()

    def _paint_stroke(self, painter: QPainter, width: float, points: list[QPointF]) -> None:
        self._paint_segment(painter, width, points[0], points[0])
        for a, b in itertools.pairwise(points):
            self._paint_segment(painter, width, a, b)

    # -- input ------------------------------------------------------------------------

    def _pad_rect(self) -> QRectF:
        """Where the square canvas sits in the widget (centred, as large as fits)."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _to_image(self, pos: QPointF) -> QPointF:
        rect = self._pad_rect()
        scale = IMAGE_SIZE / max(rect.width(), 1.0)
        return QPointF((pos.x() - rect.x()) * scale, (pos.y() - rect.y()) * scale)

    def _begin(self, pos: QPointF) -> None:
        point = self._to_image(pos)
        self._stroke = [point]
        painter = self._painter()
        self._paint_segment(painter, self._pen_width, point, point)
        painter.end()
        self.update()
        self.inkChanged.emit()

    def _extend(self, pos: QPointF) -> None:
        if self._stroke is None:
            return
        point = self._to_image(pos)
        last = self._stroke[-1]
        if point == last:
            return
        self._stroke.append(point)
        painter = self._painter()
        self._paint_segment(painter, self._pen_width, last, point)
        painter.end()
        self.update()
        self.inkChanged.emit()

    def _end(self) -> None:
        if self._stroke is None:
            return
        self._actions.append(("stroke", self._pen_width, self._stroke))
        self._stroke = None
        self.actionsChanged.emit()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(event.position())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._stroke is not None:
            self._extend(event.position())
            event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._stroke is not None:
            self._extend(event.position())
            self._end()
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event) -> None:
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position())
        elif kind == QEvent.Type.TabletMove:
            self._extend(event.position())
        elif kind == QEvent.Type.TabletRelease:
            self._extend(event.position())
            self._end()
        event.accept()  # no synthesized mouse events on top

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
        else:
            super().keyPressEvent(event)

    # -- on screen --------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(280, 280)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = self._pad_rect()
        painter.drawImage(rect, self._image)
        if self.is_empty():
            painter.setPen(QColor(120, 120, 120))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.2)
            painter.setFont(font)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Draw a digit here")
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()


class DigitView(QWidget):
    """A (28, 28) uint8 image drawn upright, enlarged with crisp square pixels."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._array: np.ndarray | None = None
        self._image: QImage | None = None
        self.setFixedSize(QSize(116, 116))
        self.setToolTip(
            "What the network sees: your drawing as a 28x28 MNIST-style image\n"
            "(cropped, scaled to 20 px, centred on its centre of mass)"
        )

    def set_image(self, image: np.ndarray | None) -> None:
        if image is None:
            self._array = self._image = None
        else:
            self._array = np.ascontiguousarray(image, dtype=np.uint8)
            self._image = gray_qimage(self._array)
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        side = min(self.width(), self.height()) - 2
        side -= side % 28  # whole screen pixels per image pixel: crisp
        rect = QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side)
        painter.fillRect(rect, Qt.GlobalColor.black)
        if self._image is not None:
            painter.drawImage(rect, self._image)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(rect.adjusted(-1, -1, 0, 0))
        painter.end()


class ProbabilityBars(pg.PlotWidget):
    """One bar per class with its probability (a `pg.BarGraphItem`, as the image browser's); the guess highlighted."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, background=None)
        self._classes: tuple[int, ...] = tuple(range(10))
        self._probabilities: np.ndarray | None = None
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseEnabled(False, False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.hideAxis("left")
        self.getAxis("bottom").setStyle(tickLength=0)
        self.track = pg.BarGraphItem(x=[], height=[], width=0.62, brush=pg.mkBrush(128, 128, 128, 50), pen=None)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.62, pen=None)
        self.addItem(self.track)
        self.addItem(self.bars)
        self._labels: list[pg.TextItem] = []
        self._show()

    def set_classes(self, classes) -> None:
        self._classes = tuple(classes)
        if self._probabilities is not None and len(self._probabilities) != len(self._classes):
            self._probabilities = None  # another model's: the pad brings this one's
        self._show()

    def classes(self) -> tuple[int, ...]:
        return self._classes

    def set_probabilities(self, probabilities: np.ndarray | None) -> None:
        self._probabilities = None if probabilities is None else np.asarray(probabilities, np.float64)
        self._show()

    def heights(self) -> np.ndarray:
        """The bars' heights: the probabilities shown (zeros when there are none)."""
        return np.asarray(self.bars.opts["height"], np.float64)

    def sizeHint(self) -> QSize:
        return QSize(280, 120)

    def label_texts(self) -> list[str]:
        """The percentage over each bar ("" for none). With ten bars, one under 0.1 % gets no
        label: its empty bar says it, and a label would run into its neighbours'."""
        if self._probabilities is None:
            return [""] * len(self._classes)
        many = len(self._classes) > 2
        return ["" if many and p < 0.0005 else percent(p) for p in self._probabilities]

    def _show(self) -> None:
        k = len(self._classes)
        x = np.arange(k)
        p = self._probabilities if self._probabilities is not None else np.zeros(k)
        best = None if self._probabilities is None else int(np.argmax(p))
        palette = self.palette()
        highlight, dark = palette.color(QPalette.ColorRole.Highlight), palette.color(QPalette.ColorRole.Dark)
        self.track.setOpts(x=x, height=np.ones(k), width=0.62)
        self.bars.setOpts(
            x=x, height=p, width=0.62, brushes=[pg.mkBrush(highlight if i == best else dark) for i in range(k)]
        )
        for label in self._labels:
            self.removeItem(label)
        self._labels = []
        if self._probabilities is not None:
            text = palette.color(QPalette.ColorRole.WindowText)
            for i, shown in enumerate(self.label_texts()):
                if not shown:
                    continue
                label = pg.TextItem(shown, color=text, anchor=(0.5, 1.0))
                label.setPos(i, 1.0)
                self.addItem(label)
                self._labels.append(label)
        self.getAxis("bottom").setTicks([[(i, str(d)) for i, d in enumerate(self._classes)], []])
        self.setXRange(-0.6, k - 0.4, padding=0)
        self.setYRange(0, 1.25, padding=0)


class DrawPadPanel(QWidget):
    """Canvas, pen width, Clear/Undo, the network's 28x28 input, the guess and a bar per class.

    `predictionChanged(object)` carries the probabilities (n_classes,) or
    None (empty pad, no model); `inputChanged(object)` the (28, 28) uint8
    input or None (empty pad).
    """

    predictionChanged = Signal(object)
    inputChanged = Signal(object)
    rejectThresholdChanged = Signal(float)  # 0..1; 0: off

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._network = None
        self._probabilities: np.ndarray | None = None
        self._input: np.ndarray | None = None

        self.canvas = DrawCanvas()
        self.width_slider = QSlider(Qt.Orientation.Horizontal)
        self.width_slider.setRange(*PEN_RANGE)
        self.width_slider.setValue(DEFAULT_PEN)
        self.width_slider.setToolTip("Pen width. MNIST strokes are about 3 of its 28 pixels wide.")
        self.width_slider.valueChanged.connect(self.canvas.set_pen_width)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Wipe the pad (Delete)")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Take back the last stroke (Ctrl+Z)")
        self.undo_button.setShortcut("Ctrl+Z")
        self.clear_button.clicked.connect(self.clear)
        self.undo_button.clicked.connect(self.undo)

        self.input_view = DigitView()
        self.guess_label = QLabel()
        self.guess_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 3.6)
        font.setBold(True)
        self.guess_label.setFont(font)
        self.detail_label = QLabel()
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail_label.setWordWrap(True)
        self.bars = ProbabilityBars()

        self.reject_slider = QSlider(Qt.Orientation.Horizontal)
        self.reject_slider.setRange(0, REJECT_MAX)
        self.reject_slider.setValue(0)
        self.reject_slider.setToolTip(
            'Reject option: answer "not sure" when the guess\'s probability is below this (0: off).\n'
            "The Evaluation tab shows what it does on the test set."
        )
        self.reject_value = QLabel()
        self.reject_value.setMinimumWidth(self.reject_value.fontMetrics().horizontalAdvance("100%") + 4)
        self.reject_slider.valueChanged.connect(self._on_reject_slider)
        reject = QHBoxLayout()
        reject.addWidget(QLabel("Not sure below"))
        reject.addWidget(self.reject_slider, 1)
        reject.addWidget(self.reject_value)

        self.why_button = QToolButton()
        self.why_button.setText("Why this guess?")
        self.why_button.setCheckable(True)
        self.why_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.why_button.setArrowType(Qt.ArrowType.RightArrow)
        self.why_button.setAutoRaise(True)
        self.why_button.setToolTip("Show which pixels and hidden units made the network guess this")
        self.why = ExplainView(overlay_side=116)
        self.why.setVisible(False)
        self.why.set_active(False)
        self.why_button.toggled.connect(self.set_why_shown)
        # the saliency takes the input's place: it has the digit underneath
        self.input_stack = QStackedWidget()
        self.input_stack.addWidget(self.input_view)
        self.input_stack.addWidget(self.why.overlay)
        self.input_stack.setFixedSize(self.input_view.size())

        tools = QHBoxLayout()
        tools.addWidget(QLabel("Pen"))
        tools.addWidget(self.width_slider, 1)
        tools.addWidget(self.undo_button)
        tools.addWidget(self.clear_button)

        caption = self.input_caption = QLabel(INPUT_CAPTION)
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption.setStyleSheet("color: palette(placeholder-text);")
        result = QGridLayout()
        result.addWidget(self.input_stack, 0, 0, Qt.AlignmentFlag.AlignCenter)
        result.addWidget(caption, 1, 0)
        guess_box = QVBoxLayout()
        guess_box.addStretch(1)
        guess_box.addWidget(self.guess_label)
        guess_box.addWidget(self.detail_label)
        guess_box.addStretch(1)
        result.addLayout(guess_box, 0, 1, 2, 1)
        result.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(tools)
        layout.addLayout(result)
        layout.addWidget(self.bars)
        layout.addLayout(reject)
        layout.addWidget(self.why_button)
        layout.addWidget(self.why)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(THROTTLE_MS)
        self._timer.timeout.connect(self.refresh)
        self.canvas.inkChanged.connect(self._schedule)
        self.canvas.actionsChanged.connect(self._show_buttons)
        self._on_reject_slider(0)
        self._show()

    # -- API ------------------------------------------------------------------------

    def set_network(self, network) -> None:
        """Guess with `network` from now on; None: say "Train or open a model first"."""
        self._network = network
        if network is not None:
            self.bars.set_classes(network.classes)
        self.why.set_network(network, refresh=False)  # refresh() gives it the image
        self.refresh()

    def network(self):
        return self._network

    def set_image(self, image: np.ndarray) -> None:
        """Load a (28, 28) uint8 image (e.g. an MNIST digit) onto the pad; Undo takes it back."""
        image = np.asarray(image)
        if image.shape != (28, 28):
            raise ValueError(f"expected a 28x28 image, got {image.shape}")
        self.canvas.set_image(image)
        self.refresh()

    def clear(self) -> None:
        self.canvas.clear()

    def undo(self) -> None:
        self.canvas.undo()

    def guess(self) -> int | None:
        """The digit shown as the guess, or None."""
        if self._probabilities is None:
            return None
        return int(self._network.classes[int(np.argmax(self._probabilities))])

    def probabilities(self) -> np.ndarray | None:
        return None if self._probabilities is None else self._probabilities.copy()

    def network_input(self) -> np.ndarray | None:
        """The (28, 28) uint8 image last fed to the network (None for an empty pad)."""
        return None if self._input is None else self._input.copy()

    def message(self) -> str:
        """What the pad says instead of (or under) the guess."""
        return self.detail_label.text()

    def answer(self) -> str:
        """What the pad answers: the digit, "?" when not sure, "–" without a guess."""
        return self.guess_label.text()

    def is_sure(self) -> bool | None:
        """Whether the guess clears the reject threshold (None without a guess)."""
        if self._probabilities is None:
            return None
        return bool(accept_mask(self._probabilities[None], self.reject_threshold())[0])

    def reject_threshold(self) -> float:
        """The reject threshold, 0..1 (0: off, every guess is answered)."""
        return self.reject_slider.value() / 100.0

    def set_reject_threshold(self, threshold: float) -> None:
        self.reject_slider.setValue(round(100 * float(threshold)))

    def set_why_shown(self, shown: bool) -> None:
        """Expand or collapse "Why this guess?"; collapsed, nothing is explained (no cost)."""
        if self.why_button.isChecked() != shown:
            self.why_button.setChecked(shown)  # comes back here through toggled
            return
        self.why_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.why.setVisible(shown)
        self.why.set_active(shown)
        self._show_input_or_why()

    # -- updating ---------------------------------------------------------------------

    def _show_buttons(self) -> None:
        self.undo_button.setEnabled(self.canvas.can_undo() or not self.canvas.is_empty())
        self.clear_button.setEnabled(not self.canvas.is_empty())

    def _schedule(self) -> None:
        self._show_buttons()
        if not self._timer.isActive():  # not restarted: a long stroke still updates every THROTTLE_MS
            self._timer.start()

    def refresh(self) -> None:
        """Preprocess the pad and predict now (normally the throttle timer calls this)."""
        self._timer.stop()
        ink = self.canvas.ink()
        if self._network is not None:
            result = predict_digit(self._network, ink)
            probabilities, u8 = result if result is not None else (None, None)
        else:
            img = preprocess_digit(ink)
            probabilities, u8 = None, (None if img is None else to_mnist_uint8(img))
        self._probabilities = None if probabilities is None else np.asarray(probabilities, np.float64)
        self._input = u8
        self.why.set_image(u8)
        self._show()
        self.inputChanged.emit(None if u8 is None else u8.copy())
        self.predictionChanged.emit(self.probabilities())

    def _on_reject_slider(self, value: int) -> None:
        self.reject_value.setText("off" if value == 0 else f"{value}%")
        self._show()
        self.rejectThresholdChanged.emit(value / 100.0)

    def _show_input_or_why(self) -> None:
        why = self.why.isVisibleTo(self) and self.why.saliency is not None
        self.input_stack.setCurrentWidget(self.why.overlay if why else self.input_view)
        self.input_caption.setText(WHY_CAPTION if why else INPUT_CAPTION)

    def _show(self) -> None:
        self._show_input_or_why()
        self.input_view.set_image(self._input)
        self.bars.set_probabilities(self._probabilities)
        self._show_buttons()
        if self._network is None:
            self.guess_label.setText("–")
            self.detail_label.setText(NO_MODEL)
        elif self._probabilities is None:
            self.guess_label.setText("–")
            classes = tuple(self._network.classes)
            only = f": this model only knows {classes[0]} and {classes[1]}" if len(classes) == 2 else ""
            self.detail_label.setText(f"Draw a digit on the pad{only}")
        else:
            best = int(np.argmax(self._probabilities))
            classes = tuple(self._network.classes)
            detail = guess_detail(self._probabilities[best], classes)
            if self.is_sure():
                self.guess_label.setText(str(self.guess()))
            else:
                self.guess_label.setText(NOT_SURE)
                # "54.2% sure[. This model only knows ...]" -> "Not sure: 54.2% for 7 is below your 70% threshold[...]"
                below = f"% for {self.guess()} is below your {self.reject_slider.value()}% threshold"
                detail = "Not sure: " + detail.replace("% sure", below, 1)
            self.detail_label.setText(detail)
        self.guess_label.setToolTip("The network's guess" if self._network is not None else NO_MODEL)
