"""The frame-difference baseline judge and the metrics tables (judge.report)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from judge.io.manifest import write_manifest
from judge.io.writer import write_video
from judge.report.baseline import frame_differences, frame_jump_scores, score_manifest
from judge.report.tables import metrics_markdown, write_metrics

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


COLUMNS = {
    "judge": {
        "auroc": 0.91,
        "teleport/auroc": 0.95,
        "teleport/ap": 0.9,
        "vanish/auroc": 0.87,
        "vanish/ap": float("nan"),
        "ece": 0.04,
        "onset_acc": 0.8,
    },
    "frame-difference baseline": {"auroc": 0.6, "teleport/auroc": np.float32(0.7)},
}
LABELS = ["teleport", "vanish"]


def test_metrics_markdown_table():
    md = metrics_markdown(COLUMNS, LABELS)
    lines = md.splitlines()
    assert lines[0] == "| metric | judge | frame-difference baseline |"
    assert lines[1].startswith("|---|")
    assert "| macro AUROC | 0.910 | 0.600 |" in lines
    assert "| teleport AUROC | 0.950 | 0.700 |" in lines
    for label in LABELS:
        assert any(line.startswith(f"| {label} AUROC |") for line in lines)
        assert any(line.startswith(f"| {label} AP |") for line in lines)
    assert "| vanish AP | - | - |" in lines  # NaN and absent both show as "-"
    assert "| ECE | 0.040 | - |" in lines
    assert any(line.startswith("| onset accuracy") for line in lines)
    assert len(lines) == 2 + 1 + 2 * len(LABELS) + 2


def test_write_metrics_writes_parseable_json_and_markdown(tmp_path):
    pj, pm = write_metrics(
        tmp_path / "m" / "metrics.json", tmp_path / "metrics.md", COLUMNS, LABELS
    )
    data = json.loads(pj.read_text(encoding="utf-8"))
    assert data["labels"] == LABELS
    assert data["columns"]["judge"]["vanish/ap"] is None
    assert math.isclose(
        data["columns"]["frame-difference baseline"]["teleport/auroc"], 0.7, rel_tol=1e-6
    )
    assert pm.read_text(encoding="utf-8") == metrics_markdown(COLUMNS, LABELS)
    assert not [p for p in tmp_path.rglob("*.tmp*")]
