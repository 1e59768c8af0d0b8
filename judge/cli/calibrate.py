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
import sys
from pathlib import Path

from judge.calibration.fit_judge import fit_records, format_table, labelled_rows, save_calibration
from judge.cli.common import load_judge, score_with_judge, scoring_parent
from judge.cli.errors import run_reporting_errors
from judge.inference.judge_json import JUDGE_JSON, read_judge_json
from judge.inference.record import read_scores, write_scores
from judge.io.atomic import atomic_write_text
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


def run(args: argparse.Namespace) -> int:
    if args.scores:
        desc = _judge_description(args.judge) if args.judge else {}
        records = [rec for path in args.scores for rec in read_scores(path)]
        labels = list(desc.get("labels") or _labels_from_records(records))
        rows, _ = labelled_rows(args.manifest, args.split, labels)
    else:
        judge = load_judge(args)
        desc = {"labels": judge.labels, "temperatures": judge.temperatures}
        labels = list(judge.labels)
        rows, videos = labelled_rows(args.manifest, args.split, labels)
        # A split, or several manifests, are scored as their rows' videos (each clip once);
        # one whole manifest is passed as it is.
        whole = not args.split and len(args.manifest) == 1
        records = score_with_judge(args, args.manifest if whole else videos, judge)
        if args.save_scores:
            write_scores(args.save_scores, records)
    fit = fit_records(
        records,
        rows,
        labels,
        desc.get("temperatures") or {},
        precision=args.target_precision,
        recall=args.target_recall,
        manifests=args.manifest,
        split=args.split,
    )
    first, *rest = format_table(fit)
    print(f"{PROG}: {first}")
    print("\n".join(rest))
    if args.out or args.in_place:
        where = save_calibration(
            args.judge, args.out, fit.result, overwrite=args.overwrite, fit=args.fit
        )
        print(f"{PROG}: calibrated judge written to {where}")
    if args.report:
        text = json.dumps(fit.result, indent=2, sort_keys=True, allow_nan=False) + "\n"
        atomic_write_text(args.report, text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = argument_problem(args)
    if problem:
        parser.error(problem)
    return run_reporting_errors(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
