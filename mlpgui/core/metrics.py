"""How good is the network, and on which images is it wrong: the numbers behind the evaluation views.

Everything here is plain NumPy on labels 0..K-1 (for binary: 0 = digit a,
1 = digit b, the "positive" class). `Evaluation` is the one way to measure a
network on a set: it runs the network once over the test or training set and
keeps what the trainer, the command line and every view need (probabilities,
loss, predictions, confusion matrix, accuracy); `select` picks and orders
images for the browser; `roc_curve` and `binary_counts` serve the binary
threshold view.
Conventions follow scikit-learn: confusion rows are the true class, columns
the guess, so a binary matrix reads [[TN, FP], [FN, TP]].
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from .errors import MlpguiError
from .network import Network, labels_from_proba
from .tasks import TaskData

SETS = ("test", "train")
KINDS = ("misclassified", "correct", "all")
GROUPS = ("TP", "TN", "FP", "FN")


# -- counting -----------------------------------------------------------------


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """(K, K) int64 counts: entry [t, g] = images of true class t the network guessed as g."""
    labels = np.asarray(labels, np.int64)
    predictions = np.asarray(predictions, np.int64)
    if labels.shape != predictions.shape:
        raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")
    flat = np.bincount(labels * n_classes + predictions, minlength=n_classes * n_classes)
    return flat[: n_classes * n_classes].reshape(n_classes, n_classes)


def accuracy(confusion: np.ndarray) -> float:
    """Fraction of images on the diagonal (NaN for an empty set)."""
    total = confusion.sum()
    return float(np.trace(confusion) / total) if total else float("nan")


class ClassMetrics(NamedTuple):
    """Per-class scores; NaN where a score is undefined (nothing guessed, nothing there, or neither)."""

    precision: np.ndarray  # of the images guessed as c, the fraction that are c
    recall: np.ndarray  # of the images that are c, the fraction guessed as c
    f1: np.ndarray  # harmonic mean of the two: 2 TP / (2 TP + FP + FN)
    support: np.ndarray  # images that are c


def class_metrics(confusion: np.ndarray) -> ClassMetrics:
    """Precision, recall, F1 and support of every class, as scikit-learn defines them.

    F1 is 2 TP / (2 TP + FP + FN), so a class that is there but never guessed
    scores 0 (not undefined, although its precision is).
    """
    confusion = np.asarray(confusion, np.float64)
    hits = np.diag(confusion)
    guessed = confusion.sum(axis=0)
    present = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(guessed > 0, hits / guessed, np.nan)
        recall = np.where(present > 0, hits / present, np.nan)
        f1 = np.where(guessed + present > 0, 2 * hits / (guessed + present), np.nan)
    return ClassMetrics(precision, recall, f1, present.astype(np.int64))


def row_normalised(confusion: np.ndarray) -> np.ndarray:
    """Each row divided by its total (the per-class recall view); empty rows stay 0."""
    confusion = np.asarray(confusion, np.float64)
    totals = confusion.sum(axis=1, keepdims=True)
    return np.divide(confusion, totals, out=np.zeros_like(confusion), where=totals > 0)


class BinaryCounts(NamedTuple):
    """The homework's true/false positives/negatives; positive = label 1 (digit b)."""

    tn: int
    fp: int
    fn: int
    tp: int


