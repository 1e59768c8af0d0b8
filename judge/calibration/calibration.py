"""Per-label temperature scaling and thresholds, fitted on labelled score records (numpy only).

For each label (and ``plausible``), a temperature T minimises the mean negative log-likelihood
of ``sigmoid(logit / T)`` on the clips where that label is known. The NLL is convex in ``1/T``,
hence unimodal in ``log T``, so a golden-section search over ``log T`` finds the minimum: no
scipy, no random start, the same T on every machine. Thresholds are then chosen on the
calibrated probabilities for a target precision or recall. Sigmoid, ECE and the operating
points come from ``judge.metrics``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from judge.metrics import ece, operating_points, sigmoid

T_RANGE = (0.01, 100.0)
_GOLDEN = (math.sqrt(5) - 1) / 2


def nll(logits: np.ndarray, targets: np.ndarray, temperature: float = 1.0) -> float:
    """Mean binary cross-entropy of ``sigmoid(logits / temperature)`` against 0/1 targets."""
    x = np.asarray(logits, np.float64) / temperature
    y = np.asarray(targets, np.float64)
    return float(np.mean(np.logaddexp(0.0, x) - y * x)) if len(x) else math.nan


def fit_temperature(
    logits: np.ndarray, targets: np.ndarray, bounds: tuple[float, float] = T_RANGE, iters: int = 80
) -> float:
    """The T in ``bounds`` minimising ``nll(logits, targets, T)``, by golden section on log T.

    80 iterations shrink the log-interval by 0.618^80 (~1e-17 of its width): converged to float
    precision, with a fixed amount of work.
    """
    lo, hi = math.log(bounds[0]), math.log(bounds[1])
    f = lambda u: nll(logits, targets, math.exp(u))  # noqa: E731
    a, b = hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo)
    fa, fb = f(a), f(b)
    for _ in range(iters):
        if fa <= fb:  # ties move left, towards sharper scores: deterministic either way
            hi, b, fb = b, a, fa
            a = hi - _GOLDEN * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + _GOLDEN * (hi - lo)
            fb = f(b)
    return math.exp((lo + hi) / 2)


@dataclass(frozen=True)
class Threshold:
    """A chosen threshold (predict positive when ``p >= value``) and what it achieves."""

    value: float
    precision: float | None
    recall: float | None
    met: bool  # False: the target is unattainable here and ``value`` is the 0.5 fallback
    note: str = ""


def _operating_points(probs: np.ndarray, targets: np.ndarray):
    """Distinct scores high to low, with precision and recall when predicting ``p >= score``."""
    scores, tp, fp = operating_points(targets, probs)
    return scores, tp / (tp + fp), tp / max(targets.sum(), 1)


def choose_threshold(
    probs: np.ndarray,
    targets: np.ndarray,
    *,
    precision: float | None = None,
    recall: float | None = None,
    fallback: float = 0.5,
) -> Threshold:
    """The smallest threshold with precision >= ``precision``, or the largest with recall >=
    ``recall`` (exactly one of them).

    Thresholds sit halfway between the deciding score and the next lower one, so the judge's
    float32 arithmetic cannot flip a clip that sits exactly on it. An unattainable target
    gives ``fallback`` with ``met=False`` and a note saying why.
    """
    if (precision is None) == (recall is None):
        raise ValueError("give exactly one of precision and recall")
    p = np.asarray(probs, np.float64)
    y = np.asarray(targets, np.float64)
    if not y.sum():
        return Threshold(fallback, None, None, False, "no positive clips")
    scores, prec, rec = _operating_points(p, y)
    if precision is not None:
        ok = np.flatnonzero(prec >= precision - 1e-12)
        if not len(ok):
            best = float(prec.max())
            note = f"precision {precision:g} unattainable (best {best:.3f})"
            return Threshold(fallback, None, None, False, note)
        k = int(ok[-1])  # scores go high to low: the last index is the smallest threshold
    else:
        k = int(np.flatnonzero(rec >= recall - 1e-12)[0])  # recall grows as the threshold falls
    lower = scores[k + 1] if k + 1 < len(scores) else 0.0
    return Threshold(float((scores[k] + lower) / 2), float(prec[k]), float(rec[k]), True)


@dataclass(frozen=True)
class LabelFit:
    """One label's calibration: temperatures, fit quality before/after, and its threshold."""

    label: str
    n: int
    positives: int
    t_before: float
    t_after: float
    nll_before: float
    nll_after: float
    ece_before: float
    ece_after: float
    threshold: Threshold | None
    note: str = ""


def fit_label(
    label: str,
    logits: np.ndarray,
    targets: np.ndarray,
    t_before: float = 1.0,
    *,
    precision: float | None = None,
    recall: float | None = None,
) -> LabelFit:
    """Fit one label's temperature (kept at ``t_before`` if both classes are not present) and,
    given a target, its threshold on the calibrated probabilities."""
    z = np.asarray(logits, np.float64)
    y = np.asarray(targets, np.float64)
    pos = int(y.sum())
    note = ""
    if pos in (0, len(y)):
        # With one class the NLL falls towards T -> 0 or infinity: a fit would only hit a bound.
        t_after, note = t_before, "one class only: temperature kept"
    else:
        t_after = fit_temperature(z, y)
        lo, hi = T_RANGE
        if t_after > hi * 0.99:
            # Flattening every score to 0.5 fits best: the logits say nothing about this label.
            note = f"T at the bound {hi:g}: the logits carry no signal for this label"
        elif t_after < lo * 1.01:
            note = f"T at the bound {lo:g}: the labels are separated perfectly"
    threshold = None
    if precision is not None or recall is not None:
        threshold = choose_threshold(sigmoid(z / t_after), y, precision=precision, recall=recall)
    return LabelFit(
        label=label,
        n=len(y),
        positives=pos,
        t_before=t_before,
        t_after=t_after,
        nll_before=nll(z, y, t_before),
        nll_after=nll(z, y, t_after),
        ece_before=ece(sigmoid(z / t_before), y),
        ece_after=ece(sigmoid(z / t_after), y),
        threshold=threshold,
        note=note,
    )


def calibrate(
    samples: dict[str, tuple[np.ndarray, np.ndarray]],
    t_before: dict[str, float],
    *,
    precision: float | None = None,
    recall: float | None = None,
) -> list[LabelFit]:
    """``fit_label`` for every label of ``samples`` ``{label: (logits, targets)}``."""
    return [
        fit_label(label, z, y, t_before.get(label, 1.0), precision=precision, recall=recall)
        for label, (z, y) in samples.items()
    ]


def pooled(
    samples: dict[str, tuple[np.ndarray, np.ndarray]], temperatures: dict[str, float]
) -> tuple[float, float]:
    """``(nll, ece)`` over every labelled (clip, label) pair together, each label at its T."""
    if not samples:
        return math.nan, math.nan
    z = np.concatenate(
        [np.asarray(s[0], np.float64) / temperatures.get(k, 1.0) for k, s in samples.items()]
    )
    y = np.concatenate([np.asarray(s[1], np.float64) for s in samples.values()])
    return nll(z, y), ece(sigmoid(z), y)
