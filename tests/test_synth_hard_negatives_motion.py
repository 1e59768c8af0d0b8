"""Driven plausible motion as hard negatives: hands, platforms, strings and camera moves.

Each tag must be staged and confirmed within a few scenes with no artifact detector firing, its
rig must show in the frames, its check must reject the same scene with the rig disabled, and its
scenes must still take artifact twins.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from synth_fixtures import TAGS, group, tiny

from judge.labels import HARD_NEGATIVE_TAGS
from judge.synth.checks import Thresholds, find_all
from judge.synth.config import ConfigError, SynthConfig
from judge.synth.hard_negatives import verify_hard_negative
from judge.synth.mjcf import GROUP_HIDDEN
from judge.synth.rigs import GROUP_RIG
from judge.synth.sampling import sample_scene
from judge.synth.simulate import Scene

RIG_TAGS = ("hand_carry", "hand_push", "platform_ride", "string_swing")
MOTION_TAGS = (*RIG_TAGS, "camera_move", "wall_bounce", "throw_bounce", "fast_occluder")
ART = tiny().artifacts


def _cfg(tag: str, **artifacts) -> SynthConfig:
    return tiny(
        artifacts={
            "hard_negative_fraction": 1.0,
            "hard_negatives": [tag],
            "twins_per_scene": 0,
            **artifacts,
        }
    )


def _clean(spec):
    """Render a spec's clean clip; returns `(scene, clip)` (the caller closes the scene)."""
    scene = Scene(spec)
    return scene, scene.run(keep_states=True)


def _verified(spec, tag: str) -> bool:
    scene, clean = _clean(spec)
    try:
        return verify_hard_negative(tag, scene, clean, Thresholds.for_spec(spec, ART))
    finally:
        scene.close()


def test_new_tags_are_known_but_not_in_the_default_mix():
    assert set(MOTION_TAGS) <= set(HARD_NEGATIVE_TAGS)
    # Defaults keep the original six, so default scenes keep their bytes.
    assert SynthConfig().artifacts.hard_negatives == TAGS


