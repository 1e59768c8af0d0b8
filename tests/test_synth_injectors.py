"""Each injector does what its label claims, checked from masks, pixels and physics directly.

The injectors verify themselves with the detectors of `judge.synth.checks`; these tests look
at the segmentation masks, the frames and the physics annotations instead, and compare each
twin with its clean clip at the same frames.
"""

from __future__ import annotations

import copy

import numpy as np
from synth_fixtures import KINDS, kind_clips, mask_px, mask_rgb, objects_shown, tiny

from judge.synth.checks import GRAVITY, Thresholds, find_clipping
from judge.synth.injectors import Intervention
from judge.synth.injectors.clipping import VISIBLE_SHARE, VISIBLE_WITHIN, Clipping, changed_px

ART = tiny().artifacts
MIN_PX = ART.min_visible_px


def clips_of(kind: str) -> list[tuple]:
    pairs = kind_clips(kind, want=2)
    assert pairs, f"no {kind} twin rendered in scenes 0-5"
    return pairs


def event(clip) -> tuple[int, int]:
    ev = clip.events[0]
    return ev["frame"], ev["object"]


def test_every_kind_gets_rendered():
    assert {c.variant for kind in KINDS for _, c in kind_clips(kind, want=1)} == set(KINDS)


def test_teleport_jumps_in_the_image_keeping_its_velocity():
    for g, clip in clips_of("teleport"):
        t, k = event(clip)
        a, clean = clip.record.ann, g.clips[0].record.ann
        frame_px = max(g.spec.width, g.spec.height)
        jump_px = np.linalg.norm(a["center_px"][t, k] - a["center_px"][t - 1, k])
        natural_px = np.linalg.norm(clean["center_px"][t, k] - clean["center_px"][t - 1, k])
        assert jump_px >= ART.teleport_min_frac * frame_px > natural_px, (g.spec.index, t)
        # Farther in 3D than it could travel in one frame at its speed.
        dt = 1.0 / g.spec.fps
        speed = np.linalg.norm(a["vel"][t - 1, k])
        reach = speed * dt + GRAVITY * dt**2
        assert np.linalg.norm(a["pos"][t, k] - a["pos"][t - 1, k]) > 2 * reach
        assert np.allclose(a["vel"][t, k], clean["vel"][t, k], atol=1e-6)  # only the place changed
        assert mask_px(clip.record, k, t - 1) >= MIN_PX and mask_px(clip.record, k, t) >= MIN_PX


def test_vanish_leaves_no_pixel_in_the_open():
    for g, clip in clips_of("vanish"):
        t, k = event(clip)
        a = clip.record.ann
        assert mask_px(clip.record, k, t - 1) >= MIN_PX
        assert mask_px(clip.record, k, t) == 0 and not a["exists"][t, k]
        assert a["in_frame"][t, k] >= 0.9 and a["cover"][t, k] <= 0.5  # in view, not behind
        assert a["cover"][t - 1, k] <= ART.max_cover_frac
        assert mask_px(g.clips[0].record, k, t) >= MIN_PX  # the clean clip still shows it
        # Gone for good: it does not come back later.
        assert all(mask_px(clip.record, k, f) == 0 for f in range(t, g.spec.num_frames))


def test_appear_shows_an_object_where_there_was_none():
    for g, clip in clips_of("appear"):
        t, k = event(clip)
        a = clip.record.ann
        assert mask_px(clip.record, k, t - 1) == 0 and not a["exists"][t - 1, k]
        assert mask_px(clip.record, k, t) >= MIN_PX and a["exists"][t, k]
        assert a["in_frame"][t, k] >= 0.9 and a["cover"][t, k] <= ART.max_cover_frac
        assert g.spec.objects[k].phantom == "appear"
        assert mask_px(g.clips[0].record, k, t) == 0  # nothing of it in the clean clip


def test_clipping_sinks_one_object_into_another():
    for g, clip in clips_of("clipping"):
        t, k = event(clip)
        pen, clean_pen = clip.record.ann["penetration"][:, k], g.clips[0].record.ann["penetration"]
        assert clean_pen[t:, k].max() < 0.01  # in the clean clip the same object stays solid
        assert pen[t : t + 2].max() >= clean_pen[:, k].max() + 0.01, (g.spec.index, t, pen)
        assert mask_px(clip.record, k, t) >= MIN_PX  # ... and it is seen while it happens


def test_clipping_is_seen_in_the_pixels_soon_after_the_onset():
    for g, clip in clips_of("clipping"):
        t, k = event(clip)
        clean = g.clips[0].record
        changed = changed_px(
            clean.frames[t : t + VISIBLE_WITHIN], clip.record.frames[t : t + VISIBLE_WITHIN]
        )
        assert changed.max() >= VISIBLE_SHARE * clean.ann["visible_px"][t, k]
        assert clip.params["partner"] in ("floor", "object", "static")


def test_clipping_rejects_a_twin_that_looks_like_its_clean_clip():
    g, clip = clips_of("clipping")[0]
    clean, t = g.clips[0].record, event(clip)[0]
    ghost = copy.copy(clip.record)
    ghost.frames = clean.frames.copy()  # same interpenetration, not a pixel of it shown
    th = Thresholds.for_spec(g.spec, ART)
    iv = Intervention("clipping", t - 1, event(clip)[1], {}, None)
    assert Clipping().verify(None, clean, clip.record, t, iv, th) is None
    assert "pixels change" in Clipping().verify(None, clean, ghost, t, iv, th)


