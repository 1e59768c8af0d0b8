"""Evaluation-time preprocessing of a window: fit each frame to the model's square, normalise.

The one definition of what the model sees, used by training's validation and test transform
(`ClipTransform` without augmentation) and by the scorer (`judge.inference.stream` fits frames in
its workers, `judge.inference.windows.build_windows` normalises them where the model runs), so a
scored window is bit for bit the tensor validation fed the model. Training's augmentation lives
in `transforms.py`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import torch
from PIL import Image

from judge.data.input_spec import FITS

Array = TypeVar("Array", np.ndarray, torch.Tensor)


# A frame at most this much longer than wide (or the reverse) is read as one centred square:
# a second tile would double the cost to see a few more columns.
ONE_TILE_ASPECT = 1.1


def centre_box(h: int, w: int) -> tuple[int, int, int]:
    """The centred square `(y0, x0, side)` of an H x W frame, side min(H, W) (fit "crop")."""
    side = min(h, w)
    return (h - side) // 2, (w - side) // 2, side


def tile_boxes(h: int, w: int) -> list[tuple[int, int, int]]:
    """The squares `(y0, x0, side)`, side min(H, W), that cover an H x W frame (fit "tiles").

    One, the centred square (`centre_box`), when the long side is at most `ONE_TILE_ASPECT`
    times the short one; otherwise ceil(long / short) squares spread evenly along the long side
    from one end to the other, overlapping: two for 4:3 and 16:9, three for 2.39:1.
    """
    side, long = min(h, w), max(h, w)
    if long <= ONE_TILE_ASPECT * side:
        return [centre_box(h, w)]
    k = math.ceil(long / side)
    starts = [round(i * (long - side) / (k - 1)) for i in range(k)]
    return [(0, s, side) if w >= h else (s, 0, side) for s in starts]


def fit_frames(
    frames: np.ndarray, size: int, fit: str = "crop", fill: tuple[int, int, int] = (0, 0, 0)
) -> np.ndarray:
    """uint8 `(N, H, W, 3)` -> uint8 `(N, size, size, 3)`, or `(N, K, size, size, 3)` for
    "tiles" (K = `len(tile_boxes(H, W))`).

    `crop`: the centred square of side min(H, W) (a 16:9 frame loses its left and right
    ends), resized (bilinear) when its side is not `size`. `tiles`: each square of
    `tile_boxes`, cropped and resized as `crop` does its one. `pad`: the whole frame, padded to
    a square with `fill` on the short side's two ends, then resized.
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    n, h, w, _ = frames.shape
    if fit in ("crop", "tiles"):
        boxes = tile_boxes(h, w) if fit == "tiles" else [centre_box(h, w)]
        out = np.empty((n, len(boxes), size, size, 3), np.uint8)
        for i in range(n):
            for k, (y0, x0, side) in enumerate(boxes):
                img = Image.fromarray(frames[i, y0 : y0 + side, x0 : x0 + side])
                out[i, k] = np.asarray(
                    img if side == size else img.resize((size, size), Image.BILINEAR)
                )
        return out if fit == "tiles" else out[:, 0]
    out = np.empty((n, size, size, 3), np.uint8)
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
    small tensors, spins against the video decoder. One square per window: "tiles" is a
    scoring fit (the scorer runs each tile as a window of its own), refused here.
    """
    if fit == "tiles":
        raise ValueError("prepare_window makes one square per window; 'tiles' is for scoring")
    clip = fit_frames(frames, size, fit, pad_fill(mean))  # (T, S, S, 3)
    # Channel-first from here: per-channel work on contiguous planes is several times faster.
    out = np.ascontiguousarray(clip.transpose(3, 0, 1, 2)).astype(np.float32)  # (3, T, S, S)
    if not normalize:
        out *= np.float32(1.0 / 255.0)
        return torch.from_numpy(out)
    m = np.asarray(mean, np.float32)[:, None, None, None]
    s = np.asarray(std, np.float32)[:, None, None, None]
    return torch.from_numpy(normalise_(out, m, s))


def prepare_tiles(
    frames: np.ndarray,
    size: int,
    mean: Sequence[float],
    std: Sequence[float],
    normalize: bool = True,
) -> torch.Tensor:
    """uint8 frames `(T, H, W, 3)` -> float32 `(K, 3, T, size, size)`, K = `len(tile_boxes(H,
    W))`: each square of fit "tiles" prepared as `prepare_window` prepares a centre square
    (the whole square, since it is one), i.e. exactly the K windows the scorer runs. A square
    frame gives K = 1, its `prepare_window` crop. numpy only, like `prepare_window`."""
    h, w = frames.shape[1:3]
    squares = [
        prepare_window(
            frames[:, y0 : y0 + side, x0 : x0 + side], size, mean, std, "crop", normalize
        )
        for y0, x0, side in tile_boxes(h, w)
    ]
    return torch.from_numpy(np.stack([sq.numpy() for sq in squares]))
