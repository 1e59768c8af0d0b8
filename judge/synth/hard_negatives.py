"""Hard negatives: plausible events that look like artifacts to a careless judge.

`stage_hard_negative` arranges the scene so the event should happen; `verify_hard_negative`
confirms from the clean clip's annotations that it did (else the scene is resampled).
"""

from __future__ import annotations

import numpy as np

from judge.synth.checks import Thresholds, clearly_visible, fast_in_view
from judge.synth.figure_negatives import STAGERS as FIGURE_STAGERS
from judge.synth.figure_negatives import VERIFIERS as FIGURE_VERIFIERS
from judge.synth.staged_motion import STAGERS as MOTION_STAGERS
from judge.synth.staged_motion import VERIFIERS as MOTION_VERIFIERS
from judge.synth.staged_throws import STAGERS as THROW_STAGERS
from judge.synth.staged_throws import VERIFIERS as THROW_VERIFIERS

# Checks of the later tags live with their stagers.
_MORE_VERIFIERS = {**MOTION_VERIFIERS, **THROW_VERIFIERS, **FIGURE_VERIFIERS}


def stage_hard_negative(stage, tag: str) -> None:
    """Add the objects (and occluder) of a hard negative to a `sampling._Stage`."""
    STAGERS[tag](stage)


def _roller(stage, shape: str | None = None):
    shapes = [s for s in stage.cfg.scene.shapes if s in ("sphere", "cylinder", "box")] or ["sphere"]
    o = stage.new_object(shape or str(shapes[stage.rng.integers(len(shapes))]), "roll")
    if o.shape == "box":
        o.friction = 0.02  # slides on with little loss, like a puck
    return o


def _exit_frame(stage) -> None:
    o = _roller(stage)
    p = stage.free_spot(o.radius(), region=(0.35, 0.65, 0.4, 0.7))
    if p is None:
        return
    stage.place(o, p)
    side = stage.across() * (1 if stage.rng.random() < 0.5 else -1)
    duration = stage.spec.num_frames / stage.spec.fps
    # Far enough to leave a wide view within about half the clip.
    stage._set_ground_motion(o, side, stage.rng.uniform(2.0, 3.0) * 1.6 / duration)
    o.motion = "exit"
    stage.spec.objects.append(o)


def _behind_occluder(stage, stay: bool) -> None:
    o = _roller(stage, "box" if stay else None)
    p = stage.free_spot(0.5, region=(0.4, 0.6, 0.35, 0.55))
    if p is None:
        return
    to_cam = stage.toward_camera(p.copy())
    q = p + to_cam * 0.45  # occluder between camera and path
    # Horizontal distances: the sight line from the eye to the object's top falls linearly
    # with them (straight-line distances made the occluder too short from high cameras, and
    # the object showed over it: 4 of 10 scenes passed their check on `varied`).
    dist_p = np.linalg.norm(stage.eye[:2] - p[:2])
    dist_q = np.linalg.norm(stage.eye[:2] - q[:2])
    top = 2 * o.half_height()
    # Tall enough to hide the object's top from the camera's height.
    height = top + (stage.eye[2] - top) * (1 - dist_q / dist_p) + 0.12
    half_w = o.radius() * 2.0 + 0.1
    stage.add_occluder(q, half_w, float(height))
    hidden_half = half_w * dist_p / dist_q  # the stretch of path the occluder hides
    side = stage.across() * (1 if stage.rng.random() < 0.5 else -1)
    duration = stage.spec.num_frames / stage.spec.fps
    if stay:
        start = hidden_half + o.radius() + 0.15
        stage.place(o, p - side * start)
        o.friction = float(stage.rng.uniform(0.25, 0.35))
        # Sliding friction stops it behind; MuJoCo's friction cone brakes a little less than
        # Coulomb's law, hence the shorter aim.
        speed = np.sqrt(2 * o.friction * 9.81 * start * 0.8)
        stage._set_ground_motion(o, side, speed)
    else:
        start = hidden_half + o.radius() + 0.15
        stage.place(o, p - side * start)
        stage._set_ground_motion(o, side, 2 * start / (0.75 * duration))
    o.motion = "occluder"
    stage.spec.objects.append(o)


def _fast_throw(stage) -> None:
    o = stage.new_object(motion="throw")
    p = stage.free_spot(o.radius(), region=(0.3, 0.7, 0.5, 0.8))
    if p is None:
        return
    side = stage.across() * (1 if stage.rng.random() < 0.5 else -1)
    stage.place(o, p - side * 0.4, lift=stage.rng.uniform(0.2, 0.4))
    v = side * stage.rng.uniform(4.0, 7.0)
    o.linvel = (float(v[0]), float(v[1]), float(stage.rng.uniform(1.0, 2.5)))
    o.angvel = tuple(float(x) for x in stage.rng.normal(0, 6, 3))
    o.motion = "fast_throw"
    stage.spec.objects.append(o)


