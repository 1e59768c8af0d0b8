"""Pinhole camera geometry in MuJoCo's convention (camera looks along its -z, y is up)."""

from __future__ import annotations

import numpy as np


def look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """World-from-camera rotation `(3, 3)` whose columns are the camera's x, y, z axes."""
    back = np.asarray(eye, float) - np.asarray(target, float)
    z = back / np.linalg.norm(back)
    x = np.cross([0.0, 0.0, 1.0], z)
    if np.linalg.norm(x) < 1e-9:  # looking straight down: any horizontal x will do
        x = np.array([1.0, 0.0, 0.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


def mat_to_quat(r: np.ndarray) -> np.ndarray:
    """Rotation matrix `(3, 3)` -> unit quaternion `(4,)` as (w, x, y, z)."""
    import mujoco

    q = np.empty(4)
    mujoco.mju_mat2Quat(q, np.ascontiguousarray(r, dtype=float).reshape(9))
    return q


def focal_px(fovy_deg: float, height: int) -> float:
    """Focal length in pixels for a vertical field of view."""
    return 0.5 * height / np.tan(np.radians(fovy_deg) / 2)


def project(
    points: np.ndarray,
    cam_pos: np.ndarray,
    cam_mat: np.ndarray,
    fovy_deg: float,
    width: int,
    height: int,
) -> tuple[np.ndarray, np.ndarray]:
    """World points `(N, 3)` -> pixel coords `(N, 2)` (x right, y down) and depth `(N,)`.

    Depth is the distance along the viewing axis, the quantity a z-buffer stores; points behind
    the camera get depth <= 0 and meaningless pixel coordinates.
    """
    local = (np.asarray(points, float) - cam_pos) @ np.asarray(cam_mat).reshape(3, 3)
    depth = -local[:, 2]
    f = focal_px(fovy_deg, height)
    safe = np.where(depth > 1e-6, depth, 1e-6)
    u = width / 2 + f * local[:, 0] / safe
    v = height / 2 - f * local[:, 1] / safe
    return np.stack([u, v], axis=1), depth


def pixel_ray_to_floor(
    u: float,
    v: float,
    cam_pos: np.ndarray,
    cam_mat: np.ndarray,
    fovy_deg: float,
    width: int,
    height: int,
    z: float = 0.0,
) -> np.ndarray | None:
    """World point `(3,)` where the ray through pixel (u, v) meets the plane at height z."""
    f = focal_px(fovy_deg, height)
    d_local = np.array([(u - width / 2) / f, -(v - height / 2) / f, -1.0])
    d = np.asarray(cam_mat).reshape(3, 3) @ d_local
    if d[2] >= -1e-6:
        return None
    s = (z - cam_pos[2]) / d[2]
    return np.asarray(cam_pos, float) + s * d