@pytest.mark.parametrize("tag", MOTION_TAGS)
def test_motion_tag_is_confirmed_plausible_and_its_rig_is_visible(tag):
    g = next((g for i in range(4) if (g := group(0, i, artifacts=_art(tag))).tags), None)
    assert g is not None, f"{tag} not confirmed in 4 scenes"
    assert g.tags == [tag]
    th = Thresholds.for_spec(g.spec, ART)
    assert not any(find_all(g.clips[0].record.ann, th).values())
    if tag == "camera_move":
        cam = g.spec.camera
        assert cam.eye0 != cam.eye1 or cam.zoom
    if tag not in RIG_TAGS:
        return
    # Hiding the rig's geoms changes the picture: the hand / platform / frame is on screen.
    scene = Scene(g.spec)
    try:
        rig_geoms = scene.rig.all_geoms()
        model = copy.deepcopy(scene.model)
        changed = 0
        for t in (0, g.spec.num_frames // 2, g.spec.num_frames - 1):
            data = _data_at(scene, model, g.clips[0].record, t)
            with_rig = scene.renderer.render(model, data)[0]
            model.geom_group[rig_geoms] = GROUP_HIDDEN
            without = scene.renderer.render(model, data)[0]
            model.geom_group[rig_geoms] = GROUP_RIG
            changed = max(changed, int((np.abs(with_rig.astype(int) - without).sum(-1) > 30).sum()))
        assert changed >= 15, f"{tag}: the rig shows on only {changed} pixels"
    finally:
        scene.close()


def _art(tag: str) -> dict:
    return {"hard_negative_fraction": 1.0, "hard_negatives": [tag], "twins_per_scene": 0}


def _data_at(scene, model, record, t: int):
    import mujoco

    from judge.synth.camera import mat_to_quat
    from judge.synth.simulate import STATE

    data = mujoco.MjData(model)
    mujoco.mj_setState(model, data, record.states[t], STATE)
    mujoco.mj_forward(model, data)
    eye, rot = scene.camera_poses[t]
    model.cam_pos[0], model.cam_quat[0] = eye, mat_to_quat(rot)
    mujoco.mj_camlight(model, data)
    return data


def test_carried_object_rises_only_while_the_hand_holds_it():
    shown = 0
    for i in range(3):
        spec = sample_scene(_cfg("hand_carry"), 0, i)
        scene, clean = _clean(spec)
        scene.close()
        rig = spec.rigs[0]
        held = clean.rigs[:, 0, 3] > 0.5
        z = clean.ann["pos"][:, rig.load, 2]
        lifted = z > rig.extra["rest_z"] + 0.03
        assert held.any() and lifted.any(), (i, rig.extra)
        assert not (lifted & ~held).any(), (i, z.round(3), held)
        shown += 1
    assert shown == 3


def _disable(tag: str, spec) -> None:
    """Break the mechanism that makes the event: the check must then reject the scene."""
    if tag == "hand_carry":
        spec.rigs[0].grip_window = (0.0, 0.0)  # the hand never takes hold
    elif tag == "hand_push":
        spec.rigs[0].keys = tuple((t, x, y, z + 1.0) for t, x, y, z in spec.rigs[0].keys)
    elif tag == "platform_ride":
        spec.rigs[0].keys = ()  # the platform stays put
    elif tag == "string_swing":
        spec.rigs[0].rope = None  # nothing holds the object up
    elif tag == "wall_bounce":
        spec.occluders.pop()  # no board to bounce off
    elif tag == "fast_occluder":
        spec.occluders.clear()  # nothing to pass behind
    elif tag == "throw_bounce":
        o = next(o for o in spec.objects if o.motion == "throw_bounce")
        o.linvel = (0.0, 0.0, 0.0)  # dropped, not thrown
    else:
        spec.camera.eye1, spec.camera.zoom = spec.camera.eye0, 0.0
        spec.camera.shake_deg = spec.camera.shake_m = 0.0


@pytest.mark.parametrize("tag", MOTION_TAGS)
def test_check_rejects_the_scene_without_its_mechanism(tag):
    cfg = _cfg(tag)
    spec = next(s for i in range(6) if (s := sample_scene(cfg, 0, i)).hard_negative == tag)
    assert _verified(copy.deepcopy(spec), tag), f"{tag}: the staged scene itself fails"
    _disable(tag, spec)
    assert not _verified(spec, tag), f"{tag}: confirmed without its mechanism"


@pytest.mark.parametrize("tag", MOTION_TAGS)
def test_motion_scenes_still_take_artifact_twins(tag):
    made = set()
    for kind in ("levitate", "teleport", "vanish"):
        for i in range(2):
            g = group(0, i, artifacts={**_art(tag), "labels": [kind], "twins_per_scene": 1})
            if g.tags == [tag] and [c.variant for c in g.clips[1:]] == [kind]:
                clip = g.clips[1]
                onset = clip.events[0]["frame"]
                assert np.array_equal(clip.record.frames[:onset], g.clips[0].record.frames[:onset])
                made.add(kind)
                break
    assert made == {"levitate", "teleport", "vanish"}, f"{tag}: twins made {made}"


def test_hard_negative_weights_choose_the_mix():
    cfg = tiny(
        artifacts={
            "hard_negative_fraction": 1.0,
            "hard_negatives": ["bounce", "hand_carry", "camera_move"],
            "hard_negative_weights": {"bounce": 0, "camera_move": 0},
            "twins_per_scene": 0,
        }
    )
    assert {sample_scene(cfg, 0, i).hard_negative for i in range(8)} == {"hand_carry"}
    with pytest.raises(ConfigError, match="hard_negative_weights"):
        tiny(artifacts={"hard_negatives": ["bounce"], "hard_negative_weights": {"hand_push": 1}})
    with pytest.raises(ConfigError, match="every tag has weight 0"):
        tiny(artifacts={"hard_negatives": ["bounce"], "hard_negative_weights": {"bounce": 0}})


def test_rigs_stay_out_of_the_objects_and_keep_other_objects_clear():
    spec = sample_scene(_cfg("hand_carry"), 0, 0)
    assert spec.rigs and all(o.motion != "hand" for o in spec.objects)
    load = spec.rigs[0].load
    a = np.asarray(spec.objects[load].pos[:2])
    for k, o in enumerate(spec.objects):
        if k != load and o.phantom is None and o.motion in ("rest", "roll", "slide"):
            assert np.linalg.norm(np.asarray(o.pos[:2]) - a) > o.radius() + 0.1


def test_hand_scene_renders_the_same_twice_on_one_model():
    """The grip writes its hold into the model; a second run (and a fresh scene) repeat it."""
    spec = next(
        s
        for i in range(4)
        if (s := sample_scene(_cfg("hand_carry"), 0, i)).rigs
        and s.rigs[0].extra["variant"] != "carry_in"
    )
    scene = Scene(spec)
    try:
        first, second = scene.run(), scene.run()
    finally:
        scene.close()
    other, again = _clean(spec)
    other.close()
    assert (first.rigs[:, 0, 3] > 0.5).any()
    for rec in (second, again):
        assert np.array_equal(first.frames, rec.frames)
        assert np.array_equal(first.rigs, rec.rigs, equal_nan=True)


@pytest.mark.parametrize("preset", ["varied", "wide"])
def test_wider_presets_mix_in_the_new_tags(preset):
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from judge.paths import config_dir

    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        c = compose("synth", overrides=[f"synth={preset}"])
    a = SynthConfig.from_dict(OmegaConf.to_container(c.synth, resolve=True)).artifacts
    assert set(MOTION_TAGS) <= set(a.hard_negatives)
    assert a.hard_negative_weights["fast_throw"] > 1
