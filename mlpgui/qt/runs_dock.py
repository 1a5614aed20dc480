"""The Runs dock: every recorded run in a table to sort, filter, tick, tag, compare, export and delete.

The table is a `RunsModel` (QAbstractTableModel over the store's `RunRecord`s)
behind a `RunsFilter` (QSortFilterProxyModel: free text over every column,
plus a status), so sorting and filtering never touch the store. Ticking a run
overlays its training loss on the loss plot (`overlayAdded` / `overlayRemoved`,
read from the store, so ticked runs outlive the window). Delete is a soft
delete in the store: "Undo delete" (or Ctrl+Z in the table) brings the runs
back, and only closing the window (`shutdown`) purges them.

The panel reads and writes the store on the GUI thread: each call is one
short SQLite query, and the table is rebuilt only when the records changed.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import MlpguiError
from mlpgui.core.runstore import STATUSES, RunRecord, RunStore

from .run_compare import RunCompareDialog

TICK, NAME, DATE, TASK, SETTINGS, ACCURACY, STATUS, TAGS = range(8)
HEADERS = ("", "run", "date", "task", "settings", "test acc.", "status", "tags")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_TICKED = 10  # the loss plot overlays at most this many runs (the oldest tick goes first)
REFRESH_MS = 3000  # while visible, the table follows runs recorded elsewhere (a CLI run, another window)
NOTE_SAVE_MS = 800  # a note is saved this long after the last keystroke
STATUS_COLORS = {"running": "#1f77b4", "stopped": "#8a6d00", "diverged": "#b00020", "failed": "#b00020"}
ANY_STATUS = "any status"


def task_text(config: TrainConfig) -> str:
    return f"binary {config.digits[0]}/{config.digits[1]}" if config.task == "binary" else "multiclass"


def settings_text(config: TrainConfig) -> str:
    """The settings a learner varies, shortest first: 'H 256, lr 0.1, full batch, n=1000, 150 ep, raw, float64'."""
    batch = "full batch" if config.batch_size == 0 else f"batch {config.batch_size}"
    n = "all" if config.per_class == 0 else str(config.per_class)
    return (
        f"H {config.hidden}, lr {config.lr:g}, {batch}, n={n}, {config.epochs} ep, "
        f"{config.scale}, {config.dtype}, seed {config.seed}"
    )


def parse_tags(text: str) -> tuple[str, ...]:
    """'baseline, lr sweep, baseline' -> ('baseline', 'lr', 'sweep'): a tag is one word (as the store
    keeps them), separated by commas or spaces, without repeats."""
    tags = []
    for tag in text.replace(",", " ").split():
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags)


class RunsModel(QAbstractTableModel):
    """The runs as rows; the first column's check box ticks a run for the loss plot."""

    tickToggled = Signal(int, bool)  # (run id, ticked)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._records: list[RunRecord] = []
        self._ticked: list[int] = []  # run ids, in the order they were ticked

    # -- the data --------------------------------------------------------------------------

    def set_records(self, records: list[RunRecord]) -> bool:
        """Show `records`; False (and nothing redrawn) when they are what the table shows already."""
        if records == self._records:
            return False
        self.beginResetModel()
        self._records = list(records)
        self.endResetModel()
        return True

    def records(self) -> list[RunRecord]:
        return list(self._records)

    def record(self, row: int) -> RunRecord:
        return self._records[row]

    def find(self, run_id: int) -> RunRecord | None:
        return next((r for r in self._records if r.id == run_id), None)

    def row_of(self, run_id: int) -> int | None:
        return next((i for i, r in enumerate(self._records) if r.id == run_id), None)

    def ticked(self) -> list[int]:
        return list(self._ticked)

    def set_ticked(self, run_id: int, on: bool) -> None:
        if on == (run_id in self._ticked):
            return
        if on:
            self._ticked.append(run_id)
        else:
            self._ticked.remove(run_id)
        row = self.row_of(run_id)
        if row is not None:
            index = self.index(row, TICK)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.tickToggled.emit(run_id, on)

    # -- QAbstractTableModel --------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == TICK:
            return "Tick a run to overlay its training loss on the loss plot"
        return None

    def flags(self, index):
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == TICK:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, column = self._records[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, column)
        if role == SORT_ROLE:
            return self._sort_key(r, column)
        if role == Qt.ItemDataRole.CheckStateRole and column == TICK:
            return Qt.CheckState.Checked if r.id in self._ticked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r)
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS and r.status in STATUS_COLORS:
            return QColor(STATUS_COLORS[r.status])
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ACCURACY:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if index.isValid() and index.column() == TICK and role == Qt.ItemDataRole.CheckStateRole:
            self.set_ticked(self._records[index.row()].id, Qt.CheckState(value) == Qt.CheckState.Checked)
            return True
        return False

    @staticmethod
    def _text(r: RunRecord, column: int) -> str:
        if column == NAME:
            return r.name
        if column == DATE:
            return r.started.astimezone().strftime("%d %b %H:%M")
        if column == TASK:
            return task_text(r.config)
        if column == SETTINGS:
            return settings_text(r.config)
        if column == ACCURACY:
            return "" if r.final_test_accuracy is None else f"{100 * r.final_test_accuracy:.2f}%"
        if column == STATUS:
            if r.status in ("running", "stopped", "diverged", "interrupted"):
                return f"{r.status} ({r.epochs_done}/{r.config.epochs})"
            return r.status
        if column == TAGS:
            return ", ".join(r.tags)
        return ""

    @staticmethod
    def _sort_key(r: RunRecord, column: int):
        if column in (TICK, NAME):
            return r.id
        if column == DATE:
            return r.started.timestamp()
        if column == ACCURACY:
            return -1.0 if r.final_test_accuracy is None else r.final_test_accuracy
        return RunsModel._text(r, column).lower()

    @staticmethod
    def _tooltip(r: RunRecord) -> str:
        lines = [f"{r.name}: {r.config.describe()}, {r.config.epochs} epochs, seed {r.config.seed}"]
        lines.append(f"data: {r.data_source}; from the {r.source}")
        if r.sweep_id:
            lines.append(f"sweep: {r.sweep_id}")
        if r.note:
            lines.append(f"note: {r.note}")
        return "\n".join(lines)


