"""`make demo`: the whole mission end to end on a CPU, in about 16 minutes on 2 cores.

    python -m judge.cli.demo                  # outputs under outputs/demo; rerun to resume
    python -m judge.cli.demo --fresh          # train and evaluate again (rendered sets are kept)
    python -m judge.cli.demo --real-footage ../shared/real-footage   # mix in and test on real video

1. renders the synthetic training set of `cpu_tiny` (800 scenes here, to fit the time) and a
   test set of other scenes (another seed);
2. trains `judge-train experiment=cpu_tiny` on it;
   with `--real-footage DIR`, the folder is split by video, its train-split videos spliced
   (`judge-splice`) and mixed in (`real_footage=DIR`);
3. evaluates the judge training exported (the best checkpoint calibrated on validation, so
   `flagged` and the false-positive rates are at its stored thresholds) with `judge-eval` on
   the test set: metrics beside the frame-difference baseline, plots, contact sheets and
   `report.html`; with real footage the test set also holds the held-out videos whole and
   artifacts spliced into them, and the summary prints the real-footage false-positive rate
   beside the synthetic figures;
4. builds a pool of candidate groups, one folder per "prompt" holding its N candidates (a test
   scene's clean clip and its artifact twins, under neutral shuffled names), reranks it with
   `judge-rerank --group-by folder` and prints how often the judge's pick is artifact-free
   against a random pick.
Each step is skipped when its output is already there, so a stopped demo resumes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

from judge.evaluation.reranking import clean_shares
from judge.evaluation.scoring import BASELINE, JUDGE
from judge.io.atomic import atomic_write_text
from judge.io.jsonl import read_jsonl, write_jsonl
from judge.io.manifest import read_manifest, resolve_path
from judge.io.pathkey import path_key
from judge.report.tables import fmt
from judge.workflow import (
    BIN,
    StepFailed,
    merged_test_set,
    preset_synth,
    real_test_sets,
    render,
    run_logged,
    served_judge,
    test_set_dir,
    train_config,
)

PRESET = "cpu_tiny"
# The test-set figures printed at the end: (title, metrics.json key).
SUMMARY_ROWS = (
    ("macro AUROC", "auroc"),
    ("any-artifact AUROC", "plausible/auroc"),
    ("onset within 1 frame", "onset_acc"),
)
# Per source family (metrics.json "sources"), printed when the test set has real footage.
SOURCE_ROWS = (
    ("synthetic: macro AUROC", "synthetic", "auroc"),
    ("synthetic: clean clips flagged", "synthetic", "fpr"),
    ("spliced real: AUROC", "spliced", "plausible/auroc"),
    ("spliced real: pair accuracy", "spliced", "pair_acc"),
    ("real footage: flagged (FPR)", "real", "fpr"),
)

# Progress worth echoing from the tools: our own loggers (epochs, scoring, rendering).
PROGRESS = re.compile(r"\]\[judge[.\w]*\]\[|^scenes \d|epoch \d+/")


class Clock:
    """Prints ``[demo mm:ss] message`` lines, timed from the demo's start."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        s = int(time.perf_counter() - self.start)
        print(f"[demo {s // 60:02d}:{s % 60:02d}] {message}", flush=True)


def build_pool(manifest: Path, pool: Path, seed: int = 0) -> list[dict]:
    """One folder per group of ``manifest`` with at least two clips, holding them as
    ``candidate_<k>.mp4`` in shuffled order (hard links, copies where links fail).

    Returns:
        one truth row per candidate: ``{"prompt", "path", "source", "plausible", "variant"}``,
        also written to ``pool/truth.jsonl``.
    """
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in read_manifest(manifest):
        if row.get("group") is not None:
            groups[row["group"]].append(row)
    rng = random.Random(seed)
    if pool.exists():
        shutil.rmtree(pool)
    truth = []
    for n, key in enumerate(sorted(groups)):
        rows = groups[key]
        if len(rows) < 2:
            continue
        rng.shuffle(rows)
        folder = pool / f"prompt_{n:04d}"
        folder.mkdir(parents=True)
        for k, row in enumerate(rows):
            src = resolve_path(manifest, row["path"])
            dst = folder / f"candidate_{k}{src.suffix}"
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
            truth.append(
                {
                    "prompt": folder.name,
                    "path": str(dst),
                    "source": str(src),
                    "plausible": (row.get("labels") or {}).get("plausible"),
                    "variant": row.get("variant"),
                }
            )
    write_jsonl(pool / "truth.jsonl", truth)
    return truth


def best_of_n(truth: list[dict], ranked: list[dict]) -> dict:
    """Best-of-N of ``judge-rerank``'s rows against the pool's truth (``clean_shares``: the
    share of prompts whose top candidate is clean, a random pick's, the best possible)."""
    clean = {path_key(t["path"]): t["plausible"] == 1 for t in truth}
    prompts: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for row in ranked:
        if row.get("rank") is not None:
            prompts[row["group"]].append((row["score"], clean[path_key(row["path"])]))
    return clean_shares(list(prompts.values())) | {"pool_candidates": len(truth)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path("outputs/demo"))
    ap.add_argument("--scenes", type=int, default=800, help="training scenes (cpu_tiny: 2400)")
    ap.add_argument(
        "--epochs",
        type=int,
        default=24,
        help="training epochs (cpu_tiny: 12 over its 2,400 scenes; 24 over 800 take about as "
        "many training steps as 8 over 2,400)",
    )
    ap.add_argument("--test-scenes", type=int, default=100)
    ap.add_argument("--test-seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--override", action="append", default=[], help="judge-train override")
    ap.add_argument("--real-footage", type=Path, default=None, help="a folder of real videos")
    ap.add_argument("--fresh", action="store_true", help="train and evaluate again")
    args = ap.parse_args(argv)
    say = Clock()
    try:
        summary = run_demo(args, say)
    except (StepFailed, FileNotFoundError, ValueError) as e:
        say(f"failed: {e}")
        return 1
    say(f"done in {summary['minutes']:.1f} min; summary in {args.root / 'demo.json'}")
    return 0


