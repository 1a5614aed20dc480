"""Grab the screenshots of "Why this guess?", "One sample, one step" and "Not sure" after real runs, offscreen.

Run from the repository root with the project's venv:
    .venv/bin/python docs/explain_screenshots.py
Trains the homework multiclass network (784-256-10) for 8 epochs on 300
images per digit, draws a 3 and writes, at 1280x800:
    docs/explain-pad.png          the window, "Why this guess?" open under the draw pad
    docs/explain-pad-target.png   the draw dock explaining another digit ("what would make this an 8?")
    docs/explain-not-sure.png     the draw dock answering "not sure" below its threshold
    docs/explain-browser.png      the Evaluation tab, "Why?" on the browser's first mistake
    docs/explain-one-step.png     the Evaluation tab, "One sample, one step" for that image
    docs/explain-reject-curve.png the Evaluation tab, the reject curve with the threshold marked
then trains a 5-vs-8 network and writes docs/explain-binary-pad.png (the draw dock).
"""

import math
import sys
import tempfile

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from window_driver import APP, pump, stroke, train  # sets up the offscreen QApplication

from mlpgui.core.config import PRESETS  # noqa: E402
from mlpgui.qt.app import app_icon  # noqa: E402
from mlpgui.qt.main_window import MainWindow  # noqa: E402
from mlpgui.qt.settings import Settings  # noqa: E402

MULTI = PRESETS["homework-multiclass"].replace(per_class=300, epochs=8, lr=0.5, batch_size=50, scale="unit")
BINARY = PRESETS["homework-binary"].replace(per_class=500, epochs=20, lr=0.5, batch_size=50, scale="unit")


def three() -> list[tuple[float, float]]:
    top = [
        (0.5 + 0.2 * math.cos(math.radians(a)), 0.33 + 0.15 * math.sin(math.radians(a))) for a in range(-160, 91, 15)
    ]
    bottom = [
        (0.5 + 0.22 * math.cos(math.radians(a)), 0.63 + 0.17 * math.sin(math.radians(a))) for a in range(-90, 161, 15)
    ]
    return top + bottom


def doubtful_image(window: MainWindow) -> tuple[np.ndarray, float]:
    """The first test image the model guesses with 55-85% confidence."""
    ev = window.evaluation.evaluation
    i = int(np.flatnonzero((ev.confidence > 0.55) & (ev.confidence < 0.85))[0])
    return ev.images[i], float(ev.confidence[i])


def main() -> None:
    APP.setWindowIcon(app_icon())
    folder = tempfile.mkdtemp()
    window = MainWindow(Settings(QSettings(folder + "/s.ini", QSettings.Format.IniFormat)), data_dir=folder)
    window.resize(1280, 800)
    window.show()
    pump(300)
    train(window, MULTI)
    pad = window.draw_pad
    pad.set_why_shown(True)
    pump(200)
    stroke(pad.canvas, three())
    pump(400)
    window.grab().save("docs/explain-pad.png")
    pad.why.set_target(8)
    pump(100)
    window.draw_dock.grab().save("docs/explain-pad-target.png")
    pad.why.set_target(None)

    image, confidence = doubtful_image(window)
    pad.set_image(image)
    pad.set_reject_threshold(math.ceil(100 * confidence + 5) / 100)
    pump(200)
    window.draw_dock.grab().save("docs/explain-not-sure.png")

    window.tabs.setCurrentIndex(1)
    pump(500)
    evaluation, browser = window.evaluation, window.evaluation.browser
    browser.select_row(0)
    browser.set_why_shown(True)
    pump(200)
    page = window.tabs.currentWidget()
    page.ensureWidgetVisible(browser.why.sum_label)
    pump(200)
    window.grab().save("docs/explain-browser.png")
    page.verticalScrollBar().setValue(0)
    evaluation.tabs.setCurrentWidget(window.one_step)
    pump(300)
    window.grab().save("docs/explain-one-step.png")
    evaluation.tabs.setCurrentWidget(window.reject_view)
    pump(300)
    window.grab().save("docs/explain-reject-curve.png")
    print(window.model_state(), "|", pad.message())

    pad.set_reject_threshold(0)
    window.tabs.setCurrentIndex(0)
    train(window, BINARY)
    pad.clear()
    pump(100)
    stroke(pad.canvas, three())
    pump(400)
    window.draw_dock.grab().save("docs/explain-binary-pad.png")
    print(window.model_state(), "|", pad.message())
    window.ask_to_save = lambda: "discard"
    window.close()


if __name__ == "__main__":
    main()
    sys.exit(0)
