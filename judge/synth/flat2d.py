"""A second renderer for testing only: side-view 2D physics drawn with numpy, no MuJoCo.

The judge learns from MuJoCo's renderer; how it does on clips it could never have learned the
look of is the question the quality issues ask (another engine scored 0.83 AUROC where the
project's own scored 0.96). This module is a small stand-in for such an engine, so that a
recipe can be checked for what generalises without leaving the repository: flat shaded discs
and boxes falling, bouncing and sliding in front of a gradient wall and a textured floor band,
with their drop shadows, per-frame sensor noise and H.264 at a random CRF. Nothing of it is
used in training.

Each scene is rendered clean and once per artifact twin (`ARTIFACTS`, the project's seven),
from one deterministic simulation, so a twin equals its clean clip before the onset. The
artifacts, as the taxonomy (judge/labels.py) defines them:

- teleport: the object jumps a third of the frame sideways and carries on;
- clipping: it stops being held by the floor and sinks into it (drawn behind the floor band);
- vanish: it is not drawn from the onset on;
- appear: an object simulated from the start but hidden appears mid-motion;
- morph: its colour turns to the opposite hue, or its size changes by a half;
- duplicate: an identical copy moves beside it;
- levitate: gravity turns into a gentle lift and it floats up.

Rows follow the manifest format (docs/formats.md) with `source` "flat2d/numpy", so
`judge-eval` reports these clips as their own family; every row is in the test split.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from judge.io.jsonl import write_jsonl
from judge.io.writer import write_video
from judge.labels import ARTIFACT_LABELS, PLAUSIBLE

SOURCE = "flat2d/numpy"
ARTIFACTS = tuple(ARTIFACT_LABELS)
SIZES = ((96, 96), (128, 72), (112, 84))  # (width, height); even, as H.264 needs
SUBSTEPS = 4  # physics steps a frame: a fast fall must not tunnel through the floor


@dataclass
class Body:
    """One object: a disc or a box, its state in pixels (y down) and its look."""

    x: float
    y: float
    vx: float
    vy: float
    r: float  # radius, or half the side of a box
    rgb: tuple[float, float, float]
    box: bool
    hidden: bool = False  # simulated but not drawn (the `appear` stand-in until its onset)
    sinks: bool = False  # the floor no longer holds it (clipping)
    lift: float = 0.0  # > 0: an upward acceleration replaces gravity (levitate)


@dataclass
class Scene:
    """A scene's fixed draw: size, timing, look and the bodies at frame 0."""

    width: int
    height: int
    num_frames: int
    fps: float
    crf: int
    floor_y: float
    gravity: float
    restitution: float
    wall: tuple[np.ndarray, np.ndarray]  # top and bottom colours
    floor_rgb: np.ndarray
    texture: np.ndarray  # (H, W) low-frequency shading in [-1, 1]
    bodies: list[Body] = field(default_factory=list)


def _colour(rng: np.random.Generator) -> tuple[float, float, float]:
    return colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.5, 1.0), rng.uniform(0.55, 1.0))


def sample_scene(seed: int, index: int) -> Scene:
    """The scene `index` of `seed`: same arguments, same scene."""
    rng = np.random.default_rng([seed, index, 2])
    width, height = SIZES[rng.integers(len(SIZES))]
    unit = height / 96.0
    floor_y = height * rng.uniform(0.72, 0.85)
    coarse = rng.uniform(-1, 1, (4, 5))
    yy = np.linspace(0, coarse.shape[0] - 1, height)
    xx = np.linspace(0, coarse.shape[1] - 1, width)
    rows = np.array([np.interp(xx, np.arange(coarse.shape[1]), c) for c in coarse])
    texture = np.array([np.interp(yy, np.arange(coarse.shape[0]), col) for col in rows.T]).T
    scene = Scene(
        width=width,
        height=height,
        num_frames=int(rng.choice([24, 32])),
        fps=float(rng.choice([12.0, 15.0, 24.0])),
        crf=int(rng.integers(18, 29)),
        floor_y=floor_y,
        gravity=rng.uniform(0.35, 0.8) * unit,
        restitution=rng.uniform(0.5, 0.85),
        wall=(rng.uniform(0.3, 0.9, 3), rng.uniform(0.1, 0.6, 3)),
        floor_rgb=rng.uniform(0.15, 0.7, 3),
        texture=texture,
    )
    for _ in range(int(rng.integers(1, 4)) + 1):  # the last one is the hidden stand-in
        r = rng.uniform(0.06, 0.12) * height
        on_floor = rng.random() < 0.3
        scene.bodies.append(
            Body(
                x=rng.uniform(r, width - r),
                y=floor_y - r if on_floor else rng.uniform(r, floor_y - 2 * r),
                vx=rng.uniform(-2.0, 2.0) * unit,
                vy=0.0 if on_floor else rng.uniform(-3.0, 1.0) * unit,
                r=r,
                rgb=_colour(rng),
                box=bool(rng.random() < 0.4),
            )
        )
    scene.bodies[-1].hidden = True
    return scene


