"""Why this guess, one sample one step, and "not sure": the views show exactly what the core computes."""

import re

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest

from mlpgui.core.config import TrainConfig
from mlpgui.core.explain import contributions, one_step, saliency
from mlpgui.core.metrics import Evaluation
from mlpgui.core.network import labels_from_proba
from mlpgui.core.reject import reject_curve
from mlpgui.qt import worker as training
from mlpgui.qt.draw_pad import NOT_SURE, DrawPadPanel
from mlpgui.qt.explain_view import ExplainView
from mlpgui.qt.image_browser import REJECTED, ImageBrowser
from mlpgui.qt.main_window import MainWindow
from mlpgui.qt.one_step_view import OneStepView, number
from mlpgui.qt.reject_view import RejectView
from mlpgui.qt.settings import Settings

TINY = TrainConfig(task="multiclass", per_class=50, hidden=32, epochs=5, lr=0.5, scale="unit", dtype="float32")
ONE = [(0.52, 0.15), (0.5, 0.85)]
SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.42, 0.85)]
SEVEN_BAR = [(0.4, 0.52), (0.66, 0.52)]
ZERO = [(0.5 + 0.22 * np.cos(a), 0.5 + 0.32 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 41)]


def draw_and_wait(qtbot, pad, points):
    """Drag the mouse through `points` (fractions of the pad) and wait for the throttled prediction."""
    canvas = pad.canvas
    side = min(canvas.width(), canvas.height())
    ox, oy = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    pos = [QPoint(round(ox + x * side), round(oy + y * side)) for x, y in points]
    with qtbot.waitSignal(pad.predictionChanged, timeout=2000):
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[0])
        for p in pos[1:]:
            QTest.mouseMove(canvas, p)
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[-1])


def train(qtbot, window, config):
    window.panel.set_config(config)
    with qtbot.waitSignal(window.runFinished, timeout=60_000) as blocker:
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)
    return blocker.args


@pytest.fixture
def pad(qtbot):
    panel = DrawPadPanel()
    qtbot.addWidget(panel)
    panel.resize(320, 760)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def numbers(text: str) -> list[float]:
    """Every number in a shown text, real minus signs included."""
    return [float(n) for n in re.findall(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text.replace("−", "-"))]


def logits(network, image) -> np.ndarray:
    """The output logits z2 = a1 W2 + b2, from the network's own forward pass (not the explain module)."""
    a1 = network.hidden_activations(np.asarray(image)[None], images=True)[0].astype(np.float64)
    return a1 @ np.asarray(network.W2, np.float64) + np.asarray(network.b2, np.float64)


def low_confidence_digit(network, task, below=0.9):
    """A test image the network guesses with less than `below` confidence."""
    proba = network.predict_images(task.test_images[:500])
    proba = proba if proba.ndim == 2 and proba.shape[1] > 1 else np.c_[1 - proba.ravel(), proba.ravel()]
    i = int(np.flatnonzero(proba.max(axis=1) < below)[0])
    return task.test_images[i], float(proba[i].max())


# -- why this guess, on the pad -------------------------------------------------------------


def test_the_saliency_follows_the_drawing_live_and_costs_nothing_collapsed(qtbot, pad, reader):
    pad.set_network(reader)
    draw_and_wait(qtbot, pad, ONE)
    assert pad.why.saliency is None and pad.why.isHidden()  # collapsed: nothing computed
    assert pad.input_stack.currentWidget() is pad.input_view

    pad.why_button.click()
    assert pad.why.isVisible() and pad.input_stack.currentWidget() is pad.why.overlay
    first = pad.network_input()
    expected = saliency(reader, first).grad
    assert np.array_equal(pad.why.overlay.values(), expected)
    assert pad.why.target() == pad.guess() == 1

    draw_and_wait(qtbot, pad, SEVEN)  # more strokes: the overlay follows the new input
    second = pad.network_input()
    assert not np.array_equal(first, second)
    assert np.array_equal(pad.why.overlay.values(), saliency(reader, second).grad)
    # red where ink raises the score, blue where it lowers it, one scale for both
    grad, rgb = pad.why.overlay.values(), pad.why.overlay.rgb().astype(int)
    up, down = np.unravel_index(np.argmax(grad), grad.shape), np.unravel_index(np.argmin(grad), grad.shape)
    assert rgb[up][0] > rgb[up][2] and rgb[down][2] > rgb[down][0]
    assert pad.why.overlay.peak() == pytest.approx(np.abs(grad).max())

    pad.why_button.click()
    assert pad.input_stack.currentWidget() is pad.input_view


