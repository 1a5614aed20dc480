"""The Runs dock: the window records its runs; list, overlay, filter, sort, tag, delete, export, compare, run again."""

import csv
import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from mlpgui.core.config import TrainConfig
from mlpgui.core.runstore import RunStore
from mlpgui.core.training import EpochReport
from mlpgui.qt import worker as training
from mlpgui.qt.run_compare import RunCompareDialog
from mlpgui.qt.runs_dock import ACCURACY, NAME, STATUS, TAGS, TICK, RunsPanel

TINY = TrainConfig(task="multiclass", per_class=20, hidden=8, epochs=3, lr=0.5, scale="unit", dtype="float32")
RUN_TIMEOUT = 60_000


@pytest.fixture
def make_window(open_window, dialogs, home):
    def make():
        window = open_window(home)
        window.runs_dock.show()
        return window

    return make


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def store(home):
    """The store the windows of this test record in, opened apart as a second reader would."""
    s = RunStore.open(home)
    yield s
    s.close()


def train(qtbot, window, config=TINY):
    window.panel.set_config(config)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    return blocker.args


def shown_column(panel, column):
    """What the table shows in a column, top to bottom (after filtering and sorting)."""
    proxy = panel.proxy
    return [proxy.index(row, column).data() for row in range(proxy.rowCount())]


def tick(panel, run_id, on=True):
    """Tick a run's check box as a click in the table does."""
    row = panel.model.row_of(run_id)
    index = panel.proxy.mapFromSource(panel.model.index(row, TICK))
    state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
    assert panel.proxy.setData(index, state.value, Qt.ItemDataRole.CheckStateRole)


def add_run(store, config, losses, status="finished", test=(0.5, 0.8), tags=()):
    """A recorded run made directly in the store: a fast stand-in for training."""
    run_id = store.start_run(config, tags=tags)
    n = len(losses)
    for epoch, loss in enumerate(losses, 1):
        tested = test if epoch == n else (None, None)
        store.record_epoch(run_id, EpochReport(epoch, config.epochs, loss, 0.5 + 0.01 * epoch, 0.1 * epoch, *tested))
    store.finish_run(run_id, status, final_test=test)
    return run_id


@pytest.fixture
def panel(qtbot, store):
    p = RunsPanel(store)
    qtbot.addWidget(p)
    p.resize(1000, 300)
    p.show()
    return p


# -- the window records its runs ------------------------------------------------------------------


def test_the_dock_lists_each_run_the_window_trained_with_its_result(qtbot, window, store):
    first, _ = train(qtbot, window)
    train(qtbot, window, TINY.replace(lr=0.1))
    runs = store.runs()
    assert [r.config.lr for r in runs] == [0.1, 0.5]  # newest first
    assert all(r.status == "finished" and r.source == "window" and r.epochs_done == TINY.epochs for r in runs)
    panel = window.runs
    assert shown_column(panel, NAME) == [r.name for r in runs]
    assert shown_column(panel, STATUS) == ["finished", "finished"]
    assert shown_column(panel, ACCURACY) == [f"{100 * r.final_test_accuracy:.2f}%" for r in runs]
    # the newest run's test accuracy is what the window says its model has
    assert f"{100 * runs[0].final_test_accuracy:.1f}%" in window.model_state()
    assert [e.loss for e in store.epochs(runs[0].id)] == window.loss_plot.loss_values()


