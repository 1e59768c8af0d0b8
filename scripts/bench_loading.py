"""Benchmark clip loading: decoded and preprocessed 16-frame windows per second (JSON + table).

    python scripts/bench_loading.py --out bench/loading.json

For 96x96 clips from the synthetic generator and 256x256 H.264 clips, with decord and PyAV,
and 0, 1 and 2 DataLoader workers, it times the training pipeline (random window, decode,
crop, resize to 64, augment, normalise, collate), then the same from the decoded-frame cache
(`data.frame_cache`, filled by a first pass). It then times a training step of the tiny3d
judge, in float32 and (where the CPU runs it natively) under bf16 autocast, and loading and
step together, to show which one limits a training step on this machine.
"""

# ruff: noqa: E402 - the environment must be set before torch is imported
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see judge/__init__.py: spinning waits

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from judge.config_resolvers import RESOLVERS
from judge.data.datamodule import ClipDataModule
from judge.io.manifest import write_manifest
from judge.io.video import available_backends
from judge.io.writer import write_video
from judge.models import build_model


def synth_set(folder: Path, scenes: int) -> Path:
    """96x96, 24-frame clips from the generator (rendered once, reused)."""
    from judge.synth.config import SynthConfig
    from judge.synth.runner import generate

    manifest = folder / "manifest.jsonl"
    if not manifest.exists():
        generate(SynthConfig(), folder, scenes, seed=0, num_workers=len(os.sched_getaffinity(0)))
    return manifest