def test_switching_the_class_explains_that_class(qtbot, pad, reader):
    pad.set_network(reader)
    pad.set_why_shown(True)
    draw_and_wait(qtbot, pad, ONE)
    image = pad.network_input()
    guessed = pad.why.overlay.values()
    pad.why.set_target(7)  # "what would make this a 7?"
    assert pad.why.target() == 7 and pad.guess() == 1
    assert np.array_equal(pad.why.overlay.values(), saliency(reader, image, 7).grad)
    assert not np.array_equal(pad.why.overlay.values(), guessed)
    assert pad.why.top_units() == [int(u) for u in contributions(reader, image, 7).units]
    assert "What would make this a 7?" in pad.why.legend.text()

    pad.why.set_of("logit")
    assert np.array_equal(pad.why.overlay.values(), saliency(reader, image, 7, "logit").grad)
    draw_and_wait(qtbot, pad, SEVEN_BAR)  # the switch stays on 7 while drawing
    assert pad.why.target() == 7
    pad.why.set_target(None)
    assert pad.why.target() == pad.guess()


@pytest.mark.parametrize("which", ["multi", "binary"])
def test_the_sum_line_adds_the_contributions_and_the_bias_up_to_the_logit(qtbot, request, which):
    network, task = request.getfixturevalue(which)
    view = ExplainView()
    qtbot.addWidget(view)
    view.set_network(network)
    image = task.test_images[3]
    view.set_image(image)
    z2 = logits(network, image)
    for digit in network.classes:
        view.set_target(digit)
        total, bias, logit = numbers(view.sum_line())[-3:]
        k = network.classes.index(digit)
        expected = ((1 if k == 1 else -1) * z2[0]) if len(z2) == 1 else z2[k]  # binary: the logit of a is -z
        assert logit == pytest.approx(expected, abs=1e-3 * max(1.0, abs(expected)))
        assert total + bias == pytest.approx(logit, abs=2e-3 * max(1.0, abs(logit)))
        c = view.contributions
        assert c.values.sum() + c.bias == pytest.approx(c.logit, abs=1e-9)
        assert c.logit == pytest.approx(expected, abs=1e-5)  # the oracle's forward pass is the model's float32
        shown = [t.contribution for t in view.tiles if t.isVisibleTo(view)]
        assert shown == sorted(shown, key=abs, reverse=True) and len(shown) == min(8, network.hidden)


def test_a_drawing_stays_explained_when_a_two_digit_model_replaces_a_ten_digit_one(qtbot, pad, reader, binary):
    pad.set_network(reader)
    pad.set_why_shown(True)
    draw_and_wait(qtbot, pad, SEVEN)
    network, _ = binary
    pad.set_network(network)
    assert len(pad.bars.heights()) == 2 and pad.guess() in network.classes
    assert np.array_equal(pad.why.overlay.values(), saliency(network, pad.network_input()).grad)
    assert pad.why.target_choice.count() == 3  # the guess, 5 and 8


# -- not sure ---------------------------------------------------------------------------------


def test_the_reject_slider_turns_a_doubtful_drawing_into_not_sure_and_back(qtbot, pad, reader, multi):
    _, task = multi
    image, confidence = low_confidence_digit(reader, task)
    pad.set_network(reader)
    assert pad.reject_threshold() == 0 and pad.reject_value.text() == "off"  # off by default
    pad.set_image(image)
    guess = pad.guess()
    assert pad.answer() == str(guess) and pad.is_sure()

    with qtbot.waitSignal(pad.rejectThresholdChanged) as blocker:
        pad.reject_slider.setValue(int(np.ceil(100 * confidence + 0.5)))
    assert blocker.args[0] == pytest.approx(pad.reject_slider.value() / 100)
    assert pad.answer() == NOT_SURE and not pad.is_sure()
    assert pad.message().startswith("Not sure") and f"for {guess}" in pad.message()
    assert pad.guess() == guess  # the bars still show what it would have said

    pad.reject_slider.setValue(int(np.floor(100 * confidence - 0.5)))
    assert pad.answer() == str(guess) and "Not sure" not in pad.message()
    pad.reject_slider.setValue(0)
    assert pad.answer() == str(guess) and pad.reject_value.text() == "off"


def test_a_binary_pad_says_it_only_tells_its_two_digits_apart_sure_or_not(qtbot, pad, binary):
    network, task = binary
    a, b = network.classes
    pad.set_network(network)
    assert f"only knows {a} and {b}" in pad.message()  # before any drawing
    draw_and_wait(qtbot, pad, ZERO)  # neither digit: it still answers one of the two
    assert f"only knows {a} and {b}" in pad.message() and pad.answer() in (str(a), str(b))
    image, confidence = low_confidence_digit(network, task, below=0.95)
    pad.set_image(image)
    pad.set_reject_threshold(np.ceil(100 * confidence + 0.5) / 100)
    assert pad.answer() == NOT_SURE and f"only knows {a} and {b}" in pad.message()


def test_the_browser_lists_exactly_the_images_below_the_threshold(qtbot, multi):
    network, task = multi
    ev = Evaluation.compute(network, task)
    browser = ImageBrowser()
    qtbot.addWidget(browser)
    browser.set_evaluation(ev)
    confidence = ev.proba.max(axis=1)
    browser.set_reject_threshold(0.6)
    browser.kind.setCurrentIndex(browser.kind.findData(REJECTED))
    assert set(browser.shown_indices()) == set(np.flatnonzero(confidence < 0.6))
    assert browser.count() > 0 and "not sure" in browser.count_label.text()
    browser.set_reject_threshold(0.9)  # the list follows the slider
    assert set(browser.shown_indices()) == set(np.flatnonzero(confidence < 0.9))
    browser.true_class.setCurrentIndex(browser.true_class.findData(4))  # and combines with the digit filters
    assert set(browser.shown_indices()) == set(np.flatnonzero((confidence < 0.9) & (ev.labels == 4)))
    browser.set_reject_threshold(0.0)
    assert browser.count() == 0
    browser.kind.setCurrentIndex(browser.kind.findData("all"))
    assert browser.count() == int(np.sum(ev.labels == 4))


