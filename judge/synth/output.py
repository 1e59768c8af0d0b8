"""Write a rendered group to disk: mp4 clips, sidecar annotations, and its manifest rows."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from judge.io.atomic import atomic_path, atomic_write_text
from judge.io.writer import write_video
from judge.labels import PLAUSIBLE
from judge.synth.group import Group

SOURCE = "synthetic/mujoco"


def split_for(group: str, seed: int, ratios: dict[str, float]) -> str:
    """Deterministic split of a group from a hash, so shards and resumed runs agree."""
    h = int.from_bytes(hashlib.sha256(f"{seed}:{group}".encode()).digest()[:8], "big") / 2**64
    total = sum(ratios.values())
    acc = 0.0
    for name in ("train", "val", "test"):
        acc += ratios.get(name, 0.0) / total
        if h < acc:
            return name
    return "train"


def clip_stem(index: int, variant: str) -> str:
    return f"{index:06d}_{variant}"


def write_group(
    group: Group,
    out: Path,
    labels: tuple[str, ...],
    seed: int,
    splits: dict[str, float],
    preset: str = "medium",
) -> list[dict]:
    """Write every clip of the group under `out/clips/` and return its manifest rows."""
    spec = group.spec
    split = split_for(spec.group, seed, splits)
    rows = []
    for clip in group.clips:
        stem = clip_stem(spec.index, clip.variant)
        video, sidecar = f"clips/{stem}.mp4", f"clips/{stem}.npz"
        write_video(out / video, clip.record.frames, fps=spec.fps, crf=spec.crf, preset=preset)
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
        }
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
            }
            for o in spec.objects
        ],
        "fps": spec.fps,
        "variant": clip.variant,
        "events": clip.events,
        "tags": group.tags,
        "mask_values": "0 background, k+1 object k, 255 occluder",
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(
            f, masks=clip.record.masks, meta=np.array(json.dumps(meta)), **clip.record.ann
        )


def write_rows(path: Path, rows: list[dict]) -> None:
    """The per-scene rows file; written last, it marks the scene as finished."""
    atomic_write_text(path, json.dumps(rows, sort_keys=True) + "\n")
