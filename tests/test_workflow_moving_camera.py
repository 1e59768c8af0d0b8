"""Real windows seen through a moving camera (judge.workflow.moving_camera_set): plausible
clips that glide, never jump, one per clean window."""

from __future__ import annotations

import json

import numpy as np

from judge.io.manifest import read_manifest
from judge.io.video import read_frames
from judge.io.writer import write_video
from judge.workflow import moving_camera_set


def _still_window(path, seed):
    rng = np.random.default_rng(seed)
    # A smooth still scene: coarse random blocks, the same on every frame.
    scene = np.kron(rng.integers(0, 255, (8, 10, 3)), np.ones((8, 8, 1))).astype(np.uint8)
    return write_video(path, np.repeat(scene[None], 16, axis=0), fps=15, crf=12)


def test_every_clean_window_becomes_one_plausible_moving_clip(tmp_path):
    src = tmp_path / "spliced"
    rows = []
    for i, variant in enumerate(("clean", "vanish", "clean")):
        _still_window(src / "clips" / f"w{i}.mp4", seed=i)
        labels = {"plausible": int(variant == "clean"), "vanish": int(variant == "vanish")}
        rows.append({"path": f"clips/w{i}.mp4", "group": f"g{i}", "source": "spliced/mine",
                     "split": "test", "variant": variant, "labels": labels, "fps": 15.0,
                     "crf": 12})  # fmt: skip
    (src / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    manifest = moving_camera_set(src / "manifest.jsonl", tmp_path / "moving", seed=0)
    out = read_manifest(manifest)
    assert [r["group"] for r in out] == ["g0", "g2"]  # the clean windows only
    for r in out:
        assert r["source"] == "real-moving/mine" and r["labels"]["plausible"] == 1
        frames, info = read_frames(manifest.parent / r["path"], None)
        assert frames.shape == (16, 64, 64, 3) and info["fps"] == 15.0
        step = np.abs(np.diff(frames.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))
        assert (step > 0.5).all()  # the still scene moves on every frame
        assert step.max() < 4 * np.median(step)  # and never jumps
    before = manifest.read_bytes()
    assert moving_camera_set(src / "manifest.jsonl", tmp_path / "moving") == manifest
    assert manifest.read_bytes() == before  # made once
