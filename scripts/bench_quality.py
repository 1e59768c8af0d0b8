"""Quality benchmark: train a preset, then test it on a synthetic set rendered with another seed.

    python scripts/bench_quality.py                         # cpu_tiny, and r3d_18 as baseline
    python scripts/bench_quality.py --skip-baseline --override data.batch_size=32

1. Renders the preset's training set when missing (`synth_if_missing`) and a test set with the
   same generator settings but another seed (`--test-seed`), timing both: rendering is reported
   apart from training.
2. Runs `judge-train experiment=<preset> logger=csv` as users do, for the judge and for the
   baseline (`model=r3d_18`, from scratch, same data, budget and schedule).
3. Runs `judge-eval` on the test set with each run's best checkpoint (by val/auroc).
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
import subprocess
import sys
import time
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from judge.io.atomic import atomic_write_text
from judge.labels import ARTIFACT_LABELS
from judge.paths import config_dir

BIN = Path(sys.executable).parent


def render(out: Path, num_scenes: int, seed: int, synth: dict, workers: int) -> float | None:
    """Render a synthetic set unless its manifest exists; seconds taken, or None if it did."""
    from judge.synth.config import SynthConfig
    from judge.synth.runner import generate

    if (out / "manifest.jsonl").exists():
        return None
    start = time.perf_counter()
    generate(SynthConfig.from_dict(synth), out, num_scenes, seed=seed, num_workers=workers)
    return time.perf_counter() - start


def run(cmd: list[str], log: Path) -> float:
    """Run a console script, its output to `log`; wall seconds. Fails loudly with the log's end."""
    log.parent.mkdir(parents=True, exist_ok=True)
    print("$", " ".join(cmd), flush=True)
    start = time.perf_counter()
    with open(log, "w") as f:
        code = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT)
    if code:
        sys.exit(f"{cmd[0]} failed ({code}); end of {log}:\n{log.read_text()[-3000:]}")
    return time.perf_counter() - start


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


def best_checkpoint(run_dir: Path) -> Path:
    """The ModelCheckpoint's best file (the one that is not last.ckpt)."""
    found = [p for p in (run_dir / "checkpoints").glob("*.ckpt") if p.name != "last.ckpt"]
    if not found:
        sys.exit(f"no best checkpoint in {run_dir / 'checkpoints'}")
    return max(found, key=lambda p: p.stat().st_mtime)


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
    ]
    run(eval_cmd, run_dir / "eval.out")
    test = json.loads((eval_dir / "metrics.json").read_text())["metrics"]
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
    names = list(results["runs"])
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    def row(label, key, digits=3):
        vals = [results["runs"][n]["test"].get(key) for n in names]
        cells = ["-" if v is None else f"{v:.{digits}f}" for v in vals]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("macro AUROC", "test/auroc")
    for label in ARTIFACT_LABELS:
        row(f"{label} AUROC / AP", f"test/{label}/auroc")
        lines[-1] += " AP " + " / ".join(
            f"{results['runs'][n]['test'].get(f'test/{label}/ap', float('nan')):.3f}" for n in names
        )
    row("plausible AUROC", "test/plausible/auroc")
    row("ECE", "test/ece")
    row("onset accuracy (+-1 frame)", "test/onset_acc")
    for key, label in (("train_s", "train time (s)"), ("clips_per_s", "train clips/s")):
        cells = [results["runs"][n].get(key) for n in names]
        lines.append(f"| {label} | " + " | ".join("-" if c is None else f"{c:.1f}" for c in cells))
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
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--override", action="append", default=[], help="Hydra override, repeatable")
    ap.add_argument("--test-seed", type=int, default=1)
    ap.add_argument("--test-scenes", type=int, default=200)
    ap.add_argument("--root", type=Path, default=Path("bench/quality"))
    ap.add_argument("--out", type=Path, default=Path("bench/quality.json"))
    ap.add_argument("--plot", type=Path, default=Path("bench/learning_curve.png"))
    args = ap.parse_args()

    with initialize_config_dir(config_dir(), version_base="1.3"):
        cfg = compose("train", overrides=[f"experiment={args.preset}", *args.override])
    spec = cfg.synth_if_missing
    synth = OmegaConf.to_container(spec.synth, resolve=True) or {}
    train_out = Path(spec.out)
    test_out = train_out.with_name(f"{train_out.name}_test_seed{args.test_seed}")
    workers = len(os.sched_getaffinity(0))
    render_s = {
        "train": render(train_out, spec.num_scenes, spec.seed, synth, workers),
        "test": render(test_out, args.test_scenes, args.test_seed, synth, workers),
    }
    results = {
        "preset": args.preset,
        "machine": {"cpus": workers, "platform": platform.platform(), "cpu": platform.processor()},
        "train_data": {"manifest": str(train_out / "manifest.jsonl"), "seed": spec.seed},
        "test_data": {"manifest": str(test_out / "manifest.jsonl"), "seed": args.test_seed},
        "render_s": render_s,
        "runs": {},
    }
    test_manifest = test_out / "manifest.jsonl"
    runs = {"judge": list(args.override)}
    if not args.skip_baseline:
        runs[f"{args.baseline} (scratch)"] = [*args.override, f"model={args.baseline}"]
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
