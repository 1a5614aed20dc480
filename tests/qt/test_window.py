"""The main window end to end: start, watch, stop, close, save/open, keep the last model, stay responsive."""

import csv
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import QFontMetricsF, QImage
from PySide6.QtWidgets import QLabel, QMessageBox

from mlpgui.core.config import PRESETS, TrainConfig
from mlpgui.core.errors import TrainingDiverged
from mlpgui.core.network import labels_from_proba
from mlpgui.core.tasks import build_task
from mlpgui.core.training import Trainer
from mlpgui.qt import worker as training
from mlpgui.qt.draw_pad import DrawPadPanel
from mlpgui.qt.evaluation_panel import EvaluationPanel
from mlpgui.qt.experiment_panel import ExperimentPanel
from mlpgui.qt.loss_plot import LossPlot
from mlpgui.qt.main_window import FRAME, TITLE_BAR, MainWindow, first_window_geometry
from mlpgui.qt.session import TrainingSession
from mlpgui.qt.settings import Settings

TINY = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")
LONG = TINY.replace(epochs=100_000)
RUN_TIMEOUT = 60_000


@pytest.fixture
def make_window(qtbot, tmp_path, mnist, dialogs):
    settings_file = str(tmp_path / "settings.ini")

    def make():
        window = MainWindow(
            Settings(QSettings(settings_file, QSettings.Format.IniFormat)), data_dir=tmp_path / "data", mnist=mnist
        )
        qtbot.addWidget(window)
        with qtbot.waitExposed(window):
            window.show()
        return window

    return make


@pytest.fixture
def window(make_window):
    return make_window()


def train(qtbot, window, config=TINY):
    window.panel.set_config(config)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    return blocker.args


def wait_for_epochs(qtbot, window, n):
    qtbot.waitUntil(lambda: window.is_training() and window.run_state().epochs_done >= n, timeout=RUN_TIMEOUT)


def test_a_short_run_plots_one_point_per_epoch_ending_at_the_engines_loss(qtbot, window, mnist):
    changes = []
    window.modelChanged.connect(lambda network, task: changes.append((network, task)))
    network, stopped = train(qtbot, window)
    assert not stopped and network.epochs_trained == TINY.epochs
    values = window.loss_plot.loss_values()
    assert len(values) == TINY.epochs
    engine = Trainer(TINY, build_task(TINY, mnist)).train()
    assert values[-1] == pytest.approx(engine[-1].loss, rel=1e-6)
    assert values == [r.loss for r in window.history()]
    assert changes[-1][0] is network and changes[-1][1].config == TINY
    assert window.current_model() is network
    assert window.model_state().startswith(f"Trained: {TINY.epochs} epochs, test accuracy")
    assert window.panel.start_button.isEnabled() and not window.panel.stop_button.isEnabled()
    assert window.panel.progress_bar.text() == f"epoch {TINY.epochs} / {TINY.epochs}"


def test_stop_mid_run_ends_it_and_leaves_a_usable_model(qtbot, window, mnist):
    window.panel.set_config(LONG)
    window.panel.start_button.click()
    wait_for_epochs(qtbot, window, 3)
    assert window.model_state().startswith("Training: epoch")
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(window.panel.stop_button, Qt.MouseButton.LeftButton)
    network, stopped = blocker.args
    assert stopped and 3 <= network.epochs_trained < LONG.epochs
    assert len(window.loss_plot.loss_values()) == network.epochs_trained
    task = build_task(LONG, mnist)
    labels = network.predict(task.inputs("test", network.dtype))
    assert labels.shape == (10_000,) and set(np.unique(labels)) <= set(range(10))
    assert window.current_model() is network
    assert window.model_state().startswith(f"Stopped early: {network.epochs_trained} epochs, test accuracy")
    assert window.panel.start_button.isEnabled()


def test_closing_mid_run_stops_the_worker_and_keeps_the_model(qtbot, window, capfd, qtlog):
    window.panel.set_config(LONG)
    window.panel.start_button.click()
    wait_for_epochs(qtbot, window, 2)
    assert window.should_ask_to_save()
    window.close()  # closes at once, or once the epoch under way has ended
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RUN_TIMEOUT)
    assert not training.running_threads()
    assert window.last_model_path().is_file()  # a hasty quit loses nothing
    assert "Destroyed while" not in capfd.readouterr().err
    assert not [r for r in qtlog.records if "Destroyed while" in r.message]


