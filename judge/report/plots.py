"""Evaluation plots as PNG files: ROC/PR per label, reliability, onset errors, score histograms.

Figures are built with ``matplotlib.figure.Figure`` and rendered by the Agg canvas, never through
pyplot, so nothing here touches global figure state or needs a display. Each plot function writes
one PNG atomically (parent folders created) and returns its ``Path``. sklearn is not a
dependency: the curves, the ECE and its bins come from ``judge.metrics``.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from judge.io.atomic import atomic_write_bytes
from judge.metrics import auroc, average_precision, pr_curve, reliability_bins, roc_curve
from judge.metrics import ece as calibration_error

DPI = 120
MAX_COLS = 4


def save_png(fig: Figure, path: str | os.PathLike[str], dpi: int = DPI) -> Path:
    """Render ``fig`` to PNG in memory and write it atomically, so a reader never sees half."""
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi)
    finally:
        fig.clear()  # drop artists (and any big images) now rather than at garbage collection
    return atomic_write_bytes(path, buf.getvalue())


def _grid(count: int, width: float, height: float) -> tuple[Figure, list]:
    """A figure of ``count`` subplots, up to MAX_COLS a row, each about ``width`` x ``height``."""
    cols = min(MAX_COLS, max(count, 1))
    rows = max(1, math.ceil(count / cols))
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, list(axes[:count])


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


def plot_roc_pr(
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    labels: list[str],
    path_roc: str | os.PathLike[str],
    path_pr: str | os.PathLike[str],
) -> tuple[Path, Path]:
    """ROC and PR curves, one subplot per label, one curve per system; returns both paths.

    ``y`` int (N, L): 1 positive, 0 negative, -1 unknown (left out for that label). ``scores``:
    system name -> float (N, L), higher = more likely the artifact. A label without positives or
    without negatives gets a note in place of curves.
    """
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[1] != len(labels):
        raise ValueError(f"y must be (N, {len(labels)}) for labels {labels}, got {y.shape}")
    for name, s in scores.items():
        if np.shape(s) != y.shape:
            raise ValueError(f"scores[{name!r}] has shape {np.shape(s)}, expected {y.shape}")
    roc_fig, roc_axes = _grid(len(labels), 3.4, 3.2)
    pr_fig, pr_axes = _grid(len(labels), 3.4, 3.2)
    for j, (ax_roc, ax_pr) in enumerate(zip(roc_axes, pr_axes, strict=True)):
        known = y[:, j] >= 0
        yj = y[known, j]
        ax_roc.set(title=labels[j], xlim=(0, 1), ylim=(0, 1.02), xlabel="false positive rate")
        ax_roc.set_ylabel("true positive rate")
        ax_pr.set(title=labels[j], xlim=(0, 1), ylim=(0, 1.02), xlabel="recall", ylabel="precision")
        missing = [m for m, v in (("no positives", 1), ("no negatives", 0)) if not (yj == v).any()]
        if missing:
            for ax in (ax_roc, ax_pr):
                _note(ax, f"{missing[0]}\n(n={yj.size})")
            continue
        ax_roc.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1, label="chance")
        base = float(yj.mean())
        ax_pr.axhline(base, color="0.6", linestyle="--", linewidth=1, label=f"base rate {base:.2f}")
        for k, (name, s) in enumerate(scores.items()):
            sj = np.asarray(s, dtype=np.float64)[known, j]
            color = f"C{k % 10}"
            fpr, tpr = roc_curve(yj, sj)
            ax_roc.plot(fpr, tpr, color=color, label=f"{name} (AUROC {auroc(yj, sj):.2f})")
            recall, precision = pr_curve(yj, sj)
            # Precision P_n holds over (R_{n-1}, R_n]: the same steps AP sums.
            ap = average_precision(yj, sj)
            ax_pr.step(recall, precision, where="pre", color=color, label=f"{name} (AP {ap:.2f})")
        ax_roc.legend(loc="lower right", fontsize="x-small")
        ax_pr.legend(loc="lower left", fontsize="x-small")
    return save_png(roc_fig, path_roc), save_png(pr_fig, path_pr)


def plot_reliability(
    y: np.ndarray,
    p: np.ndarray,
    path: str | os.PathLike[str],
    bins: int = 10,
    title: str = "judge",
) -> Path:
    """Reliability diagram of probabilities ``p`` float (M,) in [0, 1] against ``y`` 0/1 (M,).

    Top: observed positive rate per equal-width bin (bars) and mean predicted probability vs
    observed rate (points) with the diagonal; bottom: clips per bin. The title carries the ECE.
    """
    n, acc, conf = reliability_bins(y, p, bins)
    ece = calibration_error(np.asarray(p, np.float64).ravel(), np.asarray(y).ravel(), bins)
    edges = np.linspace(0.0, 1.0, bins + 1)
    centres, width = (edges[:-1] + edges[1:]) / 2, 1.0 / bins
    full = n > 0
    fig = Figure(figsize=(5.0, 6.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1, label="perfectly calibrated")
    bar = {"width": width * 0.9, "color": "C0", "alpha": 0.35, "label": "observed rate per bin"}
    top.bar(centres[full], acc[full], **bar)
    top.plot(conf[full], acc[full], "o-", color="C0", markersize=4, label="mean predicted")
    top.set(xlim=(0, 1), ylim=(0, 1.02), ylabel="observed frequency")
    top.legend(loc="upper left", fontsize="small")
    ece_text = "n/a" if math.isnan(ece) else f"{ece:.3f}"
    top.set_title(f"{title}: ECE {ece_text} ({bins} bins, n={int(n.sum())})")
    bottom.bar(centres, n, width=width * 0.9, color="0.5")
    # Scores pile up near 0 and 1; a log axis keeps the sparse middle bins visible.
    if full.any() and n[full].max() / n[full].min() > 50:
        bottom.set_yscale("log")
    bottom.set(xlabel="predicted probability", ylabel="count")
    return save_png(fig, path)


def plot_onset_errors(errors: dict[str, np.ndarray], path: str | os.PathLike[str]) -> Path:
    """Histogram of onset errors: system name -> int (K,) predicted - true onset, in frames.

    Integer bins centred on integers, one step outline per system; empty arrays are allowed.
    """
    arrays = {name: np.asarray(e, dtype=np.int64).ravel() for name, e in errors.items()}
    values = np.concatenate([np.zeros(0, np.int64), *arrays.values()])
    lo, hi = (int(values.min()), int(values.max())) if values.size else (-1, 1)
    lo, hi = min(lo, -1), max(hi, 1)  # always show 0 and its neighbours, the "±1" band
    edges = np.arange(lo, hi + 2) - 0.5
    fig = Figure(figsize=(6.0, 3.6), layout="constrained")
    ax = fig.subplots()
    for k, (name, e) in enumerate(arrays.items()):
        counts, _ = np.histogram(e, bins=edges)
        mae = f"{np.abs(e).mean():.1f}" if e.size else "-"
        label = f"{name} (MAE {mae}, n={e.size})"
        ax.stairs(counts, edges, color=f"C{k % 10}", linewidth=1.5, label=label)
    ax.axvline(0, color="0.6", linestyle=":", linewidth=1)
    ax.set(xlabel="predicted - true onset (frames)", ylabel="clips")
    if hi - lo <= 30:
        ax.set_xticks(np.arange(lo, hi + 1))
    if arrays:
        ax.legend(fontsize="small")
    return save_png(fig, path)


def plot_score_distributions(
    artifact_score: dict[str, np.ndarray], is_artifact: np.ndarray, path: str | os.PathLike[str]
) -> Path:
    """Per system, density histograms of P(artifact) float (N,) for clean vs artifact clips.

    ``is_artifact`` bool (N,). 20 bins over [0, 1]; scores outside are clipped into it.
    """
    is_artifact = np.asarray(is_artifact, dtype=bool).ravel()
    edges = np.linspace(0.0, 1.0, 21)
    fig, axes = _grid(len(artifact_score), 3.6, 3.0)
    for ax, (name, s) in zip(axes, artifact_score.items(), strict=True):
        s = np.clip(np.asarray(s, dtype=np.float64).ravel(), 0.0, 1.0)
        if s.shape != is_artifact.shape:
            raise ValueError(f"{name!r}: {s.size} scores for {is_artifact.size} clips")
        for group, mask, color in (("clean", ~is_artifact, "C2"), ("artifact", is_artifact, "C3")):
            counts, _ = np.histogram(s[mask], bins=edges)
            # Density by hand: numpy's density=True divides by zero for an empty group.
            density = counts / (mask.sum() * np.diff(edges)) if mask.any() else counts * 0.0
            ax.stairs(density, edges, fill=True, alpha=0.35, color=color)
            ax.stairs(density, edges, color=color, label=f"{group} (n={int(mask.sum())})")
        ax.set(title=name, xlim=(0, 1), xlabel="P(artifact)", ylabel="density")
        ax.legend(fontsize="small")
    if not artifact_score:
        _note(fig.add_subplot(), "no systems")
    return save_png(fig, path)
