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

    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(QMessageBox, "question", question)
    return shown