def binary_counts(p_positive: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> BinaryCounts:
    """Counts when y_hat >= threshold is called positive (so threshold 0 calls everything positive)."""
    guess = np.asarray(p_positive) >= threshold
    truth = np.asarray(labels) == 1
    return BinaryCounts(
        int(np.sum(~truth & ~guess)),
        int(np.sum(~truth & guess)),
        int(np.sum(truth & ~guess)),
        int(np.sum(truth & guess)),
    )


def roc_curve(scores: np.ndarray, labels: np.ndarray):
    """(fpr, tpr, thresholds) of calling `score >= t` positive, for every distinct score t.

    Starts at (0, 0) with threshold +inf and ends at (1, 1). Tied scores move
    together, giving one diagonal step, so the area below counts a tied
    positive/negative pair as half right (the Mann-Whitney convention).
    """
    scores = np.asarray(scores, np.float64)
    truth = np.asarray(labels) == 1
    order = np.argsort(-scores, kind="stable")
    scores, truth = scores[order], truth[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1] if len(scores) else np.array([], int)
    tps = np.cumsum(truth)[last_of_tie]
    fps = np.cumsum(~truth)[last_of_tie]
    tps = np.r_[0, tps]
    fps = np.r_[0, fps]
    thresholds = np.r_[np.inf, scores[last_of_tie]]
    n_pos, n_neg = tps[-1], fps[-1]
    tpr = tps / n_pos if n_pos else np.full(len(tps), np.nan)
    fpr = fps / n_neg if n_neg else np.full(len(fps), np.nan)
    return fpr, tpr, thresholds


def auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Area under a curve by the trapezoid rule (NaN if the curve is undefined)."""
    fpr, tpr = np.asarray(fpr, np.float64), np.asarray(tpr, np.float64)
    if len(fpr) < 2 or np.isnan(fpr).any() or np.isnan(tpr).any():
        return float("nan")
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    return auc(*roc_curve(scores, labels)[:2])


# -- one evaluation of one network on one set ------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """One network's verdict on every image of the test or training set.

    Computed once by `Evaluation.compute`; changing the binary threshold
    (`with_threshold`) recounts without another forward pass.
    """

    classes: tuple[int, ...]  # digit shown for each label
    which: str  # "test" or "train"
    images: np.ndarray  # (n, 28, 28) uint8, the task's own array (not copied)
    labels: np.ndarray  # (n,) int32 true labels 0..K-1
    proba: np.ndarray  # (n, K) float64; binary: columns [P(a), P(b)]
    threshold: float = 0.5  # binary only: y_hat >= threshold -> label 1
    epochs_trained: int = 0
    loss: float = float("nan")  # mean loss (the training loss's formula) against the true labels
    set_name: str = ""  # what the images are called: "test", "training", "drawn" (my digits); "" = from `which`
    predictions: np.ndarray = field(init=False, repr=False)
    confidence: np.ndarray = field(init=False, repr=False)  # probability of the guessed class
    confusion: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        predictions = labels_from_proba(self.proba, self.threshold)
        confidence = self.proba[np.arange(len(predictions)), predictions]
        object.__setattr__(self, "predictions", predictions)
        object.__setattr__(self, "confidence", confidence)
        object.__setattr__(self, "confusion", confusion_matrix(self.labels, predictions, self.n_classes))

    @classmethod
    def compute(
        cls,
        network: Network,
        task: TaskData,
        which: str = "test",
        threshold: float = 0.5,
        inputs: np.ndarray | None = None,
    ) -> Evaluation:
        """Run `network` once over the task's `which` set (pass `inputs` if already scaled, to save time).

        One pass gives the probabilities and the mean loss; everything else
        (predictions, confusion, accuracy, per-class scores) follows from them.
        """
        if which not in SETS:
            raise ValueError(f"which must be 'test' or 'train', not {which!r}")
        if tuple(network.classes) != tuple(task.classes):
            raise MlpguiError(
                f"the model was trained on digits {_digits(network.classes)} but the data set is "
                f"digits {_digits(task.classes)}"
            )
        images = task.test_images if which == "test" else task.train_images
        labels = np.asarray(task.test_labels if which == "test" else task.train_labels, np.int32)
        if inputs is not None:
            proba, loss = network.proba_and_loss(inputs, labels)
        else:
            proba, loss = network.proba_and_loss(images, labels, images=True)
        name = task.test_set_name if which == "test" else "training"
        return cls(
            tuple(task.classes), which, images, labels, proba, float(threshold), network.epochs_trained, loss, name
        )

    @property
    def images_name(self) -> str:
        """What these images are called in a sentence: 'test', 'training' or 'drawn' (as in 'drawn image #3')."""
        return self.set_name or ("test" if self.which == "test" else "training")

    def with_threshold(self, threshold: float) -> Evaluation:
        return replace(self, threshold=float(threshold))

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def is_binary(self) -> bool:
        return self.n_classes == 2

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def correct(self) -> np.ndarray:
        return self.predictions == self.labels

    @property
    def accuracy(self) -> float:
        return accuracy(self.confusion)

    @property
    def metrics(self) -> ClassMetrics:
        return class_metrics(self.confusion)

    @property
    def counts(self) -> BinaryCounts:
        """TN, FP, FN, TP (binary only)."""
        (tn, fp), (fn, tp) = self.confusion.tolist()
        return BinaryCounts(tn, fp, fn, tp)

    def roc(self):
        """(fpr, tpr, thresholds) of the binary y_hat = P(b) (binary only)."""
        return roc_curve(self.proba[:, 1], self.labels)

    def auc(self) -> float:
        return auc(*self.roc()[:2])


def _digits(classes) -> str:
    return "0-9" if len(classes) == 10 else " and ".join(str(c) for c in classes)


# -- picking images for the browser ----------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which images the browser shows and in what order.

    kind: "misclassified" / "correct" / "all"; true_class and guess_class are
    labels 0..K-1 or None for any; group (binary) is "TP", "TN", "FP" or "FN"
    and overrides the rest; most_confident_first orders by the confidence in
    the guess (so by default the most confident mistakes come first).
    """

    kind: str = "misclassified"
    true_class: int | None = None
    guess_class: int | None = None
    group: str | None = None
    most_confident_first: bool = True

    @classmethod
    def cell(cls, true_class: int, guess_class: int) -> Selection:
        """Exactly the images of one confusion-matrix cell."""
        return cls(kind="all", true_class=true_class, guess_class=guess_class)

    def describe(self, classes) -> str:
        if self.group:
            return {"TP": "true positives", "TN": "true negatives", "FP": "false positives", "FN": "false negatives"}[
                self.group
            ]
        parts = [{"misclassified": "misclassified", "correct": "correct", "all": "all"}[self.kind]]
        if self.true_class is not None:
            parts.append(f"true {classes[self.true_class]}")
        if self.guess_class is not None:
            parts.append(f"guessed {classes[self.guess_class]}")
        return ", ".join(parts)


GROUP_CELLS = {"TN": (0, 0), "FP": (0, 1), "FN": (1, 0), "TP": (1, 1)}  # (true, guess)


def select(evaluation: Evaluation, selection: Selection = Selection()) -> np.ndarray:
    """Indices into the evaluated set of the matching images, ordered by confidence."""
    ev = evaluation
    if selection.kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {selection.kind!r}")
    mask = np.ones(ev.size, bool)
    if selection.group is not None:
        if not ev.is_binary or selection.group not in GROUP_CELLS:
            raise ValueError(f"group {selection.group!r} needs a binary task and one of {GROUPS}")
        true_class, guess_class = GROUP_CELLS[selection.group]
        mask &= (ev.labels == true_class) & (ev.predictions == guess_class)
    else:
        if selection.kind == "misclassified":
            mask &= ~ev.correct
        elif selection.kind == "correct":
            mask &= ev.correct
        if selection.true_class is not None:
            mask &= ev.labels == selection.true_class
        if selection.guess_class is not None:
            mask &= ev.predictions == selection.guess_class
    index = np.flatnonzero(mask)
    key = ev.confidence[index]
    order = np.argsort(-key if selection.most_confident_first else key, kind="stable")
    return index[order]


def hidden_activations(network: Network, image: np.ndarray) -> np.ndarray:
    """(h,) activations of every hidden unit for one (28, 28) uint8 image, scaled as in training."""
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise ValueError(f"expected a 28x28 image, got shape {image.shape}")
    return network.hidden_activations(image[None], images=True)[0]


def top_hidden_units(activations: np.ndarray, k: int = 10) -> np.ndarray:
    """Indices of the k largest activations, strongest first (ties: lower unit first)."""
    return np.argsort(-np.asarray(activations), kind="stable")[: min(k, len(activations))]


# -- what the evaluation views link and show --------------------------------------


def selection_cell(selection: Selection) -> tuple[int, int] | None:
    """The confusion-matrix cell (true, guess) whose images are exactly what `selection` shows, if one is."""
    s = selection
    if s.group is not None:
        return GROUP_CELLS.get(s.group)
    if s.true_class is None or s.guess_class is None:
        return None
    if s.kind == "all" or (s.kind == "correct") == (s.true_class == s.guess_class):
        return (s.true_class, s.guess_class)
    return None


class Rates(NamedTuple):
    tpr: float  # true positive rate: TP / (TP + FN), NaN without positives
    fpr: float  # false positive rate: FP / (FP + TN), NaN without negatives


def rates(counts: BinaryCounts) -> Rates:
    """True and false positive rates of a binary threshold's counts (the ROC curve's point)."""
    c = counts
    tpr = c.tp / (c.tp + c.fn) if c.tp + c.fn else float("nan")
    fpr = c.fp / (c.fp + c.tn) if c.fp + c.tn else float("nan")
    return Rates(tpr, fpr)
