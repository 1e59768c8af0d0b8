"""Sliding windows over a whole video, streamed shot by shot, and the model batch they make.

The plan itself is training's: `judge.data.windows` (time grid, `frame_step`, `plan_windows`)
decides which source frames a window reads, and `judge.data.preprocess` how a frame becomes the
model's input (`fit_frames`, `normalise_`). This module adds what only scoring needs:

    shots   with scene cuts (`cuts.py`), each shot is planned the same way on its own grid steps:
            no window straddles a cut, and a shot shorter than one window is padded with its
            last frame. `ShotPlanner` plans shot by shot while the frames stream in.
    batches `build_windows` turns the distinct uint8 frames of overlapping windows into one
            normalised float batch, on the model's device.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

# Planner and preprocessing names, importable from here as before the move to judge.data.
from judge.data.input_spec import FITS
from judge.data.preprocess import fit_frames, normalise_
from judge.data.windows import (
    UnknownFrameRate,
    WindowPlan,
    frame_step,
    plan_windows,
    time_grid,
    window_hop,
)

# The old name of `frame_step`.
time_step = frame_step

__all__ = [
    "FITS",
    "ShotPlanner",
    "UnknownFrameRate",
    "WindowPlan",
    "build_windows",
    "fit_frames",
    "frame_step",
    "plan_windows",
    "time_grid",
    "time_step",
]


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
        self.num_frames, self.hop = num_frames, window_hop(num_frames, hop)
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


def build_windows(
    parts: Sequence[tuple[torch.Tensor, torch.Tensor]],
    mean: Sequence[float],
    std: Sequence[float],
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """A model batch from pieces of videos: `[(pixels, take), ...]` -> float32
    `(sum n, 3, T, S, S)`, `(x / 255 - mean) / std`, on `device`.

    `pixels` uint8 `(U, 3, S, S)` are a video's distinct frames, channel-first, and `take`
    int64 `(n, T)` the position in `pixels` of each frame of its n windows; with the "tiles"
    fit `(n, K, T)`, and each window gives K rows, tile by tile (`n * K` in the sum). Done where the
    model runs (and on its device): uint8 frames shared by overlapping windows are about an
    eighth of the bytes of normalised windows. Each distinct frame is normalised once
    (`preprocess.normalise_`, the arithmetic of training's evaluation transform, so the bits
    match), then whole `(3, S, S)` frames are copied into one preallocated batch.
    """
    parts = [(pixels, take.reshape(-1, take.shape[-1])) for pixels, take in parts]
    n = sum(len(take) for _, take in parts)
    _, _, s, _ = parts[0][0].shape
    t = parts[0][1].shape[1]
    out = torch.empty((n, 3, t, s, s), dtype=torch.float32, device=device)
    std_t = torch.tensor(std, dtype=torch.float32, device=out.device).view(1, 3, 1, 1)
    mean_t = torch.tensor(mean, dtype=torch.float32, device=out.device).view(1, 3, 1, 1)
    at = 0
    for pixels, take in parts:
        x = normalise_(pixels.to(out.device, non_blocking=True).float(), mean_t, std_t)
        k = len(take)
        # (k, T, 3, S, S) -> (k, 3, T, S, S): a transpose of whole frames, not of pixels.
        out[at : at + k].copy_(x[take.to(out.device)].transpose(1, 2))
        at += k
    return out