def large_set(folder: Path, clips: int, side: int = 256, frames: int = 32) -> Path:
    """H.264 clips of a textured square moving over a gradient, `side` x `side`."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    yy, xx = np.mgrid[0:side, 0:side]
    base = np.stack([xx * 255 // side, yy * 255 // side, (xx + yy) * 127 // side], -1)
    for c in range(clips):
        video = np.repeat(base[None].astype(np.uint8), frames, 0)
        for t in range(frames):
            x = (c * 13 + t * 5) % (side - 40)
            video[t, 60:100, x : x + 40] = (255 - 7 * c) % 256
        name = f"clip{c:03d}.mp4"
        write_video(folder / name, video, fps=15, crf=23)
        rows.append(
            {
                "path": name,
                "labels": {"plausible": 1},
                "events": [],
                "split": "train",
                "group": name,
                "fps": 15,
                "num_frames": frames,
                "width": side,  # the size lets the decoded-frame cache take the clip
                "height": side,
            }
        )
    write_manifest(folder / "manifest.jsonl", rows)
    return folder / "manifest.jsonl"


def train_loader(
    manifest: Path, backend: str, workers: int, batches: int, batch: int, cache: Path | None
):
    """The training DataLoader of the default data config, for `batches + 1` batches."""
    dm = ClipDataModule(
        [str(manifest)],
        window={"num_frames": 16},
        size=64,
        augment={},
        batch_size=batch,
        num_workers=workers,
        backend=backend,
        epoch_size=batch * (batches + 1),
        frame_cache=str(cache) if cache else None,
    )
    dm.setup("fit")
    return dm.train_dataloader()


def loader_rate(
    manifest: Path, backend: str, workers: int, batches: int, batch: int, cache: Path | None
) -> float:
    """Training windows per second, after the first batch (worker start-up excluded)."""
    it = iter(train_loader(manifest, backend, workers, batches, batch, cache))
    next(it)
    t0 = time.perf_counter()
    n = 0
    for b in it:
        n += len(b["video"])
    return n / (time.perf_counter() - t0)


def model_rate(batch: int, steps: int, bf16: bool) -> tuple[float, int]:
    """Training steps of tiny3d, in clips per second, on random input."""
    model = build_model("tiny3d", num_labels=7)
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    x = torch.randn(batch, 3, 16, 64, 64)
    y = torch.rand(batch, 8)
    for i in range(steps + 1):
        if i == 1:
            t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)["labels"].float()
        loss = nn.functional.binary_cross_entropy_with_logits(logits, y[:, :7])
        opt.zero_grad()
        loss.backward()
        opt.step()
    params = sum(p.numel() for p in model.parameters())
    return batch * steps / (time.perf_counter() - t0), params


def together_rate(
    manifest: Path, backend: str, batches: int, batch: int, cache: Path | None, bf16: bool
) -> float:
    """Loading (2 workers) and tiny3d's training step in one loop, clips per second."""
    model = build_model("tiny3d", num_labels=7)
    opt = torch.optim.AdamW(model.parameters(), 1e-3)
    it = iter(train_loader(manifest, backend, 2, batches, batch, cache))
    next(it)
    t0 = time.perf_counter()
    n = 0
    for b in it:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(b["video"])["labels"].float().square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        n += len(b["video"])
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench/loading.json")
    ap.add_argument("--data", default="bench/data", help="where the test clips are kept")
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    data = Path(args.data)
    sets = {
        "96x96 synthetic": synth_set(data / "synth96", 40),
        "256x256 H.264": large_set(data / "large256", 48),
    }
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    cache_dir = data / "frame_cache"
    rows = []
    for name, manifest in sets.items():
        for backend in available_backends():
            for cached in (False, True):
                cache = cache_dir if cached else None
                if cached:  # fill the cache first: a warm cache is what every later epoch reads
                    loader_rate(manifest, backend, 2, args.batches * 3, args.batch, cache)
                for workers in (0, 1, 2):
                    rate = loader_rate(manifest, backend, workers, args.batches, args.batch, cache)
                    rows.append(
                        {
                            "set": name,
                            "backend": backend,
                            "frame_cache": cached,
                            "workers": workers,
                            "clips_per_s": round(rate, 1),
                        }
                    )
                    label = f"{backend}{' cached' if cached else ''}"
                    print(f"{name:16} {label:14} workers={workers}: {rate:7.1f} clips/s")
    bf16 = RESOLVERS["cpu_precision"]() == "bf16-mixed"
    steps = {"float32": model_rate(args.batch, 10, bf16=False)}
    if bf16:
        steps["bf16"] = model_rate(args.batch, 10, bf16=True)
    params = steps["float32"][1]
    synth = sets["96x96 synthetic"]
    backend = available_backends()[0]
    both = {
        "decode, float32": together_rate(synth, backend, args.batches, args.batch, None, False),
    }
    if bf16:
        both["cache, bf16"] = together_rate(
            synth, backend, args.batches, args.batch, cache_dir, True
        )
    best_load = max(r["clips_per_s"] for r in rows if r["set"] == "96x96 synthetic")
    best_step = max(rate for rate, _ in steps.values())
    result = {
        "benchmark": "loading",
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "window": "16 frames, stride 1, random start, crop+resize to 64x64, augment, normalise",
        "batch": args.batch,
        "loading": rows,
        "model_step": {
            "model": f"tiny3d, {params / 1e6:.2f} M parameters",
            "clips_per_s": {k: round(rate, 1) for k, (rate, _) in steps.items()},
        },
        "loading_and_step_2_workers": {
            "backend": backend,
            "clips_per_s": {k: round(v, 1) for k, v in both.items()},
        },
        "bottleneck": "model step" if best_step < best_load else "loading",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{'set':16} {'backend':8} {'cache':>5} {'workers':>7} {'clips/s':>8}")
    for r in rows:
        cache = "yes" if r["frame_cache"] else "no"
        print(f"{r['set']:16} {r['backend']:8} {cache:>5} {r['workers']:>7} {r['clips_per_s']:>8}")
    for k, (rate, _) in steps.items():
        print(f"tiny3d training step alone, {k} ({params / 1e6:.2f} M params): {rate:.1f} clips/s")
    for k, v in both.items():
        print(f"loading ({backend}, 2 workers) + step, {k}: {v:.1f} clips/s")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
