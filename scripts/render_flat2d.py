"""Render a test set with the second, 2D renderer (judge/synth/flat2d.py): another look.

    python scripts/render_flat2d.py --out data/generated/flat2d --scenes 200 --seed 0
    judge-eval ckpt_path=logs/cpu_tiny/runs/<run>/judge \
        data.manifest=data/generated/flat2d/manifest.jsonl

Its clips carry `source` "flat2d/numpy": `judge-eval` reports them as their own family, and
`scripts/bench_quality.py --flat2d-scenes N` adds them to the quality benchmark's test set.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from judge.synth.flat2d import generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--scenes", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    start = time.perf_counter()
    manifest = generate(args.out, args.scenes, args.seed)
    print(f"{manifest}: {args.scenes} scenes in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
