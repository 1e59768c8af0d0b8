"""Sliding windows over a whole video, and the frame geometry the model expects.

A judge sees `num_frames` frames at a time. Training read them `stride` source frames apart,
or resampled to the checkpoint's `fps`; scoring reads the whole video on the same time grid and
slides the window along it:

    grid    source frame of each model-time step k: round(k * step), step = file fps / model fps
            (or the input's stride when the checkpoint has no fps)
    windows start every `hop` grid steps (default num_frames // 2); the last one is aligned to
            the end of the grid so the final frames are always seen
    short   a grid shorter than one window is padded by repeating its last frame
    shots   with scene cuts (`cuts.py`), each shot is planned the same way on its own grid steps:
            no window straddles a cut, and a shot shorter than one window is padded with its
            last frame. `ShotPlanner` plans shot by shot while the frames stream in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

FITS = ("crop", "pad")


@dataclass(frozen=True)
class WindowPlan:
    """Where a video's windows lie.

    `grid` int64 `(K,)`: the source frame index of each model-time step; `starts` int64 `(W,)`:
    the first grid step of each window; `num_frames`: T, frames per window.
    """

    grid: np.ndarray
    starts: np.ndarray
    num_frames: int

    @property
    def num_windows(self) -> int:
        return len(self.starts)

    @property
    def padded(self) -> bool:
        """True when the video is shorter than one window (its last frame is repeated)."""
        return len(self.grid) < self.num_frames

    def steps(self, first: int, last: int) -> np.ndarray:
        """Grid steps int64 `(last - first, T)` of windows `first..last-1`, clipped to the grid
        (so a short video's window repeats its last step)."""
        k = self.starts[first:last, None] + np.arange(self.num_frames)[None, :]
        return np.minimum(k, len(self.grid) - 1)


def time_step(source_fps: float | None, model_fps: float | None, stride: int = 1) -> float:
    """Source frames per model frame: `source_fps / model_fps`, or `stride` when the model has no
    fps or the file's fps is unknown (then the input's own frame spacing is the best guess)."""
    if model_fps and source_fps and source_fps > 0:
        return float(source_fps) / float(model_fps)
    return float(max(1, int(stride)))


def plan_windows(
    num_source_frames: int,
    num_frames: int,
    step: float = 1.0,
    hop: int | None = None,
) -> WindowPlan:
    """Windows of `num_frames` model frames over a video of `num_source_frames` frames.

    `step` is source frames per model frame (see `time_step`); `hop` the grid steps between
    window starts (default `max(1, num_frames // 2)`).
    """
    hop = _hop(num_frames, hop)
    grid = time_grid(num_source_frames, step)
    k = len(grid)
    last = max(0, k - num_frames)
    starts = list(range(0, last + 1, hop))
    if starts[-1] != last:
        starts.append(last)
    return WindowPlan(grid=grid, starts=np.asarray(starts, np.int64), num_frames=num_frames)


def time_grid(num_source_frames: int, step: float = 1.0) -> np.ndarray:
    """int64 `(K,)`: the source frame of each model-time step (module docstring)."""
    if num_source_frames < 1:
        raise ValueError(f"a video needs at least 1 frame, got {num_source_frames}")
    if step <= 0:
        raise ValueError(f"bad window: step={step}")
    # A small epsilon: 29.97 / 14.985 must give exactly 2.0 steps, not 1.9999.
    k = math.floor((num_source_frames - 1) / step + 1e-6) + 1
    return np.minimum(np.round(np.arange(k) * step), num_source_frames - 1).astype(np.int64)


def _hop(num_frames: int, hop: int | None) -> int:
    if num_frames < 1:
        raise ValueError(f"bad window: num_frames={num_frames}")
    hop = max(1, num_frames // 2) if hop is None else int(hop)
    if hop < 1:
        raise ValueError(f"window stride must be >= 1, got {hop}")
    return hop


class ShotPlanner:
    """`plan_windows`, shot by shot, while grid steps stream in (for videos with cuts).

    Windows of a shot start every `hop` steps from the shot's first step; the last one ends on
    the shot's last step; a shot shorter than `num_frames` steps has one window padded with its
    last step. Each call returns new windows as int64 `(T,)` arrays of grid steps:

    - `advance(known)`: windows lying wholly below step `known` in the current shot (the caller
      knows that no cut lies below `known` other than those it passed to `close_shot`);
    - `close_shot(end)`: the rest of the current shot `[shot_start, end)`; the next shot starts
      at `end` (a cut, or the grid's length at the end of the video).

    With no cut, `advance` then `close_shot(K)` give exactly `plan_windows`' windows.
    `keep_from(known)` is the first step a later window can still use.
    """

    def __init__(self, num_frames: int, hop: int | None = None):
        self.num_frames, self.hop = num_frames, _hop(num_frames, hop)
        self.shot_start = 0
        self.next = 0  # the next hop-aligned start in the current shot
        self._last_start: int | None = None  # start of the shot's latest window

    def _window(self, start: int, end: int) -> np.ndarray:
        return np.minimum(np.arange(start, start + self.num_frames), end - 1).astype(np.int64)

    def advance(self, known: int) -> list[np.ndarray]:
        out = []
        while self.next + self.num_frames <= known:
            out.append(self._window(self.next, known))
            self._last_start = self.next
            self.next += self.hop
        return out

    def close_shot(self, end: int) -> list[np.ndarray]:
        if end <= self.shot_start:
            raise ValueError(f"empty shot: [{self.shot_start}, {end})")
        out = self.advance(end)
        final = max(self.shot_start, end - self.num_frames)
        if self._last_start != final:
            out.append(self._window(final, end))
        self.shot_start = self.next = end
        self._last_start = None
        return out

    def keep_from(self, known: int) -> int:
        return min(self.next, max(self.shot_start, known - self.num_frames))


def fit_frames(
    frames: np.ndarray, size: int, fit: str = "crop", fill: tuple[int, int, int] = (0, 0, 0)
) -> np.ndarray:
    """uint8 `(N, H, W, 3)` -> uint8 `(N, size, size, 3)`.

    `crop`: the centred square of side min(H, W), resized (bilinear); the same geometry as the
    evaluation transform of training (`ClipTransform` without augmentation). `pad`: the whole
    frame, padded to a square with `fill` on the short side's two ends, then resized.
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


def build_windows(
    parts: Sequence[tuple[torch.Tensor, torch.Tensor]],
    mean: Sequence[float],
    std: Sequence[float],
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """A model batch from pieces of videos: `[(pixels, take), ...]` -> float32
    `(sum n, 3, T, S, S)`, `(x / 255 - mean) / std`, on `device`.

    `pixels` uint8 `(U, 3, S, S)` are a video's distinct frames, channel-first, and `take`
    int64 `(n, T)` the position in `pixels` of each frame of its n windows. Done where the
    model runs (and on its device): uint8 frames shared by overlapping windows are about an
    eighth of the bytes of normalised windows. Each distinct frame is normalised once, then
    whole `(3, S, S)` frames are copied into one preallocated batch.
    """
    n = sum(len(take) for _, take in parts)
    _, _, s, _ = parts[0][0].shape
    t = parts[0][1].shape[1]
    out = torch.empty((n, 3, t, s, s), dtype=torch.float32, device=device)
    std_t = torch.tensor(std, dtype=torch.float32, device=out.device).view(1, 3, 1, 1)
    mean_t = torch.tensor(mean, dtype=torch.float32, device=out.device).view(1, 3, 1, 1)
    scale, shift = 1.0 / (255.0 * std_t), mean_t / std_t
    at = 0
    for pixels, take in parts:
        x = pixels.to(out.device, non_blocking=True).float().mul_(scale).sub_(shift)
        k = len(take)
        # (k, T, 3, S, S) -> (k, 3, T, S, S): a transpose of whole frames, not of pixels.
        out[at : at + k].copy_(x[take.to(out.device)].transpose(1, 2))
        at += k
    return out


def normalise(
    pixels: torch.Tensor, take: torch.Tensor, mean: Sequence[float], std: Sequence[float]
) -> torch.Tensor:
    """One video's windows: `build_windows([(pixels, take)], mean, std)`, `(n, 3, T, S, S)`."""
    return build_windows([(pixels, take)], mean, std)