class RunsFilter(QSortFilterProxyModel):
    """Rows whose text contains the filter (any column, any case) and whose status is the one chosen."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._status: str | None = None
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortRole(SORT_ROLE)

    def set_status(self, status: str | None) -> None:
        self.beginFilterChange()
        self._status = status
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row, parent) -> bool:
        if self._status is not None and self.sourceModel().record(row).status != self._status:
            return False
        return super().filterAcceptsRow(row, parent)


class RunsPanel(QWidget):
    """The Runs dock's contents. Works without a store too: then it says why nothing is listed."""

    overlayAdded = Signal(int, object, object)  # (run id, TrainConfig, list[EpochReport]) to overlay
    overlayRemoved = Signal(int)  # run id
    openRequested = Signal(str)  # a run's model file
    runAgainRequested = Signal(object)  # TrainConfig
    failed = Signal(str, str)  # (title, message)
    notice = Signal(str)  # a passing status-bar message

    def __init__(self, store: RunStore | None, problem: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self._deleted: list[tuple[list[int], list[int]]] = []  # undo stack: (run ids, the ticked among them)
        self._current_run: int | None = None  # this window's run in progress (or last run)
        self._auto_ticked: int | None = None  # the run ticked because the next one started
        self._editing: int | None = None  # the run whose tags and note the editor shows
        self.compare_dialog: RunCompareDialog | None = None
        self._build(problem)
        self.refresh()

    def _build(self, problem: str | None) -> None:
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #8a1c00;")
        self.problem_label.setVisible(False)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: task, settings, tag, status...")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setToolTip("Show only the runs whose row contains this text")
        self.status_combo = QComboBox()
        self.status_combo.addItems([ANY_STATUS, *STATUSES])
        self.status_combo.setToolTip("Show only the runs that ended this way")
        self.count_label = QLabel()

        self.model = RunsModel(self)
        self.model.tickToggled.connect(self._tick_toggled)
        self.proxy = RunsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.status_combo.currentTextChanged.connect(self._filter_changed)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(SETTINGS, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        char = self.fontMetrics().averageCharWidth()
        for column, chars in ((TICK, 3), (NAME, 8), (DATE, 13), (TASK, 12), (ACCURACY, 10), (STATUS, 16), (TAGS, 14)):
            self.table.setColumnWidth(column, chars * char + 12)
        self.table.setToolTip("Recorded runs: tick to overlay on the loss plot, double-click to open the model")
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.installEventFilter(self)

        def button(text, slot, tip):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(lambda _checked=False: slot())
            return b

        self.open_button = button("Open", self.open_selected, "Make the selected run's model the current one")
        self.again_button = button(
            "Run again", self.run_again, "Train a fresh network with the selected run's settings"
        )
        self.compare_button = button("Compare", self.compare_selected, "The two selected runs' settings side by side")
        self.export_button = button(
            "Export...", self.export_csv, "The selected runs' curves in one CSV table (run, epoch, metric, value)"
        )
        self.delete_button = button(
            "Delete", self.delete_selected, "Delete the selected runs (Undo delete brings them back)"
        )
        self.undo_button = button("Undo", self.undo_delete, "Bring back the runs deleted last (Ctrl+Z)")

        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("e.g. baseline, lr")
        self.tags_edit.setToolTip("Tags of the selected run, separated by commas (saved when you press Enter or leave)")
        self.tags_edit.editingFinished.connect(self._save_edits)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText("A note about the selected run")
        self.note_edit.setToolTip("A note about the selected run (saved as you type)")
        self.note_edit.setTabChangesFocus(True)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_SAVE_MS)
        self._note_timer.timeout.connect(self._save_edits)
        self.note_edit.textChanged.connect(self._note_typed)
        self.note_edit.installEventFilter(self)

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.status_combo)
        top.addWidget(self.count_label)

        buttons = QGridLayout()
        for i, b in enumerate(
            (
                self.open_button,
                self.again_button,
                self.compare_button,
                self.export_button,
                self.delete_button,
                self.undo_button,
            )
        ):
            buttons.addWidget(b, i // 2, i % 2)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        tags_label, note_label = QLabel("&Tags:"), QLabel("&Note:")
        tags_label.setBuddy(self.tags_edit)
        note_label.setBuddy(self.note_edit)
        form.addRow(tags_label, self.tags_edit)
        form.addRow(note_label, self.note_edit)
        side = QVBoxLayout()
        side.addLayout(buttons)
        side.addLayout(form, 1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side.setContentsMargins(0, 0, 0, 0)
        side_widget.setMaximumWidth(24 * char + 40)

        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addWidget(side_widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.problem_label)
        layout.addLayout(top)
        layout.addLayout(body, 1)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self.set_problem(problem)

    # -- the store -----------------------------------------------------------------------------

    def set_problem(self, problem: str | None) -> None:
        """Say why runs are not recorded (None: all is well)."""
        if problem:
            self.problem_label.setText(problem[:1].upper() + problem[1:])
        self.problem_label.setVisible(bool(problem))
        self._sync_buttons()

    def refresh(self) -> None:
        """Read the runs again; the table changes only if they did (selection and ticks are kept)."""
        if self.store is None:
            return
        try:
            records = self.store.runs()
        except MlpguiError as e:
            self.set_problem(f"can't read the runs: {e}")
            return
        selected = self.selected_ids()
        if not self.model.set_records(records):
            return
        present = {r.id for r in records}
        for run_id in self.model.ticked():
            if run_id not in present:  # deleted elsewhere
                self.model.set_ticked(run_id, False)
        self.select(selected)
        self._show_count()
        self._show_edits()

    def on_run_recorded(self, run_id: int) -> None:
        """The window's session recorded a run's start or end.

        When a new run starts, the one before it is ticked so its curve stays on the
        plot; if the new run ends without an epoch, that tick is taken back (the plot
        shows the run before as current again)."""
        self.refresh()
        record = self.model.find(run_id)
        if run_id != self._current_run:  # a new run has started
            previous, self._current_run, self._auto_ticked = self._current_run, run_id, None
            before = self.model.find(previous) if previous is not None else None
            if before is not None and before.epochs_done > 0 and previous not in self.model.ticked():
                self.tick(previous)
                self._auto_ticked = previous
        elif record is not None and record.status != "running" and record.epochs_done == 0:
            if self._auto_ticked is not None:
                self._current_run = self._auto_ticked
                self.tick(self._auto_ticked, False)
                self._auto_ticked = None

    def shutdown(self) -> None:
        """The window is closing: save what is typed, purge the deleted runs, let go of the store."""
        self._refresh_timer.stop()
        self._save_edits()
        self.purge_deleted()
        self.store = None

    # -- ticks: overlays on the loss plot ------------------------------------------------------------

    def tick(self, run_id: int, on: bool = True) -> None:
        self.model.set_ticked(run_id, on)

    def untick_all(self) -> None:
        for run_id in self.model.ticked():
            self.model.set_ticked(run_id, False)

    def _tick_toggled(self, run_id: int, on: bool) -> None:
        if not on:
            self.overlayRemoved.emit(run_id)
            return
        record = self.model.find(run_id)
        try:
            reports = self.store.epochs(run_id) if self.store is not None and record is not None else None
        except MlpguiError as e:
            reports = None
            self.failed.emit("Can't read the run", str(e))
        if reports is None:
            self.model.set_ticked(run_id, False)
            return
        self.overlayAdded.emit(run_id, record.config, reports)
        ticked = self.model.ticked()
        for old in ticked[: max(0, len(ticked) - MAX_TICKED)]:
            self.model.set_ticked(old, False)

    # -- selection ------------------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The selected runs' ids, in the table's order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.record(self.proxy.mapToSource(self.proxy.index(r, 0)).row()).id for r in rows]

    def selected_records(self) -> list[RunRecord]:
        return [r for r in (self.model.find(i) for i in self.selected_ids()) if r is not None]

    def select(self, run_ids) -> None:
        """Select these runs (those the filter shows) and scroll to the first."""
        selection = self.table.selectionModel()
        selection.clearSelection()
        first = None
        for run_id in run_ids:
            row = self.model.row_of(run_id)
            if row is None:
                continue
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if not index.isValid():
                continue
            flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            selection.select(index, flags)
            first = first or index
        if first is not None:
            self.table.scrollTo(first)
            selection.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)

    def show_run(self, run_id: int) -> None:
        """Select a run picked elsewhere (a sweep's plot), clearing a filter that hides it."""
        self.refresh()
        row = self.model.row_of(run_id)
        if row is not None and not self.proxy.mapFromSource(self.model.index(row, 0)).isValid():
            self.filter_edit.clear()
            self.status_combo.setCurrentText(ANY_STATUS)
        self.select([run_id])

    def _selection_changed(self, *_args) -> None:
        self._save_edits()
        self._show_edits()
        self._sync_buttons()

    def _filter_changed(self, *_args) -> None:
        status = self.status_combo.currentText()
        self.proxy.set_status(None if status == ANY_STATUS else status)
        self.proxy.setFilterFixedString(self.filter_edit.text().strip())
        self._show_count()

    def _show_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{total} runs" if shown == total else f"{shown} of {total} runs")

    def _sync_buttons(self) -> None:
        records = self.selected_records()
        ok = self.store is not None
        one = ok and len(records) == 1
        self.open_button.setEnabled(one and records[0].model_path is not None)
        self.again_button.setEnabled(one)
        self.compare_button.setEnabled(ok and len(records) == 2)
        self.export_button.setEnabled(ok and bool(records))
        self.delete_button.setEnabled(ok and bool(records) and all(r.status != "running" for r in records))
        self.undo_button.setEnabled(ok and bool(self._deleted))
        self.tags_edit.setEnabled(one)
        self.note_edit.setEnabled(one)

    # -- tags and note ------------------------------------------------------------------------------

    def _show_edits(self) -> None:
        records = self.selected_records()
        record = records[0] if len(records) == 1 else None
        if (
            record is not None
            and record.id == self._editing
            and (self.tags_edit.hasFocus() or self.note_edit.hasFocus())
        ):
            return  # the user is typing here: a refresh must not undo it
        self._editing = record.id if record is not None else None
        self.tags_edit.setText(", ".join(record.tags) if record is not None else "")
        blocked = self.note_edit.blockSignals(True)
        self.note_edit.setPlainText(record.note if record is not None else "")
        self.note_edit.blockSignals(blocked)

    def _note_typed(self) -> None:
        self._note_timer.start()

    def _save_edits(self) -> None:
        """Write the edited tags and note of the run the editor shows, if they changed."""
        self._note_timer.stop()
        record = self.model.find(self._editing) if self._editing is not None else None
        if record is None or self.store is None:
            return
        tags, note = parse_tags(self.tags_edit.text()), self.note_edit.toPlainText()
        try:
            if note != record.note:
                self.store.set_note(record.id, note)
            if tags != tuple(record.tags):
                self.store.set_tags(record.id, tags)
        except MlpguiError as e:
            self.failed.emit("Can't save the tags and note", str(e))
            return
        if tags != tuple(record.tags) or note != record.note:
            self.refresh()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.note_edit and event.type() == QEvent.Type.FocusOut:
            self._save_edits()
        elif watched is self.table and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            # Delete and Ctrl+Z in the table act on the runs, whatever other shortcuts the window has.
            if event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Delete):
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    if event.matches(QKeySequence.StandardKey.Undo):
                        self.undo_delete()
                    else:
                        self.delete_selected()
                return True
        return super().eventFilter(watched, event)

    # -- actions --------------------------------------------------------------------------------------

    def open_selected(self) -> None:
        records = self.selected_records()
        if len(records) != 1:
            return
        record = records[0]
        if record.model_path is None:
            self.failed.emit("No model to open", f"{record.name} kept no model (it ended before its first epoch).")
            return
        self.openRequested.emit(str(record.model_path))

    def run_again(self) -> None:
        records = self.selected_records()
        if len(records) == 1:
            self.runAgainRequested.emit(records[0].config)

    def compare_selected(self) -> RunCompareDialog | None:
        records = self.selected_records()
        if len(records) != 2:
            return None
        older, newer = sorted(records, key=lambda r: r.id)
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        self.compare_dialog = RunCompareDialog(older, newer, self)
        self.compare_dialog.show()
        return self.compare_dialog

    def export_csv(self, path=None) -> bool:
        """Write the selected runs' curves to one CSV (asks where when path is None)."""
        ids = self.selected_ids()
        if not ids or self.store is None:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export the runs' curves", "runs.csv", "CSV tables (*.csv)")
            if not path:
                return False
        try:
            self.store.export_csv(ids, path)
        except MlpguiError as e:
            self.failed.emit("Can't export the runs", str(e))
            return False
        self.notice.emit(f"Wrote the curves of {len(ids)} run{'s' if len(ids) != 1 else ''} to {path}")
        return True

    def delete_selected(self) -> None:
        records = [r for r in self.selected_records() if r.status != "running"]
        if not records or self.store is None:
            return
        ids = [r.id for r in records]
        ticked = [i for i in ids if i in self.model.ticked()]
        try:
            self.store.delete(ids)
        except MlpguiError as e:
            self.failed.emit("Can't delete the runs", str(e))
            return
        self._editing = None
        for run_id in ticked:
            self.model.set_ticked(run_id, False)
        self._deleted.append((ids, ticked))
        self.refresh()
        self._sync_buttons()
        names = ", ".join(r.name for r in records)
        self.notice.emit(f"Deleted {names} (Undo delete brings {'them' if len(ids) > 1 else 'it'} back)")

    def undo_delete(self) -> None:
        if not self._deleted or self.store is None:
            return
        ids, ticked = self._deleted.pop()
        try:
            self.store.restore(ids)
        except MlpguiError as e:
            self._deleted.append((ids, ticked))
            self.failed.emit("Can't bring the runs back", str(e))
            return
        self.refresh()
        for run_id in ticked:
            self.tick(run_id)
        self.select(ids)
        self._sync_buttons()

    def purge_deleted(self) -> None:
        """Really remove the runs deleted in this session (their rows and model files)."""
        ids = [i for deleted, _ticked in self._deleted for i in deleted]
        self._deleted.clear()
        if ids and self.store is not None:
            try:
                self.store.purge(ids)
            except MlpguiError:
                pass  # closing: they stay soft-deleted, hidden from every list
        self._sync_buttons()

    # -- visibility --------------------------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.store is not None:
            self.refresh()
            self._refresh_timer.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._refresh_timer.stop()
