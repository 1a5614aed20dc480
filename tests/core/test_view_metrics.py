"""What the evaluation views link and show: a browser filter's matrix cell, rates at a threshold, the test loss."""

import math

import numpy as np
import pytest

from mlpgui.core.metrics import (
    BinaryCounts,
    Evaluation,
    Selection,
    binary_counts,
    rates,
    select,
    selection_cell,
)


@pytest.mark.parametrize(
    "selection, cell",
    [
        (Selection.cell(3, 5), (3, 5)),
        (Selection(kind="misclassified", true_class=3, guess_class=5), (3, 5)),
        (Selection(kind="correct", true_class=4, guess_class=4), (4, 4)),
        (Selection(kind="correct", true_class=3, guess_class=5), None),  # shows nothing
        (Selection(kind="misclassified", true_class=4, guess_class=4), None),  # shows nothing
        (Selection(kind="misclassified", true_class=3), None),  # a whole row, not one cell
        (Selection(group="FP"), (0, 1)),
        (Selection(group="TP", kind="misclassified", true_class=0), (1, 1)),  # the group decides
    ],
)
def test_a_browser_filter_maps_to_the_cell_whose_images_it_shows(selection, cell):
    assert selection_cell(selection) == cell


def test_the_mapped_cell_holds_exactly_the_filtered_images(multi):
    network, task = multi
    ev = Evaluation.compute(network, task)
    for selection in (Selection(kind="misclassified", true_class=2, guess_class=7), Selection.cell(1, 1)):
        true, guess = selection_cell(selection)
        assert len(select(ev, selection)) == ev.confusion[true, guess]


def test_rates_at_a_threshold_are_the_roc_points_rates(binary):
    network, task = binary
    ev = Evaluation.compute(network, task)
    r = rates(ev.counts)
    labels, positive = ev.labels, ev.predictions == 1
    assert r.tpr == pytest.approx(np.mean(positive[labels == 1]))
    assert r.fpr == pytest.approx(np.mean(positive[labels == 0]))
    assert rates(binary_counts(ev.proba[:, 1], labels, 1.01)) == (0.0, 0.0)  # nothing called positive


def test_rates_without_positives_or_negatives_are_nan():
    r = rates(BinaryCounts(tn=0, fp=0, fn=0, tp=0))
    assert math.isnan(r.tpr) and math.isnan(r.fpr)
