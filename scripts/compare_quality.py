"""Compare recipes measured by `bench_quality.py`, each over one or more training seeds.

    python scripts/compare_quality.py \
        --recipe committed=bench/quality_h600fm.json,bench/quality_m.json \
        --recipe tag_weights=bench/quality_p.json,bench/quality_q.json

A recipe change moves most figures by less than the training seed alone does (README
"Quality": spliced AUROC 0.745 against 0.784 for the same recipe), so a comparison of one run
against one run says little. Each `--recipe NAME=A.json,B.json` names the bench results of one
recipe trained with different seeds, all on the same test set (the script refuses mixed test
sets). For each figure it prints the mean over the seeds and their range, and writes the same
to JSON (`--out`). Figures are those of the served judge (the run's `calibrated` block:
thresholds chosen on validation), as a user gets it; a figure a run could not compute (no clip
of that kind) is left out of its mean, and shown as "-" when no run has it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench_quality import TARGETS, with_worst

from judge.io.atomic import atomic_write_text

# (row title, source family or None for the whole test set, metric key) beyond the targets.
EXTRA = (
    ("flat2d (another renderer) any-artifact AUROC", "flat2d", "plausible/auroc"),
    ("flat2d pair accuracy", "flat2d", "pair_acc"),
    ("real windows through a moving camera, flagged", "real-moving", "fpr"),
    ("synthetic clipping AUROC", "synthetic", "clipping/auroc"),
    ("synthetic morph AUROC", "synthetic", "morph/auroc"),
    ("staged plausible motion flagged, all tags", "hard-negatives", "fpr"),
    ("... fast_throw", "hard-negatives", "fpr/fast_throw"),
    ("... fast_occluder", "hard-negatives", "fpr/fast_occluder"),
    ("... occluder_pass", "hard-negatives", "fpr/occluder_pass"),
    ("... throw_bounce", "hard-negatives", "fpr/throw_bounce"),
    ("expected calibration error (ECE)", None, "ece"),
)
ROWS = tuple((title, source, key) for title, source, key, _, _ in TARGETS) + EXTRA


def served_figures(result: dict, path: Path) -> dict[str, float | None]:
    """`{title: value}` for `ROWS` from one bench JSON's `judge` run, as served."""
    runs = result.get("runs") or {}
    run = runs.get("judge")
    if not run or not run.get("calibrated"):
        raise ValueError(f"{path}: no calibrated 'judge' run (bench_quality.py --runs judge)")
    served = run["calibrated"]
    out = {}
    for title, source, key in ROWS:
        figures = served["test"] if source is None else served["sources"].get(source, {})
        value = with_worst(figures).get(key)
        out[title] = None if value is None or value != value else float(value)
    return out


def summarise(values: list[float | None]) -> dict:
    """`{mean, min, max, n}` over the values that exist (`n` 0 and the rest None if none)."""
    have = [v for v in values if v is not None]
    if not have:
        return {"mean": None, "min": None, "max": None, "n": 0}
    return {"mean": sum(have) / len(have), "min": min(have), "max": max(have), "n": len(have)}


def compare(recipes: dict[str, list[Path]]) -> dict:
    """`{"test_set": ..., "recipes": {name: {"files": [...], "figures": {title: summary}}}}`."""
    test_sets, out = set(), {}
    for name, paths in recipes.items():
        per_seed = []
        for path in paths:
            try:
                result = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as e:
                raise ValueError(f"{path}: not a readable bench result ({e})") from e
            # The same parts merged in another order are the same test set.
            parts = result.get("test_data", {}).get("parts")
            test_sets.add(json.dumps(sorted(parts) if parts else parts))
            per_seed.append(served_figures(result, path))
        out[name] = {
            "files": [str(p) for p in paths],
            "figures": {t: summarise([f[t] for f in per_seed]) for t, _, _ in ROWS},
        }
    if len(test_sets) > 1:
        raise ValueError("the results were measured on different test sets; compare like with like")
    return {"test_set": json.loads(test_sets.pop()) if test_sets else None, "recipes": out}


def table(comparison: dict) -> str:
    """Markdown: one row per figure, one column per recipe, `mean (min-max)` over its seeds."""
    names = list(comparison["recipes"])
    seeds = [len(comparison["recipes"][n]["files"]) for n in names]
    head = [f"{n} ({k} seed{'s' if k > 1 else ''})" for n, k in zip(names, seeds, strict=True)]
    lines = ["| served judge | " + " | ".join(head) + " |", "|---" * (len(names) + 1) + "|"]
    for title, _, _ in ROWS:
        cells = []
        for name in names:
            s = comparison["recipes"][name]["figures"][title]
            if s["mean"] is None:
                cells.append("-")
            elif s["n"] == 1:
                cells.append(f"{s['mean']:.3f}")
            else:
                cells.append(f"{s['mean']:.3f} ({s['min']:.3f}-{s['max']:.3f})")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_recipe(text: str) -> tuple[str, list[Path]]:
    name, sep, files = text.partition("=")
    paths = [Path(f) for f in files.split(",") if f]
    if not sep or not name or not paths:
        raise argparse.ArgumentTypeError(f"expected NAME=A.json[,B.json...], got {text!r}")
    return name, paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--recipe",
        type=parse_recipe,
        action="append",
        required=True,
        help="NAME=A.json[,B.json...]: one recipe's bench results, one per seed",
    )
    ap.add_argument("--out", type=Path, default=Path("bench/compare.json"))
    args = ap.parse_args()
    try:
        comparison = compare(dict(args.recipe))
    except ValueError as e:
        sys.exit(f"compare_quality: {e}")
    atomic_write_text(args.out, json.dumps(comparison, indent=1))
    print(table(comparison))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
