"""Rigs: visible helpers that move objects plausibly (a hand, a platform, a string).

A rig is not one of the scene's objects (it stays out of `SceneSpec.objects`, so no injector
picks it and no annotation row describes it), but it is rendered and it collides with the
objects. Moving rigs are kinematic: three slide joints whose position and velocity are set
from a keyframed path before every physics step, so that contacts see the rig's true velocity
(a mocap body has none, and a platform made of one would slide out from under its load).

- a hand (`grip` set) welds an object to itself while it touches it inside its grip window;
- a platform carries what rests on it by friction;
- a string (`rope` set) is a rope tendon from a fixed anchor to the top of an object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mujoco
import numpy as np

GROUP_RIG = 2  # rendered like the objects, but no object mask: rigs are scenery
GRIP_REACH = 0.012  # metres: a hand this close to its object may take hold of it
RIG_DENSITY = 5000.0  # heavy, so one physics step of contact barely moves it before the reset


@dataclass
class RigGeom:
    """One geom of a rig, in the rig body's frame (a capsule may give `fromto` instead)."""

    shape: str
    size: tuple[float, ...]
    rgba: tuple[float, float, float, float]
    pos: tuple[float, float, float] = (0.0, 0.0, 0.0)
    quat: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    fromto: tuple[float, ...] | None = None
    friction: float = 0.8


