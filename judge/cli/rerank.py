"""`judge-rerank`: rank candidate videos within groups (best-of-N), link winners, export pairs.

judge-rerank --judge PATH --group-by folder --out ranked.jsonl FOLDER...
judge-rerank --scores scores.jsonl --group-by pattern --pattern '{prompt}_{seed}.mp4' --out r.jsonl
judge-rerank --scores scores.jsonl --ood skip --out r.jsonl    # leave out-of-domain clips out
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from judge.cli.common import score_with_judge, scoring_parent
from judge.cli.errors import UsageError, run_reporting_errors
from judge.inference.record import read_scores, write_scores
from judge.io.jsonl import read_jsonl, write_jsonl
from judge.io.manifest import resolve_path
from judge.io.pathkey import path_key
from judge.rerank.grouping import column_groups, folder_groups, pattern_groups
from judge.rerank.link_best import link_best
from judge.rerank.pairs import PAIR_MODES, preference_pairs
from judge.rerank.rerank import OOD_MODES, Ranking, parse_weights, rerank

PROG = "judge-rerank"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        parents=[scoring_parent("scoring (with --judge)")],
        description="Rank candidate videos within groups by the judge's scores (best-of-N).",
        epilog="Output rows: group, path, rank (1 = best), score, margin (to the next candidate; "
        "null for the last), plausibility, worst_label/worst_score/worst_onset (seconds), "
        "status, error. Failed videos come last in their group with rank null; with --ood flag or "
        "skip, rows carry out_of_domain, and skipped candidates are listed before failed ones "
        "with status 'skipped'.",
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
    g.add_argument(
        "--group-by",
        choices=("folder", "pattern", "column"),
        default="folder",
        help="folder (default): the parent folder, named from the candidates' common ancestor "
        "(cands/p1, cands/p2); pattern: fields of the file name; column: a manifest field",
    )
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
    r.add_argument(
        "--top-k", type=int, help="keep the K best per group (failed videos are always listed)"
    )
    r.add_argument(
        "--min-plausibility",
        type=float,
        metavar="P",
        help="drop candidates with plausibility below P (a group may end with no winner); "
        "a pair's chosen video must reach P too",
    )
    r.add_argument(
        "--ood",
        choices=OOD_MODES,
        default="keep",
        help="out-of-domain candidates (records with out_of_domain true; records without the "
        "field count as in domain): keep (default) ranks them as any other; flag ranks them "
        "and marks rows with out_of_domain; skip leaves them out of the ranking, winners and "
        "pairs, listed with status 'skipped'",
    )
    o = p.add_argument_group("outputs")
    o.add_argument("--link-best", metavar="DIR", help="symlink each winner as DIR/<group>__<file>")
    o.add_argument("--copy", action="store_true", help="copy winners instead of symlinking")
    o.add_argument(
        "--pairs",
        metavar="JSONL",
        help="export preference pairs (DPO-style): group, chosen, rejected, chosen_score, "
        "rejected_score, margin; from every scored candidate, whatever --top-k",
    )
    o.add_argument(
        "--pair-margin", type=float, default=0.1, help="min rank-score gap of a pair (0.1)"
    )
    o.add_argument("--pairs-mode", choices=PAIR_MODES, default="best-vs-rest")
    o.add_argument("--save-scores", metavar="JSONL", help="also save the raw score records")
    return p


def _row_problem(row) -> str | None:
    ok = isinstance(row, dict) and isinstance(row.get("path"), str)
    return None if ok else "manifest row has no 'path' string"


def manifest_rows(manifests: Sequence[str]) -> dict[str, dict]:
    """Rows of the manifests by the ``path_key`` of their video (for --group-by column); a
    later row for the same video wins. Rows need only a ``path`` (and the column)."""
    rows = {}
    for manifest in manifests:
        for row in read_jsonl(manifest, check=_row_problem):
            rows[path_key(resolve_path(manifest, row["path"]))] = row
    return rows


UNGROUPED = "(ungrouped)"
KeysOf = Callable[..., list[str]]


def _group_fn(args: argparse.Namespace) -> KeysOf:
    """``keys_of(paths, fallback=None)`` for the chosen grouping; checks its options first."""
    if args.group_by == "folder":
        return lambda paths, fallback=None: folder_groups(paths)
    if args.group_by == "pattern":
        return lambda paths, fallback=None: pattern_groups(
            paths, args.pattern, args.vary, fallback=fallback
        )
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
    from judge.inference.inputs import iter_entries

    keys_of([e.path for e in iter_entries(args.inputs) if e.error is None])


def argument_problem(args: argparse.Namespace) -> str | None:
    """Why these flags do not go together (an argparse usage error, exit 2), or None."""
    if args.judge and not args.inputs:
        return "nothing to score: give videos, folders, globs or manifests"
    if args.scores and args.inputs:
        return "--scores reranks scored records; pass manifests with --manifest"
    if args.copy and not args.link_best:
        return "--copy goes with --link-best DIR"
    if args.top_k is not None and args.top_k < 1:
        return f"--top-k must be >= 1, got {args.top_k}"
    if args.pair_margin < 0:
        return f"--pair-margin must be >= 0, got {args.pair_margin}"
    if args.group_by == "pattern" and not args.pattern:
        return "--group-by pattern needs --pattern, e.g. '{prompt}_{seed}.mp4'"
    if args.group_by == "column" and not args.column:
        return "--group-by column needs --column NAME"
    return None


def run(args: argparse.Namespace) -> int:
    weights = parse_weights(args.weights) if args.weights else None
    keys_of = _group_fn(args)
    if args.scores:
        records = [rec for path in args.scores for rec in read_scores(path)]
    else:
        if args.group_by != "folder":
            _precheck(args, keys_of)
        records = score_with_judge(args, args.inputs)
        if args.save_scores:
            write_scores(args.save_scores, records)
    ranking = rerank(
        records,
        group_records(records, keys_of, by_folder=args.group_by == "folder"),
        weights=weights,
        top_k=args.top_k,
        min_plausibility=args.min_plausibility,
        ood=args.ood,
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
    if args.ood == "flag":
        items.append(("out of domain (flagged)", ranking.out_of_domain))
    elif args.ood == "skip":
        items.append(("out of domain (skipped)", ranking.skipped))
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
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = argument_problem(args)
    if problem:
        parser.error(problem)
    return run_reporting_errors(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
