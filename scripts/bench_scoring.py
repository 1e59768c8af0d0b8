"""Benchmark scoring: videos per second, decode-only vs end to end (JSON + table).

    python scripts/bench_scoring.py --out bench/scoring.json

On `--videos` H.264 clips of each set in `--sets` it times, with the same reader and the same
number of DataLoader workers as `judge-score`:
  decode     every frame of every video read, nothing else;
  pipeline   decode + sliding windows + resize + normalise (the scorer's workers, no model);
  model      the judge's forward alone on random windows, as videos/s at this set's windows per
             video;
  score      `Judge.score` end to end (decode in workers, model in this process).
Each judge is an untrained tiny3d (speed does not depend on training), exported like a real one.
Sets: `synthetic` (96x96, 24-48 frames, 15 fps: the generator's clips, where decoding is almost
free) and `generated` (832x480, 49 frames, 16 fps: the size of a text-to-video model's output,
the files `judge-score` is for).
"""

# ruff: noqa: E402 - the environment must be set before torch is imported
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see judge/__init__.py: spinning waits

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

import judge
from judge.data.input_spec import FITS
from judge.data.transforms import MEAN, STD
from judge.inference.export import export_judge
from judge.inference.inputs import iter_entries
from judge.inference.judge import Judge
from judge.inference.stream import ReadOptions, WindowStream, worker_init
from judge.io.video import open_video
from judge.io.writer import write_video
from judge.models import build_model

# name -> (width, height, frames (min, max), fps)
SETS = {"synthetic": (96, 96, (24, 48), 15), "generated": (832, 480, (49, 49), 16)}


def make_videos(folder: Path, count: int, width: int, height: int, frames, fps: int) -> None:
    """`count` clips: moving squares over a textured background (kept between runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:height, 0:width]
    side = max(16, height // 6)
    for i in range(count):
        path = folder / f"clip{i:04d}.mp4"
        frames_n = int(rng.integers(frames[0], frames[1] + 1))
        if path.exists():
            continue
        texture = (np.sin(xx / (9 + i % 7)) + np.cos(yy / (13 + i % 5))) * 30 + 90
        background = np.stack([texture, texture * 0.8 + 20, 160 - texture / 2], -1)
        background += rng.normal(0, 6, background.shape)
        video = np.repeat(np.clip(background, 0, 255).astype(np.uint8)[None], frames_n, 0)
        for t in range(frames_n):
            x = (7 * i + 3 * t * width // 96) % (width - side)
            y = height // 3
            video[t, y : y + side, x : x + side] = (240, 200, 40)
        write_video(path, video, fps=fps, crf=23)


def make_judge(folder: Path, width: float, frames: int, size: int, fit: str = "tiles") -> Path:
    """An untrained tiny3d exported to `folder` (via a Lightning-style checkpoint), reading
    non-square frames by `fit`."""
    out = folder / f"tiny3d_w{width:g}_{frames}x{size}_{fit}"
    if (out / "judge.json").exists():
        return out
    model = build_model("tiny3d", num_labels=7, width=width)
    ckpt = folder / f"{out.name}.ckpt"
    meta = {
        "format": 1,
        "judge_version": judge.__version__,
        "labels": ["teleport", "clipping", "vanish", "appear", "morph", "duplicate", "levitate"],
        "model": dict(model.config),
        "input": {
            "num_frames": frames,
            "stride": 1,
            "fps": None,
            "size": size,
            "mean": list(MEAN),
            "std": list(STD),
            "fit": fit,
        },
        "decoder": {},
    }
    torch.save(
        {"state_dict": {f"model.{k}": v for k, v in model.state_dict().items()}, "judge": meta},
        ckpt,
    )
    export_judge(ckpt, out, overwrite=True)
    return out


class _DecodeAll(IterableDataset):
    """Every frame of every video, read with the scorer's reader and sharding; yields counts
    (the frames stay in the worker: this times decoding, not transfer)."""

    def __init__(self, inputs, backend: str):
        self.inputs, self.backend = inputs, backend

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        for i, entry in enumerate(iter_entries(self.inputs)):
            if i % workers == worker:
                with open_video(entry.path, self.backend) as video:
                    yield len(video.get(range(video.num_frames)))


def _loader(dataset, workers: int) -> DataLoader:
    return DataLoader(
        dataset,
        batch_size=None,
        num_workers=workers,
        prefetch_factor=2 if workers else None,
        worker_init_fn=worker_init if workers else None,
    )


def _cpu_seconds() -> float:
    """CPU time of this process and its reaped children (DataLoader workers, once joined)."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def median_rate(repeats: int, fn) -> tuple[float, float]:
    """(videos per second, the median of `repeats` timed runs of `fn() -> count`; CPU ms per
    video over all runs, workers included). CPU time barely depends on what else the machine
    runs, so it compares stages even where wall-clock rates are noisy."""
    rates, cpu, total = [], _cpu_seconds(), 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        n = fn()
        rates.append(n / (time.perf_counter() - t0))
        total += n
    return statistics.median(rates), 1e3 * (_cpu_seconds() - cpu) / total


