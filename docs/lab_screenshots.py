"""Grab the screenshots of My digits, fine-tuning and the robustness curves after a real run, offscreen.

Run from the repository root with the project's venv:
    .venv/bin/python docs/lab_screenshots.py
Trains the homework multiclass network (784-256-10) for 8 epochs on 300
images per digit, draws twenty digits on the pad with the mouse (two of each,
labelled with the digit keys), and writes, at 1280x800:
    docs/mydigits.png             the My digits tab, one of them selected
    docs/mydigits-evaluation.png  the Evaluation tab on my digits
    docs/finetune.png             the fine-tune dialog after a run (k = 20, 3 epochs)
    docs/robustness.png           the Robustness tab, rotation, a point hovered
It prints the numbers it shows and the times it measured.
"""

import math
import sys
import tempfile
import time

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from window_driver import APP, pump, stroke, train, wait  # sets up the offscreen QApplication

from mlpgui.core.config import PRESETS  # noqa: E402
from mlpgui.qt.app import app_icon  # noqa: E402
from mlpgui.qt.main_window import MainWindow  # noqa: E402
from mlpgui.qt.settings import Settings  # noqa: E402

MULTI = PRESETS["homework-multiclass"].replace(per_class=300, epochs=8, lr=0.5, batch_size=50, scale="unit")


def arc(cx, cy, rx, ry, start, stop, step=15):
    sign = 1 if stop >= start else -1
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in range(start, stop + sign, sign * step)
    ]


# Each digit as strokes of a hand on the pad (fractions of its side; y grows downwards).
DIGITS = {
    0: [arc(0.5, 0.5, 0.2, 0.3, -90, 270)],
    1: [[(0.45, 0.25), (0.55, 0.18), (0.53, 0.82)]],
    2: [arc(0.5, 0.35, 0.18, 0.15, -180, 30) + [(0.3, 0.8), (0.72, 0.8)]],
    3: [arc(0.5, 0.33, 0.18, 0.14, -160, 90) + arc(0.5, 0.64, 0.21, 0.17, -90, 160)],
    4: [[(0.55, 0.2), (0.28, 0.6), (0.75, 0.6)], [(0.62, 0.38), (0.6, 0.85)]],
    5: [[(0.7, 0.2), (0.36, 0.2), (0.33, 0.47)] + arc(0.5, 0.63, 0.2, 0.18, -130, 150)],
    6: [[(0.62, 0.18), (0.42, 0.4)] + arc(0.5, 0.63, 0.18, 0.18, 180, 540)],
    7: [[(0.28, 0.22), (0.72, 0.22), (0.45, 0.82)]],
    8: [arc(0.5, 0.33, 0.16, 0.14, 90, 450) + arc(0.5, 0.64, 0.19, 0.17, -90, 270)],
    9: [arc(0.5, 0.36, 0.17, 0.15, 0, 360) + [(0.67, 0.4), (0.62, 0.83)]],
}


def slanted(strokes, slant: float, scale: float):
    """The same digit written a little slanted and smaller or larger, as a second try."""
    return [[(0.5 + (x - 0.5) * scale + slant * (0.5 - y), 0.5 + (y - 0.5) * scale) for x, y in s] for s in strokes]


def main() -> None:
    APP.setWindowIcon(app_icon())
    folder = tempfile.mkdtemp()
    window = MainWindow(Settings(QSettings(folder + "/s.ini", QSettings.Format.IniFormat)), data_dir=folder)
    window.resize(1280, 800)
    window.show()
    pump(300)
    train(window, MULTI)
    pad, mine = window.draw_pad, window.mydigits
    window.tabs.setCurrentIndex(2)
    pump(200)
    for version in (0, 1):
        for digit, strokes in DIGITS.items():
            pad.clear()
            for s in strokes if version == 0 else slanted(strokes, 0.25, 0.85):
                stroke(pad.canvas, s)
            pad.canvas.setFocus()
            QTest.keyClick(pad.canvas, Qt.Key(Qt.Key.Key_0.value + digit))  # labelled with its key
            pump(30)
    for s in slanted(DIGITS[4], -0.2, 0.95):  # one more on the pad, not added yet: the preview shows it
        stroke(pad.canvas, s)
    mine.select(len(mine.digits) - 3)
    pump(200)
    window.grab().save("docs/mydigits.png")
    print(mine.message(), mine.shown_counts())

    window.evaluate_on_my_digits()
    pump(800)
    ev = window.evaluation.evaluation
    window.grab().save("docs/mydigits-evaluation.png")
    print(f"my digits: {ev.size} evaluated, accuracy {100 * ev.accuracy:.1f}%")

    dialog = window.fine_tune()
    dialog.repeats.setValue(20)
    dialog.epochs.setValue(3)
    start = time.perf_counter()
    dialog.start()
    wait(lambda: not dialog.is_running())
    took = time.perf_counter() - start
    pump(200)
    dialog.grab().save("docs/finetune.png")
    r = dialog.result
    print(
        f"fine-tune (k=20, 3 epochs, {took:.1f} s): my digits {100 * r.before_mine:.1f}% -> {100 * r.after_mine:.1f}%, "
        f"test {100 * r.before_test:.2f}% -> {100 * r.after_test:.2f}%, {len(r.changed)} guesses changed"
    )
    dialog.reject()

    window.tabs.setCurrentIndex(3)
    pump(200)
    view = window.robustness
    start = time.perf_counter()
    view.compute()
    wait(lambda: not view.is_running())
    print(f"robustness on {view.sample_size()} test images: {time.perf_counter() - start:.1f} s")
    for kind, curve in view.curves.items():
        print(f"  {kind}: {view.summary(curve)}")
    view.show_kind("rotation")
    pump(100)
    spot = view.plot.mapFromScene(view.point_scene_pos(5))
    QTest.mouseMove(view.plot.viewport(), spot)
    pump(300)
    window.grab().save("docs/robustness.png")
    window.ask_to_save = lambda: "discard"
    window.close()


if __name__ == "__main__":
    main()
    sys.exit(0)
