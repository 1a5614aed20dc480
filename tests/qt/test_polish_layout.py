"""What a user sees at common screen sizes: nothing cut, nothing too small to read."""

import pytest
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtWidgets import QScrollArea

from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.settings import Settings

SIZES = [(1024, 700), (1280, 800), (1920, 1080)]


@pytest.fixture
def window(qtbot, tmp_path, mnist, dialogs):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, data_dir=tmp_path / "data", mnist=mnist)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    return window


def _resized(qtbot, window, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0] and window.height() == size[1], timeout=3000)
    qtbot.waitUntil(lambda: window.centralWidget().width() >= window.width() // 2, timeout=3000)
    qtbot.wait(50)  # the docks' deferred narrowing


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_experiment_dock_shows_its_whole_form_and_the_centre_keeps_half(qtbot, window, size):
    _resized(qtbot, window, size)
    panel = window.panel
    scroll = panel.findChild(QScrollArea)
    viewport = scroll.viewport()
    assert scroll.horizontalScrollBar().maximum() == 0
    assert scroll.widget().width() <= viewport.width(), "the form is wider than the dock shows"
    controls = [*panel.fields.values(), panel.preset_combo, panel.start_button, panel.pause_button, panel.stop_button]
    for widget in controls:
        right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
        assert right <= viewport.width(), f"{widget.accessibleName() or widget.text()} is cut on the right"
    assert window.centralWidget().width() >= window.width() // 2
    assert window.experiment_dock.isVisible() and window.draw_dock.isVisible()
