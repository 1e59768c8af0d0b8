"""Whether a labelled clip, taken whole, is plausible: the one rule evaluation and calibration
share (``judge.evaluation.clip_metrics.Truth.from_rows`` and
``judge.calibration.calibration_data``).

A row's ``plausible`` label, when it has one, decides. Without one, the clip is an artifact
clip (0) when it has any positive artifact label or any event, and clean (1) when every label
the judge scores is known and 0; otherwise it is unknown (None) and left out.

Training reads rows per window (``judge.data.targets.window_targets``) and applies this rule to
the frames a window shows: ``{"teleport": 1}`` with an event and the other labels missing is an
artifact clip here, and a window showing that event is not plausible there; a window that does
not show it stays unknown, since the missing labels might hide another artifact in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from judge.labels import PLAUSIBLE


def plausible_target(
    labels: Mapping[str, int | None], artifact_labels: Sequence[str], events: Sequence = ()
) -> int | None:
    """The clip's plausible target (1 clean, 0 artifact) from its manifest labels and events,
    or None when unknown (module docstring).

    Args:
        labels: the row's ``labels`` (artifact labels and maybe ``plausible``; 0/1).
        artifact_labels: the labels the judge scores.
        events: the row's ``events`` (any event is an artifact).
    """
    if labels.get(PLAUSIBLE) is not None:
        return int(labels[PLAUSIBLE])
    if events or any(v == 1 for k, v in labels.items() if k != PLAUSIBLE):
        return 0
    if artifact_labels and all(labels.get(k) == 0 for k in artifact_labels):
        return 1
    return None


def row_plausible_target(row: Mapping, artifact_labels: Sequence[str]) -> int | None:
    """``plausible_target`` of one manifest row."""
    return plausible_target(row.get("labels") or {}, artifact_labels, row.get("events") or ())
