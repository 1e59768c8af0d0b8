"""Offscreen rendering of RGB, depth and per-geom segmentation for one model."""

from __future__ import annotations

import mujoco
import numpy as np

from judge.synth import gl
from judge.synth.mjcf import GROUP_HIDDEN


class SceneRenderer:
    """Renders a model's camera 0 at a fixed size; hidden geoms (group 5) are left out."""

    def __init__(self, model: mujoco.MjModel, width: int, height: int):
        gl.gl_context(width, height)
        self.model, self.width, self.height = model, width, height
        self.scene = mujoco.MjvScene(model, maxgeom=1000)
        self.option = mujoco.MjvOption()
        self.option.geomgroup[:] = 1  # MuJoCo shows only groups 0-2 by default
        self.option.geomgroup[GROUP_HIDDEN] = 0
        self.camera = mujoco.MjvCamera()
        self.camera.type = mujoco.mjtCamera.mjCAMERA_FIXED
        self.camera.fixedcamid = 0
        self.context = mujoco.MjrContext(model, mujoco.mjtFontScale.mjFONTSCALE_50)
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, self.context)
        self.context.readDepthMap = (
            mujoco.mjtDepthMap.mjDEPTH_ZEROFAR
        )  # the formula below assumes it
        self.rect = mujoco.MjrRect(0, 0, width, height)
        near = model.vis.map.znear * model.stat.extent
        far = model.vis.map.zfar * model.stat.extent
        # MuJoCo renders with reversed z; these undo its projection to metric depth.
        c = -(far + near) / (far - near)
        d = -(2 * far * near) / (far - near)
        self._c, self._d = -0.5 * c - 0.5, -0.5 * d
        self._rgb = np.empty((height, width, 3), np.uint8)
        self._depth = np.empty((height, width), np.float32)

    def render(
        self, model: mujoco.MjModel, data: mujoco.MjData
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """RGB uint8 `(H, W, 3)`, depth float32 `(H, W)` metres, geom ids int32 `(H, W)` (-1 none).

        `model` may be a copy of the one this renderer was made for (same assets), so that twins
        can change geom groups or colours without touching the clean model.
        """
        self._draw(model, data)
        mujoco.mjr_readPixels(self._rgb, self._depth, self.rect, self.context)
        rgb = np.flipud(self._rgb).copy()
        depth = (self._d / (np.flipud(self._depth).astype(np.float64) + self._c)).astype(np.float32)
        seg = self._segment()
        return rgb, depth, seg

    def render_rgb(self, model: mujoco.MjModel, data: mujoco.MjData) -> np.ndarray:
        """RGB uint8 `(H, W, 3)` only: no depth, no segmentation pass (a shutter's sub-frames)."""
        self._draw(model, data)
        mujoco.mjr_readPixels(self._rgb, None, self.rect, self.context)
        return np.flipud(self._rgb).copy()

    def _draw(self, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        gl.gl_context(self.width, self.height)
        # mjv_updateScene places the infinite floor plane around the scene's current camera
        # before it updates that camera; update it first, or each frame uses the previous pose.
        mujoco.mjv_updateCamera(model, data, self.camera, self.scene)
        mujoco.mjv_updateScene(
            model, data, self.option, None, self.camera, mujoco.mjtCatBit.mjCAT_ALL, self.scene
        )
        mujoco.mjr_render(self.rect, self.scene, self.context)

    def _segment(self) -> np.ndarray:
        flags = self.scene.flags
        flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = True
        flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = True
        try:
            mujoco.mjr_render(self.rect, self.scene, self.context)
            mujoco.mjr_readPixels(self._rgb, None, self.rect, self.context)
        finally:
            flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = False
            flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = False
        img = np.flipud(self._rgb).astype(np.int32)
        segid = img[..., 0] + (img[..., 1] << 8) + (img[..., 2] << 16)
        n = self.scene.ngeom
        lut = np.full(n + 1, -1, np.int32)
        for g in self.scene.geoms[:n]:
            if g.segid != -1 and g.objtype == mujoco.mjtObj.mjOBJ_GEOM:
                lut[g.segid + 1] = g.objid
        return lut[np.clip(segid, 0, n)]

    def close(self) -> None:
        if self.context is not None:
            gl.gl_context(self.width, self.height)
            self.context.free()
            self.context = None
