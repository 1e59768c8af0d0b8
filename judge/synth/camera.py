"""Pinhole camera geometry in MuJoCo's convention (camera looks along its -z, y is up)."""

from __future__ import annotations

import functools

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


def _smooth_noise(rng: np.random.Generator, n: int, dims: int, sigma: float) -> np.ndarray:
    """Gaussian-smoothed white noise `(n, dims)` with unit RMS per column (zero if n < 2)."""
    pad = int(3 * sigma) + 1
    x = rng.normal(size=(n + 2 * pad, dims))
    k = np.exp(-0.5 * (np.arange(-pad, pad + 1) / sigma) ** 2)
    y = np.stack([np.convolve(x[:, j], k / k.sum(), mode="valid") for j in range(dims)], 1)[:n]
    y -= y.mean(0)
    rms = np.sqrt((y**2).mean(0))
    return y / np.where(rms > 0, rms, 1.0)


@functools.lru_cache(maxsize=64)
def handheld_offsets(seed: int, num_frames: int) -> np.ndarray:
    """Per-frame handheld motion `(T, 6)`: (pitch, yaw, roll, x, y, z) in units of the amplitude.

    A slow sway (smoothed over ~4 frames) plus a smaller fast jitter, as a hand holding a camera
    gives; each column has unit RMS so amplitudes in degrees and metres scale it directly.
    Cached, as every frame of every twin of a scene asks for the same path.
    """
    rng = np.random.default_rng([seed, 31])
    sway = _smooth_noise(rng, num_frames, 6, sigma=4.0)
    jitter = _smooth_noise(rng, num_frames, 6, sigma=0.7)
    out = 0.85 * sway + 0.35 * jitter
    out.setflags(write=False)
    return out


def small_rotation(pitch: float, yaw: float, roll: float) -> np.ndarray:
    """Rotation `(3, 3)` about the camera's x (pitch), y (yaw) and z (roll) axes, in radians."""
    cx, sx, cy, sy, cz, sz = (f(a) for a in (pitch, yaw, roll) for f in (np.cos, np.sin))
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return ry @ rx @ rz