# Every slot the window's parts run on the GUI thread while a run trains: worker reports, progress,
# the loss plot, the panel, the status bar, the draw pad and the evaluation tab.
GUI_HANDLERS = [
    (
        TrainingSession,
        [
            "_on_worker_epoch",
            "_on_worker_snapshot",
            "_on_worker_tested",
            "_on_worker_finished",
            "_emit_progress",
            "_on_view_start",
            "_on_view_stop",
        ],
    ),
    (LossPlot, ["start_run", "add_report", "add_test_point", "_redraw"]),
    (ExperimentPanel, ["show_run_state"]),
    (MainWindow, ["_on_model_changed", "_show_status"]),
    (DrawPadPanel, ["set_network"]),
    (EvaluationPanel, ["set_model", "_start", "_on_evaluated"]),
]
MAX_HANDLER_CPU_S = 0.05  # a handler that takes longer than this makes the window stutter


def test_gui_thread_stays_responsive_while_the_homework_multiclass_run_trains(qtbot, make_window, monkeypatch):
    """No handler of ours holds the GUI thread for more than 50 ms of its CPU time during a run.

    CPU time of the GUI thread (`time.thread_time`) counts what our code does, not the time
    the machine gave to other programs, so a busy machine can't fail the test.
    """
    spent: dict[str, list[float]] = {}

    def timed(name, method):
        def wrapper(*args, **kwargs):
            t0 = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                spent.setdefault(name, []).append(time.thread_time() - t0)

        return wrapper

    for cls, names in GUI_HANDLERS:
        for name in names:
            monkeypatch.setattr(cls, name, timed(f"{cls.__name__}.{name}", getattr(cls, name)))
    window = make_window()  # connected to the timed handlers
    window.panel.set_preset("homework-multiclass")
    ticks = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    window.panel.start_button.click()
    timer.start()
    qtbot.waitUntil(lambda: len(window.loss_plot.loss_values()) >= 3, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        window.panel.stop_button.click()
    timer.stop()
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    assert ticks, "the GUI thread's event loop did not run while training"
    assert len(spent["TrainingSession._on_worker_epoch"]) >= 3 and spent["LossPlot._redraw"]
    worst = max(spent, key=lambda name: max(spent[name]))
    assert max(spent[worst]) < MAX_HANDLER_CPU_S, f"{worst} held the GUI thread for {max(spent[worst]):.3f} s"


def test_invalid_fields_disable_start_and_say_why(window):
    window.panel.fields["lr"].setText("-0.5")
    assert not window.panel.start_button.isEnabled()
    assert "learning rate must be a positive" in window.panel.error_text("lr").lower()
    window.panel.digit_spins[1].setValue(window.panel.digit_spins[0].value())
    assert not window.start_training()


def test_start_and_stop_pressed_quickly_twenty_times(qtbot, window):
    window.panel.set_config(LONG)
    for _ in range(20):  # each stopped during its first epoch
        with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
            window.panel.start_button.click()
            window.panel.stop_button.click()
    for _ in range(20):  # without waiting in between
        window.panel.start_button.click()
        window.panel.stop_button.click()
    qtbot.waitUntil(lambda: not window.is_training(), timeout=RUN_TIMEOUT)
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    network, stopped = train(qtbot, window, TINY)  # still works
    assert network.epochs_trained == TINY.epochs and not stopped


def test_divergence_shows_a_message_and_keeps_the_plot_and_the_rolled_back_model(qtbot, window, dialogs, monkeypatch):
    real_run = Trainer.run

    def diverging_run(self, stop=None, evaluate_every=0):
        for report in real_run(self, stop, evaluate_every):
            yield report
            if report.epoch == 3:
                raise TrainingDiverged(
                    "the loss became inf at epoch 4 (learning rate 0.5 is too high?); "
                    "the model was rolled back to the weights of epoch 3"
                )

    monkeypatch.setattr(Trainer, "run", diverging_run)
    network, stopped = train(qtbot, window)
    assert dialogs["warning"] and "loss became inf" in dialogs["warning"][-1][1]
    assert network.epochs_trained == 3 and network.is_finite() and window.current_model() is network
    assert len(window.loss_plot.loss_values()) == 3
    assert window.panel.start_button.isEnabled()


def test_an_exception_in_the_worker_becomes_a_dialog_and_the_app_keeps_working(qtbot, window, dialogs, monkeypatch):
    def broken_run(self, stop=None, evaluate_every=0):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    with monkeypatch.context() as m:
        m.setattr(Trainer, "run", broken_run)
        network, _ = train(qtbot, window)
    assert network is None and "boom" in dialogs["warning"][-1][1]
    network, stopped = train(qtbot, window)
    assert network.epochs_trained == TINY.epochs


def test_save_then_open_round_trips_predictions_and_history(qtbot, window, make_window, tmp_path, mnist):
    network, _ = train(qtbot, window)
    path = tmp_path / "model.npz"
    assert window.save_model(path)
    assert not window.should_ask_to_save()
    other = make_window()
    other.panel.set_preset("homework-binary")
    changes = []
    other.modelChanged.connect(lambda n, t: changes.append((n, t)))
    assert other.open_model(path)
    opened = other.current_model()
    X = build_task(TINY, mnist).inputs("test", np.float32)
    np.testing.assert_array_equal(opened.predict_proba(X), network.predict_proba(X))
    assert other.panel.config() == TINY  # the form switched to the model's task
    assert other.loss_plot.loss_values() == window.loss_plot.loss_values()
    assert changes and changes[-1][0] is opened and changes[-1][1].config == TINY


def test_opening_a_broken_file_says_so_and_keeps_the_current_model(qtbot, window, dialogs, tmp_path):
    network, _ = train(qtbot, window)
    bad = tmp_path / "not-a-model.npz"
    bad.write_bytes(b"hello")
    assert not window.open_model(bad)
    assert "not-a-model.npz" in dialogs["warning"][-1][1]
    assert window.current_model() is network


def test_opening_a_model_during_a_run_stops_the_run_first(qtbot, window, tmp_path):
    train(qtbot, window)
    path = tmp_path / "model.npz"
    window.save_model(path)
    saved = window.current_model()
    window.panel.set_config(LONG)
    window.panel.start_button.click()
    wait_for_epochs(qtbot, window, 2)
    with qtbot.waitSignal(
        window.modelChanged,
        timeout=RUN_TIMEOUT,
        check_params_cb=lambda n, t: n is not None and n.epochs_trained == saved.epochs_trained and n.config == TINY,
    ):
        window.open_model(path)
    assert not window.is_training()
    np.testing.assert_array_equal(window.current_model().W1, saved.W1)


def test_quitting_with_an_unsaved_model_asks_and_cancel_keeps_the_window(qtbot, window, dialogs):
    assert not window.should_ask_to_save()  # nothing trained yet: no question
    train(qtbot, window)
    assert window.should_ask_to_save()
    dialogs["answer"] = QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert len(dialogs["question"]) == 1 and window.isVisible()
    assert {"&Save", "&Discard"} <= set(dialogs["buttons"][-1])  # Alt+S, Alt+D
    dialogs["answer"] = QMessageBox.StandardButton.Discard
    assert window.close()


def test_choosing_save_when_quitting_saves_the_model_then_closes(qtbot, window, dialogs, monkeypatch, tmp_path, mnist):
    """Save in the quit question opens the save dialog; cancelling it keeps the window, a path closes it."""
    from PySide6.QtWidgets import QFileDialog

    network, _ = train(qtbot, window)
    dialogs["answer"] = QMessageBox.StandardButton.Save
    chosen = {"path": ""}
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (chosen["path"], ""))
    assert not window.close(), "cancelling the save dialog must not quit and lose the model"
    assert window.isVisible()
    chosen["path"] = str(tmp_path / "kept")
    assert window.close()
    saved = tmp_path / "kept.npz"
    assert saved.is_file()
    from mlpgui.core.model_io import load_model

    X = build_task(TINY, mnist).inputs("test", np.float32)
    np.testing.assert_array_equal(load_model(saved).predict(X), network.predict(X))


