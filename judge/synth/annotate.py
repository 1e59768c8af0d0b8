"""Per-frame, per-object annotations from physics state and the rendered depth/segmentation.

Arrays are indexed `[frame, object]`; objects include hidden phantoms (`exists` is False while
hidden). The amodal silhouette is the projected convex hull of the geom, so it is known even
where the object is occluded, outside the frame, or hidden by an injector.
"""

from __future__ import annotations

import mujoco
import numpy as np
from PIL import Image, ImageDraw

from judge.synth.camera import project
from judge.synth.mjcf import GROUP_HIDDEN

MASK_OCCLUDER = 255  # value in `masks` for occluders; objects are index + 1, the rest 0
COVER_EPS = 0.01  # metres: a pixel this much nearer than the object hides it

FIELDS = {  # name: (per-object shape, dtype)
    "exists": ((), bool),
    "pos": ((3,), np.float32),
    "vel": ((3,), np.float32),
    "center_px": ((2,), np.float32),
    "depth": ((), np.float32),
    "visible_px": ((), np.int32),
    "bbox": ((4,), np.int16),
    "amodal_px": ((), np.int32),
    "amodal_bbox": ((4,), np.float32),
    "in_frame": ((), np.float32),
    "cover": ((), np.float32),
    "contact": ((), bool),
    "penetration": ((), np.float32),
    "size": ((3,), np.float32),
    "rgba": ((4,), np.float32),
    "shape": ((), np.int8),
    "mean_rgb": ((3,), np.float32),
}


def _sphere_points(n: int = 48) -> np.ndarray:
    i = np.arange(n) + 0.5
    phi = np.arccos(1 - 2 * i / n)
    theta = np.pi * (1 + 5**0.5) * i
    return np.stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)], 1)


_SPHERE = _sphere_points()
_CIRCLE = np.stack([np.cos(a := np.linspace(0, 2 * np.pi, 24, endpoint=False)), np.sin(a)], 1)


def local_points(m: mujoco.MjModel, gid: int) -> np.ndarray:
    """Points `(N, 3)` in the geom frame whose convex hull is the geom."""
    t, s = m.geom_type[gid], m.geom_size[gid]
    g = mujoco.mjtGeom
    if t == g.mjGEOM_SPHERE:
        return _SPHERE * s[0]
    if t == g.mjGEOM_ELLIPSOID:
        return _SPHERE * s
    if t == g.mjGEOM_BOX:
        return np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]) * s
    if t == g.mjGEOM_CYLINDER:
        ring = np.c_[_CIRCLE * s[0], np.zeros(len(_CIRCLE))]
        return np.r_[ring + [0, 0, s[1]], ring - [0, 0, s[1]]]
    if t == g.mjGEOM_CAPSULE:
        caps = _SPHERE * s[0]
        return np.r_[caps[caps[:, 2] >= 0] + [0, 0, s[1]], caps[caps[:, 2] < 0] - [0, 0, s[1]]]
    if t == g.mjGEOM_MESH:
        mid = m.geom_dataid[gid]
        a, n = m.mesh_vertadr[mid], m.mesh_vertnum[mid]
        return np.asarray(m.mesh_vert[a : a + n], float)
    raise ValueError(f"no outline for geom type {t}")


def _hull(points: np.ndarray) -> list[tuple[float, float]]:
    """Convex hull of 2-D points `(N, 2)` as a vertex list (Andrew's monotone chain)."""
    pts = sorted({(round(float(x), 3), round(float(y), 3)) for x, y in points})
    if len(pts) < 3:
        return pts

    def half(seq):
        out: list = []
        for p in seq:
            while (
                len(out) >= 2
                and (
                    (out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                    - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])
                )
                <= 0
            ):
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return lower[:-1] + upper[:-1]


