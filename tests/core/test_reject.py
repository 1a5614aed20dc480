"""The reject option: which images are answered and how accurate the answered ones are."""

import numpy as np
import pytest

from mlpgui.core.metrics import Evaluation
from mlpgui.core.reject import accept_mask, confidence, reject_curve


@pytest.fixture(params=["reader", "binary"])
def evaluation(request):
    """A network that is sure of some answers and not of others: the reader (on all ten digits) or binary."""
    if request.param == "reader":
        network, task = request.getfixturevalue("reader"), request.getfixturevalue("multi")[1]
    else:
        network, task = request.getfixturevalue("binary")
    return Evaluation.compute(network, task, "test")


def test_threshold_zero_accepts_everything_at_the_plain_accuracy(evaluation):
    ev = evaluation
    assert accept_mask(ev.proba, 0.0).all()
    curve = reject_curve(ev.proba, ev.labels, ev.classes)
    assert curve.thresholds[0] == 0.0 and curve.accepted_share[0] == 1.0
    assert curve.accuracy_on_accepted[0] == pytest.approx(ev.accuracy, abs=1e-15)
    assert curve.at(0.0) == (1.0, pytest.approx(ev.accuracy))


def test_curve_counts_what_the_mask_accepts(evaluation):
    ev = evaluation
    thresholds = [0.0, 0.3, 0.5, 0.6, 0.75, 0.9, 0.99, 0.999, 1.0]
    curve = reject_curve(ev.proba, ev.labels, ev.classes, thresholds)
    for t, share, acc, n in zip(thresholds, curve.accepted_share, curve.accuracy_on_accepted, curve.accepted):
        mask = accept_mask(ev.proba, t)
        assert n == mask.sum() and share == pytest.approx(mask.mean())
        if mask.any():
            assert acc == pytest.approx(ev.correct[mask].mean())
        else:
            assert np.isnan(acc)


def test_a_higher_threshold_never_answers_more(evaluation):
    ev = evaluation
    curve = reject_curve(ev.proba, ev.labels, ev.classes)
    assert (np.diff(curve.accepted_share) <= 0).all()
    assert curve.accepted_share[-1] < 1.0  # some image is less than certain
    answered = ~np.isnan(curve.accuracy_on_accepted)
    # the sure answers are the better ones: the confident half beats the whole set
    assert np.nanmax(curve.accuracy_on_accepted[answered]) > ev.accuracy


def test_binary_confidence_is_the_larger_of_the_two_probabilities(binary):
    network, task = binary
    proba = network.predict_images(task.test_images[:50])
    np.testing.assert_array_equal(confidence(proba), np.maximum(proba[:, 1], 1 - proba[:, 1]))
    assert (confidence(proba) >= 0.5).all()
    assert accept_mask(proba, 0.5).all()


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="2 probability columns for 10 classes"):
        reject_curve(np.full((3, 2), 0.5), np.zeros(3), tuple(range(10)))
    with pytest.raises(ValueError, match="labels"):
        reject_curve(np.full((3, 2), 0.5), np.zeros(4), (5, 8))
