"""The draw pad: strokes drawn with the mouse change the guess; Clear, Undo, no model, loaded images."""

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from scipy.ndimage import center_of_mass

from mlpgui.core.config import TrainConfig
from mlpgui.core.data import load_mnist
from mlpgui.core.tasks import build_task
from mlpgui.core.training import Trainer
from mlpgui.qt.draw_pad import NO_MODEL, DrawPadPanel


def train(config):
    trainer = Trainer(config, build_task(config, load_mnist()))
    trainer.train()
    return trainer.network


@pytest.fixture
def pad(qtbot):
    panel = DrawPadPanel()
    qtbot.addWidget(panel)
    panel.resize(340, 640)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def arc(cx, cy, rx, ry, a0, a1, n=24):
    return [
        (
            cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
            cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n)),
        )
        for i in range(n + 1)
    ]


ONE = [(0.52, 0.15), (0.5, 0.85)]
ZERO = arc(0.5, 0.5, 0.22, 0.32, 0, 360, 40)
SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.42, 0.85)]
SEVEN_BAR = [(0.4, 0.52), (0.66, 0.52)]


def stroke(canvas, points):
    """Draw a stroke through points given in pad fractions (0..1), with real mouse events."""
    side = min(canvas.width(), canvas.height())
    ox, oy = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    pos = [QPoint(round(ox + x * side), round(oy + y * side)) for x, y in points]
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[0])
    for p in pos[1:]:
        QTest.mouseMove(canvas, p)
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos[-1])


def draw_and_wait(qtbot, pad, points):
    with qtbot.waitSignal(pad.predictionChanged, timeout=2000) as blocker:
        stroke(pad.canvas, points)
    return blocker.args[0]


def test_drawing_strokes_changes_the_guess(qtbot, pad, reader):
    pad.set_network(reader)
    assert pad.guess() is None and pad.probabilities() is None  # empty pad: no guess
    probabilities = draw_and_wait(qtbot, pad, ONE)
    assert pad.guess() == 1
    assert probabilities.shape == (10,) and probabilities.sum() == pytest.approx(1.0)
    assert np.array_equal(probabilities, pad.probabilities())
    assert pad.guess_label.text() == "1"

    pad.clear()
    qtbot.waitUntil(lambda: pad.guess() is None, timeout=2000)
    draw_and_wait(qtbot, pad, ZERO)
    assert pad.guess() == 0
    pad.clear()
    qtbot.waitUntil(lambda: pad.guess() is None, timeout=2000)
    draw_and_wait(qtbot, pad, SEVEN)
    assert pad.guess() == 7


def test_the_network_input_is_the_mnist_style_image(qtbot, pad, reader):
    pad.set_network(reader)
    with qtbot.waitSignal(pad.inputChanged, timeout=2000) as blocker:
        stroke(pad.canvas, SEVEN)
    u8 = blocker.args[0]
    assert u8.shape == (28, 28) and u8.dtype == np.uint8
    assert np.array_equal(u8, pad.network_input())
    r, c = center_of_mass(u8.astype(float))
    assert abs(r - 14) <= 0.5 and abs(c - 14) <= 0.5
    rows = np.flatnonzero(u8.any(axis=1))
    assert rows[-1] - rows[0] + 1 == 20  # the 7 is taller than wide
    # what the network saw gives the probabilities shown
    assert np.allclose(reader.predict_images(u8[None])[0], pad.probabilities())


def test_clear_removes_the_guess(qtbot, pad, reader):
    pad.set_network(reader)
    draw_and_wait(qtbot, pad, ONE)
    assert pad.guess() is not None
    with qtbot.waitSignal(pad.predictionChanged, timeout=2000) as blocker:
        pad.clear_button.click()
    assert blocker.args[0] is None
    assert pad.guess() is None and pad.network_input() is None
    assert pad.canvas.ink().max() == 0.0
    assert pad.guess_label.text() != "1"


