"""Robustness curves: damage that keeps the images images, accuracy that falls, and the right flips."""

import threading

import numpy as np
import pytest
from scipy import ndimage

from mlpgui.core.metrics import Evaluation
from mlpgui.core.network import labels_from_proba
from mlpgui.core.robustness import PERTURBATIONS, perturb, robustness_curves, strengths


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_perturb_keeps_uint8_images_and_strength_zero_changes_nothing(kind, mnist):
    images = mnist.x_test[:30]
    values = strengths(kind)
    assert 6 <= len(values) <= 10 and 0 in values and list(values) == sorted(values)
    np.testing.assert_array_equal(perturb(images, kind, 0), images)
    for s in (v for v in values if v != 0):
        out = perturb(images, kind, s)
        assert out.dtype == np.uint8 and out.shape == images.shape
        assert (out != images).any()
    np.testing.assert_array_equal(images, mnist.x_test[:30])  # the input is left alone


def test_each_damage_does_what_it_says(mnist):
    image = mnist.x_test[:1]
    ink = float(image.sum())
    rows, cols = np.nonzero(image[0])
    shifted = perturb(image, "shift", 3)[0]
    np.testing.assert_array_equal(shifted[3:, 3:], image[0, :-3, :-3])
    assert perturb(image, "thickness", 1).sum() > ink > perturb(image, "thickness", -1).sum()
    blurred = perturb(image, "blur", 2)[0]
    assert blurred.max() < image.max() and np.count_nonzero(blurred) > len(rows)
    turned = perturb(image, "rotation", 90)[0].astype(float)
    reference = ndimage.rotate(image[0].astype(float), 90, reshape=False, order=1)  # counter-clockwise
    np.testing.assert_allclose(turned, np.clip(np.rint(reference), 0, 255), atol=1)
    gray = np.full((1, 28, 28), 128, np.uint8)  # mid-gray: no clipping, so the spread is the strength
    assert perturb(gray, "noise", 32).std() == pytest.approx(32, rel=0.1)
    np.testing.assert_array_equal(perturb(image, "noise", 32, seed=1), perturb(image, "noise", 32, seed=1))


def test_strength_zero_is_the_plain_test_accuracy_and_accuracy_falls_with_noise(reader, multi):
    task = multi[1]
    (curve,) = robustness_curves(reader, task, kinds=("noise",))
    assert curve.strengths[0] == 0
    assert curve.accuracy[0] == pytest.approx(Evaluation.compute(reader, task, "test").accuracy, abs=1e-15)
    assert (np.diff(curve.accuracy) <= 0.005).all()  # louder noise never helps (beyond sampling jitter)
    assert curve.accuracy[-1] < curve.accuracy[0] - 0.2
    assert len(curve.flipped[0]) == 0 and len(curve.indices) == task.n_test


def test_flipped_images_are_exactly_those_right_at_zero_and_wrong_at_that_strength(binary):
    network, task = binary
    curves = robustness_curves(network, task, n=300)
    assert [c.kind for c in curves] == list(PERTURBATIONS)
    index = curves[0].indices
    assert len(index) == 300 and len(set(index)) == 300
    assert set(task.test_labels[index]) == {0, 1}  # a sample of both digits, not the first 300 images

    def right(images):
        return labels_from_proba(network.predict_images(images)) == task.test_labels[index]

    clean = right(task.test_images[index])
    assert curves[0].accuracy[0] == pytest.approx(clean.mean())
    for curve in curves:
        for s, acc, flipped, example in zip(curve.strengths, curve.accuracy, curve.flipped, curve.example):
            damaged = perturb(task.test_images[index], curve.kind, s)
            now = right(damaged)
            assert acc == pytest.approx(now.mean())
            np.testing.assert_array_equal(flipped, index[clean & ~now])
            np.testing.assert_array_equal(example, damaged[list(index).index(curve.example_index)])
    assert any(len(f) for c in curves for f in c.flipped)


def test_progress_counts_every_strength_and_stop_keeps_finished_curves(binary):
    network, task = binary
    seen = []
    stop = threading.Event()
    kinds = ("shift", "blur", "noise")

    def progress(done, total):
        seen.append((done, total))
        if done == len(strengths("shift")) + 1:
            stop.set()

    curves = robustness_curves(network, task, kinds, n=50, progress=progress, stop=stop)
    total = sum(len(strengths(k)) for k in kinds)
    assert seen == [(i, total) for i in range(1, len(strengths("shift")) + 2)]
    assert [c.kind for c in curves] == ["shift"]
    with pytest.raises(ValueError, match="kind must be one of"):
        perturb(task.test_images[:2], "smudge", 1)
