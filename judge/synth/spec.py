"""Scene specifications: plain data that fully decides a scene, sampled from a seed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# MuJoCo geom type ids used in annotations (`mjtGeom`).
SHAPE_IDS = {"sphere": 2, "capsule": 3, "ellipsoid": 4, "cylinder": 5, "box": 6, "mesh": 7}

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
    kind: str  # checker | noise | gradient | solid | image
    rgb1: tuple[float, float, float]
    rgb2: tuple[float, float, float]
    repeat: float = 4.0
    image: str | None = None
    seed: int = 0


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
    """Camera pose at the first and last frame; poses in between are interpolated."""

    eye0: tuple[float, float, float]
    eye1: tuple[float, float, float]
    target: tuple[float, float, float]
    fovy: float

    def pose(self, frame: int, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
        """Camera position `(3,)` and world-from-camera rotation `(3, 3)` at a frame."""
        from judge.synth.camera import look_at

        a = frame / max(1, num_frames - 1)
        eye = (1 - a) * np.asarray(self.eye0) + a * np.asarray(self.eye1)
        return eye, look_at(eye, np.asarray(self.target))


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

    @property
    def group(self) -> str:
        return f"scene-{self.index:06d}"

    def substeps(self) -> int:
        """Physics steps between two frames."""
        return max(1, int(round(1.0 / (self.fps * self.timestep))))

    def real_objects(self) -> list[int]:
        return [i for i, o in enumerate(self.objects) if o.phantom is None]
