"""Benchmark the generator: clips per second, one worker and all cores (JSON out, table printed).

    python scripts/bench_synth.py --scenes 40 --out bench/synth.json

Settings follow the issue's target: 96x96, 24 frames, shadows and 4x anti-aliasing, H.264.
Times are wall-clock for `judge.synth.runner.generate`, including process start, physics,
rendering, checks, encoding and writing; each run renders into a fresh temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from judge.synth import gl
from judge.synth.config import SynthConfig
from judge.synth.runner import generate


def bench(scenes: int, workers: int, seed: int) -> dict:
    cfg = SynthConfig.from_dict(
        {
            "render": {
                "sizes": [[96, 96]],
                "num_frames": [24],
                "fps": [15],
                "shadows": True,
                "shadow_size": 1024,
                "antialias_samples": 4,
            },
        }
    )
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        summary = generate(cfg, out, scenes, seed=seed, num_workers=workers)
        seconds = time.perf_counter() - t0
    return {
        "workers": max(1, workers),
        "processes": "in-process" if workers == 0 else "spawned",
        "scenes": scenes,
        "clips": summary.clips,
        "seconds": round(seconds, 2),
        "clips_per_s": round(summary.clips / seconds, 2),
        "scenes_per_s": round(scenes / seconds, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="bench/synth.json")
    args = ap.parse_args()
    backend = gl.choose_backend()
    cores = len(os.sched_getaffinity(0))
    runs = [bench(args.scenes, 0, args.seed)]
    if cores > 1:
        runs.append(bench(args.scenes, cores, args.seed))
    result = {
        "benchmark": "synth",
        "mujoco_gl": backend,
        "cores": cores,
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "settings": "96x96, 24 frames @15 fps, shadows 1024, 4x MSAA, H.264 crf 18-28",
        "runs": runs,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'workers':>8} {'scenes':>7} {'clips':>6} {'seconds':>8} {'clips/s':>8}")
    for r in runs:
        row = (r["workers"], r["scenes"], r["clips"], r["seconds"], r["clips_per_s"])
        print("{:>8} {:>7} {:>6} {:>8} {:>8}".format(*row))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
