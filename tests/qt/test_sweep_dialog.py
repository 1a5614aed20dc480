"""Sweeps in the window: a grid from the Sweep dialog, trained one run at a time, recorded, plotted, clickable."""

import pytest
from PySide6.QtCore import QPoint, Qt

from mlpgui.core.config import TrainConfig
from mlpgui.core.runstore import RunStore
from mlpgui.qt import worker as training
from mlpgui.qt.sweep_plot import SweepPlot
from mlpgui.qt.sweep_runner import config_work

TINY = TrainConfig(task="multiclass", per_class=20, hidden=8, epochs=3, lr=0.5, scale="unit", dtype="float32")
SWEEP_TIMEOUT = 120_000


@pytest.fixture
def window(open_window, dialogs, home):
    w = open_window(home)
    w.panel.set_config(TINY)
    return w


@pytest.fixture
def store(home):
    s = RunStore.open(home)
    yield s
    s.close()


def run_sweep(qtbot, dialog):
    with qtbot.waitSignal(dialog.runner.finished, timeout=SWEEP_TIMEOUT) as blocker:
        pass
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    return blocker.args


def click_at(qtbot, plot: SweepPlot, x: float, y: float) -> None:
    """A left click where the plot draws the point (x, y)."""
    import pyqtgraph as pg

    scene = plot.plot_item.vb.mapViewToScene(pg.Point(x, y))
    where = plot.plot_widget.mapFromScene(scene)
    qtbot.mouseClick(plot.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(where.x(), where.y()))


def test_a_two_by_two_sweep_records_four_tagged_runs_and_plots_a_clickable_heatmap(qtbot, window, store, dialogs):
    dialog = window.open_sweep_dialog()
    qtbot.addWidget(dialog)
    dialog.set_grid("lr", "0.1, 0.5", "hidden", "4, 8")
    assert dialog.grid_label.text().startswith("2 × 2 = 4 runs, 12 epochs in all")
    progress = []
    assert dialog.start()
    dialog.runner.progress.connect(progress.append)
    stopped, why = run_sweep(qtbot, dialog)
    assert not stopped and why == ""
    runs = store.runs(sweep_id=dialog.sweep.id)
    assert len(runs) == 4 and all(r.status == "finished" and dialog.sweep.id in r.tags for r in runs)
    assert {(r.config.lr, r.config.hidden) for r in runs} == {(0.1, 4), (0.1, 8), (0.5, 4), (0.5, 8)}
    assert all(r.config.replace(lr=TINY.lr, hidden=TINY.hidden) == TINY for r in runs)
    # progress only goes forward, and ends at the whole grid
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert dialog.progress_bar.value() == 1000 and "done: 4 runs recorded" in dialog.progress_label.text()

    plot = dialog.plot
    assert plot.heatmap_shape() == (2, 2)
    points = plot.points()
    by_id = {r.id: r for r in runs}
    assert sorted(p.run_id for p in points) == sorted(by_id)
    for p in points:
        record = by_id[p.run_id]
        assert (dialog.sweep.axes["lr"][p.position[0]], dialog.sweep.axes["hidden"][p.position[1]]) == (
            record.config.lr,
            record.config.hidden,
        )
        assert p.value == pytest.approx(100 * record.final_test_accuracy)

    # clicking a cell opens that run's model and shows it in the Runs dock
    dialog.resize(900, 640)
    qtbot.wait(50)
    picked = next(p for p in points if p.position == (1, 0))
    with qtbot.waitSignal(plot.runPicked, timeout=5_000) as clicked:
        click_at(qtbot, plot, *plot.point_position(picked.run_id))
    assert clicked.args == [picked.run_id]
    assert window.current_model().config == by_id[picked.run_id].config, dialogs
    assert window.runs.selected_ids() == [picked.run_id]