def _step(b: Body, s: Scene) -> None:
    """One frame of motion: gravity (or lift), bounces off the side walls and the floor."""
    for _ in range(SUBSTEPS):
        b.vy += (-b.lift if b.lift else s.gravity) / SUBSTEPS
        b.x += b.vx / SUBSTEPS
        b.y += b.vy / SUBSTEPS
        if b.x < b.r or b.x > s.width - b.r:
            b.x = float(np.clip(b.x, b.r, s.width - b.r))
            b.vx = -b.vx * s.restitution
        if not b.sinks and not b.lift and b.y > s.floor_y - b.r:
            b.y = s.floor_y - b.r
            b.vy = -b.vy * s.restitution if abs(b.vy) > s.gravity else 0.0
            b.vx *= 0.97  # rolling friction
        if b.sinks:
            b.vy = min(b.vy, 0.8 * s.gravity * 4)  # sinks steadily, as into sand


def _on_floor(b: Body, s: Scene) -> bool:
    return abs(b.y - (s.floor_y - b.r)) < 1.0 and abs(b.vy) < s.gravity


def simulate(scene: Scene, kind: str | None, target: int, onset: int) -> list[list[Body]]:
    """Each frame's bodies; the artifact `kind` (None: clean) acts on body `target` from
    frame `onset` on. Before the onset every variant runs the same arithmetic."""
    bodies = [replace(b) for b in scene.bodies]
    frames: list[list[Body]] = []
    for t in range(scene.num_frames):
        if t == onset and kind is not None:
            _inject(kind, bodies, target, scene)
        frames.append([replace(b) for b in bodies])
        for b in bodies:
            _step(b, scene)
    return frames


def _inject(kind: str, bodies: list[Body], k: int, s: Scene) -> None:
    b = bodies[k]
    if kind == "teleport":
        # A third of the frame or more, towards the side with room.
        jump = s.width * 0.4 * (1 if b.x < s.width / 2 else -1)
        b.x = float(np.clip(b.x + jump, b.r, s.width - b.r))
    elif kind == "clipping":
        b.sinks = True
    elif kind == "vanish":
        b.hidden = True
    elif kind == "appear":
        bodies[-1].hidden = False
    elif kind == "morph":
        h, sat, v = colorsys.rgb_to_hsv(*b.rgb)
        b.rgb = colorsys.hsv_to_rgb((h + 0.5) % 1.0, sat, v)
        b.r *= 1.5 if b.r < 0.09 * s.height else 0.6
    elif kind == "duplicate":
        side = 1 if b.x < s.width / 2 else -1
        bodies.insert(-1, replace(b, x=b.x + side * 2.6 * b.r))
    elif kind == "levitate":
        b.lift = 0.25 * s.gravity
        b.vy = min(b.vy, -0.3 * s.gravity)
    else:
        raise ValueError(f"unknown artifact kind {kind!r}")


def _box(b: Body, s: Scene) -> list[int]:
    x0, y0 = max(0, int(b.x - b.r)), max(0, int(b.y - b.r))
    x1, y1 = min(s.width - 1, int(np.ceil(b.x + b.r))), min(s.height - 1, int(np.ceil(b.y + b.r)))
    return [x0, y0, x1, y1]


def render_frame(scene: Scene, bodies: list[Body], noise: np.random.Generator) -> np.ndarray:
    """uint8 `(H, W, 3)`: wall, shadows, bodies (sinking ones behind the floor), noise."""
    s = scene
    h, w = s.height, s.width
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    top, bottom = s.wall
    mix = (ys / h)[..., None]
    img = top * (1 - mix) + bottom * mix + 0.06 * s.texture[..., None]
    floor = ys >= s.floor_y
    stripes = 0.05 * np.sign(np.sin(xs * 0.35 + ys * 0.9))
    floor_img = s.floor_rgb + stripes[..., None] + 0.08 * s.texture[..., None]
    for b in bodies:  # soft drop shadows on the floor, smaller and fainter with height
        if b.hidden:
            continue
        height_above = max(0.0, s.floor_y - (b.y + b.r))
        spread = b.r * (1.0 + height_above / h)
        d = ((xs - b.x) / spread) ** 2 + ((ys - s.floor_y - 1) / (0.25 * spread)) ** 2
        dark = 0.45 * np.exp(-d) / (1.0 + height_above / (0.3 * h))
        floor_img = floor_img * (1 - dark[..., None])
    img = np.where(floor[..., None], floor_img, img)

    def draw(b: Body, canvas: np.ndarray) -> np.ndarray:
        dx, dy = xs - b.x, ys - b.y
        if b.box:
            inside = np.clip(b.r + 0.5 - np.maximum(abs(dx), abs(dy)), 0, 1)
        else:
            inside = np.clip(b.r + 0.5 - np.hypot(dx, dy), 0, 1)
        light = 1.0 + 0.35 * np.clip(-(dx + dy) / (2 * b.r), -1, 1)  # lit from the top left
        colour = np.clip(np.asarray(b.rgb) * light[..., None], 0, 1)
        return canvas * (1 - inside[..., None]) + colour * inside[..., None]

    for b in bodies:
        if not b.hidden and not b.sinks:
            img = draw(b, img)
    for b in bodies:  # what sinks is drawn over the wall only: the floor band hides it
        if not b.hidden and b.sinks:
            img = np.where(floor[..., None], img, draw(b, img))
    img = img + noise.normal(0, 0.012, img.shape)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _in_frame(b: Body, s: Scene) -> bool:
    return b.r <= b.x <= s.width - b.r and b.r <= b.y <= s.floor_y - b.r + 1.0


