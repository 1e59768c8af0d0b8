"""Shared helpers for the tests/test_synth_*.py modules: the tiny preset and cached renders.

Rendering is the slow part of these tests, so every group is rendered at most once per test
session (`group()` caches on the exact settings) and tests only read what it returns. Import
what you need: `from synth_fixtures import group, tiny, ...` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from pathlib import Path

import numpy as np

from judge.synth.config import SynthConfig

# Mirrors configs/synth/tiny.yaml (the defaults of every other setting come from the dataclasses).
TINY = {
    "render": {"sizes": [[64, 64]], "num_frames": [16], "shadow_size": 512},
    "artifacts": {"min_visible_px": 12},
}
KINDS = ("teleport", "clipping", "vanish", "appear", "morph", "duplicate", "levitate")
TAGS = ("exit_frame", "occluder_pass", "occluder_stay", "fast_throw", "depth_overlap", "bounce")


def tiny_dict(
    render: dict | None = None, scene: dict | None = None, artifacts: dict | None = None
) -> dict:
    """The tiny preset as plain dicts, with some keys of each section replaced."""
    d = copy.deepcopy(TINY)
    for key, extra in (("render", render), ("scene", scene), ("artifacts", artifacts)):
        if extra:
            d.setdefault(key, {}).update(extra)
    return d


def tiny(
    render: dict | None = None, scene: dict | None = None, artifacts: dict | None = None
) -> SynthConfig:
    return SynthConfig.from_dict(tiny_dict(render, scene, artifacts))


@functools.cache
def _render(settings: str, seed: int, index: int):
    from judge.synth.group import render_group

    return render_group(SynthConfig.from_dict(json.loads(settings)), seed, index)


def group(
    seed: int,
    index: int,
    render: dict | None = None,
    scene: dict | None = None,
    artifacts: dict | None = None,
):
    """`render_group` on the tiny preset (with overrides), rendered once per test session.

    The returned `Group` is shared between tests: read it, never modify it.
    """
    settings = json.dumps(tiny_dict(render, scene, artifacts), sort_keys=True)
    return _render(settings, seed, index)


def forced(kind: str) -> dict:
    """Artifact settings that give every scene exactly one twin, of this kind."""
    return {"labels": [kind], "twins_per_scene": 1}


def kind_clips(kind: str, want: int = 2, indices=range(6)) -> list[tuple]:
    """Up to `want` `(group, clip)` pairs with a `kind` twin, from scenes rendered for it alone."""
    out = []
    for index in indices:
        g = group(0, index, artifacts=forced(kind))
        out += [(g, c) for c in g.clips[1:] if c.variant == kind]
        if len(out) >= want:
            break
    return out[:want]


def mask_px(record, obj: int, t: int) -> int:
    """Pixels of object `obj` in the segmentation mask of frame t (mask value obj + 1)."""
    return int((record.masks[t] == obj + 1).sum())


def mask_rgb(record, obj: int, t: int) -> np.ndarray | None:
    """Mean RGB of the frame's pixels under object `obj`'s mask, None if it shows no pixel."""
    sel = record.masks[t] == obj + 1
    return record.frames[t][sel].astype(float).mean(0) if sel.any() else None


def objects_shown(record, min_px: int, t: int) -> int:
    """How many objects show at least `min_px` mask pixels in frame t."""
    values, counts = np.unique(record.masks[t], return_counts=True)
    return int(sum(1 for v, c in zip(values, counts, strict=True) if 0 < v < 255 and c >= min_px))


def sha256_tree(folder: Path) -> dict[str, str]:
    """sha256 of every regular file under `folder` (relative path -> digest)."""
    folder = Path(folder)
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def dataset_digest(out: Path) -> dict[str, str]:
    """What must repeat byte for byte in a generated folder: manifest, per-scene rows and clips.

    Hidden temporary files of atomic writes (".name.XXXX.tmp.ext") are left out; logs too.
    """
    out = Path(out)
    digest = {"manifest.jsonl": hashlib.sha256((out / "manifest.jsonl").read_bytes()).hexdigest()}
    for sub in ("clips", "rows"):
        digest.update(
            {
                f"{sub}/{k}": v
                for k, v in sha256_tree(out / sub).items()
                if not Path(k).name.startswith(".")
            }
        )
    return digest
