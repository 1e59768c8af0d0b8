"""Small synthetic "real footage" for judge-splice tests and benchmarks.

`static_scene`: a fixed textured background and a few coloured squares moving smoothly
(bouncing inside the frame); `moving_camera`: the same kind of texture panning under the
camera, so every pixel moves. Written with `judge.io.writer.write_video` (byte-deterministic).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from judge.io.writer import write_video

COLOURS = [(230, 40, 40), (40, 90, 230), (250, 210, 30), (40, 200, 80)]


def texture(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth random texture (mid tones), uint8 (h, w, 3): blurred-noise blobs + a gradient."""
    rng = np.random.default_rng(seed)
    small = rng.integers(70, 170, size=(max(2, h // 12), max(2, w // 12), 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC), dtype=np.float32)
    ramp = np.linspace(-15, 15, w, dtype=np.float32)[None, :, None]
    return np.clip(img + ramp, 0, 255).astype(np.uint8)


def _bounce(p0: float, v: float, t: np.ndarray, lo: float, hi: float) -> np.ndarray:
    span = hi - lo
    x = (p0 - lo + v * t) % (2 * span)
    return lo + np.where(x > span, 2 * span - x, x)


def static_frames(
    num_frames: int = 80, w: int = 160, h: int = 96, objects: int = 2, seed: int = 0, size=14
) -> np.ndarray:
    rng = np.random.default_rng(seed + 100)
    bg = texture(h, w, seed)
    frames = np.repeat(bg[None], num_frames, axis=0)
    t = np.arange(num_frames, dtype=np.float64)
    for k in range(objects):
        s = size if isinstance(size, int) else size[k % len(size)]
        x = _bounce(rng.uniform(8, w - s - 8), rng.uniform(1.0, 2.5) * rng.choice([-1, 1]), t,
                    6, w - s - 6)  # fmt: skip
        y = _bounce(rng.uniform(8, h - s - 8), rng.uniform(0.5, 1.5) * rng.choice([-1, 1]), t,
                    6, h - s - 6)  # fmt: skip
        for i in range(num_frames):
            xi, yi = int(round(x[i])), int(round(y[i]))
            frames[i, yi : yi + s, xi : xi + s] = COLOURS[k % len(COLOURS)]
    return frames


def static_scene(path: Path, num_frames: int = 80, w: int = 160, h: int = 96, **kw) -> Path:
    return write_video(path, static_frames(num_frames, w, h, **kw), fps=30, crf=18)


def moving_camera(path: Path, num_frames: int = 60, w: int = 160, h: int = 96, seed: int = 5):
    """A pan: each frame is a crop of a wide texture shifted 2 px right, 1 px down."""
    big = texture(h + num_frames + 8, w + 2 * num_frames + 8, seed)
    frames = np.stack([big[i : i + h, 2 * i : 2 * i + w] for i in range(num_frames)])
    return write_video(path, frames, fps=30, crf=18)
