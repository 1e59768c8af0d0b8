"""Draw a random scene spec from (config, seed, scene index, attempt): domain randomisation."""

from __future__ import annotations

import colorsys
import math

import numpy as np

from judge.synth.camera import look_at, pixel_ray_to_floor
from judge.synth.config import SynthConfig, image_files
from judge.synth.look import LOOK_STREAM, sample_look
from judge.synth.photos import photo_files
from judge.synth.spec import (
    MESHES,
    BoxSpec,
    CameraSpec,
    LightSpec,
    ObjectSpec,
    SceneSpec,
    TextureSpec,
)

MAX_TIMESTEP = 0.004
ROUND_SHAPES = ("sphere", "cylinder", "capsule")


def scene_rng(seed: int, index: int, attempt: int, stream: int = 0) -> np.random.Generator:
    """Independent, reproducible stream per scene, attempt and purpose."""
    return np.random.default_rng(np.random.SeedSequence([seed, index, attempt, stream]))


def sample_scene(cfg: SynthConfig, seed: int, index: int, attempt: int = 0) -> SceneSpec:
    rng = scene_rng(seed, index, attempt)
    r, s, a = cfg.render, cfg.scene, cfg.artifacts
    width, height = (int(v) for v in r.sizes[rng.integers(len(r.sizes))])
    fps = float(r.fps[rng.integers(len(r.fps))])
    num_frames = int(r.num_frames[rng.integers(len(r.num_frames))])
    substeps = math.ceil(1.0 / (fps * MAX_TIMESTEP))

    hard = None
    if a.hard_negatives and rng.random() < a.hard_negative_fraction:
        hard = _pick_hard_negative(rng, cfg)
    artifacts = _pick_artifacts(rng, cfg)

    camera = _sample_camera(rng, cfg, moving=hard is None)
    spec = SceneSpec(
        index=index,
        seed=seed,
        width=width,
        height=height,
        fps=fps,
        num_frames=num_frames,
        crf=int(rng.integers(r.crf[0], r.crf[1] + 1)),
        floor=_sample_texture(rng, s.floor_textures, s),
        camera=camera,
        lights=_sample_lights(rng, cfg),
        objects=[],
        hard_negative=hard,
        artifacts=artifacts,
        timestep=1.0 / (fps * substeps),
        shadows=r.shadows,
        shadow_size=r.shadow_size,
        antialias_samples=r.antialias_samples,
    )
    stage = _Stage(spec, rng, cfg)
    if rng.random() < s.wall_prob:
        stage.add_back_wall()
    n = int(rng.integers(s.num_objects[0], s.num_objects[1] + 1))
    if hard is not None:
        stage.hard_negative(hard)
    if s.figure_prob > 0 or spec.figures:  # own stream: scenes without figures draw as before
        from judge.synth.figure_staging import FIGURE_STREAM, stage_figures

        stage_figures(stage, scene_rng(seed, index, attempt, FIGURE_STREAM))
    if hard is None and "clipping" in artifacts and rng.random() < CLIPPING_CONTACT_PROB:
        stage.add_contact_pair()
    while sum(o.figure is None for o in spec.objects) < n:
        if not stage.add_random_object():
            break
    if rng.random() < s.occluder_prob and not spec.occluders:
        stage.add_occluder_somewhere()
    _add_phantoms(spec, rng, cfg)
    look = scene_rng(seed, index, attempt, LOOK_STREAM)  # its own stream: defaults unchanged
    sample_look(spec, cfg, look, moving=hard is None)
    return spec


# Share of scenes with a clipping twin that get two objects sure to touch: without them almost
# every clipping twin sank into the floor (the only contact most scenes have).
CLIPPING_CONTACT_PROB = 0.8


def hard_negative_probabilities(cfg: SynthConfig) -> np.ndarray:
    """`(len(hard_negatives),)`: the chance that a scene chosen for staging (one in
    `hard_negative_fraction`) is drawn as each tag, uniform unless `hard_negative_weights` says
    otherwise. A staging that fails its check is drawn again, so rendered shares can differ."""
    a = cfg.artifacts
    w = np.array([a.hard_negative_weights.get(t, 1.0) for t in a.hard_negatives], float)
    return w / w.sum()