def run_demo(args: argparse.Namespace, say: Clock) -> dict:
    logging.basicConfig(level=logging.INFO, format="    %(message)s", force=True)
    root, times = args.root, {}
    overrides = [
        f"synth_if_missing.num_scenes={args.scenes}",
        f"trainer.max_epochs={args.epochs}",
        *args.override,
    ]
    if args.real_footage:
        overrides = [f"real_footage={args.real_footage.resolve()}", *overrides]
    spec = preset_synth(PRESET, overrides)
    test_out = test_set_dir(spec["out"], args.test_seed)
    synth_test = test_out / "manifest.jsonl"

    say(f"1/4 rendering {spec['num_scenes']} training scenes into {spec['out']}")
    times["render_train_s"] = render(
        spec["out"], spec["num_scenes"], spec["seed"], spec["synth"], args.workers
    )
    say(f"    rendering {args.test_scenes} test scenes (seed {args.test_seed}) into {test_out}")
    times["render_test_s"] = render(
        test_out, args.test_scenes, args.test_seed, spec["synth"], args.workers
    )
    test_manifest = synth_test
    if args.real_footage:
        say(f"    splitting {args.real_footage} by video; splicing artifacts into its videos")
        start = time.perf_counter()
        real = real_test_sets(train_config(PRESET, overrides), workers=args.workers)
        times["real_s"] = time.perf_counter() - start
        test_manifest = merged_test_set([synth_test, *real], root / "test_manifest.jsonl")

    train_dir = root / "train"
    done = train_dir / "checkpoints" / "last.ckpt"
    if args.fresh or not (train_dir / "train_done").exists() or not done.exists():
        say(f"2/4 training {PRESET} (progress: one line per epoch)")
        if train_dir.exists():
            shutil.rmtree(train_dir)
        cmd = [str(BIN / "judge-train"), f"experiment={PRESET}", "logger=csv",
               "task_name=demo", f"hydra.run.dir={train_dir}", *overrides]  # fmt: skip
        times["train_s"] = run_logged(cmd, root / "logs" / "train.log", show=PROGRESS.search)
        (train_dir / "train_done").touch()
    else:
        say(f"2/4 training: already done in {train_dir}")
    judge = served_judge(train_dir)  # calibrated on validation by judge-train

    eval_dir = root / "eval"
    if args.fresh or not (eval_dir / "report.html").exists():
        say(f"3/4 evaluating {judge} on {test_manifest}")
        cmd = [str(BIN / "judge-eval"), f"ckpt_path={judge}", f"data.manifest={test_manifest}",
               f"hydra.run.dir={eval_dir}"]  # fmt: skip
        times["eval_s"] = run_logged(cmd, root / "logs" / "eval.log", show=PROGRESS.search)
    else:
        say(f"3/4 evaluation: already done in {eval_dir}")
    written = json.loads((eval_dir / "metrics.json").read_text())
    metrics, sources = written["columns"], (written.get("sources") or {}).get(JUDGE) or {}

    say("4/4 building the candidate pool and reranking it")
    truth = build_pool(synth_test, root / "pool")
    ranked_path = root / "ranked.jsonl"
    cmd = [str(BIN / "judge-rerank"), "--judge", str(judge), "--group-by", "folder",
           "--out", str(ranked_path), str(root / "pool")]  # fmt: skip
    times["rerank_s"] = run_logged(cmd, root / "logs" / "rerank.log")
    ranked = read_jsonl(ranked_path)
    result = best_of_n(truth, ranked)

    summary = {
        "minutes": (time.perf_counter() - say.start) / 60,
        "times_s": times,
        "judge": str(judge),
        "report": str(eval_dir / "report.html"),
        "test_metrics": metrics,
        "test_sources": sources if args.real_footage else {},
        "best_of_n": result,
    }
    atomic_write_text(root / "demo.json", json.dumps(summary, indent=2) + "\n")
    print_summary(summary)
    return summary


def print_summary(summary: dict) -> None:
    judge, base = (summary["test_metrics"].get(k, {}) for k in (JUDGE, BASELINE))
    r = summary["best_of_n"]
    lines = ["", f"{'test set':<29}{JUDGE}   {BASELINE}"]
    for title, key in SUMMARY_ROWS:  # fmt: "-" for a figure metrics.json holds as null
        lines.append(f"{title:<29}{fmt(judge.get(key))}   {fmt(base.get(key))}")
    sources = summary.get("test_sources") or {}
    if sources:
        lines += ["", "by source (judge, held-out videos for real footage)"]
        for title, family, key in SOURCE_ROWS:
            figures = sources.get(family) or {}
            n = figures.get("clips")
            count = f"   ({n:.0f} clips)" if n else ""
            lines.append(f"  {title:<31}{fmt(figures.get(key))}{count}")
    lines += [
        "",
        f"best-of-N reranking: {r['groups']:.0f} prompts, {r['pool_candidates']} candidates "
        f"(N = {r['candidates']:.1f} on average)",
        f"  the judge's pick is clean   {r['best_of_n_clean']:.3f}",
        f"  a random pick is clean      {r['random_clean']:.3f}",
        f"  best possible               {r['oracle_clean']:.3f}",
        "",
        f"report: {summary['report']}",
        "steps (s): " + ", ".join(f"{k[:-2]} {v:.0f}" for k, v in summary["times_s"].items() if v),
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
