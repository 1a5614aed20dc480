"""Fixtures of the window tests: modal dialogs answered without blocking, a data folder, shown windows."""

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.settings import Settings


@pytest.fixture
def dialogs(monkeypatch):
    """Record warnings instead of showing them; answer 'Discard' when asked to save."""
    shown = {"warning": [], "question": []}

    def warning(parent, title, text, *args, **kwargs):
        shown["warning"].append((title, text))
        return QMessageBox.StandardButton.Ok

    def question(parent, title, text, *args, **kwargs):
        shown["question"].append((title, text))
        return shown.get("answer", QMessageBox.StandardButton.Discard)

    def exec_(box):  # the quit question is a QMessageBox of its own (its buttons have mnemonics)
        shown["question"].append((box.windowTitle(), box.text()))
        shown.setdefault("buttons", []).append([b.text() for b in box.buttons()])
        return shown.get("answer", QMessageBox.StandardButton.Discard)

    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return shown


@pytest.fixture
def home(tmp_path, monkeypatch):
    """The data folder of this test's windows (and MLPGUI_HOME, for anything that asks for it)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("MLPGUI_HOME", str(folder))
    return folder


@pytest.fixture
def open_window(qtbot, tmp_path, mnist):
    """open_window(data_dir=None): a shown MainWindow on the shipped MNIST, its data in `data_dir`
    (default tmp_path/data). Every window of a test shares one settings file, so a second window
    reads what the first one saved."""

    def open_(data_dir=None):
        settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings, data_dir=data_dir or tmp_path / "data", mnist=mnist)
        qtbot.addWidget(window)
        with qtbot.waitExposed(window):
            window.show()
        return window

    return open_