def _pick_hard_negative(rng: np.random.Generator, cfg: SynthConfig) -> str:
    """One tag of `hard_negatives`, drawn by `hard_negative_probabilities`."""
    a = cfg.artifacts
    if not a.hard_negative_weights:  # the original draw, so default scenes keep their bytes
        return str(a.hard_negatives[rng.integers(len(a.hard_negatives))])
    p = hard_negative_probabilities(cfg)
    return str(a.hard_negatives[rng.choice(len(p), p=p)])


def _pick_artifacts(rng: np.random.Generator, cfg: SynthConfig) -> list[str]:
    a = cfg.artifacts
    labels = [k for k in a.labels if a.weight(k) > 0]
    w = np.array([a.weight(k) for k in labels], float)
    k = min(a.twins_per_scene, len(labels))
    if k == 0:
        return []
    picks = rng.choice(len(labels), size=k, replace=False, p=w / w.sum())
    return [labels[i] for i in sorted(picks)]


def _sample_camera(rng: np.random.Generator, cfg: SynthConfig, moving: bool) -> CameraSpec:
    s = cfg.scene
    target = np.array([rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2), rng.uniform(0.05, 0.2)])
    az = rng.uniform(0, 2 * np.pi)
    el = np.radians(rng.uniform(*s.camera_elevation_deg))
    dist = rng.uniform(*s.camera_distance)

    def eye(azimuth: float, d: float) -> np.ndarray:
        return target + d * np.array(
            [np.cos(el) * np.cos(azimuth), np.cos(el) * np.sin(azimuth), np.sin(el)]
        )

    eye0 = eye(az, dist)
    eye1 = eye0
    if moving and rng.random() < s.camera_motion_prob:
        daz = np.radians(rng.uniform(-s.camera_motion_deg, s.camera_motion_deg))
        eye1 = eye(az + daz, dist * rng.uniform(0.93, 1.07))
    return CameraSpec(
        tuple(eye0), tuple(eye1), tuple(target), float(rng.uniform(*s.camera_fovy_deg))
    )


def _random_color(rng: np.random.Generator, sat=(0.45, 1.0), val=(0.45, 1.0)) -> tuple:
    rgb = colorsys.hsv_to_rgb(rng.random(), rng.uniform(*sat), rng.uniform(*val))
    return (*rgb,)


def _sample_texture(rng: np.random.Generator, kinds, s) -> TextureSpec:
    kind = str(kinds[rng.integers(len(kinds))])
    c1 = _random_color(rng, sat=(0.0, 0.6), val=(0.2, 0.9))
    c2 = _random_color(rng, sat=(0.0, 0.6), val=(0.2, 0.9))
    image = None
    if kind == "image":
        files = image_files(s.texture_dir)
        image = str(files[rng.integers(len(files))])
    elif kind in ("photo", "footage"):
        files = photo_files(kind, s)
        image = str(files[rng.integers(len(files))])
    tex = TextureSpec(
        kind, c1, c2, repeat=float(rng.uniform(2, 8)), image=image, seed=int(rng.integers(2**31))
    )
    if kind in ("photo", "footage"):
        # A photo tiled every 12-50 cm looks like wallpaper; show one every 1-4 m instead.
        tex.repeat, tex.px = tex.repeat / 8, s.photo_px
    return tex


def _sample_lights(rng: np.random.Generator, cfg: SynthConfig) -> list[LightSpec]:
    n = int(rng.integers(cfg.scene.num_lights[0], cfg.scene.num_lights[1] + 1))
    lights = []
    for i in range(n):
        az, el = rng.uniform(0, 2 * np.pi), np.radians(rng.uniform(35, 85))
        pos = 3.0 * np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
        lights.append(
            LightSpec(
                pos=tuple(pos),
                dir=tuple(-pos / np.linalg.norm(pos)),
                diffuse=float(rng.uniform(0.35, 0.8) / np.sqrt(n)),
                directional=bool(rng.random() < 0.5),
                castshadow=bool(cfg.render.shadows and i == 0),
            )
        )
    return lights