def test_one_setting_is_a_line_of_points_and_the_metric_can_be_the_loss(qtbot, window, store):
    dialog = window.open_sweep_dialog()
    qtbot.addWidget(dialog)
    dialog.set_grid("epochs", "1, 2, 4")
    assert dialog.grid_label.text().startswith("3 runs, 7 epochs in all")
    assert dialog.start()
    run_sweep(qtbot, dialog)
    runs = {r.config.epochs: r for r in store.runs(sweep_id=dialog.sweep.id)}
    plot = dialog.plot
    assert plot.heatmap_shape() is None
    assert [p.value for p in plot.points()] == pytest.approx([100 * runs[e].final_test_accuracy for e in (1, 2, 4)])
    plot.metric_combo.setCurrentText("test loss")
    assert [p.value for p in plot.points()] == pytest.approx([runs[e].final_test_loss for e in (1, 2, 4)])
    x, y = plot.curve.getData()
    assert list(x) == [0, 1, 2] and list(y) == pytest.approx([runs[e].final_test_loss for e in (1, 2, 4)])


def test_a_sweep_stops_between_runs_and_within_a_run(qtbot, window, store):
    dialog = window.open_sweep_dialog()
    qtbot.addWidget(dialog)
    dialog.set_grid("seed", "1, 2, 3")
    assert dialog.start()
    dialog.stop_after_button.click()  # the first run ends as planned; no other starts
    stopped, why = run_sweep(qtbot, dialog)
    assert stopped and why == "stopped"
    (only,) = store.runs(sweep_id=dialog.sweep.id)
    assert only.status == "finished" and only.config.seed == 1

    dialog.set_grid("seed", "4, 5", "epochs", "100000")
    assert dialog.start()
    qtbot.waitUntil(lambda: window.run_state().epochs_done >= 2, timeout=SWEEP_TIMEOUT)
    dialog.stop_now_button.click()
    stopped, _why = run_sweep(qtbot, dialog)
    assert stopped
    (run,) = store.runs(sweep_id=dialog.sweep.id)
    assert run.status == "stopped" and 2 <= run.epochs_done < 100_000
    assert not window.is_training()


def test_bad_values_say_why_and_keep_start_disabled(qtbot, window):
    dialog = window.open_sweep_dialog()
    qtbot.addWidget(dialog)
    dialog.set_grid("lr", "0.1, fast")
    assert not dialog.start_button.isEnabled() and "fast" in dialog.grid_label.text()
    dialog.set_grid("lr", "0.1, -1")
    assert not dialog.start_button.isEnabled() and "learning rate" in dialog.grid_label.text()
    dialog.set_grid("lr", "0.1, 0.2", "lr", "0.3")
    assert not dialog.start_button.isEnabled() and "twice" in dialog.grid_label.text()
    dialog.set_grid("lr", "0.1, 0.2")
    assert dialog.start_button.isEnabled()


def test_work_weighs_runs_by_their_arithmetic():
    assert config_work(TINY.replace(epochs=6)) == 2 * config_work(TINY)
    assert config_work(TINY.replace(hidden=16)) == 2 * config_work(TINY)


def test_a_heatmap_paints_each_cell_where_its_labels_say(qtbot, store):
    """Three learning rates across, two hidden sizes up: every cell's colour ranks with its own value."""
    lrs, hiddens = [0.1, 0.3, 1.0], [16, 64]
    accuracy = {(0.1, 16): 0.50, (0.3, 16): 0.60, (1.0, 16): 0.95, (0.1, 64): 0.70, (0.3, 64): 0.80, (1.0, 64): 0.55}
    for (lr, hidden), acc in accuracy.items():
        run_id = store.start_run(TINY.replace(lr=lr, hidden=hidden), sweep_id="sweep-x")
        store.finish_run(run_id, "finished", final_test=(1.0, acc))
    plot = SweepPlot()
    qtbot.addWidget(plot)
    plot.set_results({"lr": lrs, "hidden": hiddens}, store.runs(sweep_id="sweep-x"))
    assert plot.heatmap_shape() == (3, 2)
    brightness = {
        (lr, h): sum(plot.cell_colour(x, y)) for x, lr in enumerate(lrs) for y, h in enumerate(hiddens)
    }  # viridis grows brighter with the value
    assert sorted(brightness, key=brightness.get) == sorted(accuracy, key=accuracy.get)
