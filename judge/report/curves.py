"""ROC and precision-recall curves, AUROC and AP with numpy (sklearn is not a dependency).

Tied scores form one threshold, so no figure depends on the order of tied clips; AP is
``sum_n (R_n - R_{n-1}) P_n``, as sklearn's ``average_precision_score``.
"""

from __future__ import annotations

import numpy as np


def _binary(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y, s = np.asarray(y).ravel(), np.asarray(s, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y and scores differ in length: {y.shape[0]} vs {s.shape[0]}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must be 0/1 (drop unknown labels before computing curves)")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    return y.astype(bool), s


def _cumulative(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative true/false positives at each distinct score, highest score first.

    Equal scores form one threshold: splitting a tie would make the curve depend on the
    arbitrary order of tied clips.
    """
    order = np.argsort(-s, kind="stable")
    y, s = y[order], s[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(s) != 0), y.size - 1]
    tps = np.cumsum(y)[last_of_group]
    fps = (last_of_group + 1) - tps
    return tps.astype(np.float64), fps.astype(np.float64)


def roc_curve(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC of scores ``s`` float (M,) for labels ``y`` 0/1 (M,): ``(fpr, tpr)``, each (K + 1,).

    Starts at (0, 0) and ends at (1, 1), one point per distinct score (K of them). Raises
    ValueError when ``y`` has no positives or no negatives (the curve is undefined).
    """
    y, s = _binary(y, s)
    if not y.any() or y.all():
        raise ValueError("ROC needs both positives and negatives")
    tps, fps = _cumulative(y, s)
    return np.r_[0.0, fps / fps[-1]], np.r_[0.0, tps / tps[-1]]


def pr_curve(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision-recall of ``s`` float (M,) for ``y`` 0/1 (M,): ``(recall, precision)``, (K + 1,).

    Ordered by decreasing threshold, so recall rises; the first point is (0, 1) as in sklearn.
    Raises ValueError when ``y`` has no positives.
    """
    y, s = _binary(y, s)
    if not y.any():
        raise ValueError("precision-recall needs at least one positive")
    tps, fps = _cumulative(y, s)
    return np.r_[0.0, tps / tps[-1]], np.r_[1.0, tps / (tps + fps)]


def auroc(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the ROC of ``s`` (M,) for ``y`` 0/1 (M,), by the trapezoid rule."""
    fpr, tpr = roc_curve(y, s)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """AP = sum_n (R_n - R_{n-1}) P_n over thresholds, as sklearn's average_precision_score."""
    recall, precision = pr_curve(y, s)
    return float(np.sum(np.diff(recall) * precision[1:]))
