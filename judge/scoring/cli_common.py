"""What `judge-rerank` and `judge-calibrate` share: score-file reading, JSONL writing, the
scoring flags (named as in `judge-score`)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from judge.cli_errors import UsageError
from judge.io.atomic import atomic_write_text
from judge.labels import PLAUSIBLE
from judge.scoring.cuts import CUT_MODES

_MAX_LISTED = 10


def read_records(path: str | Path) -> list[dict]:
    """Score records from a `judge-score` file, JSONL or CSV (by extension).

    A torn last line (the file of a killed `judge-score` run, before `--resume` cut it) is
    skipped with a warning; any other bad line is an error naming every such line. Records
    repeated for one path keep the last one.
    """
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    records = _read_csv(text) if path.suffix.lower() == ".csv" else _read_jsonl(path, text)
    unique = {r["path"]: r for r in records}
    return list(unique.values())


def _read_jsonl(path: Path, text: str) -> list[dict]:
    records, bad = [], []
    lines = text.split("\n")
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            if line_no == len(lines):  # no newline after it: a write cut short
                print(f"warning: {path}:{line_no}: torn last line skipped", file=sys.stderr)
                continue
            bad.append(f"line {line_no}: invalid JSON ({e.msg})")
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("path"), str):
            bad.append(f"line {line_no}: not a score record (no 'path')")
            continue
        records.append(rec)
    if bad:
        more = f" ... and {len(bad) - _MAX_LISTED} more" if len(bad) > _MAX_LISTED else ""
        raise UsageError(f"{path}: " + "; ".join(bad[:_MAX_LISTED]) + more)
    return records


def _number(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def _flag(text: str | None) -> bool | None:
    """A boolean cell of `judge-score --format csv` ("true"/"false"; empty: null)."""
    text = (text or "").strip().lower()
    return None if not text else text in ("true", "1", "yes")


def _read_csv(text: str) -> list[dict]:
    """Rebuild records from `judge-score --format csv` (score_/onset_/logit_<label> columns)."""
    records = []
    for row in csv.DictReader(text.splitlines()):
        if not row.get("path"):
            continue
        rec = {
            "path": row["path"],
            "status": row.get("status") or "error",
            "error": row.get("error") or None,
            "plausibility": _number(row.get("plausibility", "")),
            "scores": {},
            "onsets": {},
            "logits": {},
            "flagged": _flag(row.get("flagged")),
            "ood_distance": _number(row.get("ood_distance", "")),
            "out_of_domain": _flag(row.get("out_of_domain")),
        }
        for column, value in row.items():
            prefix, _, label = (column or "").partition("_")
            if prefix in ("score", "onset", "logit") and label:
                rec[{"score": "scores", "onset": "onsets", "logit": "logits"}[prefix]][label] = (
                    _number(value)
                )
        if rec["status"] == "ok":
            rec["scores"][PLAUSIBLE] = rec["plausibility"]
        records.append(rec)
    return records


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> None:
    """All rows at once, atomically: a reader never sees half a ranking."""
    text = "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in rows)
    atomic_write_text(path, text)


def add_scoring_args(parser: argparse.ArgumentParser, title: str) -> None:
    s = parser.add_argument_group(title)
    s.add_argument("--device", help="cpu, cuda, cuda:1 (default: cuda if available)")
    s.add_argument("--batch-size", type=int, default=16, help="windows per model call")
    s.add_argument("--workers", type=int, default=2, help="decoding processes (0: in-process)")
    s.add_argument("--stride", type=int, help="model frames between windows (default T // 2)")
    s.add_argument("--timeout", type=float, default=60.0, help="seconds per decode call")
    s.add_argument(
        "--cuts",
        choices=CUT_MODES,
        default="split",
        help="hard scene cuts: score each shot apart (split) or flag the video (artifact)",
    )


def load_judge(args: argparse.Namespace):
    """The ``Judge`` of ``--judge`` on ``--device``; torch is imported only here."""
    from judge.scoring.judge import Judge

    return Judge.load(args.judge, device=args.device)


def score_with_judge(args: argparse.Namespace, inputs: list, judge=None) -> list[dict]:
    """Score ``inputs`` with ``judge`` (default: load ``--judge``) and the scoring flags."""
    judge = judge or load_judge(args)
    records = []
    for rec in judge.score(
        inputs,
        batch_size=args.batch_size,
        num_workers=args.workers,
        stride=args.stride,
        timeout=args.timeout,
        cuts=getattr(args, "cuts", "split"),
    ):
        records.append(rec)
        if sys.stderr.isatty():
            print(f"\rscored {len(records)}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return records
