"""How robust is it? Test accuracy as the test images are damaged more and more.

`RobustnessView` runs `mlpgui.core.robustness.robustness_curves` for the
current model on a `RobustnessWorker` thread (progress, Stop), one kind of
damage after another, so each curve appears as soon as it is measured. It
shows one kind at a time (noise, rotation, shift, stroke thickness, blur): a
pyqtgraph plot of accuracy against strength, under it the example image at
each strength, and for the point under the mouse the test images that were
right undamaged and wrong at that strength, as the network saw them, each
with its wrong guess.

The worker gathers those images (at most MAX_FLIPPED a point) with the core's
own `perturb` of the same sample the curve measured, and guesses them with
the same network, so they are exactly the images the curve counted.
"""

from __future__ import annotations

import sys
import threading
import traceback
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.errors import MlpguiError
from ..core.network import Network, labels_from_proba
from ..core.robustness import PERTURBATIONS, UNITS, RobustnessCurve, perturb, robustness_curves, strengths
from ..core.tasks import TaskData
from . import worker as workers
from .qimages import scaled_gray_qimage
from .thumbnails import ThumbnailList

MAX_FLIPPED = 48  # flipped images kept and shown per point
SAMPLE_SIZES = (500, 1000, 2000, 5000, None)  # None: the whole test set
DEFAULT_SAMPLE = 1000
HOVER_PIXELS = 14  # the mouse this close to a point shows it
TITLES = {"noise": "Noise", "rotation": "Rotation", "shift": "Shift", "thickness": "Thickness", "blur": "Blur"}
EXAMPLE = 44  # an example image's side


def strength_text(kind: str, strength: float) -> str:
    """A strength as the learner reads it: 'σ 32', '30°', '3 px', '+1 px', 'σ 1.5 px'."""
    s = float(strength)
    if kind == "noise":
        return f"σ {s:g}"
    if kind == "rotation":
        return f"{s:g}°"
    if kind == "shift":
        return f"{s:g} px"
    if kind == "thickness":
        return f"{s:+g} px" if s else "0 px"
    return f"σ {s:g} px"


@dataclass
class Flipped:
    """The images of one point that were right undamaged and wrong there: at most MAX_FLIPPED of `count`."""

    count: int
    indices: np.ndarray  # test-set indices
    images: np.ndarray  # (m, 28, 28) uint8, damaged as at that strength
    labels: np.ndarray  # the true digits
    guesses: np.ndarray  # the digits guessed there


