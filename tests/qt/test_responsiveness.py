"""The GUI thread never waits for the network: evaluations run off it, Stop and closing say what they wait for."""

import threading

import numpy as np
import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import QSettings, QTimer

import mlpgui.qt  # noqa: F401  (pyqtgraph options)
from mlpgui.core import metrics, model_io
from mlpgui.core.config import TrainConfig
from mlpgui.core.training import Trainer
from mlpgui.qt import worker as training
from mlpgui.qt.evaluation_panel import EvaluationPanel
from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.settings import Settings


def _visible_panel(qtbot):
    tabs = QtWidgets.QTabWidget()
    qtbot.addWidget(tabs)
    panel = EvaluationPanel()
    tabs.addTab(panel, "Evaluate")
    tabs.resize(1200, 800)
    tabs.show()
    qtbot.waitExposed(tabs)
    panel.keep_alive = tabs  # qtbot holds widgets weakly; the tab widget owns the panel
    return panel


def test_the_evaluation_tab_computes_off_the_gui_thread_and_says_it_is_evaluating(qtbot, multi, monkeypatch):
    network, task = multi
    threads, release = [], threading.Event()
    real = metrics.Evaluation.compute.__func__

    def compute(cls, *args, **kwargs):
        threads.append(threading.get_ident() == threading.main_thread().ident)
        release.wait(10)  # a slow forward pass: the GUI must not be the one waiting
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(metrics.Evaluation, "compute", classmethod(compute))
    panel = _visible_panel(qtbot)
    panel.set_model(network, task)
    assert "Evaluating" in panel.status.text()  # set_model returned while the pass is held
    assert panel.confusion.evaluation is None
    with qtbot.waitSignal(panel.updated, timeout=10_000):
        release.set()
    assert threads == [False]
    assert panel.confusion.evaluation.confusion.sum() == len(task.test_labels)
    assert "Evaluating" not in panel.status.text() and "accuracy" in panel.status.text()


def test_the_weights_grid_is_prepared_off_the_gui_thread_too(qtbot, multi, monkeypatch):
    from mlpgui.qt.weights_view import WeightsView

    network, task = multi
    on_main = []
    real = WeightsView.prepare

    def prepare(self, net):
        on_main.append(threading.get_ident() == threading.main_thread().ident)
        return real(self, net)

    monkeypatch.setattr(WeightsView, "prepare", prepare)
    panel = _visible_panel(qtbot)
    with qtbot.waitSignal(panel.updated, timeout=10_000):
        panel.set_model(network, task)
    assert on_main == [False]
    assert panel.weights.tile_count == network.hidden


def test_a_result_overtaken_by_a_newer_model_is_dropped(qtbot, multi, monkeypatch):
    network, task = multi
    release = threading.Event()
    real = metrics.Evaluation.compute.__func__

    def compute(cls, net, *args, **kwargs):
        if net is network:
            release.wait(10)  # the first model's pass is still running when the newer one comes
        return real(cls, net, *args, **kwargs)

    monkeypatch.setattr(metrics.Evaluation, "compute", classmethod(compute))
    panel = _visible_panel(qtbot)
    shown = []
    panel.updated.connect(lambda: shown.append(panel.confusion.evaluation.epochs_trained))
    newer = network.copy()
    newer.b2[3] += 5.0
    newer.epochs_trained += 1
    panel.set_model(network, task)
    panel.set_model(newer, task)
    with qtbot.waitSignal(panel.updated, timeout=10_000):
        release.set()
    qtbot.wait(50)
    assert shown == [newer.epochs_trained], "the overtaken model's evaluation was shown"
    assert np.array_equal(panel.confusion.evaluation.predictions, newer.predict(task.inputs("test")))


# -- closing and stopping during an epoch that can't be cut short --------------------------

FULL_BATCH = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=1000, lr=0.5, scale="unit", dtype="float32")


@pytest.fixture
def window(qtbot, tmp_path, mnist, dialogs):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings, data_dir=tmp_path / "data", mnist=mnist)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def long_epoch(monkeypatch):
    """From the third epoch on, each full-batch epoch holds its thread until `release` is set (a long compiled call
    that can't see the stop request)."""
    release, held = threading.Event(), threading.Event()
    real = Trainer._full_batch_epoch

    def epoch(self, stop):
        if self.network.epochs_trained >= 2:
            held.set()
            release.wait(30)
        return real(self, stop)

    monkeypatch.setattr(Trainer, "_full_batch_epoch", epoch)
    yield release, held
    release.set()