def test_undo_restores_the_previous_state(qtbot, pad, reader):
    pad.set_network(reader)
    draw_and_wait(qtbot, pad, SEVEN)
    seven_input, seven_guess = pad.network_input(), pad.guess()
    ink_before = pad.canvas.ink()
    draw_and_wait(qtbot, pad, SEVEN_BAR)
    assert not np.array_equal(pad.network_input(), seven_input)
    with qtbot.waitSignal(pad.predictionChanged, timeout=2000):
        pad.undo_button.click()
    assert np.array_equal(pad.canvas.ink(), ink_before)
    assert np.array_equal(pad.network_input(), seven_input) and pad.guess() == seven_guess

    # Undo after Clear brings the drawing back; undoing every stroke empties the pad
    pad.clear()
    qtbot.waitUntil(lambda: pad.guess() is None, timeout=2000)
    with qtbot.waitSignal(pad.predictionChanged, timeout=2000):
        pad.undo()
    assert pad.guess() == seven_guess
    with qtbot.waitSignal(pad.predictionChanged, timeout=2000) as blocker:
        pad.undo()
    assert blocker.args[0] is None and pad.canvas.is_empty()
    assert not pad.undo_button.isEnabled() and not pad.clear_button.isEnabled()


def test_without_a_network_the_pad_says_so_instead_of_guessing(qtbot, pad, reader):
    assert pad.message() == NO_MODEL and pad.guess() is None
    with qtbot.waitSignal(pad.inputChanged, timeout=2000) as blocker:
        stroke(pad.canvas, ONE)
    assert blocker.args[0] is not None  # the input is still shown
    assert pad.guess() is None and pad.probabilities() is None
    assert pad.message() == NO_MODEL and not pad.guess_label.text().isdigit()

    with qtbot.waitSignal(pad.predictionChanged, timeout=2000):
        pad.set_network(reader)  # a model arrives: the drawing gets its guess
    assert pad.guess() == 1 and pad.message() != NO_MODEL
    with qtbot.waitSignal(pad.predictionChanged, timeout=2000) as blocker:
        pad.set_network(None)
    assert blocker.args[0] is None and pad.guess() is None and pad.message() == NO_MODEL


def test_a_binary_network_shows_its_two_digits(qtbot, pad):
    binary = train(
        TrainConfig(
            task="binary",
            digits=(1, 7),
            per_class=200,
            hidden=16,
            epochs=10,
            lr=1.0,
            batch_size=50,
            scale="unit",
            dtype="float32",
        )
    )
    pad.set_network(binary)
    probabilities = draw_and_wait(qtbot, pad, ONE)
    assert probabilities.shape == (2,)
    assert pad.guess() == 1
    pad.clear()
    qtbot.waitUntil(lambda: pad.guess() is None, timeout=2000)
    draw_and_wait(qtbot, pad, SEVEN)
    assert pad.guess() == 7
    assert pad.bars.classes() == (1, 7)
    np.testing.assert_array_equal(pad.bars.heights(), pad.probabilities())  # one bar per digit, its probability
    pad.set_network(None)
    assert not pad.bars.heights().any()  # no model: empty bars


def test_an_mnist_image_loaded_into_the_pad_is_fed_unchanged(qtbot, pad, reader):
    pad.set_network(reader)
    fed = []
    for image in load_mnist().x_test[:8]:
        with qtbot.waitSignal(pad.inputChanged, timeout=2000) as blocker:
            pad.set_image(image)
        fed.append(blocker.args[0])
        # at most a gray level off, where the digit's brightest pixel was not quite white
        assert np.abs(fed[-1].astype(int) - image).max() <= 2
        assert pad.guess() == reader.classes[reader.predict_images(image[None])[0].argmax()]
    with qtbot.waitSignal(pad.predictionChanged, timeout=2000):
        pad.undo()  # loading an image can be undone too
    assert np.array_equal(pad.network_input(), fed[-2])