def test_the_last_trained_model_is_offered_back_at_the_next_start(qtbot, window, make_window, mnist):
    network, _ = train(qtbot, window)
    assert window.last_model_path().is_file()
    window.close()
    again = make_window()
    assert again.has_offer() and again.banner.isVisible()
    assert again.current_model() is None
    qtbot.mouseClick(again.banner_restore_button, Qt.MouseButton.LeftButton)
    restored = again.current_model()
    X = build_task(TINY, mnist).inputs("test", np.float32)
    np.testing.assert_array_equal(restored.predict(X), network.predict(X))
    assert not again.banner.isVisible()


def test_settings_remember_the_config_the_window_size_and_the_docks(qtbot, window, make_window):
    custom = TINY.replace(hidden=48, seed=7)
    window.panel.set_config(custom)
    window.resize(window.width(), 740)  # the offscreen screen is 800 px wide, and windows are kept on it
    window.draw_dock.hide()
    window.close()
    again = make_window()
    assert again.panel.config() == custom and again.panel.preset_name() == "custom"
    assert again.height() == 740
    assert again.draw_dock.isHidden() and not again.experiment_dock.isHidden()


def test_first_start_shows_the_homework_binary_preset_and_an_untrained_model(window):
    assert window.panel.config() == PRESETS["homework-binary"]
    assert window.model_state().startswith("Untrained")
    assert "digits 5 vs 8" in window.dataset_status.text()
    assert not window.has_offer()


