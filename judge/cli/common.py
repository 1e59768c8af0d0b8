"""What the argparse command lines share: the scoring flags as a parent parser
(`judge-score`, `judge-rerank`, `judge-calibrate`), loading the judge and scoring with them.
Errors are reported by `judge.cli.errors`. Score files are read by
`judge.inference.record.read_scores`, JSONL written by `judge.io.jsonl.write_jsonl`."""

from __future__ import annotations

import argparse
import sys

from judge.data.input_spec import FITS
from judge.inference.cuts import CUT_MODES


def scoring_parent(title: str = "scoring") -> argparse.ArgumentParser:
    """A parent parser (``parents=[scoring_parent()]``) with the flags that say how videos are
    scored, in one argument group named ``title``."""
    parent = argparse.ArgumentParser(add_help=False)
    s = parent.add_argument_group(title)
    s.add_argument("--device", help="cpu, cuda, cuda:1 (default: cuda if available)")
    s.add_argument("--batch-size", type=int, default=16, help="windows per model call")
    s.add_argument("--workers", type=int, default=2, help="decoding processes (0: in-process)")
    s.add_argument("--stride", type=int, help="model frames between windows (default T // 2)")
    s.add_argument("--timeout", type=float, default=60.0, help="seconds per decode call")
    s.add_argument(
        "--fit",
        choices=FITS,
        help="non-square frames: crop (centre square), tiles (squares over the whole frame) or "
        "pad (default: the judge's own, stored with it)",
    )
    s.add_argument(
        "--cuts",
        choices=CUT_MODES,
        default="split",
        help="hard scene cuts: split (default) scores each shot on its own; artifact flags a "
        "video with a cut (plausibility 0); both list shots and cuts in the record",
    )
    return parent


def load_judge(args: argparse.Namespace):
    """The ``Judge`` of ``--judge`` on ``--device``; torch is imported only here."""
    from judge.inference.judge import Judge

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
        fit=getattr(args, "fit", None),
        cuts=getattr(args, "cuts", "split"),
    ):
        records.append(rec)
        if sys.stderr.isatty():
            print(f"\rscored {len(records)}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return records
