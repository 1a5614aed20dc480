"""The evaluation tab: model changes -> the linked views reflect them (pytest-qt, offscreen)."""

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

import mlpgui.qt  # noqa: F401  (pyqtgraph options)
from mlpgui.core.metrics import Selection
from mlpgui.qt import evaluation_panel
from mlpgui.qt.evaluation_panel import EvaluationPanel
from mlpgui.qt.weights_view import SIDE, WeightsView

LEFT = QtCore.Qt.MouseButton.LeftButton


def _panel(qtbot, network, task, show=False):
    panel = EvaluationPanel()
    qtbot.addWidget(panel)
    if show:
        panel.resize(1300, 850)
        panel.show()
        qtbot.waitExposed(panel)
    panel.set_model(network, task)
    # A slow refresh on a busy machine may be spaced out; reading the evaluation brings it up to date.
    assert (panel.evaluation is None) == (network is None)
    return panel


# -- confusion matrix -----------------------------------------------------------------


def test_confusion_counts_sum_to_the_test_set_and_match_numpy(qtbot, multi):
    network, task = multi
    panel = _panel(qtbot, network, task)
    ev = panel.evaluation
    predictions = network.predict(task.inputs("test"))
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (task.test_labels, predictions), 1)
    assert np.array_equal(ev.confusion, expected)
    assert ev.confusion.sum() == len(task.test_labels)
    matrix = panel.confusion.matrix
    shown = [[int(matrix.shown_text(t, g)) for g in range(10)] for t in range(10)]
    assert np.array_equal(shown, expected)
    assert f"{100 * ev.accuracy:.2f}%" in panel.confusion.accuracy_label.text()
    assert panel.confusion.table.rowCount() == 10


def test_row_normalisation_shows_each_rows_share(qtbot, multi):
    panel = _panel(qtbot, *multi)
    ev = panel.evaluation
    panel.confusion.normalise.setChecked(True)
    recall = ev.metrics.recall
    for t in range(10):
        assert panel.confusion.matrix.shown_text(t, t) == f"{100 * recall[t]:.0f}"
    panel.confusion.normalise.setChecked(False)
    assert panel.confusion.matrix.shown_text(0, 0) == str(ev.confusion[0, 0])


def test_clicking_a_cell_filters_the_browser_to_exactly_that_cell(qtbot, multi):
    panel = _panel(qtbot, *multi)
    ev = panel.evaluation
    t, g = np.unravel_index(np.argmax(ev.confusion - np.diag(np.diag(ev.confusion))), ev.confusion.shape)
    panel.confusion.click_cell(int(t), int(g))
    shown = panel.browser.shown_indices()
    assert panel.browser.count() == ev.confusion[t, g] > 0
    assert np.all(ev.labels[shown] == t) and np.all(ev.predictions[shown] == g)
    assert f"{ev.confusion[t, g]:,}" in panel.browser.count_label.text()
    panel.confusion.click_cell(3, 3)
    assert panel.browser.count() == ev.confusion[3, 3]


def test_a_mouse_click_on_a_cell_filters_the_browser(qtbot, multi):
    panel = _panel(qtbot, *multi, show=True)
    ev = panel.evaluation
    matrix = panel.confusion.matrix
    for t, g in [(4, 9), (7, 2), (0, 0)]:
        with qtbot.waitSignal(matrix.cellClicked) as clicked:
            qtbot.mouseClick(matrix.viewport(), LEFT, pos=matrix.cell_widget_pos(t, g))
        assert clicked.args == [t, g]
        assert panel.browser.count() == ev.confusion[t, g]
        assert panel.browser.selection() == Selection.cell(t, g)


# -- image browser --------------------------------------------------------------------


