"""The loss plot: one point per epoch, test points where measured, stored runs overlaid and named."""

import math

import pyqtgraph as pg
from PySide6.QtGui import QImage

from mlpgui.core.config import TrainConfig
from mlpgui.core.training import EpochReport
from mlpgui.qt.loss_plot import LossPlot, describe_difference

CONFIG = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=20, lr=0.5, scale="unit", dtype="float32")


def reports(n, scale=1.0, test_every=5):
    return [
        EpochReport(
            e,
            n,
            scale / e,
            0.5 + e / (4 * n),
            0.01 * e,
            scale / e + 0.1 if e % test_every == 0 else None,
            0.6 + e / (4 * n) if e % test_every == 0 else None,
        )
        for e in range(1, n + 1)
    ]


def make_plot(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    return plot


def test_each_epoch_becomes_one_point_of_the_training_curve(qtbot):
    plot = make_plot(qtbot)
    plot.start_run(CONFIG)
    history = reports(20)
    for r in history:
        plot.add_report(r)
    assert plot.loss_values() == [r.loss for r in history]
    assert plot.test_loss_values() == [(r.epoch, r.test_loss) for r in history if r.test_loss is not None]


def test_a_new_run_starts_an_empty_curve(qtbot):
    plot = make_plot(qtbot)
    plot.start_run(CONFIG)
    for r in reports(20):
        plot.add_report(r)
    plot.start_run(CONFIG.replace(lr=0.1, hidden=64), "run 2")
    assert plot.loss_values() == [] and plot.earlier_run_labels() == []
    assert plot.readout.text().startswith("Run 2: multiclass")


def test_overlaid_runs_are_named_by_what_differed_and_can_be_cleared(qtbot):
    plot = make_plot(qtbot)
    cleared = []
    plot.overlaysCleared.connect(lambda: cleared.append(True))
    plot.start_run(CONFIG.replace(lr=0.1, hidden=64), "run 9")
    old = reports(20)
    plot.add_overlay(3, CONFIG, old)
    plot.add_overlay(5, CONFIG.replace(lr=0.1, hidden=64), reports(12, scale=2.0))
    assert plot.earlier_run_labels() == ["run 3: hidden 32, lr 0.5", "run 5: same settings"]
    assert plot.overlay_data(3) == ([r.epoch for r in old], [r.loss for r in old])
    legend = [label.text for _sample, label in plot.legend.items]
    assert legend[0] == "training loss (run 9)"
    plot.add_overlay(3, CONFIG, old[:5])  # drawn again: replaced, not doubled
    assert plot.overlay_ids() == [5, 3] and plot.overlay_data(3)[0] == [1, 2, 3, 4, 5]
    plot.remove_overlay(5)
    assert plot.overlay_ids() == [3] and plot.clear_button.isEnabled()
    plot.clear_button.click()
    assert plot.earlier_run_labels() == [] and cleared == [True]
    assert not plot.clear_button.isEnabled()


def test_the_epoch_axis_spans_the_longest_overlaid_run(qtbot):
    plot = make_plot(qtbot)
    plot.show_planned_epochs(5)
    plot.add_overlay(1, CONFIG.replace(epochs=40), reports(40))
    low, high = plot.plot_item.vb.viewRange()[0]
    assert low <= 1 and 40 <= high < 42


def test_difference_names_binary_digits_and_full_batch():
    a = TrainConfig(task="binary", digits=(3, 5), batch_size=0)
    b = TrainConfig(task="binary", digits=(5, 8), batch_size=32)
    assert describe_difference(a, b) == "digits 3/5, batch full"


def test_hover_text_shows_the_epochs_values(qtbot):
    plot = make_plot(qtbot)
    plot.start_run(CONFIG)
    for r in reports(20):
        plot.add_report(r)
    assert plot.epoch_text(4).startswith("epoch 4: training loss 0.25, accuracy 55.0%")
    assert plot.epoch_text(10).endswith("test loss 0.2, accuracy 72.5%")
    assert plot.epoch_text(21) == ""


def test_log_scale_changes_the_axis_not_the_values(qtbot):
    plot = make_plot(qtbot)
    plot.start_run(CONFIG)
    history = reports(20)
    for r in history:
        plot.add_report(r)
    plot.log_check.setChecked(True)
    assert plot.plot_item.ctrl.logYCheck.isChecked()
    assert plot.loss_values() == [r.loss for r in history]
    shown = plot.train_curve.getData()[1]  # what is drawn: log10 of the loss
    assert all(math.isclose(y, math.log10(r.loss)) for y, r in zip(shown, history, strict=True))
    plot.log_check.setChecked(False)
    assert list(plot.train_curve.getData()[1]) == [r.loss for r in history]


def test_export_png_writes_a_picture(qtbot, tmp_path):
    plot = make_plot(qtbot)
    plot.resize(640, 400)
    plot.start_run(CONFIG)
    for r in reports(20):
        plot.add_report(r)
    path = tmp_path / "loss.png"
    assert plot.export_png(path)
    image = QImage(str(path))
    assert not image.isNull() and image.width() > 100


def test_log_scale_makes_only_the_loss_axis_logarithmic(qtbot):
    plot = make_plot(qtbot)
    plot.resize(700, 450)
    plot.start_run(CONFIG)
    for r in reports(20):
        plot.add_report(r)
    plot.set_log_scale(True)
    assert plot.plot_item.getAxis("left").logMode
    right = plot.plot_item.getAxis("right")
    assert not right.logMode
    values = [v for _spacing, ticks in right.tickValues(0, 100, 300) for v in ticks]
    labels = right.tickStrings(values, 1.0, 10)
    assert "100" in labels and not any("e" in t or "^" in t for t in labels)  # 0-100 %, not powers of ten


def test_a_curve_of_one_point_is_drawn_as_a_symbol(qtbot):
    plot = make_plot(qtbot)
    plot.start_run(CONFIG.replace(epochs=1))
    plot.add_report(EpochReport(1, 1, 0.7, 0.6, 0.01, 0.72, 0.58))
    plot.loss_values()  # redraw now
    for curve in (plot.train_curve, plot.test_curve):
        assert curve.opts["symbol"] is not None  # a lone point has no line to show it
    plot.start_run(CONFIG)
    for r in reports(3):
        plot.add_report(r)
    plot.loss_values()
    assert plot.train_curve.opts["symbol"] is None  # a line shows longer curves
    assert plot.test_curve.opts["symbol"] is None  # no test points yet


def test_the_legend_fits_inside_the_plot_after_runs_with_many_differences(qtbot):
    plot = make_plot(qtbot)
    plot.resize(640, 330)
    plot.show()
    qtbot.waitExposed(plot)
    configs = [
        CONFIG.replace(lr=0.1, hidden=256, batch_size=0, per_class=1000, seed=3, dtype="float64"),
        CONFIG.replace(lr=2.0, hidden=16, batch_size=32, per_class=200, seed=9, scale="raw"),
        CONFIG.replace(lr=0.05, hidden=512, batch_size=64, per_class=0, seed=1, task="binary"),
        CONFIG,
    ]
    for number, config in enumerate(configs[:-1], 1):
        plot.add_overlay(number, config, reports(20))
    plot.start_run(configs[-1])
    for r in reports(20):
        plot.add_report(r)
    plot.loss_values()
    qtbot.wait(50)
    labels = plot.earlier_run_labels()
    assert labels[0].startswith("run 1: ") and all(len(text) <= 30 for text in labels), labels
    tips = [label.toolTip() for _sample, label in plot.legend.items[4:]]
    assert "lr 0.1" in tips[0] and "hidden 256" in tips[0] and "float64" in tips[0]
    view = plot.plot_item.vb.sceneBoundingRect()
    legend = plot.legend.sceneBoundingRect()
    assert view.contains(legend), (legend, view)
    # the newest run's last points are not under the legend
    for curve in (plot.train_curve, plot.train_acc_curve):
        x, y = curve.xData[-3:], curve.yData[-3:]
        box = plot.accuracy_view if curve is plot.train_acc_curve else plot.plot_item.vb
        for xi, yi in zip(x, y, strict=True):
            assert not legend.contains(box.mapViewToScene(pg.Point(float(xi), float(yi))))