def test_each_way_a_run_ends_is_recorded(qtbot, window, store, dialogs, monkeypatch):
    train(qtbot, window)  # finished
    window.panel.set_config(TINY.replace(epochs=100_000))
    window.panel.start_button.click()
    qtbot.waitUntil(lambda: window.run_state().epochs_done >= 2, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT) as blocker:
        window.panel.stop_button.click()
    stopped_network, _ = blocker.args
    train(qtbot, window, TINY.replace(lr=1e6, scale="raw", dtype="float64", epochs=30))  # diverges

    def broken(self, stop=None, evaluate_every=0):
        raise RuntimeError("a bug")
        yield  # pragma: no cover

    monkeypatch.setattr(training.Trainer, "run", broken)
    train(qtbot, window, TINY.replace(seed=7))
    runs = store.runs()[::-1]
    assert [r.status for r in runs] == ["finished", "stopped", "diverged", "failed"]
    assert runs[1].epochs_done == stopped_network.epochs_trained == len(store.epochs(runs[1].id))
    assert runs[1].final_test_accuracy is not None  # a stopped run is tested on the weights it kept
    assert runs[3].epochs_done == 0 and runs[3].model_path is None


def test_closing_mid_run_records_the_run_as_stopped_with_every_epoch(qtbot, window, store):
    window.panel.set_config(TINY.replace(epochs=100_000))
    window.panel.start_button.click()
    qtbot.waitUntil(lambda: window.run_state().epochs_done >= 3, timeout=RUN_TIMEOUT)
    assert window.close()
    (run,) = store.runs()
    assert run.status == "stopped" and run.epochs_done >= 3
    assert [e.epoch for e in store.epochs(run.id)] == list(range(1, run.epochs_done + 1))
    assert run.model_path is not None and run.model_path.is_file()


def test_a_corrupt_store_costs_the_recording_not_the_training(qtbot, home, make_window):
    home.mkdir(parents=True, exist_ok=True)
    (home / "runs.sqlite3").write_bytes(b"this is not a database, it is a text file " * 100)
    window = make_window()
    assert window.recording_status.isVisible()
    assert window.recording_status.text().startswith("not recording runs:")
    assert window.runs.problem_label.isVisible()
    network, stopped = train(qtbot, window)
    assert network.epochs_trained == TINY.epochs and not stopped  # trained all the same
    assert window.loss_plot.loss_values() and window.recording_status.isVisible()


# -- ticked runs on the loss plot ---------------------------------------------------------------------


def test_ticking_runs_overlays_their_stored_curves_which_outlive_the_window(qtbot, window, make_window, store):
    train(qtbot, window)
    train(qtbot, window, TINY.replace(lr=0.1, epochs=4))
    old, new = sorted(r.id for r in store.runs())
    plot = window.loss_plot
    # starting the second run ticked the first, so its curve stayed in view
    assert plot.overlay_ids() == [old] and window.runs.model.ticked() == [old]
    stored = store.epochs(old)
    assert plot.overlay_data(old) == ([e.epoch for e in stored], [e.loss for e in stored])
    assert plot.earlier_run_labels() == [f"run {old}: epochs 3, lr 0.5"]
    tick(window.runs, old, False)
    assert plot.overlay_ids() == []
    window.close()

    reopened = make_window()  # a new window: the runs come from the store
    tick(reopened.runs, new)
    tick(reopened.runs, old)
    plot = reopened.loss_plot
    assert plot.overlay_ids() == [new, old]
    for run_id in (new, old):
        stored = store.epochs(run_id)
        assert plot.overlay_data(run_id) == ([e.epoch for e in stored], [e.loss for e in stored])
    # no run is current: each is named by what the overlaid runs vary in, its settings in a tooltip
    assert plot.earlier_run_labels() == [f"run {new}: epochs 4, lr 0.1", f"run {old}: epochs 3, lr 0.5"]
    tip = plot.legend.items[4][1].toolTip()
    assert tip.startswith(f"run {new}: multiclass, n=20, H 8, lr 0.1, full batch")
    plot.clear_button.click()
    assert plot.overlay_ids() == [] and reopened.runs.model.ticked() == []


# -- filter, sort, tags and note ----------------------------------------------------------------------------


