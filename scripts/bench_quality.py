"""Quality benchmark: train a preset, then test it on a synthetic set rendered with another seed.

    python scripts/bench_quality.py                         # cpu_tiny, and r3d_18 as baseline
    python scripts/bench_quality.py --skip-baseline --override data.batch_size=32

1. Renders the preset's training set when missing (`synth_if_missing`) and a test set with the
   same generator settings but another seed (`--test-seed`), timing both: rendering is reported
   apart from training.
2. Runs `judge-train experiment=<preset> logger=csv` as users do, for the judge and for the
   baseline (`model=r3d_18`, from scratch, same data, heads, losses and time budget). The
   preset's epochs are sized for tiny3d; the baseline's are sized to the budget from its
   measured training speed (`budget_epochs`), so its learning-rate schedule also completes
   instead of being cut off by `max_time` in its warm-up.
3. Runs `judge-eval` on the test set with each run's best checkpoint (by val/auroc): whole clips,
   as users score them.
4. Writes per-label AUROC/AP, ECE, onset accuracy, train time, clips/s and the learning curve
   (val AUROC against training time) to JSON, prints a table, and plots the curves.
"""

# ruff: noqa: E402 - the environment must be set before torch is imported
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see judge/__init__.py: spinning waits

import argparse
import csv
import json
import platform
import shutil
import time
from pathlib import Path

from judge.io.atomic import atomic_write_text
from judge.io.manifest import read_manifest
from judge.labels import ARTIFACT_LABELS
from judge.workflow import BIN, best_checkpoint, preset_synth, render, test_set_dir, train_config
from judge.workflow import run_logged as run


def learning_curve(metrics_csv: Path) -> list[dict]:
    """Validation points of a CSVLogger file: epoch, step, time, val AUROC per label."""
    points = []
    with open(metrics_csv) as f:
        for row in csv.DictReader(f):
            if not row.get("val/auroc") or not row.get("time/train_s"):
                continue
            point = {k: float(row[k]) for k in ("time/train_s", "val/auroc", "val/ece") if row[k]}
            point.update(epoch=int(row["epoch"]), step=int(row["step"]))
            if row.get("time/clips_per_s"):
                point["clips_per_s"] = float(row["time/clips_per_s"])
            points.append(point)
    return points


def budget_epochs(preset: str, overrides: list[str], train_clips: int) -> list[str]:
    """Overrides that fit a model's whole schedule into the preset's `max_time`.

    Times a few training steps of the model on random clips of the preset's shape, assumes
    75% of the budget goes to training steps (the rest: validation, loading, start-up), and
    returns `trainer.max_epochs` (and `data.epoch_size` when less than one pass fits, in four
    validated parts) for that many clips.
    """
    import torch
    from hydra.utils import instantiate

    cfg = train_config(preset, overrides)
    model = instantiate(cfg.model.model)
    optimizer = torch.optim.AdamW(model.parameters())
    d = cfg.data
    x = torch.randn(d.batch_size, 3, d.window.num_frames, d.size, d.size)
    for step in range(4):
        if step == 1:
            start = time.perf_counter()
        out = model(x)
        loss = out["labels"].sum() + out["plausible"].sum() + out["frames"].sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    clips_per_s = 3 * d.batch_size / (time.perf_counter() - start)
    h, m, sec = (int(v) for v in str(cfg.trainer.max_time).split(":")[-3:])
    clips = int(0.75 * (3600 * h + 60 * m + sec) * clips_per_s)
    print(f"{cfg.model.model.backbone}: {clips_per_s:.1f} clips/s in training steps", flush=True)
    if clips >= 2 * train_clips:
        return [f"trainer.max_epochs={clips // train_clips}"]
    return [f"data.epoch_size={max(d.batch_size, clips // 4)}", "trainer.max_epochs=4"]


def train_and_test(name: str, preset: str, overrides: list[str], test_manifest: Path, root: Path):
    run_dir = root / name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    train_cmd = [
        str(BIN / "judge-train"),
        f"experiment={preset}",
        "logger=csv",
        f"task_name=bench_{name}",
        f"hydra.run.dir={run_dir}",
        *overrides,
    ]
    wall = run(train_cmd, run_dir / "train.out")
    curve = learning_curve(next(run_dir.glob("csv/version_*/metrics.csv")))
    ckpt = best_checkpoint(run_dir)
    eval_dir = run_dir / "eval"
    eval_cmd = [
        str(BIN / "judge-eval"),
        f"ckpt_path={ckpt}",
        f"data.manifest={test_manifest}",
        f"hydra.run.dir={eval_dir}",
        "report.html=false",
    ]
    run(eval_cmd, run_dir / "eval.out")
    test = json.loads((eval_dir / "metrics.json").read_text())["columns"]["judge"]
    return {
        "overrides": overrides,
        "checkpoint": str(ckpt),
        "wall_s": round(wall, 1),
        "train_s": curve[-1]["time/train_s"] if curve else None,
        "epochs": curve[-1]["epoch"] + 1 if curve else 0,
        "clips_per_s": curve[-1].get("clips_per_s") if curve else None,
        "best_val_auroc": max((p["val/auroc"] for p in curve), default=None),
        "test": test,
        "curve": curve,
    }


