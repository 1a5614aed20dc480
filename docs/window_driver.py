"""What the screenshot scripts in docs/ share: an offscreen QApplication, and driving a real window.

Importing it sets QT_QPA_PLATFORM=offscreen, points MLPGUI_HOME at a fresh
temporary folder (a script never records into the user's own history or
digits) and creates the QApplication, so import it before anything of Qt.
"""

import os
import tempfile
import time

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("MLPGUI_HOME", tempfile.mkdtemp())

from PySide6.QtCore import QEventLoop, QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

APP = QApplication.instance() or QApplication([])


def pump(ms: int) -> None:
    """Let the event loop run for `ms` milliseconds (workers report, views redraw)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait(condition, seconds: float = 120) -> None:
    """Run the event loop until `condition()` holds, or `seconds` have passed."""
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        pump(50)


def train(window, config) -> None:
    """Set the form to `config`, press Start and return when the run has finished."""
    window.panel.set_config(config)
    loop = QEventLoop()
    window.runFinished.connect(loop.quit)
    window.start_training()
    loop.exec()
    window.runFinished.disconnect(loop.quit)


def stroke(canvas, points) -> None:
    """Drag the mouse through `points` (fractions of the pad's square)."""
    side = min(canvas.width(), canvas.height())
    ox, oy = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    pos = [QPoint(round(ox + x * side), round(oy + y * side)) for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[0])
    for a, b in zip(pos, pos[1:], strict=False):
        for i in range(1, 9):
            QTest.mouseMove(canvas, a + (b - a) * (i / 8))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[-1])
