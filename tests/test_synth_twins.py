"""Scene groups: same inputs give the same clips, and artifact twins branch off the clean clip.

Every twin must equal its clean clip up to the onset and differ at it; a twin branched from the
clean clip's saved state must be the twin one would get by simulating from frame 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from synth_fixtures import KINDS, forced, group, kind_clips, tiny

from judge.synth.checks import Thresholds
from judge.synth.group import first_difference, render_group
from judge.synth.injectors import INJECTORS
from judge.synth.sampling import sample_scene
from judge.synth.simulate import Scene

# Annotations that follow from the physics state and the camera alone (not from the rendering).
PHYSICAL = (
    "exists",
    "pos",
    "vel",
    "contact",
    "penetration",
    "size",
    "rgba",
    "shape",
    "center_px",
    "depth",
    "in_frame",
    "amodal_px",
    "amodal_bbox",
)


@pytest.fixture(scope="module")
def groups():
    """Eight scenes of the tiny preset, two twins each."""
    return [group(0, i) for i in range(8)]


def all_twins(groups) -> list[tuple]:
    """(group, clip) for every artifact twin here and in the one-kind scenes (all 7 kinds)."""
    pairs = [(g, c) for g in groups for c in g.clips[1:]]
    for kind in KINDS:
        pairs += kind_clips(kind, want=1)
    return pairs


def test_same_seed_and_index_give_the_same_group(groups):
    cfg = tiny()
    for g in groups[:2]:
        again = render_group(cfg, 0, g.spec.index)  # not cached: rendered afresh
        assert [c.variant for c in again.clips] == [c.variant for c in g.clips]
        assert again.tags == g.tags
        for a, b in zip(g.clips, again.clips, strict=True):
            assert np.array_equal(a.record.frames, b.record.frames), (g.spec.index, a.variant)
            assert np.array_equal(a.record.masks, b.record.masks), (g.spec.index, a.variant)
            for name, arr in a.record.ann.items():
                assert np.array_equal(arr, b.record.ann[name]), (g.spec.index, a.variant, name)
            assert a.events == b.events and a.params == b.params


def test_other_seed_or_index_gives_another_scene(groups):
    g = groups[0]
    other_seed = render_group(tiny(), 1, g.spec.index)
    assert other_seed.clips[0].record.frames.shape == g.clips[0].record.frames.shape
    assert not np.array_equal(other_seed.clips[0].record.frames, g.clips[0].record.frames)
    assert not np.array_equal(groups[1].clips[0].record.frames, g.clips[0].record.frames)


def test_groups_hold_a_clean_clip_and_their_twins(groups):
    for g in groups:
        assert g.clips[0].variant == "clean" and g.clips[0].events == []
        made = [c.variant for c in g.clips[1:]]
        assert sorted(made + g.failed) == sorted(g.spec.artifacts)
        for c in g.clips[1:]:
            assert len(c.events) == 1 and c.events[0]["type"] == c.variant
            assert 0 <= c.events[0]["object"] < len(g.spec.objects)


def test_every_twin_equals_clean_before_onset_and_differs_at_it(groups):
    pairs = all_twins(groups)
    assert {c.variant for _, c in pairs} == set(KINDS)
    for g, twin in pairs:
        clean = g.clips[0].record
        onset = twin.events[0]["frame"]
        where = (g.spec.index, twin.variant, onset)
        assert 1 <= onset < g.spec.num_frames, where
        for t in range(onset):
            assert np.array_equal(twin.record.frames[t], clean.frames[t]), (*where, t)
            assert np.array_equal(twin.record.masks[t], clean.masks[t]), (*where, t)
        assert not np.array_equal(twin.record.frames[onset], clean.frames[onset]), where
        end = twin.events[0]["end"]
        assert end is None or onset <= end < g.spec.num_frames, where


@pytest.fixture(scope="module")
def resimulated():
    """Per kind: an intervention proposed on a fresh scene, rendered branched and from frame 0."""
    out = {}
    for kind in KINDS:
        g, _ = kind_clips(kind, want=1)[0]
        th = Thresholds.for_spec(g.spec, tiny(artifacts=forced(kind)).artifacts)
        scene = Scene(g.spec)
        try:
            clean = scene.run(keep_states=True)
            for seed in range(8):
                iv = INJECTORS[kind].propose(scene, clean, np.random.default_rng(seed), th)
                if iv is not None:
                    break
            assert iv is not None, f"{kind}: no intervention proposed in scene {g.spec.index}"
            branched = scene.run(injector=iv, branch=clean, start=iv.branch)
            full = scene.run(injector=iv)
        finally:
            scene.close()
        out[kind] = (iv, clean, branched, full)
    return out


def test_resimulated_twin_has_the_branched_twins_physics(resimulated):
    for kind, (iv, clean, branched, full) in resimulated.items():
        assert iv.branch >= 1, kind
        for name in PHYSICAL:
            assert np.array_equal(branched.ann[name], full.ann[name]), (kind, name)
        assert np.array_equal(branched.masks, full.masks), kind
        # ... and the intervention really changes something (else this proves little).
        changed = ("pos", "exists", "rgba", "shape", "size", "penetration")
        assert any(not np.array_equal(full.ann[n], clean.ann[n]) for n in changed), kind


def test_resimulated_twin_has_the_branched_twins_frames(resimulated):
    bad = {}
    for kind, (_, _, branched, full) in resimulated.items():
        differ = [
            t
            for t in range(len(full.frames))
            if not np.array_equal(branched.frames[t], full.frames[t])
        ]
        if differ:
            bad[kind] = differ
    assert not bad, f"frames that differ between branched and re-simulated twins: {bad}"


class NoChange:
    """An intervention that changes nothing: its twin must be the clean clip itself."""

    def apply(self, scene, model, data, t):
        pass


def _noop_twin(scene_settings: dict, index: int):
    cfg = tiny(
        scene=scene_settings, artifacts={"twins_per_scene": 0, "hard_negative_fraction": 0.0}
    )
    spec = sample_scene(cfg, 0, index)
    scene = Scene(spec)
    try:
        clean = scene.run(keep_states=True)
        start = spec.num_frames // 2
        twin = scene.run(injector=NoChange(), branch=clean, start=start)
    finally:
        scene.close()
    return spec, clean, twin, start


def test_noop_twin_equals_clean_with_a_still_camera():
    spec, clean, twin, start = _noop_twin({"camera_motion_prob": 0.0}, 0)
    assert spec.camera.eye0 == spec.camera.eye1
    assert first_difference(clean.frames, twin.frames, start) is None
    for name in PHYSICAL:
        assert np.array_equal(clean.ann[name], twin.ann[name]), name


def test_noop_twin_equals_clean_with_a_moving_camera():
    spec, clean, twin, start = _noop_twin({"camera_motion_prob": 1.0}, 0)
    assert not np.allclose(spec.camera.eye0, spec.camera.eye1)
    for name in PHYSICAL:  # the physics agrees; only the pixels do not
        assert np.array_equal(clean.ann[name], twin.ann[name]), name
    onset = first_difference(clean.frames, twin.frames, start)
    assert onset is None, f"a twin that changes nothing gets onset {onset}"
