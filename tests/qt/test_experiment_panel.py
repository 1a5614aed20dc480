"""The experiment form: presets, Custom, refused values shown next to their field, the sample strip."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from mlpgui.core.config import PRESETS
from mlpgui.core.run_state import RunPhase, RunState
from mlpgui.core.tasks import TaskCache
from mlpgui.qt.experiment_panel import ExperimentPanel


@pytest.fixture
def panel(qtbot, mnist):
    p = ExperimentPanel(TaskCache(mnist))
    qtbot.addWidget(p)
    p.resize(320, 900)
    return p


def test_starts_on_the_homework_binary_preset_ready_to_start(panel):
    assert panel.preset_name() == "homework-binary"
    assert panel.config() == PRESETS["homework-binary"]
    assert panel.start_button.isEnabled()
    assert not panel.stop_button.isEnabled() and not panel.pause_button.isEnabled()


@pytest.mark.parametrize("name", list(PRESETS))
def test_picking_a_preset_fills_every_field(panel, name):
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData(name))
    panel.preset_combo.activated.emit(panel.preset_combo.currentIndex())
    assert panel.config() == PRESETS[name]
    assert panel.preset_name() == name


def test_editing_any_field_makes_it_custom(panel):
    panel.fields["hidden"].setValue(64)
    assert panel.preset_name() == "custom"
    assert panel.config() == PRESETS["homework-binary"].replace(hidden=64)


def test_digits_are_shown_for_binary_only(panel):
    assert panel.fields["digits"].isVisibleTo(panel)
    panel.fields["task"].setCurrentIndex(panel.fields["task"].findData("multiclass"))
    assert not panel.fields["digits"].isVisibleTo(panel)
    assert panel.config().task == "multiclass"


@pytest.mark.parametrize(
    "field, set_value, words",
    [
        ("digits", lambda p: p.digit_spins[1].setValue(5), "must differ"),
        ("lr", lambda p: p.fields["lr"].setText("-1"), "positive"),
        ("lr", lambda p: p.fields["lr"].setText("0"), "positive"),
        ("lr", lambda p: p.fields["lr"].setText("abc"), "must be a number"),
        ("lr", lambda p: p.fields["lr"].setText(""), "enter a learning rate"),
        ("lr", lambda p: p.fields["lr"].setText("nan"), "finite"),
        ("lr", lambda p: p.fields["lr"].setText("inf"), "finite"),
        ("lr", lambda p: p.fields["lr"].setText("1e12"), "at most"),
        ("per_class", lambda p: p.fields["per_class"].setValue(7000), "only 5,421 training images of digit 5"),
        ("batch_size", lambda p: p.fields["batch_size"].setValue(5000), "larger than the training set"),
        ("hidden", lambda p: p.fields["hidden"].setValue(10_000_000), "hidden units must be between"),
        ("epochs", lambda p: p.fields["epochs"].setValue(1_000_000_000), "epochs must be between"),
    ],
)
def test_a_refused_value_shows_its_message_next_to_the_field_and_disables_start(panel, field, set_value, words):
    set_value(panel)
    assert words.lower() in panel.error_text(field).lower()
    assert panel.errors[field].isVisibleTo(panel)
    assert panel.config() is None
    assert not panel.start_button.isEnabled()
    assert panel.preset_name() == "custom"


def test_fixing_the_value_clears_the_message_and_enables_start(panel):
    panel.fields["lr"].setText("-1")
    assert not panel.start_button.isEnabled()
    panel.fields["lr"].setText("0.01")
    assert panel.error_text("lr") == ""
    assert panel.start_button.isEnabled()
    assert panel.preset_name() == "homework-binary"


def test_memory_that_the_machine_lacks_is_refused_up_front(panel, monkeypatch):
    monkeypatch.setattr("mlpgui.core.tasks.available_memory", lambda: 2**30)
    panel.fields["task"].setCurrentIndex(panel.fields["task"].findData("multiclass"))
    panel.fields["per_class"].setValue(0)
    panel.fields["hidden"].setValue(8192)
    assert "memory" in panel.error_text("hidden") + panel.error_text(None)
    assert not panel.start_button.isEnabled()


def test_sample_strip_shows_the_first_training_images_of_each_class(panel, mnist):
    fives, eights = (mnist.x_train[mnist.y_train == d][:5] for d in (5, 8))
    assert np.array_equal(np.stack(panel.strip.images()), np.concatenate([fives, eights]))
    assert panel.strip.labels() == ["5"] * 5 + ["8"] * 5
    panel.digit_spins[0].setValue(3)
    assert panel.strip.labels() == ["3"] * 5 + ["8"] * 5
    assert np.array_equal(panel.strip.images()[0], mnist.x_train[mnist.y_train == 3][0])
    assert "digits 3 vs 8" in panel.dataset_label.text()
    panel.fields["task"].setCurrentIndex(panel.fields["task"].findData("multiclass"))
    assert panel.strip.labels() == [str(d) for d in range(10)]
    for d, image in enumerate(panel.strip.images()):
        assert np.array_equal(image, mnist.x_train[mnist.y_train == d][0])


def test_a_running_state_locks_the_form_and_enables_stop_and_pause(panel, qtbot):
    with qtbot.waitSignal(panel.startRequested) as blocker:
        panel.start_button.click()
    assert blocker.args == [PRESETS["homework-binary"]]
    panel.show_run_state(RunState(RunPhase.PREPARING, 0, 100))
    assert not panel.start_button.isEnabled() and not panel.fields["lr"].isEnabled()
    assert panel.stop_button.isEnabled() and panel.pause_button.isEnabled()
    assert panel.time_label.text() == "Preparing the data..."
    with qtbot.waitSignal(panel.pauseToggled) as blocker:
        panel.pause_button.click()
    assert blocker.args == [True] and panel.pause_button.text() == "Resume"
    with qtbot.assertNotEmitted(panel.pauseToggled):  # showing a state is not a request
        panel.show_run_state(RunState(RunPhase.TRAINING, 3, 100, 1.0))
    assert not panel.pause_button.isChecked() and panel.pause_button.text() == "Pause"
    panel.show_run_state(RunState(RunPhase.STOPPING, 3, 100, 1.0))
    assert not panel.stop_button.isEnabled() and not panel.pause_button.isEnabled()
    assert panel.time_label.text() == "Stopping after this epoch..."
    panel.show_run_state(RunState(RunPhase.IDLE, 3, 100, 1.0))
    assert panel.start_button.isEnabled() and panel.fields["lr"].isEnabled()
    assert not panel.stop_button.isEnabled() and panel.pause_button.text() == "Pause"


def test_progress_shows_epoch_elapsed_and_remaining(panel):
    panel.show_run_state(RunState(RunPhase.TRAINING, 25, 100, 10.0))
    assert panel.progress_bar.text() == "epoch 25 / 100"
    assert panel.time_label.text() == "0:10 elapsed · about 0:30 left"


@pytest.mark.parametrize("field, words", [("epochs", "epochs must be between"), ("hidden", "hidden units must be")])
def test_zero_typed_into_a_count_is_refused_with_a_message_not_replaced(qtbot, panel, field, words):

    from PySide6.QtTest import QTest

    panel.show()
    box = panel.fields[field]
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, "0")
    assert words in panel.error_text(field).lower()
    assert panel.errors[field].isVisibleTo(panel) and not panel.start_button.isEnabled()
    QTest.keyClick(box, Qt.Key.Key_Tab)  # leaving the field keeps what was typed
    assert box.value() == 0 and words in panel.error_text(field).lower()


def test_an_emptied_count_is_refused_with_a_message(qtbot, panel):
    from PySide6.QtTest import QTest

    panel.show()
    box = panel.fields["epochs"]
    box.setFocus()
    box.selectAll()
    QTest.keyClick(box, Qt.Key.Key_Delete)
    assert "enter the epochs" in panel.error_text("epochs").lower()
    assert not panel.start_button.isEnabled()


def test_the_form_does_not_jump_while_a_value_is_being_typed(qtbot, panel):
    panel.show()
    qtbot.waitExposed(panel)

    def start_y():
        for _ in range(3):  # the scroll area's content is laid out over a few event-loop turns
            QApplication.processEvents()
        return panel.start_button.mapTo(panel, panel.start_button.rect().topLeft()).y()

    lr = panel.fields["lr"]
    lr.setText("")  # the first message makes room once
    broken = start_y()
    lr.setText("0.5")
    assert panel.error_text("lr") == "" and start_y() == broken
    lr.setText("0.")
    lr.setText("")
    assert panel.error_text("lr") and start_y() == broken
