"""Grab the README's window screenshots after real runs, offscreen.

Run from the repository root with the project's venv:
    .venv/bin/python docs/screenshots.py homework-multiclass 0.03 3 docs/window.png
    .venv/bin/python docs/screenshots.py homework-binary "" 7 docs/window-binary.png
Arguments: preset, an optional earlier run's learning rate (a faded curve),
the digit to draw (3 or 7), the output PNG. Also writes docs/window-first-start.png
and <output>-evaluation.png (the Evaluation tab after the run).
"""
import os, sys, time, tempfile, math
os.environ["QT_QPA_PLATFORM"]="offscreen"
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QSettings, QEventLoop, QTimer, QPoint, Qt
from PySide6.QtTest import QTest
app = QApplication([])
from mlpgui.qt.app import app_icon
app.setWindowIcon(app_icon())
from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.settings import Settings
from mlpgui.core.config import PRESETS
d = tempfile.mkdtemp()
w = MainWindow(Settings(QSettings(d+"/s.ini", QSettings.Format.IniFormat)), data_dir=d)
w.resize(1280, 800); w.show()
def pump(ms):
    loop = QEventLoop(); QTimer.singleShot(ms, loop.quit); loop.exec()
pump(300)
w.grab().save("docs/window-first-start.png")
def run(config):
    w.panel.set_config(config)
    loop = QEventLoop(); w.runFinished.connect(loop.quit)
    w.panel.start_button.click(); loop.exec(); w.runFinished.disconnect(loop.quit)
preset = sys.argv[1] if len(sys.argv) > 1 else "homework-multiclass"
base = PRESETS[preset]
if len(sys.argv) > 2 and sys.argv[2]:
    run(base.replace(lr=float(sys.argv[2])))
run(base)
pump(400)
canvas = w.draw_pad.canvas
def stroke(points):
    side = min(canvas.width(), canvas.height())
    ox, oy = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    pos = [QPoint(round(ox + x * side), round(oy + y * side)) for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[0])
    for a, b in zip(pos, pos[1:]):
        for i in range(1, 9):
            QTest.mouseMove(canvas, a + (b - a) * (i / 8))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[-1])
digit = sys.argv[3] if len(sys.argv) > 3 else "3"
if digit == "3":
    pts = [(0.5 + 0.2*math.cos(math.radians(a)), 0.33 + 0.15*math.sin(math.radians(a))) for a in range(-160, 91, 15)]
    pts += [(0.5 + 0.22*math.cos(math.radians(a)), 0.63 + 0.17*math.sin(math.radians(a))) for a in range(-90, 161, 15)]
    stroke(pts)
else:
    stroke([(0.3, 0.22), (0.5, 0.22), (0.45, 0.48), (0.38, 0.78)])
pump(500)
out = sys.argv[4] if len(sys.argv) > 4 else "docs/window.png"
w.grab().save(out)
w.tabs.setCurrentIndex(1)
pump(800)
w.grab().save(out.replace(".png", "-evaluation.png"))
w.tabs.setCurrentIndex(0)
print(w.model_state(), "|", w.dataset_status.text(), "|", w.draw_pad.guess_label.text())
w._unsaved = False
w.close()
