"""`judge-rerank`: rank candidate videos within groups (best-of-N), link winners, export pairs.

judge-rerank --judge PATH --group-by folder --out ranked.jsonl FOLDER...
judge-rerank --scores scores.jsonl --group-by pattern --pattern '{prompt}_{seed}.mp4' --out r.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from judge.io.atomic import atomic_write_text
from judge.io.manifest import resolve_path
from judge.scoring.grouping import (
    column_groups,
    folder_groups,
    normalise_path,
    pattern_groups,
)
from judge.scoring.link_best import link_best
from judge.scoring.pairs import PAIR_MODES, preference_pairs
from judge.scoring.rerank import Ranking, parse_weights, rerank

PROG = "judge-rerank"


class UsageError(Exception):
    """An expected problem with the command's input; printed as one line, no traceback."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Rank candidate videos within groups by the judge's scores (best-of-N).",
        epilog="Output rows: group, path, rank (1 = best), score, margin (to the next candidate; "
        "null for the last), plausibility, worst_label/worst_score/worst_onset (seconds), "
        "status, error. Failed videos come last in their group with rank null.",
    )
    p.add_argument("inputs", nargs="*", help="videos, folders, globs or manifests (.jsonl)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--judge", help="a Lightning .ckpt or an exported judge folder")
    src.add_argument(
        "--scores",
        action="append",
        metavar="JSONL",
        help="rerank records written by judge-score instead of scoring (repeatable; no model)",
    )
    p.add_argument("--out", required=True, help="ranked rows, JSONL (written atomically)")
    g = p.add_argument_group("grouping")
    g.add_argument("--group-by", choices=("folder", "pattern", "column"), default="folder")
    g.add_argument(
        "--pattern",
        help="file name pattern for --group-by pattern, e.g. '{prompt}_{seed}.mp4' or "
        "'{prompt}/{seed:d}.mp4' ({name:d} = digits only); the group is every field but --vary",
    )
    g.add_argument("--vary", default="seed", help="the pattern field that varies within a group")
    g.add_argument("--column", help="manifest field for --group-by column, e.g. 'prompt'")
    g.add_argument(
        "--manifest",
        action="append",
        default=[],
        help="manifest(s) holding --column, with --scores (repeatable; .jsonl inputs count too)",
    )
    r = p.add_argument_group("ranking")
    r.add_argument(
        "--weights",
        help="rank by a weighted mix of artifact scores, e.g. 'teleport=2,vanish=1': rank score "
        "= 1 - weighted mean of those labels' scores (default: rank by plausibility)",
    )
    r.add_argument("--top-k", type=int, help="keep the K best candidates per group")
    r.add_argument("--min-plausibility", type=float, help="drop candidates below this")
    o = p.add_argument_group("outputs")
    o.add_argument("--link-best", metavar="DIR", help="symlink each winner as DIR/<group>__<file>")
    o.add_argument("--copy", action="store_true", help="copy winners instead of symlinking")
    o.add_argument("--pairs", metavar="JSONL", help="export preference pairs (DPO-style)")
    o.add_argument("--pair-margin", type=float, default=0.1, help="min score gap of a pair")
    o.add_argument("--pairs-mode", choices=PAIR_MODES, default="best-vs-rest")
    o.add_argument("--save-scores", metavar="JSONL", help="also save the raw score records")
    s = p.add_argument_group("scoring (with --judge)")
    s.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    s.add_argument("--batch-size", type=int, default=16, help="windows per model call")
    s.add_argument("--num-workers", type=int, default=2, help="decoding processes")
    s.add_argument("--stride", type=int, help="sliding-window stride in frames")
    s.add_argument("--timeout", type=float, default=60.0, help="seconds before a decode is dropped")
    return p


def read_records(path: str | Path) -> list[dict]:
    """Score records from a JSONL file; raises UsageError naming every bad line."""
    records, bad = [], []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                bad.append(f"line {line_no}: invalid JSON ({e.msg})")
                continue
            if not isinstance(rec, dict) or not isinstance(rec.get("path"), str):
                bad.append(f"line {line_no}: not a score record (no 'path')")
                continue
            records.append(rec)
    if bad:
        raise UsageError(f"{path}: " + "; ".join(bad[:10]) + (" ..." if len(bad) > 10 else ""))
    return records


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> None:
    text = "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in rows)
    atomic_write_text(path, text)


def manifest_rows(manifests: Sequence[str]) -> dict[str, dict]:
    """Rows of the manifests by the normalised path of their video (for --group-by column)."""
    rows = {}
    for manifest in manifests:
        for rec in read_records(manifest):
            rows[normalise_path(str(resolve_path(manifest, rec["path"])))] = rec
    return rows


