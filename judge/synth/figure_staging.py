"""Put figures into a scene being sampled (`sampling._Stage`): path, motion, segments, phantoms.

A figure's whole path must stay in view and clear of walls and occluders (segments are scripted
and would pass through them); the floor along it is kept free of other objects (`keep_out`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from judge.synth.camera import project
from judge.synth.figure_driver import quat_z_to
from judge.synth.figure_motion import FigureMotion
from judge.synth.figures import FIGURE_MOTIONS, LIMBS, SCALE, FigureSpec, segment_colours
from judge.synth.spec import ObjectSpec

FIGURE_STREAM = 2000  # the figures' own random stream: scenes without figures draw as before
SPEEDS = {"walk": (0.45, 0.75), "turn": (0.4, 0.65), "run": (1.3, 1.9), "carry": (0.35, 0.55)}


def _in_view(stage, p: np.ndarray, margin: float = 0.08, height: float = 0.0) -> bool:
    """Whether floor point p `(2,)` (and the point `height` above it) is inside the view."""
    sp = stage.spec
    pts = np.array([[p[0], p[1], 0.0], [p[0], p[1], height]])
    uv, depth = project(pts, stage.eye, stage.rot, sp.camera.fovy, sp.width, sp.height)
    u, v = uv[:, 0] / sp.width, uv[:, 1] / sp.height
    # The head may come near the top edge (a camera looking down leaves little room above).
    top = np.array([margin / 2, 0.0])
    inside = (margin < u) & (u < 1 - margin) & (top < v) & (v < 1 - margin / 2)
    return bool((depth > 0).all() and inside.all())


def _inside(stage, p: np.ndarray, radius: float) -> bool:
    """Whether a disc at floor point p stays in front of the back wall (if any)."""
    return bool(np.linalg.norm(p[:2] - stage.eye[:2]) + radius <= stage.wall_limit - 0.1)


def _reach(kind: str, scale: float) -> float:
    """Radius (metres) of the floor disc a figure's limbs may sweep around its root."""
    return (0.32 if kind == "humanoid" else 0.55) * scale