def table(results: dict) -> str:
    """Markdown: test metrics of each run side by side, then time and speed."""
    names = list(results["runs"])
    runs = [results["runs"][n] for n in names]
    lines = ["| test set | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    def row(label: str, cells: list) -> None:
        text = ["-" if c is None else c if isinstance(c, str) else f"{c:.3f}" for c in cells]
        lines.append(f"| {label} | " + " | ".join(text) + " |")

    row("macro AUROC", [r["test"].get("auroc") for r in runs])
    for label in ARTIFACT_LABELS:
        cells = [
            f"{r['test'].get(f'{label}/auroc', float('nan')):.3f} / "
            f"{r['test'].get(f'{label}/ap', float('nan')):.3f}"
            for r in runs
        ]
        row(f"{label} AUROC / AP", cells)
    row("plausible AUROC", [r["test"].get("plausible/auroc") for r in runs])
    row("ECE", [r["test"].get("ece") for r in runs])
    row("onset within 1 frame", [r["test"].get("onset_acc") for r in runs])
    row("train time (min)", [f"{r['train_s'] / 60:.1f}" if r["train_s"] else None for r in runs])
    row("epochs", [str(r["epochs"]) for r in runs])
    row("train clips/s", [f"{r['clips_per_s']:.1f}" if r["clips_per_s"] else None for r in runs])
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    for name, r in results["runs"].items():
        xs = [p["time/train_s"] / 60 for p in r["curve"]]
        ax.plot(xs, [p["val/auroc"] for p in r["curve"]], marker="o", ms=3, label=name)
    ax.axhline(0.9, color="grey", ls="--", lw=0.8)
    ax.set(xlabel="training time (min)", ylabel="val macro AUROC", ylim=(0.4, 1.0))
    ax.set_title(f"{results['preset']} on {results['machine']['cpus']} CPU cores", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="cpu_tiny")
    ap.add_argument("--baseline", default="r3d_18", help="model config of the baseline run")
    ap.add_argument(
        "--runs", nargs="+", default=["judge", "baseline"], choices=["judge", "baseline"]
    )
    ap.add_argument("--override", action="append", default=[], help="Hydra override, repeatable")
    ap.add_argument("--test-seed", type=int, default=1)
    ap.add_argument("--test-scenes", type=int, default=200)
    ap.add_argument("--root", type=Path, default=Path("bench/quality"))
    ap.add_argument("--out", type=Path, default=Path("bench/quality.json"))
    ap.add_argument("--plot", type=Path, default=Path("bench/learning_curve.png"))
    args = ap.parse_args()

    spec = preset_synth(args.preset, args.override)
    synth, train_out = spec["synth"], spec["out"]
    test_out = test_set_dir(train_out, args.test_seed)
    workers = len(os.sched_getaffinity(0))
    render_s = {
        "train": render(train_out, spec["num_scenes"], spec["seed"], synth, workers),
        "test": render(test_out, args.test_scenes, args.test_seed, synth, workers),
    }
    old = json.loads(args.out.read_text()) if args.out.exists() else {}
    results = {
        "preset": args.preset,
        "machine": {"cpus": workers, "platform": platform.platform(), "cpu": platform.processor()},
        "train_data": {"manifest": str(train_out / "manifest.jsonl"), "seed": spec["seed"]},
        "test_data": {"manifest": str(test_out / "manifest.jsonl"), "seed": args.test_seed},
        "render_s": render_s,
        # Runs not redone this time are kept from the previous file of the same preset.
        "runs": old.get("runs", {}) if old.get("preset") == args.preset else {},
    }
    test_manifest = test_out / "manifest.jsonl"
    runs = {}
    if "judge" in args.runs:
        runs["judge"] = list(args.override)
    if "baseline" in args.runs:
        base = [*args.override, f"model={args.baseline}"]
        rows = read_manifest(train_out / "manifest.jsonl")
        train_clips = sum(r.get("split") == "train" for r in rows)
        runs[f"{args.baseline} (scratch)"] = base + budget_epochs(args.preset, base, train_clips)
    for name, overrides in runs.items():
        key = name.split()[0]
        result = train_and_test(key, args.preset, overrides, test_manifest, args.root)
        results["runs"][name] = result
        atomic_write_text(args.out, json.dumps(results, indent=2) + "\n")
    plot(results, args.plot)
    print(table(results))
    print(f"written {args.out} and {args.plot}")


if __name__ == "__main__":
    main()
