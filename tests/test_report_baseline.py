"""The frame-difference baseline judge (judge.evaluation.baseline); tables:
test_report_tables.py."""

from __future__ import annotations

import numpy as np
import pytest

from judge.evaluation.baseline import frame_differences, frame_jump_scores, score_manifest
from judge.io.manifest import write_manifest
from judge.io.writer import write_video

T, H, W, SIZE = 24, 64, 96, 12
TELEPORT = 13


def moving_square(teleport_at: int | None = None, jump: int = 40) -> np.ndarray:
    """uint8 (T, H, W, 3): a yellow square moving 2 px a frame over grey; from frame
    ``teleport_at`` on it is ``jump`` px further right."""
    frames = np.full((T, H, W, 3), 96, dtype=np.uint8)
    for t in range(T):
        x = 4 + 2 * t + (jump if teleport_at is not None and t >= teleport_at else 0)
        frames[t, 26 : 26 + SIZE, x : x + SIZE] = (255, 230, 40)
    return frames


def test_teleport_scores_higher_than_smooth_motion_with_exact_onset():
    smooth = frame_jump_scores(moving_square())
    jumped = frame_jump_scores(moving_square(TELEPORT))
    assert 0.0 <= smooth["score"] < 0.2
    assert jumped["score"] > 0.5 and jumped["score"] > smooth["score"] + 0.4
    assert jumped["onset"] == TELEPORT
    assert jumped["diffs"].shape == (T - 1,)


def test_static_clip_scores_zero_without_crashing():
    frames = np.full((T, H, W, 3), 50, dtype=np.uint8)
    res = frame_jump_scores(frames)
    assert res["score"] == 0.0 and res["ratio"] == 0.0
    assert 1 <= res["onset"] < T


def test_grey_input_downscaling_and_too_short_clip():
    clip = moving_square(TELEPORT)
    grey = clip.mean(axis=-1).astype(np.uint8)
    assert frame_jump_scores(grey)["onset"] == TELEPORT
    assert frame_jump_scores(clip, max_side=32)["onset"] == TELEPORT
    assert frame_differences(clip, max_side=None).shape == (T - 1,)
    with pytest.raises(ValueError, match="at least 2 frames"):
        frame_jump_scores(clip[:1])
    with pytest.raises(ValueError, match="must be"):
        frame_jump_scores(clip[..., :2])


def test_score_manifest_scores_files_and_reports_bad_ones(tmp_path):
    clips = tmp_path / "clips"
    write_video(clips / "smooth.mp4", moving_square(), fps=15, crf=18)
    write_video(clips / "teleport.mp4", moving_square(TELEPORT), fps=15, crf=18)
    (clips / "empty.mp4").write_bytes(b"")
    (clips / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50)
    rows = [
        {"path": "clips/smooth.mp4", "labels": {"plausible": 1}},
        {
            "path": "clips/teleport.mp4",
            "labels": {"teleport": 1},
            "events": [{"type": "teleport", "frame": TELEPORT, "end": TELEPORT}],
        },
        {"path": "clips/empty.mp4", "labels": {}},
        {"path": "clips/corrupt.mp4", "labels": {}},
        {"path": "clips/missing.mp4", "labels": {}},
    ]
    manifest = write_manifest(tmp_path / "manifest.jsonl", rows)

    res = score_manifest(manifest, backend="auto", timeout=30)

    assert [r["path"] for r in res] == [r["path"] for r in rows]
    smooth, teleport, *bad = res
    assert smooth["status"] == teleport["status"] == "ok"
    assert smooth["error"] is None
    assert teleport["score"] > smooth["score"]
    assert teleport["onset"] == TELEPORT
    for r in bad:
        assert r["status"] == "error" and r["score"] is None and r["onset"] is None
        assert r["error"]
    assert "empty" in res[2]["error"]
