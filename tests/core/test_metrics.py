"""Metrics and image selection behind the evaluation views, checked against scikit-learn, NumPy and by hand."""

import itertools

import numpy as np
import pytest
from sklearn import metrics as sk

from mlpgui.core import metrics, reference
from mlpgui.core.errors import MlpguiError
from mlpgui.core.metrics import Evaluation, Selection

# -- confusion matrix and per-class scores ---------------------------------------------


def test_confusion_counts_match_a_numpy_count_of_the_predictions(multi):
    network, task = multi
    ev = Evaluation.compute(network, task, "test")
    X = task.inputs("test")
    predictions = network.predict(X)
    expected = np.zeros((10, 10), int)
    np.add.at(expected, (task.test_labels, predictions), 1)
    assert np.array_equal(ev.predictions, predictions)
    assert np.array_equal(ev.confusion, expected)
    assert ev.confusion.sum() == len(task.test_labels) == ev.size
    assert ev.accuracy == np.mean(predictions == task.test_labels)


def test_training_set_evaluation_covers_the_training_images(multi):
    network, task = multi
    ev = Evaluation.compute(network, task, "train")
    assert ev.confusion.sum() == task.n_train
    assert np.array_equal(ev.confusion.sum(axis=1), np.bincount(task.train_labels, minlength=10))
    assert ev.images is task.train_images


def test_prescaled_inputs_give_the_same_evaluation(multi):
    network, task = multi
    chunked = Evaluation.compute(network, task, "test")
    given = Evaluation.compute(network, task, "test", inputs=task.inputs("test", network.dtype))
    assert np.array_equal(chunked.proba, given.proba)
    assert chunked.loss == given.loss


@pytest.mark.parametrize("which", ["test", "train"])
def test_loss_is_the_reference_cross_entropy(multi, binary, which):
    for network, task in (multi, binary):
        ev = Evaluation.compute(network, task, which)
        X = task.inputs(which, "float64")
        params = [p.astype(np.float64) for p in network.params()]
        _, z2 = reference.forward_pass(X, params[0::2], params[1::2])
        assert ev.loss == pytest.approx(reference.loss(z2, ev.labels), rel=1e-5)


# -- scikit-learn as the oracle -------------------------------------------------------