def test_predictions_are_throttled_not_made_per_mouse_move(qtbot, pad, reader):
    pad.set_network(reader)
    predictions = []
    pad.predictionChanged.connect(predictions.append)
    inks = []
    pad.canvas.inkChanged.connect(lambda: inks.append(1))
    stroke(pad.canvas, ZERO)  # ~40 mouse events, no event loop in between
    assert len(inks) > 30 and predictions == []
    qtbot.waitUntil(lambda: len(predictions) == 1, timeout=2000)
    qtbot.wait(100)
    assert len(predictions) == 1 and pad.guess() == 0


def test_pen_width_slider_sets_stroke_width(qtbot, pad):
    pad.width_slider.setValue(20)
    stroke(pad.canvas, ONE)
    thin = pad.canvas.ink().sum()
    pad.clear()
    pad.width_slider.setValue(60)
    stroke(pad.canvas, ONE)
    assert pad.canvas.ink().sum() == pytest.approx(3 * thin, rel=0.15)


def test_screenshot_with_a_digit(qtbot, pad, reader, tmp_path):
    pad.set_network(reader)
    draw_and_wait(qtbot, pad, arc(0.5, 0.33, 0.2, 0.15, -160, 90) + arc(0.5, 0.66, 0.22, 0.18, -90, 160))
    assert pad.guess() == 3
    image = pad.grab().toImage()
    assert image.width() >= 300 and image.save(str(tmp_path / "draw_pad.png"))


def test_undo_is_offered_after_the_first_stroke_and_ctrl_z_takes_it_back(qtbot, pad):
    canvas = pad.canvas
    side = min(canvas.width(), canvas.height())
    a, b = QPoint(side // 3, side // 3), QPoint(side // 2, 2 * side // 3)
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    QTest.mouseMove(canvas, b)
    qtbot.wait(3 * 40)  # the pad refreshes while the button is still down
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)  # at the last point
    assert pad.undo_button.isEnabled()
    pad.activateWindow()
    canvas.setFocus()
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: canvas.is_empty(), timeout=2000)
    assert not pad.undo_button.isEnabled()


def test_a_binary_pad_says_it_only_knows_its_two_digits_and_never_rounds_to_certainty(qtbot, pad):
    binary = train(
        TrainConfig(
            task="binary", digits=(1, 7), per_class=200, hidden=16, epochs=10, lr=1.0, batch_size=50, scale="unit"
        )
    )
    pad.set_network(binary)
    assert "only knows 1 and 7" in pad.message()
    probabilities = draw_and_wait(qtbot, pad, ZERO)  # not a 1 nor a 7: the model still picks one of them
    assert "only knows 1 and 7" in pad.message()
    best = float(probabilities.max())
    shown = pad.message().split("%")[0]
    assert shown.startswith("> ") or float(shown) == pytest.approx(100 * best, abs=0.05)
    assert not (shown == "100" and best < 1.0), "rounded to certainty"


def test_ten_bars_label_what_they_hold_and_leave_near_empty_bars_unlabelled(qtbot):
    """A label per bar would run into its neighbours ('97.7< 0.1'): under 0.1 % the empty bar says it."""
    from mlpgui.core.confidence import percent
    from mlpgui.qt.draw_pad import ProbabilityBars

    bars = ProbabilityBars()
    qtbot.addWidget(bars)
    bars.set_classes(tuple(range(10)))
    p = np.array([0.0001, 0.001, 0.006, 0.977, 0.0004, 0.002, 0.0, 0.001, 0.01, 0.0025])
    p = p / p.sum()
    bars.set_probabilities(p)
    texts = bars.label_texts()
    assert texts[3] == percent(p[3]) == "97.7" and texts[8] == "1.0" and texts[1] == "0.1"
    assert texts[0] == texts[4] == texts[6] == ""
    binary = ProbabilityBars()
    qtbot.addWidget(binary)
    binary.set_classes((5, 8))
    binary.set_probabilities(np.array([0.9996, 0.0004]))
    assert binary.label_texts() == ["> 99.9", "< 0.1"]  # two bars have room: every value is said
