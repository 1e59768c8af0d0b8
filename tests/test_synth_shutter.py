"""The renderer's shutter (judge/synth/shutter.py): a moving object becomes a streak as long as
its motion over the open interval, behind it and never ahead or across a jump; nothing else in a
scene, its annotations or its twins changes."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
from synth_fixtures import TINY, group, tiny

from judge.synth.config import ConfigError, SynthConfig
from judge.synth.render import SceneRenderer
from judge.synth.sampling import sample_scene
from judge.synth.shutter import expose

# A grey ball above a dark floor, seen from straight above: 1 m across 64 px, x to the right.
TOP_VIEW = """
<mujoco>
  <visual><quality offsamples="0"/></visual>
  <worldbody>
    <light pos="0 0 3" dir="0 0 -1" directional="true"/>
    <geom type="plane" size="2 2 .1" rgba=".1 .1 .1 1"/>
    <camera name="top" pos="0 0 {height}" xyaxes="1 0 0 0 1 0" fovy="{fovy}"/>
    <body pos="0 0 .2"><freejoint/><geom type="sphere" size=".08" rgba=".9 .9 .9 1"/></body>
  </worldbody>
</mujoco>
"""
SIZE, HEIGHT = 64, 2.0
PX_PER_M = SIZE / 1.0


@pytest.fixture(scope="module")
def top_view():
    fovy = float(np.degrees(2 * np.arctan(0.5 / (HEIGHT - 0.2))))  # 1 m across at the ball
    model = mujoco.MjModel.from_xml_string(TOP_VIEW.format(height=HEIGHT, fovy=fovy))
    renderer = SceneRenderer(model, SIZE, SIZE)
    yield model, renderer
    renderer.close()


def _shot(model, renderer, x: float, vx: float, shutter: float, fps: float = 10.0):
    """The instant's frame and the exposed one, the ball at `x` moving at `vx` m/s."""
    data = mujoco.MjData(model)
    data.qpos[0], data.qvel[0] = x, vx
    mujoco.mj_forward(model, data)
    rgb = renderer.render(model, data)[0]
    camera = (model.cam_pos[0].copy(), model.cam_quat[0].copy(), float(model.cam_fovy[0]))
    qpos = data.qpos.copy()
    out = expose(renderer, model, data, rgb, shutter, fps, 16, camera)
    assert np.array_equal(data.qpos, qpos), "expose must leave the physics state alone"
    assert np.array_equal(model.cam_pos[0], camera[0]) and model.cam_fovy[0] == camera[2]
    return rgb, out


def _ball_columns(frame: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Columns of the image centre row that the ball lights (brighter than the bare floor)."""
    gain = frame[SIZE // 2].astype(int).sum(axis=1) - floor[SIZE // 2].astype(int).sum(axis=1)
    return np.flatnonzero(gain > 20)


def _floor(model, renderer) -> np.ndarray:
    return _shot(model, renderer, 5.0, 0.0, 0.5)[0]  # the ball out of view


def test_a_moving_ball_streaks_behind_itself_by_its_motion_over_the_open_shutter(top_view):
    model, renderer = top_view
    speed, fps = 4.0, 10.0
    sharp, exposed = _shot(model, renderer, 0.0, speed, 0.5, fps)
    floor = _floor(model, renderer)
    still, lit = _ball_columns(sharp, floor), _ball_columns(exposed, floor)
    streak_px = speed * 0.5 / fps * PX_PER_M  # 0.2 m = 12.8 px behind (to the left of) the ball
    assert lit.min() <= still.min() - 0.8 * streak_px, (still, lit)
    assert lit.min() >= still.min() - 1.2 * streak_px - 2, (still, lit)
    assert lit.max() <= still.max(), "nothing is drawn ahead of the ball"
    # Light is spread along the streak, not added: the ball's own pixels get darker.
    assert exposed[SIZE // 2, still].astype(int).sum() < sharp[SIZE // 2, still].astype(int).sum()
    # A longer shutter, a longer streak.
    _, longer = _shot(model, renderer, 0.0, speed, 1.0, fps)
    assert _ball_columns(longer, floor).min() < lit.min() - 0.5 * streak_px


def test_a_jump_leaves_no_trail_across_it(top_view):
    """A teleported ball keeps its velocity: it streaks by its motion at its new place only."""
    model, renderer = top_view
    _, slow_here = _shot(model, renderer, 0.3, 0.5, 0.5)
    lit = _ball_columns(slow_here, _floor(model, renderer))
    assert lit.min() > SIZE // 2 + 0.1 * PX_PER_M, "no light between the old place (0) and 0.3 m"


def test_nothing_moving_returns_the_instant_unchanged(top_view):
    model, renderer = top_view
    sharp, exposed = _shot(model, renderer, 0.0, 0.0, 0.75)
    assert exposed is sharp


@pytest.mark.parametrize(
    ("render", "named"),
    [
        ({"shutter_prob": 1.5}, "shutter_prob"),
        ({"shutter": [0.2, 1.5]}, "synth.render.shutter"),
        ({"shutter": [0.6, 0.2]}, "synth.render.shutter"),
        ({"shutter_samples": 1}, "shutter_samples"),
    ],
)
def test_bad_shutter_setting_is_refused_naming_it(render, named):
    with pytest.raises(ConfigError, match=named):
        SynthConfig.from_dict({"render": render})


def test_the_shutter_is_off_by_default_and_changes_no_other_draw():
    off, on = tiny(), tiny(render={"shutter_prob": 1.0, "shutter": [0.3, 0.6]})
    assert (
        SynthConfig().render.shutter_prob == 0
        and SynthConfig.from_dict(TINY).render.shutter_prob == 0
    )
    for i in range(6):
        a, b = sample_scene(off, 3, i), sample_scene(on, 3, i)
        assert a.shutter == 0.0 and 0.3 <= b.shutter <= 0.6
        b.shutter = 0.0
        assert a == b


def test_a_scene_through_the_shutter_keeps_its_annotations_and_twins():
    """Same scene with and without a shutter: annotations and events equal, frames blurred
    where things move, and every twin still equals its clean clip before its onset."""
    kw = {
        "scene": {"camera_motion_prob": 0.0},
        "artifacts": {"labels": ["teleport"], "twins_per_scene": 1},
    }
    sharp = group(0, 1, **kw)
    exposed = group(0, 1, render={"shutter_prob": 1.0, "shutter": [0.75, 0.75]}, **kw)
    assert exposed.spec.shutter == 0.75 and len(exposed.clips) == len(sharp.clips) == 2
    for a, b in zip(sharp.clips, exposed.clips, strict=True):
        assert a.events == b.events
        assert np.array_equal(a.record.masks, b.record.masks)
        for key, values in a.record.ann.items():
            assert np.array_equal(values, b.record.ann[key]), key
    clean, twin = exposed.clips[0].record.frames, exposed.clips[1].record.frames
    assert not np.array_equal(clean, sharp.clips[0].record.frames), "nothing was blurred"
    onset = exposed.clips[1].events[0]["frame"]
    assert np.array_equal(clean[:onset], twin[:onset])
    assert not np.array_equal(clean[onset], twin[onset])