def _score(args: argparse.Namespace) -> list[dict]:
    from judge.scoring.judge import Judge  # torch loads only when a model is needed

    judge = Judge.load(args.judge, device=args.device)
    records = []
    for rec in judge.score(
        args.inputs,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        stride=args.stride,
        timeout=args.timeout,
    ):
        records.append(rec)
        if sys.stderr.isatty():
            print(f"\rscored {len(records)}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return records


UNGROUPED = "(ungrouped)"
KeysOf = Callable[..., list[str]]


def _group_fn(args: argparse.Namespace) -> KeysOf:
    """``keys_of(paths, fallback=None)`` for the chosen grouping; checks its options first."""
    if args.group_by == "folder":
        return lambda paths, fallback=None: folder_groups(paths)
    if args.group_by == "pattern":
        if not args.pattern:
            raise UsageError("--group-by pattern needs --pattern, e.g. '{prompt}_{seed}.mp4'")
        return lambda paths, fallback=None: pattern_groups(
            paths, args.pattern, args.vary, fallback=fallback
        )
    if not args.column:
        raise UsageError("--group-by column needs --column NAME")
    manifests = [*args.manifest, *(i for i in args.inputs if str(i).endswith(".jsonl"))]
    if not manifests:
        raise UsageError("--group-by column needs manifest inputs (or --manifest with --scores)")
    rows = manifest_rows(manifests)
    return lambda paths, fallback=None: column_groups(paths, rows, args.column, fallback=fallback)


def group_records(records: Sequence[dict], keys_of: KeysOf, *, by_folder: bool) -> list[str]:
    """Group keys: strict for scored records, lenient for failed ones.

    A record that failed to score may carry a manifest line or a glob as its path; it still
    belongs in the output (with its error) rather than aborting the whole rerank. Folder keys
    depend on all paths together (their common ancestor), so they are computed in one call.
    """
    if by_folder:
        return keys_of([r["path"] for r in records])
    ok = [i for i, r in enumerate(records) if r.get("status") == "ok"]
    failed = [i for i, r in enumerate(records) if r.get("status") != "ok"]
    keys = [UNGROUPED] * len(records)
    for idx, key in zip(ok, keys_of([records[i]["path"] for i in ok]), strict=True):
        keys[idx] = key
    lenient = keys_of([records[i]["path"] for i in failed], fallback=UNGROUPED)
    for idx, key in zip(failed, lenient, strict=True):
        keys[idx] = key
    return keys


def _precheck(args: argparse.Namespace, keys_of: KeysOf) -> None:
    """Fail on unmatched file names before scoring, not after an hour of it."""
    from judge.scoring.inputs import iter_entries

    keys_of([e.path for e in iter_entries(args.inputs) if e.error is None])


def _check_args(args: argparse.Namespace) -> None:
    if args.judge and not args.inputs:
        raise UsageError("nothing to score: give videos, folders or manifests")
    if args.scores and args.inputs:
        raise UsageError("--scores reranks scored records; pass manifests with --manifest")
    if args.copy and not args.link_best:
        raise UsageError("--copy goes with --link-best DIR")
    if args.top_k is not None and args.top_k < 1:
        raise UsageError(f"--top-k must be >= 1, got {args.top_k}")


def run(args: argparse.Namespace) -> int:
    _check_args(args)
    weights = parse_weights(args.weights) if args.weights else None
    keys_of = _group_fn(args)
    if args.scores:
        records = [rec for path in args.scores for rec in read_records(path)]
    else:
        if args.group_by != "folder":
            _precheck(args, keys_of)
        records = _score(args)
        if args.save_scores:
            write_jsonl(args.save_scores, records)
    ranking = rerank(
        records,
        group_records(records, keys_of, by_folder=args.group_by == "folder"),
        weights=weights,
        top_k=args.top_k,
        min_plausibility=args.min_plausibility,
    )
    write_jsonl(args.out, ranking.rows)
    pairs = None
    if args.pairs:
        pairs = preference_pairs(
            ranking.ranked,
            min_margin=args.pair_margin,
            mode=args.pairs_mode,
            min_chosen=args.min_plausibility,
        )
        write_jsonl(args.pairs, pairs)
    linked = None
    if args.link_best:
        winners = {g: c.path for g, c in ranking.winners.items()}
        written, problems = link_best(winners, args.link_best, copy=args.copy)
        linked = len(written)
        for problem in problems:
            print(f"{PROG}: warning: {problem}", file=sys.stderr)
    _print_summary(args, ranking, pairs, linked)
    return 0


def _print_summary(
    args: argparse.Namespace, ranking: Ranking, pairs: list | None, linked: int | None
) -> None:
    # Plain aligned text rather than a drawn table: it lands in job logs and gets grepped.
    items = [
        ("groups", ranking.groups),
        ("groups without a winner", ranking.groups - len(ranking.winners)),
        ("candidates", ranking.candidates),
        ("errors", ranking.errors),
    ]
    if args.min_plausibility is not None:
        items.append((f"below plausibility {args.min_plausibility:g}", ranking.dropped))
    items.append(("rows written", len(ranking.rows)))
    if pairs is not None:
        items.append((f"pairs ({args.pairs_mode}, margin >= {args.pair_margin:g})", len(pairs)))
    if linked is not None:
        items.append(("winners " + ("copied" if args.copy else "linked"), linked))
    width = max(len(k) for k, _ in items)
    print(f"{PROG}: {args.out}")
    for key, value in items:
        print(f"  {key:<{width}}  {value:>8}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (UsageError, ValueError) as e:
        # ValueError covers GroupingError, bad patterns and weights, records without scores.
        print(f"{PROG}: error: {e}", file=sys.stderr)
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"{PROG}: error: {where}{e.strerror or e}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
