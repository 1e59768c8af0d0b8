"""Metrics tables: one row per metric, one column per system, as Markdown and JSON.

Column dicts use the metric names of ``judge.evaluation.clip_metrics.compute_metrics``: ``auroc``
(macro), ``<label>/auroc``, ``<label>/f1``, ``ece``, ``onset_mae``, ``fpr/<tag>``, ... A
missing, None or NaN value is shown as ``-``. The per-source tables (``source_table``) have one
column per source family and one row per figure, one table per system.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from pathlib import Path

from judge.io.atomic import atomic_write_text

MISSING = "-"

SUMMARY_ROWS = (
    ("macro AUROC", "auroc"),
    ("macro AP", "ap"),
    ("macro F1 (at thresholds)", "f1"),
    ("any-artifact AUROC", "plausible/auroc"),
    ("any-artifact F1 (at threshold)", "plausible/f1"),
    ("calibration error (ECE)", "ece"),
    ("onset error (mean abs, frames)", "onset_mae"),
    ("onset accuracy (±1 frame)", "onset_acc"),
    ("IntPhys relative error", "intphys/relative_err"),
    ("IntPhys absolute error", "intphys/absolute_err"),
    ("pair accuracy (matched groups)", "pair_acc"),
    ("best-of-N: winner is clean", "rerank/best_of_n_clean"),
    ("random pick is clean", "rerank/random_clean"),
)
# Per-source table: (row title, metric key, shown as a count). Rows for hard-negative tags,
# labels and out-of-domain figures are added by ``source_table``.
SOURCE_HEAD_ROWS = (
    ("clips", "clips", True),
    ("unreadable", "errors", True),
    ("clean clips", "clean_clips", True),
    ("artifact clips", "artifact_clips", True),
    ("false-positive rate (clean clips flagged)", "fpr", False),
)
SOURCE_TAIL_ROWS = (
    ("macro AUROC", "auroc", False),
    ("any-artifact AUROC", "plausible/auroc", False),
    ("artifact recall (at threshold)", "plausible/recall", False),
    ("pair accuracy (matched groups)", "pair_acc", False),
    ("pairs", "intphys/pairs", True),
)
SOURCE_OOD_ROWS = (
    ("out-of-domain share", "ood/share", False),
    ("median OOD distance", "ood/median_distance", False),
)
LABEL_METRICS = (("AUROC", "auroc"), ("AP", "ap"), ("precision", "precision"),
                 ("recall", "recall"), ("F1", "f1"))  # fmt: skip


def metric_rows(labels: list[str], tags: list[str] = ()) -> list[tuple[str, str]]:
    """``(row title, metric key)`` of the summary table: headline figures, then the
    false-positive rate on clean clips of each hard-negative tag."""
    del labels  # per-label figures have their own table (``label_table``)
    return [*SUMMARY_ROWS, *((f"false positives: {t}", f"fpr/{t}") for t in tags)]


def fpr_tags(columns: dict[str, dict[str, float]]) -> list[str]:
    """Hard-negative tags with an ``fpr/<tag>`` figure in any column, sorted; a tag may hold
    a ``/`` itself, so only the ``fpr/<tag>/n`` count keys are left out."""
    return sorted({k.split("/", 1)[1] for m in columns.values() for k in m
                   if k.startswith("fpr/") and not k.endswith("/n")})  # fmt: skip


def fmt(value: object) -> str:
    """A figure to 3 decimals; ``-`` for missing, None, NaN or non-numbers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return MISSING
    value = float(value)
    if not math.isfinite(value):
        return MISSING
    return f"{value:.3f}"


def fmt_count(value: object) -> str:
    """A count as an integer; ``-`` for missing, None, NaN or non-numbers."""
    text = fmt(value)
    return text if text == MISSING else str(round(float(value)))


def summary_table(columns: dict[str, dict[str, float]]) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)``: a ``metric`` column, then one column per system, ``columns`` order."""
    header = ["metric", *columns]
    rows = []
    for title, key in metric_rows([], fpr_tags(columns)):
        counts = [m.get(f"{key}/n") for m in columns.values() if key.startswith("fpr/")]
        count = max((c for c in counts if isinstance(c, numbers.Real)), default=None)
        if count is not None:  # a rate over 3 clips reads differently from one over 300
            title += f" (n={int(count)})"
        rows.append([title, *(fmt(m.get(key)) for m in columns.values())])
    return header, rows


def label_table(
    columns: dict[str, dict[str, float]], labels: list[str]
) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)``: one row per label; for each system its AUROC, AP, precision,
    recall and F1 (at the system's threshold)."""
    header = ["label"]
    for name in columns:
        header += [f"{name} {title}" for title, _ in LABEL_METRICS]
    rows = []
    for label in labels:
        row = [label]
        for m in columns.values():
            row += [fmt(m.get(f"{label}/{key}")) for _, key in LABEL_METRICS]
        rows.append(row)
    return header, rows