def add_figure(
    stage,
    rng: np.random.Generator,
    kind: str,
    motion: str,
    *,
    exit_frame: bool = False,
    phantom: str | None = None,
    near: np.ndarray | None = None,
    region: tuple[float, float, float, float] = (0.3, 0.7, 0.5, 0.85),
    spread: float = 0.7,
) -> FigureSpec | None:
    """Stage one figure (and for `carry` the object it picks up); None if nothing fits.

    `exit_frame`: the path leaves the view; `near`: a floor point the path should cross (a
    figure passing in front of another); `region`: where in the first frame its path is
    centred (image fractions, as `free_spot` takes them); `spread`: radians its heading may turn
    away from straight across the view. Low in the image (near the camera) leaves room above
    for the head.
    """
    sp = stage.spec
    duration = (sp.num_frames - 1) / sp.fps
    lo, hi = SCALE[kind]
    scale = float(rng.uniform(lo, hi))
    speed = float(rng.uniform(*SPEEDS.get(motion, (0.0, 0.0)))) * scale / 0.7
    if motion == "jump":
        speed = float(rng.uniform(0.0, 0.8)) * scale / 0.7
    for _ in range(12):
        mid = near if near is not None else stage.free_spot(_reach(kind, scale), region)
        if mid is None:
            return None
        across = stage.across() * (1 if rng.random() < 0.5 else -1)
        heading = float(np.arctan2(across[1], across[0]) + rng.uniform(-spread, spread))
        if near is not None:  # in front of the other figure: closer to the camera
            # Close behind each other: seen from above, a walker further forward shows lower in
            # the image and hides only the other's feet.
            mid = mid + stage.toward_camera(mid.copy()) * rng.uniform(0.28, 0.4)
        fig = FigureSpec(
            kind=kind,
            motion=motion,
            scale=scale,
            start=(0.0, 0.0),
            heading=heading,
            # Out of a wide view within the clip: a brisk walk or a run, whatever the clip length.
            speed=max(speed, 2.2 / duration) if exit_frame else speed,
            turn=float(rng.choice([-1, 1]) * rng.uniform(1.6, 3.1)) if motion == "turn" else 0.0,
            t_event=float(rng.uniform(0.3, 0.45) * duration),
            duration=duration,
            phantom=phantom,
        )
        if motion == "fall":
            fig.t_event = float(rng.uniform(0.12, 0.25) * duration)
        if motion == "carry":
            fig.t_event = float(rng.uniform(0.2, 0.3) * duration)
            place = rng.random() < 0.5 and duration > 2.0
            fig.hold = (fig.t_event, float(duration - 0.45) if place else 1e9)
        path = _path(fig, mid, from_start=exit_frame)
        tall = scale if kind == "humanoid" else 0.7 * scale
        if exit_frame:
            if _in_view(stage, path[-1], -0.05) or not _in_view(stage, path[0], 0.08, tall):
                continue
        elif not all(_in_view(stage, p, 0.08, tall) for p in path[:: max(1, len(path) // 6)]):
            continue
        reach = _reach(kind, scale)
        # A figure passing in front of another must cross its disc: only the walls bound it.
        fits = stage.fits if near is None else (lambda p, r: _inside(stage, p, r))
        if not all(fits(np.r_[p, 0.0], reach) for p in path[:: max(1, len(path) // 8)]):
            continue
        _segments(stage, fig, rng)
        if motion == "carry" and not _carried(stage, fig, rng):
            del stage.spec.objects[fig.segments[0] :]
            continue
        stage.keep_out += [(np.r_[p, 0.0], reach) for p in path[:: max(1, len(path) // 10)]]
        stage.spec.figures.append(fig)
        return fig
    return None


def _path(fig: FigureSpec, mid: np.ndarray, from_start: bool = False) -> np.ndarray:
    """Root floor points `(N, 2)` over the clip, the path centred on `mid` (or starting there)."""
    fig.start = (0.0, 0.0)
    mo = FigureMotion(fig)
    times = np.linspace(0, fig.duration, 25)
    xy = np.array([[np.interp(t, mo.t, mo.xy[:, k]) for k in (0, 1)] for t in times])
    centre = xy[0] if from_start else 0.5 * (xy.min(0) + xy.max(0))
    fig.start = tuple(float(v) for v in mid[:2] - centre)
    return xy - centre + mid[:2]


def _segments(stage, fig: FigureSpec, rng: np.random.Generator) -> None:
    """Append the figure's segments to the scene's objects, posed as at time 0."""
    sp, f = stage.spec, len(stage.spec.figures)
    bones = FigureMotion(fig).bones(0.0)
    colours = segment_colours(fig.kind, rng)
    role = "figure" if fig.phantom else None
    fig.segments = []
    for j, seg in enumerate(fig.skeleton()):
        r = seg.radius * fig.scale
        a, b = bones[j]
        if seg.shape == "sphere":
            size, pos, quat = (r, r, r), a, np.array([1.0, 0, 0, 0])
        else:
            half = 0.5 * seg.length * fig.scale
            d = (b - a) / max(np.linalg.norm(b - a), 1e-9)
            size, pos, quat = (r, half, r), a + d * half, quat_z_to(d)
        fig.segments.append(len(sp.objects))
        sp.objects.append(
            ObjectSpec(
                name=f"obj{len(sp.objects)}",
                shape=seg.shape,
                size=tuple(float(v) for v in size),
                rgba=tuple(float(c) for c in colours[j]),
                pos=tuple(float(v) for v in pos),
                quat=tuple(float(v) for v in quat),
                friction=0.8,
                specular=float(rng.uniform(0.0, 0.3)),
                shininess=0.3,
                motion="figure",
                phantom=role,
                figure=f,
            )
        )


def _carried(stage, fig: FigureSpec, rng: np.random.Generator) -> bool:
    """A box on the floor right under the hand at the moment the figure grasps it."""
    sp = stage.spec
    hand = FigureMotion(fig).hand(fig.t_event)
    r = 0.03 * fig.scale  # the forearm's radius
    half_h = float(np.clip((hand[2] - r - 0.006) / 2, 0.025, 0.12))
    side = float(rng.uniform(0.035, 0.06) * fig.scale / 0.7)
    o = stage.new_object("box", "carried")
    o.size = (side, side, half_h)
    o.pos = (float(hand[0]), float(hand[1]), half_h + 0.001)
    yaw = FigureMotion(fig).heading_at(fig.t_event)
    o.quat = (float(np.cos(yaw / 2)), 0.0, 0.0, float(np.sin(yaw / 2)))
    o.held_by = len(sp.figures)
    # Where it sits relative to the hand, in the figure's heading frame (the grasp keeps it).
    off = np.asarray(o.pos) - hand
    c, s = np.cos(-yaw), np.sin(-yaw)
    fig.hold_offset = (
        float(c * off[0] - s * off[1]),
        float(s * off[0] + c * off[1]),
        float(off[2]),
    )
    fig.held = len(sp.objects)
    sp.objects.append(o)
    return True


def add_extra_limb(stage, fig: FigureSpec, rng: np.random.Generator) -> None:
    """A hidden copy of one limb, swung off the original, that a duplicate twin may show."""
    sp = stage.spec
    # Legs: the largest limbs, whose copy is seen clearly at 64-128 px (arms less often are).
    names = [n for n in sorted(LIMBS[fig.kind]) if n != "tail"]
    w = np.array([2.0 if n.startswith("leg") else 1.0 for n in names])
    fig.extra_limb = str(names[rng.choice(len(names), p=w / w.sum())])
    fig.extra_angle = float(rng.choice([-1, 1]) * rng.uniform(0.8, 1.2))
    fig.extra = []
    for j in fig.limb(fig.extra_limb):
        src = sp.objects[fig.segments[j]]
        fig.extra.append(len(sp.objects))
        sp.objects.append(replace(src, name=f"obj{len(sp.objects)}", phantom="figure"))


def random_figure(stage, rng: np.random.Generator) -> FigureSpec | None:
    """One figure of a configured kind and motion, for a scene that draws figures.

    A second draw when the first does not fit (a long run in a narrow view): a quarter of the
    first draws fail, and the share of scenes with figures would fall short of `figure_prob`.
    """
    s = stage.cfg.scene
    kinds = list(s.figure_kinds)
    for _ in range(2):
        kind = str(kinds[rng.integers(len(kinds))])
        motions = [m for m in s.figure_motions if m in FIGURE_MOTIONS[kind]] or ["walk"]
        motion = str(motions[rng.integers(len(motions))])
        fig = add_figure(stage, rng, kind, motion)
        if fig is not None:
            return fig
    return None


def stage_figures(stage, rng: np.random.Generator) -> None:
    """Maybe a figure (`figure_prob`), then which twins target figures, and their phantoms."""
    spec, s = stage.spec, stage.cfg.scene
    if not spec.figures and rng.random() < s.figure_prob:
        random_figure(stage, rng)
    if not spec.figures:
        return
    spec.figure_artifacts = [k for k in spec.artifacts if rng.random() < s.figure_artifact_prob]
    if "appear" in spec.figure_artifacts:
        kinds = list(s.figure_kinds)
        kind = str(kinds[rng.integers(len(kinds))])
        # Anywhere in view, standing or walking: it must find room beside the first figure.
        own = [m for m in ("walk", "turn", "reach", "swing") if m in FIGURE_MOTIONS[kind]]
        motions = [m for m in own if m in s.figure_motions] or ["walk"]
        motion = str(motions[rng.integers(len(motions))])
        ghost = add_figure(
            stage, rng, kind, motion, phantom="appear", region=(0.15, 0.85, 0.35, 0.9)
        )
        if ghost is None:
            spec.figure_artifacts.remove("appear")
    if "duplicate" in spec.figure_artifacts:
        add_extra_limb(stage, spec.figures[0], rng)
