"""Accessible names for every control, so screen readers (and tests) can tell them apart.

Qt names a button after its text, but spin boxes, combo boxes, line edits,
sliders and views have no name of their own: each gets its form label (the
QLabel whose buddy it is), else its text, else the first line of its tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QGraphicsView,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QWidget,
)


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def name_controls(root: QWidget) -> None:
    """Give every keyboard-focusable widget under `root` without an accessible name one."""
    buddies = {}
    for label in root.findChildren(QLabel):
        if label.buddy() is not None and label.text():
            buddies[label.buddy()] = _plain(label.text())
    for widget in root.findChildren(QWidget):
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or widget.accessibleName():
            continue
        if isinstance(widget.parentWidget(), QAbstractSpinBox | QComboBox):
            widget.setAccessibleName(widget.parentWidget().accessibleName() or buddies.get(widget.parentWidget(), ""))
            continue  # the editor inside a spin box or combo box is named by its box
        name = buddies.get(widget) or (_plain(widget.text()) if isinstance(widget, QAbstractButton) else "")
        if not name and widget.toolTip():
            name = widget.toolTip().splitlines()[0]
        if not name and widget.windowTitle():
            name = widget.windowTitle()
        if not name:  # a container: what it is, and where
            name = f"{_where(widget)} {_kind(widget)}".strip()
        widget.setAccessibleName(name)


def _kind(widget: QWidget) -> str:
    for cls, kind in (
        (QTabBar, "tabs"),
        (QTabWidget, "views"),
        (QScrollArea, "scrolling area"),
        (QComboBox, "choice"),
        (QAbstractSlider, "slider"),
        (QAbstractItemView, "list"),
        (QGraphicsView, "plot"),
    ):
        if isinstance(widget, cls):
            return kind
    return "area"


def _where(widget: QWidget) -> str:
    """The title of the dock or the tab the widget is in ('' in the window itself)."""
    child, parent = widget, widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QDockWidget):
            return parent.windowTitle()
        if isinstance(parent, QTabWidget) and parent.indexOf(child) >= 0:
            return _plain(parent.tabText(parent.indexOf(child)))
        if isinstance(parent, QStackedWidget) and isinstance(parent.parentWidget(), QTabWidget):
            tabs = parent.parentWidget()
            return _plain(tabs.tabText(tabs.indexOf(child))) if tabs.indexOf(child) >= 0 else ""
        child, parent = parent, parent.parentWidget()
    return ""