def test_closing_during_a_long_epoch_keeps_the_window_responsive_and_closes_when_it_ends(qtbot, window, long_epoch):
    release, held = long_epoch
    window.panel.set_config(FULL_BATCH)
    window.panel.start_button.click()
    assert held.wait(30)
    window.close()  # Discard is answered; the epoch under way can't stop yet
    assert window.isVisible(), "the window closed without the epoch's result, or the GUI waited for it"
    assert "closes when it ends" in window.statusBar().currentMessage()
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.wait(300)
    assert len(ticks) >= 5, "the GUI thread's event loop did not run while the epoch finished"
    release.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    timer.stop()
    assert not training.running_threads()
    kept = model_io.load_model(window.last_model_path())
    assert kept.epochs_trained == 3  # the epoch that was under way is kept, not thrown away


def test_stop_during_a_long_full_batch_epoch_says_how_long_it_will_take(qtbot, window, long_epoch):
    release, held = long_epoch
    window.panel.set_config(FULL_BATCH)
    window.panel.start_button.click()
    assert held.wait(30)
    qtbot.waitUntil(lambda: window.run_state().epochs_done == 2, timeout=10_000)
    window.panel.stop_button.click()
    line = window.panel.time_label.text()
    assert "Stopping when this epoch ends" in line and ("left" in line or "so far" in line)
    with qtbot.waitSignal(window.runFinished, timeout=30_000) as blocker:
        release.set()
    network, stopped = blocker.args
    assert stopped and network.epochs_trained == 3
    assert window.model_state().startswith("Stopped early: 3 epochs")
    assert window.panel.progress_bar.value() == 3 and "Stopp" not in window.panel.time_label.text()


def test_a_run_stopped_inside_an_epoch_tells_the_panel_and_the_status_bar_the_same(qtbot, window, monkeypatch):
    config = FULL_BATCH.replace(batch_size=10, epochs=50)
    real = Trainer._minibatch_epoch

    class StopAfterThreeBatches:  # the second epoch sees a stop request after three mini-batches
        def __init__(self):
            self.calls = 0

        def is_set(self):
            self.calls += 1
            return self.calls > 3

    def epoch(self, stop):
        return real(self, StopAfterThreeBatches() if self.network.epochs_trained == 1 else stop)

    monkeypatch.setattr(Trainer, "_minibatch_epoch", epoch)
    window.panel.set_config(config)
    with qtbot.waitSignal(window.runFinished, timeout=30_000) as blocker:
        window.panel.start_button.click()
    network, stopped = blocker.args
    n = network.epochs_trained
    assert stopped and n == 2
    assert window.model_state().startswith(f"Stopped early: {n} epochs")
    assert f"during epoch {n}" in window.panel.time_label.text()
    assert "before the first epoch" not in window.panel.time_label.text()
    assert window.panel.progress_bar.value() == n


def test_the_stopping_line_estimates_what_is_left_of_a_full_batch_epoch(qtbot, tmp_path, mnist, monkeypatch):
    """Epochs of 30 s, Stop pressed 10 s into the third: about 20 s left; a mini-batch run stops within a mini-batch."""
    import time
    from types import SimpleNamespace

    from mlpgui.core.tasks import TaskCache
    from mlpgui.core.training import EpochReport
    from mlpgui.qt.session import TrainingSession

    session = TrainingSession(TaskCache(mnist), tmp_path / "data")
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)
    history = [EpochReport(1, 100, 0.5, 0.8, 30.0), EpochReport(2, 100, 0.4, 0.9, 60.0)]
    session._run = SimpleNamespace(config=FULL_BATCH, history=history, epoch_began=now - 10)
    assert session._stopping_note() == "Stopping when this epoch ends: about 0:20 left..."
    session._run.epoch_began = now - 45  # longer than the ones before: no promise
    assert session._stopping_note() == "Stopping when this epoch ends: it has run 0:45 so far..."
    session._run.history = []
    assert "first epoch" in session._stopping_note() and "0:45" in session._stopping_note()
    session._run.config = FULL_BATCH.replace(batch_size=100)
    assert session._stopping_note() == "Stopping after this mini-batch..."
    session._run = None
