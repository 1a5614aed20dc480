"""My digits: label the drawing on the pad, and keep your own handwriting as a small MNIST-format data set.

`MyDigitsView` shows the `mlpgui.core.mydigits.MyDigits` of one folder (the
window's: its data folder's "my-digits"), which the core saves atomically
after every change: one strip per digit with its count, the pad's drawing
with "Add as 0 ... 9" buttons, and Delete, Relabel, Undo, Redo, Export and
Import. A digit key labels the drawing too, while the pad or this view has
the keyboard.

Every change is one command on a `QUndoStack` and one change of the core's
set, so undoing a command is the core's `undo()` of that same change, and
redoing it makes the change again. Ctrl+Z in this view undoes the set's
last change (elsewhere it stays the pad's stroke undo). A folder whose files
can't be read is never written over: the view says why and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.confidence import a_digit
from ..core.errors import MlpguiError
from ..core.mydigits import IMAGES_FILE, LABELS_FILE, UNDO_DEPTH, MyDigits
from .qimages import scaled_gray_qimage
from .thumbnails import ThumbnailList

DIGITS = tuple(range(10))
THUMB = 36  # a strip's thumbnail side in pixels
PREVIEW = 56  # the drawing's preview beside the Add buttons
NO_DRAWING = "Draw a digit on the pad first."
KEY_HINT = "press 0-9 on the pad or here"


def digit_shortcuts(
    widget: QtWidgets.QWidget, on_digit: Callable[[int], object], context: QtCore.Qt.ShortcutContext
) -> list[QtGui.QShortcut]:
    """Keys 0-9 (the number row and the keypad) call `on_digit(d)` while `context` holds for `widget`."""
    shortcuts = []
    for d in DIGITS:
        key = QtCore.Qt.Key(QtCore.Qt.Key.Key_0.value + d)
        for seq in (QtGui.QKeySequence(key), QtGui.QKeySequence(QtCore.Qt.KeyboardModifier.KeypadModifier | key)):
            shortcut = QtGui.QShortcut(seq, widget)
            shortcut.setContext(context)
            shortcut.activated.connect(lambda d=d: on_digit(d))
            shortcuts.append(shortcut)
    return shortcuts


def shown_path(folder: Path) -> str:
    """A folder as the learner reads it: under the home folder, from ~."""
    try:
        return str(Path("~") / Path(folder).relative_to(Path.home()))
    except ValueError:
        return str(folder)


class _Change(QtGui.QUndoCommand):
    """One change of the set. It is made before it is pushed (so a change that fails is never on the
    stack); redo makes it again, undo is the core's undo of it."""

    def __init__(self, view: MyDigitsView, text: str, do: Callable[[], bool]):
        super().__init__(text)
        self._view, self._do, self._made = view, do, True

    def redo(self) -> None:
        if self._made:
            self._made = False
            return
        self._view._replay(self._do, self.text())

    def undo(self) -> None:
        self._view._replay(self._view.digits.undo, f"undo {self.text()}")