class Annotator:
    """Fills the annotation arrays of one clip, frame by frame."""

    def __init__(
        self,
        model: mujoco.MjModel,
        geoms: list[int],
        occluders: list[int],
        colliders: list[int],
        num_frames: int,
        width: int,
        height: int,
        skip_pairs: dict[int, set[int]] | None = None,
        figure_of: np.ndarray | None = None,
    ):
        """`skip_pairs`: geom -> geoms whose overlap is no penetration (a figure's joints);
        `figure_of (K,)`: each object's figure (-1 none), stored as a `figure` array."""
        self.geoms, self.occluders, self.colliders = geoms, occluders, colliders
        self.skip = skip_pairs or {}
        self.w, self.h = width, height
        k = len(geoms)
        self.arrays = {
            n: np.zeros((num_frames, k, *shape), dt) for n, (shape, dt) in FIELDS.items()
        }
        if figure_of is not None:  # only scenes with figures: others keep their sidecars as before
            self.arrays["figure"] = np.broadcast_to(figure_of, (num_frames, k)).copy()
        self.masks = np.zeros((num_frames, height, width), np.uint8)
        self._body = [model.geom_bodyid[g] for g in geoms]
        self._dof = [model.jnt_dofadr[model.body_jntadr[b]] for b in self._body]
        self._lut = np.zeros(model.ngeom + 1, np.uint8)  # geom id + 1 -> mask value
        for i, g in enumerate(geoms):
            self._lut[g + 1] = i + 1
        for g in occluders:
            self._lut[g + 1] = MASK_OCCLUDER
        self._shown = np.zeros(k, bool)  # a phantom needs no silhouette until it first appears

    def copy_prefix(self, arrays: dict[str, np.ndarray], masks: np.ndarray, start: int) -> None:
        """Take frames `[0, start)` from another clip of the same scene (a twin's clean prefix)."""
        self.masks[:start] = masks[:start]
        for name, arr in self.arrays.items():
            arr[:start] = arrays[name][:start]
        self._shown |= arrays["exists"][:start].any(0)

    def frame(
        self,
        t: int,
        m: mujoco.MjModel,
        d: mujoco.MjData,
        rgb: np.ndarray,
        depth: np.ndarray,
        seg: np.ndarray,
        contact: np.ndarray,
    ) -> None:
        """Frame t: `rgb (H, W, 3)`, `depth (H, W)`, geom ids `seg (H, W)`, `contact (K,)`."""
        a = self.arrays
        self.masks[t] = self._lut[seg + 1]
        cam_pos, cam_mat, fovy = d.cam_xpos[0], d.cam_xmat[0].reshape(3, 3), m.cam_fovy[0]
        a["contact"][t] = contact
        for i, g in enumerate(self.geoms):
            exists = m.geom_group[g] != GROUP_HIDDEN
            a["exists"][t, i] = exists
            a["pos"][t, i] = d.xpos[self._body[i]]
            a["vel"][t, i] = d.qvel[self._dof[i] : self._dof[i] + 3]
            a["size"][t, i] = m.geom_size[g]
            a["shape"][t, i] = m.geom_type[g]
            a["rgba"][t, i] = (
                m.mat_rgba[m.geom_matid[g]] if m.geom_matid[g] >= 0 else m.geom_rgba[g]
            )
            self._shown[i] |= exists
            if not self._shown[i]:
                continue
            world = d.geom_xpos[g] + local_points(m, g) @ d.geom_xmat[g].reshape(3, 3).T
            (c,), (zc,) = project(d.geom_xpos[g][None], cam_pos, cam_mat, fovy, self.w, self.h)
            a["center_px"][t, i], a["depth"][t, i] = c, zc
            px, z = project(world, cam_pos, cam_mat, fovy, self.w, self.h)
            vis = seg == g
            n_vis = int(vis.sum())
            a["visible_px"][t, i] = n_vis
            a["bbox"][t, i] = _bbox(vis) if n_vis else (-1, -1, -1, -1)
            if n_vis:
                a["mean_rgb"][t, i] = rgb[vis].mean(0)
            if (z <= 0.02).any():  # partly behind the camera: no meaningful silhouette
                continue
            hull = _hull(px)
            area = _area(hull)
            amodal = _raster(hull, self.w, self.h)
            n_am = int(amodal.sum())
            a["amodal_px"][t, i] = n_am
            a["amodal_bbox"][t, i] = (*px.min(0), *px.max(0))
            a["in_frame"][t, i] = min(1.0, n_am / area) if area > 0 else 0.0
            if n_am:
                nearer = (depth[amodal] < z.min() - COVER_EPS) & (seg[amodal] != g)
                a["cover"][t, i] = nearer.mean()
            if exists:
                a["penetration"][t, i] = self._penetration(m, d, g)

    def _penetration(self, m: mujoco.MjModel, d: mujoco.MjData, g: int) -> float:
        """Deepest interpenetration (metres) of geom g with any other solid geom."""
        deepest = 0.0
        skip = self.skip.get(g, ())
        for other in self.colliders:
            if other == g or m.geom_group[other] == GROUP_HIDDEN or other in skip:
                continue
            dist = mujoco.mj_geomDistance(m, d, g, other, 0.01, None)
            deepest = max(deepest, -dist)
        return deepest


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _area(poly: list) -> float:
    if len(poly) < 3:
        return 0.0
    x, y = np.asarray(poly).T
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def _raster(poly: list, w: int, h: int) -> np.ndarray:
    """Boolean mask `(H, W)` of pixels whose centres fall inside the polygon."""
    img = Image.new("1", (w, h), 0)
    if len(poly) >= 3:
        # Pixel (x, y) covers [x, x+1); PIL samples at integer coords, so shift by half a pixel.
        ImageDraw.Draw(img).polygon([(float(x) - 0.5, float(y) - 0.5) for x, y in poly], fill=1)
    return np.asarray(img, bool)
