"""Articulated figures (a humanoid, a four-legged animal) built from capsules and a sphere.

A figure is a set of segments, each one of the scene's objects (`ObjectSpec.figure` names the
figure), so every segment has its own mask value, annotation row and material, and detectors
measure a figure's artifacts the way they measure an object's. Segments are not jointed in
MuJoCo: each is a free body, gravity compensated and heavy, whose pose and velocity
`judge.synth.figure_driver` sets from the keyframed motion before every physics step
(kinematic playback, as the rigs do). Objects still collide with them and are pushed.

Skeletons are primitives designed here (no third-party model files), scaled by `FigureSpec.scale`:
the humanoid's standing height, the animal's body length.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field

import numpy as np

FIGURE_KINDS = ("humanoid", "quadruped")
FIGURE_MOTIONS = {
    "humanoid": ("walk", "run", "turn", "reach", "carry", "jump", "fall", "swing"),
    "quadruped": ("walk", "run", "turn", "jump"),
}
ALL_MOTIONS = tuple(sorted({m for ms in FIGURE_MOTIONS.values() for m in ms}))


@dataclass(frozen=True)
class Segment:
    """One part: `parent` index (-1: the root part), shape, radius and length as scale multiples."""

    name: str
    parent: int
    shape: str  # "capsule" (from a joint along its bone) or "sphere" (centred on its joint)
    radius: float
    length: float = 0.0


# Order matters: `figure_motion.skeleton_points` returns bones in this order.
SKELETONS: dict[str, tuple[Segment, ...]] = {
    "humanoid": (
        Segment("torso", -1, "capsule", 0.09, 0.30),
        Segment("head", 0, "sphere", 0.075),
        Segment("upper_arm_l", 0, "capsule", 0.035, 0.17),
        Segment("forearm_l", 2, "capsule", 0.03, 0.17),
        Segment("upper_arm_r", 0, "capsule", 0.035, 0.17),
        Segment("forearm_r", 4, "capsule", 0.03, 0.17),
        Segment("thigh_l", 0, "capsule", 0.05, 0.245),
        Segment("shin_l", 6, "capsule", 0.04, 0.245),
        Segment("foot_l", 7, "capsule", 0.025, 0.07),
        Segment("thigh_r", 0, "capsule", 0.05, 0.245),
        Segment("shin_r", 9, "capsule", 0.04, 0.245),
        Segment("foot_r", 10, "capsule", 0.025, 0.07),
    ),
    "quadruped": (
        Segment("body", -1, "capsule", 0.14, 0.6),
        Segment("neck", 0, "capsule", 0.065, 0.2),
        Segment("head", 1, "capsule", 0.075, 0.12),
        Segment("upper_fl", 0, "capsule", 0.05, 0.25),
        Segment("lower_fl", 3, "capsule", 0.04, 0.25),
        Segment("upper_fr", 0, "capsule", 0.05, 0.25),
        Segment("lower_fr", 5, "capsule", 0.04, 0.25),
        Segment("upper_hl", 0, "capsule", 0.05, 0.25),
        Segment("lower_hl", 7, "capsule", 0.04, 0.25),
        Segment("upper_hr", 0, "capsule", 0.05, 0.25),
        Segment("lower_hr", 9, "capsule", 0.04, 0.25),
        Segment("tail", 0, "capsule", 0.025, 0.25),
    ),
}
# Limbs a duplicate may copy, or a teleport/clipping may move: first segment and its chain.
LIMBS: dict[str, dict[str, tuple[int, ...]]] = {
    "humanoid": {
        "arm_l": (2, 3),
        "arm_r": (4, 5),
        "leg_l": (6, 7, 8),
        "leg_r": (9, 10, 11),
    },
    "quadruped": {
        "leg_fl": (3, 4),
        "leg_fr": (5, 6),
        "leg_hl": (7, 8),
        "leg_hr": (9, 10),
        "tail": (11,),
    },
}
# Metres: the humanoid's height, the animal's body length. Larger than life next to the objects
# (a toy world): a limb must cover enough pixels at 64-128 px for its artifacts to be seen.
SCALE = {"humanoid": (0.65, 0.95), "quadruped": (0.45, 0.7)}


@dataclass
class FigureSpec:
    """A figure and its scripted motion (times in seconds, distances in metres, angles radians).

    `segments[j]` is the object index of skeleton part j. `held` is an object it carries
    between `hold[0]` and `hold[1]`, `hold_offset` where it sits relative to the right hand
    in the figure's heading frame. `extra_limb` names a limb whose hidden copy (`extra`, object
    indices) a duplicate twin may show.
    """

    kind: str
    motion: str
    scale: float
    start: tuple[float, float]
    heading: float
    speed: float = 0.0
    turn: float = 0.0  # heading change over the whole motion, radians
    t_event: float = 0.0  # when the motion's event happens (grasp, take-off, fall, reach)
    duration: float = 1.0  # seconds the clip lasts
    segments: list[int] = field(default_factory=list)
    held: int | None = None
    hold: tuple[float, float] = (0.0, 0.0)
    hold_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    phantom: str | None = None  # "appear": hidden until a twin reveals it
    extra_limb: str | None = None
    extra: list[int] = field(default_factory=list)
    extra_angle: float = 0.0  # how far the copy is swung off the original, radians

    def skeleton(self) -> tuple[Segment, ...]:
        return SKELETONS[self.kind]

    def limb(self, name: str) -> tuple[int, ...]:
        return LIMBS[self.kind][name]


def segment_colours(kind: str, rng: np.random.Generator) -> list[tuple[float, ...]]:
    """RGBA per segment: clothes (top, trousers), skin or fur, each drawn per figure."""

    def hsv(h, s, v):
        return (*colorsys.hsv_to_rgb(h % 1.0, s, v), 1.0)

    if kind == "humanoid":
        skin = hsv(rng.uniform(0.03, 0.11), rng.uniform(0.25, 0.6), rng.uniform(0.4, 0.95))
        top = hsv(rng.random(), rng.uniform(0.4, 0.9), rng.uniform(0.4, 0.95))
        legs = hsv(rng.random(), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.7))
        shoes = hsv(rng.random(), rng.uniform(0.0, 0.5), rng.uniform(0.1, 0.4))
        return [top, skin, top, skin, top, skin, legs, legs, shoes, legs, legs, shoes]
    fur = hsv(rng.uniform(0.02, 0.14), rng.uniform(0.2, 0.8), rng.uniform(0.25, 0.9))
    dark = tuple(float(c) * 0.6 for c in fur[:3]) + (1.0,)
    return [fur, fur, dark, fur, dark, fur, dark, fur, dark, fur, dark, dark]
