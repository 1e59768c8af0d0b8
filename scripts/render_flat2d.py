"""Render a test set with the second, 2D renderer (judge/synth/flat2d.py): another look.

    python scripts/render_flat2d.py --out data/generated/flat2d --scenes 200 --seed 0
    python scripts/render_flat2d.py --sheet docs/flat2d.png --seed 2 --scene 6   # the picture
    judge-eval ckpt_path=logs/cpu_tiny/runs/<run>/judge \
        data.manifest=data/generated/flat2d/manifest.jsonl

Its clips carry `source` "flat2d/numpy": `judge-eval` reports them as their own family, and
`scripts/bench_quality.py --flat2d-scenes N` adds them to the quality benchmark's test set.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from judge.synth.flat2d import generate, sample_scene, variants


def sheet(path: Path, seed: int, index: int) -> None:
    """One scene's clean clip and twins, a row each: three frames around the onset."""
    from PIL import Image, ImageDraw

    scene = sample_scene(seed, index)
    rows = []
    for v in variants(scene, seed, index):
        t = scene.num_frames
        if v.kind is None:
            pick = [t // 4, t // 2, 3 * t // 4]
        else:
            pick = [max(v.onset - 1, 0), v.onset, min(v.onset + 4, t - 1)]
        pad = [np.pad(v.frames[i], ((2, 2), (2, 2), (0, 0)), constant_values=255) for i in pick]
        rows.append((v.kind or "clean", np.concatenate(pad, axis=1)))
    label = 70
    height, width = sum(r.shape[0] for _, r in rows), rows[0][1].shape[1] + label
    img = Image.new("RGB", (width, height), "white")
    draw, y = ImageDraw.Draw(img), 0
    for name, row in rows:
        img.paste(Image.fromarray(row), (label, y))
        draw.text((4, y + row.shape[0] // 2 - 6), name, fill="black")
        y += row.shape[0]
    img.quantize(colors=96).save(path, optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="render a test set into this folder")
    ap.add_argument("--scenes", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sheet", type=Path, help="draw one scene's twins into this PNG instead")
    ap.add_argument("--scene", type=int, default=0, help="the scene --sheet draws")
    args = ap.parse_args()
    if args.sheet:
        sheet(args.sheet, args.seed, args.scene)
        print(f"written {args.sheet}")
        return
    if not args.out:
        ap.error("give --out (or --sheet)")
    start = time.perf_counter()
    manifest = generate(args.out, args.scenes, args.seed)
    print(f"{manifest}: {args.scenes} scenes in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