def test_browser_lists_every_mistake_most_confident_first(qtbot, multi):
    panel = _panel(qtbot, *multi)
    ev = panel.evaluation
    browser = panel.browser
    wrong = ev.size - np.trace(ev.confusion)
    assert browser.model.rowCount() == browser.count() == wrong
    confidence = ev.confidence[browser.shown_indices()]
    assert np.all(np.diff(confidence) <= 0)
    browser.order.setCurrentIndex(1)  # least confident first
    assert np.all(np.diff(ev.confidence[browser.shown_indices()]) >= 0)
    assert browser.count() == wrong


def test_browser_reaches_all_10000_images_with_lazy_thumbnails(qtbot, multi):
    panel = _panel(qtbot, *multi)
    browser = panel.browser
    browser.kind.setCurrentIndex(browser.kind.findData("all"))
    assert browser.model.rowCount() == 10_000
    last = browser.model.index(9_999, 0)
    assert not browser.model.data(last, QtCore.Qt.ItemDataRole.DecorationRole).isNull()
    i = browser.model.data(last, browser.model.INDEX_ROLE)
    ev = panel.evaluation
    text = browser.model.data(last, QtCore.Qt.ItemDataRole.DisplayRole)
    assert text.startswith(f"{ev.labels[i]} → {ev.predictions[i]}")
    assert f"{100 * ev.confidence[i]:.1f}%" in text


def test_true_and_guess_filters_agree_with_the_matrix(qtbot, multi):
    panel = _panel(qtbot, *multi)
    ev, browser = panel.evaluation, panel.browser
    browser.kind.setCurrentIndex(browser.kind.findData("all"))
    browser.true_class.setCurrentIndex(browser.true_class.findData(5))
    assert browser.count() == ev.confusion[5].sum()
    browser.guess_class.setCurrentIndex(browser.guess_class.findData(3))
    assert browser.count() == ev.confusion[5, 3]
    browser.kind.setCurrentIndex(browser.kind.findData("correct"))
    assert browser.count() == 0
    browser.guess_class.setCurrentIndex(browser.guess_class.findData(5))
    assert browser.count() == ev.confusion[5, 5]


def test_selecting_an_image_shows_it_and_sends_it_to_the_draw_pad(qtbot, multi):
    network, task = multi
    panel = _panel(qtbot, network, task)
    browser = panel.browser
    assert not browser.send_button.isEnabled()
    browser.select_row(2)
    i = browser.shown_indices()[2]
    ev = panel.evaluation
    assert f"#{i}" in browser.caption.text()
    heights = browser.probabilities.bars.opts["height"]
    assert np.allclose(heights, ev.proba[i])
    # the weights view now ranks the hidden units this image activates
    assert len(panel.weights.top_units) > 0 and f"#{i}" in panel.weights.input_caption.text()
    with qtbot.waitSignal(panel.sendToDrawPad) as sent:
        qtbot.mouseClick(browser.send_button, LEFT)
    image = sent.args[0]
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert np.array_equal(image, task.test_images[i])


def test_training_set_toggle(qtbot, multi):
    network, task = multi
    panel = _panel(qtbot, network, task)
    panel.set_which("train")
    ev = panel.evaluation
    assert ev.which == "train" and ev.confusion.sum() == task.n_train
    assert np.array_equal(ev.predictions, network.predict(task.inputs("train")))
    assert "training" in panel.browser.count_label.text()
    panel.set_which("test")
    assert panel.evaluation.size == len(task.test_labels)


def test_new_weights_keep_the_cell_filter_and_its_count(qtbot, multi):
    network, task = multi
    panel = _panel(qtbot, network, task)
    panel.confusion.click_cell(2, 7)
    other = network.copy()
    other.W2 *= 0.3
    other.b2[7] += 2.0  # guesses 7 more often
    panel.set_model(other, task)
    ev = panel.evaluation
    assert panel.browser.selection() == Selection.cell(2, 7)
    assert panel.browser.count() == ev.confusion[2, 7]
    assert np.array_equal(ev.predictions, other.predict(task.inputs("test")))


