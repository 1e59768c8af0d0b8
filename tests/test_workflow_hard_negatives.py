"""The test family of staged plausible motion (judge.workflow.hard_negative_set): every scene
staged as a hard negative, listed as the family hard-negatives, made once."""

from __future__ import annotations

from judge.evaluation.clip_metrics import row_source, source_family
from judge.io.manifest import read_manifest, resolve_path
from judge.workflow import HARD_NEGATIVES, hard_negative_set

SMALL = {
    "render": {"sizes": [[64, 64]], "num_frames": [16], "shadow_size": 512},
    # The preset's weights and share are replaced: every scene staged, the tags drawn alike.
    "artifacts": {"hard_negatives": ["bounce", "exit_frame"], "hard_negative_fraction": 0.0,
                  "hard_negative_weights": {"bounce": 5.0}, "twins_per_scene": 1,
                  "min_visible_px": 12},
    "holdout": {"floor": ["checker"]},  # such scenes join the family, not held-out
}  # fmt: skip


def test_every_scene_is_staged_and_listed_as_its_own_family(tmp_path):
    manifest, seconds = hard_negative_set(SMALL, tmp_path / "hn", 3, seed=0, workers=1)
    assert seconds is not None and seconds > 0
    rows = read_manifest(manifest)
    clean = [r for r in rows if r["variant"] == "clean"]
    assert len(clean) == 3 and len(rows) > 3  # twins come too
    assert all(r["tags"] and set(r["tags"]) <= {"bounce", "exit_frame"} for r in clean)
    for r in rows:
        assert source_family(row_source(r)) == HARD_NEGATIVES
        assert resolve_path(manifest, r["path"]).exists()
    again, seconds = hard_negative_set(SMALL, tmp_path / "hn", 3, seed=0, workers=1)
    assert again == manifest and seconds is None