def test_export_loss_history_and_plot(qtbot, window, tmp_path):
    train(qtbot, window)
    csv_path, png_path = tmp_path / "history.csv", tmp_path / "loss.png"
    assert window.export_history(csv_path) and window.export_plot(png_path)
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["loss"]) for r in rows] == [r.loss for r in window.history()]
    assert rows[-1]["test_accuracy"] != "" and rows[0]["test_accuracy"] == ""
    assert not QImage(str(png_path)).isNull()


def test_add_view_puts_a_tab_beside_the_others(window):
    before = window.tabs.count()
    index = window.add_view(QLabel("more"), "More")
    assert window.tabs.count() == before + 1 and window.tabs.tabText(index) == "More"


def test_evaluation_tab_follows_the_trained_model_and_feeds_the_draw_pad(qtbot, window):
    """After a run the Evaluation tab shows that model's confusion matrix, and its
    "Send to draw pad" puts the chosen test image on the pad, which guesses it."""
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == ["Loss", "Evaluation", "My digits", "Robustness"]
    network = train(qtbot, window)[0]
    window.tabs.setCurrentIndex(1)
    evaluation = window.evaluation.evaluation
    assert evaluation is not None and evaluation.epochs_trained == network.epochs_trained
    task = window.current_task()
    assert evaluation.confusion.sum() == len(task.test_labels)
    expected = labels_from_proba(network.predict_images(task.test_images))
    assert np.array_equal(evaluation.predictions, expected)
    image = task.test_images[0]
    with qtbot.waitSignal(window.draw_pad.predictionChanged, timeout=5000):
        window.evaluation.sendToDrawPad.emit(image.copy())
    window.draw_pad.refresh()
    assert window.draw_pad.guess() is not None


@pytest.mark.parametrize("config", [TINY, TINY.replace(task="binary", digits=(5, 8))], ids=["multiclass", "binary"])
def test_evaluation_tab_fits_a_laptop_screen_without_sideways_scrolling(qtbot, window, config):
    """1280x800 with both docks open: the matrix, its table and the image browser stack up and
    scroll down only; on a wide screen they sit side by side."""
    train(qtbot, window, config)
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.evaluation.confusion.evaluation is not None, timeout=10_000)  # off-thread
    page, panel = window.tabs.currentWidget(), window.evaluation

    def layout():
        table = panel.confusion.table
        corner = table.mapTo(page.viewport(), QPoint(table.width(), 0))
        return page.horizontalScrollBar().maximum(), corner.x() <= page.viewport().width(), panel.errors.orientation()

    def layout_at(width, height, orientation):
        window.resize(width, height)
        # resize events and the panel's deferred fitting arrive after a while on a busy machine
        try:
            qtbot.waitUntil(lambda: layout() == (0, True, orientation), timeout=5_000)
        except qtbot.TimeoutError:
            pass  # the assertions below say what is wrong
        return layout()

    sideways, table_visible, orientation = layout_at(1280, 800, Qt.Orientation.Vertical)
    assert window.draw_dock.isVisible() and window.panel.isVisible()
    assert sideways == 0 and table_visible
    assert orientation == Qt.Orientation.Vertical
    assert panel.browser.width() >= panel.browser.minimumSizeHint().width()
    matrix = panel.confusion.matrix
    cell = matrix.plot.vb.width() / len(matrix.text_items())
    widest = max(
        QFontMetricsF(item.textItem.font()).horizontalAdvance(line)
        for row in matrix.text_items()
        for item in row
        for line in item.toPlainText().split("\n")
    )
    assert widest <= cell, "the counts overflow their cells"
    sideways, table_visible, orientation = layout_at(2400, 1000, Qt.Orientation.Horizontal)
    assert sideways == 0 and table_visible and orientation == Qt.Orientation.Horizontal


