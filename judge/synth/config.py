"""Validated settings of the synthetic generator.

Hydra composes `configs/synth.yaml`; `SynthConfig.from_dict` turns the `synth` node into these
dataclasses and fails at once, naming the bad value, on anything that would only break later
inside a worker.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judge.labels import ARTIFACT_LABELS, HARD_NEGATIVE_TAGS, validate_labels
from judge.synth.figures import ALL_MOTIONS, FIGURE_KINDS
from judge.synth.photos import BUNDLED_PHOTOS
from judge.synth.spec import FAMILY_VALUES

SHAPES = ("box", "sphere", "cylinder", "capsule", "ellipsoid", "mesh")
# "photo": photographs shipped in scikit-image's wheel; "footage": frames of `texture_videos`.
TEXTURE_KINDS = ("checker", "noise", "gradient", "solid", "image", "photo", "footage")
MOTIONS = ("drop", "throw", "roll", "slide", "rest", "collide", "stack")
X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
    "placebo",
)


class ConfigError(ValueError):
    """A generator setting is invalid; the message names the key and the value."""


def _thaw(v: Any) -> Any:
    """Tuples back to lists, so messages show values as they were written in YAML."""
    return [_thaw(x) for x in v] if isinstance(v, tuple | list) else v


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _range(name: str, value: Any, *, lo: float | None = None, integer: bool = False) -> tuple:
    """Check a `[min, max]` pair; `lo` is the smallest allowed bound."""
    value = _thaw(value)
    if not isinstance(value, list) or len(value) != 2:
        raise ConfigError(f"{name} must be a [min, max] pair, got {value!r}")
    a, b = value
    kinds = (int,) if integer else (int, float)
    if not all(isinstance(v, kinds) and not isinstance(v, bool) for v in (a, b)):
        raise ConfigError(f"{name} must hold {'integers' if integer else 'numbers'}, got {value!r}")
    if a > b:
        raise ConfigError(f"{name} has min > max: {value!r}")
    if lo is not None and a < lo:
        raise ConfigError(f"{name} must be >= {lo}, got {value!r}")
    return (a, b)


def _choices(name: str, value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str) or not value:
        raise ConfigError(f"{name} must be a non-empty list, got {value!r}")
    bad = [v for v in value if v not in allowed]
    if bad:
        raise ConfigError(f"{name}: unknown value(s) {bad}; known: {list(allowed)}")
    return tuple(value)


def _positive(name: str, value: Any, *, allow_zero: bool = False, integer: bool = False) -> None:
    kinds = int if integer else int | float
    ok = isinstance(value, kinds) and not isinstance(value, bool)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        kind = "an integer" if integer else "a number"
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{name} must be {kind} {bound}, got {value!r}")


@dataclass(frozen=True)
class RenderConfig:
    """Image and encoding settings; list values are choices drawn per scene."""

    sizes: tuple = ((96, 96),)
    fps: tuple = (15,)
    num_frames: tuple = (24,)
    crf: tuple = (18, 28)
    shadows: bool = True
    shadow_size: int = 1024
    antialias_samples: int = 4
    preset: str = "medium"
    # A shutter open for a drawn fraction of the frame interval, in that share of scenes: fast
    # objects become streaks, as in cameras and generated video (judge/synth/shutter.py).
    shutter_prob: float = 0.0
    shutter: tuple = (0.25, 0.75)
    shutter_samples: int = 8

    def __post_init__(self) -> None:
        p = "synth.render."
        if not isinstance(self.sizes, tuple) or not self.sizes:
            raise ConfigError(f"{p}sizes must list [width, height] pairs, got {self.sizes!r}")
        for s in self.sizes:
            pair = isinstance(s, tuple) and len(s) == 2 and all(_is_int(v) for v in s)
            if not pair or min(s) <= 0 or any(v % 2 for v in s):
                raise ConfigError(
                    f"{p}sizes: {_thaw(s)!r} must be a [width, height] pair of positive even"
                    " integers (sizes is a list of pairs, e.g. [[96, 96]])"
                )
        for name, integer in (("fps", False), ("num_frames", True)):
            vals = getattr(self, name)
            kinds = (lambda v: _is_int(v)) if integer else (lambda v: _is_number(v))
            if not isinstance(vals, tuple) or not vals or not all(kinds(v) and v > 0 for v in vals):
                kind = "integers" if integer else "numbers"
                shown = _thaw(vals)
                raise ConfigError(f"{p}{name} must be a list of positive {kind}, got {shown!r}")
        if min(self.num_frames) < 8:
            raise ConfigError(f"{p}num_frames must be >= 8, got {list(self.num_frames)}")
        _range(p + "crf", self.crf, lo=0, integer=True)
        if self.crf[1] > 51:
            raise ConfigError(f"{p}crf must be <= 51, got {list(self.crf)}")
        if not isinstance(self.shadows, bool):
            raise ConfigError(f"{p}shadows must be true or false, got {self.shadows!r}")
        _positive(p + "shadow_size", self.shadow_size, integer=True)
        _positive(p + "antialias_samples", self.antialias_samples, allow_zero=True, integer=True)
        _probability(p + "shutter_prob", self.shutter_prob)
        lo, hi = _range(p + "shutter", self.shutter, lo=0.0)
        if hi > 1:
            raise ConfigError(
                f"{p}shutter must be within [0, 1] of a frame, got {list(self.shutter)}"
            )
        _positive(p + "shutter_samples", self.shutter_samples, integer=True)
        if self.shutter_samples < 2:
            raise ConfigError(f"{p}shutter_samples must be >= 2, got {self.shutter_samples!r}")
        if self.preset not in X264_PRESETS:
            raise ConfigError(
                f"{p}preset: unknown x264 preset {self.preset!r}; use one of {list(X264_PRESETS)}"
            )


@dataclass(frozen=True)
class SceneConfig:
    """Domain randomisation of scenes: ranges are [min, max], lists are choices."""

    num_objects: tuple = (1, 5)
    shapes: tuple = SHAPES
    motions: tuple = MOTIONS
    object_half_size: tuple = (0.07, 0.16)
    num_lights: tuple = (1, 3)
    wall_prob: float = 0.5
    occluder_prob: float = 0.3
    floor_textures: tuple = TEXTURE_KINDS[:4]
    wall_textures: tuple = TEXTURE_KINDS[:4]
    texture_dir: str | None = None
    camera_distance: tuple = (1.6, 2.6)
    camera_elevation_deg: tuple = (15.0, 50.0)
    camera_fovy_deg: tuple = (35.0, 55.0)
    camera_motion_prob: float = 0.5
    camera_motion_deg: float = 8.0
    # Everything below is off by default (the defaults render the same bytes as before).
    photos: tuple = tuple(BUNDLED_PHOTOS)  # names of scikit-image photos "photo" draws from
    photo_px: int = 256  # texture side for photo and footage textures
    texture_videos: str | None = None  # a folder of videos: "footage" textures are their frames
    footage_dir: str | None = None  # set by judge-synth: where those frames are cached
    backdrop_prob: float = 0.0  # a textured skybox behind the scene instead of the flat clear
    backdrop_textures: tuple = ("photo",)
    handheld_prob: float = 0.0  # handheld shake on top of the camera path
    handheld_deg: tuple = (0.3, 1.5)  # RMS rotation
    handheld_m: tuple = (0.0, 0.02)  # RMS translation
    zoom_prob: float = 0.0  # fovy changes linearly over the clip
    zoom: tuple = (-0.3, 0.3)  # relative fovy change at the last frame
    # Articulated figures (judge/synth/figures.py): share of scenes with one, and what it is.
    figure_prob: float = 0.0
    figure_kinds: tuple = FIGURE_KINDS
    figure_motions: tuple = ALL_MOTIONS
    figure_artifact_prob: float = 0.7  # in a scene with a figure, share of twins that target it

    def __post_init__(self) -> None:
        p = "synth.scene."
        lo, hi = _range(p + "num_objects", self.num_objects, lo=1, integer=True)
        if hi > 5:
            raise ConfigError(f"{p}num_objects must be within [1, 5], got {list(self.num_objects)}")
        _choices(p + "shapes", self.shapes, SHAPES)
        _choices(p + "motions", self.motions, MOTIONS)
        _range(p + "object_half_size", self.object_half_size, lo=1e-3)
        lo, hi = _range(p + "num_lights", self.num_lights, lo=1, integer=True)
        if hi > 3:
            raise ConfigError(f"{p}num_lights must be within [1, 3], got {list(self.num_lights)}")
        for name in (
            "wall_prob",
            "occluder_prob",
            "camera_motion_prob",
            "backdrop_prob",
            "handheld_prob",
            "zoom_prob",
            "figure_prob",
            "figure_artifact_prob",
        ):
            _probability(p + name, getattr(self, name))
        _choices(p + "figure_kinds", self.figure_kinds, FIGURE_KINDS)
        _choices(p + "figure_motions", self.figure_motions, ALL_MOTIONS)
        _choices(p + "floor_textures", self.floor_textures, TEXTURE_KINDS)
        _choices(p + "wall_textures", self.wall_textures, TEXTURE_KINDS)
        _choices(p + "backdrop_textures", self.backdrop_textures, TEXTURE_KINDS)
        self._check_photos(p)
        _range(p + "handheld_deg", self.handheld_deg, lo=0.0)
        _range(p + "handheld_m", self.handheld_m, lo=0.0)
        lo, hi = _range(p + "zoom", self.zoom, lo=-0.8)
        if hi > 1.0:
            raise ConfigError(f"{p}zoom must be within [-0.8, 1.0], got {list(self.zoom)}")
        uses_images = "image" in self.used_textures()
        if self.texture_dir is not None:
            folder = Path(self.texture_dir)
            if not folder.is_dir():
                raise ConfigError(f"{p}texture_dir: folder not found: {folder}")
            if not image_files(folder):
                raise ConfigError(f"{p}texture_dir: no .png/.jpg images in {folder}")
        elif uses_images:
            raise ConfigError(
                f"{p}texture_dir must name an image folder when 'image' textures are used"
            )
        _range(p + "camera_distance", self.camera_distance, lo=0.3)
        _range(p + "camera_elevation_deg", self.camera_elevation_deg, lo=1.0)
        lo, hi = _range(p + "camera_fovy_deg", self.camera_fovy_deg, lo=5.0)
        if hi >= 170:
            raise ConfigError(f"{p}camera_fovy_deg must be < 170, got {list(self.camera_fovy_deg)}")
        _positive(p + "camera_motion_deg", self.camera_motion_deg, allow_zero=True)

    def used_textures(self) -> set[str]:
        """Texture kinds scenes can draw (the backdrop's only if it can appear)."""
        kinds = set(self.floor_textures) | set(self.wall_textures)
        return kinds | (set(self.backdrop_textures) if self.backdrop_prob > 0 else set())

    def _check_photos(self, p: str) -> None:
        from judge.synth.photos import photo_path

        _choices(p + "photos", self.photos, tuple(BUNDLED_PHOTOS))
        _positive(p + "photo_px", self.photo_px, integer=True)
        if self.photo_px > 2048:
            raise ConfigError(f"{p}photo_px must be <= 2048, got {self.photo_px}")
        used = self.used_textures()
        if "photo" in used:
            for name in self.photos:
                try:
                    photo_path(name)
                except FileNotFoundError as e:
                    raise ConfigError(f"{p}photos: {e}") from None
        if self.texture_videos is not None:
            from judge.synth.photos import video_files

            folder = Path(self.texture_videos)
            if not folder.is_dir():
                raise ConfigError(f"{p}texture_videos: folder not found: {folder}")
            if not video_files(folder):
                raise ConfigError(f"{p}texture_videos: no videos in {folder}")
        elif "footage" in used:
            raise ConfigError(
                f"{p}texture_videos must name a folder of videos when 'footage' textures are used"
            )


def _probability(name: str, v: Any) -> None:
    if not _is_number(v) or not 0 <= v <= 1:
        raise ConfigError(f"{name} must be a probability in [0, 1], got {v!r}")


@dataclass(frozen=True)
class DegradeConfig:
    """Camera-like degradations (judge/synth/degrade.py): a probability and a range each.

    All probabilities are 0 by default. Units: blur lengths and sigmas in pixels, exposure in
    stops (drawn for the first and the last frame), vignette as the light lost in the corners,
    noise as the std at mid grey in 0-255 units.
    """

    motion_blur_prob: float = 0.0
    motion_blur_px: tuple = (2.0, 6.0)
    defocus_prob: float = 0.0
    defocus_sigma: tuple = (0.5, 1.8)
    exposure_prob: float = 0.0
    exposure_stops: tuple = (-0.8, 0.8)
    vignette_prob: float = 0.0
    vignette: tuple = (0.2, 0.6)
    noise_prob: float = 0.0
    noise_sigma: tuple = (1.0, 8.0)

    def __post_init__(self) -> None:
        p = "synth.degrade."
        for name in ("motion_blur", "defocus", "exposure", "vignette", "noise"):
            _probability(f"{p}{name}_prob", getattr(self, f"{name}_prob"))
        _range(p + "motion_blur_px", self.motion_blur_px, lo=1.0)
        if self.motion_blur_px[1] > 64:
            raise ConfigError(f"{p}motion_blur_px must be <= 64, got {list(self.motion_blur_px)}")
        _range(p + "defocus_sigma", self.defocus_sigma, lo=0.0)
        if self.defocus_sigma[1] > 16:
            raise ConfigError(f"{p}defocus_sigma must be <= 16, got {list(self.defocus_sigma)}")
        lo, hi = _range(p + "exposure_stops", self.exposure_stops)
        if max(-lo, hi) > 4:
            raise ConfigError(
                f"{p}exposure_stops must be within [-4, 4], got {list(self.exposure_stops)}"
            )
        lo, hi = _range(p + "vignette", self.vignette, lo=0.0)
        if hi > 1:
            raise ConfigError(f"{p}vignette must be within [0, 1], got {list(self.vignette)}")
        _range(p + "noise_sigma", self.noise_sigma, lo=0.0)


@dataclass(frozen=True)
class ArtifactConfig:
    """Which artifact twins are rendered, and how visible an artifact must be."""

    labels: tuple = ARTIFACT_LABELS
    weights: dict = field(default_factory=dict)
    # New kinds: {name: {_target_: "pkg.module.InjectorClass", ...}}; built-in kinds need none.
    injectors: dict = field(default_factory=dict)
    twins_per_scene: int = 2
    hard_negative_fraction: float = 0.35
    # The first six tags: later ones (hands, platforms, strings...) are opted into by preset, so
    # that a default scene renders the same bytes as before they existed.
    hard_negatives: tuple = HARD_NEGATIVE_TAGS[:6]
    hard_negative_weights: dict = field(default_factory=dict)  # tag -> relative weight (1)
    min_visible_px: int = 20
    teleport_min_frac: float = 0.15
    max_cover_frac: float = 0.25
    max_attempts: int = 6

    def __post_init__(self) -> None:
        p = "synth.artifacts."
        for name, spec in self.injectors.items():
            if not isinstance(spec, dict) or not isinstance(spec.get("_target_"), str):
                raise ConfigError(
                    f"{p}injectors.{name} needs a _target_ naming its class, got {spec!r}"
                )
            if name in ARTIFACT_LABELS:
                raise ConfigError(f"{p}injectors.{name}: {name} is built in; pick a new name")
        try:
            validate_labels(self.labels, allow_new=True)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{p}labels: {e}") from None
        unknown = [k for k in self.labels if k not in ARTIFACT_LABELS and k not in self.injectors]
        if unknown:
            raise ConfigError(
                f"{p}labels: unknown label(s) {unknown}; known: {list(ARTIFACT_LABELS)}. "
                f"A new kind needs its injector in {p}injectors"
            )
        unknown = sorted(set(self.weights) - set(self.labels))
        if unknown:
            raise ConfigError(
                f"{p}weights: unknown label(s) {unknown}; labels: {list(self.labels)}"
            )
        for k, w in self.weights.items():
            _positive(f"{p}weights.{k}", w, allow_zero=True)
        if self.weights and not any(self.weight(k) > 0 for k in self.labels):
            raise ConfigError(f"{p}weights: every label has weight 0")
        _positive(p + "twins_per_scene", self.twins_per_scene, allow_zero=True, integer=True)
        if self.twins_per_scene > len(self.labels):
            raise ConfigError(
                f"{p}twins_per_scene={self.twins_per_scene} exceeds the {len(self.labels)} labels"
            )
        if not 0 <= self.hard_negative_fraction <= 1:
            raise ConfigError(
                f"{p}hard_negative_fraction must be in [0, 1], got {self.hard_negative_fraction!r}"
            )
        if self.hard_negatives:
            _choices(p + "hard_negatives", self.hard_negatives, HARD_NEGATIVE_TAGS)
        unknown = sorted(set(self.hard_negative_weights) - set(self.hard_negatives))
        if unknown:
            raise ConfigError(
                f"{p}hard_negative_weights: tag(s) {unknown} not in {p}hard_negatives"
                f" {list(self.hard_negatives)}"
            )
        for k, w in self.hard_negative_weights.items():
            _positive(f"{p}hard_negative_weights.{k}", w, allow_zero=True)
        if self.hard_negative_weights and not any(
            self.hard_negative_weights.get(t, 1.0) > 0 for t in self.hard_negatives
        ):
            raise ConfigError(f"{p}hard_negative_weights: every tag has weight 0")
        _positive(p + "min_visible_px", self.min_visible_px, integer=True)
        _positive(p + "teleport_min_frac", self.teleport_min_frac)
        _positive(p + "max_cover_frac", self.max_cover_frac)
        _positive(p + "max_attempts", self.max_attempts, integer=True)

    def new_kinds(self) -> tuple[str, ...]:
        """Labels outside the built-in taxonomy (manifests must accept them)."""
        return tuple(k for k in self.labels if k not in ARTIFACT_LABELS)

    def weight(self, label: str) -> float:
        return float(self.weights.get(label, 1.0))


@dataclass(frozen=True)
class SynthConfig:
    """Everything that decides the bytes of a generated scene (not where or how fast)."""

    render: RenderConfig = field(default_factory=RenderConfig)
    scene: SceneConfig = field(default_factory=SceneConfig)
    artifacts: ArtifactConfig = field(default_factory=ArtifactConfig)
    degrade: DegradeConfig = field(default_factory=DegradeConfig)
    splits: dict = field(default_factory=lambda: {"train": 0.8, "val": 0.1, "test": 0.1})
    # Randomisation families kept out of train: {axis: value or [values]}, axes and values as in
    # judge.synth.spec.FAMILY_VALUES, e.g. {floor: photo}. Such scenes go to val and test only.
    holdout: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = sorted(set(self.splits) - {"train", "val", "test"})
        if bad:
            raise ConfigError(f"synth.splits: unknown split(s) {bad}; use train, val, test")
        for k, v in self.splits.items():
            _positive(f"synth.splits.{k}", v, allow_zero=True)
        if sum(self.splits.values()) <= 0:
            raise ConfigError(f"synth.splits must have a positive ratio, got {self.splits}")
        self._check_holdout()

    def _check_holdout(self) -> None:
        p = "synth.holdout"
        if not isinstance(self.holdout, dict):
            raise ConfigError(f"{p} must map a family axis to values, got {self.holdout!r}")
        for axis, values in self.holdout.items():
            if axis not in FAMILY_VALUES:
                raise ConfigError(f"{p}: unknown axis {axis!r}; known: {list(FAMILY_VALUES)}")
            values = [values] if isinstance(values, str) else _thaw(values)
            if not isinstance(values, list) or not values:
                raise ConfigError(f"{p}.{axis} must be a value or a list of values, got {values!r}")
            bad = [v for v in values if v not in FAMILY_VALUES[axis]]
            if bad:
                raise ConfigError(
                    f"{p}.{axis}: unknown value(s) {bad}; known: {list(FAMILY_VALUES[axis])}"
                )
        if self.holdout and self.splits.get("val", 0) + self.splits.get("test", 0) <= 0:
            raise ConfigError(f"{p} needs a val or test split ratio > 0, got {self.splits}")

    def held_out(self, family: dict[str, str]) -> bool:
        """Whether a scene of this family is held out of train."""
        for axis, values in self.holdout.items():
            values = [values] if isinstance(values, str) else list(values)
            if family.get(axis) in values:
                return True
        return False

    @classmethod
    def from_dict(cls, d: dict | None) -> SynthConfig:
        """Build from plain nested dicts (e.g. `OmegaConf.to_container(cfg.synth)`)."""
        d = dict(d or {})
        parts = {
            "render": RenderConfig,
            "scene": SceneConfig,
            "artifacts": ArtifactConfig,
            "degrade": DegradeConfig,
        }
        kwargs: dict[str, Any] = {}
        for key, value in d.items():
            if key in parts:
                kwargs[key] = _build(parts[key], f"synth.{key}", value or {})
            elif key in ("splits", "holdout"):
                if not isinstance(value or {}, dict):
                    raise ConfigError(f"synth.{key} must be a mapping, got {value!r}")
                kwargs[key] = {k: _freeze(v) for k, v in (value or {}).items()}
            else:
                known = [*parts, "splits", "holdout"]
                raise ConfigError(f"synth: unknown key {key!r}; known: {known}")
        return cls(**kwargs)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _build(klass: type, prefix: str, values: dict) -> Any:
    names = {f.name for f in dataclasses.fields(klass)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"{prefix}: unknown key(s) {unknown}; known: {sorted(names)}")
    converted = {k: _freeze(v) for k, v in values.items()}
    return klass(**converted)


def _freeze(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return tuple(_freeze(x) for x in v)
    return v


def image_files(folder: Path) -> list[Path]:
    """Texture images in a folder, sorted so that sampling is reproducible."""
    exts = {".png", ".jpg", ".jpeg", ".bmp"}
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in exts)