def source_table(
    families: dict[str, dict[str, float]], labels: list[str]
) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of one system's figures per source family: a ``figure`` column, then
    one column per family (``families`` order, as ``clip_metrics.source_metrics`` gives it).

    Rows: clip counts, the false-positive rate on clean clips, then per hard-negative tag its
    rate and clean-clip count, macro and any-artifact AUROC, artifact recall, pair accuracy and
    pairs, each label's AUROC, and, when any family's records carry them, the out-of-domain
    share and median distance. A figure a family cannot have (a label with one class) is ``-``.
    """
    header = ["figure", *families]

    def row(title: str, key: str, count: bool) -> list[str]:
        show = fmt_count if count else fmt
        return [title, *(show(m.get(key)) for m in families.values())]

    rows = [row(*spec) for spec in SOURCE_HEAD_ROWS]
    for tag in fpr_tags(families):
        rows.append(row(f"false positives: {tag}", f"fpr/{tag}", False))
        rows.append(row(f"clean clips: {tag}", f"fpr/{tag}/n", True))
    rows += [row(*spec) for spec in SOURCE_TAIL_ROWS]
    rows += [row(f"{label} AUROC", f"{label}/auroc", False) for label in labels]
    if any((m.get("ood/n") or 0) > 0 for m in families.values()):
        rows += [row(*spec) for spec in SOURCE_OOD_ROWS]
    return header, rows


def source_markdown(sources: dict[str, dict[str, dict[str, float]]], labels: list[str]) -> str:
    """Per system, a ``Per source: <system>`` line and its ``source_table`` as Markdown."""
    parts = [
        f"Per source: {system}\n\n" + markdown_table(*source_table(families, labels))
        for system, families in sources.items()
    ]
    return "\n".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; the first column left-aligned, the others right-aligned."""
    lines = [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def metrics_markdown(
    columns: dict[str, dict[str, float]],
    labels: list[str],
    sources: dict[str, dict[str, dict[str, float]]] | None = None,
) -> str:
    """The summary table, a blank line, then the per-label table, as Markdown; with
    ``sources``, a blank line and the per-source tables (``source_markdown``) after them.

    Args:
        columns: system name (e.g. ``"judge"``, ``"frame-difference baseline"``) -> metrics.
        labels: artifact labels, one row each in the second table.
        sources: system name -> source family -> metrics (``clip_metrics.source_metrics``).
    """
    text = (
        markdown_table(*summary_table(columns))
        + "\n"
        + markdown_table(*label_table(columns, labels))
    )
    if sources:
        text += "\n" + source_markdown(sources, labels)
    return text


def _json_safe(value: object) -> object:
    # numpy scalars become plain floats; NaN/inf (not valid JSON) become null.
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, int)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def write_metrics(
    path_json: str | os.PathLike[str],
    path_md: str | os.PathLike[str],
    columns: dict[str, dict[str, float]],
    labels: list[str],
    sources: dict[str, dict[str, dict[str, float]]] | None = None,
) -> tuple[Path, Path]:
    """Write ``{"labels": [...], "columns": {system: {metric: value}}}`` as JSON (NaN -> null),
    with ``"sources": {system: {family: {metric: value}}}`` when ``sources`` is given, and
    ``metrics_markdown`` as Markdown, each atomically; returns both paths."""

    def safe(metrics: dict[str, float]) -> dict[str, object]:
        return {key: _json_safe(v) for key, v in metrics.items()}

    payload: dict[str, object] = {
        "labels": list(labels),
        "columns": {name: safe(metrics) for name, metrics in columns.items()},
    }
    if sources is not None:
        payload["sources"] = {
            name: {family: safe(m) for family, m in families.items()}
            for name, families in sources.items()
        }
    text = json.dumps(payload, indent=2, sort_keys=False, allow_nan=False, ensure_ascii=False)
    pj = atomic_write_text(path_json, text + "\n")
    pm = atomic_write_text(path_md, metrics_markdown(columns, labels, sources))
    return pj, pm