class RobustnessWorker(QtCore.QObject):
    """Measures the curves kind by kind. progressed(done, total); curveDone(RobustnessCurve, list[Flipped]);
    finished(stopped, error message or "") always, last."""

    progressed = QtCore.Signal(int, int)
    curveDone = QtCore.Signal(object, object)
    finished = QtCore.Signal(bool, str)

    def __init__(self, network: Network, task: TaskData, n: int | None, kinds=PERTURBATIONS):
        super().__init__()
        self.network, self.task, self.n, self.kinds = network, task, n, tuple(kinds)
        self._stop = threading.Event()

    def stop(self) -> None:
        """End after the strength being measured (thread-safe)."""
        self._stop.set()

    @property
    def total(self) -> int:
        """Steps in all: each strength is measured, then its flipped images gathered."""
        return 2 * sum(len(strengths(k)) for k in self.kinds)

    @QtCore.Slot()
    def run(self) -> None:
        workers.run_in_background()
        error = ""
        try:
            done = 0
            for kind in self.kinds:
                offset = done
                curves = robustness_curves(
                    self.network,
                    self.task,
                    (kind,),
                    self.n,
                    progress=lambda d, _t, offset=offset: self.progressed.emit(offset + d, self.total),
                    stop=self._stop,
                )
                if not curves or self._stop.is_set():
                    break
                done += len(strengths(kind))
                flipped = []
                for j, strength in enumerate(curves[0].strengths):
                    flipped.append(self._flipped(curves[0], strength, curves[0].flipped[j]))
                    done += 1
                    self.progressed.emit(done, self.total)
                    if self._stop.is_set():
                        break
                if len(flipped) < len(curves[0].strengths):
                    break
                self.curveDone.emit(curves[0], flipped)
        except MlpguiError as e:
            error = str(e)
        except Exception as e:  # a bug: tell the user, keep the app alive, leave a trace for the report
            traceback.print_exc(file=sys.stderr)
            error = f"measuring failed unexpectedly ({type(e).__name__}: {e})"
        finally:
            stopped = self._stop.is_set()
            workers.return_to_gui_thread(self)
            self.finished.emit(stopped, error)

    def _flipped(self, curve: RobustnessCurve, strength: float, flipped: np.ndarray) -> Flipped:
        shown = np.asarray(flipped[:MAX_FLIPPED], np.intp)
        classes = np.asarray(self.network.classes)
        if not len(shown):
            empty = np.zeros((0, 28, 28), np.uint8)
            return Flipped(0, shown, empty, np.zeros(0, int), np.zeros(0, int))
        if curve.kind == "noise":  # one noise field is drawn for the whole sample: damage it all, as the curve did
            damaged = perturb(self.task.test_images[curve.indices], curve.kind, strength)
            images = damaged[np.searchsorted(curve.indices, shown)]
        else:  # the other kinds damage each image on its own
            images = perturb(self.task.test_images[shown], curve.kind, strength)
        guesses = classes[labels_from_proba(self.network.predict_images(images))]
        labels = classes[np.asarray(self.task.test_labels)[shown]]
        return Flipped(len(flipped), shown, images, labels, guesses)