@dataclass
class RigSpec:
    """A helper body; `keys` `((t, x, y, z), ...)` seconds and metres, empty: it stays put."""

    kind: str  # "hand", "platform" or "string"
    geoms: list[RigGeom]
    origin: tuple[float, float, float]
    keys: tuple[tuple[float, float, float, float], ...] = ()
    grip: int | None = None  # object a hand may weld to itself...
    grip_window: tuple[float, float] = (0.0, 0.0)  # ...between these times (seconds)
    grip_geom: int = 0  # which of `geoms` must touch the object to take hold
    load: int | None = None  # the object the rig is staged to move (for the checks)
    rope: tuple[float, float] | None = None  # (length, width) of a rope to `load`'s top
    rope_rgba: tuple[float, float, float, float] = (0.15, 0.12, 0.1, 1.0)
    extra: dict = field(default_factory=dict)  # staging details the checks read

    @property
    def moving(self) -> bool:
        return bool(self.keys)

    def path(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Body position `(3,)` and velocity `(3,)` at time t: eased between keyframes."""
        if not self.keys:
            return np.asarray(self.origin, float), np.zeros(3)
        k = np.asarray(self.keys, float)
        if t <= k[0, 0]:
            return k[0, 1:].copy(), np.zeros(3)
        if t >= k[-1, 0]:
            return k[-1, 1:].copy(), np.zeros(3)
        j = int(np.searchsorted(k[:, 0], t, side="right")) - 1
        t0, t1 = k[j, 0], k[j + 1, 0]
        s = (t - t0) / (t1 - t0)
        # Smoothstep: each leg starts and ends at rest, as a hand or a cart does.
        e, de = s * s * (3 - 2 * s), 6 * s * (1 - s) / (t1 - t0)
        p0, p1 = k[j, 1:], k[j + 1, 1:]
        return p0 + e * (p1 - p0), de * (p1 - p0)


def object_sites(rigs: list[RigSpec], index: int, half_height: float) -> str:
    """Sites the rigs need inside object `index`'s body (where a rope is tied)."""
    return "".join(
        f'<site name="tie{r}" pos="0 0 {half_height:.6g}" size="0.005"/>'
        for r, rig in enumerate(rigs)
        if rig.rope is not None and rig.load == index
    )


def rigs_xml(rigs: list[RigSpec], fmt) -> tuple[str, str]:
    """MJCF for the rigs: `(bodies, sections)`.

    `bodies` goes inside `<worldbody>`; `sections` (equality, tendon and contact) after it.
    `fmt` formats numbers as `mjcf._f` does.
    """
    bodies, eq, tendons, exclude = [], [], [], []
    for r, rig in enumerate(rigs):
        geoms = []
        for j, g in enumerate(rig.geoms):
            where = (
                f'fromto="{fmt(g.fromto)}"'
                if g.fromto is not None
                else f'pos="{fmt(g.pos)}" quat="{fmt(g.quat)}"'
            )
            geoms.append(
                f'<geom name="rig{r}_{j}" type="{g.shape}" size="{fmt(g.size)}" {where} '
                f'rgba="{fmt(g.rgba)}" group="{GROUP_RIG}" density="{RIG_DENSITY:g}" '
                f'friction="{g.friction:.3g} 0.01 0.001"/>'
            )
        joints = ""
        if rig.moving:
            # Gravity compensated, so the path alone decides where it is.
            joints = "".join(
                f'<joint name="rig{r}_{a}" type="slide" axis="{ax}" damping="0"/>'
                for a, ax in (("x", "1 0 0"), ("y", "0 1 0"), ("z", "0 0 1"))
            )
            exclude.append(f'<exclude body1="world" body2="rig{r}"/>')
        site = f'<site name="anchor{r}" size="0.005"/>' if rig.rope is not None else ""
        grav = ' gravcomp="1"' if rig.moving else ""
        bodies.append(
            f'<body name="rig{r}" pos="{fmt(rig.origin)}"{grav}>{joints}{"".join(geoms)}{site}'
            "</body>"
        )
        if rig.grip is not None:
            eq.append(
                f'<weld name="grip{r}" body1="rig{r}" body2="body{rig.grip}" active="false" '
                'solref="0.008 1" solimp="0.95 0.99 0.001"/>'
            )
        if rig.rope is not None:
            length, width = rig.rope
            tendons.append(
                f'<spatial name="rope{r}" limited="true" range="0 {length:.6g}" '
                f'width="{width:.4g}" rgba="{fmt(rig.rope_rgba)}" solreflimit="0.008 1">'
                f'<site site="anchor{r}"/><site site="tie{r}"/></spatial>'
            )
    sections = ""
    if eq:
        sections += f"<equality>{''.join(eq)}</equality>\n"
    if tendons:
        sections += f"<tendon>{''.join(tendons)}</tendon>\n"
    if exclude:
        sections += f"<contact>{''.join(exclude)}</contact>\n"
    return "\n".join(bodies), sections


class RigDriver:
    """Moves a compiled scene's rigs and takes and lets go of grips; ids of one model layout."""

    def __init__(self, model: mujoco.MjModel, rigs: list[RigSpec], object_geoms: list[int]):
        self.rigs = rigs
        name = lambda kind, n: mujoco.mj_name2id(model, kind, n)  # noqa: E731
        J, B, G = mujoco.mjtObj.mjOBJ_JOINT, mujoco.mjtObj.mjOBJ_BODY, mujoco.mjtObj.mjOBJ_GEOM
        self.body = [name(B, f"rig{r}") for r in range(len(rigs))]
        self.qpos = [
            int(model.jnt_qposadr[name(J, f"rig{r}_x")]) if rig.moving else -1
            for r, rig in enumerate(rigs)
        ]
        self.dof = [
            int(model.jnt_dofadr[name(J, f"rig{r}_x")]) if rig.moving else -1
            for r, rig in enumerate(rigs)
        ]
        self.geoms = [
            [name(G, f"rig{r}_{j}") for j in range(len(rig.geoms))] for r, rig in enumerate(rigs)
        ]
        self.weld = [
            name(mujoco.mjtObj.mjOBJ_EQUALITY, f"grip{r}") if rig.grip is not None else -1
            for r, rig in enumerate(rigs)
        ]
        self.rope = [
            name(mujoco.mjtObj.mjOBJ_TENDON, f"rope{r}") if rig.rope is not None else -1
            for r, rig in enumerate(rigs)
        ]
        self.object_geoms = object_geoms

    def all_geoms(self) -> list[int]:
        return [g for gs in self.geoms for g in gs]

    def drive(self, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        """Before a physics step: put each moving rig on its path, take or release grips."""
        t = data.time
        for r, rig in enumerate(self.rigs):
            if rig.moving:
                p, v = rig.path(t)
                a, d = self.qpos[r], self.dof[r]
                data.qpos[a : a + 3] = p - np.asarray(rig.origin)
                data.qvel[d : d + 3] = v
            if rig.grip is None:
                continue
            w = self.weld[r]
            t0, t1 = rig.grip_window
            inside = t0 <= t < t1
            if data.eq_active[w] and not inside:
                data.eq_active[w] = 0
            elif not data.eq_active[w] and inside and self._touching(model, data, r):
                self._take_hold(model, data, r)

    def _touching(self, model: mujoco.MjModel, data: mujoco.MjData, r: int) -> bool:
        rig = self.rigs[r]
        g, obj = self.geoms[r][rig.grip_geom], self.object_geoms[rig.grip]
        if model.geom_contype[obj] == 0:  # hidden by an injector: nothing to hold
            return False
        return mujoco.mj_geomDistance(model, data, g, obj, 0.05, None) <= GRIP_REACH

    def _take_hold(self, model: mujoco.MjModel, data: mujoco.MjData, r: int) -> None:
        """Weld the object where it is now, relative to the hand: it moves with it, no snap."""
        hand, obj = self.body[r], int(model.geom_bodyid[self.object_geoms[self.rigs[r].grip]])
        rot = data.xmat[hand].reshape(3, 3)
        inv, rel = np.empty(4), np.empty(4)
        mujoco.mju_negQuat(inv, data.xquat[hand])
        mujoco.mju_mulQuat(rel, inv, data.xquat[obj])
        w = self.weld[r]
        model.eq_data[w, 3:6] = rot.T @ (data.xpos[obj] - data.xpos[hand])
        model.eq_data[w, 6:10] = rel
        data.eq_active[w] = 1

    def support(self, data: mujoco.MjData, touching: np.ndarray) -> None:
        """Mark `touching (K,)` for objects a rig holds up without a contact (weld, taut rope)."""
        for r, rig in enumerate(self.rigs):
            if rig.grip is not None and data.eq_active[self.weld[r]]:
                touching[rig.grip] = True
            if rig.rope is not None and data.ten_length[self.rope[r]] >= rig.rope[0] - 0.004:
                touching[rig.load] = True

    def record(self, data: mujoco.MjData) -> np.ndarray:
        """Per rig `(R, 5)`: body position (3), grip active (0/1), rope length (NaN if none)."""
        out = np.full((len(self.rigs), 5), np.nan)
        for r, rig in enumerate(self.rigs):
            out[r, :3] = data.xpos[self.body[r]]
            out[r, 3] = float(data.eq_active[self.weld[r]]) if rig.grip is not None else 0.0
            if rig.rope is not None:
                out[r, 4] = data.ten_length[self.rope[r]]
        return out