def test_main_opens_the_window_with_its_title_and_icon(qtbot, monkeypatch, tmp_path, dialogs):
    from PySide6.QtWidgets import QApplication

    from mlpgui.qt import app as app_module

    monkeypatch.setattr("mlpgui.qt.main_window.app_data_dir", lambda: tmp_path / "data")
    seen = {}

    def exec_(self):
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        seen["title"] = windows[0].windowTitle()
        seen["icon"] = not QApplication.windowIcon().isNull()
        windows[0].close()
        windows[0].deleteLater()
        return 0

    monkeypatch.setattr(QApplication, "exec", exec_)
    assert app_module.main([]) == 0
    assert seen == {"title": "mlpgui: train a neural network on handwritten digits", "icon": True}
    # Qt appends " — <display name>" to every title once one is set explicitly (an unset one
    # follows the application name): the title already names the app.
    name = QApplication.applicationName()
    try:
        QApplication.setApplicationName("probe")
        assert QApplication.applicationDisplayName() == "probe", "the title bar would read 'mlpgui: ... — mlpgui'"
    finally:
        QApplication.setApplicationName(name)


def test_after_a_save_the_status_bar_no_longer_says_not_saved(qtbot, window, tmp_path):
    train(qtbot, window)
    assert "(not saved)" in window.model_state()
    assert window.save_model(tmp_path / "model.npz")
    assert "(not saved)" not in window.model_state()
    window.statusBar().clearMessage()
    assert window.model_status.isVisible() and "(not saved)" not in window.model_status.text()


def test_after_stop_no_time_left_is_promised(qtbot, window):
    window.panel.set_config(LONG)
    window.panel.start_button.click()
    wait_for_epochs(qtbot, window, 3)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        window.panel.stop_button.click()
    assert "left" not in window.panel.time_label.text()


def test_a_model_restored_after_closing_mid_run_agrees_with_its_curve_and_progress_bar(qtbot, window, make_window):
    window.panel.set_config(LONG.replace(epochs=400))
    window.panel.start_button.click()
    wait_for_epochs(qtbot, window, 2)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RUN_TIMEOUT)
    again = make_window()
    assert again.restore_last_model()
    n = again.current_model().epochs_trained
    assert again.model_state().startswith(f"Restored from the last session: {n} epochs")
    assert len(again.loss_plot.loss_values()) == n
    assert again.panel.progress_bar.value() == n and again.panel.progress_bar.text() == f"epoch {n} / 400"


def test_a_model_saved_while_paused_is_still_saved_after_stop(qtbot, window, tmp_path):
    window.panel.set_config(LONG)
    window.panel.start_button.click()
    wait_for_epochs(qtbot, window, 2)
    window.panel.pause_button.click()

    def held():  # paused, and the model shown is the one of the epoch the run holds at
        model = window.current_model()
        return model is not None and model.epochs_trained == window.run_state().epochs_done

    qtbot.waitUntil(held, timeout=RUN_TIMEOUT)
    path = tmp_path / "paused.npz"
    assert window.save_model(path)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        window.panel.stop_button.click()
    assert "(not saved)" not in window.model_state()
    assert not window.should_ask_to_save()
    from mlpgui.core.model_io import load_model

    np.testing.assert_array_equal(load_model(path).W1, window.current_model().W1)


def test_divergence_in_the_first_epoch_says_which_model_is_current_and_leaves_no_empty_run(
    qtbot, window, dialogs, monkeypatch
):
    first, _ = train(qtbot, window)
    before = window.loss_plot.loss_values()

    def diverging_run(self, stop=None, evaluate_every=0):
        raise TrainingDiverged(
            "training diverged at epoch 1: the loss became inf (learning rate 1e+09 is too high?); "
            "the model was rolled back to the untrained starting weights"
        )
        yield  # pragma: no cover

    with monkeypatch.context() as m:
        m.setattr(Trainer, "run", diverging_run)
        network, _ = train(qtbot, window, TINY.replace(lr=1e9))
    assert network is None and window.current_model() is first
    message = dialogs["warning"][-1][1]
    assert "untrained starting weights" not in message and "before" in message and "still current" in message
    legend = [label.text for _sample, label in window.loss_plot.legend.items]
    assert not any("run 2" in text for text in legend), legend
    assert window.loss_plot.loss_values() == before
    assert window.loss_plot.earlier_run_labels() == []