def test_the_reject_curve_is_the_cores_with_the_threshold_marked(qtbot, multi):
    network, task = multi
    ev = Evaluation.compute(network, task)
    view = RejectView()
    qtbot.addWidget(view)
    view.set_evaluation(ev)
    curve = reject_curve(ev.proba, ev.labels, ev.classes)
    keep = np.isfinite(curve.accuracy_on_accepted)
    x, y = view.plotted()
    assert np.allclose(x, 100 * (1 - curve.accepted_share[keep])) and np.allclose(
        y, 100 * curve.accuracy_on_accepted[keep]
    )
    assert not view.marker.data.size  # off: no mark

    t = round(float(np.quantile(ev.proba.max(axis=1), 0.3)), 2)  # rejects about 30%
    view.set_threshold(t)
    accepted = ev.proba.max(axis=1) >= t
    right = labels_from_proba(ev.proba) == ev.labels
    (mx,), (my,) = view.marker.getData()
    assert mx == pytest.approx(100 * (1 - accepted.mean())) and my == pytest.approx(100 * right[accepted].mean())
    assert f"{100 * right[accepted].mean():.2f}%" in view.caption.text()


# -- one sample, one step ------------------------------------------------------------------


def test_the_one_step_view_shows_the_cores_numbers(qtbot, multi):
    network, task = multi
    view = OneStepView()
    qtbot.addWidget(view)
    view.show()
    image, label = task.test_images[5], int(task.classes[task.test_labels[5]])
    view.set_network(network)
    view.set_learning_rate(0.1)
    assert "Select an image" in view.caption.text()
    view.set_sample(image, label, "test image #5")
    expected = one_step(network, image, label, 0.1)
    assert [r[0] for r in view.stage_rows()] == [s.symbol for s in expected.stages]
    assert [r[2] for r in view.stage_rows()] == [number(s.norm) for s in expected.stages]
    assert view.stage_rows()[0][1] == "1 × 784"
    shown = view.step.text()
    for value in (expected.loss, expected.loss_after, expected.actual_change, expected.predicted_change):
        assert f"<b>{number(value)}</b>" in shown
    assert number(expected.grad_norms["all"]) in view.norms.text()

    view.set_learning_rate(None)  # the form's learning rate is not valid
    assert view.result is None and "learning rate" in view.caption.text()


# -- in the window ----------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, tmp_path, mnist, dialogs):
    window = MainWindow(
        Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)), data_dir=tmp_path / "d", mnist=mnist
    )
    qtbot.addWidget(window)
    window.resize(1280, 800)
    with qtbot.waitExposed(window):
        window.show()
    yield window
    qtbot.waitUntil(lambda: not training.running_threads(), timeout=10_000)


def test_in_the_window_units_one_step_and_the_threshold_are_linked(qtbot, window):
    network, _ = train(qtbot, window, TINY)
    pad, browser, evaluation = window.draw_pad, window.evaluation.browser, window.evaluation

    # a top unit of the pad's explanation opens Inside the network on that unit
    pad.set_why_shown(True)
    draw_and_wait(qtbot, pad, SEVEN)
    tile = pad.why.tiles[2]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget().isAncestorOf(evaluation)
    assert evaluation.tabs.currentWidget() is evaluation.weights
    assert evaluation.weights.selected_unit == tile.unit

    # the browser's selected image, followed through one step at the form's learning rate
    window.tabs.setCurrentIndex(window.tabs.indexOf(window.tabs.currentWidget()))
    evaluation.tabs.setCurrentWidget(evaluation.errors)
    browser.select_row(0)
    evaluation.tabs.setCurrentWidget(window.one_step)
    i = browser.selected_index()
    ev = evaluation.evaluation
    expected = one_step(network, ev.images[i], ev.classes[ev.labels[i]], TINY.lr)
    assert window.one_step.result.loss == expected.loss and window.one_step.lr == window.panel.config().lr
    assert f"image #{i}" in window.one_step.caption.text()
    window.panel.fields["lr"].setText("0.05")
    assert window.one_step.lr == 0.05 and "<b>0.05</b>" in window.one_step.caption.text()

    # the pad's threshold drives the browser's "not sure" list and the curve's mark
    pad.set_reject_threshold(0.5)
    assert browser.reject_threshold() == 0.5 and window.reject_view.threshold == 0.5
    assert window.reject_view.evaluation is ev

    # "Why?" in the browser explains the selected image with the current model
    browser.set_why_shown(True)
    assert np.array_equal(browser.why.overlay.values(), saliency(network, ev.images[i]).grad)
