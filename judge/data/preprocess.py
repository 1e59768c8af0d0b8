"""Evaluation-time preprocessing of a window: fit each frame to the model's square, normalise.

The one definition of what the model sees, used by training's validation and test transform
(`ClipTransform` without augmentation) and by the scorer (`judge.inference.stream` fits frames in
its workers, `judge.inference.windows.build_windows` normalises them where the model runs), so a
scored window is bit for bit the tensor validation fed the model. Training's augmentation lives
in `transforms.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import torch
from PIL import Image

from judge.data.input_spec import FITS

Array = TypeVar("Array", np.ndarray, torch.Tensor)


def fit_frames(
    frames: np.ndarray, size: int, fit: str = "crop", fill: tuple[int, int, int] = (0, 0, 0)
) -> np.ndarray:
    """uint8 `(N, H, W, 3)` -> uint8 `(N, size, size, 3)`.

    `crop`: the centred square of side min(H, W) (a 16:9 frame loses its left and right
    ends), resized (bilinear) when its side is not `size`. `pad`: the whole frame, padded to a
    square with `fill` on the short side's two ends, then resized.
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    n, h, w, _ = frames.shape
    out = np.empty((n, size, size, 3), np.uint8)
    if fit == "crop":
        side = min(h, w)
        y0, x0 = (h - side) // 2, (w - side) // 2
        for i in range(n):
            img = Image.fromarray(frames[i, y0 : y0 + side, x0 : x0 + side])
            out[i] = np.asarray(img if side == size else img.resize((size, size), Image.BILINEAR))
        return out
    side = max(h, w)
    y0, x0 = (side - h) // 2, (side - w) // 2
    square = np.empty((side, side, 3), np.uint8)
    square[...] = np.asarray(fill, np.uint8)
    for i in range(n):
        square[y0 : y0 + h, x0 : x0 + w] = frames[i]
        img = Image.fromarray(square)
        out[i] = np.asarray(img if side == size else img.resize((size, size), Image.BILINEAR))
    return out


def pad_fill(mean: Sequence[float]) -> tuple[int, int, int]:
    """The RGB uint8 colour `pad` fills with: the mean, so padding normalises to about 0."""
    return tuple(int(round(255 * m)) for m in mean)


def normalise_(x: Array, mean: Array, std: Array) -> Array:
    """In place on float32 pixels in [0, 255]: `(x / 255 - mean) / std`, returned.

    `x` is a numpy array or a torch tensor (on any device), `mean` and `std` float32 of the
    same kind, shaped to broadcast over x's channel axis. Computed as `x * s - m` with per
    channel `s = 1 / (255 std)` and `m = mean / std`: the scorer's arithmetic since it was
    written (two passes over the pixels), kept so scores stay bit for bit what they were.
    Every step is one correctly rounded float32 operation, so numpy on a worker's CPU and
    torch on the model's device give identical bits.
    """
    scale = 1.0 / (255.0 * std)
    shift = mean / std
    x *= scale
    x -= shift
    return x


def prepare_window(
    frames: np.ndarray,
    size: int,
    mean: Sequence[float],
    std: Sequence[float],
    fit: str = "crop",
    normalize: bool = True,
) -> torch.Tensor:
    """uint8 frames `(T, H, W, 3)` -> float32 `(3, T, size, size)`: fitted, scaled to [0, 1]
    and, with `normalize`, normalised per channel.

    numpy and Pillow only (no torch ops): in DataLoader workers torch's thread pool, woken for
    small tensors, spins against the video decoder.
    """
    clip = fit_frames(frames, size, fit, pad_fill(mean))  # (T, S, S, 3)
    # Channel-first from here: per-channel work on contiguous planes is several times faster.
    out = np.ascontiguousarray(clip.transpose(3, 0, 1, 2)).astype(np.float32)  # (3, T, S, S)
    if not normalize:
        out *= np.float32(1.0 / 255.0)
        return torch.from_numpy(out)
    m = np.asarray(mean, np.float32)[:, None, None, None]
    s = np.asarray(std, np.float32)[:, None, None, None]
    return torch.from_numpy(normalise_(out, m, s))