def test_no_model_and_a_mismatched_model_are_shown_not_raised(qtbot, multi, binary):
    panel = _panel(qtbot, None, None)
    assert panel.evaluation is None and panel.browser.count() == 0
    panel.set_model(binary[0], multi[1])
    assert panel.evaluation is None
    assert "Can't evaluate" in panel.status.text() and "5 and 8" in panel.status.text()
    panel.set_model(*multi)
    assert panel.evaluation is not None


# -- binary extras ------------------------------------------------------------------


def test_binary_extras_only_for_binary_tasks(qtbot, multi, binary):
    panel = _panel(qtbot, *multi, show=True)
    assert not panel.binary.isVisible() and not panel.browser.group.isVisible()
    panel.set_model(*binary)
    assert panel.evaluation is not None
    assert panel.binary.isVisible() and panel.browser.group.isVisible()
    texts = [[panel.confusion.matrix.shown_text(t, g) for g in range(2)] for t in range(2)]
    c = panel.evaluation.counts
    assert texts == [[f"TN\n{c.tn}", f"FP\n{c.fp}"], [f"FN\n{c.fn}", f"TP\n{c.tp}"]]
    ticks = panel.confusion.matrix.plot.getAxis("bottom")._tickLevels[0]
    assert [label for _, label in ticks] == ["5", "8"]
    assert f"{panel.evaluation.auc():.4f}" in panel.binary.roc.plotItem.titleLabel.text


def test_threshold_zero_predicts_every_image_as_the_second_digit(qtbot, binary):
    network, task = binary
    panel = _panel(qtbot, network, task)
    panel.binary.set_threshold(0.0)
    ev = panel.evaluation
    assert np.all(ev.predictions == 1)
    assert ev.confusion[:, 0].sum() == 0
    assert ev.counts.tp == np.sum(task.test_labels == 1) and ev.counts.fp == np.sum(task.test_labels == 0)
    assert panel.binary.slider.value() == 0 and panel.binary.spin.value() == 0.0


def test_moving_the_threshold_moves_counts_between_cells_and_updates_the_browser(qtbot, binary):
    network, task = binary
    panel = _panel(qtbot, network, task)
    y_hat = panel.evaluation.proba[:, 1]
    labels = panel.evaluation.labels
    panel.browser.group.setCurrentIndex(panel.browser.group.findData("FN"))
    before = panel.evaluation.counts
    assert panel.browser.count() == before.fn
    panel.binary.slider.setValue(900)  # the user drags the slider to 0.9
    after = panel.evaluation.counts
    moved = (y_hat >= 0.5) & (y_hat < 0.9)
    assert after.fn == before.fn + np.sum(moved & (labels == 1))
    assert after.tp == before.tp - np.sum(moved & (labels == 1))
    assert after.tn == before.tn + np.sum(moved & (labels == 0))
    assert after.fp == before.fp - np.sum(moved & (labels == 0))
    assert panel.browser.count() == after.fn
    assert panel.confusion.matrix.shown_text(1, 0) == f"FN\n{after.fn}"
    assert panel.binary.line.value() == pytest.approx(0.9)
    assert np.array_equal(panel.evaluation.proba[:, 1], y_hat)  # recounted, not re-run


def test_threshold_survives_new_weights_of_the_same_task(qtbot, binary):
    network, task = binary
    panel = _panel(qtbot, network, task)
    panel.binary.set_threshold(0.7)
    panel.set_model(network.copy(), task)
    assert panel.evaluation.threshold == pytest.approx(0.7)


# -- inside the network -------------------------------------------------------------


