"""Metrics tables: one row per metric, one column per system, as Markdown and JSON.

Column dicts use the metric names of ``judge.training.metrics.JudgeMetrics.compute`` without
the stage prefix: ``auroc`` (macro), ``<label>/auroc``, ``<label>/ap``, ``ece``, ``onset_acc``.
A missing, None or NaN value is shown as ``-`` (e.g. ECE for an uncalibrated baseline).
"""

from __future__ import annotations

import json
import math
import numbers
import os
from pathlib import Path

from judge.io.atomic import atomic_write_text

MISSING = "-"


def metric_rows(labels: list[str]) -> list[tuple[str, str]]:
    """``(row title, metric key)`` in table order for ``labels``."""
    rows = [("macro AUROC", "auroc")]
    rows += [(f"{label} AUROC", f"{label}/auroc") for label in labels]
    rows += [(f"{label} AP", f"{label}/ap") for label in labels]
    rows += [("ECE", "ece"), ("onset accuracy (±1 frame)", "onset_acc")]
    return rows


def _fmt(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return MISSING
    value = float(value)
    if not math.isfinite(value):
        return MISSING
    return f"{value:.3f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def metrics_markdown(columns: dict[str, dict[str, float]], labels: list[str]) -> str:
    """A Markdown table: a ``metric`` column, then one column per system, in ``columns`` order.

    Args:
        columns: system name (e.g. ``"judge"``, ``"frame-difference baseline"``) -> metrics.
        labels: artifact labels, one AUROC and one AP row each.

    Returns:
        the table, ending with a newline; values to 3 decimals, ``-`` where missing.
    """
    names = list(columns)
    lines = [
        "| " + " | ".join(["metric", *(_cell(n) for n in names)]) + " |",
        "|" + "|".join(["---"] + ["---:"] * len(names)) + "|",
    ]
    for title, key in metric_rows(labels):
        cells = [_fmt(columns[n].get(key)) for n in names]
        lines.append("| " + " | ".join([_cell(title), *cells]) + " |")
    return "\n".join(lines) + "\n"


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
) -> tuple[Path, Path]:
    """Write ``{"labels": [...], "columns": {system: {metric: value}}}`` as JSON (NaN -> null)
    and ``metrics_markdown`` as Markdown, each atomically; returns both paths."""
    payload = {
        "labels": list(labels),
        "columns": {
            name: {key: _json_safe(v) for key, v in metrics.items()}
            for name, metrics in columns.items()
        },
    }
    text = json.dumps(payload, indent=2, sort_keys=False, allow_nan=False, ensure_ascii=False)
    pj = atomic_write_text(path_json, text + "\n")
    pm = atomic_write_text(path_md, metrics_markdown(columns, labels))
    return pj, pm
