"""Grab the README's Evaluation close-ups (docs/eval_*.png) after real homework runs, offscreen.

Run from the repository root with the project's venv:
    .venv/bin/python docs/eval_screenshots.py
Trains homework-multiclass and homework-binary, shows each model in an
EvaluationPanel of 1400x900 (side by side, as on a wide screen), clicks the
most confused cell, selects the first image, and saves the panel and its parts
(the eval_weights_*.png close-ups of the weights tab are not made here).
"""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication([])
import mlpgui.qt  # noqa: E402,F401  (pyqtgraph options)
from mlpgui.core.config import PRESETS  # noqa: E402
from mlpgui.core.data import load_mnist  # noqa: E402
from mlpgui.core.tasks import build_task  # noqa: E402
from mlpgui.core.training import Trainer  # noqa: E402
from mlpgui.qt.evaluation_panel import EvaluationPanel  # noqa: E402


def pump(ms):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


mnist = load_mnist()
for name, kind in (("homework-multiclass", "multiclass"), ("homework-binary", "binary")):
    config = PRESETS[name]
    task = build_task(config, mnist)
    trainer = Trainer(config, task)
    trainer.train()
    panel = EvaluationPanel()
    panel.resize(1400, 900)
    panel.show()
    panel.set_model(trainer.network, task)
    ev = panel.evaluation
    pump(500)
    confusion = ev.confusion.copy()
    np.fill_diagonal(confusion, -1)
    true_label, guess = np.unravel_index(np.argmax(confusion), confusion.shape)
    panel.confusion.matrix.click_cell(int(true_label), int(guess))
    view = panel.browser.view
    view.setCurrentIndex(view.model().index(0, 0))
    pump(500)
    panel.grab().save(f"docs/eval_panel_{kind}.png")
    panel.confusion.grab().save(f"docs/eval_confusion_{kind}.png")
    panel.browser.grab().save(f"docs/eval_browser_{kind}.png")
    if kind == "binary":
        panel.binary.set_threshold(0.3)
        pump(500)
        panel.grab().save("docs/eval_panel_threshold_binary.png")
        panel.binary.grab().save("docs/eval_threshold_binary.png")
    print(kind, f"{100 * ev.accuracy:.2f}%", "cell", (int(true_label), int(guess)))
    panel.close()
