"""Scene specifications: plain data that fully decides a scene, sampled from a seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from judge.synth.degrade import DegradeSpec

TEXTURE_FAMILY = ("checker", "noise", "gradient", "solid", "image", "photo", "footage")
# Values each axis of `SceneSpec.family()` takes; manifest rows record them as `family`.
FAMILY_VALUES: dict[str, tuple[str, ...]] = {
    "floor": TEXTURE_FAMILY,
    "wall": (*TEXTURE_FAMILY, "none"),
    "backdrop": (*TEXTURE_FAMILY, "none"),
    "lighting": ("directional", "spot", "mixed"),
    "camera": ("static", "moving", "zoom", "handheld"),
    "look": ("clean", "degraded"),
}

# Convex meshes (unit half-extent); MuJoCo collides with their convex hull.
MESHES: dict[str, np.ndarray] = {
    "tetra": np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float) / np.sqrt(3),
    "octa": np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float),
    "prism": np.array(
        [[np.cos(a), np.sin(a), z] for a in np.linspace(0, 2 * np.pi, 7)[:-1] for z in (-1, 1)]
    ),
    "wedge": np.array(
        [[-1, -1, -1], [1, -1, -1], [-1, 1, -1], [1, 1, -1], [-1, -1, 1], [-1, 1, 1]], float
    ),
}


@dataclass
class ObjectSpec:
    """A rigid body with one geom. `size` follows MJCF per shape; meshes scale by `size`."""

    name: str
    shape: str
    size: tuple[float, float, float]
    rgba: tuple[float, float, float, float]
    pos: tuple[float, float, float]
    quat: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    linvel: tuple[float, float, float] = (0.0, 0.0, 0.0)
    angvel: tuple[float, float, float] = (0.0, 0.0, 0.0)
    mesh: str | None = None
    friction: float = 0.8
    bouncy: bool = False
    specular: float = 0.3
    shininess: float = 0.5
    motion: str = "rest"
    # Phantoms exist in every twin's model but stay hidden and collide with nothing until an
    # injector reveals them; this keeps all twins on one model and one state.
    phantom: str | None = None  # None, "appear", "duplicate" or "morph"
    source: int | None = None  # the object a duplicate/morph phantom stands in for
    figure: int | None = None  # index in `SceneSpec.figures` of the figure this is a segment of
    held_by: int | None = None  # the figure that carries this object for part of the clip

    def half_height(self) -> float:
        """Half-extent along the body's z axis (for placing it on the floor upright)."""
        sx, sy, sz = self.size
        if self.shape == "sphere":
            return sx
        if self.shape == "capsule":
            return sy + sx
        if self.shape in ("cylinder",):
            return sy
        return sz

    def radius(self) -> float:
        """Bounding-sphere radius."""
        sx, sy, sz = self.size
        if self.shape == "sphere":
            return sx
        if self.shape in ("capsule", "cylinder"):
            return float(np.hypot(sx, sy)) if self.shape == "cylinder" else sx + sy
        return float(np.linalg.norm(self.size))


@dataclass
class TextureSpec:
    kind: str  # checker | noise | gradient | solid | image | photo | footage
    rgb1: tuple[float, float, float]
    rgb2: tuple[float, float, float]
    repeat: float = 4.0
    image: str | None = None  # the image file of image, photo and footage textures
    seed: int = 0
    px: int = 128  # side of the square texture image, in pixels


@dataclass
class BoxSpec:
    """A static box (wall or occluder): centre, half-sizes, yaw in degrees."""

    pos: tuple[float, float, float]
    size: tuple[float, float, float]
    yaw_deg: float
    texture: TextureSpec | None = None
    rgba: tuple[float, float, float, float] = (0.6, 0.6, 0.6, 1.0)


@dataclass
class LightSpec:
    pos: tuple[float, float, float]
    dir: tuple[float, float, float]
    diffuse: float
    directional: bool
    castshadow: bool


