"""The fine-tune dialog: core's before/after on screen, Cancel changes nothing, Keep makes the copy current."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from mlpgui.core import model_io
from mlpgui.core.finetune import finetune
from mlpgui.core.mydigits import MyDigits
from mlpgui.qt import worker as workers
from mlpgui.qt.finetune_dialog import FineTuneDialog, change, percent

RUN_TIMEOUT = 60_000


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPGUI_HOME", str(tmp_path / "home"))


@pytest.fixture
def mine(tmp_path, mnist):
    """Twenty of 'my' digits: test digits shifted two pixels right, so the model has something to learn."""
    digits = MyDigits(tmp_path / "my-digits")
    for i in range(20):
        digits.add(np.roll(mnist.x_test[200 + i], 2, axis=1), int(mnist.y_test[200 + i]))
    return digits


def run(qtbot, dialog, repeats, epochs):
    dialog.repeats.setValue(repeats)
    dialog.epochs.setValue(epochs)
    with qtbot.waitSignal(dialog.start_button.clicked):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: not workers.running_threads(), timeout=10_000)


def params(network):
    return [p.copy() for p in network.params()]


def test_the_dialog_shows_cores_before_and_after_and_the_changed_guesses(qtbot, multi, mine):
    network, task = multi
    before = params(network)
    dialog = FineTuneDialog(network, task, mine)
    qtbot.addWidget(dialog)
    dialog.show()
    run(qtbot, dialog, repeats=5, epochs=2)
    shown = dialog.result
    assert shown is not None and not shown.stopped
    expected = finetune(network, dialog.config(), task, mine, 5, 2)
    for name in ("before_mine", "after_mine", "before_test", "after_test"):
        assert getattr(shown, name) == pytest.approx(getattr(expected, name), abs=1e-12), name
    assert np.array_equal(shown.changed, expected.changed)
    assert dialog.shown("mine", "before") == percent(expected.before_mine)
    assert dialog.shown("mine", "after") == percent(expected.after_mine)
    assert dialog.shown("test", "before") == percent(expected.before_test)
    assert dialog.shown("test", "after") == percent(expected.after_test)
    assert dialog.shown("test", "change") == change(expected.before_test, expected.after_test)
    assert dialog.changed.keys() == [int(i) for i in expected.changed]
    position = {int(i): p for p, i in enumerate(expected.indices)}
    assert dialog.changed.captions() == [
        f"{expected.before_guesses[position[int(i)]]} → {expected.after_guesses[position[int(i)]]}"
        for i in expected.changed
    ]
    assert dialog.keep_button.isEnabled()
    assert all(np.array_equal(a, b) for a, b in zip(before, network.params(), strict=True))  # a copy trained


def test_cancel_leaves_the_model_unchanged(qtbot, multi, mine):
    network, task = multi
    before, epochs = params(network), network.epochs_trained
    dialog = FineTuneDialog(network, task, mine)
    qtbot.addWidget(dialog)
    dialog.show()
    kept = []
    dialog.keepRequested.connect(kept.append)
    dialog.repeats.setValue(3)
    dialog.epochs.setValue(100_000)
    dialog.batch.setValue(10)  # many small steps: Cancel lands inside an epoch
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 1, timeout=RUN_TIMEOUT)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: not workers.running_threads(), timeout=10_000)
    assert dialog.result is None and not dialog.keep_button.isEnabled()
    assert "Cancelled" in dialog.progress_label.text()
    assert not dialog.keep() and not kept
    assert network.epochs_trained == epochs
    assert all(np.array_equal(a, b) for a, b in zip(before, network.params(), strict=True))


def test_closing_the_dialog_mid_run_stops_it(qtbot, multi, mine):
    network, task = multi
    dialog = FineTuneDialog(network, task, mine)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.epochs.setValue(100_000)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 1, timeout=RUN_TIMEOUT)
    dialog.reject()
    assert not dialog.is_running() and not workers.running_threads()


def test_keep_makes_the_fine_tuned_model_current(qtbot, tmp_path, multi, mnist, mine, dialogs, open_window):
    network, task = multi
    path = tmp_path / "multi.npz"
    model_io.save_model(network, path, [])
    window = open_window()
    assert window.fine_tune() is None  # no model yet
    assert not window.mydigits.finetune_button.isEnabled()
    assert window.open_model(path)
    for i in range(len(mine)):
        window.draw_pad.set_image(mine.images[i])
        window.mydigits.add_drawing(int(mine.labels[i]))
    assert window.mydigits.finetune_button.isEnabled()
    opened = window.current_model()

    dialog = window.fine_tune()
    run(qtbot, dialog, repeats=5, epochs=2)
    result = dialog.result
    with qtbot.waitSignal(window.modelChanged) as changed:
        qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert changed.args[0] is result.network is window.current_model()
    assert window.current_model() is not opened
    assert window.current_model().epochs_trained == opened.epochs_trained + 2
    assert window.model().test_accuracy == result.after_test
    assert window.model_state().endswith("(not saved)")
    assert window.should_ask_to_save()
    qtbot.waitUntil(lambda: not workers.running_threads(), timeout=10_000)  # the copy is saved off the GUI thread
    kept = window.session.kept_model()  # the copy in the data folder, offered back next time
    assert all(np.array_equal(a, b) for a, b in zip(kept.params(), result.network.params(), strict=True))
    assert not dialogs["warning"]


def test_closing_the_window_mid_fine_tune_stops_it_and_keeps_the_model(
    qtbot, tmp_path, multi, mnist, mine, dialogs, open_window
):
    network, task = multi
    path = tmp_path / "multi.npz"
    model_io.save_model(network, path, [])
    window = open_window()
    assert window.open_model(path)
    window.draw_pad.set_image(mine.images[0])
    window.mydigits.add_drawing(int(mine.labels[0]))
    opened = window.current_model()
    dialog = window.fine_tune()
    dialog.epochs.setValue(100_000)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 1, timeout=RUN_TIMEOUT)
    window.close()
    assert not workers.running_threads()
    assert window.current_model() is opened
