"""The reject option: answer "not sure" below a confidence threshold, and what that buys.

Confidence is the probability of the guessed class, the largest of the K
class probabilities (binary: max(P(a), P(b))). An image is accepted when its
confidence is at least the threshold, so threshold 0 accepts everything. The
reject curve trades the share of images answered against the accuracy on
them: raising the threshold never answers more images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import labels_from_proba

DEFAULT_THRESHOLDS = np.round(np.linspace(0.0, 1.0, 101), 10)  # 0, 0.01, ..., 1


def confidence(proba: np.ndarray) -> np.ndarray:
    """(n,) probability of the guessed class from (n, K) class probabilities."""
    proba = np.asarray(proba, np.float64)
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise ValueError(f"expected (n, K) class probabilities with K >= 2, got shape {proba.shape}")
    return proba.max(axis=1)


def accept_mask(proba: np.ndarray, threshold: float) -> np.ndarray:
    """(n,) bool: which images the network answers (confidence >= threshold)."""
    return confidence(proba) >= float(threshold)


@dataclass(frozen=True)
class RejectCurve:
    """Accuracy on the answered images against the share answered, one point per threshold."""

    thresholds: np.ndarray  # ascending
    accepted_share: np.ndarray  # fraction of images answered at each threshold (non-increasing)
    accuracy_on_accepted: np.ndarray  # NaN where nothing is answered
    accepted: np.ndarray  # number of images answered at each threshold

    def at(self, threshold: float) -> tuple[float, float]:
        """(accepted share, accuracy on accepted) at the largest curve threshold <= `threshold`."""
        i = max(0, int(np.searchsorted(self.thresholds, threshold, side="right")) - 1)
        return float(self.accepted_share[i]), float(self.accuracy_on_accepted[i])


def reject_curve(proba: np.ndarray, labels: np.ndarray, classes, thresholds=None) -> RejectCurve:
    """The reject curve of (n, K) probabilities against true labels 0..K-1 of `classes`.

    The guess is the network's (labels_from_proba); every threshold counts
    the images whose confidence reaches it and how many of those are right.
    """
    proba = np.asarray(proba, np.float64)
    labels = np.asarray(labels)
    conf = confidence(proba)
    if proba.shape[1] != len(classes):
        raise ValueError(f"{proba.shape[1]} probability columns for {len(classes)} classes")
    if labels.shape != (len(proba),):
        raise ValueError(f"{len(labels)} labels for {len(proba)} images")
    t = DEFAULT_THRESHOLDS if thresholds is None else np.sort(np.asarray(thresholds, np.float64))
    correct = labels_from_proba(proba) == labels
    # Sorted by confidence, the images accepted at t are a suffix: count them by binary search.
    order = np.argsort(conf, kind="stable")
    sorted_conf = conf[order]
    right_from = np.r_[np.cumsum(correct[order][::-1])[::-1], 0]  # right answers at and after each position
    first = np.searchsorted(sorted_conf, t, side="left")
    accepted = len(conf) - first
    right = right_from[first]
    n = len(conf)
    share = accepted / n if n else np.full(len(t), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(accepted > 0, right / np.maximum(accepted, 1), np.nan)
    return RejectCurve(t, np.asarray(share, np.float64), acc, accepted.astype(np.int64))
