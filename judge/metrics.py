"""Binary classification numbers with numpy, one copy for the whole package (sklearn is not a
dependency): sigmoid, ROC and precision-recall curves, AUROC, average precision, the expected
calibration error and its reliability bins.

Calibration (``judge.calibration``), evaluation (``judge.evaluation``) and score aggregation
(``judge.inference.aggregate``) all compute them here, so a figure means the same everywhere.
Conventions:

- ``y`` holds 0/1 labels (unknown labels dropped by the caller), ``s`` / ``p`` float scores of
  the same length (M,);
- tied scores form one threshold, so no figure depends on the order of tied clips;
- AP is ``sum_n (R_n - R_{n-1}) P_n``, as sklearn's ``average_precision_score``;
- a number that does not exist (AUROC or AP with one class only, ECE of nothing) is NaN, which
  reports write as null; the curves themselves raise ValueError instead.
"""

from __future__ import annotations

import math

import numpy as np

N_BINS = 15  # judge-calibrate's and the evaluation's ECE bins


def sigmoid(x):
    """``1 / (1 + e^-x)`` without overflow.

    A Python or numpy scalar gives a ``float``, computed with ``math.exp`` split by sign (score
    records hold these values, bit for bit as they always were). An array gives an array of the
    same shape, computed as ``exp(-logaddexp(0, -x))``.
    """
    if np.ndim(x) == 0:
        x = float(x)
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        z = math.exp(x)
        return z / (1.0 + z)
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, np.float64)))


def _binary(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``y`` as bool (M,) and ``s`` as float64 (M,), after checking both."""
    y, s = np.asarray(y).ravel(), np.asarray(s, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y and scores differ in length: {y.shape[0]} vs {s.shape[0]}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must be 0/1 (drop unknown labels before computing curves)")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    return y.astype(bool), s


def operating_points(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At each distinct score of ``s`` float (M,), highest first, predicting ``s >= score``:
    ``(score, true positives, false positives)``, each (K,) for K distinct scores (counts as
    float64), for labels ``y`` 0/1 (M,).

    Equal scores form one threshold: splitting a tie would make a curve depend on the
    arbitrary order of tied clips.
    """
    y, s = _binary(y, s)
    order = np.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(s) != 0), y.size - 1]
    tps = np.cumsum(y)[last_of_group]
    fps = (last_of_group + 1) - tps
    return s[last_of_group], tps.astype(np.float64), fps.astype(np.float64)


def roc_curve(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC of scores ``s`` float (M,) for labels ``y`` 0/1 (M,): ``(fpr, tpr)``, each (K + 1,).

    Starts at (0, 0) and ends at (1, 1), one point per distinct score (K of them). Raises
    ValueError when ``y`` has no positives or no negatives (the curve is undefined).
    """
    y, s = _binary(y, s)
    if not y.any() or y.all():
        raise ValueError("ROC needs both positives and negatives")
    _, tps, fps = operating_points(y, s)
    return np.r_[0.0, fps / fps[-1]], np.r_[0.0, tps / tps[-1]]


def pr_curve(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision-recall of ``s`` float (M,) for ``y`` 0/1 (M,): ``(recall, precision)``, (K + 1,).

    Ordered by decreasing threshold, so recall rises; the first point is (0, 1) as in sklearn.
    Raises ValueError when ``y`` has no positives.
    """
    y, s = _binary(y, s)
    if not y.any():
        raise ValueError("precision-recall needs at least one positive")
    _, tps, fps = operating_points(y, s)
    return np.r_[0.0, tps / tps[-1]], np.r_[1.0, tps / (tps + fps)]


def _one_class(y: np.ndarray) -> bool:
    y = np.asarray(y).ravel()
    return len(y) == 0 or y.min() == y.max()


def auroc(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the ROC of ``s`` (M,) for ``y`` 0/1 (M,), by the trapezoid rule; NaN when
    ``y`` is empty or holds one class only."""
    if _one_class(y):
        return math.nan
    fpr, tpr = roc_curve(y, s)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """AP of ``s`` (M,) for ``y`` 0/1 (M,): ``sum_n (R_n - R_{n-1}) P_n`` over thresholds, as
    sklearn's average_precision_score; NaN when ``y`` is empty or holds one class only (the
    evaluation reports AP only where AUROC exists)."""
    if _one_class(y):
        return math.nan
    recall, precision = pr_curve(y, s)
    return float(np.sum(np.diff(recall) * precision[1:]))


def _bin_index(p: np.ndarray, bins: int) -> np.ndarray:
    """int64 (M,): the equal-width bin of [0, 1] of each probability; p == 1 goes to the top
    bin, not to an extra one past it."""
    return np.clip((np.clip(p, 0.0, 1.0) * bins).astype(np.int64), 0, bins - 1)


def _probabilities(y, p) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y, np.float64).ravel(), np.asarray(p, np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y and p differ in length: {y.shape[0]} vs {p.shape[0]}")
    if not np.isfinite(p).all():
        raise ValueError("probabilities must be finite")
    return y, p


def ece(probs: np.ndarray, targets: np.ndarray, n_bins: int = N_BINS) -> float:
    """Expected calibration error of ``probs`` (M,) in [0, 1] against 0/1 ``targets`` (M,):
    ``sum_b n_b/N |mean p_b - mean y_b|`` over ``n_bins`` equal-width bins; NaN when M = 0."""
    y, p = _probabilities(targets, probs)
    if not len(p):
        return math.nan
    bins = _bin_index(p, n_bins)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(np.bincount(bins, p, n_bins) - np.bincount(bins, y, n_bins))
    return float(gap.sum() / count.sum())


def reliability_bins(
    y: np.ndarray, p: np.ndarray, bins: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin of [0, 1], the bins of ``ece``: ``(count, observed positive rate,
    mean probability)``, each float (bins,); the rates are NaN in empty bins."""
    y, p = _probabilities(y, p)
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    idx = _bin_index(p, bins)
    n = np.bincount(idx, minlength=bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.bincount(idx, weights=y, minlength=bins) / n
        conf = np.bincount(idx, weights=p, minlength=bins) / n
    return n, acc, conf
