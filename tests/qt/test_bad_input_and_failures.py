"""The window under bad input and failures: refused form values, broken saves, diverging and impatient runs.

Each test plays what a user would do and checks what they would see: a message next to
the field or a dialog (monkeypatched, never modal), a window that still works, and
nothing they had lost. Start/Stop twenty times, closing or opening a model mid-run and an
exception in the worker are in test_window.py; the model-file fuzzers are in tests/core.
"""

import math
import os
import stat

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from mlpgui.core import model_io
from mlpgui.core.config import TrainConfig
from mlpgui.core.errors import TrainingDiverged
from mlpgui.core.tasks import build_task, estimate_memory
from mlpgui.core.training import Trainer
from mlpgui.qt import worker as training
from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.settings import Settings

TINY = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")
TINY_BINARY = TrainConfig(
    task="binary", digits=(3, 7), per_class=50, hidden=16, epochs=4, lr=0.5, scale="unit", dtype="float32"
)
RUN_TIMEOUT = 60_000
PAGE = os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
def window(qtbot, tmp_path, mnist, dialogs):
    w = MainWindow(
        Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)),
        data_dir=tmp_path / "data",
        mnist=mnist,
    )
    qtbot.addWidget(w)
    w.show()
    return w


def train(qtbot, window, config=TINY):
    window.panel.set_config(config)
    assert window.panel.start_button.isEnabled(), window.panel.error_text(None)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    return blocker.args


def _train(mnist, config):
    t = Trainer(config, build_task(config, mnist))
    for _ in t.run():
        pass
    return t.network


# -- a table of bad inputs in the form ---------------------------------------------------------------------


def _lr(text):
    return lambda p: p.fields["lr"].setText(text)


def _set(name, value):
    return lambda p: p.fields[name].setValue(value)


def _multiclass_then(name, value):
    def do(p):
        p.fields["task"].setCurrentIndex(p.fields["task"].findData("multiclass"))
        p.fields[name].setValue(value)

    return do


BAD_FORM = [
    # (case, field the message is under, how the user enters it, words the message must contain)
    ("lr empty", "lr", _lr(""), "enter a learning rate"),
    ("lr blanks", "lr", _lr("   "), "enter a learning rate"),
    ("lr words", "lr", _lr("fast"), "must be a number"),
    ("lr two numbers", "lr", _lr("0.1 0.2"), "must be a number"),
    ("lr hex", "lr", _lr("0x10"), "must be a number"),
    ("lr nan", "lr", _lr("nan"), "finite"),
    ("lr NaN", "lr", _lr("NaN"), "finite"),
    ("lr inf", "lr", _lr("inf"), "finite"),
    ("lr -inf", "lr", _lr("-inf"), "finite"),
    ("lr overflowing 1e309", "lr", _lr("1e309"), "finite"),
    ("lr underflowing to 0", "lr", _lr("1e-400"), "positive"),
    ("lr zero", "lr", _lr("0"), "positive"),
    ("lr negative", "lr", _lr("-0.01"), "positive"),
    ("lr absurd 1e12", "lr", _lr("1e12"), "at most"),
    ("equal digits", "digits", lambda p: p.digit_spins[1].setValue(p.digit_spins[0].value()), "must differ"),
    ("hidden 10^7", "hidden", _set("hidden", 10_000_000), "hidden units must be between 1 and 65,536"),
    ("epochs 10^9", "epochs", _set("epochs", 1_000_000_000), "epochs must be between 1 and 1,000,000"),
    (
        "images per class 10^6 (binary)",
        "per_class",
        _set("per_class", 1_000_000),
        "only 5,421 training images of digit 5 exist",
    ),
    (
        "images per class 10^6 (multiclass)",
        "per_class",
        _multiclass_then("per_class", 1_000_000),
        "training images of digit",
    ),
    ("images per class 6000", "per_class", _set("per_class", 6000), "only 5,421"),
    ("batch larger than the set", "batch_size", _set("batch_size", 2001), "larger than the training set (2,000"),
    (
        "batch 10^7 on all images",
        "batch_size",
        lambda p: (_multiclass_then("per_class", 0)(p), p.fields["batch_size"].setValue(10_000_000)),
        "larger than the training set (60,000",
    ),
]


@pytest.mark.parametrize("field, enter, words", [c[1:] for c in BAD_FORM], ids=[c[0] for c in BAD_FORM])
def test_a_bad_value_in_the_form_is_refused_next_to_its_field(qtbot, window, field, enter, words):
    enter(window.panel)
    message = window.panel.error_text(field)
    assert words.lower() in message.lower(), f"under {field!r}: {message!r}"
    assert window.panel.errors[field].isVisibleTo(window.panel)
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert not window.panel.start_button.isEnabled()
    qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    assert not window.start_training() and not window.is_training()
    assert not training.running_threads()


