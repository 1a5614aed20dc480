"""Two runs side by side: their settings, with every difference highlighted, and what each achieved.

The settings rows are what decides a run (with the data, a config reproduces
its curve); a row whose values differ is highlighted, and "Only differences"
hides the others. The results rows below are shown for reading, not marked:
two runs' results nearly always differ.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlpgui.core.runstore import RunRecord

DIFFERENT = QColor("#ffe08a")
SECTION = QColor("#ececec")
FIELD_ROLE = Qt.ItemDataRole.UserRole + 1

# (key, label): the settings that decide a run, in the experiment form's order.
SETTINGS = (
    ("task", "task"),
    ("digits", "digits"),
    ("per_class", "images per class"),
    ("hidden", "hidden units"),
    ("epochs", "epochs"),
    ("lr", "learning rate"),
    ("batch_size", "batch size"),
    ("scale", "input scale"),
    ("dtype", "precision"),
    ("seed", "seed"),
    ("data_source", "data"),
)
RESULTS = (
    ("status", "status"),
    ("epochs_done", "epochs done"),
    ("final_loss", "training loss"),
    ("final_train_accuracy", "training accuracy"),
    ("final_test_loss", "test loss"),
    ("final_test_accuracy", "test accuracy"),
    ("started", "started"),
    ("source", "recorded by"),
    ("tags", "tags"),
    ("sweep_id", "sweep"),
)


def setting_text(record: RunRecord, key: str) -> str:
    c = record.config
    if key == "data_source":
        return record.data_source
    if key == "digits":
        return f"{c.digits[0]} / {c.digits[1]}" if c.task == "binary" else "all ten"
    if key == "per_class":
        return "all" if c.per_class == 0 else str(c.per_class)
    if key == "batch_size":
        return "full batch" if c.batch_size == 0 else str(c.batch_size)
    if key == "lr":
        return f"{c.lr:g}"
    return str(getattr(c, key))


def result_text(record: RunRecord, key: str) -> str:
    value = getattr(record, key)
    if value is None:
        return ""
    if key in ("final_train_accuracy", "final_test_accuracy"):
        return f"{100 * value:.2f}%"
    if key in ("final_loss", "final_test_loss"):
        return f"{value:.5g}"
    if key == "started":
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if key == "tags":
        return ", ".join(value)
    return str(value)


class RunCompareDialog(QDialog):
    """Run a (older) and run b side by side."""

    def __init__(self, a: RunRecord, b: RunRecord, parent: QWidget | None = None):
        super().__init__(parent)
        self.a, self.b = a, b
        self.setWindowTitle(f"Compare {a.name} and {b.name}")
        differing = [key for key, _label in SETTINGS if setting_text(a, key) != setting_text(b, key)]
        summary = (
            f"{len(differing)} setting{'s' if len(differing) != 1 else ''} differ, highlighted"
            if differing
            else "Same settings (and data): the runs differ only in when they ran"
        )
        self.summary = QLabel(summary)
        self.only_differences = QCheckBox("Only differences")
        self.only_differences.setToolTip("Hide the settings both runs share")
        self.only_differences.toggled.connect(self._show_rows)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["", a.name, b.name])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        self._section("settings")
        for key, label in SETTINGS:
            self._row(key, label, setting_text(a, key), setting_text(b, key), key in differing)
        self._section("results")
        for key, label in RESULTS:
            self._row(key, label, result_text(a, key), result_text(b, key), False)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.only_differences)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.resize(560, min(rows + 170, 640))

    def _section(self, title: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        item = QTableWidgetItem(title)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.table.setItem(row, 0, item)
        self.table.setSpan(row, 0, 1, 3)
        item.setBackground(QBrush(SECTION))

    def _row(self, key: str, label: str, left: str, right: str, different: bool) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, text in enumerate((label, left, right)):
            item = QTableWidgetItem(text)
            item.setData(FIELD_ROLE, key)
            item.setToolTip(text)
            if different:
                item.setBackground(QBrush(DIFFERENT))
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, column, item)

    def _show_rows(self, only: bool) -> None:
        settings = {key for key, _label in SETTINGS}
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 1)
            if item is None:
                continue
            key = item.data(FIELD_ROLE)
            self.table.setRowHidden(row, only and key in settings and not self._highlighted(row))

    def _highlighted(self, row: int) -> bool:
        return self.table.item(row, 1).background().color() == DIFFERENT

    def highlighted_fields(self) -> list[str]:
        """The keys of the rows shown as different, top to bottom (what the user sees marked)."""
        return [
            self.table.item(row, 1).data(FIELD_ROLE)
            for row in range(self.table.rowCount())
            if self.table.item(row, 1) is not None and self._highlighted(row)
        ]
