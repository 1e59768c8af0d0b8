"""Calibrate a judge on labelled manifests: join score records to rows, fit, store the fit.

The library behind `judge-calibrate` and the calibration `judge-train` runs on its validation
split when training ends (`judge.calibration.after_training`):

    rows, videos = labelled_rows(["synth/manifest.jsonl", "real/manifest.jsonl"], "val", labels)
    records = list(judge.score(videos))
    fit = fit_records(records, rows, labels, judge.temperatures, recall=0.95,
                      manifests=[...], split="val")
    save_calibration("runs/best.ckpt", "runs/judge", fit.result, overwrite=True)

A clip listed in several manifests counts once (by `path_key`); the same clip with different
labels is an error naming both manifests.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from judge.calibration.calibration import LabelFit, calibrate, pooled
from judge.calibration.calibration_data import CalibrationData, collect
from judge.inference.judge_json import JUDGE_JSON, update_judge_json
from judge.io.manifest import read_manifest, resolve_path
from judge.io.pathkey import path_key
from judge.labels import ARTIFACT_LABELS


class CalibrationInputError(ValueError):
    """The manifests give nothing to fit on, or disagree about a clip (the message says which)."""


def _truth(row: dict) -> tuple:
    return row.get("labels"), row.get("events")


def labelled_rows(
    manifests: Sequence[str | os.PathLike[str]], split: str | None, labels: Sequence[str]
) -> tuple[dict[str, dict], list[str]]:
    """Every manifest's rows (of ``split``; all with None) by the ``path_key`` of their video,
    and each video's file as the manifest names it (absolute; what is scored), once each.

    Raises:
        CalibrationInputError: a clip labelled differently in two manifests, or no row of
            ``split``.
    """
    extra = [k for k in labels if k not in ARTIFACT_LABELS]
    out: dict[str, dict] = {}
    where: dict[str, str] = {}
    videos: list[str] = []
    for manifest in map(str, manifests):
        for r in read_manifest(manifest, extra_labels=extra):
            if split and r.get("split") != split:
                continue
            video = os.path.normpath(resolve_path(manifest, r["path"]))
            key = path_key(video)
            if key in out and _truth(out[key]) != _truth(r):
                raise CalibrationInputError(
                    f"{r['path']} is labelled differently in {where[key]} and {manifest}"
                )
            if key not in out:
                out[key], where[key] = r, manifest
                videos.append(video)
    if split and not out:
        named = ", ".join(map(str, manifests))
        raise CalibrationInputError(f"{named}: no rows with split {split!r}")
    return out, videos


@dataclass
class JudgeFit:
    """A calibration: the joined data, each label's fit, and what is stored with the judge
    (``result``: ``{"temperatures", "thresholds", "calibration"}``)."""

    data: CalibrationData
    fits: list[LabelFit]
    result: dict


def fit_records(
    records: Sequence[Mapping],
    rows: Mapping[str, dict],
    labels: Sequence[str],
    temperatures: Mapping[str, float],
    *,
    precision: float | None = None,
    recall: float | None = None,
    manifests: Sequence[str | os.PathLike[str]] = (),
    split: str | None = None,
) -> JudgeFit:
    """Fit temperatures (and thresholds for a target ``precision`` or ``recall``) on score
    records joined to ``rows``; ``temperatures`` are the judge's current ones.

    Raises:
        CalibrationInputError: no record matched a row with known labels and logits.
    """
    data = collect(records, rows, labels)
    if not data.samples:
        named = ", ".join(map(str, manifests)) or "the manifests"
        skipped = f"{len(data.errors)} failed to score, {len(data.unmatched)} unmatched"
        raise CalibrationInputError(
            f"nothing to fit: {data.clips} clip(s) matched {named} with known labels and "
            f"logits ({skipped})"
        )
    before = {k: float(v) for k, v in (temperatures or {}).items()}
    fits = calibrate(data.samples, before, precision=precision, recall=recall)
    target = {"precision": precision} if precision is not None else None
    target = {"recall": recall} if recall is not None else target
    result = summarise(data, fits, before, manifests, split, target)
    return JudgeFit(data, fits, result)


def _num(x: float | None) -> float | None:
    # JSON has no NaN; a statistic that does not exist (no data) is null.
    return None if x is None or not math.isfinite(x) else float(x)


def summarise(
    data: CalibrationData,
    fits: list[LabelFit],
    before: Mapping[str, float],
    manifests: Sequence[str | os.PathLike[str]],
    split: str | None,
    target: dict | None,
) -> dict:
    """``{"temperatures", "thresholds", "calibration"}``: what is stored with the judge."""
    temperatures = {f.label: f.t_after for f in fits}
    thresholds = {f.label: f.threshold.value for f in fits if f.threshold is not None}
    nll_before, ece_before = pooled(data.samples, dict(before))
    nll_after, ece_after = pooled(data.samples, temperatures)
    per_label = {}
    for f in fits:
        entry = {
            "n": f.n,
            "positives": f.positives,
            "temperature_before": f.t_before,
            "nll_before": _num(f.nll_before),
            "nll_after": _num(f.nll_after),
            "ece_before": _num(f.ece_before),
            "ece_after": _num(f.ece_after),
            "note": f.note or None,
        }
        if f.threshold is not None:
            entry.update(
                precision=_num(f.threshold.precision),
                recall=_num(f.threshold.recall),
                target_met=f.threshold.met,
                threshold_note=f.threshold.note or None,
            )
        per_label[f.label] = entry
    named = [str(Path(m).absolute()) for m in manifests]
    calibration = {
        # "manifest": the one manifest fitted on (None with several); "manifests": all of them.
        "manifest": named[0] if len(named) == 1 else None,
        "manifests": named,
        "split": split,
        "n": data.clips,
        "pairs": data.pairs,
        "ece_before": _num(ece_before),
        "ece_after": _num(ece_after),
        "nll_before": _num(nll_before),
        "nll_after": _num(nll_after),
        "target": target,
        "labels": per_label,
    }
    return {"temperatures": temperatures, "thresholds": thresholds, "calibration": calibration}


def save_calibration(
    judge: str | os.PathLike[str],
    out: str | os.PathLike[str] | None,
    result: dict,
    *,
    overwrite: bool,
    fit: str | None = None,
) -> Path:
    """Store the fit with the judge: in place (``out`` None; ``judge`` an exported folder) or
    as a new exported folder ``out``, written by ``export_judge`` in one atomic step with the
    temperatures, thresholds and the ``calibration`` record. ``fit``: the fit the records were
    scored with when it was not the judge's own, stored as its ``input.fit`` (thresholds hold
    for the way they were measured)."""
    if out is None:
        update_judge_json(Path(judge) / JUDGE_JSON, result, fit)
        return Path(judge)
    from judge.inference.export import export_judge

    export_judge(
        judge,
        out,
        overwrite=overwrite,
        temperatures=result["temperatures"],
        thresholds=result["thresholds"],
        extra={"calibration": result["calibration"]},
        fit=fit,
    )
    return Path(out)


def _f(x: float | None, spec: str = ".4f") -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, spec)


def _table_row(f: LabelFit) -> tuple[str, ...]:
    th = f.threshold
    note = "; ".join(x for x in (f.note, th.note if th else "") if x)
    return (
        f.label,
        str(f.n),
        str(f.positives),
        _f(f.t_before, ".3f"),
        _f(f.t_after, ".3f"),
        _f(f.nll_before),
        _f(f.nll_after),
        _f(f.ece_before),
        _f(f.ece_after),
        _f(th.value if th else None, ".3f"),
        _f(th.precision if th else None, ".3f"),
        _f(th.recall if th else None, ".3f"),
        note,
    )


def format_table(fit: JudgeFit) -> list[str]:
    """The fit as text lines: per label and pooled ("all"), temperatures, NLL and ECE before
    and after, and the thresholds with their precision and recall."""
    data, cal = fit.data, fit.result["calibration"]
    head = ("label", "n", "pos", "T before", "T after", "NLL before", "NLL after")
    head += ("ECE before", "ECE after", "threshold", "precision", "recall", "note")
    pooled_row = ("all", str(data.pairs), "", "", "", _f(cal["nll_before"]))
    pooled_row += (_f(cal["nll_after"]), _f(cal["ece_before"]), _f(cal["ece_after"]))
    table = [head, *(_table_row(f) for f in fit.fits), pooled_row + ("",) * 4]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = [f"{data.clips} clips, {data.pairs} labelled (clip, label) pairs"]
    for row in table:
        # Label names left-aligned, numbers right-aligned.
        right = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in right]
        lines.append("  " + "  ".join(cells).rstrip())
    if data.errors or data.unmatched:
        lines.append(
            f"  skipped: {len(data.errors)} failed to score, "
            f"{len(data.unmatched)} not among the manifest rows used"
        )
    return lines
