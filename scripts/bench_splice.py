"""Time `judge-splice` on videos this script makes itself; writes bench/splice.json.

    python scripts/bench_splice.py                 # 3 videos 640x360, 30 fps, 20 s; 24 windows
    python scripts/bench_splice.py --workers 0 --clips 8

The videos (static textured background, a few coloured squares moving) are made first and not
timed. clips/s counts every clip written (clean + twins) per wall second of splicing, process
start-up of the workers included. The per-stage split sums each window's own time (decode,
analyse = plate + foreground + camera motion, inject = twins and their checks, encode), over
all workers, so it shows where the work goes rather than adding up to the wall time.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from judge.io.atomic import atomic_write_text  # noqa: E402
from judge.io.writer import write_video  # noqa: E402
from judge.splice import splice  # noqa: E402


def make_videos(folder: Path, count: int, seconds: float, w: int, h: int) -> list[Path]:
    from splice_fixtures import static_frames

    paths = []
    for i in range(count):
        frames = static_frames(int(seconds * 30), w, h, objects=3, seed=i, size=(44, 56, 36))
        paths.append(write_video(folder / f"cam{i}.mp4", frames, fps=30, crf=20, preset="veryfast"))
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--clips", type=int, default=24, help="windows (num_clips)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "bench" / "splice.json"))
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_splice_") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        make_videos(tmp / "videos", args.videos, args.seconds, args.width, args.height)
        made = time.perf_counter() - t
        t = time.perf_counter()
        s = splice(
            tmp / "videos", tmp / "out", num_clips=args.clips, seed=0, num_workers=args.workers,
            log=lambda _: None,
        )  # fmt: skip
        wall = time.perf_counter() - t
        first = json.loads((tmp / "out" / "manifest.jsonl").read_text().splitlines()[0])

    stages = {k: round(v, 3) for k, v in s.stage_seconds.items()}
    result = {
        "videos": args.videos,
        "video_size": [args.width, args.height],
        "video_seconds": args.seconds,
        "clip_size": [first["width"], first["height"]],
        "windows": s.windows,
        "clips": s.clips,
        "twins": s.twins,
        "moving_camera_windows": s.moving,
        "twins_skipped": dict(s.twins_skipped),
        "workers": args.workers,
        "wall_s": round(wall, 3),
        "clips_per_s": round(s.clips / wall, 2),
        "s_per_clip": round(wall / max(1, s.clips), 4),
        "stage_s": stages,
        "video_making_s": round(made, 1),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    atomic_write_text(args.out, json.dumps(result, indent=1) + "\n")
    print("| windows | clips | workers | wall s | clips/s | s/clip |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {s.windows} | {s.clips} | {args.workers} | {wall:.2f} | "
        f"{result['clips_per_s']:.2f} | {result['s_per_clip']:.3f} |"
    )
    total = sum(stages.values()) or 1.0
    print("\n| stage | s (summed over windows) | share |\n|---|---|---|")
    for k, v in stages.items():
        print(f"| {k} | {v:.2f} | {v / total:.0%} |")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