@pytest.mark.parametrize("which", ["test", "train"])
def test_evaluation_agrees_with_scikit_learn(multi, binary, which):
    for network, task in (multi, binary):
        ev = Evaluation.compute(network, task, which)
        labels = range(ev.n_classes)
        assert np.array_equal(ev.confusion, sk.confusion_matrix(ev.labels, ev.predictions, labels=labels))
        assert ev.accuracy == pytest.approx(sk.accuracy_score(ev.labels, ev.predictions), rel=1e-15)
        precision, recall, f1, support = sk.precision_recall_fscore_support(
            ev.labels, ev.predictions, labels=labels, zero_division=np.nan
        )
        np.testing.assert_allclose(ev.metrics.precision, precision, rtol=1e-12)
        np.testing.assert_allclose(ev.metrics.recall, recall, rtol=1e-12)
        np.testing.assert_allclose(ev.metrics.f1, f1, rtol=1e-12)
        assert np.array_equal(ev.metrics.support, support)
        proba = ev.proba / ev.proba.sum(axis=1, keepdims=True)  # float32 softmax sums to 1 only to ~1e-7
        assert ev.loss == pytest.approx(sk.log_loss(ev.labels, proba, labels=labels), rel=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_counts_and_scores_agree_with_scikit_learn_on_random_guesses(seed):
    """Random labels and guesses with classes that are never guessed or never there: the undefined cases."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, 80)  # class 5 is never there
    guesses = rng.integers(1, 6, 80)  # class 0 is never guessed
    confusion = metrics.confusion_matrix(labels, guesses, 6)
    assert np.array_equal(confusion, sk.confusion_matrix(labels, guesses, labels=range(6)))
    ours = metrics.class_metrics(confusion)
    precision, recall, f1, support = sk.precision_recall_fscore_support(
        labels, guesses, labels=range(6), zero_division=np.nan
    )
    np.testing.assert_allclose(ours.precision, precision, rtol=1e-12)  # NaN where sklearn has NaN
    np.testing.assert_allclose(ours.recall, recall, rtol=1e-12)
    np.testing.assert_allclose(ours.f1, f1, rtol=1e-12)
    assert np.array_equal(ours.support, support)
    assert np.isnan(ours.precision[0]) and ours.f1[0] == 0.0  # there, never guessed: missed entirely
    assert metrics.accuracy(confusion) == pytest.approx(sk.accuracy_score(labels, guesses), rel=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_roc_curve_and_auc_agree_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 8, 70) / 7 if seed % 2 else rng.random(70)  # with and without ties
    labels = rng.integers(0, 2, 70)
    fpr, tpr, thresholds = metrics.roc_curve(scores, labels)
    sk_fpr, sk_tpr, sk_thresholds = sk.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, rtol=1e-12)
    np.testing.assert_allclose(tpr, sk_tpr, rtol=1e-12)
    assert np.array_equal(thresholds, sk_thresholds)
    assert metrics.roc_auc(scores, labels) == pytest.approx(sk.roc_auc_score(labels, scores), rel=1e-12)


def test_binary_counts_agree_with_scikit_learn(binary):
    ev = Evaluation.compute(*binary)
    for threshold in (0.0, 0.2, 0.5, 0.9, 1.01):
        guesses = (ev.proba[:, 1] >= threshold).astype(int)
        expected = sk.confusion_matrix(ev.labels, guesses, labels=[0, 1]).ravel().tolist()
        assert list(metrics.binary_counts(ev.proba[:, 1], ev.labels, threshold)) == expected
        assert list(ev.with_threshold(threshold).counts) == expected
    assert ev.auc() == pytest.approx(sk.roc_auc_score(ev.labels, ev.proba[:, 1]), rel=1e-12)


def test_class_metrics_by_hand():
    confusion = np.array([[5, 1, 0], [2, 3, 0], [0, 0, 0]])
    m = metrics.class_metrics(confusion)
    assert m.precision[:2] == pytest.approx([5 / 7, 3 / 4])
    assert m.recall[:2] == pytest.approx([5 / 6, 3 / 5])
    p, r = 5 / 7, 5 / 6
    assert m.f1[0] == pytest.approx(2 * p * r / (p + r))
    assert np.isnan(m.precision[2]) and np.isnan(m.recall[2]) and np.isnan(m.f1[2])
    assert list(m.support) == [6, 5, 0]
    assert metrics.accuracy(confusion) == pytest.approx(8 / 11)
    assert metrics.row_normalised(confusion)[1] == pytest.approx([0.4, 0.6, 0.0])
    assert list(metrics.row_normalised(confusion)[2]) == [0, 0, 0]


def test_zero_recall_and_precision_give_zero_f1():
    m = metrics.class_metrics(np.array([[0, 4], [3, 0]]))
    assert list(m.f1) == [0.0, 0.0]


def test_model_for_other_digits_is_refused_with_a_message(multi, binary):
    network, _ = binary
    _, task = multi
    with pytest.raises(MlpguiError, match="digits 5 and 8 .* digits 0-9"):
        Evaluation.compute(network, task)


# -- binary threshold ---------------------------------------------------------------


def test_threshold_zero_calls_every_image_positive(binary):
    network, task = binary
    ev = Evaluation.compute(network, task, threshold=0.0)
    assert np.all(ev.predictions == 1)
    tn, fp, fn, tp = ev.counts
    assert tn == fn == 0
    assert tp == np.sum(task.test_labels == 1) and fp == np.sum(task.test_labels == 0)


def test_default_threshold_matches_the_network_prediction(binary):
    network, task = binary
    ev = Evaluation.compute(network, task)
    assert ev.threshold == 0.5
    assert np.array_equal(ev.predictions, network.predict(task.inputs("test")))
    assert ev.counts == metrics.binary_counts(ev.proba[:, 1], ev.labels, 0.5)


def test_raising_the_threshold_moves_exactly_the_images_in_between_to_negative(binary):
    network, task = binary
    ev = Evaluation.compute(network, task)
    y_hat = ev.proba[:, 1]
    labels = ev.labels
    for low, high in [(0.0, 0.3), (0.3, 0.5), (0.5, 0.9), (0.9, 1.01)]:
        a, b = ev.with_threshold(low).counts, ev.with_threshold(high).counts
        between = (y_hat >= low) & (y_hat < high)
        moved_pos = int(np.sum(between & (labels == 1)))
        moved_neg = int(np.sum(between & (labels == 0)))
        assert b.tp == a.tp - moved_pos and b.fn == a.fn + moved_pos
        assert b.fp == a.fp - moved_neg and b.tn == a.tn + moved_neg
    assert ev.with_threshold(1.01).predictions.sum() == 0


def test_changing_the_threshold_does_not_rerun_or_change_the_probabilities(binary):
    network, task = binary
    ev = Evaluation.compute(network, task)
    moved = ev.with_threshold(0.8)
    assert moved.proba is ev.proba
    assert moved.confusion.sum() == ev.confusion.sum()


# -- ROC and AUC --------------------------------------------------------------------


def test_roc_with_a_tie_by_hand():
    # positives score 0.9 and 0.5, negatives 0.5 and 0.2: of the four
    # positive/negative pairs three are ordered right and one is tied (half).
    scores = np.array([0.5, 0.5, 0.2, 0.9])
    labels = np.array([1, 0, 0, 1])
    fpr, tpr, thresholds = metrics.roc_curve(scores, labels)
    assert list(zip(fpr, tpr)) == [(0, 0), (0, 0.5), (0.5, 1), (1, 1)]
    assert list(thresholds) == [np.inf, 0.9, 0.5, 0.2]
    assert metrics.auc(fpr, tpr) == pytest.approx(3.5 / 4)


def test_roc_auc_without_ties_by_hand():
    assert metrics.roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert metrics.roc_auc([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1]) == 1.0
    assert metrics.roc_auc([0.5] * 4, [0, 1, 0, 1]) == pytest.approx(0.5)


def test_roc_auc_equals_the_pairwise_ranking_probability_with_many_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 6, 60) / 5  # six distinct values: many ties
    labels = rng.integers(0, 2, 60)
    pos, neg = scores[labels == 1], scores[labels == 0]
    pairs = [(p > n) + 0.5 * (p == n) for p, n in itertools.product(pos, neg)]
    assert metrics.roc_auc(scores, labels) == pytest.approx(np.mean(pairs))


def test_roc_with_one_class_only_is_undefined():
    assert np.isnan(metrics.roc_auc([0.2, 0.7], [1, 1]))


def test_evaluation_auc_is_high_for_a_trained_network(binary):
    network, task = binary
    ev = Evaluation.compute(network, task)
    fpr, tpr, _ = ev.roc()
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert 0.9 < ev.auc() <= 1.0


# -- selecting images ---------------------------------------------------------------


def test_most_confident_mistakes_come_first(multi):
    ev = Evaluation.compute(*multi)
    picked = metrics.select(ev)
    assert len(picked) == ev.size - np.trace(ev.confusion)
    assert not ev.correct[picked].any()
    confidence = ev.confidence[picked]
    assert np.all(np.diff(confidence) <= 0)
    least_first = metrics.select(ev, Selection(most_confident_first=False))
    assert np.all(np.diff(ev.confidence[least_first]) >= 0)
    assert set(least_first) == set(picked)


def test_confidence_is_the_probability_of_the_guess(multi):
    ev = Evaluation.compute(*multi)
    assert np.allclose(ev.confidence, ev.proba.max(axis=1))


def test_every_cell_selects_exactly_its_count(multi):
    ev = Evaluation.compute(*multi)
    for t in range(10):
        for g in range(10):
            picked = metrics.select(ev, Selection.cell(t, g))
            assert len(picked) == ev.confusion[t, g]
            assert np.all(ev.labels[picked] == t) and np.all(ev.predictions[picked] == g)


def test_correct_and_misclassified_split_all(multi):
    ev = Evaluation.compute(*multi)
    right = metrics.select(ev, Selection(kind="correct", true_class=3))
    wrong = metrics.select(ev, Selection(kind="misclassified", true_class=3))
    every = metrics.select(ev, Selection(kind="all", true_class=3))
    assert len(right) == ev.confusion[3, 3]
    assert sorted(np.r_[right, wrong]) == sorted(every)
    assert len(every) == ev.confusion[3].sum()
    guessed = metrics.select(ev, Selection(kind="all", guess_class=7))
    assert len(guessed) == ev.confusion[:, 7].sum()


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_binary_groups_match_the_counts(binary, threshold):
    ev = Evaluation.compute(*binary, threshold=threshold)
    counts = ev.counts._asdict()
    for group in metrics.GROUPS:
        assert len(metrics.select(ev, Selection(group=group))) == counts[group.lower()]


def test_groups_need_a_binary_task(multi):
    with pytest.raises(ValueError, match="binary"):
        metrics.select(Evaluation.compute(*multi), Selection(group="TP"))


# -- inside the network ---------------------------------------------------------------


def test_hidden_activations_match_numpy(multi):
    network, task = multi
    image = task.test_images[0]
    x = image.reshape(-1).astype(np.float64) / 255.0
    expected = 1 / (1 + np.exp(-(x @ network.W1 + network.b1)))
    got = metrics.hidden_activations(network, image)
    assert got == pytest.approx(expected, rel=1e-4, abs=1e-5)
    top = metrics.top_hidden_units(got, 5)
    assert list(top) == list(np.argsort(-expected)[:5])
    with pytest.raises(ValueError, match="28x28"):
        metrics.hidden_activations(network, np.zeros((28, 27), np.uint8))