def plan_artifact(
    scene: Scene, clean: list[list[Body]], rng: np.random.Generator, kind: str
) -> tuple[int, int] | None:
    """(target body, onset frame) where `kind` shows, or None when this scene has none: the
    body the artifact is seen on (the hidden stand-in for `appear`) must be wholly in view at
    the onset in the clean run's states `clean`, and for clipping resting on the floor, or it
    would never visibly sink."""
    t = scene.num_frames
    lo, hi = t // 4, 3 * t // 4
    stand_in = len(scene.bodies) - 1
    for k in rng.permutation(stand_in):
        seen = stand_in if kind == "appear" else int(k)
        ok = [f for f in range(lo, hi) if _in_frame(clean[f][seen], scene)]
        if kind == "clipping":
            ok = [f for f in ok if _on_floor(clean[f][seen], scene)]
        if ok:
            return int(k), int(ok[rng.integers(len(ok))])
    return None


def first_visible_change(clean: np.ndarray, twin: np.ndarray, min_px: int = 6) -> int | None:
    """The first frame where at least `min_px` pixels differ by more than 24 of 255 between
    uint8 clips `(T, H, W, 3)`, or None."""
    diff = np.abs(clean.astype(np.int16) - twin.astype(np.int16)).max(axis=3) > 24
    changed = np.flatnonzero(diff.sum(axis=(1, 2)) >= min_px)
    return int(changed[0]) if len(changed) else None


@dataclass
class Variant:
    """One clip of a scene: clean (`kind` None) or a twin whose artifact acts on body `target`
    and first shows at frame `onset` (measured); its bodies per frame and its frames uint8
    `(T, H, W, 3)`."""

    kind: str | None
    target: int
    onset: int
    states: list[list[Body]]
    frames: np.ndarray


def variants(scene: Scene, seed: int, index: int) -> Iterator[Variant]:
    """The clean clip, then one twin per artifact kind the scene can show visibly."""
    rng = np.random.default_rng([seed, index, 3])

    def draw(states: list[list[Body]]) -> np.ndarray:
        noise = np.random.default_rng([seed, index, 4])  # the same noise in every twin
        return np.stack([render_frame(scene, st, noise) for st in states])

    clean_states = simulate(scene, None, 0, -1)
    clean = draw(clean_states)
    yield Variant(None, 0, -1, clean_states, clean)
    for kind in ARTIFACTS:
        plan = plan_artifact(scene, clean_states, rng, kind)
        if plan is None:
            continue
        states = simulate(scene, kind, *plan)
        frames = draw(states)
        # The event's frame is measured, as judge-synth's: the first frame that differs visibly
        # from the clean clip (a sinking or lifting body moves a frame later).
        onset = first_visible_change(clean, frames)
        if onset is not None:  # else not visible: no twin
            yield Variant(kind, plan[0], onset, states, frames)


def render_scene(scene: Scene, seed: int, index: int, out: Path) -> list[dict]:
    """Write the clean clip and one twin per artifact kind the scene can show; their rows."""
    rows = []
    for v in variants(scene, seed, index):
        variant = v.kind or "clean"
        name = f"{index:06d}_{variant}.mp4"
        write_video(out / "clips" / name, v.frames, fps=scene.fps, crf=scene.crf, preset="fast")
        labels = {label: int(label == v.kind) for label in ARTIFACTS}
        labels[PLAUSIBLE] = int(v.kind is None)
        events = []
        if v.kind is not None:
            # Where it shows: the stand-in that appears, the copy beside its original.
            shown = {"appear": -1, "duplicate": -2}.get(v.kind, v.target)
            events.append(
                {
                    "type": v.kind,
                    "frame": v.onset,
                    "end": None,  # lasts to the end of the clip
                    "object": len(scene.bodies) - 1 if v.kind == "appear" else v.target,
                    "bbox": _box(v.states[v.onset][shown], scene),
                }
            )
        rows.append(
            {
                "path": f"clips/{name}",
                "group": f"flat2d-{index:06d}",
                "source": SOURCE,
                "split": "test",
                "variant": variant,
                "tags": [],
                "labels": labels,
                "events": events,
                "fps": scene.fps,
                "num_frames": scene.num_frames,
                "width": scene.width,
                "height": scene.height,
                "crf": scene.crf,
            }
        )
    return rows


def generate(out: str | Path, num_scenes: int, seed: int = 0) -> Path:
    """Render `num_scenes` scenes into `out` (clips/ and manifest.jsonl, written last and
    atomically); same arguments, same manifest. Returns the manifest's path."""
    out = Path(out)
    rows = []
    for index in range(num_scenes):
        rows += render_scene(sample_scene(seed, index), seed, index, out)
    return write_jsonl(out / "manifest.jsonl", rows)
