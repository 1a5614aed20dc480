"""What the lab's views add to the core's work: robustness measuring, and redrawing my digits.

Run from the repository root:
    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_lab_views.py
1. Robustness: the core's `robustness_curves` over every kind against the
   view's `RobustnessWorker` (the same curves kind by kind, plus the flipped
   images of every point damaged again and guessed), interleaved, on a
   sample of 1,000 test images; the ratio is what the view adds.
2. My digits: one change (add a digit) in `MyDigitsView` with 50, 200 and
   1,000 digits, the core's atomic save included, on the GUI thread, against
   the core's `add` alone.
Medians of a few runs each; the machine is shared, so read the ratios.
"""

import os
import statistics
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

APP = QApplication([])

from mlpgui.core.config import PRESETS  # noqa: E402
from mlpgui.core.data import load_mnist  # noqa: E402
from mlpgui.core.mydigits import MyDigits  # noqa: E402
from mlpgui.core.robustness import robustness_curves  # noqa: E402
from mlpgui.core.tasks import build_task  # noqa: E402
from mlpgui.core.training import Trainer  # noqa: E402
from mlpgui.qt.mydigits_view import MyDigitsView  # noqa: E402
from mlpgui.qt.robustness_view import RobustnessWorker  # noqa: E402
from mlpgui.qt.worker import run_in_background  # noqa: E402

RUNS = 3
SAMPLE = 1000


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def robustness(mnist) -> None:
    config = PRESETS["homework-multiclass"].replace(per_class=300, epochs=8, lr=0.5, batch_size=50, scale="unit")
    task = build_task(config, mnist)
    trainer = Trainer(config, task)
    trainer.train()
    network = trainer.network
    run_in_background()  # the worker lowers its thread's priority: both measured at the same one
    core, view = [], []
    for _ in range(RUNS):
        core.append(timed(lambda: robustness_curves(network, task, n=SAMPLE)))
        view.append(timed(lambda: RobustnessWorker(network, task, SAMPLE).run()))
    c, v = statistics.median(core), statistics.median(view)
    print(f"robustness, {SAMPLE:,} test images, H=256: core {c:.2f} s, view's worker {v:.2f} s ({v / c:.2f}x)")


def mydigits(mnist) -> None:
    for n in (50, 200, 1000):
        folder = tempfile.mkdtemp()
        MyDigits(folder, mnist.x_test[:n].copy(), mnist.y_test[:n].astype(np.uint8)).save()
        view = MyDigitsView(folder)
        core = MyDigits.load(tempfile.mkdtemp() + "/core")
        core.images, core.labels = view.digits.images.copy(), view.digits.labels.copy()
        image = mnist.x_test[n]
        in_view, alone = [], []
        for _ in range(RUNS * 3):
            view._drawn = image  # noqa: SLF001 (the drawing, without a pad)
            in_view.append(timed(lambda view=view: view.add_drawing(3)))
            alone.append(timed(lambda core=core, image=image: core.add(image, 3)))
        a, b = statistics.median(in_view), statistics.median(alone)
        print(f"my digits, {n:>5} digits: one addition in the view {1000 * a:.1f} ms, core alone {1000 * b:.1f} ms")


def main() -> None:
    mnist = load_mnist()
    mydigits(mnist)
    robustness(mnist)


if __name__ == "__main__":
    main()
