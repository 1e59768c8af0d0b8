"""Kinematic playback of a scene's figures: segment poses and velocities, once per frame.

At each frame the driver puts every segment exactly where the motion says, and gives it the
velocity that carries it to its next pose in one frame interval; the physics steps in between
integrate that motion (segments are gravity compensated and heavy), so objects they touch are
pushed as by a moving body, and the rendered pose is always the scripted one.

Injectors change a figure through `FigureMods` (one per run, on `Scene.figure_mods`), or through
the model (hiding a geom, recolouring a material, lengthening a capsule), never the spec.
Hidden phantom segments (a figure or a limb a twin may reveal) wait far outside every view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mujoco
import numpy as np

from judge.synth.figure_motion import FigureMotion
from judge.synth.mjcf import GROUP_HIDDEN

PARK = np.array([30.0, 30.0, 2.0])  # where hidden phantom segments wait, outside every view
Z = np.array([0.0, 0.0, 1.0])


@dataclass
class FigureMods:
    """Changes a twin makes to figures from a frame on; empty in the clean run.

    `shift`: `(object indices, offset (3,))` moved by a constant offset; `lift`: figure ->
    `(t0, height, ramp seconds)`; `arm`: figure -> `(side, t0, ramp seconds)` swings that arm
    through the chest.
    """

    shift: list = field(default_factory=list)
    lift: dict = field(default_factory=dict)
    arm: dict = field(default_factory=dict)


def quat_z_to(d: np.ndarray) -> np.ndarray:
    """Unit quaternion `(4,)` turning +z onto the unit vector d."""
    q = np.empty(4)
    mujoco.mju_quatZ2Vec(q, np.asarray(d, float))
    return q


class FigureDriver:
    """Poses the figures of one compiled scene; ids follow `Scene` (object indices)."""

    def __init__(self, spec, qpos_adr: list[int], dof_adr: list[int], geoms, bodies):
        self.spec = spec
        self.motions = [FigureMotion(f) for f in spec.figures]
        self.qpos_adr, self.dof_adr, self.geoms, self.bodies = qpos_adr, dof_adr, geoms, bodies
        self.dt = 1.0 / spec.fps

    # --- poses ------------------------------------------------------------------------------
    def poses(self, model, t: float, mods: FigureMods) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Object index -> (position (3,), quaternion (4,)) for every driven object at time t."""
        out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for f, (fig, mo) in enumerate(zip(self.spec.figures, self.motions, strict=True)):
            arm = mods.arm.get(f)
            tweak = None
            if arm is not None and t >= arm[1]:
                tweak = (arm[0], min(1.0, (t - arm[1]) / arm[2]))
            bones = mo.bones(t, arm_tweak=tweak)
            lift = mods.lift.get(f)
            if lift is not None and t >= lift[0]:
                bones = bones + Z * lift[1] * min(1.0, (t - lift[0]) / lift[2])
            for j, obj in enumerate(fig.segments):
                out[obj] = self._segment(model, fig, j, obj, bones[j])
            if fig.extra:
                names = fig.limb(fig.extra_limb)
                # Swung off the original and out to the side, so the two do not hide each other.
                extra = mo.bones(t, limb_add={fig.extra_limb: (fig.extra_angle, 0.45)})
                if lift is not None and t >= lift[0]:
                    extra = extra + Z * lift[1] * min(1.0, (t - lift[0]) / lift[2])
                for j, obj in zip(names, fig.extra, strict=True):
                    out[obj] = self._segment(model, fig, j, obj, extra[j])
            if fig.held is not None and fig.hold[0] <= t < fig.hold[1]:
                hand = bones[5, 1]
                yaw = mo.heading_at(t) - mo.heading_at(fig.hold[0])
                c, s = np.cos(mo.heading_at(t)), np.sin(mo.heading_at(t))
                off = np.asarray(fig.hold_offset)
                pos = hand + np.array([c * off[0] - s * off[1], s * off[0] + c * off[1], off[2]])
                q0 = np.asarray(self.spec.objects[fig.held].quat, float)
                qy = np.array([np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)])
                q = np.empty(4)
                mujoco.mju_mulQuat(q, qy, q0)
                out[fig.held] = (pos, q)
        for objs, offset in mods.shift:
            for obj in objs:
                if obj in out:
                    out[obj] = (out[obj][0] + offset, out[obj][1])
        return out

    def _segment(self, model, fig, j: int, obj: int, bone: np.ndarray):
        a, b = bone
        if fig.skeleton()[j].shape == "sphere":
            return a.copy(), np.array([1.0, 0.0, 0.0, 0.0])
        d = b - a
        d = d / max(np.linalg.norm(d), 1e-9)
        # The current half-length (a morph twin may change it): the near end stays on the joint.
        half = float(model.geom_size[self.geoms[obj], 1])
        return a + d * half, quat_z_to(d)

    # --- applying them ----------------------------------------------------------------------
    def frame(self, model, data, mods: FigureMods) -> None:
        """Pose every driven object for the current time and set its velocity to the next pose."""
        t = data.time
        now, nxt = self.poses(model, t, mods), self.poses(model, t + self.dt, mods)
        for obj in self._phantoms():
            if model.geom_group[self.geoms[obj]] == GROUP_HIDDEN:
                now[obj] = nxt[obj] = (PARK + [3.0 * obj, 0, 0], np.array([1.0, 0, 0, 0]))
        held = {f.held for f in self.spec.figures if f.held is not None}
        for obj, (pos, quat) in now.items():
            a, v = self.qpos_adr[obj], self.dof_adr[obj]
            data.qpos[a : a + 3], data.qpos[a + 3 : a + 7] = pos, quat
            p1, q1 = nxt.get(obj, (pos, quat))
            data.qvel[v : v + 3] = (p1 - pos) / self.dt
            w = np.empty(3)
            mujoco.mju_subQuat(w, q1, quat)  # rotation from now to next, in the body frame
            data.qvel[v + 3 : v + 6] = w / self.dt
        for obj in held:  # carried: its weight is borne by the hand, not by gravity
            body = self.bodies[obj]
            lift = model.body_subtreemass[body] * 9.81 if obj in now else 0.0
            data.xfrc_applied[body, 2] = lift

    def _phantoms(self) -> list[int]:
        out = []
        for fig in self.spec.figures:
            if fig.phantom is not None:
                out += fig.segments
            out += fig.extra
        return out

    def support(self, data, touching: np.ndarray) -> None:
        """Mark objects held in a hand as supported (`touching (K,)`), as rigs do."""
        for fig in self.spec.figures:
            if fig.held is not None and fig.hold[0] <= data.time < fig.hold[1]:
                touching[fig.held] = True