def test_filter_by_text_and_status_and_sort_by_accuracy(panel, store):
    a = add_run(store, TINY, [1.0, 0.8, 0.6], test=(0.6, 0.81), tags=("baseline",))
    b = add_run(store, TINY.replace(lr=0.3), [1.0, 0.7, 0.5], test=(0.5, 0.88))
    c = add_run(store, TINY.replace(hidden=64), [1.0, 0.9], status="stopped", test=(0.9, 0.64))
    panel.refresh()
    assert panel.count_label.text() == "3 runs"
    panel.filter_edit.setText("lr 0.3")
    assert shown_column(panel, NAME) == [f"run {b}"]
    panel.filter_edit.setText("BASELINE")  # tags are searched too, in any case
    assert shown_column(panel, NAME) == [f"run {a}"]
    panel.filter_edit.clear()
    panel.status_combo.setCurrentText("stopped")
    assert shown_column(panel, NAME) == [f"run {c}"] and panel.count_label.text() == "1 of 3 runs"
    panel.status_combo.setCurrentText("any status")
    panel.table.sortByColumn(ACCURACY, Qt.SortOrder.DescendingOrder)
    assert shown_column(panel, ACCURACY) == ["88.00%", "81.00%", "64.00%"]
    panel.table.sortByColumn(ACCURACY, Qt.SortOrder.AscendingOrder)
    assert shown_column(panel, NAME) == [f"run {c}", f"run {a}", f"run {b}"]


def test_edited_tags_and_note_are_kept_in_the_store(qtbot, panel, store, home):
    run_id = add_run(store, TINY, [1.0, 0.8, 0.6])
    other = add_run(store, TINY.replace(lr=0.1), [1.0, 0.9, 0.8])
    panel.refresh()
    panel.select([run_id])
    panel.tags_edit.clear()
    qtbot.keyClicks(panel.tags_edit, "baseline, lr sweep, baseline")
    qtbot.keyClick(panel.tags_edit, Qt.Key.Key_Return)
    panel.note_edit.setFocus()
    qtbot.keyClicks(panel.note_edit, "the homework's settings")
    panel.select([other])  # moving on saves the note
    again = RunStore.open(home)  # what another window or the command line reads
    try:
        record = again.run(run_id)
    finally:
        again.close()
    assert record.tags == ("baseline", "lr", "sweep") and record.note == "the homework's settings"
    row = shown_column(panel, NAME).index(f"run {run_id}")
    assert shown_column(panel, TAGS)[row] == "baseline, lr, sweep"


# -- delete and undo --------------------------------------------------------------------------------


def test_delete_hides_runs_undo_brings_them_back_and_closing_purges_them(qtbot, panel, store):
    keep = add_run(store, TINY, [1.0, 0.8, 0.6])
    gone = [add_run(store, TINY.replace(lr=lr), [1.0, 0.9, 0.8]) for lr in (0.1, 0.2)]
    panel.refresh()
    tick(panel, gone[0])
    panel.select(gone)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert shown_column(panel, NAME) == [f"run {keep}"]
    assert [r.id for r in store.runs()] == [keep] and panel.model.ticked() == []
    assert panel.undo_button.isEnabled()
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert sorted(r.id for r in store.runs()) == sorted([keep, *gone])
    assert panel.model.ticked() == [gone[0]]  # and the tick it had
    assert sorted(panel.selected_ids()) == sorted(gone)
    panel.delete_button.click()
    panel.shutdown()  # the window closes
    assert [r.id for r in store.runs(include_deleted=True)] == [keep]


# -- export and compare -----------------------------------------------------------------------------------