class _Stage:
    """Places objects, walls and occluders inside the camera's view."""

    def __init__(self, spec: SceneSpec, rng: np.random.Generator, cfg: SynthConfig):
        self.spec, self.rng, self.cfg = spec, rng, cfg
        self.eye = np.asarray(spec.camera.eye0)
        self.rot = look_at(self.eye, np.asarray(spec.camera.target))
        self.wall_limit = np.inf  # max distance from the camera along the view, if a back wall
        # Floor discs `(centre (3,), radius)` kept free for a rig's path (a hand, a swing).
        self.keep_out: list[tuple[np.ndarray, float]] = []
        self.still = False  # a hard negative wants every further object at rest

    # --- geometry helpers -------------------------------------------------------------------
    def floor_point(self, u: float, v: float) -> np.ndarray | None:
        """Floor point seen at normalised image coords (u, v) in [0, 1]^2."""
        sp = self.spec
        p = pixel_ray_to_floor(
            u * sp.width, v * sp.height, self.eye, self.rot, sp.camera.fovy, sp.width, sp.height
        )
        if p is None or np.linalg.norm(p[:2] - self.eye[:2]) > self.wall_limit - 0.35:
            return None
        return p

    def across(self) -> np.ndarray:
        """Horizontal unit vector pointing to the image's right."""
        x = self.rot[:, 0].copy()
        x[2] = 0
        return x / np.linalg.norm(x)

    def fits(self, p: np.ndarray, radius: float) -> bool:
        """Whether a body of this radius at floor point p is clear of the wall and other bodies."""
        inside = np.linalg.norm(p[:2] - self.eye[:2]) + radius <= self.wall_limit - 0.1
        return inside and self.clear(p, radius)

    def toward_camera(self, p: np.ndarray) -> np.ndarray:
        d = self.eye - p
        d[2] = 0
        return d / np.linalg.norm(d)

    def free_spot(
        self, radius: float, region=(0.2, 0.8, 0.3, 0.85), tries: int = 30
    ) -> np.ndarray | None:
        for _ in range(tries):
            p = self.floor_point(
                self.rng.uniform(region[0], region[1]), self.rng.uniform(region[2], region[3])
            )
            if p is not None and self.clear(p, radius):
                return p
        return None

    def clear(self, p: np.ndarray, radius: float) -> bool:
        for o in self.spec.objects:
            if np.linalg.norm(np.asarray(o.pos[:2]) - p[:2]) < radius + o.radius() + 0.05:
                return False
        for b in self.spec.occluders:
            if np.linalg.norm(np.asarray(b.pos[:2]) - p[:2]) < radius + max(b.size[:2]) + 0.05:
                return False
        return all(np.linalg.norm(c[:2] - p[:2]) >= radius + r for c, r in self.keep_out)

    # --- objects ----------------------------------------------------------------------------
    def new_object(self, shape: str | None = None, motion: str = "rest") -> ObjectSpec:
        rng, s = self.rng, self.cfg.scene
        shape = shape or str(s.shapes[rng.integers(len(s.shapes))])
        lo, hi = s.object_half_size
        e = rng.uniform(lo, hi, size=3)
        mesh = None
        if shape == "sphere":
            size = (e[0],) * 3
        elif shape in ("cylinder", "capsule"):
            size = (e[0], e[1] if shape == "cylinder" else e[1] * 0.6, e[0])
        elif shape == "mesh":
            mesh = str(sorted(MESHES)[rng.integers(len(MESHES))])
            size = tuple(e)
        else:
            size = tuple(e)
        return ObjectSpec(
            name=f"obj{len(self.spec.objects)}",
            shape=shape,
            size=tuple(float(v) for v in size),
            rgba=(*_random_color(rng), 1.0),
            pos=(0.0, 0.0, 0.0),
            mesh=mesh,
            friction=float(rng.uniform(0.5, 1.0)),
            specular=float(rng.uniform(0.0, 0.6)),
            shininess=float(rng.uniform(0.1, 0.9)),
            motion=motion,
        )

    def place(self, o: ObjectSpec, p: np.ndarray, lift: float = 0.0) -> None:
        yaw = self.rng.uniform(0, 2 * np.pi)
        o.pos = (float(p[0]), float(p[1]), float(o.half_height() + 0.002 + lift))
        o.quat = (float(np.cos(yaw / 2)), 0.0, 0.0, float(np.sin(yaw / 2)))

    def add_random_object(self) -> bool:
        rng, s = self.rng, self.cfg.scene
        motion = str(s.motions[rng.integers(len(s.motions))])
        if self.still:  # drawn all the same, so that the stream of draws stays aligned
            motion = "rest"
        if motion == "roll":
            shapes = [x for x in s.shapes if x in ROUND_SHAPES] or list(s.shapes)
            o = self.new_object(str(shapes[rng.integers(len(shapes))]), motion)
        else:
            o = self.new_object(motion=motion)
        if motion == "stack" and self._stack(o):
            return True
        if motion == "collide" and self._collide_pair(o):
            return True
        p = self.free_spot(o.radius())
        if p is None:
            return False
        if motion in ("stack", "collide"):
            motion = o.motion = "rest"
        if motion == "drop":
            self.place(o, p, lift=rng.uniform(0.3, 0.9))
            o.quat = tuple(float(v) for v in _random_quat(rng))
        elif motion == "throw":
            self.place(o, p, lift=rng.uniform(0.1, 0.5))
            goal = self.free_spot(0.0) if rng.random() < 0.8 else None
            goal = p if goal is None else goal
            d = goal[:2] - p[:2]
            d = d / (np.linalg.norm(d) + 1e-9) * rng.uniform(0.6, 2.0)
            o.linvel = (float(d[0]), float(d[1]), float(rng.uniform(1.0, 3.0)))
            o.angvel = tuple(float(v) for v in rng.normal(0, 4, 3))
        elif motion in ("roll", "slide"):
            self.place(o, p)
            self._set_ground_motion(o, self._random_dir(), rng.uniform(0.4, 1.4))
            if motion == "slide":
                o.friction = float(rng.uniform(0.1, 0.3))
        else:
            self.place(o, p)
        self.spec.objects.append(o)
        return True

    def _random_dir(self) -> np.ndarray:
        a = self.rng.uniform(0, 2 * np.pi)
        return np.array([np.cos(a), np.sin(a), 0.0])

    def _set_ground_motion(self, o: ObjectSpec, direction: np.ndarray, speed: float) -> None:
        """Give a grounded object a horizontal velocity; round shapes lie down and roll."""
        v = direction * speed
        o.linvel = (float(v[0]), float(v[1]), 0.0)
        if o.shape in ("cylinder", "capsule"):
            # Lie the axis horizontally, perpendicular to the motion, then spin about it.
            yaw = math.atan2(direction[1], direction[0])
            qz = np.array([np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)])
            qx = np.array([np.cos(np.pi / 4), np.sin(np.pi / 4), 0, 0])
            o.quat = tuple(float(x) for x in _quat_mul(qz, qx))
            o.pos = (o.pos[0], o.pos[1], float(o.size[0] + 0.002))
            radius = o.size[0]
        elif o.shape == "sphere":
            radius = o.size[0]
        else:
            return
        w = np.cross([0, 0, 1.0], v) / radius
        o.angvel = tuple(float(x) for x in w)

    def add_contact_pair(self) -> bool:
        """Two objects that will touch (a collision or a stack), for clipping to pass through."""
        if self.rng.random() < 0.5:
            return self._collide_pair(self.new_object(motion="collide"))
        base = self.new_object("box")
        p = self.free_spot(base.radius())
        if p is None:
            return False
        self.place(base, p)
        self.spec.objects.append(base)
        top = self.new_object(str(self.rng.choice(["box", "cylinder", "mesh"])), "stack")
        return self._stack(top)

    def _stack(self, o: ObjectSpec) -> bool:
        bases = [b for b in self.spec.objects if b.shape == "box" and b.motion == "rest"]
        if not bases or o.shape not in ("box", "cylinder", "mesh"):
            return False
        b = bases[self.rng.integers(len(bases))]
        o.pos = (
            b.pos[0] + self.rng.uniform(-0.3, 0.3) * b.size[0],
            b.pos[1],
            b.pos[2] + b.half_height() + o.half_height() + 0.003,
        )
        o.quat = b.quat
        self.spec.objects.append(o)
        return True

    def _collide_pair(self, o: ObjectSpec) -> bool:
        other = self.new_object(motion="collide")
        p = self.free_spot(o.radius() + other.radius() + 0.5)
        if p is None:
            return False
        gap = o.radius() + other.radius() + self.rng.uniform(0.3, 0.6)
        d = self._random_dir()
        a, b = p - d * gap / 2, p + d * gap / 2
        if not (self.fits(a, o.radius()) and self.fits(b, other.radius())):
            return False
        self.place(o, a)
        self.place(other, b)
        speed = self.rng.uniform(0.8, 1.6)
        self._set_ground_motion(o, d, speed)
        self._set_ground_motion(other, -d, speed)
        other.name = f"obj{len(self.spec.objects) + 1}"
        self.spec.objects += [o, other]
        return True

    # --- statics ----------------------------------------------------------------------------
    def add_back_wall(self) -> None:
        target = np.asarray(self.spec.camera.target)
        away = -self.toward_camera(target.copy())
        dist = self.rng.uniform(0.9, 1.6)
        centre = target + away * dist
        height = self.rng.uniform(0.4, 1.0)
        yaw = math.degrees(math.atan2(away[1], away[0])) + 90
        tex = _sample_texture(self.rng, self.cfg.scene.wall_textures, self.cfg.scene)
        self.spec.walls.append(
            BoxSpec(
                (float(centre[0]), float(centre[1]), height / 2),
                (3.0, 0.05, height / 2),
                yaw,
                texture=tex,
            )
        )
        self.wall_limit = float(np.linalg.norm(centre[:2] - self.eye[:2]))

    def add_occluder(self, p: np.ndarray, half_width: float, height: float) -> BoxSpec:
        d = self.toward_camera(p.copy())
        yaw = math.degrees(math.atan2(d[1], d[0])) + 90
        occ = BoxSpec(
            (float(p[0]), float(p[1]), height / 2),
            (half_width, 0.03, height / 2),
            yaw,
            rgba=(*_random_color(self.rng, sat=(0.0, 0.5), val=(0.3, 0.9)), 1.0),
        )
        self.spec.occluders.append(occ)
        return occ

    def add_occluder_somewhere(self) -> None:
        p = self.free_spot(0.35, region=(0.25, 0.75, 0.55, 0.85))
        if p is not None:
            self.add_occluder(p, self.rng.uniform(0.15, 0.35), self.rng.uniform(0.25, 0.5))

    # --- hard negatives -------------------------------------------------------------------
    def hard_negative(self, tag: str) -> None:
        from judge.synth.hard_negatives import stage_hard_negative

        stage_hard_negative(self, tag)


