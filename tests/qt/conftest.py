"""Fixtures of the window tests: modal dialogs answered without blocking."""

import pytest
from PySide6.QtWidgets import QMessageBox


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