@dataclass
class CameraSpec:
    """Camera pose at the first and last frame; poses in between are interpolated.

    On top of that path: handheld shake (`shake_deg` degrees and `shake_m` metres RMS, a path
    drawn from `shake_seed`) and a zoom (`fovy` at frame 0, `fovy * (1 + zoom)` at the last).
    """

    eye0: tuple[float, float, float]
    eye1: tuple[float, float, float]
    target: tuple[float, float, float]
    fovy: float
    shake_deg: float = 0.0
    shake_m: float = 0.0
    shake_seed: int = 0
    zoom: float = 0.0

    def pose(self, frame: int, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
        """Camera position `(3,)` and world-from-camera rotation `(3, 3)` at a frame."""
        from judge.synth.camera import handheld_offsets, look_at, small_rotation

        a = frame / max(1, num_frames - 1)
        eye = (1 - a) * np.asarray(self.eye0) + a * np.asarray(self.eye1)
        rot = look_at(eye, np.asarray(self.target))
        if self.shake_deg or self.shake_m:
            d = handheld_offsets(self.shake_seed, num_frames)[frame]
            # Shake acts in the camera's own frame, as a hand turns and shifts the camera body.
            rot = rot @ small_rotation(*np.radians(d[:3] * self.shake_deg))
            eye = eye + rot @ (d[3:] * self.shake_m)
        return eye, rot

    def fovy_at(self, frame: int, num_frames: int) -> float:
        """Vertical field of view in degrees at a frame (a linear zoom over the clip)."""
        return self.fovy * (1 + self.zoom * frame / max(1, num_frames - 1))


@dataclass
class SceneSpec:
    """Everything needed to build, simulate and render one scene and its twins."""

    index: int
    seed: int
    width: int
    height: int
    fps: float
    num_frames: int
    crf: int
    floor: TextureSpec
    camera: CameraSpec
    lights: list[LightSpec]
    objects: list[ObjectSpec]
    walls: list[BoxSpec] = field(default_factory=list)
    occluders: list[BoxSpec] = field(default_factory=list)
    hard_negative: str | None = None
    artifacts: list[str] = field(default_factory=list)
    timestep: float = 0.004
    shadows: bool = True
    shadow_size: int = 1024
    antialias_samples: int = 4
    backdrop: TextureSpec | None = None  # a skybox behind everything, instead of the flat clear
    degrade: DegradeSpec | None = None  # camera-like degradations applied before encoding
    # Open fraction of the frame interval (0: frames are instants); judge/synth/shutter.py.
    shutter: float = 0.0
    shutter_samples: int = 8
    # Visible helpers that move objects (hands, platforms, strings): `judge.synth.rigs.RigSpec`.
    rigs: list = field(default_factory=list)
    # Articulated figures (`judge.synth.figures.FigureSpec`); their segments are objects.
    figures: list = field(default_factory=list)
    figure_artifacts: list[str] = field(default_factory=list)  # twins that target a figure

    @property
    def group(self) -> str:
        return f"scene-{self.index:06d}"

    def family(self) -> dict[str, str]:
        """The scene's randomisation family, one value per axis (see FAMILY_VALUES)."""
        cam = self.camera
        if cam.shake_deg or cam.shake_m:
            camera = "handheld"
        elif cam.zoom:
            camera = "zoom"
        else:
            camera = "moving" if tuple(cam.eye0) != tuple(cam.eye1) else "static"
        kinds = {light.directional for light in self.lights}
        lighting = "mixed" if len(kinds) > 1 else ("directional" if True in kinds else "spot")
        wall = self.walls[0].texture.kind if self.walls and self.walls[0].texture else "none"
        return {
            "floor": self.floor.kind,
            "wall": wall,
            "backdrop": self.backdrop.kind if self.backdrop else "none",
            "lighting": lighting,
            "camera": camera,
            "look": "degraded" if self.degrade is not None and self.degrade.active() else "clean",
        }

    def substeps(self) -> int:
        """Physics steps between two frames."""
        return max(1, int(round(1.0 / (self.fps * self.timestep))))

    def real_objects(self) -> list[int]:
        """Free objects an object artifact may target (not phantoms, segments, or carried)."""
        return [
            i
            for i, o in enumerate(self.objects)
            if o.phantom is None and o.figure is None and o.held_by is None
        ]

    def figure_names(self) -> list[str]:
        """The kinds of the figures seen in the clean clip (the manifest's `figures`)."""
        return [f.kind for f in self.figures if f.phantom is None]
