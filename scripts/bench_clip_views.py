"""Learning curves at equal clip-views: which judge learns most from the same training clips.

    python scripts/bench_clip_views.py                    # tiny3d, gpu_default at 64 px, r3d_18
    python scripts/bench_clip_views.py --estimate         # time a few steps of each, print ETA
    python scripts/bench_clip_views.py --runs gpu_default --clip-views 20000

Every run trains on cpu_tiny's synthetic set (rendered first when missing) with
`judge-train ... logger=csv`, for the same number of clip-views (training windows seen):
`trainer.max_epochs=--epochs`, `data.epoch_size=clip_views / epochs`, no `max_time`; each
epoch ends with a validation, so each run gives `--epochs` points of val macro AUROC against
clip-views. Runs (`RUNS`):
  tiny3d       `experiment=cpu_tiny` as it is (the CPU judge);
  gpu_default  `experiment=gpu_default` scaled down to the CPU: 64 px, `trainer=cpu`
               (with cpu_tiny's precision and frame cache), cpu_tiny's batch and loaders, on
               cpu_tiny's data: the GPU judge's model
               (tiny3d_gpu) and settings, at the CPU's size;
  r3d_18       `experiment=cpu_tiny model=r3d_18`, from scratch.
The default clip-views are cpu_tiny's own: its `max_epochs` times the training clips of its
set. Writes JSON (`--out`) and a plot with clip-views on the x axis (`--plot`).
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
from judge.workflow import BIN, preset_synth, render, train_config
from judge.workflow import run_logged as run

BASE = "cpu_tiny"
# name -> (experiment, overrides); the data (`synth_if_missing.out`) is added for every run.
RUNS = {
    "tiny3d": ("cpu_tiny", []),
    "gpu_default": (
        "gpu_default",
        [
            "trainer=cpu",
            "trainer.precision=${cpu_precision:}",  # as cpu_tiny: bf16 where native
            "data.frame_cache=${paths.data_dir}/cache/frames",  # as cpu_tiny
            "data.size=64",
            "data.batch_size=16",
            "data.num_workers=2",
            "data.pin_memory=false",
        ],
    ),  # fmt: skip
    "r3d_18": ("cpu_tiny", ["model=r3d_18"]),
}


def default_clip_views(data: Path, epochs: int) -> int:
    """cpu_tiny's clip-views on `data`: `epochs` passes over its training clips."""
    rows = read_manifest(data / "manifest.jsonl")
    return epochs * sum(r.get("split") == "train" for r in rows)


def run_overrides(name: str, data: Path, clip_views: int, epochs: int, extra: list[str]):
    """(experiment, judge-train overrides) of run `name` for `clip_views` windows."""
    experiment, own = RUNS[name]
    return experiment, [
        *own,
        f"synth_if_missing.out={data}",
        "trainer.max_time=null",
        f"trainer.max_epochs={epochs}",
        f"data.epoch_size={max(1, clip_views // epochs)}",
        "test=false",
        *extra,
    ]


def curve(metrics_csv: Path, epoch_size: int) -> list[dict]:
    """Validation points of a CSVLogger file: clip-views seen (epochs done x epoch size), val
    macro AUROC, training seconds."""
    points = []
    with open(metrics_csv) as f:
        for row in csv.DictReader(f):
            if not row.get("val/auroc"):
                continue
            point = {
                "epoch": int(row["epoch"]),
                "clip_views": (int(row["epoch"]) + 1) * epoch_size,
                "val_auroc": float(row["val/auroc"]),
            }
            if row.get("time/train_s"):
                point["train_s"] = float(row["time/train_s"])
            points.append(point)
    return points


def train(name: str, experiment: str, overrides: list[str], root: Path) -> dict:
    run_dir = root / name
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = [
        str(BIN / "judge-train"),
        f"experiment={experiment}",
        "logger=csv",
        f"task_name=bench_cv_{name}",
        f"hydra.run.dir={run_dir}",
        *overrides,
    ]
    wall = run(cmd, run_dir / "train.out")
    cfg = train_config(experiment, overrides)
    epoch_size = int(cfg.data.epoch_size)
    points = curve(next(run_dir.glob("csv/version_*/metrics.csv")), epoch_size)
    return {
        "experiment": experiment,
        "overrides": overrides,
        "model": f"{cfg.model.model.backbone} at {cfg.data.size} px",
        "wall_s": round(wall, 1),
        "clip_views": epoch_size * int(cfg.trainer.max_epochs),
        "final_val_auroc": points[-1]["val_auroc"] if points else None,
        "best_val_auroc": max((p["val_auroc"] for p in points), default=None),
        "curve": points,
    }


