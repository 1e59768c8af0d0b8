"""A camera shutter for the renderer: a frame integrates the light of an interval, not an instant.

MuJoCo draws instants. A camera's (and most generators') frame is exposed over part of the frame
interval, so a fast object is a streak along its path. Drawn sharp at 10 fps, a thrown ball jumps
several of its own widths between frames, which is what a teleport looks like; the judge flagged
such clean throws about 0.4 of the time at 10-12 fps and 0.05 at 30 (README "Quality").

`expose` averages the instant's render with renders of the scene up to `shutter` of a frame
interval earlier: every joint moved back along its velocity at the instant (`mj_integratePos`),
the camera moved back towards its pose at the previous frame. Velocity, not the previous frame's
state, because an injected jump (a teleport) keeps the velocity it had: the teleported object is
a streak as long as its motion at its new place, with no trail across the jump. Depth, masks and
every annotation stay those of the instant, so labels and checks do not change.
"""

from __future__ import annotations

import copy

import mujoco
import numpy as np

from judge.synth.camera import project

GAMMA = 2.2  # light adds up linearly; the renders are sRGB-like, so average in linear light
STILL_PX = 0.5  # a frame whose image moves less while the shutter is open is left as it is
# Sub-frames this far apart still blend into a streak at 64 px, the judge's input.
PX_PER_SAMPLE = 3.0


def expose(
    renderer,
    model: mujoco.MjModel,
    data: mujoco.MjData,
    rgb: np.ndarray,
    shutter: float,
    fps: float,
    samples: int,
    camera_open: tuple[np.ndarray, np.ndarray, float],
) -> np.ndarray:
    """The instant's frame `rgb` uint8 `(H, W, 3)` -> the exposed frame, uint8 `(H, W, 3)`.

    `shutter`: the open fraction of the frame interval (0.5: a 180-degree shutter).
    `samples`: the most renders averaged, the instant's included, evenly spread over the open
    interval; fewer where the image moves less (one per `PX_PER_SAMPLE` of the largest motion),
    none where it moves under `STILL_PX` (then `rgb` itself is returned).
    `camera_open`: camera 0's position `(3,)`, quaternion `(4,)` and fovy at the previous frame;
    `model` holds its pose at the instant and gets it back. `renderer` is a `SceneRenderer`.
    """
    if shutter <= 0 or samples < 2:
        return rgb
    now = (model.cam_pos[0].copy(), model.cam_quat[0].copy(), float(model.cam_fovy[0]))
    eye0, quat0, fovy0 = np.asarray(camera_open[0]), np.asarray(camera_open[1]), camera_open[2]
    if np.dot(quat0, now[1]) < 0:  # q and -q are the same rotation: take the short way
        quat0 = -quat0
    prev = (eye0, quat0, fovy0)
    sub = copy.copy(data)
    size = (rgb.shape[1], rgb.shape[0])
    streak = _streak_px(model, data, sub, now, prev, shutter, fps, size)
    if streak < STILL_PX:
        return rgb
    n = int(min(samples, 1 + np.ceil(streak / PX_PER_SAMPLE)))
    light = _linear(rgb)
    try:
        for j in range(1, n):
            back = shutter * j / (n - 1)  # frame intervals before the instant
            _pose(model, data, sub, now, prev, back, fps)
            mujoco.mj_comPos(model, sub)
            mujoco.mj_camlight(model, sub)
            light += _linear(renderer.render_rgb(model, sub))
    finally:
        model.cam_pos[0], model.cam_quat[0], model.cam_fovy[0] = now
    out = 255.0 * (light / n) ** (1 / GAMMA)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _pose(model, data, sub, now, prev, back: float, fps: float) -> None:
    """Bodies in `sub` and camera 0 in `model` as they were `back` frame intervals before the
    instant: joints moved along their velocity, the camera `back` of the way to its pose `prev`
    at the previous frame (`now` is its pose at the instant)."""
    sub.qpos[:] = data.qpos
    mujoco.mj_integratePos(model, sub.qpos, data.qvel, -back / fps)
    mujoco.mj_kinematics(model, sub)
    quat = (1 - back) * now[1] + back * prev[1]
    model.cam_pos[0] = (1 - back) * now[0] + back * prev[0]
    model.cam_quat[0] = quat / np.linalg.norm(quat)
    model.cam_fovy[0] = (1 - back) * now[2] + back * prev[2]


def _streak_px(model, data, sub, now, prev, shutter: float, fps: float, size) -> float:
    """The longest image path, in pixels, that any moving geom or the scene makes while the
    shutter is open: each moving geom's centre and three points on its bounding sphere (for
    spin), and five points around the scene's centre (for the camera's own motion).
    `size`: the image's (width, height)."""
    moving = np.flatnonzero(model.geom_bodyid > 0)
    c, e = np.asarray(model.stat.center), float(model.stat.extent) / 2
    anchors = c + np.array([[0, 0, 0], [e, 0, 0], [-e, 0, 0], [0, e, 0], [0, -e, 0]])
    pixels, depths = [], []
    for d in (data, sub):
        if d is sub:  # the state and camera when the shutter opens
            _pose(model, data, sub, now, prev, shutter, fps)
        axes = d.geom_xmat[moving].reshape(-1, 3, 3) * model.geom_rbound[moving, None, None]
        centres = d.geom_xpos[moving]
        ends = (centres[:, :, None] + axes).transpose(0, 2, 1).reshape(-1, 3)
        rot = np.empty(9)
        mujoco.mju_quat2Mat(rot, model.cam_quat[0])
        uv, depth = project(
            np.concatenate([centres, ends, anchors]),
            model.cam_pos[0],
            rot,
            float(model.cam_fovy[0]),
            *size,
        )
        pixels.append(uv)
        depths.append(depth)
    model.cam_pos[0], model.cam_quat[0], model.cam_fovy[0] = now
    seen = (depths[0] > 1e-2) & (depths[1] > 1e-2)
    paths = np.linalg.norm(pixels[1][seen] - pixels[0][seen], axis=1)
    return float(paths.max()) if paths.size else 0.0


def _linear(rgb: np.ndarray) -> np.ndarray:
    return (rgb.astype(np.float32) / 255.0) ** GAMMA