class MyDigitsView(QtWidgets.QWidget):
    """The learner's digits: add the pad's drawing, see them per digit, delete, relabel, share."""

    changed = QtCore.Signal()  # the set changed: added, deleted, relabelled, imported, undone or redone
    fineTuneRequested = QtCore.Signal()
    evaluateRequested = QtCore.Signal()

    def __init__(self, folder, parent=None):
        super().__init__(parent)
        self.folder = Path(folder)
        self.digits: MyDigits | None = None
        self.load_error = ""
        self._pad = None
        self._pad_shortcuts: list[QtGui.QShortcut] = []
        self._drawn: np.ndarray | None = None
        self._selected: int | None = None
        self._model_ready, self._model_why = False, "Train or open a model first"
        self._model_state, self._running = None, False  # the session's, when it is followed
        self._strip_content: dict[int, tuple[bytes, list[int]]] = {}  # per strip: its images' bytes, their numbers

        self.undo_stack = QtGui.QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_DEPTH)  # as deep as the core's own undo

        # -- the drawing and the Add buttons
        self.preview = QtWidgets.QLabel()
        self.preview.setFixedSize(PREVIEW + 2, PREVIEW + 2)
        self.preview.setToolTip("The drawing on the pad as the network sees it (28x28): what Add keeps")
        self.add_buttons: list[QtWidgets.QPushButton] = []
        add_row = QtWidgets.QHBoxLayout()
        add_row.setSpacing(3)
        add_row.addWidget(QtWidgets.QLabel("Add as:"))
        for d in DIGITS:
            button = QtWidgets.QPushButton(str(d))
            button.setFixedWidth(max(28, button.fontMetrics().horizontalAdvance("00") + 14))
            button.setToolTip(f"Add the drawing on the pad to my digits as a {d} (key {d})")
            button.clicked.connect(lambda _checked=False, d=d: self.add_drawing(d))
            self.add_buttons.append(button)
            add_row.addWidget(button)
        add_row.addStretch(1)
        self.clear_after = QtWidgets.QCheckBox("Clear the pad after adding")
        self.clear_after.setChecked(True)
        self.clear_after.setToolTip("Ready for the next digit (the pad's Undo brings the drawing back)")
        hint = QtWidgets.QLabel(f"…or {KEY_HINT}.")
        hint.setStyleSheet("color: palette(placeholder-text);")
        hint_row = QtWidgets.QHBoxLayout()
        hint_row.addWidget(hint)
        hint_row.addStretch(1)
        hint_row.addWidget(self.clear_after)
        drawing = QtWidgets.QVBoxLayout()
        drawing.addLayout(add_row)
        drawing.addLayout(hint_row)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.preview)
        top.addLayout(drawing, 1)

        # -- what can be done with them
        def button(text, tip, slot):
            b = QtWidgets.QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(lambda _checked=False: slot())
            return b

        self.delete_button = button(
            "Delete", "Delete the selected digit (Delete key; Ctrl+Z undoes)", self.delete_selected
        )
        self.relabel_button = QtWidgets.QToolButton()
        self.relabel_button.setText("Relabel as")
        self.relabel_button.setToolTip("Give the selected digit another label (Ctrl+Z undoes)")
        self.relabel_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.relabel_menu = QtWidgets.QMenu(self.relabel_button)
        for d in DIGITS:
            self.relabel_menu.addAction(str(d), lambda d=d: self.relabel_selected(d))
        self.relabel_button.setMenu(self.relabel_menu)
        self.undo_button = button("Undo", "Take back the last change of my digits (Ctrl+Z here)", self.undo_stack.undo)
        self.redo_button = button("Redo", "Make the change again (Ctrl+Shift+Z here)", self.undo_stack.redo)
        self.export_button = button(
            "Export…", "Write my digits to a folder as two MNIST-format IDX files", self.export_to
        )
        self.import_button = button("Import…", "Add the digits of a folder of my-digits IDX files", self.import_from)
        self.evaluate_button = button(
            "Evaluate",
            "Show the current model's confusion matrix on my digits (Evaluation tab)",
            self.evaluateRequested.emit,
        )
        self.finetune_button = button(
            "Fine-tune…",
            "Train the current model a little on the training set plus my digits",
            self.fineTuneRequested.emit,
        )
        tools = QtWidgets.QHBoxLayout()
        tools.setSpacing(4)
        for w in (self.delete_button, self.relabel_button, self.undo_button, self.redo_button):
            tools.addWidget(w)
        tools.addStretch(1)
        for w in (self.export_button, self.import_button):
            tools.addWidget(w)
        model_tools = QtWidgets.QHBoxLayout()
        model_tools.addWidget(QtWidgets.QLabel("With the current model:"))
        model_tools.addWidget(self.evaluate_button)
        model_tools.addWidget(self.finetune_button)
        model_tools.addStretch(1)

        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reload_button = button("Try again", "Read the folder again", self.reload)
        status_row = QtWidgets.QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.reload_button)

        # -- one strip per digit
        self.strips: dict[int, ThumbnailList] = {}
        self.count_labels: dict[int, QtWidgets.QLabel] = {}
        rows = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(rows)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        big = QtGui.QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.5)
        big.setBold(True)
        for d in DIGITS:
            name = QtWidgets.QLabel(str(d))
            name.setFont(big)
            count = QtWidgets.QLabel()
            count.setMinimumWidth(count.fontMetrics().horizontalAdvance("(000)"))
            strip = ThumbnailList(THUMB, caption_lines=0, fit_rows=True)
            strip.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
            strip.setStyleSheet("QListWidget::item:selected { background: palette(highlight); }")
            strip.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
            strip.customContextMenuRequested.connect(lambda pos, s=strip: self._context_menu(s, pos))
            strip.itemSelectionChanged.connect(lambda s=strip: self._on_strip_selection(s))
            strip.setToolTip(f"My {d}s: select one to delete or relabel it")
            self.strips[d], self.count_labels[d] = strip, count
            grid.addWidget(name, d, 0, QtCore.Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(count, d, 1)
            grid.addWidget(strip, d, 2)
        grid.setColumnStretch(2, 1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidget(rows)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(tools)
        layout.addLayout(model_tools)
        layout.addLayout(status_row)
        layout.addWidget(scroll, 1)

        self._shortcuts = digit_shortcuts(self, self.add_drawing, QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for key in (QtGui.QKeySequence.StandardKey.Delete, QtCore.Qt.Key.Key_Backspace):
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(key), self)
            shortcut.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.delete_selected)
            self._shortcuts.append(shortcut)
        self.undo_stack.indexChanged.connect(self._on_undo_index)

        self._show_drawing(None)
        self.reload()

    def hasHeightForWidth(self) -> bool:
        # On a page that scrolls it: take the page's height (or the minimum), not the taller one its
        # word-wrapped captions would ask for, so the lists and the plot share what there is.
        return False

    def heightForWidth(self, _width: int) -> int:
        return -1  # QScrollArea asks the layout, not hasHeightForWidth: -1 means "the minimum will do"

    # -- the pad ----------------------------------------------------------------------------

    def attach_pad(self, pad) -> None:
        """Label `pad`'s drawing (a DrawPadPanel): its network input joins my digits; 0-9 on the pad add it."""
        self._pad = pad
        pad.inputChanged.connect(self._show_drawing)
        self._show_drawing(pad.network_input())
        self._pad_shortcuts = digit_shortcuts(pad.canvas, self.add_drawing, QtCore.Qt.ShortcutContext.WidgetShortcut)

    def _drawing(self) -> np.ndarray | None:
        if self._pad is None:
            return self._drawn
        self._pad.refresh()  # the last strokes may still wait for the pad's throttle
        return self._pad.network_input()

    def _show_drawing(self, image) -> None:
        self._drawn = None if image is None else np.array(image, np.uint8)
        pixmap = QtGui.QPixmap(PREVIEW + 2, PREVIEW + 2)
        pixmap.fill(self.palette().color(QtGui.QPalette.ColorRole.Mid))
        painter = QtGui.QPainter(pixmap)
        if self._drawn is None:
            painter.fillRect(1, 1, PREVIEW, PREVIEW, QtCore.Qt.GlobalColor.black)
        else:
            painter.drawImage(1, 1, scaled_gray_qimage(self._drawn, PREVIEW))
        painter.end()
        self.preview.setPixmap(pixmap)
        self._show_buttons()

    # -- changes ---------------------------------------------------------------------------------

    def add_drawing(self, digit: int) -> bool:
        """Add the pad's drawing as `digit`; False (and a message) if there is none or it can't be saved."""
        if self.digits is None:
            return False
        image = self._drawing()
        if image is None:
            self._say(NO_DRAWING)
            return False
        if not self._push(f"add a {digit}", lambda: self.digits.add(image, digit) is not None):
            return False
        self._select(len(self.digits) - 1)
        n = int(self.digits.counts()[digit])
        self._say(f"Added {a_digit(digit)}: you have {n} of them.")
        if self.clear_after.isChecked() and self._pad is not None:
            self._pad.clear()
        return True

    def delete_selected(self) -> bool:
        i = self._selected
        if self.digits is None or i is None:
            return False
        digit = int(self.digits.labels[i])
        if not self._push(f"delete a {digit}", lambda: self.digits.remove(i) is None):
            return False
        self._clear_selection()
        self._say(f"Deleted a {digit} (Undo brings it back).")
        return True

    def relabel_selected(self, digit: int) -> bool:
        i = self._selected
        if self.digits is None or i is None or int(self.digits.labels[i]) == digit:
            return False
        old = int(self.digits.labels[i])
        if not self._push(f"relabel a {old} as {digit}", lambda: self.digits.relabel(i, digit) is None):
            return False
        self._select(i)
        self._say(f"Relabelled a {old} as {digit}.")
        return True

    def undo(self) -> None:
        self.undo_stack.undo()

    def redo(self) -> None:
        self.undo_stack.redo()

    def _push(self, text: str, do: Callable[[], bool]) -> bool:
        if not self._apply(do, text):
            return False
        self.undo_stack.push(_Change(self, text, do))
        return True

    def _apply(self, do: Callable[[], bool], what: str) -> bool:
        """Make a change of the set; True if it changed. One that fails says why and leaves the set (and
        its files) as they were."""
        try:
            changed = bool(do())
        except (MlpguiError, ValueError, IndexError) as e:
            QtWidgets.QMessageBox.warning(self, "My digits unchanged", f"Can't {what}: {e}")
            changed = False
        if changed:
            self._show()
            self.changed.emit()
        return changed

    def _replay(self, do: Callable[[], bool], what: str) -> None:
        """An undo or redo: if it fails, the undo history no longer matches the set, so it is dropped
        (after the stack has finished the command)."""
        self._clear_selection()
        if not self._apply(do, what):
            QtCore.QTimer.singleShot(0, self._drop_history)

    def _drop_history(self) -> None:
        self.undo_stack.clear()
        self._say("The undo history was dropped: it no longer matched my digits.")

    # -- sharing --------------------------------------------------------------------------------

    def export_to(self, folder=None) -> bool:
        """Write my digits into `folder` (asks for one when None) as the two IDX files."""
        if self.digits is None:
            return False
        if folder is None:
            folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Export my digits to a folder", str(Path.home()))
            if not folder:
                return False
        folder = Path(folder)
        if folder.resolve() == self.folder.resolve():
            self._say(f"My digits are kept in {folder} already.")
            return True
        if (folder / IMAGES_FILE).exists() or (folder / LABELS_FILE).exists():
            answer = QtWidgets.QMessageBox.question(
                self,
                "Replace the digits there?",
                f"{folder} holds my-digits files already. Replace them with yours ({len(self.digits)} digits)?",
                QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.Cancel,
            )
            if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                return False
        try:
            self.digits.export(folder)
        except MlpguiError as e:
            QtWidgets.QMessageBox.warning(self, "Can't export my digits", str(e))
            return False
        self._say(f"Exported {len(self.digits)} digits to {folder} ({IMAGES_FILE}, {LABELS_FILE}).")
        return True

    def import_from(self, folder=None) -> bool:
        """Add the digits of a my-digits folder (asks for one when None); one Undo takes them all back."""
        if self.digits is None:
            return False
        if folder is None:
            folder = QtWidgets.QFileDialog.getExistingDirectory(
                self, "Import my digits from a folder", str(Path.home())
            )
            if not folder:
                return False
        folder = Path(folder)
        before = len(self.digits)
        try:
            if folder.resolve() == self.folder.resolve():
                raise MlpguiError("that is where my digits are kept: importing them would double each one")
            MyDigits.load(folder, missing_ok=False)  # read it through first: a bad folder changes nothing
        except MlpguiError as e:
            QtWidgets.QMessageBox.warning(
                self, "Can't import my digits", f"{e}\n\nNothing was imported; my digits are as they were."
            )
            return False

        def do() -> bool:
            n = len(self.digits)
            self.digits.import_from(folder)
            return len(self.digits) > n

        if not self._push(f"import the digits of {folder.name}", do):
            self._say(f"{folder} holds no digits: nothing was imported.")
            return False
        self._say(f"Imported {len(self.digits) - before} digits from {folder}.")
        return True

    # -- reading the folder -----------------------------------------------------------------------

    def reload(self) -> None:
        """Read the folder again (the set on disk wins; the undo history is dropped)."""
        self.undo_stack.clear()
        self._selected = None
        try:
            self.digits = MyDigits.load(self.folder)
            self.load_error = ""
        except MlpguiError as e:
            self.digits = None
            self.load_error = str(e)
        self._show()
        self.changed.emit()

    # -- the model's side -------------------------------------------------------------------------

    def set_finetune_enabled(self, enabled: bool, why: str = "") -> None:
        """Fine-tune and Evaluate need a trained model (and no run under way); `why` says what is missing."""
        self._model_ready, self._model_why = enabled, why
        self._show_buttons()

    def set_model_state(self, state) -> None:
        """The session's ModelState: Fine-tune and Evaluate need a model with its training set."""
        self._model_state = state
        self._follow_session()

    def set_run_state(self, state) -> None:
        """The session's RunState: no fine-tuning while a run trains."""
        self._running = state.running
        self._follow_session()

    def _follow_session(self) -> None:
        state = self._model_state
        missing = state is None or state.network is None or state.task is None or not state.task.n_train
        why = "Train or open a model first" if missing else "Wait for the run to end" if self._running else ""
        self.set_finetune_enabled(not why, why)

    # -- reading the view (tests, the window) ----------------------------------------------------------

    def selected_index(self) -> int | None:
        return self._selected

    def shown_counts(self) -> list[int]:
        return [self.strips[d].count() for d in DIGITS]

    def message(self) -> str:
        return self.status.text()

    # -- showing -------------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.status.setText(f"{self._summary()} {text}")

    def _summary(self) -> str:
        if self.digits is None:
            return ""
        n = len(self.digits)
        return f"{n} digit{'s' if n != 1 else ''}, kept in {shown_path(self.folder)}."

    def _show(self) -> None:
        digits = self.digits
        if digits is None:
            self._strip_content = {}
            for d in DIGITS:
                self.strips[d].clear()
                self.count_labels[d].setText("")
            self.status.setText(
                f"<b>Can't read my digits.</b> {self.load_error}<br>Nothing was changed: fix or move the "
                f"folder, then try again."
            )
            self.reload_button.show()
            self._show_buttons()
            return
        self.reload_button.hide()
        for d in DIGITS:
            index = digits.indices_of(d)
            images, keys = digits.images[index], [int(i) for i in index]
            tips = [f"My digit #{i}, labelled {d}" for i in keys]
            strip, content = self.strips[d], images.tobytes()
            strip.blockSignals(True)
            # Only the strips whose images changed are redrawn (a change touches one or two digits);
            # a deletion moves the numbers of the digits after it, which are renumbered in place.
            if self._strip_content.get(d, (None,))[0] != content:
                strip.set_items(images, [""] * len(keys), keys=keys, tooltips=tips)
            elif self._strip_content[d][1] != keys:
                strip.set_keys(keys, tips)
            strip.blockSignals(False)
            self._strip_content[d] = (content, keys)
            self.count_labels[d].setText(f"({len(index)})")
        if self._selected is not None and self._selected >= len(digits):
            self._selected = None
        if self._selected is not None:
            self._select(self._selected)
        if len(digits) == 0:
            self.status.setText(
                f"No digits of yours yet: draw one on the pad and add it with its label ({KEY_HINT}). "
                f"They are kept in {shown_path(self.folder)}."
            )
        else:
            self.status.setText(self._summary())
        self._show_buttons()

    def _on_undo_index(self, _index: int) -> None:
        if shiboken6.isValid(self.undo_stack):  # not while the stack is being destroyed with the view
            self._show_buttons()

    def _show_buttons(self) -> None:
        ok = self.digits is not None
        selected = ok and self._selected is not None
        for b in self.add_buttons:
            b.setEnabled(ok)
        self.delete_button.setEnabled(selected)
        self.relabel_button.setEnabled(selected)
        self.undo_button.setEnabled(ok and self.undo_stack.canUndo())
        self.redo_button.setEnabled(ok and self.undo_stack.canRedo())
        self.undo_button.setToolTip(
            f"Undo {self.undo_stack.undoText()} (Ctrl+Z here)" if self.undo_stack.canUndo() else "Nothing to undo"
        )
        self.redo_button.setToolTip(
            f"Redo {self.undo_stack.redoText()} (Ctrl+Shift+Z here)" if self.undo_stack.canRedo() else "Nothing to redo"
        )
        self.export_button.setEnabled(ok and len(self.digits) > 0)
        self.import_button.setEnabled(ok)
        ready = self._model_ready and ok and len(self.digits) > 0
        for b in (self.evaluate_button, self.finetune_button):
            b.setEnabled(ready)
        if not ready:
            tip = self._model_why if not self._model_ready else "Add some digits of your own first"
            self.finetune_button.setToolTip(tip)
            self.evaluate_button.setToolTip(tip)
        else:
            self.finetune_button.setToolTip("Train the current model a little on the training set plus my digits")
            self.evaluate_button.setToolTip("Show the current model's confusion matrix on my digits (Evaluation tab)")

    # -- selection -------------------------------------------------------------------------------------

    def _select(self, index: int) -> None:
        self._selected = index
        digit = int(self.digits.labels[index])
        for d, strip in self.strips.items():
            strip.blockSignals(True)
            if d == digit:
                strip.select_key(index)
            else:
                strip.clearSelection()
            strip.blockSignals(False)
        self._show_buttons()

    def _clear_selection(self) -> None:
        self._selected = None
        for strip in self.strips.values():
            strip.blockSignals(True)
            strip.clearSelection()
            strip.blockSignals(False)
        self._show_buttons()

    def select(self, index: int) -> None:
        """Select my digit number `index` (as a click on its thumbnail does)."""
        self._select(index)

    def _on_strip_selection(self, strip: ThumbnailList) -> None:
        key = strip.selected_key()
        if key is not None:
            self._select(int(key))
        elif self._selected is not None and self.strips[int(self.digits.labels[self._selected])] is strip:
            self._selected = None  # its strip lost the selection (a click on an empty spot)
            self._show_buttons()

    def _context_menu(self, strip: ThumbnailList, pos: QtCore.QPoint) -> None:
        item = strip.itemAt(pos)
        if item is None:
            return
        strip.setCurrentItem(item)
        menu = QtWidgets.QMenu(self)
        menu.addAction("Delete", self.delete_selected)
        relabel = menu.addMenu("Relabel as")
        for d in DIGITS:
            relabel.addAction(str(d), lambda d=d: self.relabel_selected(d))
        menu.exec(strip.viewport().mapToGlobal(pos))

    # -- Ctrl+Z here undoes my digits, not the pad's last stroke --------------------------------------------

    def event(self, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.ShortcutOverride and self._undo_key(event) is not None:
            event.accept()  # the key comes to keyPressEvent instead of the window's Ctrl+Z shortcut
            return True
        return super().event(event)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        which = self._undo_key(event)
        if which == "undo":
            self.undo_stack.undo()
        elif which == "redo":
            self.undo_stack.redo()
        else:
            super().keyPressEvent(event)

    @staticmethod
    def _undo_key(event) -> str | None:
        if event.matches(QtGui.QKeySequence.StandardKey.Undo):
            return "undo"
        if event.matches(QtGui.QKeySequence.StandardKey.Redo):
            return "redo"
        return None
