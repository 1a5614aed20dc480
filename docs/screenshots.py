"""Grab the README's window screenshots after real runs, offscreen.

Run from the repository root with the project's venv:
    .venv/bin/python docs/screenshots.py homework-multiclass 0.03 3 docs/window.png
    .venv/bin/python docs/screenshots.py homework-binary "" 7 docs/window-binary.png
Arguments: preset, an optional earlier run's learning rate (a faded curve),
the digit to draw (3 or 7), the output PNG. Also writes docs/window-first-start.png
and <output>-evaluation.png (the Evaluation tab after the run); with the digit 3,
docs/draw_pad.png (the draw pad's dock) too.
"""

import math
import sys
import tempfile

from PySide6.QtCore import QSettings  # noqa: E402
from window_driver import APP, pump, stroke, train  # sets up the offscreen QApplication

from mlpgui.core.config import PRESETS  # noqa: E402
from mlpgui.qt.app import app_icon  # noqa: E402
from mlpgui.qt.main_window import MainWindow  # noqa: E402
from mlpgui.qt.settings import Settings  # noqa: E402


def digit_points(digit: str) -> list[tuple[float, float]]:
    if digit == "3":
        top = [
            (0.5 + 0.2 * math.cos(math.radians(a)), 0.33 + 0.15 * math.sin(math.radians(a)))
            for a in range(-160, 91, 15)
        ]
        bottom = [
            (0.5 + 0.22 * math.cos(math.radians(a)), 0.63 + 0.17 * math.sin(math.radians(a)))
            for a in range(-90, 161, 15)
        ]
        return top + bottom
    return [(0.3, 0.22), (0.5, 0.22), (0.45, 0.48), (0.38, 0.78)]


def main(argv: list[str]) -> None:
    preset = argv[1] if len(argv) > 1 else "homework-multiclass"
    earlier_lr = argv[2] if len(argv) > 2 else ""
    digit = argv[3] if len(argv) > 3 else "3"
    out = argv[4] if len(argv) > 4 else "docs/window.png"

    APP.setWindowIcon(app_icon())
    folder = tempfile.mkdtemp()
    window = MainWindow(Settings(QSettings(folder + "/s.ini", QSettings.Format.IniFormat)), data_dir=folder)
    window.resize(1280, 800)
    window.show()
    pump(300)
    window.grab().save("docs/window-first-start.png")

    base = PRESETS[preset]
    if earlier_lr:
        train(window, base.replace(lr=float(earlier_lr)))
    train(window, base)
    pump(400)
    stroke(window.draw_pad.canvas, digit_points(digit))
    pump(500)
    window.grab().save(out)
    if digit == "3":
        window.draw_dock.grab().save("docs/draw_pad.png")
    window.tabs.setCurrentIndex(1)
    pump(800)
    window.grab().save(out.replace(".png", "-evaluation.png"))
    window.tabs.setCurrentIndex(0)
    print(window.model_state(), "|", window.dataset_status.text(), "|", window.draw_pad.guess_label.text())
    window.ask_to_save = lambda: "discard"
    window.close()


if __name__ == "__main__":
    main(sys.argv)