@pytest.mark.parametrize("typed", ["abc", "-5", "1e3", "2.5"])
def test_a_number_field_does_not_take_what_is_not_a_whole_number(qtbot, window, typed):
    hidden = window.panel.fields["hidden"]
    before = window.panel.config()
    hidden.setFocus()
    hidden.selectAll()
    QTest.keyClicks(hidden, typed)
    hidden.interpretText()
    assert hidden.value() >= 1 and str(hidden.value()) != typed
    hidden.clearFocus()
    config = window.panel.config()
    assert config is not None and config.hidden == hidden.value()
    assert config.replace(hidden=before.hidden) == before  # nothing else changed


def test_a_run_too_large_for_the_memory_is_refused_up_front_with_an_estimate(window, monkeypatch):
    """Legal values (65,536 hidden units on all 60,000 images) on a 4 GiB machine: refused before training."""
    monkeypatch.setattr("mlpgui.core.tasks.available_memory", lambda: 4 * 2**30)
    p = window.panel
    p.fields["task"].setCurrentIndex(p.fields["task"].findData("multiclass"))
    p.fields["per_class"].setValue(0)
    p.fields["hidden"].setValue(65_536)
    need = estimate_memory(
        TrainConfig(task="multiclass", per_class=0, hidden=65_536, dtype=p.fields["dtype"].currentData()), 60_000
    )
    message = p.error_text("hidden")
    assert f"about {need / 2**30:.1f} GiB" in message and "4.0 GiB is available" in message
    assert not p.start_button.isEnabled() and not window.start_training()
    p.fields["hidden"].setValue(256)  # a size that fits: accepted again
    assert p.error_text("hidden") == "" and p.start_button.isEnabled()


def test_fixing_every_bad_value_makes_the_form_startable_again(qtbot, window):
    p = window.panel
    for _case, _field, enter, _words in BAD_FORM:
        p.set_preset("homework-binary")
        enter(p)
        assert p.config() is None
    train(qtbot, window, TINY)  # the form and the window still work
    assert window.current_model().epochs_trained == TINY.epochs


# -- runs ----------------------------------------------------------------------------------------------------


def _engine_divergence(mnist, config):
    """What the engine itself does with `config`: (its reports, its rolled-back network)."""
    t = Trainer(config, build_task(config, mnist))
    with pytest.raises(TrainingDiverged):
        for _ in t.run():
            pass
    return t.history, t.network


@pytest.mark.parametrize(
    "lr, scale, kept_epochs",
    [(1e6, "raw", 0), (1000, "unit", 6)],
    ids=["lr 1e6: diverges at once", "lr 1000: diverges at epoch 8"],
)
def test_a_diverging_run_stops_with_a_message_rolls_back_and_keeps_the_plot(
    qtbot, window, dialogs, mnist, lr, scale, kept_epochs
):
    previous, _ = train(qtbot, window, TINY)
    config = TrainConfig(task="multiclass", per_class=100, hidden=32, epochs=30, lr=lr, scale=scale, dtype="float64")
    reports, rolled_back = _engine_divergence(mnist, config)
    assert rolled_back.epochs_trained == kept_epochs
    network, _ = train(qtbot, window, config)
    title, text = dialogs["warning"][-1]
    assert title == "Training stopped"
    assert "diverged" in text and "learning rate" in text
    # what the window keeps: the rolled-back weights, or (none kept) the model from before the run
    assert ("still current" in text and "rolled back" not in text) if kept_epochs == 0 else "rolled back" in text
    plotted = window.loss_plot.loss_values()
    assert plotted == pytest.approx([r.loss for r in reports], rel=1e-9) and all(map(math.isfinite, plotted))
    assert len(window.loss_plot.earlier_run_labels()) == 1  # the earlier run's curve is still there
    if kept_epochs == 0:  # nothing sound was learnt: the model the user had stays
        assert network is None and window.current_model() is previous
    else:  # the last sound weights become the model, and the views show it
        assert window.current_model() is network and network.is_finite()
        np.testing.assert_array_equal(network.W1, rolled_back.W1)
        np.testing.assert_array_equal(network.W2, rolled_back.W2)
        assert window.evaluation.evaluation.epochs_trained == kept_epochs
        assert window.model_state().startswith(f"Stopped early: {kept_epochs} epochs")
    assert window.current_model().is_finite() and window.last_model_path().is_file()
    network2, stopped = train(qtbot, window, TINY)  # and the app trains again
    assert network2.epochs_trained == TINY.epochs and not stopped


