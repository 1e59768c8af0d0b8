"""Scripted motion of a figure: joint-angle curves and forward kinematics to segment bones.

`FigureMotion(fig).bones(t)` gives every segment's bone `(S, 2, 3)` in world coordinates (a
capsule runs from its joint, `[:, 0]`, to its far end, `[:, 1]`; a sphere has both at its
centre). The figure is placed so that its lowest point sinks `SINK` into the floor on every
ground frame (MuJoCo then reports the contact); in the air a jump follows a ballistic arc, so
the torso's vertical acceleration is exactly -g there, as the levitate detector expects.

Gait: the legs swing with a phase driven by the distance walked (no foot sliding beyond what a
sine gait has), knees flex in the swing half, arms swing against the legs.
"""

from __future__ import annotations

import numpy as np

from judge.synth.checks import GRAVITY
from judge.synth.figures import FigureSpec

SINK = 0.002  # metres the lowest point goes into the floor, so that the contact registers
GRID_DT = 1 / 500  # seconds: the step of the precomputed path
CROUCH_S = 0.3  # seconds to crouch down (and as long to stand up)
RAMP_S = 0.35  # seconds to speed up from standing, or to slow down to a stop
D = np.radians


def _smooth(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _ry(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _limb_dir(pitch: float, abd: float = 0.0, side: float = 1.0) -> np.ndarray:
    """Unit vector hanging down, swung forward by `pitch` and out to `side` (+1 left) by `abd`."""
    return np.array([np.sin(pitch) * np.cos(abd), side * np.sin(abd), -np.cos(pitch) * np.cos(abd)])


GAITS = {  # hip amplitude, knee flex in swing, arm amplitude, elbow, torso lean (radians)
    "walk": (D(25), D(40), D(22), D(15), D(3)),
    "run": (D(38), D(85), D(40), D(85), D(10)),
}


class FigureMotion:
    """Precomputed path (root position, heading, distance walked) and the pose at any time."""

    def __init__(self, fig: FigureSpec):
        self.fig = fig
        self.gait = GAITS["run" if fig.motion == "run" else "walk"]
        leg = 0.49 * fig.scale if fig.kind == "humanoid" else 0.5 * fig.scale
        self.leg = leg
        self.stride = 4 * leg * np.sin(self.gait[0])  # distance per gait cycle
        self.air_time = 2 * self._v0() / GRAVITY if fig.motion == "jump" else 0.0
        t = np.arange(-0.2, fig.duration + 0.4, GRID_DT)
        speed = np.array([self.speed(x) for x in t])
        heading = fig.heading + fig.turn * np.clip(t / max(fig.duration, 1e-6), 0, 1)
        step = speed * GRID_DT
        self.t = t
        self.dist = np.concatenate([[0.0], np.cumsum(step[:-1])])
        self.dist -= np.interp(0.0, t, self.dist)
        xy = np.stack([np.cos(heading), np.sin(heading)], 1) * step[:, None]
        self.xy = np.concatenate([[[0.0, 0.0]], np.cumsum(xy[:-1], 0)])
        self.xy -= [np.interp(0.0, t, self.xy[:, 0]), np.interp(0.0, t, self.xy[:, 1])]
        self.xy += np.asarray(fig.start)
        self.heading = heading
        self._air = None
        if fig.motion == "jump":
            self._air = float(self._ground_z(fig.t_event))

    # --- time curves ----------------------------------------------------------------------
    def _v0(self) -> float:
        """Take-off speed: apex a fifth to a third of the figure's size above the stance."""
        return float(np.sqrt(2 * GRAVITY * 0.25 * self.fig.scale))

    def speed(self, t: float) -> float:
        f = self.fig
        if f.motion == "carry":
            up = f.t_event + CROUCH_S
            s = _smooth((t - up) / RAMP_S)
            if f.hold[1] < f.duration:  # slow to a stop, set it down
                s *= 1 - _smooth((t - (f.hold[1] - CROUCH_S - RAMP_S)) / RAMP_S)
            return f.speed * float(s)
        if f.motion == "jump":
            inside = f.t_event <= t <= f.t_event + self.air_time
            return f.speed if inside else 0.0
        if f.motion in ("reach", "fall", "swing"):
            return 0.0
        return f.speed

    def crouch(self, t: float) -> float:
        """0 standing .. 1 crouched low (picking up, before and after a jump, getting up)."""
        f = self.fig
        if f.motion == "carry":
            bumps = [f.t_event] + ([f.hold[1]] if f.hold[1] < f.duration else [])
            return max(self._bump(t, c, CROUCH_S) for c in bumps)
        if f.motion == "jump":
            land = f.t_event + self.air_time
            down = _smooth((t - (f.t_event - 0.35)) / 0.2) * (
                1 - _smooth((t - f.t_event + 0.12) / 0.12)
            )
            after = _smooth((t - land) / 0.08) * (1 - _smooth((t - land - 0.15) / 0.25))
            return 0.7 * float(max(down, after))
        if f.motion == "fall":
            rise = f.t_event + 0.8
            return 0.8 * float(_smooth((t - rise) / 0.2) * (1 - _smooth((t - rise - 0.5) / 0.4)))
        return 0.0

    @staticmethod
    def _bump(t: float, centre: float, width: float) -> float:
        return float(_smooth(1 - abs(t - centre) / width))

    def fall_pitch(self, t: float) -> float:
        """Whole-body forward pitch: falls with growing speed, lies, gets up."""
        if self.fig.motion != "fall":
            return 0.0
        x = t - self.fig.t_event
        if x <= 0:
            return 0.0
        down = D(80) * min(1.0, (x / 0.45) ** 2)
        return float(down * (1 - _smooth((x - 0.8) / 0.9)))

    def air(self, t: float) -> float:
        """Height of a jump's arc above the take-off height (0 on the ground)."""
        if self._air is None:
            return 0.0
        x = t - self.fig.t_event
        if not 0.0 < x < self.air_time:
            return 0.0
        return float(self._v0() * x - 0.5 * GRAVITY * x * x)

    # --- pose ------------------------------------------------------------------------------
    def _state(self, t: float, phase_add: float = 0.0) -> dict:
        f = self.fig
        hip_a, knee_a, arm_a, elbow, lean = self.gait
        g = self.speed(t) / f.speed if f.speed > 0 else 0.0
        dist = float(np.interp(t, self.t, self.dist))
        phase = 2 * np.pi * dist / self.stride + phase_add
        c = self.crouch(t)
        airborne = self.air(t) > 0
        if airborne:
            g = 0.4  # legs keep a little of their swing in the air
        return {
            "phase": phase,
            "g": g,
            "c": c,
            "hip_a": hip_a * g,
            "knee_a": knee_a * g,
            "arm_a": arm_a * g,
            "elbow": elbow,
            "lean": lean * g + D(35) * c,
            "fall": self.fall_pitch(t),
            "t": t,
        }

    def _local(self, t: float, phase_add: float = 0.0, limb_add=None, arm_tweak=None):
        """Bones `(S, 2, 3)` in the heading frame, root on the ground line z=0."""
        st = self._state(t, phase_add)
        if self.fig.kind == "humanoid":
            return self._humanoid(st, limb_add or {}, arm_tweak)
        return self._quadruped(st, limb_add or {}, arm_tweak)

    def _humanoid(self, st: dict, limb_add: dict, arm_tweak) -> np.ndarray:
        H, f = self.fig.scale, self.fig
        ph, c = st["phase"], st["c"]
        up = _ry(st["lean"])
        neck = up @ np.array([0, 0, 0.30 * H])
        head = up @ np.array([0, 0, 0.44 * H])
        bones = [(np.zeros(3), neck), (head, head)]
        for side, sgn in (("l", 1.0), ("r", -1.0)):
            swing = st["arm_a"] * np.sin(ph + (np.pi if sgn > 0 else 0.0))
            pitch, elb, abd = swing - st["lean"] * 0.9, st["elbow"], D(8)
            if f.motion == "reach" and side == "r":
                r = self._bump(st["t"], f.t_event, 0.45)
                pitch, elb = pitch + D(130) * r, elb * (1 - r)
            if f.motion == "swing" and side == "r":
                pitch, elb = 2 * np.pi * 2.2 * st["t"], 0.0  # a windmill
            if f.motion == "fall":
                reach = _smooth(st["fall"] / D(40))
                pitch, elb = pitch + D(85) * reach, elb * (1 - reach)
            if f.motion == "carry" and side == "r":
                held = f.hold[0] <= st["t"] < f.hold[1]
                base = (D(55), D(35)) if held else (pitch, elb)
                pitch = base[0] * (1 - c) + (st["lean"] + D(5)) * c
                elb = base[1] * (1 - c)
            add = limb_add.get(f"arm_{side}", (0.0, 0.0))
            pitch, abd = pitch + add[0], abd + add[1]
            if arm_tweak is not None and arm_tweak[0] == side:
                k = arm_tweak[1]  # 0..1: the arm swings in across the chest and through it
                pitch, abd, elb = (
                    pitch + (D(70) - pitch) * k,
                    abd + (D(-95) - abd) * k,
                    elb * (1 - k),
                )
            sh = up @ np.array([0, sgn * 0.155 * H, 0.27 * H])
            u = up @ _limb_dir(pitch, abd, sgn)
            el = sh + 0.17 * H * u
            fa = up @ _limb_dir(pitch + elb, abd, sgn)
            bones += [(sh, el), (el, el + 0.17 * H * fa)]
        for side, sgn in (("l", 1.0), ("r", -1.0)):
            lp = ph + (0.0 if sgn > 0 else np.pi)
            hip = st["hip_a"] * np.sin(lp) + D(75) * c
            knee = st["knee_a"] * max(0.0, np.cos(lp)) + D(5) + D(120) * c
            add = limb_add.get(f"leg_{side}", (0.0, 0.0))
            hip += add[0]
            hp = np.array([0, sgn * 0.065 * H, 0])
            k = hp + 0.245 * H * _limb_dir(hip, D(3) + add[1], sgn)
            a = k + 0.245 * H * _limb_dir(hip - knee, D(3) + add[1], sgn)
            tilt = 0.5 * (hip - knee)  # toe up at heel strike, down at toe-off
            foot = a + 0.07 * H * np.array([np.cos(tilt), 0, np.sin(tilt)])
            bones += [(hp, k), (k, a), (a, foot)]
        b = np.array(bones, float)
        if st["fall"]:
            b = b @ _ry(st["fall"]).T
        return b

    def _quadruped(self, st: dict, limb_add: dict, leg_tweak=None) -> np.ndarray:
        L = self.fig.scale
        ph, c = st["phase"], st["c"]
        run = self.fig.motion == "run"
        offsets = {"fl": 0.25, "fr": 0.75, "hl": 0.0, "hr": 0.5}
        if run:
            offsets = {"fl": 0.0, "hr": 0.0, "fr": 0.5, "hl": 0.5}  # trot: diagonal pairs
        bob = 0.02 * L * np.sin(2 * ph) * st["g"]
        front, rear = np.array([0.3 * L, 0, bob]), np.array([-0.3 * L, 0, -bob])
        nb = front + np.array([0.05 * L, 0, 0.06 * L])
        ne = nb + 0.2 * L * np.array([np.cos(D(55)), 0, np.sin(D(55))])
        hd = ne + 0.12 * L * np.array([np.cos(D(-25)), 0, np.sin(D(-25))])
        bones = [(rear, front), (nb, ne), (ne, hd)]
        for leg in ("fl", "fr", "hl", "hr"):
            lp = ph + 2 * np.pi * offsets[leg]
            hip = st["hip_a"] * np.sin(lp) + (D(-25) if leg[0] == "f" else D(35)) * c
            knee = st["knee_a"] * max(0.0, np.cos(lp)) + D(5) + D(60) * c
            if leg[0] == "f":
                knee = -knee * 0.6  # the front wrist folds the other way
            add = limb_add.get(f"leg_{leg}", (0.0, 0.0))
            hip, abd = hip + add[0], D(2) + add[1]
            if leg_tweak is not None and leg_tweak[0] == leg:
                k = leg_tweak[1]  # 0..1: the leg swings in, under and through the body
                hip, abd, knee = hip + (D(95) - hip) * k, abd + (D(-70) - abd) * k, knee * (1 - k)
            sgn = 1.0 if leg[1] == "l" else -1.0
            base = (front if leg[0] == "f" else rear) + np.array([0, sgn * 0.09 * L, 0])
            k = base + 0.25 * L * _limb_dir(hip, abd, sgn)
            bones += [(base, k), (k, k + 0.25 * L * _limb_dir(hip - knee, abd, sgn))]
        wag = D(25) * np.sin(2 * np.pi * 2.0 * st["t"]) + limb_add.get("tail", (0.0, 0.0))[0]
        tb = rear + np.array([-0.08 * L, 0, 0.05 * L])
        tail = np.array([-np.cos(D(35)) * np.cos(wag), np.sin(wag), np.sin(D(35))])
        bones.append((tb, tb + 0.25 * L * tail))
        return np.array(bones, float)

    def _ground_z(self, t: float) -> float:
        b = self._local(t)
        return float(-(self._lowest(b)) - SINK)

    def _lowest(self, b: np.ndarray) -> float:
        radii = np.array([s.radius for s in self.fig.skeleton()]) * self.fig.scale
        return float((b[:, :, 2].min(1) - radii).min())

    def bones(self, t: float, phase_add: float = 0.0, limb_add=None, arm_tweak=None) -> np.ndarray:
        """World bones `(S, 2, 3)` at time t (see the module docstring)."""
        local = self._local(t, phase_add, limb_add, arm_tweak)
        if self._air is not None and self.air(t) > 0:
            z = self._air + self.air(t)
        else:
            ref = self._local(t, phase_add) if (limb_add or arm_tweak) else local
            z = -self._lowest(ref) - SINK
        rot = _rz(float(np.interp(t, self.t, self.heading)))
        x, y = (float(np.interp(t, self.t, self.xy[:, k])) for k in (0, 1))
        return local @ rot.T + np.array([x, y, z])

    def heading_at(self, t: float) -> float:
        return float(np.interp(t, self.t, self.heading))

    def hand(self, t: float) -> np.ndarray:
        """The right hand's position `(3,)` (humanoid): the far end of `forearm_r`."""
        return self.bones(t)[5, 1]