def test_clipping_draws_other_objects_as_partners_not_only_the_floor():
    """Drawn over contacts alone, 97% of twins sank into the floor; kinds are drawn first."""
    from judge.synth.group import render_group

    cfg = tiny(artifacts={"labels": ["clipping"], "twins_per_scene": 1})
    partners = []
    for index in range(12):
        for c in render_group(cfg, 5, index).clips[1:]:
            partners.append(c.params["partner"])
    assert partners.count("object") >= 2, partners
    assert partners.count("floor") >= 2, partners


def test_morph_changes_colour_size_or_shape_in_place():
    modes = set()
    for g, clip in kind_clips("morph", want=6, indices=range(8)):
        t, k = event(clip)
        rec, clean = clip.record, g.clips[0].record
        mode = clip.params["mode"]
        modes.add(mode)
        if mode == "colour":
            before, after = mask_rgb(rec, k, t - 1), mask_rgb(rec, k, t)
            assert before is not None and after is not None
            clean_after = mask_rgb(clean, k, t)
            assert np.linalg.norm(after - before) >= 30, (before, after)
            assert np.linalg.norm(after - before) > np.linalg.norm(clean_after - before) + 20
            assert abs(mask_px(rec, k, t) - mask_px(clean, k, t)) <= 2  # same silhouette
        else:
            r = clip.params["replacement"]
            a = rec.ann
            assert mask_px(rec, k, t - 1) >= MIN_PX and mask_px(rec, k, t) == 0
            assert mask_px(rec, r, t) >= MIN_PX and mask_px(rec, r, t - 1) == 0
            # Where the original would be (horizontally; heights differ with the new size).
            assert np.linalg.norm(a["pos"][t, r, :2] - clean.ann["pos"][t, k, :2]) < 0.05
            if mode == "shape":
                assert a["shape"][t, r] != a["shape"][t - 1, k]
            else:
                ratio = a["size"][t, r].max() / a["size"][t - 1, k].max()
                assert not 0.7 < ratio < 1.4, ratio
                px_ratio = mask_px(rec, r, t) / mask_px(clean, k, t)
                assert not 0.8 <= px_ratio <= 1.25, px_ratio
    assert len(modes) >= 2, f"morph modes seen in scenes 0-7: {modes}"


def test_duplicate_adds_one_identical_object_beside_the_original():
    for g, clip in clips_of("duplicate"):
        t, k = event(clip)
        rec, clean = clip.record, g.clips[0].record
        c = clip.params["copy"]
        assert objects_shown(rec, MIN_PX, t - 1) == objects_shown(clean, MIN_PX, t - 1)
        assert objects_shown(rec, MIN_PX, t) == objects_shown(clean, MIN_PX, t) + 1
        assert mask_px(rec, c, t - 1) == 0 and mask_px(rec, c, t) >= MIN_PX
        assert mask_px(rec, k, t) >= MIN_PX
        a = rec.ann
        for name in ("shape", "size", "rgba"):
            assert np.array_equal(a[name][t, c], a[name][t, k]), name
        gap = np.linalg.norm(a["pos"][t, c] - a["pos"][t, k])
        assert 2 * g.spec.objects[k].radius() <= gap + 1e-6 < 4 * g.spec.objects[k].radius()


def test_levitate_rises_or_hangs_without_support():
    for g, clip in clips_of("levitate"):
        t, k = event(clip)
        a, T = clip.record.ann, g.spec.num_frames
        dt = 1.0 / g.spec.fps
        z, contact = a["pos"][:, k, 2], a["contact"][:, k]
        free = [f for f in range(t, min(t + 4, T - 1)) if not contact[f] and not contact[f + 1]]
        assert free, f"still supported after the onset: contact {contact[t:].astype(int)}"
        for f in free:
            assert z[f + 1] - 2 * z[f] + z[f - 1] > -0.5 * GRAVITY * dt**2, (f, z)
        # Higher than the clean clip's object at the end: it did not fall the way it should.
        assert z[-1] > g.clips[0].record.ann["pos"][-1, k, 2] + 0.01


def test_levitate_still_going_at_the_last_frame_has_no_end():
    ongoing = []
    for g, clip in kind_clips("levitate", want=4):
        t, k = event(clip)
        a, T = clip.record.ann, g.spec.num_frames
        z = a["pos"][:, k, 2]
        if (
            mask_px(clip.record, k, T - 1) >= MIN_PX
            and not a["contact"][T - 3 :, k].any()
            and z[T - 1] > z[T - 2] > z[T - 3]
        ):
            ongoing.append((g.spec.index, t, clip.events[0]["end"]))
    assert ongoing, "no levitate twin still rising in view at the end: the test shows nothing"
    assert all(end is None for _, _, end in ongoing), f"(scene, onset, end): {ongoing}"


def test_single_frame_events_end_where_they_start():
    for kind in ("teleport", "vanish", "appear", "morph", "duplicate"):
        for _, clip in kind_clips(kind, want=2):
            ev = clip.events[0]
            assert ev["end"] == ev["frame"], (kind, ev)


def test_revealed_objects_are_solid():
    """An appear/duplicate/morph twin shows its artifact, not also clipping (labels say 0)."""
    th = Thresholds(dt=1 / 15, frame_px=64, min_visible_px=MIN_PX)
    bad = []
    for kind in ("appear", "duplicate", "morph"):
        for g, clip in kind_clips(kind, want=3):
            t, k = event(clip)
            revealed = {
                "appear": k,
                "duplicate": clip.params.get("copy"),
                "morph": clip.params.get("replacement"),
            }[kind]
            if revealed is None:  # a morph by colour reveals nothing
                continue
            z = clip.record.ann["pos"][t:, revealed, 2]
            hits = [(f, o) for f, o in find_clipping(clip.record.ann, th) if f >= t]
            if hits or z.min() < 0:
                bad.append((kind, g.spec.index, hits[:3], np.round(z, 3).tolist()))
    assert not bad, f"revealed objects clipping or below the floor: {bad}"
