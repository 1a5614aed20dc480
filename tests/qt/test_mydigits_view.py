"""My digits in the window: label the pad's drawing, delete, relabel, undo, export, import, evaluate on them."""

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from mlpgui.core import model_io
from mlpgui.core.data import IMAGES_MAGIC, LABELS_MAGIC, parse_idx
from mlpgui.core.mydigits import IMAGES_FILE, LABELS_FILE, MYDIGITS_DIR_NAME, MyDigits, as_task
from mlpgui.core.network import labels_from_proba
from mlpgui.core.run_state import ModelState, RunPhase, RunState
from mlpgui.qt.draw_pad import DrawPadPanel
from mlpgui.qt.evaluation_panel import EvaluationPanel
from mlpgui.qt.mydigits_view import MyDigitsView


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """Nothing here may write into the user's data folder."""
    monkeypatch.setenv("MLPGUI_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def on_disk(folder):
    """(images, labels) as the IDX files in `folder` hold them, read by the project's own parser."""
    images = parse_idx((folder / IMAGES_FILE).read_bytes(), IMAGES_FILE, IMAGES_MAGIC)
    labels = parse_idx((folder / LABELS_FILE).read_bytes(), LABELS_FILE, LABELS_MAGIC)
    return images, labels


@pytest.fixture
def lab(qtbot, tmp_path):
    """A draw pad and a my-digits view on a temporary folder, side by side in a shown window."""
    pad = DrawPadPanel()
    view = MyDigitsView(tmp_path / "my-digits")
    view.attach_pad(pad)
    window = QWidget()
    row = QHBoxLayout(window)
    row.addWidget(view, 1)
    row.addWidget(pad)
    window.resize(1100, 700)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    yield pad, view
    window.close()


def show_tab(window, view):
    """Bring up the window's tab that holds `view`."""
    for i in range(window.tabs.count()):
        if window.tabs.widget(i).isAncestorOf(view):
            window.tabs.setCurrentIndex(i)


def assert_strips_show(view):
    """Each digit's strip holds exactly my digits of that label, by number, in order."""
    for d in range(10):
        assert view.strips[d].keys() == [int(i) for i in np.flatnonzero(view.digits.labels == d)]


def add(view, pad, image, digit):
    pad.set_image(image)
    assert view.add_drawing(digit)


def test_a_digit_key_on_the_pad_adds_the_drawing_and_the_idx_files_hold_it(qtbot, lab, mnist):
    pad, view = lab
    pad.set_image(mnist.x_test[0])
    drawn = pad.network_input()
    pad.canvas.setFocus()
    qtbot.waitUntil(pad.canvas.hasFocus)
    qtbot.keyClick(pad.canvas, Qt.Key.Key_7)
    images, labels = on_disk(view.folder)
    assert labels.tolist() == [7]
    assert np.array_equal(images[0], drawn)
    assert view.shown_counts() == [0] * 7 + [1, 0, 0]
    assert view.count_labels[7].text() == "(1)"
    assert pad.canvas.is_empty()  # ready for the next digit

    # a key in the view labels the drawing too (the keypad's as well), and a button does
    pad.set_image(mnist.x_test[1])
    view.strips[7].setFocus()
    qtbot.waitUntil(view.strips[7].hasFocus)
    qtbot.keyClick(view.strips[7], Qt.Key.Key_2, Qt.KeyboardModifier.KeypadModifier)
    pad.set_image(mnist.x_test[2])
    qtbot.mouseClick(view.add_buttons[1], Qt.MouseButton.LeftButton)
    assert on_disk(view.folder)[1].tolist() == [7, 2, 1]
    assert MyDigits.load(view.folder).labels.tolist() == [7, 2, 1]


def test_an_empty_pad_adds_nothing_and_says_so(qtbot, lab):
    pad, view = lab
    assert not view.add_drawing(3)
    assert "Draw a digit" in view.message()
    assert not (view.folder / IMAGES_FILE).exists()


def test_delete_and_relabel_are_undone_and_redone_on_disk(qtbot, lab, mnist):
    pad, view = lab
    for i in range(4):
        add(view, pad, mnist.x_test[i], int(mnist.y_test[i]))
    images, labels = on_disk(view.folder)

    view.select(1)
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    assert np.array_equal(on_disk(view.folder)[0], np.delete(images, 1, axis=0))
    assert sum(view.shown_counts()) == 3
    assert_strips_show(view)
    view.undo()
    assert np.array_equal(on_disk(view.folder)[0], images)
    assert np.array_equal(on_disk(view.folder)[1], labels)
    assert_strips_show(view)
    view.redo()
    assert np.array_equal(on_disk(view.folder)[0], np.delete(images, 1, axis=0))
    assert_strips_show(view)
    view.undo()

    view.select(2)
    old = int(labels[2])
    new = (old + 1) % 10
    assert view.relabel_selected(new)
    assert on_disk(view.folder)[1][2] == new
    assert view.strips[new].keys().count(2) == 1 and 2 not in view.strips[old].keys()
    view.undo()
    assert np.array_equal(on_disk(view.folder)[1], labels)
    assert 2 in view.strips[old].keys()


def test_ctrl_z_in_my_digits_undoes_them_and_on_the_pad_its_stroke(qtbot, tmp_path, mnist, dialogs, open_window):
    window = open_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    view, pad = window.mydigits, window.draw_pad
    assert view.folder == tmp_path / "data" / MYDIGITS_DIR_NAME
    for i in range(2):
        add(view, pad, mnist.x_test[i], int(mnist.y_test[i]))
    view.select(0)
    view.delete_selected()
    pad.set_image(mnist.x_test[5])  # on the pad: something its own Ctrl+Z would take back

    show_tab(window, view)
    strip = view.strips[int(mnist.y_test[1])]
    strip.setFocus()
    qtbot.waitUntil(strip.hasFocus)
    qtbot.keyClick(strip, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(view.digits) == 2  # the delete is undone ...
    assert pad.network_input() is not None  # ... and the pad kept its drawing
    assert on_disk(view.folder)[1].tolist() == [int(mnist.y_test[0]), int(mnist.y_test[1])]

    pad.canvas.setFocus()
    qtbot.waitUntil(pad.canvas.hasFocus)
    qtbot.keyClick(pad.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(pad.canvas.is_empty)  # the pad's Ctrl+Z (its Undo button, animated) took the image back
    assert len(view.digits) == 2
    assert not dialogs["warning"]
    window.close()


def test_export_then_import_round_trips(qtbot, lab, tmp_path, mnist):
    pad, view = lab
    for i in range(5):
        add(view, pad, mnist.x_test[i], int(mnist.y_test[i]))
    out = tmp_path / "shared"
    assert view.export_to(out)
    other = MyDigitsView(tmp_path / "someone-else")
    qtbot.addWidget(other)
    assert other.import_from(out)
    assert np.array_equal(other.digits.images, view.digits.images)
    assert np.array_equal(other.digits.labels, view.digits.labels)
    assert np.array_equal(on_disk(other.folder)[0], on_disk(view.folder)[0])
    assert other.shown_counts() == view.shown_counts()
    other.undo()  # one Undo takes the whole import back
    assert len(other.digits) == 0 and on_disk(other.folder)[1].tolist() == []


def corrupt(folder, good: MyDigits):
    """A my-digits folder whose images file is cut short."""
    good.export(folder)
    data = (folder / IMAGES_FILE).read_bytes()
    (folder / IMAGES_FILE).write_bytes(data[: len(data) - 100])


def test_a_corrupt_import_folder_gives_a_message_and_changes_nothing(qtbot, lab, tmp_path, mnist, dialogs):
    pad, view = lab
    for i in range(3):
        add(view, pad, mnist.x_test[i], int(mnist.y_test[i]))
    before = [(view.folder / f).read_bytes() for f in (IMAGES_FILE, LABELS_FILE)]
    bad = tmp_path / "bad"
    corrupt(bad, MyDigits(bad, mnist.x_test[:4].copy(), mnist.y_test[:4].astype(np.uint8)))
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    for folder in (bad, empty, tmp_path / "missing"):
        assert not view.import_from(folder)
    assert len(dialogs["warning"]) == 3
    assert all(
        title == "Can't import my digits" and "Nothing was imported" in text for title, text in dialogs["warning"]
    )
    assert str(bad / IMAGES_FILE) in dialogs["warning"][0][1]
    assert len(view.digits) == 3 and sum(view.shown_counts()) == 3
    assert [(view.folder / f).read_bytes() for f in (IMAGES_FILE, LABELS_FILE)] == before
    assert view.undo_stack.count() == 3  # the three additions, nothing more


def test_a_corrupt_folder_of_my_own_is_shown_and_never_written_over(qtbot, tmp_path, mnist):
    folder = tmp_path / "my-digits"
    corrupt(folder, MyDigits(folder, mnist.x_test[:4].copy(), mnist.y_test[:4].astype(np.uint8)))
    before = (folder / IMAGES_FILE).read_bytes()
    view = MyDigitsView(folder)
    qtbot.addWidget(view)
    assert view.digits is None
    assert "Can't read my digits" in view.message() and "Nothing was changed" in view.message()
    assert not any(b.isEnabled() for b in view.add_buttons) and not view.import_button.isEnabled()
    assert not view.add_drawing(3)
    assert (folder / IMAGES_FILE).read_bytes() == before


@pytest.mark.parametrize("fixture", ["multi", "binary"])
def test_evaluating_on_my_digits_counts_exactly_my_digits_of_the_tasks_classes(
    qtbot, request, tmp_path, mnist, fixture
):
    network, task = request.getfixturevalue(fixture)
    digits = MyDigits(tmp_path / "mine")
    for i in range(30):  # every digit: a binary model sees only its two
        digits.add(mnist.x_test[i], int(mnist.y_test[i]))
    mine = int(np.isin(digits.labels, task.classes).sum())
    assert 0 < mine < 30 if fixture == "binary" else mine == 30

    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    panel.add_set("my digits", "mine", lambda t: as_task(digits, t))
    panel.set_model(network, task)
    assert panel.evaluation.confusion.sum() == task.n_test
    panel.set_which("mine")
    ev = panel.evaluation
    assert ev.confusion.sum() == mine
    shown = panel.confusion.matrix
    k = len(task.classes)
    assert sum(int(shown.shown_text(t, g).split()[-1]) for t in range(k) for g in range(k)) == mine
    guesses = labels_from_proba(network.predict_images(digits.images[np.isin(digits.labels, task.classes)]))
    assert np.array_equal(ev.predictions, guesses)

    digits.add(mnist.x_test[100], task.classes[0])  # one more of mine: the chosen set follows
    panel.refresh_set("mine")
    assert panel.evaluation.confusion.sum() == mine + 1
    panel.set_which("test")  # and back: the whole test set again, not my digits' inputs
    assert panel.evaluation.confusion.sum() == task.n_test


def test_evaluate_shows_the_models_confusion_matrix_on_my_digits(qtbot, tmp_path, multi, mnist, dialogs, open_window):
    network, task = multi
    path = tmp_path / "multi.npz"
    model_io.save_model(network, path, [])
    window = open_window()
    view = window.mydigits
    assert not view.evaluate_button.isEnabled()  # no model, no digits
    assert window.open_model(path)
    for i in range(6):
        add(view, window.draw_pad, mnist.x_test[i], int(mnist.y_test[i]))
    show_tab(window, view)
    qtbot.mouseClick(view.evaluate_button, Qt.MouseButton.LeftButton)
    evaluation = window.evaluation
    assert window.tabs.currentWidget().isAncestorOf(evaluation)
    assert evaluation.set_choice.currentText() == "my digits"
    assert evaluation.evaluation.confusion.sum() == 6
    assert "on the 6 drawn images" in evaluation.status.text()  # they are not the test set
    assert "test images" not in evaluation.status.text()
    add(view, window.draw_pad, mnist.x_test[6], int(mnist.y_test[6]))  # the Evaluation tab follows
    assert evaluation.evaluation.confusion.sum() == 7
    window.close()


@pytest.mark.parametrize("fixture", ["multi", "binary"])
def test_my_digits_without_the_models_digits_say_so_instead_of_an_empty_matrix(
    qtbot, request, tmp_path, mnist, fixture
):  # noqa: E501
    network, task = request.getfixturevalue(fixture)
    digits = MyDigits(tmp_path / "mine")
    if fixture == "binary":  # some of mine, none a 5 or an 8
        for i in np.flatnonzero(~np.isin(mnist.y_test, task.classes))[:5]:
            digits.add(mnist.x_test[i], int(mnist.y_test[i]))
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    panel.add_set("my digits", "mine", lambda t: as_task(digits, t), "none of my digits is one of its digits yet")
    panel.resize(1000, 700)
    panel.show()
    panel.set_model(network, task)
    panel.set_which("mine")
    assert panel.evaluation is None
    assert panel.status.text() == "Can't evaluate this model: none of my digits is one of its digits yet"
    digits.add(mnist.x_test[np.flatnonzero(mnist.y_test == task.classes[0])[0]], task.classes[0])
    panel.refresh_set("mine")
    assert panel.evaluation.confusion.sum() == 1


def test_the_delete_key_deletes_the_selected_digit(qtbot, lab, mnist):
    pad, view = lab
    for i in range(3):
        add(view, pad, mnist.x_test[i], int(mnist.y_test[i]))
    digit = int(mnist.y_test[1])
    strip = view.strips[digit]
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=strip.visualItemRect(strip.item(0)).center())
    assert view.selected_index() == 1
    qtbot.keyClick(strip, Qt.Key.Key_Delete)
    assert on_disk(view.folder)[1].tolist() == [int(mnist.y_test[0]), int(mnist.y_test[2])]
    assert view.selected_index() is None and not view.delete_button.isEnabled()


def test_a_change_that_cant_be_saved_says_so_and_changes_nothing(qtbot, lab, mnist, monkeypatch, dialogs):
    pad, view = lab
    add(view, pad, mnist.x_test[0], 7)
    before = [(view.folder / f).read_bytes() for f in (IMAGES_FILE, LABELS_FILE)]

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("mlpgui.core.mydigits.os.replace", full_disk)
    pad.set_image(mnist.x_test[1])
    assert not view.add_drawing(2)
    view.select(0)
    assert not view.delete_selected()
    assert [title for title, _ in dialogs["warning"]] == ["My digits unchanged"] * 2
    assert "No space left on device" in dialogs["warning"][0][1]
    assert len(view.digits) == 1 and view.shown_counts()[7] == 1
    assert view.undo_stack.count() == 1  # the first addition only
    assert [(view.folder / f).read_bytes() for f in (IMAGES_FILE, LABELS_FILE)] == before
    assert pad.network_input() is not None  # the drawing stays on the pad to try again


def test_fine_tune_waits_for_a_model_with_its_training_set_and_for_the_run_to_end(qtbot, lab, multi, mnist):
    pad, view = lab
    network, task = multi
    add(view, pad, mnist.x_test[0], 7)
    assert not view.finetune_button.isEnabled() and view.finetune_button.toolTip() == "Train or open a model first"
    view.set_model_state(ModelState(network, task))
    assert view.finetune_button.isEnabled() and view.evaluate_button.isEnabled()
    view.set_run_state(RunState(RunPhase.TRAINING, 1, 5))
    assert not view.finetune_button.isEnabled() and view.finetune_button.toolTip() == "Wait for the run to end"
    view.set_run_state(RunState())
    assert view.finetune_button.isEnabled()
    without_images = dataclasses.replace(task, train_images=task.train_images[:0], train_labels=task.train_labels[:0])
    view.set_model_state(ModelState(network, without_images))  # a model opened without its data set
    assert not view.finetune_button.isEnabled()