@pytest.mark.parametrize("hidden", [1, 16, 32, 50])
def test_weights_grid_shows_one_tile_per_hidden_unit(qtbot, multi, hidden):
    network, _ = multi
    net = network.copy()
    net.W1 = np.random.default_rng(hidden).normal(size=(784, hidden)).astype(np.float32)
    net.b1 = np.zeros(hidden, np.float32)
    net.W2 = np.ones((hidden, 10), np.float32)
    view = WeightsView()
    qtbot.addWidget(view)
    view.set_network(net)
    assert view.tile_count == hidden
    alpha = view.grid_image.image[..., 3]
    drawn = [
        alpha[int(r.top()) : int(r.bottom()), int(r.left()) : int(r.right())].min()
        for r in map(view.tile_rect, range(hidden))
    ]
    assert min(drawn) == 255
    assert np.sum(alpha == 255) == hidden * SIDE * SIDE  # nothing but the H tiles is drawn


def test_clicking_a_tile_shows_that_unit_and_its_outgoing_weights(qtbot, multi):
    network, task = multi
    panel = _panel(qtbot, network, task, show=True)
    panel.tabs.setCurrentWidget(panel.weights)
    view = panel.weights
    assert view.tile_count == network.hidden
    for unit in (0, 13, network.hidden - 1):
        with qtbot.waitSignal(view.unitClicked) as clicked:
            qtbot.mouseClick(view.grid.viewport(), LEFT, pos=view.tile_widget_pos(unit))
        assert clicked.args == [unit]
        assert np.allclose(view.unit_image.image, network.W1[:, unit].reshape(28, 28))
        assert np.allclose(view.outgoing_bars.opts["height"], network.W2[unit])


def test_drawn_input_ranks_the_units_it_activates_most(qtbot, multi):
    network, task = multi
    panel = _panel(qtbot, network, task)
    image = task.test_images[7]
    panel.show_drawn_input(image)
    x = image.reshape(-1) / 255.0
    activations = 1 / (1 + np.exp(-(x @ network.W1 + network.b1)))
    top = panel.weights.top_units
    assert len(top) == 10
    assert np.allclose(activations[top], np.sort(activations)[::-1][:10], atol=1e-5)
    assert "draw pad" in panel.weights.input_caption.text()
    panel.show_drawn_input(None)
    assert len(panel.weights.top_units) == 0


# -- staying responsive -------------------------------------------------------------


def test_hidden_panel_in_an_open_window_refreshes_when_shown(qtbot, multi):
    tabs = QtWidgets.QTabWidget()
    qtbot.addWidget(tabs)
    panel = EvaluationPanel()
    tabs.addTab(QtWidgets.QLabel("training"), "Train")
    tabs.addTab(panel, "Evaluate")
    tabs.show()
    qtbot.waitExposed(tabs)
    panel.set_model(*multi)
    assert panel.confusion.evaluation is None  # not computed while nobody can see it
    with qtbot.waitSignal(panel.updated, timeout=10_000):
        tabs.setCurrentWidget(panel)
    assert panel.confusion.evaluation is not None
    assert panel.confusion.evaluation.confusion.sum() == 10_000


def test_slow_refreshes_are_spaced_out_but_the_latest_model_is_shown(qtbot, multi, monkeypatch):
    network, task = multi
    monkeypatch.setattr(evaluation_panel, "SLOW_REFRESH", 0.0)  # treat every refresh as slow
    panel = _panel(qtbot, network, task, show=True)
    first = panel.confusion.evaluation
    latest = network.copy()
    latest.b2[3] += 5.0
    with qtbot.waitSignal(panel.updated, timeout=5000):
        panel.set_model(network.copy(), task)
        panel.set_model(latest, task)
        assert panel.confusion.evaluation is first  # deferred, not computed twice in a row
    assert np.array_equal(panel.confusion.evaluation.predictions, latest.predict(task.inputs("test")))


def test_the_confusion_matrix_axes_have_no_tick_marks_to_read_as_minus_signs(qtbot):
    from mlpgui.qt.confusion_view import ConfusionMatrixView

    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    for name in ("left", "bottom", "top", "right"):
        assert view.plot.getAxis(name).style["tickLength"] == 0, name