def estimate(name: str, experiment: str, overrides: list[str], clip_views: int) -> dict:
    """Seconds of training steps for `clip_views`, from 3 timed steps on random windows."""
    import torch
    from hydra.utils import instantiate

    cfg = train_config(experiment, overrides)
    model = instantiate(cfg.model.model).train()
    opt = torch.optim.AdamW(model.parameters())
    d = cfg.data
    x = torch.randn(d.batch_size, 3, d.window.num_frames, d.size, d.size)
    for step in range(4):
        if step == 1:
            t0 = time.perf_counter()
        loss = sum(v.square().mean() for v in model(x).values())
        opt.zero_grad()
        loss.backward()
        opt.step()
    rate = 3 * d.batch_size / (time.perf_counter() - t0)
    return {"run": name, "clips_per_s": round(rate, 2), "hours": round(clip_views / rate / 3600, 2)}


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    for name, r in results["runs"].items():
        xs = [p["clip_views"] / 1000 for p in r["curve"]]
        ax.plot(xs, [p["val_auroc"] for p in r["curve"]], marker="o", ms=3,
                label=f"{name} ({r['model']})")  # fmt: skip
    ax.axhline(0.5, color="grey", ls=":", lw=0.8)
    ax.set(xlabel="clip-views (thousands)", ylabel="val macro AUROC", ylim=(0.4, 1.0))
    ax.set_title(f"equal clip-views on {BASE}'s data, {results['machine']['cpus']} CPU cores",
                 fontsize=10)  # fmt: skip
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    ap.add_argument("--clip-views", type=int, default=None, help="default: cpu_tiny's")
    ap.add_argument("--epochs", type=int, default=None, help="default: cpu_tiny's max_epochs")
    ap.add_argument("--data", type=Path, default=None, help="a rendered set (default: cpu_tiny's)")
    ap.add_argument("--override", action="append", default=[], help="for every run, repeatable")
    ap.add_argument("--estimate", action="store_true", help="time each run's steps, train none")
    ap.add_argument("--root", type=Path, default=Path("bench/clip_views"))
    ap.add_argument("--out", type=Path, default=Path("bench/clip_views.json"))
    ap.add_argument("--plot", type=Path, default=Path("bench/clip_views.png"))
    args = ap.parse_args(argv)

    base = train_config(BASE)
    epochs = args.epochs or int(base.trainer.max_epochs)
    data = args.data
    if data is None:
        spec = preset_synth(BASE)
        data = spec["out"]
        if not args.estimate:
            workers = len(os.sched_getaffinity(0))
            render(data, spec["num_scenes"], spec["seed"], spec["synth"], workers)
    data = data.resolve()
    if args.estimate and not args.clip_views and not (data / "manifest.jsonl").exists():
        ap.error(f"--estimate without a rendered set at {data}: pass --clip-views")
    clip_views = args.clip_views or default_clip_views(data, epochs)
    plans = {n: run_overrides(n, data, clip_views, epochs, args.override) for n in args.runs}
    if args.estimate:
        for name, (experiment, overrides) in plans.items():
            print(json.dumps(estimate(name, experiment, overrides, clip_views)), flush=True)
        return 0
    results = {
        "benchmark": "clip_views",
        "data": str(data / "manifest.jsonl"),
        "clip_views": clip_views,
        "epochs": epochs,
        "machine": {"cpus": len(os.sched_getaffinity(0)), "platform": platform.platform()},
        "runs": {},
    }
    for name, (experiment, overrides) in plans.items():
        print(f"[clip_views] {name}: judge-train experiment={experiment} {' '.join(overrides)}")
        results["runs"][name] = train(name, experiment, overrides, args.root)
        atomic_write_text(args.out, json.dumps(results, indent=2) + "\n")
    plot(results, args.plot)
    print(f"{'run':14} {'model':22} {'clip-views':>10} {'final AUROC':>12} {'best':>6} {'min':>6}")
    for name, r in results["runs"].items():
        final, best = r["final_val_auroc"], r["best_val_auroc"]
        cells = [f"{v:.3f}" if v is not None else "-" for v in (final, best)]
        print(f"{name:14} {r['model']:22} {r['clip_views']:>10} {cells[0]:>12} {cells[1]:>6} "
              f"{r['wall_s'] / 60:>6.1f}")  # fmt: skip
    print(f"written {args.out} and {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
