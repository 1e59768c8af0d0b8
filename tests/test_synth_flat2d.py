"""The second renderer (judge/synth/flat2d.py): deterministic, twins equal before their
measured onset and different at it, every artifact kind present, rows in the manifest format."""

from __future__ import annotations

import json

import numpy as np
import pytest

from judge.io.manifest import read_manifest
from judge.labels import ARTIFACT_LABELS, PLAUSIBLE
from judge.synth.flat2d import (
    ARTIFACTS,
    SOURCE,
    first_visible_change,
    generate,
    render_frame,
    sample_scene,
    simulate,
)


def _frames(scene, kind, target, onset):
    noise = np.random.default_rng(7)
    return np.stack([render_frame(scene, s, noise) for s in simulate(scene, kind, target, onset)])


@pytest.mark.parametrize("kind", ARTIFACTS)
def test_a_twin_equals_its_clean_clip_until_the_artifact(kind):
    scene = sample_scene(0, 5)
    clean = _frames(scene, None, 0, -1)
    onset = scene.num_frames // 2
    twin = _frames(scene, kind, 0, onset)
    assert clean.dtype == np.uint8
    assert clean.shape == (scene.num_frames, scene.height, scene.width, 3)
    np.testing.assert_array_equal(twin[:onset], clean[:onset])
    assert not np.array_equal(twin, clean)  # something changed after the onset


def test_first_visible_change_ignores_faint_and_tiny_differences():
    clean = np.zeros((5, 8, 8, 3), np.uint8)
    twin = clean.copy()
    twin[1, :, :] = 20  # faint everywhere: not visible
    twin[2, 0, :5] = 255  # strong but 5 pixels: below 6
    assert first_visible_change(clean, twin) is None
    twin[3, 0, :6] = 255
    assert first_visible_change(clean, twin) == 3


def test_generate_writes_the_same_labelled_set_twice(tmp_path):
    a = generate(tmp_path / "a", 8, seed=3)
    b = generate(tmp_path / "b", 8, seed=3)
    assert a.read_text() == b.read_text()
    rows = read_manifest(a)
    kinds = {r["variant"] for r in rows}
    assert kinds == {"clean", *ARTIFACTS}  # 8 scenes show every kind at least once
    for r in rows:
        assert (tmp_path / "a" / r["path"]).is_file()
        assert r["source"] == SOURCE and r["split"] == "test"
        assert set(r["labels"]) == {*ARTIFACT_LABELS, PLAUSIBLE}
        if r["variant"] == "clean":
            assert r["labels"][PLAUSIBLE] == 1 and r["events"] == []
        else:
            assert r["labels"][PLAUSIBLE] == 0 and r["labels"][r["variant"]] == 1
            (event,) = r["events"]
            assert event["type"] == r["variant"]
            assert 0 < event["frame"] < r["num_frames"]
            x0, y0, x1, y1 = event["bbox"]
            assert 0 <= x0 < x1 < r["width"] and 0 <= y0 < y1 < r["height"]
    groups = {r["group"] for r in rows}
    assert len(groups) == 8 and sum(r["variant"] == "clean" for r in rows) == 8
    assert json.loads(a.read_text().splitlines()[0])["path"].startswith("clips/")