def test_stop_during_the_first_epoch_ends_within_a_mini_batch_with_a_usable_model(qtbot, window, dialogs, monkeypatch):
    """Stop takes effect at the next mini-batch: at most the one in progress runs after the request."""
    import threading

    from mlpgui import _core, _sparse

    steps = []  # one entry per mini-batch the run started
    first_steps = threading.Event()
    for module, name in ((_sparse, "minibatch_step"), (_core, "train_step")):
        real = getattr(module, name)

        def counted(*args, _real=real):
            steps.append(1)
            if len(steps) >= 3000:  # enough to learn something, far from the end of the epoch
                first_steps.set()
            return _real(*args)

        monkeypatch.setattr(module, name, counted)
    slow = TrainConfig(
        task="multiclass", per_class=0, hidden=256, epochs=3, lr=0.5, batch_size=1, scale="unit", dtype="float32"
    )  # 60,000 steps per epoch: several seconds
    window.panel.set_config(slow)
    window.panel.start_button.click()
    qtbot.waitUntil(first_steps.is_set, timeout=30_000)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(window.panel.stop_button, Qt.MouseButton.LeftButton)
        at_stop = len(steps)
    assert len(steps) - at_stop <= 1, f"{len(steps) - at_stop} mini-batches ran after Stop"
    network, stopped = blocker.args
    assert window.loss_plot.loss_values() == [], "the first epoch had ended before Stop: make it longer"
    assert stopped and network is not None and window.current_model() is network and not dialogs["warning"]
    # The finished mini-batches are kept: a usable model, measured on the test set.
    accuracy = float(window.model_state().split("test accuracy ")[1].split("%")[0])
    assert window.model_state().startswith("Stopped early") and accuracy > 50
    assert window.panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def test_thirty_runs_back_to_back_do_not_grow_the_memory(qtbot, window):
    config = TINY.replace(epochs=3)
    rss = []
    for i in range(30):
        network, _ = train(qtbot, window, config.replace(seed=i))
        assert network.epochs_trained == 3
        rss.append(_rss_mib())
    growth = max(rss[5:]) - rss[4]
    assert growth <= 50, f"RSS grew {growth:.1f} MiB over runs 6-30 ({rss[4]:.0f} -> {max(rss[5:]):.0f} MiB)"
    assert len(window.loss_plot.earlier_run_labels()) <= 30


# -- files ----------------------------------------------------------------------------------------------------


def test_a_binary_model_opened_while_the_form_is_multiclass_switches_the_task(qtbot, window, tmp_path, mnist, dialogs):
    network = _train(mnist, TINY_BINARY)
    path = tmp_path / "binary.npz"
    model_io.save_model(network, path)
    window.panel.set_config(TINY)
    assert window.open_model(path) and not dialogs["warning"]
    assert window.panel.config() == TINY_BINARY
    assert window.current_model().classes == (3, 7)
    assert window.current_task().config.task == "binary"
    qtbot.waitUntil(lambda: "test accuracy" in window.model_state(), timeout=30_000)  # measured off the GUI thread
    assert window.model_state().startswith("Opened binary.npz: 4 epochs, test accuracy")
    window.show_in_draw_pad(mnist.x_test[mnist.y_test == 7][0])
    window.draw_pad.refresh()
    assert window.draw_pad.guess() in (3, 7)
    assert window.draw_pad.bars.classes() == (3, 7)  # one bar per digit of the opened model


def test_a_512_hidden_model_opens_and_predicts(qtbot, window, tmp_path, mnist, dialogs):
    config = TINY.replace(hidden=512, epochs=2)
    network = _train(mnist, config)
    path = tmp_path / "wide.npz"
    model_io.save_model(network, path)
    assert window.panel.config().hidden != 512
    assert window.open_model(path) and not dialogs["warning"]
    opened = window.current_model()
    assert opened.hidden == 512
    X = build_task(config, mnist).inputs("test", np.float32)
    np.testing.assert_array_equal(opened.predict(X), network.predict(X))
    assert window.evaluation.evaluation.epochs_trained == 2


def _save_fails(monkeypatch, how):
    if how == "read-only file":
        return None
    import errno

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(model_io.os, "fsync", full)


@pytest.mark.parametrize("how, words", [("read-only file", "read-only"), ("full disk", "disk is full")])
def test_saving_to_a_read_only_or_full_destination_shows_an_error_and_keeps_the_old_file(
    qtbot, window, tmp_path, dialogs, monkeypatch, how, words
):
    train(qtbot, window, TINY)
    path = tmp_path / "kept.npz"
    assert window.save_model(path)
    before = path.read_bytes()
    train(qtbot, window, TINY.replace(seed=9))  # a new unsaved model
    if how == "read-only file":
        path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    _save_fails(monkeypatch, how)
    try:
        assert not window.save_model(path)
    finally:
        path.chmod(0o644)
    title, text = dialogs["warning"][-1]
    assert title == "Can't save the model" and words in text and "kept.npz" in text
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert window.should_ask_to_save()  # still unsaved: quitting will ask
    assert "(not saved)" in window.model_state()
