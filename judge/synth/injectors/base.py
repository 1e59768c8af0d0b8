"""What every artifact injector shares: the plan it makes and the model edits it uses.

An injector looks at the rendered clean twin, proposes an `Intervention` (which object, at
which frame, with what change), and the scene is re-simulated from that frame with the change
applied inside the physics. Afterwards `verify` checks, with the detectors, that the artifact
is visible at the measured onset; the caller resamples when it is not.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field
from typing import Any, ClassVar

import mujoco
import numpy as np

from judge.synth.checks import DETECTORS, Thresholds, clearly_visible
from judge.synth.mjcf import GROUP_HIDDEN, GROUP_OBJECT


@dataclass
class Intervention:
    """A change applied at frame `branch` (and, for some kinds, every frame after)."""

    kind: str
    branch: int
    target: int
    params: dict[str, Any] = field(default_factory=dict)
    action: Any = None  # callable(scene, model, data, t) supplied by the injector

    def apply(self, scene, model: mujoco.MjModel, data: mujoco.MjData, t: int) -> None:
        self.action(scene, model, data, t)


class Injector:
    """Base class: subclasses set `name` and implement `propose`."""

    name: ClassVar[str] = ""
    onset_slack: ClassVar[int] = 0  # frames after the onset within which the detector must fire

    def propose(
        self, scene, clean, rng: np.random.Generator, th: Thresholds
    ) -> Intervention | None:
        raise NotImplementedError

    def verify(
        self, scene, clean, twin, onset: int, iv: Intervention, th: Thresholds
    ) -> str | None:
        """None if the detector finds this artifact at the onset on the target, else why not."""
        hits = self.detect(twin.ann, th)
        for t, k in hits:
            if onset <= t <= onset + self.onset_slack and k in self.objects_to_check(iv):
                return None
        return f"{self.name}: detector found nothing at onset {onset} (hits: {hits[:5]})"

    def detect(self, ann: dict, th: Thresholds) -> list[tuple[int, int]]:
        """`(frame, object)` hits of this kind in a clip's annotations; new kinds override it."""
        return DETECTORS[self.name](ann, th)

    def objects_to_check(self, iv: Intervention) -> set[int]:
        return {iv.target}


def frame_window(num_frames: int) -> tuple[int, int]:
    """Frames an artifact may start at: not in the first or last fifth of the clip."""
    return max(2, num_frames // 5), num_frames - max(4, num_frames // 5)


def visible_frames(clean, target: int, th: Thresholds, lo: int, hi: int) -> list[int]:
    """Frames b in [lo, hi] where the target is clearly visible at b-1 and b in the clean clip."""
    vis = clearly_visible(clean.ann, th)[:, target]
    return [b for b in range(lo, hi + 1) if vis[b - 1] and vis[b]]


def pick_visible(
    scene, clean, rng: np.random.Generator, th: Thresholds, last: int | None = None, objects=None
) -> tuple[int, int] | None:
    """A random (object, frame) with the object clearly visible at that frame and the one before.

    Frames come from `frame_window`, capped at `last`; objects default to the scene's real ones.
    """
    lo, hi = frame_window(scene.spec.num_frames)
    hi = hi if last is None else min(hi, last)
    options = {
        i: visible_frames(clean, i, th, lo, hi) for i in (objects or scene.spec.real_objects())
    }
    targets = [i for i, frames in options.items() if frames]
    if not targets:
        return None
    i = int(rng.choice(targets))
    return i, int(rng.choice(options[i]))


def set_pose(scene, data: mujoco.MjData, i: int, pos, quat=None, linvel=None, angvel=None) -> None:
    a, v = scene.qpos_adr[i], scene.dof_adr[i]
    data.qpos[a : a + 3] = pos
    if quat is not None:
        data.qpos[a + 3 : a + 7] = quat
    if linvel is not None:
        data.qvel[v : v + 3] = linvel
    if angvel is not None:
        data.qvel[v + 3 : v + 6] = angvel


def recoloured(rgba, rng: np.random.Generator) -> np.ndarray:
    """`rgba` (4,) with its hue rotated by a third to two thirds of the wheel, saturated and
    bright enough to see: the colour change of a `morph`, for objects and figures alike."""
    r, g, b, alpha = rgba
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    rgb = colorsys.hsv_to_rgb((h + rng.uniform(1 / 3, 2 / 3)) % 1, max(s, 0.7), max(v, 0.6))
    return np.array([*rgb, alpha])


def show(model: mujoco.MjModel, geom: int) -> None:
    model.geom_group[geom] = GROUP_OBJECT
    model.geom_contype[geom] = model.geom_conaffinity[geom] = 1
    # MuJoCo filters on the body's flags (the OR of its geoms' at compile time) before the
    # geom's; a body compiled hidden has 0 there and would pass through everything.
    body = model.geom_bodyid[geom]
    model.body_contype[body] |= 1
    model.body_conaffinity[body] |= 1


def hide(model: mujoco.MjModel, geom: int) -> None:
    model.geom_group[geom] = GROUP_HIDDEN
    model.geom_contype[geom] = model.geom_conaffinity[geom] = 0


def clear_floor_spot(
    scene, clean, t: int, radius: float, rng: np.random.Generator, tries: int = 40
) -> np.ndarray | None:
    """A floor point in view at frame t, away from every object and occluder in the clean clip."""
    from judge.synth.camera import pixel_ray_to_floor

    sp = scene.spec
    eye, rot = scene.camera_poses[t]
    ann = clean.ann
    others = [k for k in range(len(sp.objects)) if ann["exists"][t, k]]
    for _ in range(tries):
        p = pixel_ray_to_floor(
            rng.uniform(0.15, 0.85) * sp.width,
            rng.uniform(0.35, 0.85) * sp.height,
            eye,
            rot,
            sp.camera.fovy,
            sp.width,
            sp.height,
        )
        if p is None:
            continue
        near_obj = any(
            np.linalg.norm(ann["pos"][t, k, :2] - p[:2]) < radius + sp.objects[k].radius() + 0.05
            for k in others
        )
        near_occ = any(
            np.linalg.norm(np.asarray(o.pos[:2]) - p[:2]) < radius + max(o.size[:2]) + 0.1
            for o in sp.occluders
        )
        if not near_obj and not near_occ:
            return p
    return None
