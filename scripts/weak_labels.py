"""Break each label's AUROC down by how its clips were injected, and draw its worst misses.

    judge-score data/generated/test/manifest.jsonl --judge JUDGE --out bench/test_scores.jsonl
    python scripts/weak_labels.py --manifest data/generated/test/manifest.jsonl \
        --scores bench/test_scores.jsonl --out bench/weak_labels --labels clipping morph \
        --source synthetic/mujoco          # only the rows rendered by judge-synth

Writes `<out>/breakdown.json` (per label: AUROC against clean clips and the share flagged, by
injection fact, and AUROC against each other variant, which shows the kinds a label confuses it
with) and `<out>/worst_<label>.png` (the lowest-scored positives, each above its clean twin,
frames around the onset) and prints the tables.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from judge.evaluation.label_breakdown import label_breakdown, label_confusion, worst_misses
from judge.inference.record import read_scores
from judge.io.atomic import atomic_write_text
from judge.io.manifest import read_manifest, resolve_path
from judge.io.pathkey import path_key
from judge.labels import ARTIFACT_LABELS
from judge.synth.contact_sheet import pair_sheet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", type=Path, required=True, help="a labelled synthetic manifest")
    ap.add_argument("--scores", type=Path, required=True, help="judge-score file of its clips")
    ap.add_argument("--out", type=Path, required=True, help="folder for the JSON and sheets")
    ap.add_argument("--labels", nargs="+", default=list(ARTIFACT_LABELS))
    ap.add_argument("--worst", type=int, default=6, help="misses drawn per label")
    ap.add_argument("--source", help="only the rows whose source starts with this, e.g. synthetic")
    args = ap.parse_args()

    rows = read_manifest(args.manifest)
    if args.source:
        rows = [r for r in rows if str(r.get("source", "")).startswith(args.source)]
        if not rows:
            raise SystemExit(f"{args.manifest}: no row's source starts with {args.source!r}")
    by_path = {path_key(rec["path"]): rec for rec in read_scores(args.scores)}
    records = [by_path.get(path_key(resolve_path(args.manifest, r["path"]))) for r in rows]
    if not any(records):
        raise SystemExit(f"{args.scores}: no record matches a clip of {args.manifest}")

    args.out.mkdir(parents=True, exist_ok=True)
    result = {}
    for label in args.labels:
        table = label_breakdown(rows, records, label)
        against = label_confusion(rows, records, label)
        result[label] = {"by_fact": table, "against": against}
        print(f"\n{label}: positives against clean clips, by how they were made")
        for group, v in table.items():
            line = f"n={v['n']:4d}  AUROC {v['auroc']:.3f}  flagged {v['flagged']:.3f}"
            print(f"  {group:18s} {line}")
        print(f"{label}: all positives against each other variant")
        for variant, v in against.items():
            print(f"  vs {variant:15s} n={v['n']:4d}  AUROC {v['auroc']:.3f}")
        worst = worst_misses(rows, records, label, args.worst)
        if worst:
            notes = [f"score {s:.2f}" for _, _, s in worst]
            sheet = pair_sheet(
                args.manifest,
                [(a, c) for a, c, _ in worst],
                args.out / f"worst_{label}.png",
                notes=notes,
            )
            print(f"  worst misses: {sheet}")
    atomic_write_text(args.out / "breakdown.json", json.dumps(result, indent=1))
    print(f"\nwrote {args.out / 'breakdown.json'}")


if __name__ == "__main__":
    main()