def test_the_first_window_fits_the_screen_it_opens_on(window):
    available = window.screen().availableGeometry()
    assert available.contains(window.frameGeometry()), (window.frameGeometry(), available)
    assert window.statusBar().isVisible()


@pytest.mark.parametrize("screen", [(0, 0, 1280, 800), (0, 0, 1366, 768), (0, 30, 1024, 670), (0, 0, 1920, 1080)])
def test_a_first_window_with_its_title_bar_and_borders_fits_the_screen(screen):
    """Offscreen windows have no frame: the geometry is checked with a window manager's decorations added."""
    available = QRect(*screen)
    contents = first_window_geometry(available)
    decorated = contents.adjusted(-(FRAME // 2), -TITLE_BAR, FRAME - FRAME // 2, FRAME)
    assert available.contains(decorated), (decorated, available)
    assert contents.width() == min(1280, available.width() - FRAME)
    assert contents.height() == min(800, available.height() - TITLE_BAR - FRAME)
    gaps = decorated.top() - available.top(), available.bottom() - decorated.bottom()
    assert abs(gaps[0] - gaps[1]) <= 1  # centred


def test_a_saved_geometry_too_big_for_this_screen_is_not_restored(qtbot, window, make_window):
    from PySide6.QtWidgets import QMainWindow

    big = QMainWindow()  # as saved on a larger screen
    big.setGeometry(0, 0, 1920, 1200)
    window.settings.set_window(big.saveGeometry(), window.saveState())
    window.settings.sync()
    again = make_window()
    available = again.screen().availableGeometry()
    assert available.contains(again.frameGeometry()), (again.frameGeometry(), available)


def test_the_run_can_be_started_paused_and_stopped_from_the_keyboard(qtbot, window):
    from PySide6.QtTest import QTest

    run_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Run")
    keys = {a.text(): a.shortcut().toString() for a in run_menu.actions() if not a.isSeparator()}
    assert keys == {"&Start": "Ctrl+R", "&Pause / Resume": "Ctrl+P", "S&top": "Ctrl+.", "S&weep...": ""}
    for button, key in ((window.panel.start_button, "Ctrl+R"), (window.panel.stop_button, "Ctrl+.")):
        assert key in button.toolTip()
    window.panel.set_config(LONG)
    window.activateWindow()
    qtbot.waitActive(window)
    QTest.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    wait_for_epochs(qtbot, window, 1)
    QTest.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.run_state().phase.value == "paused", timeout=5000)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        QTest.keyClick(window, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    assert not window.stop_action.isEnabled() and window.start_action.isEnabled()


def test_every_control_has_an_accessible_name(window):
    from PySide6.QtWidgets import QWidget

    unnamed = [
        f"{type(w).__name__} {w.objectName()}"
        for w in window.findChildren(QWidget)
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isVisibleTo(window) and not w.accessibleName()
    ]
    assert not unnamed, "; ".join(unnamed)
    assert window.panel.fields["epochs"].accessibleName() == "Epochs"


def test_tab_leaves_the_metrics_table(qtbot, window):
    table = window.evaluation.confusion.table
    assert not table.tabKeyNavigation()


@pytest.mark.parametrize("size", [(1024, 700), (1280, 800)])
def test_the_docks_give_way_so_the_centre_keeps_half_the_width(qtbot, window, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0], timeout=2000)
    qtbot.waitUntil(lambda: window.centralWidget().width() >= window.width() // 2, timeout=3000)
    assert window.experiment_dock.isVisible() and window.draw_dock.isVisible()


def test_before_any_run_the_epoch_axis_spans_the_planned_epochs(make_window):
    """A new window lays its loss plot out for the run the form describes (the default preset's 100 epochs)."""
    window = make_window()
    planned = window.panel.config().epochs
    left, right = window.loss_plot.plot_item.viewRange()[0]
    assert left <= 1 and planned <= right < planned * 1.1


def test_the_runs_button_over_the_plot_opens_the_dock_and_the_window_remembers_it(qtbot, window, make_window):
    from PySide6.QtWidgets import QToolButton

    assert window.runs_dock.isHidden()  # the plot keeps its room until the learner asks for the runs
    (button,) = [b for b in window.loss_plot.findChildren(QToolButton) if b.text() == "Runs"]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.runs_dock.isVisible() and button.isChecked()
    window.close()
    again = make_window()
    assert not again.runs_dock.isHidden()
