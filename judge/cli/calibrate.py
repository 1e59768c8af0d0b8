"""`judge-calibrate`: fit per-label temperatures and thresholds on labelled manifests.

judge-calibrate --judge runs/last.ckpt --manifest val.jsonl --target-precision 0.9 --out judge/
judge-calibrate --judge judge/ --manifest val.jsonl --target-recall 0.8 --in-place
judge-calibrate --scores val_scores.jsonl --manifest val.jsonl --report calibration.json
judge-calibrate --judge judge/ --manifest synth/val.jsonl --manifest real/val.jsonl --in-place

Several ``--manifest`` are fitted as one set (e.g. synthetic twins and plain real footage,
whose rows ``{"plausible": 1, <every label>: 0}`` are clean clips and negatives for every
label). A clip's plausible target follows ``judge.targets_rule``, as in ``judge-eval``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from judge.calibration.calibration import LabelFit, calibrate, pooled
from judge.calibration.calibration_data import CalibrationData, collect
from judge.cli.common import load_judge, score_with_judge, scoring_parent
from judge.cli.errors import UsageError, run_reporting_errors
from judge.inference.judge_json import JUDGE_JSON, read_judge_json, update_judge_json
from judge.inference.record import read_scores, write_scores
from judge.io.atomic import atomic_write_text
from judge.io.manifest import read_manifest, resolve_path
from judge.io.pathkey import path_key
from judge.labels import ARTIFACT_LABELS, PLAUSIBLE

PROG = "judge-calibrate"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        parents=[scoring_parent("scoring (without --scores)")],
        description="Fit one temperature per label (and for 'plausible') by minimising the NLL "
        "of sigmoid(logit / T) on a labelled manifest, choose thresholds for a target precision "
        "or recall, and store both with the judge. Prints ECE (15 equal-width bins) and NLL "
        "before (the judge's current temperatures; 1 without --judge) and after.",
    )
    p.add_argument("--judge", help="a Lightning .ckpt or an exported judge folder")
    p.add_argument(
        "--manifest",
        action="append",
        required=True,
        metavar="JSONL",
        help="labelled manifest to fit on; repeat to fit on several together",
    )
    p.add_argument("--split", help="use only the manifests' rows of this split (e.g. val)")
    p.add_argument(
        "--scores",
        action="append",
        metavar="JSONL",
        help="records from judge-score (with logits) instead of scoring the manifest again",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument(
        "--target-precision",
        type=float,
        metavar="P",
        help="per label, the smallest threshold with precision >= P on the manifest",
    )
    target.add_argument(
        "--target-recall",
        type=float,
        metavar="R",
        help="per label, the largest threshold with recall >= R on the manifest",
    )
    p.add_argument("--out", help="write the calibrated judge as an exported folder here")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    p.add_argument("--in-place", action="store_true", help="update --judge's judge.json itself")
    p.add_argument("--report", help="also write the fit as JSON (works without --judge)")
    p.add_argument("--save-scores", metavar="JSONL", help="save the score records for reuse")
    return p


def argument_problem(args: argparse.Namespace) -> str | None:
    """Why these flags do not go together (an argparse usage error, exit 2), or None."""
    if not args.judge and not args.scores:
        return "give --judge (to score the manifest) or --scores"
    if (args.out or args.in_place) and not args.judge:
        return "--out and --in-place store the calibration with a judge: give --judge"
    if args.out and args.in_place:
        return "choose one of --out DIR and --in-place"
    if args.in_place and not (Path(args.judge) / JUDGE_JSON).is_file():
        return f"--in-place needs an exported judge folder; {args.judge} is not one"
    for name in ("target_precision", "target_recall"):
        value = getattr(args, name)
        if value is not None and not 0 < value <= 1:
            return f"--{name.replace('_', '-')} must be in (0, 1], got {value}"
    return None


def _judge_description(path: str) -> dict:
    """Labels and current temperatures without building the model (a folder is plain JSON)."""
    folder = Path(path)
    if (folder / JUDGE_JSON).is_file():
        return read_judge_json(folder)
    from judge.inference.loading import read_judge

    return read_judge(path)[1]


def _labels_from_records(records: list[dict]) -> list[str]:
    seen = {k for r in records for k in (r.get("logits") or {}) if k != PLAUSIBLE}
    return [k for k in ARTIFACT_LABELS if k in seen] + sorted(seen - set(ARTIFACT_LABELS))


def _manifests_named(args: argparse.Namespace) -> str:
    return ", ".join(args.manifest)


def _truth(row: dict) -> tuple:
    return row.get("labels"), row.get("events")


def _rows(args: argparse.Namespace, labels: list[str]) -> tuple[dict[str, dict], list[str]]:
    """Every manifest's rows (of ``--split``) by the ``path_key`` of their video, and each
    video's file as the manifest names it (absolute; what is scored). A clip listed twice with
    the same labels counts once; with different labels it is an error."""
    extra = [k for k in labels if k not in ARTIFACT_LABELS]
    out: dict[str, dict] = {}
    where: dict[str, str] = {}
    videos: list[str] = []
    for manifest in args.manifest:
        for r in read_manifest(manifest, extra_labels=extra):
            if args.split and r.get("split") != args.split:
                continue
            video = os.path.normpath(resolve_path(manifest, r["path"]))
            key = path_key(video)
            if key in out and _truth(out[key]) != _truth(r):
                raise UsageError(
                    f"{r['path']} is labelled differently in {where[key]} and {manifest}"
                )
            if key not in out:
                out[key], where[key] = r, manifest
                videos.append(video)
    if args.split and not out:
        raise UsageError(f"{_manifests_named(args)}: no rows with split {args.split!r}")
    return out, videos


def run(args: argparse.Namespace) -> int:
    if args.scores:
        desc = _judge_description(args.judge) if args.judge else {}
        records = [rec for path in args.scores for rec in read_scores(path)]
        labels = list(desc.get("labels") or _labels_from_records(records))
        rows, _ = _rows(args, labels)
    else:
        judge = load_judge(args)
        desc = {"labels": judge.labels, "temperatures": judge.temperatures}
        labels = list(judge.labels)
        rows, videos = _rows(args, labels)
        # A split, or several manifests, are scored as their rows' videos (each clip once);
        # one whole manifest is passed as it is.
        whole = not args.split and len(args.manifest) == 1
        records = score_with_judge(args, args.manifest if whole else videos, judge)
        if args.save_scores:
            write_scores(args.save_scores, records)
    data = collect(records, rows, labels)
    if not data.samples:
        skipped = f"{len(data.errors)} failed to score, {len(data.unmatched)} unmatched"
        raise UsageError(
            f"nothing to fit: {data.clips} clip(s) matched {_manifests_named(args)} with known "
            f"labels and logits ({skipped})"
        )
    before = {k: float(v) for k, v in (desc.get("temperatures") or {}).items()}
    fits = calibrate(
        data.samples, before, precision=args.target_precision, recall=args.target_recall
    )
    result = summarise(args, data, fits, before)
    print_table(fits, result["calibration"], data)
    if args.out or args.in_place:
        where = save_calibration(args.judge, args.out, result, overwrite=args.overwrite)
        print(f"{PROG}: calibrated judge written to {where}")
    if args.report:
        text = json.dumps(result, indent=2, sort_keys=True, allow_nan=False) + "\n"
        atomic_write_text(args.report, text)
    return 0


def _num(x: float | None) -> float | None:
    # JSON has no NaN; a statistic that does not exist (no data) is null.
    return None if x is None or not math.isfinite(x) else float(x)


def summarise(
    args: argparse.Namespace, data: CalibrationData, fits: list[LabelFit], before: dict
) -> dict:
    """``{"temperatures", "thresholds", "calibration"}``: what is stored with the judge."""
    temperatures = {f.label: f.t_after for f in fits}
    thresholds = {f.label: f.threshold.value for f in fits if f.threshold is not None}
    nll_before, ece_before = pooled(data.samples, before)
    nll_after, ece_after = pooled(data.samples, temperatures)
    target = None
    if args.target_precision is not None:
        target = {"precision": args.target_precision}
    elif args.target_recall is not None:
        target = {"recall": args.target_recall}
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
    manifests = [str(Path(m).absolute()) for m in args.manifest]
    calibration = {
        # "manifest": the one manifest fitted on (None with several); "manifests": all of them.
        "manifest": manifests[0] if len(manifests) == 1 else None,
        "manifests": manifests,
        "split": args.split,
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


def save_calibration(judge: str, out: str | None, result: dict, *, overwrite: bool) -> Path:
    """Store the fit with the judge: in place (``out`` None) or as a new exported folder.

    A new folder is written by ``export_judge`` in one atomic step, with the temperatures,
    thresholds and the ``calibration`` record.
    """
    if out is None:
        update_judge_json(Path(judge) / JUDGE_JSON, result)
        return Path(judge)
    from judge.inference.export import export_judge

    export_judge(
        judge,
        out,
        overwrite=overwrite,
        temperatures=result["temperatures"],
        thresholds=result["thresholds"],
        extra={"calibration": result["calibration"]},
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


def print_table(fits: list[LabelFit], cal: dict, data: CalibrationData) -> None:
    """Per label and pooled ("all"): temperatures, NLL and ECE before/after, thresholds."""
    head = ("label", "n", "pos", "T before", "T after", "NLL before", "NLL after")
    head += ("ECE before", "ECE after", "threshold", "precision", "recall", "note")
    pooled_row = ("all", str(data.pairs), "", "", "", _f(cal["nll_before"]))
    pooled_row += (_f(cal["nll_after"]), _f(cal["ece_before"]), _f(cal["ece_after"]))
    lines = [head, *(_table_row(f) for f in fits), pooled_row + ("",) * 4]
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    print(f"{PROG}: {data.clips} clips, {data.pairs} labelled (clip, label) pairs")
    for row in lines:
        # Label names left-aligned, numbers right-aligned.
        right = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in right]
        print("  " + "  ".join(cells).rstrip())
    if data.errors or data.unmatched:
        print(
            f"  skipped: {len(data.errors)} failed to score, "
            f"{len(data.unmatched)} not among the manifest rows used"
        )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = argument_problem(args)
    if problem:
        parser.error(problem)
    return run_reporting_errors(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