def test_export_writes_the_selected_runs_curves_in_long_format(qtbot, panel, store, tmp_path):
    a = add_run(store, TINY, [1.0, 0.8, 0.6])
    b = add_run(store, TINY.replace(lr=0.1, epochs=2), [0.9, 0.7], test=(0.7, 0.7))
    add_run(store, TINY.replace(lr=0.2), [0.5, 0.4, 0.3])  # not selected
    panel.refresh()
    panel.select([a, b])
    path = tmp_path / "curves.csv"
    assert panel.export_csv(path)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["run", "epoch", "metric", "value"]
    expected = set()
    for run_id in (a, b):
        for e in store.epochs(run_id):
            for metric in ("loss", "train_accuracy", "test_loss", "test_accuracy"):
                value = getattr(e, metric)
                if value is not None:
                    expected.add((str(run_id), str(e.epoch), metric, value))
    got = {
        (r[0], r[1], r[2], float(r[3]))
        for r in rows[1:]
        if r[2] in ("loss", "train_accuracy", "test_loss", "test_accuracy")
    }
    assert got == expected
    assert {r[0] for r in rows[1:]} == {str(a), str(b)}


def test_compare_highlights_exactly_the_settings_that_differ(qtbot, panel, store):
    a = add_run(store, TINY, [1.0, 0.8, 0.6])
    b = add_run(store, TINY.replace(lr=0.1, hidden=16), [1.0, 0.9, 0.7])
    c = add_run(store, TINY, [1.0, 0.8, 0.6])
    panel.refresh()
    panel.select([b, a])
    assert panel.compare_button.isEnabled()
    dialog = panel.compare_selected()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, RunCompareDialog) and (dialog.a.id, dialog.b.id) == (a, b)
    assert dialog.highlighted_fields() == ["hidden", "lr"]
    dialog.only_differences.setChecked(True)
    shown = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount()) if not dialog.table.isRowHidden(r)]
    assert "hidden units" in shown and "learning rate" in shown and "seed" not in shown
    panel.select([a, c])
    same = panel.compare_selected()
    qtbot.addWidget(same)
    assert same.highlighted_fields() == [] and same.summary.text().startswith("Same settings")


# -- run again -------------------------------------------------------------------------------------------


def test_run_again_of_a_float64_full_batch_run_reproduces_its_curve_bit_for_bit(qtbot, window, store):
    config = TINY.replace(dtype="float64", batch_size=0, epochs=6, seed=11)
    train(qtbot, window, config)
    train(qtbot, window, TINY)  # the form moves on
    first = next(r for r in store.runs() if r.config == config)
    window.runs.select([first.id])
    assert window.runs.again_button.isEnabled()
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(window.runs.again_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    again = store.runs()[0]
    assert again.id != first.id and again.config == config and window.panel.config() == config
    before, after = store.epochs(first.id), store.epochs(again.id)
    assert len(after) == config.epochs
    assert [e.loss for e in after] == [e.loss for e in before]  # equal floats, not approximately
    assert [e.train_accuracy for e in after] == [e.train_accuracy for e in before]
    assert again.final_test_loss == first.final_test_loss and all(math.isfinite(e.loss) for e in after)


def test_open_model_makes_the_runs_model_current(qtbot, window, store):
    train(qtbot, window)
    network, _ = train(qtbot, window, TINY.replace(hidden=12))
    old = min(r.id for r in store.runs())
    window.runs.select([old])
    window.runs.open_button.click()
    assert window.current_model().config == TINY and window.current_model() is not network
    QApplication.processEvents()


def test_a_runs_model_is_written_off_the_gui_thread_and_then_opens(qtbot, window, store, monkeypatch):
    import threading

    from mlpgui.core import model_io

    writers = {}
    save = model_io.save_model

    def spy(network, path, *args, **kwargs):
        writers.setdefault(Path(path).name, []).append(threading.get_ident() == threading.main_thread().ident)
        return save(network, path, *args, **kwargs)

    monkeypatch.setattr(model_io, "save_model", spy)
    train(qtbot, window)
    (run,) = store.runs()
    assert writers[f"run-{run.id}.npz"] == [False]  # written once, off the GUI thread: large ones take seconds
    assert run.model_path is not None
    qtbot.waitUntil(lambda: window.runs.model.find(run.id).model_path is not None, timeout=5_000)
