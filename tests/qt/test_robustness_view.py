"""The robustness view: the core's curves, progress that advances, Stop, and the flipped images under the mouse."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest

from mlpgui.core import model_io
from mlpgui.core.network import labels_from_proba
from mlpgui.core.robustness import PERTURBATIONS, perturb, robustness_curves, strengths
from mlpgui.qt import worker as workers
from mlpgui.qt.robustness_view import MAX_FLIPPED, RobustnessView, strength_text

N = 300  # test images measured: a fast sample
TIMEOUT = 60_000


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPGUI_HOME", str(tmp_path / "home"))


@pytest.fixture
def view(qtbot):
    view = RobustnessView()
    qtbot.addWidget(view)
    view.resize(900, 760)
    view.show()
    qtbot.waitExposed(view)
    return view


def measure(qtbot, view, network, task, n=N):
    view.set_model(network, task)
    view.sample.addItem(f"{n} test images", n)
    view.sample.setCurrentIndex(view.sample.count() - 1)
    seen = []
    view.progress.valueChanged.connect(seen.append)
    assert view.compute()
    qtbot.waitUntil(lambda: not view.is_running(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not workers.running_threads(), timeout=10_000)
    return seen


@pytest.mark.parametrize("fixture", ["multi", "binary"])
def test_the_view_shows_the_cores_curves_and_progress_advances(qtbot, view, request, fixture):
    network, task = request.getfixturevalue(fixture)
    seen = measure(qtbot, view, network, task)
    expected = robustness_curves(network, task, n=N)
    assert list(view.curves) == list(PERTURBATIONS)
    for curve in expected:
        shown = view.curves[curve.kind]
        assert np.array_equal(shown.strengths, curve.strengths)
        assert np.array_equal(shown.accuracy, curve.accuracy)
        assert all(np.array_equal(a, b) for a, b in zip(shown.flipped, curve.flipped, strict=True))
        view.show_kind(curve.kind)
        x, y = view.plotted()
        assert np.array_equal(x, curve.strengths) and np.allclose(y, 100 * curve.accuracy)
        assert view.examples.captions() == [strength_text(curve.kind, s) for s in curve.strengths]
    assert seen == sorted(seen) and len(set(seen)) > 10  # it advanced, step by step
    assert seen[-1] == view.progress.value() == view.progress.maximum()
    assert view.compute_button.isEnabled() and not view.stop_button.isEnabled()


def test_stop_keeps_the_curves_finished_so_far(qtbot, view, multi):
    network, task = multi
    view.set_model(network, task)
    view.sample.setCurrentIndex(view.sample.findData(None))  # all 10,000 images: slow enough to stop
    assert view.compute()
    qtbot.waitUntil(lambda: view.progress.value() >= 1, timeout=TIMEOUT)
    view.stop()
    qtbot.waitUntil(lambda: not view.is_running(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not workers.running_threads(), timeout=10_000)
    assert len(view.curves) < len(PERTURBATIONS)
    assert view.progress.value() < view.progress.maximum()
    assert view.progress.format().startswith("stopped")
    for kind, curve in view.curves.items():  # whatever was finished is whole
        assert len(curve.accuracy) == len(strengths(kind))


def test_hovering_a_point_lists_the_images_that_flipped_there(qtbot, view, multi):
    network, task = multi
    measure(qtbot, view, network, task)
    view.show_kind("rotation")
    curve = view.curves["rotation"]
    j = int(np.argmax([len(f) for f in curve.flipped]))
    assert len(curve.flipped[j]) > 0
    spot = view.plot.mapFromScene(view.point_scene_pos(j))
    QTest.mouseMove(view.plot.viewport(), QPoint(spot.x() + 2, spot.y() - 1))
    qtbot.waitUntil(lambda: view.point == j)
    flipped = curve.flipped[j]
    assert f"{len(flipped):,}" in view.flipped_label.text()
    assert view.flipped_list.keys() == [int(i) for i in flipped[:MAX_FLIPPED]]
    # as the network saw them: the sample damaged as the curve damaged it, and its wrong guesses
    damaged = perturb(task.test_images[curve.indices], "rotation", curve.strengths[j])
    shown = damaged[np.searchsorted(curve.indices, flipped[:MAX_FLIPPED])]
    guesses = labels_from_proba(network.predict_images(shown))
    assert view.flipped_list.captions() == [
        f"{task.classes[t]} → {task.classes[g]}" for t, g in zip(task.test_labels[flipped[:MAX_FLIPPED]], guesses)
    ]
    assert all(g != t for t, g in zip(task.test_labels[flipped[:MAX_FLIPPED]], guesses))
    assert np.array_equal(view.flipped["rotation"][j].images, shown)

    QTest.mouseMove(view.plot.viewport(), view.plot.mapFromScene(view.point_scene_pos(0)))
    qtbot.waitUntil(lambda: view.point == 0)
    assert view.flipped_list.count() == 0 and "no image flipped" in view.flipped_label.text()


def test_a_new_model_marks_the_curves_as_of_the_old_one(qtbot, view, multi, binary):
    measure(qtbot, view, *multi)
    view.set_model(*binary)
    assert "earlier model" in view.caption.text()
    view.set_model(None, None)
    assert not view.compute_button.isEnabled()


def test_closing_the_window_mid_measure_stops_it(qtbot, tmp_path, multi, mnist, dialogs, open_window):
    network, task = multi
    path = tmp_path / "multi.npz"
    model_io.save_model(network, path, [])
    window = open_window()
    assert window.open_model(path)
    view = window.robustness
    view.sample.setCurrentIndex(view.sample.findData(None))
    assert view.compute()
    qtbot.waitUntil(lambda: view.progress.value() >= 1, timeout=TIMEOUT)
    window.close()
    assert not workers.running_threads()


def test_every_kinds_flipped_images_are_the_ones_its_curve_counted(qtbot, view, binary):
    network, task = binary
    measure(qtbot, view, network, task)
    for kind, curve in view.curves.items():
        for j, strength in enumerate(curve.strengths):
            shown = view.flipped[kind][j]
            assert shown.count == len(curve.flipped[j])
            if not shown.count:
                continue
            damaged = perturb(task.test_images[curve.indices], kind, strength)  # the whole sample, as measured
            expected = damaged[np.searchsorted(curve.indices, curve.flipped[j][:MAX_FLIPPED])]
            assert np.array_equal(shown.images, expected), (kind, strength)
            guessed = np.asarray(task.classes)[labels_from_proba(network.predict_images(expected))]
            assert np.array_equal(shown.guesses, guessed) and not np.any(shown.guesses == shown.labels)