def _depth_overlap(stage) -> None:
    far = stage.new_object(motion="rest")
    p = stage.free_spot(far.radius(), region=(0.4, 0.6, 0.35, 0.5))
    if p is None:
        return
    stage.place(far, p)
    stage.spec.objects.append(far)
    near = _roller(stage)
    q = p + stage.toward_camera(p.copy()) * stage.rng.uniform(0.5, 0.8)
    side = stage.across() * (1 if stage.rng.random() < 0.5 else -1)
    duration = stage.spec.num_frames / stage.spec.fps
    start = 0.35 + near.radius()
    stage.place(near, q - side * start)
    stage._set_ground_motion(near, side, 2 * start / (0.7 * duration))
    near.motion = "depth_overlap"
    stage.spec.objects.append(near)


def _bounce(stage) -> None:
    o = stage.new_object("sphere", "drop")
    p = stage.free_spot(o.radius())
    if p is None:
        return
    stage.place(o, p, lift=stage.rng.uniform(0.5, 1.0))
    o.bouncy, o.motion = True, "bounce"
    stage.spec.objects.append(o)


STAGERS = {
    "exit_frame": _exit_frame,
    "occluder_pass": lambda s: _behind_occluder(s, stay=False),
    "occluder_stay": lambda s: _behind_occluder(s, stay=True),
    "fast_throw": _fast_throw,
    "depth_overlap": _depth_overlap,
    "bounce": _bounce,
    **MOTION_STAGERS,
    **THROW_STAGERS,
    **FIGURE_STAGERS,
}


def verify_hard_negative(tag: str, scene, clean, th: Thresholds) -> bool:
    """Whether the clean clip shows the hard-negative event it was staged for."""
    if tag in _MORE_VERIFIERS:
        return _MORE_VERIFIERS[tag](scene, clean, th)
    a = clean.ann
    real = scene.spec.real_objects()
    vis = clearly_visible(a, th)[:, real]
    if tag == "exit_frame":
        return any(
            vis[:, j].any() and (a["in_frame"][np.argmax(vis[:, j]) :, k] <= 0.05).any()
            for j, k in enumerate(real)
        )
    if tag in ("occluder_pass", "occluder_stay"):
        hidden = (a["cover"][:, real] >= 0.9) & (a["in_frame"][:, real] >= 0.9)
        # Seen in full view first: partly behind the occluder already is fine.
        shown = (a["visible_px"][:, real] >= th.min_visible_px) & (a["in_frame"][:, real] >= 0.9)
        for j in range(len(real)):
            seen = np.nonzero(shown[:, j])[0]
            if not len(seen):
                continue
            after = np.nonzero(hidden[seen[0] :, j])[0]
            if not len(after):
                continue
            t_hidden = seen[0] + after[0]
            if tag == "occluder_stay" and hidden[t_hidden:, j].all():
                return True
            if tag == "occluder_pass" and vis[t_hidden:, j].any():
                return True
        return False
    if tag == "fast_throw":
        return bool(fast_in_view(a, vis, th, real).any())
    if tag == "depth_overlap":
        touching = set().union(*clean.contacts)
        for x in real:
            for y in real:
                if (
                    x >= y
                    or (min(scene.geoms[x], scene.geoms[y]), max(scene.geoms[x], scene.geoms[y]))
                    in touching
                ):
                    continue
                box_x, box_y = a["amodal_bbox"][:, x], a["amodal_bbox"][:, y]
                inter_w = np.minimum(box_x[:, 2], box_y[:, 2]) - np.maximum(
                    box_x[:, 0], box_y[:, 0]
                )
                inter_h = np.minimum(box_x[:, 3], box_y[:, 3]) - np.maximum(
                    box_x[:, 1], box_y[:, 1]
                )
                both = (a["visible_px"][:, x] > 0) & (a["visible_px"][:, y] > 0)
                if (
                    (inter_w > 0) & (inter_h > 0) & both & (a["in_frame"][:, [x, y]] >= 0.9).all(1)
                ).any():
                    return True
        return False
    if tag == "bounce":
        vz = a["vel"][:, real, 2]
        for j in range(len(real)):
            falling = np.nonzero(vz[:, j] < -0.5)[0]
            if len(falling) and (vz[falling[0] :, j] > 0.5).any() and vis[:, j].any():
                return True
        return False
    raise ValueError(f"unknown hard negative {tag!r}")