def _random_quat(rng: np.random.Generator) -> np.ndarray:
    q = rng.normal(size=4)
    return q / np.linalg.norm(q)


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return np.array(
        [
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ]
    )


def _add_phantoms(spec: SceneSpec, rng: np.random.Generator, cfg: SynthConfig) -> None:
    """Hidden stand-ins for the twins that add or swap an object (appear, duplicate, morph)."""
    real = spec.real_objects()
    kinds = [k for k in spec.artifacts if k not in spec.figure_artifacts]
    park = lambda k: (20.0 + 3 * k, 20.0, 1.0)  # noqa: E731 - far outside every view
    extra: list[ObjectSpec] = []
    if "appear" in kinds:
        stage = _Stage(spec, rng, cfg)
        o = stage.new_object()
        o.phantom, o.pos = "appear", park(0)
        extra.append(o)
    for i in real:
        src = spec.objects[i]
        if "duplicate" in kinds:
            extra.append(_copy(src, "duplicate", i, park(len(extra))))
        if "morph" in kinds and src.shape != "mesh":
            m = _copy(src, "morph", i, park(len(extra)))
            choices = [x for x in cfg.scene.shapes if x not in ("mesh", src.shape)]
            if choices and rng.random() < 0.5:
                m.shape = str(choices[rng.integers(len(choices))])
                e = max(src.size[:3])
                m.size = {
                    "sphere": (e,) * 3,
                    "cylinder": (e, e, e),
                    "capsule": (e * 0.8, e * 0.6, e),
                }.get(m.shape, (e, e, e))
            else:
                f = rng.choice([rng.uniform(0.45, 0.65), rng.uniform(1.5, 1.9)])
                m.size = tuple(float(v * f) for v in src.size)
            extra.append(m)
    for k, o in enumerate(extra):
        o.name = f"obj{len(spec.objects) + k}"
    spec.objects.extend(extra)


def _copy(src: ObjectSpec, role: str, index: int, pos) -> ObjectSpec:
    from dataclasses import replace

    return replace(
        src,
        phantom=role,
        source=index,
        pos=pos,
        linvel=(0.0, 0.0, 0.0),
        angvel=(0.0, 0.0, 0.0),
        motion="rest",
    )
