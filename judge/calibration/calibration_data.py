"""Calibration data: score records joined to a labelled manifest, as logits and 0/1 targets.

A record's ``logits`` are the raw aggregated logits (before temperature), so calibration never
needs the temperatures the records were scored with. A label missing from a manifest row is
unknown and left out, as in training. A clip's ``plausible`` target follows
``judge.targets_rule`` (the rule evaluation uses too): its ``plausible`` label; without one, 0
if it has a positive artifact label or an event, 1 if every one of the judge's labels is known
and 0. A plain real clip, ``{"plausible": 1, <every label>: 0}``, is clean for the plausibility
head and a negative for every label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from judge.io.pathkey import path_key
from judge.labels import PLAUSIBLE
from judge.targets_rule import plausible_target, row_plausible_target

__all__ = ["CalibrationData", "collect", "plausible_target"]


@dataclass
class CalibrationData:
    """Per label, the logits and targets of the clips where the label is known."""

    samples: dict[str, tuple[np.ndarray, np.ndarray]]
    clips: int = 0  # scored clips matched to a manifest row
    errors: list[str] = field(default_factory=list)  # records that failed to score
    unmatched: list[str] = field(default_factory=list)  # scored paths in no manifest row

    @property
    def pairs(self) -> int:
        return sum(len(y) for _, y in self.samples.values())


def collect(
    records: Iterable[Mapping], rows: Mapping[str, dict], labels: Sequence[str]
) -> CalibrationData:
    """Join records to manifest rows (by ``path_key``) and gather logits and targets.

    Args:
        records: score records with ``logits`` ``{label: raw logit, "plausible": ...}``.
        rows: manifest rows by the ``path_key`` of their video.
        labels: the judge's artifact labels (``plausible`` is added).
    """
    names = [*labels, PLAUSIBLE]
    z: dict[str, list[float]] = {k: [] for k in names}
    y: dict[str, list[int]] = {k: [] for k in names}
    data = CalibrationData(samples={})
    for rec in records:
        path = str(rec.get("path"))
        if rec.get("status") != "ok":
            data.errors.append(f"{path}: {rec.get('error')}")
            continue
        row = rows.get(path_key(path))
        if row is None:
            data.unmatched.append(path)
            continue
        data.clips += 1
        row_labels = row.get("labels") or {}
        logits = rec.get("logits") or {}
        for name in names:
            target = (
                row_plausible_target(row, labels) if name == PLAUSIBLE else row_labels.get(name)
            )
            if target is None or logits.get(name) is None:
                continue
            z[name].append(float(logits[name]))
            y[name].append(int(target == 1))
    data.samples = {k: (np.array(z[k]), np.array(y[k])) for k in names if y[k]}
    return data
