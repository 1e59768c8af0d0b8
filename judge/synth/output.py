"""Write a rendered group to disk: mp4 clips, sidecar annotations, and its manifest rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from judge.io.atomic import atomic_path, atomic_write_text
from judge.io.writer import write_video
from judge.labels import PLAUSIBLE
from judge.synth.degrade import degrade_clip
from judge.synth.group import Group

SOURCE = "synthetic/mujoco"


SPLIT_BLOCK = 100  # scenes per block; each block matches the ratios to the nearest scene


def split_for(index: int, seed: int, ratios: dict[str, float]) -> str:
    """Split of scene `index`: exact ratios within each block of 100 consecutive scenes.

    A seeded permutation of each block decides, so the answer depends only on (seed, index):
    shards agree, and growing a data set never moves a scene to another split.
    """
    block, pos = divmod(index, SPLIT_BLOCK)
    rank = np.random.default_rng([seed, block, 7]).permutation(SPLIT_BLOCK)[pos]
    total = sum(ratios.values())
    edge = 0.0
    for name in ("train", "val", "test"):
        edge += ratios.get(name, 0.0) / total * SPLIT_BLOCK
        if rank < round(edge):
            return name
    return "train"


def heldout_split(index: int, seed: int, ratios: dict[str, float]) -> str:
    """Split of a held-out family's scene: val or test in their ratio to each other, never train."""
    val, test = ratios.get("val", 0.0), ratios.get("test", 0.0)
    u = np.random.default_rng([seed, index, 11]).random()
    return "val" if u * (val + test) < val else "test"


def clip_stem(index: int, variant: str) -> str:
    return f"{index:06d}_{variant}"


def write_group(
    group: Group,
    out: Path,
    labels: tuple[str, ...],
    seed: int,
    splits: dict[str, float],
    preset: str = "medium",
    held_out=None,
) -> list[dict]:
    """Write every clip of the group under `out/clips/` and return its manifest rows.

    `held_out(family) -> bool` (e.g. `SynthConfig.held_out`) keeps a family out of train.
    Frames are degraded here, the same way for every twin (`spec.degrade`), just before encoding.
    """
    spec = group.spec
    family = spec.family()
    heldout = bool(held_out and held_out(family))
    split = (
        heldout_split(spec.index, seed, splits) if heldout else split_for(spec.index, seed, splits)
    )
    rows = []
    for clip in group.clips:
        stem = clip_stem(spec.index, clip.variant)
        video, sidecar = f"clips/{stem}.mp4", f"clips/{stem}.npz"
        frames = degrade_clip(clip.record.frames, spec.degrade)
        write_video(out / video, frames, fps=spec.fps, crf=spec.crf, preset=preset)
        write_annotations(out / sidecar, clip, group)
        row = {
            "path": video,
            "group": spec.group,
            "source": SOURCE,
            "split": split,
            "labels": {
                **{k: int(clip.variant == k) for k in labels},
                PLAUSIBLE: int(clip.variant == "clean"),
            },
            "events": clip.events,
            "tags": list(group.tags),
            "annotations": sidecar,
            "fps": spec.fps,
            "num_frames": spec.num_frames,
            "width": spec.width,
            "height": spec.height,
            "variant": clip.variant,
            "crf": spec.crf,
            "family": family,
            "figures": spec.figure_names(),
        }
        if heldout:
            row["holdout"] = True
        if spec.shutter:  # only then: rows of scenes drawn as instants keep their bytes
            row["shutter"] = round(spec.shutter, 4)
        if clip.params:
            row["params"] = clip.params
        rows.append(row)
    return rows


def write_annotations(path: Path, clip, group: Group) -> None:
    """Sidecar `.npz`: per-frame per-object arrays `[T, K, ...]`, masks `(T, H, W)`, metadata."""
    spec = group.spec
    meta = {
        "objects": [
            {
                "name": o.name,
                "shape": o.shape,
                "mesh": o.mesh,
                "phantom": o.phantom,
                "source": o.source,
                "motion": o.motion,
                **({"figure": o.figure} if spec.figures else {}),
            }
            for o in spec.objects
        ],
        "fps": spec.fps,
        "variant": clip.variant,
        "events": clip.events,
        "tags": group.tags,
        "mask_values": "0 background, k+1 object k, 255 occluder",
    }
    if spec.figures:  # only then: sidecars of scenes without figures keep their bytes
        meta["figures"] = [
            {"kind": f.kind, "motion": f.motion, "segments": f.segments, "phantom": f.phantom}
            for f in spec.figures
        ]
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(
            f, masks=clip.record.masks, meta=np.array(json.dumps(meta)), **clip.record.ann
        )


def write_rows(path: Path, rows: list[dict]) -> None:
    """The per-scene rows file; written last, it marks the scene as finished."""
    atomic_write_text(path, json.dumps(rows, sort_keys=True) + "\n")