def bench_judge(j: Judge, folder: Path, count: int, workers: int, batch: int, repeats: int):
    backend = j.reader_backend()
    options = ReadOptions(spec=j.spec, fit=j.input.fit, backend=backend, piece_windows=batch)
    # Model rows: a window read as K tiles (fit "tiles") is K rows.
    pieces = WindowStream([folder], options)
    windows_per_video = sum(p["take"].reshape(-1, p["take"].shape[-1]).shape[0] for p in pieces)
    windows_per_video /= count
    x = torch.randn(batch, 3, j.spec["num_frames"], j.spec["size"], j.spec["size"])
    j.predict(x)  # warm-up: first calls allocate

    def model_only() -> float:
        for _ in range(4):
            j.predict(x)
        return 4 * batch / windows_per_video

    rows = {
        "decode": median_rate(
            repeats, lambda: len(list(_loader(_DecodeAll([folder], backend), workers)))
        ),
        "pipeline": median_rate(
            repeats,
            lambda: len(
                {int(p["index"]) for p in _loader(WindowStream([folder], options), workers)}
            ),
        ),
        "model": median_rate(repeats, model_only),
        "score": median_rate(
            repeats,
            lambda: sum(
                r["status"] == "ok"
                for r in j.score(folder, batch_size=batch, num_workers=workers, threads=None)
            ),
        ),
    }
    return rows, windows_per_video, backend


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench/scoring.json")
    ap.add_argument("--data", default="bench/data/scoring", help="where clips and judges are kept")
    ap.add_argument("--videos", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--threads", type=int, default=0, help="model threads (0: as judge-score, cores - workers)"
    )
    ap.add_argument("--widths", type=float, nargs="+", default=[1.0, 0.25])
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--fit", default="tiles", choices=FITS, help="how judges read wide frames")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0))
    threads = args.threads or max(1, cores - args.workers)
    torch.set_num_threads(threads)
    data = Path(args.data)
    results = []
    for set_name, width in ((s, w) for s in args.sets for w in args.widths):
        w_px, h_px, frames, fps = SETS[set_name]
        clips = data / f"{set_name}_{w_px}x{h_px}"
        make_videos(clips, args.videos, w_px, h_px, frames, fps)
        folder = make_judge(data, width, frames=16, size=64, fit=args.fit)
        j = Judge.load(folder)
        stages, wpv, backend = bench_judge(
            j, clips, args.videos, args.workers, args.batch_size, args.repeats
        )
        params = sum(p.numel() for p in j.model.parameters())
        rates = {k: v[0] for k, v in stages.items()}
        row = {
            "videos": f"{set_name}: {w_px}x{h_px}, {frames[0]}-{frames[1]} frames, {fps} fps",
            "judge": f"tiny3d width {width:g} ({params / 1e6:.2f} M), 16x64x64, {args.fit}",
            "device": str(j.device),
            "backend": backend,
            "windows_per_video": round(wpv, 2),
            **{f"{k}_videos_per_s": round(v, 1) for k, v in rates.items()},
            **{f"{k}_cpu_ms_per_video": round(v[1], 2) for k, v in stages.items()},
            "score_over_decode": round(rates["score"] / rates["decode"], 3),
            "score_over_slowest_stage": round(
                rates["score"] / min(rates["pipeline"], rates["model"]), 3
            ),
        }
        results.append(row)
        print(json.dumps(row), flush=True)
    result = {
        "benchmark": "scoring",
        "cores": cores,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "videos": f"{args.videos} H.264 clips per set (crf 23)",
        "workers": args.workers,
        "batch_size": args.batch_size,
        "window": f"16 frames, stride 1, hop 8, last window aligned to the end, {args.fit} "
        "at 64x64",
        "repeats": args.repeats,
        "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    head = ("set, judge", "decode", "pipeline", "model", "score", "score/decode")
    print(
        f"\nvideos/s, {args.workers} workers, {torch.get_num_threads()} torch threads, "
        f"{cores} cores"
    )
    print(f"{head[0]:48} " + " ".join(f"{h:>12}" for h in head[1:]))
    for r in results:
        cells = [r[f"{k}_videos_per_s"] for k in ("decode", "pipeline", "model", "score")]
        name = f"{r['videos'].split(':')[0]}, {r['judge']}"
        print(f"{name:48} " + " ".join(f"{c:>12}" for c in [*cells, r["score_over_decode"]]))
    print(
        f"\nCPU ms per video (this process + workers)\n{head[0]:48} "
        + " ".join(f"{h:>12}" for h in head[1:5])
    )
    for r in results:
        cells = [r[f"{k}_cpu_ms_per_video"] for k in ("decode", "pipeline", "model", "score")]
        name = f"{r['videos'].split(':')[0]}, {r['judge']}"
        print(f"{name:48} " + " ".join(f"{c:>12}" for c in cells))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