class ExampleStrip(QtWidgets.QWidget):
    """The example image at each strength with the strength under it; the hovered one outlined."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._images: list[QtGui.QImage] = []
        self._captions: list[str] = []
        self.current = -1
        self.setMinimumHeight(EXAMPLE + self.fontMetrics().height() + 8)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)

    def set_examples(self, images, captions) -> None:
        self._images = [scaled_gray_qimage(im, EXAMPLE) for im in images]
        self._captions = list(captions)
        self.current = -1
        self.update()

    def captions(self) -> list[str]:
        return list(self._captions)

    def set_current(self, j: int) -> None:
        self.current = j
        self.update()

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(400, self.minimumHeight())

    def paintEvent(self, event) -> None:
        n = len(self._images)
        if not n:
            return
        painter = QtGui.QPainter(self)
        step = self.width() / n
        text_h = self.fontMetrics().height()
        for j, (image, caption) in enumerate(zip(self._images, self._captions, strict=True)):
            x = int(j * step + (step - EXAMPLE) / 2)
            painter.drawImage(QtCore.QRect(x, 2, EXAMPLE, EXAMPLE), image)
            if j == self.current:
                painter.setPen(QtGui.QPen(self.palette().color(QtGui.QPalette.ColorRole.Highlight), 2))
                painter.drawRect(QtCore.QRect(x - 2, 0, EXAMPLE + 4, EXAMPLE + 4))
            painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
            painter.drawText(
                QtCore.QRect(int(j * step), EXAMPLE + 4, int(step), text_h),
                QtCore.Qt.AlignmentFlag.AlignCenter,
                caption,
            )
        painter.end()


class RobustnessView(QtWidgets.QWidget):
    """Compute / Stop with progress, a curve per kind of damage, its examples and the flipped images."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.network: Network | None = None
        self.task: TaskData | None = None
        self.curves: dict[str, RobustnessCurve] = {}
        self.flipped: dict[str, list[Flipped]] = {}
        self.measured: Network | None = None  # the model the curves are of
        self.kind = PERTURBATIONS[0]
        self.point: int | None = None  # the strength shown in the flipped list
        self._thread: QtCore.QThread | None = None
        self._worker: RobustnessWorker | None = None

        intro = QtWidgets.QLabel(
            "<b>How robust is it?</b> The test images, damaged on purpose at growing strengths, and the "
            "model's accuracy on them. Hover a point to see the images that flipped there."
        )
        intro.setWordWrap(True)
        self.sample = QtWidgets.QComboBox()
        for n in SAMPLE_SIZES:
            self.sample.addItem("all test images" if n is None else f"{n:,} test images", n)
        self.sample.setCurrentIndex(SAMPLE_SIZES.index(DEFAULT_SAMPLE))
        self.sample.setToolTip("How many test images to damage and measure (a seeded sample; all is slower)")
        self.compute_button = QtWidgets.QPushButton("Compute")
        self.compute_button.setToolTip("Measure the current model's accuracy under each kind of damage")
        self.compute_button.clicked.connect(self.compute)
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.stop_button.setToolTip("Stop measuring: the curves finished so far stay")
        self.stop_button.clicked.connect(self.stop)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        controls = QtWidgets.QHBoxLayout()
        controls.addWidget(QtWidgets.QLabel("On"))
        controls.addWidget(self.sample)
        controls.addWidget(self.compute_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.progress, 1)

        self.kind_buttons: dict[str, QtWidgets.QToolButton] = {}
        kinds = QtWidgets.QHBoxLayout()
        kinds.setSpacing(2)
        group = QtWidgets.QButtonGroup(self)
        group.setExclusive(True)
        for kind in PERTURBATIONS:
            b = QtWidgets.QToolButton()
            b.setText(TITLES[kind])
            b.setCheckable(True)
            b.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _checked=False, kind=kind: self.show_kind(kind))
            group.addButton(b)
            kinds.addWidget(b)
            self.kind_buttons[kind] = b
        self.kind_buttons[self.kind].setChecked(True)

        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(200)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("left", "test accuracy (%)")
        for side in ("left", "bottom"):
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.line = self.plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2))
        self.points = pg.ScatterPlotItem(size=9, brush=pg.mkBrush("#1f77b4"), pen=pg.mkPen("w", width=1))
        self.plot.addItem(self.points)
        self.marker = pg.ScatterPlotItem(size=15, brush=pg.mkBrush(0, 0, 0, 0), pen=pg.mkPen("#d62728", width=2))
        self.plot.addItem(self.marker)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self.examples = ExampleStrip()
        self.examples.setToolTip("One test image at each strength, damaged as the network saw it")
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        self.flipped_label = QtWidgets.QLabel()
        self.flipped_label.setWordWrap(True)
        self.flipped_list = ThumbnailList(40, caption_lines=1)
        self.flipped_list.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.flipped_list.setMinimumHeight(110)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(controls)
        layout.addLayout(kinds)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot, 3)
        layout.addWidget(self.examples)
        layout.addWidget(self.flipped_label)
        layout.addWidget(self.flipped_list, 2)
        self._show()

    def hasHeightForWidth(self) -> bool:
        # On a page that scrolls it: take the page's height (or the minimum), not the taller one its
        # word-wrapped captions would ask for, so the lists and the plot share what there is.
        return False

    def heightForWidth(self, _width: int) -> int:
        return -1  # QScrollArea asks the layout, not hasHeightForWidth: -1 means "the minimum will do"

    # -- the model ------------------------------------------------------------------------------

    def set_model(self, network: Network | None, task: TaskData | None) -> None:
        """The model to measure next (curves already shown stay, marked as of an earlier model)."""
        self.network, self.task = network, task
        self._show_controls()
        self._show_caption()

    # -- measuring --------------------------------------------------------------------------------

    def sample_size(self) -> int | None:
        return self.sample.currentData()

    def is_running(self) -> bool:
        return self._worker is not None

    def compute(self) -> bool:
        """Measure every kind of damage for the current model, on a worker thread."""
        if self._worker is not None or self.network is None or self.task is None:
            return False
        self.curves, self.flipped, self.point = {}, {}, None
        self.measured = self.network
        w = RobustnessWorker(self.network, self.task, self.sample_size())
        w.progressed.connect(self._on_progress)
        w.curveDone.connect(self._on_curve)
        w.finished.connect(self._on_finished)
        self._worker = w
        self.progress.setRange(0, w.total)
        self.progress.setValue(0)
        self.progress.setFormat("measuring… %p%")
        self._thread = workers.start(w)
        self._show()
        return True

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self.stop_button.setEnabled(False)
            self.progress.setFormat("stopping…")

    def wait(self) -> None:
        """Block until the measuring under way has ended (the window is closing)."""
        if self._worker is not None:
            self._worker.stop()
        thread = self._thread
        if thread is not None and shiboken6.isValid(thread):
            thread.wait()

    def _on_progress(self, done: int, total: int) -> None:
        if self._worker is not None:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _on_curve(self, curve: RobustnessCurve, flipped: list[Flipped]) -> None:
        if self._worker is None:
            return
        self.curves[curve.kind] = curve
        self.flipped[curve.kind] = flipped
        if curve.kind == self.kind:  # the kind shown (the learner may have picked another meanwhile)
            self.show_kind(self.kind)
        self._show_kind_buttons()

    def _on_finished(self, stopped: bool, error: str) -> None:
        if self._worker is None:
            return
        self._worker = None
        if error:
            self.progress.setFormat("failed")
            self.caption.setText(f"<b>Can't measure:</b> {error}")
        elif stopped:
            self.progress.setFormat(f"stopped: {len(self.curves)} of {len(PERTURBATIONS)} curves")
        else:
            self.progress.setValue(self.progress.maximum())
            self.progress.setFormat("done")
        self._show_controls()
        if not error:
            self._show_caption()

    # -- showing ------------------------------------------------------------------------------------

    def show_kind(self, kind: str) -> None:
        """Show the curve of `kind` (one of PERTURBATIONS)."""
        self.kind = kind
        self.kind_buttons[kind].setChecked(True)
        self.point = None
        self._show()

    def plotted(self) -> tuple[np.ndarray, np.ndarray]:
        """(strengths, accuracy %) as drawn for the kind shown."""
        x, y = self.line.getData()
        return (np.zeros(0), np.zeros(0)) if x is None else (np.asarray(x), np.asarray(y))

    def show_point(self, j: int | None) -> None:
        """List the images that flipped at strength number `j` of the kind shown (as hovering it does)."""
        curve = self.curves.get(self.kind)
        if curve is None or j is None or not 0 <= j < len(curve.strengths):
            j = None
        self.point = j
        self.examples.set_current(-1 if j is None else j)
        if j is None:
            self.marker.setData([], [])
            self.flipped_list.clear()
            self.flipped_label.setText(
                "Hover a point of the curve to see the images that were right undamaged and wrong there."
                if curve is not None
                else ""
            )
            return
        s, acc = float(curve.strengths[j]), 100.0 * float(curve.accuracy[j])
        self.marker.setData([s], [acc])
        f = self.flipped[self.kind][j]
        where = f"{TITLES[self.kind].lower()} {strength_text(self.kind, s)}"
        if f.count == 0:
            self.flipped_label.setText(f"At {where}: accuracy {acc:.1f}%, no image flipped.")
        else:
            more = f" (the first {len(f.indices)} shown)" if f.count > len(f.indices) else ""
            self.flipped_label.setText(
                f"At {where}: accuracy {acc:.1f}%; <b>{f.count:,}</b> image{'s' if f.count != 1 else ''} right "
                f"undamaged are wrong here{more}, as the network saw them (true → guess):"
            )
        self.flipped_list.set_items(
            f.images,
            [f"{t} → {g}" for t, g in zip(f.labels, f.guesses, strict=True)],
            keys=[int(i) for i in f.indices],
            tooltips=[
                f"test image #{int(i)}: true {t}, guessed {g} at {where}"
                for i, t, g in zip(f.indices, f.labels, f.guesses, strict=True)
            ],
        )

    def point_at(self, scene_pos: QtCore.QPointF) -> int | None:
        """The strength number of the point within HOVER_PIXELS of `scene_pos` (scene coordinates), if any."""
        curve = self.curves.get(self.kind)
        if curve is None:
            return None
        vb = self.plot.getPlotItem().vb
        best, best_d = None, HOVER_PIXELS
        for j, (s, a) in enumerate(zip(curve.strengths, curve.accuracy, strict=True)):
            p = vb.mapViewToScene(QtCore.QPointF(float(s), 100.0 * float(a)))
            d = float(np.hypot(p.x() - scene_pos.x(), p.y() - scene_pos.y()))
            if d <= best_d:
                best, best_d = j, d
        return best

    def point_scene_pos(self, j: int) -> QtCore.QPointF:
        """Where point `j` of the kind shown is drawn, in scene coordinates."""
        curve = self.curves[self.kind]
        vb = self.plot.getPlotItem().vb
        return vb.mapViewToScene(QtCore.QPointF(float(curve.strengths[j]), 100.0 * float(curve.accuracy[j])))

    def _on_mouse_moved(self, scene_pos) -> None:
        j = self.point_at(scene_pos)
        if j is not None and j != self.point:
            self.show_point(j)

    def _show(self) -> None:
        curve = self.curves.get(self.kind)
        self.plot.setLabel("bottom", UNITS[self.kind])
        if curve is None:
            self.line.setData([], [])
            self.points.setData([], [])
            self.examples.set_examples([], [])
            self.plot.setXRange(min(strengths(self.kind)), max(strengths(self.kind)), padding=0.05)
            self.plot.setYRange(0, 100, padding=0.02)
        else:
            x = np.asarray(curve.strengths, np.float64)
            y = 100.0 * np.asarray(curve.accuracy, np.float64)
            self.line.setData(x, y)
            self.points.setData(x, y)
            self.examples.set_examples(curve.example, [strength_text(self.kind, s) for s in curve.strengths])
            self.plot.setXRange(float(x.min()), float(x.max()), padding=0.05)
            self.plot.setYRange(0, 100, padding=0.02)
        self.show_point(self.point)
        self._show_controls()
        self._show_kind_buttons()
        self._show_caption()

    def _show_kind_buttons(self) -> None:
        for kind, b in self.kind_buttons.items():
            c = self.curves.get(kind)
            b.setToolTip(f"{TITLES[kind]}: " + ("not measured yet" if c is None else self.summary(c)))

    @staticmethod
    def summary(c: RobustnessCurve) -> str:
        """'accuracy 91.2% undamaged, lowest 45.0% at 60°'."""
        clean = float(c.accuracy[list(c.strengths).index(0)]) if 0 in c.strengths else float("nan")
        worst = int(np.nanargmin(c.accuracy))
        return (
            f"accuracy {100 * clean:.1f}% undamaged, lowest {100 * float(c.accuracy[worst]):.1f}% "
            f"at {strength_text(c.kind, c.strengths[worst])}"
        )

    def _show_controls(self) -> None:
        running = self._worker is not None
        self.compute_button.setEnabled(not running and self.network is not None and self.task is not None)
        self.sample.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def _show_caption(self) -> None:
        if self._worker is not None:
            self.caption.setText("Measuring; each curve appears when it is done.")
        elif self.network is None or self.task is None:
            self.caption.setText("Train or open a model, then Compute.")
        elif not self.curves:
            self.caption.setText("Press Compute to measure the current model.")
        elif self.measured is not self.network:
            n = self.measured.epochs_trained if self.measured is not None else 0
            self.caption.setText(
                f"These curves are of an earlier model (after {n} epochs): Compute again for the current one."
            )
        else:
            c = self.curves.get(self.kind)
            if c is None:
                self.caption.setText(f"{TITLES[self.kind]} was not measured (stopped): Compute again.")
            else:
                self.caption.setText(f"{TITLES[self.kind]} on {len(c.indices):,} test images: {self.summary(c)}.")
